/// <reference lib="webworker" />
/**
 * The bench's read floor: a Blob read the way browser/hash-job.ts reads it (a BYOB reader into one buffer that
 * goes round, `piece` bytes at a time), without hashing. Answers the byte count; `null` is a start-up ping.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
let kept: ArrayBuffer | null = null; // as the pool's workers keep their one-shot buffer between files
scope.onmessage = async (e: MessageEvent<{ blob: Blob; piece: number } | null>) => {
  if (!e.data) return scope.postMessage(0);
  try {
    const { blob, piece } = e.data;
    const r = blob.stream().getReader({ mode: 'byob' });
    const size = Math.max(1, Math.min(piece, blob.size));
    let buf = kept && kept.byteLength >= size ? kept : new ArrayBuffer(size);
    let n = 0;
    let at = 0; // filled up to here, then round again
    for (;;) {
      if (at === buf.byteLength) at = 0;
      const { done, value } = await r.read(new Uint8Array(buf, at, buf.byteLength - at));
      if (value) (buf = value.buffer), (n += value.byteLength), (at += value.byteLength);
      if (done) break;
    }
    kept = buf;
    scope.postMessage(n);
  } catch (err) {
    scope.postMessage(`read failed: ${(err as Error)?.message ?? err}`);
  }
};
