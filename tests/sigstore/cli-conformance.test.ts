/**
 * `verify-bundle` driven the way sigstore-conformance's test_verify drives a client: every case in PATH and
 * DIGEST mode, exit 0 only for the valid ones. Cases come from the private test instance (real crypto).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/fixtures.js';
import { createInstance } from './instance.js';
import { tamper } from './tamper.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mv-conformance-'));
const artifact = Buffer.from('a conformance artifact\n');
const artifactPath = path.join(dir, 'a.txt');
const digestArg = `sha256:${createHash('sha256').update(artifact).digest('hex')}`;

interface Case {
  name: string;
  ok: boolean;
  key?: boolean;
}
const cases: Case[] = [];

beforeAll(async () => {
  const r = spawnSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
  writeFileSync(artifactPath, artifact);
  const inst = await createInstance();
  const st = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a.txt', digest: { sha256: digestArg.slice(7) } }],
      predicateType: 'x',
      predicate: {},
    }),
  );
  const add = async (name: string, ok: boolean, bundle: string, key = false) => {
    const d = path.join(dir, name);
    mkdirSync(d);
    writeFileSync(path.join(d, 'bundle.sigstore.json'), bundle);
    writeFileSync(path.join(d, 'trusted_root.json'), JSON.stringify(inst.trustedRoot));
    if (key) writeFileSync(path.join(d, 'key.pub'), await inst.keyPem());
    cases.push({ name, ok, key });
  };
  const a = new Uint8Array(artifact);
  await add('happy-path-hashedrekord-v1', true, await inst.bundle({ artifact: a, rekor: 'v1' }));
  await add('happy-path-rekor2-tsa', true, await inst.bundle({ artifact: a, rekor: 'v2', tsa: true }));
  await add('happy-path-dsse-v1', true, await inst.bundle({ statement: new Uint8Array(st), rekor: 'v1' }));
  await add('happy-path-dsse-rekor2', true, await inst.bundle({ statement: new Uint8Array(st), rekor: 'v2', kind: 'dsse', tsa: true }));
  await add('managed-key-happy-path', true, await inst.bundle({ artifact: a, rekor: 'v1', keyMode: true }), true);
  await add('rekor2-no-tsa_fail', false, await inst.bundle({ artifact: a, rekor: 'v2' }));
  await add('other-artifact_fail', false, await inst.bundle({ artifact: new Uint8Array(Buffer.from('other')), rekor: 'v1' }));
  await add('inclusion-proof_fail', false, tamper(await inst.bundle({ artifact: a, rekor: 'v1' }), 'inclusion proof hash')!);
  await add('set_fail', false, tamper(await inst.bundle({ artifact: a, rekor: 'v1' }), 'SET')!);
  await add('checkpoint_fail', false, tamper(await inst.bundle({ artifact: a, rekor: 'v2', tsa: true }), 'checkpoint signature')!);
  await add('tsa_fail', false, tamper(await inst.bundle({ artifact: a, rekor: 'v2', tsa: true }), 'timestamp token')!);
  await add('no-code-signing_fail', false, await inst.bundle({ artifact: a, rekor: 'v1', leaf: { codeSigning: false } }));
});

describe('verify-bundle, PATH and DIGEST modes', () => {
  it('runs every case like test_verify', () => {
    expect(cases.length).toBe(12);
    for (const c of cases) {
      const d = path.join(dir, c.name);
      const who = c.key
        ? ['--key', path.join(d, 'key.pub')]
        : ['--certificate-identity', 'signer@example.com', '--certificate-oidc-issuer', 'https://issuer.test'];
      for (const input of [artifactPath, digestArg]) {
        const r = spawnSync(
          process.execPath,
          [CLI, 'verify-bundle', '--bundle', path.join(d, 'bundle.sigstore.json'), ...who, '--trusted-root', path.join(d, 'trusted_root.json'), input],
          { encoding: 'utf8' },
        );
        expect({ case: c.name, input: input === digestArg ? 'DIGEST' : 'PATH', code: r.status, err: c.ok ? r.stderr : '' }).toEqual({
          case: c.name,
          input: input === digestArg ? 'DIGEST' : 'PATH',
          code: c.ok ? 0 : 1,
          err: '',
        });
      }
    }
  });
  it('without --trusted-root the production root is used, which does not trust the test instance', () => {
    const d = path.join(dir, 'happy-path-hashedrekord-v1');
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'verify-bundle',
        '--bundle',
        path.join(d, 'bundle.sigstore.json'),
        '--certificate-identity',
        'signer@example.com',
        '--certificate-oidc-issuer',
        'https://issuer.test',
        artifactPath,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
  });
});
