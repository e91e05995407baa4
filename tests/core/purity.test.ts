/** core/ is web-standard: no Node built-ins, no DOM, no Buffer. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const NODE_BUILTINS = [
  'fs',
  'path',
  'crypto',
  'os',
  'stream',
  'buffer',
  'util',
  'child_process',
  'worker_threads',
  'url',
  'http',
  'https',
  'net',
  'zlib',
  'events',
];

describe('core purity', () => {
  const all = files(path.join(ROOT, 'core'));
  it('has source files to check', () => expect(all.length).toBeGreaterThan(10));
  for (const f of all) {
    it(path.relative(ROOT, f), () => {
      const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const imports = [...src.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const spec of imports) {
        expect(spec.startsWith('node:'), `${spec} in ${f}`).toBe(false);
        expect(NODE_BUILTINS.includes(spec), `${spec} in ${f}`).toBe(false);
      }
      expect(/\b(document|window)\.|\bBuffer\.|\brequire\(/.test(src), `DOM/Buffer/require in ${f}`).toBe(false);
    });
  }
});
