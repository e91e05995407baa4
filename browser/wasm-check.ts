/**
 * Whether this page may compile WebAssembly (a CSP without 'wasm-unsafe-eval' forbids it). Its own module so the
 * pool can ask without loading the hashers themselves (hash-job.ts: hash-wasm and @noble/hashes).
 */

/** The smallest valid module: compiling it fails only when the embedder (CSP) forbids wasm. */
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
let wasmOk: boolean | undefined;
export function wasmAllowed(): boolean {
  if (wasmOk === undefined) {
    try {
      wasmOk = typeof WebAssembly === 'object' && new WebAssembly.Module(EMPTY_WASM) instanceof WebAssembly.Module;
    } catch {
      wasmOk = false;
    }
  }
  return wasmOk;
}
