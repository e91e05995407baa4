/**
 * ociResources against a plainly written oracle of the Go port's CreateManifestFromOCILayersWithIgnore (a map
 * filled config-first, layers by title or layer_%03d.tar.gz, the ignore set of paths and base names, prefix
 * matches, then sorted by bytes), over random manifests and ignore paths. Where Go would silently keep the last of
 * two layers with one name, ours must refuse (OCI_MANIFEST_INVALID); everywhere else the two must agree exactly.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ociResources, parseImageManifest } from '../../core/index.js';

const TITLE = 'org.opencontainers.image.title';
const digestOf = (s: string) => createHash('sha256').update(s).digest('hex');

/** The Go code, transcribed: no validation beyond what it does, map semantics, byte order. */
function goOracle(config: string, layers: { d: string; title?: string }[], ignorePaths: string[]): [string, string][] {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const ignore = new Set<string>();
  for (const p of ignorePaths) {
    ignore.add(p);
    ignore.add(base(p));
  }
  const items = new Map<string, string>();
  if (!ignore.has('config.json')) items.set('config.json', config);
  layers.forEach((l, i) => {
    const name = l.title ? l.title : `layer_${String(i).padStart(3, '0')}.tar.gz`;
    if (ignore.has(name) || ignore.has(base(name)) || [...ignore].some((p) => name.startsWith(`${p}/`))) return;
    items.set(name, l.d);
  });
  return [...items].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

const segment = fc.constantFrom('a', 'b', 'w', 'config.json', 'layer_000.tar.gz', 'layer_001.tar.gz', 'é', 'Z', 'a-b', 'a.b');
const title = fc.option(
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
  { nil: undefined },
);
const ignorePath = fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => s.join('/'));

describe('ociResources = the Go port (oracle), except refused duplicates', () => {
  it('agrees on names, digests and order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ data: fc.string({ maxLength: 4 }), title }), { minLength: 1, maxLength: 6 }),
        fc.array(ignorePath, { maxLength: 3 }),
        (ls, ignore) => {
          const layers = ls.map((l) => ({ d: digestOf(l.data), ...(l.title !== undefined ? { title: l.title } : {}) }));
          const config = digestOf('{}');
          const bytes = new TextEncoder().encode(
            JSON.stringify({
              schemaVersion: 2,
              config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${config}`, size: 2 },
              layers: layers.map((l) => ({
                mediaType: 'application/octet-stream',
                digest: `sha256:${l.d}`,
                size: 1,
                ...(l.title !== undefined ? { annotations: { [TITLE]: l.title } } : {}),
              })),
            }),
          );
          const names = layers.map((l, i) => l.title || `layer_${String(i).padStart(3, '0')}.tar.gz`);
          if (new Set(names).size !== names.length) {
            expect(() => ociResources(parseImageManifest(bytes), ignore)).toThrow(expect.objectContaining({ code: 'OCI_MANIFEST_INVALID' }));
            return;
          }
          const ours = ociResources(parseImageManifest(bytes), ignore).map((r) => [r.id, r.digest]);
          expect(ours).toEqual(goOracle(config, layers, ignore));
        },
      ),
      { numRuns: 500 },
    );
  });
});
