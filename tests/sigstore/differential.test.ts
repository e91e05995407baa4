/**
 * Differential test (Node only): our verdict on every Sigstore bundle of the corpus — the four goldens, each
 * tampered variant, each alternative trust root, wrong identities — equals @sigstore/verify 3.1.1's.
 * Known cases where the oracle is wrong are listed in ORACLE_WRONG with the reason (there the verdicts must
 * differ); any other disagreement fails the test.
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { parseBundle } from '../../core/bundle/reader.js';
import { verifySigstoreBundle } from '../../core/sigstore/verify-bundle.js';
import { parseTrustRoot } from '../../core/sigstore/trust-root.js';
import { sha256, toHex, utf8Encode } from '../../core/util/bytes.js';
import { createInstance } from './instance.js';
import { verifySignature } from '../../core/verify/verify-model.js';
import { CUSTOM_TRUST_CONFIG, GOLDENS, IDENTITY, ISSUER } from './fixtures.js';
import { OTHER_ROOTS, productionRootJson } from './roots.js';
import { TAMPER, tamper } from './tamper.js';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

/** `@sigstore/verify` as oms-format.md §3.4 calls it; the SAN is escaped so its unanchored regex is exact. */
function oracle(bundle: string, rootJson: unknown, identity: string, issuer: string, rawIdentity = false, artifact?: Uint8Array): boolean {
  try {
    const tm = toTrustMaterial(TrustedRoot.fromJSON(rootJson));
    // rawIdentity: as sigstore-js's own CLI passes it (a string, matched as an unanchored regex).
    const san = rawIdentity ? identity : new RegExp(`^${identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    new Verifier(tm, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }).verify(
      toSignedEntity(bundleFromJSON(JSON.parse(bundle)), artifact ? Buffer.from(artifact) : undefined),
      {
        subjectAlternativeName: san,
        extensions: { issuer },
      },
    );
    return true;
  } catch (e) {
    lastOracleError = String((e as Error)?.message ?? e);
    return false;
  }
}
let lastOracleError = '';
let lastOurError = '';

async function ours(bundle: string, rootJson: unknown, identity: string, issuer: string, artifact?: Uint8Array): Promise<boolean> {
  try {
    const policy = { method: 'sigstore', identity, issuer } as const;
    const trust = parseTrustRoot(rootJson, 'test');
    if (artifact) await verifySigstoreBundle(parseBundle(bundle), { kind: 'identity', policy }, trust, { bytes: artifact });
    else await verifySignature(bundle, policy, { trustedRoot: trust });
    return true;
  } catch (e) {
    lastOurError = `${(e as { code?: string }).code}: ${(e as Error).message}`;
    return false;
  }
}

/** Inputs on which @sigstore/verify 3.1.1 is known to be wrong: name → why. */
const ORACLE_WRONG: Record<string, string> = {
  // @sigstore/verify 3.1.1 neither checks the leaf's EKU (codeSigning) nor its KeyUsage (sigstore-verification.md §1.4).
  'instance leaf without codeSigning': 'EKU not checked',
  // Rekor v2 logs a DSSE envelope as hashedrekord over SHA-256(PAE); sigstore-js learnt that in @sigstore/verify
  // 4.1.0, after the 3.1.1 we can pin on Node 20, and compares against the payload digest instead.
  'instance DSSE as hashedrekord v2 + TSA': 'pre-4.1.0 DSSE/Rekor v2 digest rule',
  // sigstore-js reads a missing validFor.start as "since the beginning of time" (ts-proto default); the
  // conformance case trust-root-tlog-missing-validity-start_fail says such a root must be rejected.
  ...Object.fromEntries(GOLDENS.map((g) => [`${g.name} root tlog without validFor.start`, 'missing validity start accepted'])),
  // A plain identity string becomes an unanchored RegExp in sigstore-js: a substring of the SAN passes.
  ...Object.fromEntries(GOLDENS.map((g) => [`${g.name} identity substring (sigstore-js string policy)`, 'unanchored SAN match'])),
};

interface Case {
  rawIdentity?: boolean;
  artifact?: Uint8Array;
  name: string;
  bundle: string;
  root: unknown;
  identity: string;
  issuer: string;
}

/** Bundles from the private test instance (message signatures, Rekor v2, certificate variants). */
async function instanceCorpus(): Promise<Case[]> {
  const inst = await createInstance();
  const artifact = utf8Encode('differential artifact\n');
  const st = utf8Encode(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a', digest: { sha256: toHex(await sha256(artifact)) } }],
      predicateType: 'x',
      predicate: {},
    }),
  );
  const base = { root: inst.trustedRoot, identity: 'signer@example.com', issuer: 'https://issuer.test' };
  const make: [string, Parameters<typeof inst.bundle>[0], Partial<Case>?][] = [
    ['instance hashedrekord v1', { artifact, rekor: 'v1' }, { artifact }],
    ['instance hashedrekord v1 + TSA', { artifact, rekor: 'v1', tsa: true }, { artifact }],
    ['instance hashedrekord v1, another artifact', { artifact, rekor: 'v1' }, { artifact: utf8Encode('other') }],
    ['instance hashedrekord v2 + TSA', { artifact, rekor: 'v2', tsa: true }, { artifact }],
    ['instance hashedrekord v2 without TSA', { artifact, rekor: 'v2' }, { artifact }],
    ['instance dsse v1', { statement: st, rekor: 'v1' }, { artifact }],
    ['instance intoto v1', { statement: st, rekor: 'v1', kind: 'intoto' }, { artifact }],
    ['instance dsse v2 + TSA', { statement: st, rekor: 'v2', kind: 'dsse', tsa: true }, { artifact }],
    ['instance DSSE as hashedrekord v2 + TSA', { statement: st, rekor: 'v2', kind: 'hashedrekord', tsa: true }, { artifact }],
    ['instance SCT with extensions', { artifact, rekor: 'v1', leaf: { sctExtensions: Uint8Array.of(1, 2, 3) } }, { artifact }],
    ['instance no SCT', { artifact, rekor: 'v1', leaf: { withSct: false } }, { artifact }],
    ['instance leaf without codeSigning', { artifact, rekor: 'v1', leaf: { codeSigning: false } }, { artifact }],
    ['instance other identity', { artifact, rekor: 'v1' }, { artifact, identity: 'mallory@example.com' }],
  ];
  const out: Case[] = [];
  for (const [name, o, extra] of make) out.push({ name, bundle: await inst.bundle(o), ...base, ...(extra ?? {}) });
  return out;
}

function corpus(): Case[] {
  const prod = productionRootJson();
  const cases: Case[] = [];
  for (const g of GOLDENS) {
    const base = { bundle: g.bundle, root: prod, identity: IDENTITY, issuer: ISSUER };
    cases.push({ name: `${g.name}`, ...base });
    cases.push({ name: `${g.name} other identity`, ...base, identity: 'someone@example.com' });
    cases.push({ name: `${g.name} identity prefix`, ...base, identity: 'stefanb@us.ibm.co' });
    cases.push({ name: `${g.name} other issuer`, ...base, issuer: 'https://accounts.google.com' });
    for (const t of Object.keys(TAMPER)) {
      const b = tamper(g.bundle, t);
      if (b) cases.push({ name: `${g.name} tampered ${t}`, ...base, bundle: b });
    }
    for (const [r, { root }] of Object.entries(OTHER_ROOTS)) cases.push({ name: `${g.name} root ${r}`, ...base, root: root() });
    cases.push({ name: `${g.name} custom_trust_config`, ...base, root: JSON.parse(CUSTOM_TRUST_CONFIG).trustedRoot });
    const noStart = productionRootJson();
    delete noStart.tlogs[0].publicKey.validFor.start;
    cases.push({ name: `${g.name} root tlog without validFor.start`, ...base, root: noStart });
    cases.push({ name: `${g.name} identity substring (sigstore-js string policy)`, ...base, identity: 'stefanb', rawIdentity: true });
  }
  return cases;
}

describe('verdicts equal @sigstore/verify 3.1.1', async () => {
  const cases = [...corpus(), ...(await instanceCorpus())];
  test('the corpus is not trivial', () => {
    expect(cases.length).toBeGreaterThan(80);
    expect(cases.filter((c) => oracle(c.bundle, c.root, c.identity, c.issuer)).length).toBeGreaterThanOrEqual(4 + 3);
  });
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const theirs = oracle(c.bundle, c.root, c.identity, c.issuer, c.rawIdentity, c.artifact);
    const mine = await ours(c.bundle, c.root, c.identity, c.issuer, c.artifact);
    if (mine !== theirs && !ORACLE_WRONG[name]) console.log(name, { theirs, lastOracleError, mine, lastOurError });
    if (ORACLE_WRONG[name]) expect(mine).toBe(!theirs);
    else expect(mine).toBe(theirs);
  });
});
