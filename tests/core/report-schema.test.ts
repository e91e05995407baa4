/**
 * report.schema.json: it is current with core/errors.ts, it really rejects what is not a v1 report, and every
 * report core's verifyModel produces on the goldens (verified and failed, every method) satisfies it; so does
 * the report the element emits (web/verify-run.ts, the code path of its `verify-result` detail).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPORT_MEDIA_TYPE, verifyModel, type Policy, type VerificationReport } from '../../core/index.js';
import { NodeSource } from '../../node/source.js';
import { NodeCryptoBackend } from '../../node/crypto-backend.js';
import { reportFromError, runVerification } from '../../web/verify-run.js';
import { copyModel, KEY_CERT_GOLDENS, policyFor, ROOT, SCRIPTS, sigPath } from '../helpers/fixtures.js';
import { REPORT_SCHEMA, schemaErrors } from '../helpers/report-schema.js';
import { GOLDENS, MemorySource, POLICY as SIGSTORE_POLICY, sourceFor } from '../sigstore/fixtures.js';
import { TAMPER, tamper } from '../sigstore/tamper.js';

// A .mjs script without type declarations: the cast keeps tsc from resolving it; Vite resolves the literal.
const { errorCodes } = (await import('../../scripts/gen-report-schema.mjs' as string)) as { errorCodes: (source: string) => string[] };

/** The newest Sigstore golden: it has both a log entry and an RFC 3161 timestamp. */
const SIG110 = GOLDENS.find((g) => g.name === 'v1.1.0-sigstore')!;
const OTHER_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;

function expectValid(r: VerificationReport): void {
  expect(schemaErrors(r), JSON.stringify(r.errors)).toEqual([]);
  expect(r.mediaType).toBe(REPORT_MEDIA_TYPE);
}

async function keyCertReport(name: string, opts: { policy?: Policy; bundle?: string; dir?: string } = {}): Promise<VerificationReport> {
  const g = KEY_CERT_GOLDENS.find((x) => x.name === name)!;
  const source = await NodeSource.open(opts.dir ?? path.join(SCRIPTS, g.model));
  const ignorePaths = source.isFile ? [] : [...g.ignore, 'model.sig'];
  return verifyModel(source, opts.bundle ?? readFileSync(sigPath(g)), opts.policy ?? policyFor(g), { ignorePaths, backend: new NodeCryptoBackend() });
}

describe('the schema matches core/errors.ts', () => {
  it('its code enum is exactly the ErrorCode union, in order', () => {
    expect(REPORT_SCHEMA.$defs.errorCode.enum).toEqual(errorCodes(readFileSync(path.join(ROOT, 'core/errors.ts'), 'utf8')));
  });

  it('the committed file is what scripts/gen-report-schema.mjs writes (--check)', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-report-schema.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the parser skips comments (with quotes and semicolons) and refuses members it does not understand', () => {
    const src = "export type ErrorCode =\n  // it's; here\n  | 'A_ONE'\n  /** the 'B'; code */\n  | 'B_TWO';\nexport class X {}";
    expect(errorCodes(src)).toEqual(['A_ONE', 'B_TWO']);
    expect(() => errorCodes("export type ErrorCode = | 'A' | OtherCodes;")).toThrow(/unexpected text/);
    expect(() => errorCodes("export type ErrorCode = | 'A' | 'A';")).toThrow(/twice/);
    expect(() => errorCodes('export type Other = string;')).toThrow(/no 'export type ErrorCode/);
  });
});

describe('the schema rejects what is not a v1 report', () => {
  const base = async () => keyCertReport('v1.1.0-elliptic-key');
  const mutations: [string, (r: any) => void][] = [
    ['no mediaType', (r) => delete r.mediaType],
    ['another version', (r) => (r.mediaType = 'application/vnd.model-verify.report.v2+json')],
    ['an unknown member', (r) => (r.extra = 1)],
    ['an error code core does not have', (r) => ((r.verified = false), r.errors.push({ code: 'NO_SUCH_CODE', message: 'x' }))],
    ['verified with errors', (r) => r.errors.push({ code: 'HASH_MISMATCH', message: 'x' })],
    ['failed without a reason', (r) => (r.verified = false)],
    ['verified without a signer', (r) => delete r.signer],
    ['a key signer with certificate fields', (r) => (r.signer.certificate = { subject: '' })],
    ['a key signer without its hint', (r) => delete r.signer.keyHint],
    ['a signer method that does not exist', (r) => (r.signer.method = 'magic')],
    ['a sigstore signer with only key fields', (r) => (r.signer.method = 'sigstore')],
    ['a resource status that does not exist', (r) => (r.resources[0].status = 'fine')],
    ['fractional byte counts', (r) => (r.bytesHashed = 1.5)],
  ];
  it.each(mutations)('%s', async (_name, mutate) => {
    const r = structuredClone(await base());
    expect(schemaErrors(r)).toEqual([]);
    mutate(r);
    expect(schemaErrors(r)).not.toEqual([]);
  });

  it('a sigstore signer without an identity, or a certificate signer without its chain', async () => {
    const g = SIG110;
    const s = structuredClone((await verifyModel(sourceFor(g), g.bundle, SIGSTORE_POLICY, { ignorePaths: g.ignore })).signer!) as any;
    expect(schemaErrors(s, 'signer')).toEqual([]);
    delete s.identity;
    expect(schemaErrors(s, 'signer')).not.toEqual([]);
    const c = structuredClone((await keyCertReport('v1.1.0-certificate')).signer!) as any;
    expect(schemaErrors(c, 'signer')).toEqual([]);
    delete c.chain;
    expect(schemaErrors(c, 'signer')).not.toEqual([]);
  });
});

describe('verifyModel reports satisfy the schema', () => {
  it.each(KEY_CERT_GOLDENS.map((g) => g.name))('%s verified', async (name) => {
    const r = await keyCertReport(name);
    expect(r.verified).toBe(true);
    expectValid(r);
  });

  it.each(GOLDENS.map((g) => [g.name, g] as const))('%s verified (sigstore)', async (_name, g) => {
    const r = await verifyModel(sourceFor(g), g.bundle, SIGSTORE_POLICY, { ignorePaths: g.ignore });
    expect(r.verified).toBe(true);
    expect(r.signer?.method).toBe('sigstore');
    expectValid(r);
  });

  it('a tampered file (key and certificate): the signer is known, the file is not', async () => {
    for (const name of ['v1.1.0-elliptic-key', 'v1.1.0-certificate']) {
      const dir = copyModel(KEY_CERT_GOLDENS.find((x) => x.name === name)!);
      writeFileSync(path.join(dir, 'signme-1'), 'tampered');
      const r = await keyCertReport(name, { dir });
      expect(r.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-1' });
      expect(r.signer).toBeDefined();
      expectValid(r);
    }
  });

  it('a tampered file, a missing file and an unsigned extra (sigstore)', async () => {
    const g = SIG110;
    const cases: [Record<string, string>, string][] = [
      [{ ...g.files, 'signme-1': 'tampered' }, 'HASH_MISMATCH'],
      [{ 'signme-2': g.files['signme-2']!, 'ignore-me': '' }, 'MISSING_FILE'],
      [{ ...g.files, extra: 'x' }, 'UNSIGNED_FILE'],
    ];
    for (const [files, code] of cases) {
      const r = await verifyModel(new MemorySource(g.name, files), g.bundle, SIGSTORE_POLICY, { ignorePaths: g.ignore });
      expect(r.errors.map((e) => e.code)).toContain(code);
      expect(r.signer?.method).toBe('sigstore');
      expectValid(r);
    }
  });

  it('a wrong key, the wrong method, a malformed bundle, text that is not JSON, an unusable policy', async () => {
    const cases: [Promise<VerificationReport>, string][] = [
      [keyCertReport('v1.1.0-elliptic-key', { policy: { method: 'key', publicKey: OTHER_KEY } }), 'KEY_MISMATCH'],
      [
        keyCertReport('v1.1.0-certificate', {
          policy: { method: 'key', publicKey: readFileSync(path.join(SCRIPTS, 'keys/certificate/signing-key-pub.pem'), 'utf8') },
        }),
        'BUNDLE_MATERIAL',
      ],
      [keyCertReport('v1.1.0-elliptic-key', { bundle: '{"hello": "world"}' }), 'BUNDLE_MALFORMED'],
      [keyCertReport('v1.1.0-elliptic-key', { bundle: 'not json' }), 'BUNDLE_MALFORMED'],
      [keyCertReport('v1.1.0-elliptic-key', { policy: { method: 'magic' } as unknown as Policy }), 'POLICY_INVALID'],
    ];
    for (const [p, code] of cases) {
      const r = await p;
      expect(r.verified).toBe(false);
      expect(r.errors[0]!.code).toBe(code);
      expectValid(r);
    }
  });

  it('another identity and every tampered sigstore bundle', async () => {
    const g = SIG110;
    const other = await verifyModel(sourceFor(g), g.bundle, { ...SIGSTORE_POLICY, identity: 'someone@example.com' }, { ignorePaths: g.ignore });
    expect(other.errors[0]!.code).toBe('IDENTITY_MISMATCH');
    expectValid(other);
    for (const name of Object.keys(TAMPER)) {
      const bundle = tamper(g.bundle, name);
      if (bundle === null) continue; // this golden lacks the part the tamper changes
      const r = await verifyModel(sourceFor(g), bundle, SIGSTORE_POLICY, { ignorePaths: g.ignore });
      expect(r.verified, name).toBe(false);
      expectValid(r);
    }
  });
});

describe("the element's report (web/verify-run.ts: the verify-result detail's code path)", () => {
  it('runVerification: verified and failed', async () => {
    const g = SIG110;
    const ok = await runVerification({
      source: sourceFor(g),
      bundle: new TextEncoder().encode(g.bundle),
      policy: SIGSTORE_POLICY,
      ignorePaths: g.ignore,
      backend: new NodeCryptoBackend(),
    });
    expect(ok.verified).toBe(true);
    expectValid(ok);
    const bad = await runVerification({
      source: new MemorySource(g.name, { ...g.files, 'signme-2': 'x' }),
      bundle: new TextEncoder().encode(g.bundle),
      policy: SIGSTORE_POLICY,
      ignorePaths: g.ignore,
      backend: new NodeCryptoBackend(),
    });
    expect(bad.errors[0]!.code).toBe('HASH_MISMATCH');
    expectValid(bad);
  });

  it('reportFromError (inputs refused before verifyModel runs)', () => {
    expectValid(reportFromError(new Error('unreachable'), 'model', false));
    expectValid(reportFromError(new DOMException('stop', 'AbortError')));
  });
});
