// The floor for large files in Node on this machine: node:crypto SHA-256 (the same OpenSSL code the CLI's hash
// workers run) over the given files on `cores` worker threads, 1 MiB reads into one reused buffer, nothing else
// (no signature, no walk, no checks). `node bench/floor.mjs <cores> FILE...` prints `<hex>  FILE` per file.
// `--read-only` first: the same reads without hashing (what reading from the page cache costs on its own).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const readOnly = process.argv[2] === '--read-only';
  const [cores, ...files] = process.argv.slice(readOnly ? 3 : 2);
  const lanes = Array.from({ length: Math.min(Number(cores), files.length) }, () => []);
  // Largest-first would need sizes; the bench's files are equal, so round-robin is the same assignment.
  files.forEach((f, i) => lanes[i % lanes.length].push(f));
  const out = await Promise.all(
    lanes.map(
      (lane) =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { lane, readOnly } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  for (const lane of out) for (const [f, d] of lane) process.stdout.write(`${d}  ${f}\n`);
} else {
  const buf = Buffer.allocUnsafe(1 << 20);
  const res = [];
  const { lane, readOnly } = workerData;
  for (const f of lane) {
    const h = readOnly ? null : createHash('sha256');
    const fd = openSync(f, 'r');
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h?.update(n === buf.length ? buf : buf.subarray(0, n));
    closeSync(fd);
    res.push([f, h ? h.digest('hex') : '(read only)']);
  }
  parentPort.postMessage(res);
}
