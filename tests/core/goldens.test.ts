/** The nine key and certificate goldens verify through core with the README's parameters. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { verifyModel } from '../../core/index.js';
import { NodeSource } from '../../node/source.js';
import { NodeCryptoBackend } from '../../node/crypto-backend.js';
import { KEY_CERT_GOLDENS, SCRIPTS, policyFor, sigPath } from '../helpers/fixtures.js';

describe('reference goldens (key, certificate)', () => {
  for (const g of KEY_CERT_GOLDENS) {
    it(`${g.name} verifies`, async () => {
      const source = await NodeSource.open(path.join(SCRIPTS, g.model));
      const ignorePaths = source.isFile ? [] : [...g.ignore, 'model.sig'];
      const report = await verifyModel(source, readFileSync(sigPath(g)), policyFor(g), { ignorePaths, backend: new NodeCryptoBackend() });
      expect(report.errors).toEqual([]);
      expect(report.verified).toBe(true);
      expect(report.signer?.method).toBe(g.method);
      const files = report.resources.filter((r) => r.status === 'ok').map((r) => r.name);
      expect(files).toEqual(source.isFile ? ['.'] : ['signme-1', 'signme-2']);
      const s = report.signer!;
      if (s.method === 'sigstore') throw new Error('a key or certificate golden reported a sigstore signer');
      if (s.method === 'key') expect(s.keyHint).toBe('e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e');
      if (s.method === 'certificate') expect(s.chain.map((c) => c.subject)).toEqual(['CN=intermediate-ca', 'CN=intermediate-ca', 'CN=root-ca']);
      expect(s.pae).toBe(g.name === 'v0.2.0-certificate' ? 'compat' : 'standard');
    });
  }

  it('v1.0.1 without ignoring ignore-me reports it as an unsigned extra file', async () => {
    const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v1.0.1-certificate')!;
    const source = await NodeSource.open(path.join(SCRIPTS, g.model));
    const report = await verifyModel(source, readFileSync(sigPath(g)), policyFor(g), { ignorePaths: ['model.sig'] });
    expect(report.verified).toBe(false);
    expect(report.errors[0]).toMatchObject({ code: 'UNSIGNED_FILE', resource: 'ignore-me' });
    expect(report.errors[0]!.message).toBe("Extra files found in model 'v1.0.1-certificate': ignore-me");
  });

  it('v1.1.0 needs no user ignores: they are recorded in the signature', async () => {
    const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-elliptic-key')!;
    const source = await NodeSource.open(path.join(SCRIPTS, g.model));
    const report = await verifyModel(source, readFileSync(sigPath(g)), policyFor(g));
    expect(report.verified).toBe(true);
    expect(new Set(report.serialization?.ignorePaths)).toEqual(new Set(['ignore-me', 'model.sig', '.git', '.gitattributes', '.github', '.gitignore']));
  });
});
