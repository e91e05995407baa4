/** The embedded production root is exactly what the pinned @sigstore/tuf seeds.json holds (Node only). */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { EMBEDDED_ROOT_SOURCE, EMBEDDED_TRUSTED_ROOT } from '../../core/sigstore/embedded-root.generated.js';
import { ROOT } from '../helpers/fixtures.js';

const require = createRequire(import.meta.url);

test('generated file is up to date with the pinned package (scripts/embed-sigstore-root.mjs --check)', () => {
  const r = spawnSync(process.execPath, ['scripts/embed-sigstore-root.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

test('embedded root equals seeds.json trusted_root.json', () => {
  const seeds = require('@sigstore/tuf/seeds.json');
  const tr = JSON.parse(Buffer.from(seeds['https://tuf-repo-cdn.sigstore.dev'].targets['trusted_root.json'], 'base64').toString('utf8'));
  expect(EMBEDDED_TRUSTED_ROOT).toEqual(tr);
  expect(EMBEDDED_ROOT_SOURCE).toContain(`@sigstore/tuf@${require('@sigstore/tuf/package.json').version}`);
});
