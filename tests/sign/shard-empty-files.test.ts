/**
 * A shard signature cannot cover an empty file (the format has no shard for it), and our verifier reports an
 * uncovered empty file as unsigned: signing says so up front, in core's result and on the CLI's stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../core/sources/index.js';
import { generateSigningKey, keySigner, signModel } from '../../core/sign/index.js';
import { verifyModel } from '../../core/verify/index.js';
import { encodePem } from '../../core/crypto/pem.js';
import { ensureCliBuilt, REF_KEYS, REPO, tempDir } from './helpers.js';

const files = { 'weights.bin': 'x'.repeat(20), '__init__.py': '', 'pkg/empty.flag': '' };

describe('signing shards over a model with empty files', () => {
  it('core warns, naming the files, and verification reports them unsigned unless ignored', async () => {
    const key = await generateSigningKey();
    const source = new MemorySource('m', files);
    const signed = await signModel(source, keySigner(key.signingKey), { shardSize: 8 });
    expect(signed.warnings).toHaveLength(1);
    expect(signed.warnings[0]).toMatch(/2 empty files are not covered .*__init__\.py, pkg\/empty\.flag/);
    const policy = { method: 'key' as const, publicKey: encodePem('PUBLIC KEY', key.signingKey.spki) };
    const strict = await verifyModel(source, signed.bundle, policy);
    expect(strict.verified).toBe(false);
    expect(strict.errors.map((e) => e.code)).toEqual(['UNSIGNED_FILE', 'UNSIGNED_FILE']);
    expect((await verifyModel(source, signed.bundle, policy, { ignoreUnsigned: true })).verified).toBe(true);
  });

  it('files mode covers empty files: no warning, and it verifies', async () => {
    const key = await generateSigningKey();
    const source = new MemorySource('m', files);
    const signed = await signModel(source, keySigner(key.signingKey));
    expect(signed.warnings).toEqual([]);
    const policy = { method: 'key' as const, publicKey: encodePem('PUBLIC KEY', key.signingKey.spki) };
    expect((await verifyModel(source, signed.bundle, policy)).verified).toBe(true);
  });

  describe('the CLI', () => {
    let work: string;
    beforeAll(async () => {
      await ensureCliBuilt();
      work = tempDir('mv-shard-empty-');
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('prints the warning on stderr, not stdout, and still signs', () => {
      const m = path.join(work, 'model');
      mkdirSync(path.join(m, 'pkg'), { recursive: true });
      for (const [p, c] of Object.entries(files)) writeFileSync(path.join(m, p), c);
      const r = spawnSync(
        process.execPath,
        [
          path.join(REPO, 'bin/model-verify.js'),
          'sign',
          'key',
          m,
          '--private-key',
          path.join(REF_KEYS, 'signing-key.pem'),
          '--signature',
          path.join(work, 'model.sig'),
          '--shard-size',
          '8',
        ],
        { cwd: work, encoding: 'utf8', env: { ...process.env, MODEL_SIGNING_PASSWORD: '' } },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Signing succeeded/);
      expect(r.stdout).not.toMatch(/not covered/);
      expect(r.stderr).toMatch(/^WARNING: 2 empty files are not covered by this shard signature/m);
    });
  });
});
