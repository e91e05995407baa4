/**
 * Differential test (Node only): our verdict on every Sigstore bundle of the corpus — the four goldens, each
 * tampered variant, each alternative trust root, wrong identities — equals @sigstore/verify 3.1.1's.
 * Known cases where the oracle is wrong are listed in ORACLE_WRONG with the reason (there the verdicts must
 * differ); any other disagreement fails the test.
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { parseTrustRoot } from '../../core/sigstore/trust-root.js';
import { verifySignature } from '../../core/verify/verify-model.js';
import { CUSTOM_TRUST_CONFIG, GOLDENS, IDENTITY, ISSUER } from './fixtures.js';
import { OTHER_ROOTS, productionRootJson } from './roots.js';
import { TAMPER, tamper } from './tamper.js';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

/** `@sigstore/verify` as oms-format.md §3.4 calls it; the SAN is escaped so its unanchored regex is exact. */
function oracle(bundle: string, rootJson: unknown, identity: string, issuer: string, rawIdentity = false): boolean {
  try {
    const tm = toTrustMaterial(TrustedRoot.fromJSON(rootJson));
    // rawIdentity: as sigstore-js's own CLI passes it (a string, matched as an unanchored regex).
    const san = rawIdentity ? identity : new RegExp(`^${identity.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    new Verifier(tm, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }).verify(toSignedEntity(bundleFromJSON(JSON.parse(bundle))), {
      subjectAlternativeName: san,
      extensions: { issuer },
    });
    return true;
  } catch {
    return false;
  }
}

async function ours(bundle: string, rootJson: unknown, identity: string, issuer: string): Promise<boolean> {
  try {
    await verifySignature(bundle, { method: 'sigstore', identity, issuer }, { trustedRoot: parseTrustRoot(rootJson, 'test') });
    return true;
  } catch {
    return false;
  }
}

/** Inputs on which @sigstore/verify 3.1.1 is known to be wrong: name → why. */
const ORACLE_WRONG: Record<string, string> = {
  // sigstore-js reads a missing validFor.start as "since the beginning of time" (ts-proto default); the
  // conformance case trust-root-tlog-missing-validity-start_fail says such a root must be rejected.
  ...Object.fromEntries(GOLDENS.map((g) => [`${g.name} root tlog without validFor.start`, 'missing validity start accepted'])),
  // A plain identity string becomes an unanchored RegExp in sigstore-js: a substring of the SAN passes.
  ...Object.fromEntries(GOLDENS.map((g) => [`${g.name} identity substring (sigstore-js string policy)`, 'unanchored SAN match'])),
};

interface Case {
  rawIdentity?: boolean;
  name: string;
  bundle: string;
  root: unknown;
  identity: string;
  issuer: string;
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

describe('verdicts equal @sigstore/verify 3.1.1', () => {
  const cases = corpus();
  test('the corpus is not trivial', () => {
    expect(cases.length).toBeGreaterThan(80);
    expect(cases.filter((c) => oracle(c.bundle, c.root, c.identity, c.issuer)).length).toBeGreaterThanOrEqual(4 + 3);
  });
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const theirs = oracle(c.bundle, c.root, c.identity, c.issuer, c.rawIdentity);
    const mine = await ours(c.bundle, c.root, c.identity, c.issuer);
    if (ORACLE_WRONG[name]) expect(mine).toBe(!theirs);
    else expect(mine).toBe(theirs);
  });
});
