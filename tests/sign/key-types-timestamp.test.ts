/**
 * RFC 3161 timestamps on key and certificate signatures (`--tsa-url`, the Go port's flag) against the local test
 * TSA (tests/sign/stack, real CMS signatures), and their use at verification: with the TSA's chain
 * (`--tsa-certificate-chain`, policy `timestampAuthorities`) the signing certificate is checked at the time the
 * timestamp proves, so a certificate that has since expired still verifies; without it, as before (now).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePem } from '../../core/crypto/pem.js';
import { readPrivateKey } from '../../core/sign/private-key.js';
import { signModel } from '../../core/sign/sign-model.js';
import { keySigner } from '../../core/sign/signers.js';
import { certificateSigner, withTimestamp } from '../../core/sign/x509/index.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { key, KEYS, REPO, tempDir } from './helpers.js';
import { serveStack } from './stack/server.js';
import type { Stack } from './stack/stack.js';

const files = () => ({ 'a.bin': new Uint8Array(700).map((_, i) => i), 'b.txt': 'bbb' });
const model = () => new MemorySource('m', files());
const json = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8'));
const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;

let stack: Stack;
let close: () => Promise<void>;
let tsaUrl = '';
let tsaChain = '';
const dir = tempDir('mv-tsa-');

beforeAll(async () => {
  ({ stack, close } = await serveStack());
  tsaUrl = `${stack.base}/tsa/api/v1/timestamp`;
  tsaChain = encodePem('CERTIFICATE', stack.tsa.leaf) + encodePem('CERTIFICATE', stack.tsa.root.der);
  writeFileSync(path.join(dir, 'tsa-chain.pem'), tsaChain);
});
afterAll(() => close?.());

describe('timestamped key and certificate signatures', () => {
  it('a key signature gets an RFC 3161 timestamp over its DSSE signature; it still verifies as a key signature', async () => {
    const sk = await readPrivateKey(key('rsa-pkcs8.pem'));
    const res = await signModel(model(), withTimestamp(keySigner(sk), tsaUrl, stack.fetch));
    const tvd = json(res.bundle).verificationMaterial.timestampVerificationData;
    expect(tvd.rfc3161Timestamps).toHaveLength(1);
    expect(stack.log).toContain('POST /tsa/api/v1/timestamp');
    const report = await verifyModel(model(), res.bundle, { method: 'key', publicKey: encodePem('PUBLIC KEY', sk.spki) });
    expect(report.errors).toEqual([]);
  });

  it.skipIf(!HAVE_OPENSSL)('with the TSA chain, an expired signing certificate verifies at the timestamped time; without it, CERT_EXPIRED', async () => {
    const keyFile = path.join(KEYS, 'p256-sec1.pem');
    const cert = execFileSync(
      'openssl',
      ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=short-lived', '-days', '1', '-addext', 'keyUsage=critical,digitalSignature'],
      {
        encoding: 'utf8',
      },
    );
    const sk = await readPrivateKey(readFileSync(keyFile, 'utf8'));
    const res = await signModel(model(), withTimestamp(certificateSigner(sk, cert), tsaUrl, stack.fetch));
    const later = new Date(Date.now() + 3 * 86_400_000); // the certificate has expired by then
    const plain = await verifyModel(model(), res.bundle, { method: 'certificate', anchors: [cert] }, { time: later });
    expect(plain.errors[0]?.code).toBe('CERT_EXPIRED');
    const stamped = await verifyModel(model(), res.bundle, { method: 'certificate', anchors: [cert], timestampAuthorities: [tsaChain] }, { time: later });
    expect(stamped.errors).toEqual([]);
    expect(stamped.verified).toBe(true);
    const s = stamped.signer!;
    expect(s.method === 'certificate' && s.timestamps?.[0]?.source).toBe('rfc3161');
    // Another TSA's chain: the timestamp does not verify, and that is an error, never a fallback to "now".
    const other = await (await import('./stack/tsa.js')).TestTsa.create();
    const wrong = await verifyModel(
      model(),
      res.bundle,
      { method: 'certificate', anchors: [cert], timestampAuthorities: [encodePem('CERTIFICATE', other.leaf) + encodePem('CERTIFICATE', other.root.der)] },
      { time: later },
    );
    expect(wrong.errors[0]?.code).toBe('TIMESTAMP_INVALID');
    // A timestamp over another signature (copied from a second bundle) is refused too.
    const second = await signModel(new MemorySource('m', { 'a.bin': 'other' }), withTimestamp(certificateSigner(sk, cert), tsaUrl, stack.fetch));
    const swapped = json(res.bundle);
    swapped.verificationMaterial.timestampVerificationData = json(second.bundle).verificationMaterial.timestampVerificationData;
    const r = await verifyModel(model(), new TextEncoder().encode(JSON.stringify(swapped)), {
      method: 'certificate',
      anchors: [cert],
      timestampAuthorities: [tsaChain],
    });
    expect(r.errors[0]?.code).toBe('TIMESTAMP_INVALID');
  });

  it('a TSA chain given for a signature without a timestamp → TIMESTAMP_MISSING', async () => {
    const sk = await readPrivateKey(key('p256-sec1.pem'));
    const cert = key('p256-selfsigned-cert.pem');
    const res = await signModel(model(), certificateSigner(sk, cert));
    const r = await verifyModel(model(), res.bundle, { method: 'certificate', anchors: [cert], timestampAuthorities: [tsaChain] });
    expect(r.errors[0]?.code).toBe('TIMESTAMP_MISSING');
  });

  it('CLI: sign certificate --tsa-url, then verify certificate --tsa-certificate-chain --json', async () => {
    const CLI = path.join(REPO, 'bin/model-verify.js');
    // Asynchronous: the test TSA is served by this process's event loop.
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, [CLI, ...args]);
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.stderr.on('data', (d) => (stderr += d));
        p.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const m = path.join(dir, 'model');
    execFileSync('mkdir', ['-p', m]);
    writeFileSync(path.join(m, 'w.bin'), 'weights');
    const sig = path.join(dir, 'model.sig');
    const cert = path.join(KEYS, 'p256-selfsigned-cert.pem');
    const s = await run([
      'sign',
      'certificate',
      m,
      '--signature',
      sig,
      '--private-key',
      path.join(KEYS, 'p256-sec1.pem'),
      '--signing-certificate',
      cert,
      '--tsa-url',
      tsaUrl,
    ]);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(JSON.parse(readFileSync(sig, 'utf8')).verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
    const v = await run([
      'verify',
      'certificate',
      '--signature',
      sig,
      '--certificate-chain',
      cert,
      '--tsa-certificate-chain',
      path.join(dir, 'tsa-chain.pem'),
      '--json',
      m,
    ]);
    expect(v.status).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.verified).toBe(true);
    expect(report.signer.timestamps[0].source).toBe('rfc3161');
    const k = await run(['sign', 'key', m, '--signature', sig, '--private-key', path.join(KEYS, 'ed25519-pkcs8.pem'), '--tsa-url', tsaUrl]);
    expect(k.status).toBe(0);
  }, 120_000);
});
