/**
 * The four Sigstore goldens as in-memory data, imported with Vite `?raw` so the same tests run in Node,
 * Chromium and workerd (no filesystem there). The model files are ASCII text, so `?raw` keeps them byte-exact.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { registerHasher } from '../../core/hash/hasher.js';
import type { ListOptions, ModelEntry, ModelSource } from '../../core/serialize/source.js';
import sig031 from '../fixtures/model-transparency/scripts/tests/v0.3.1-sigstore/model.sig?raw';
import a031 from '../fixtures/model-transparency/scripts/tests/v0.3.1-sigstore/signme-1?raw';
import b031 from '../fixtures/model-transparency/scripts/tests/v0.3.1-sigstore/signme-2?raw';
import sig100 from '../fixtures/model-transparency/scripts/tests/v1.0.0-sigstore/model.sig?raw';
import a100 from '../fixtures/model-transparency/scripts/tests/v1.0.0-sigstore/signme-1?raw';
import b100 from '../fixtures/model-transparency/scripts/tests/v1.0.0-sigstore/signme-2?raw';
import sig101 from '../fixtures/model-transparency/scripts/tests/v1.0.1-sigstore/model.sig?raw';
import a101 from '../fixtures/model-transparency/scripts/tests/v1.0.1-sigstore/signme-1?raw';
import b101 from '../fixtures/model-transparency/scripts/tests/v1.0.1-sigstore/signme-2?raw';
import sig110 from '../fixtures/model-transparency/scripts/tests/v1.1.0-sigstore/model.sig?raw';
import a110 from '../fixtures/model-transparency/scripts/tests/v1.1.0-sigstore/signme-1?raw';
import b110 from '../fixtures/model-transparency/scripts/tests/v1.1.0-sigstore/signme-2?raw';
import trustConfig from '../fixtures/model-transparency/tests/_signing/testdata/custom_trust_config.json?raw';

export const IDENTITY = 'stefanb@us.ibm.com';
export const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';
export const POLICY = { method: 'sigstore', identity: IDENTITY, issuer: ISSUER } as const;
export const CUSTOM_TRUST_CONFIG = trustConfig;

export interface SigstoreGolden {
  name: string;
  bundle: string;
  files: Record<string, string>;
  /** Files on disk that the signature does not cover (README: "ignore-me"). */
  ignore: string[];
  hasTimestamp: boolean;
}

export const GOLDENS: SigstoreGolden[] = [
  { name: 'v0.3.1-sigstore', bundle: sig031, files: { 'signme-1': a031, 'signme-2': b031 }, ignore: [], hasTimestamp: false },
  { name: 'v1.0.0-sigstore', bundle: sig100, files: { 'signme-1': a100, 'signme-2': b100 }, ignore: [], hasTimestamp: false },
  { name: 'v1.0.1-sigstore', bundle: sig101, files: { 'signme-1': a101, 'signme-2': b101, 'ignore-me': '' }, ignore: ['ignore-me'], hasTimestamp: false },
  { name: 'v1.1.0-sigstore', bundle: sig110, files: { 'signme-1': a110, 'signme-2': b110, 'ignore-me': '' }, ignore: ['ignore-me'], hasTimestamp: true },
];

/** A model held in memory: a real ModelSource (listing, stat, ranged streams) over fixture bytes. */
export class MemorySource implements ModelSource {
  readonly listable = true;
  private readonly bytes: Map<string, Uint8Array>;
  constructor(
    readonly name: string,
    files: Record<string, string | Uint8Array>,
  ) {
    this.bytes = new Map(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v]));
  }
  async *list(_o?: ListOptions): AsyncIterable<ModelEntry> {
    for (const [path, b] of [...this.bytes].sort(([a], [c]) => (a < c ? -1 : 1))) yield { path, kind: 'file', size: b.length };
  }
  async stat(path: string): Promise<ModelEntry | null> {
    const b = this.bytes.get(path);
    return b ? { path, kind: 'file', size: b.length } : null;
  }
  open(path: string, range?: { start: number; end: number }): ReadableStream<Uint8Array> {
    const b = this.bytes.get(path)!;
    const slice = range ? b.subarray(range.start, range.end) : b;
    return new ReadableStream({
      start(c) {
        c.enqueue(slice.slice());
        c.close();
      },
    });
  }
}

export function sourceFor(g: SigstoreGolden): MemorySource {
  return new MemorySource(g.name, g.files);
}

/**
 * workerd refuses runtime wasm compilation (hash-wasm's default), and the Worker's static-wasm hashers need
 * wrangler's module rules. These fixtures are a few bytes, so @noble/hashes' SHA-256 serves there; what these
 * tests exercise is the signature path, not model hashing.
 */
if ((globalThis.crypto as unknown as { DigestStream?: unknown }).DigestStream) {
  registerHasher('sha256', () => {
    const h = nobleSha256.create();
    return { update: (c: Uint8Array) => void h.update(c), digest: () => h.digest() };
  });
}
