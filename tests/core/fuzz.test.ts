/**
 * Seeded mutation fuzzer over the key/certificate goldens. Bytes are flipped, inserted and deleted in the
 * bundle JSON and inside the decoded payload, signature and certificates. Invariants: a mutation that changes
 * anything signed or checked is never accepted, and every failure is one of our typed errors (never INTERNAL,
 * never a thrown exception). FUZZ_CASES (default 1000; `npm run fuzz` runs 100000) and FUZZ_SEED reproduce a run.
 *
 * Issue 10 classes (FUZZ_CASES / 20 each): certificate-chain floods (look-alike intermediates; decided within the
 * path-building budgets, accepted exactly when the real chain is there), nameConstraints (random permitted or
 * excluded subtrees, critical or not, random names in or out of them; accepted exactly when no name violates),
 * several DSSE signatures, and duplicate JSON keys / both spellings of a field (never accepted).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyModel, type Policy, type VerificationReport } from '../../core/index.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { parseCertificate } from '../../core/x509/certificate.js';
import { chainWork, MAX_ISSUER_CANDIDATES, MAX_PATH_STEPS, MAX_SIGNATURE_CHECKS } from '../../core/x509/chain.js';
import { KEY_CERT_GOLDENS, SCRIPTS, policyFor, sigPath } from '../helpers/fixtures.js';
import { certBundle, issue, type Dn, type GName, type IssuedCert } from '../helpers/pki.js';

const CASES = Number(process.env.FUZZ_CASES ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
/** Cases per issue-10 class: each runs a whole verification (some issue certificates), so fewer than the byte mutations. */
const CLASS_CASES = Math.max(20, Math.round(CASES / 20));

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  name: string;
  bundle: string;
  policy: Policy;
  source: () => MemorySource;
}

function corpus(): Case[] {
  return KEY_CERT_GOLDENS.map((g) => {
    const model = path.join(SCRIPTS, g.model);
    const files: Record<string, Uint8Array> = {};
    if (g.model.endsWith('signme-1')) files['.'] = readFileSync(model);
    else for (const f of ['signme-1', 'signme-2']) files[f] = readFileSync(path.join(model, f));
    const name = path.basename(model);
    return { name: g.name, bundle: readFileSync(sigPath(g), 'utf8'), policy: policyFor(g), source: () => new MemorySource(name, files) };
  });
}

/** What verification depends on, extracted independently of our parser (JSON.parse + Buffer). */
function content(text: string): string | null {
  try {
    const b = JSON.parse(text);
    const vm = b.verificationMaterial;
    const env = b.dsseEnvelope;
    return JSON.stringify([
      b.mediaType,
      env.payloadType,
      Buffer.from(env.payload, 'base64').toString('hex'),
      env.signatures.map((s: { sig: string }) => Buffer.from(s.sig, 'base64').toString('hex')),
      // publicKey.hint is unsigned metadata: dropping it only loses the early key-mismatch message.
      vm.publicKey === undefined,
      (vm.x509CertificateChain?.certificates ?? []).map((c: { rawBytes: string }) => Buffer.from(c.rawBytes, 'base64').toString('hex')),
      Object.keys(b).sort(),
    ]);
  } catch {
    return null;
  }
}

function mutateBytes(b: Uint8Array, r: () => number): Uint8Array {
  const pos = Math.floor(r() * (b.length + 1));
  const op = Math.floor(r() * 3);
  if (op === 0 && b.length > 0) {
    const out = b.slice();
    const i = Math.min(pos, b.length - 1);
    out[i]! ^= 1 << Math.floor(r() * 8);
    return out;
  }
  if (op === 1) {
    const out = new Uint8Array(b.length + 1);
    out.set(b.subarray(0, pos));
    out[pos] = Math.floor(r() * 256);
    out.set(b.subarray(pos), pos + 1);
    return out;
  }
  if (b.length === 0) return b;
  const i = Math.min(pos, b.length - 1);
  return new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)]);
}

/** One mutation of a bundle, in one of several layers. */
function mutate(text: string, r: () => number): string | Uint8Array {
  const layer = Math.floor(r() * 5);
  if (layer === 0) return mutateBytes(new TextEncoder().encode(text), r); // raw JSON bytes
  const b = JSON.parse(text);
  const env = b.dsseEnvelope;
  const vm = b.verificationMaterial;
  const reencode = (s: string) => Buffer.from(mutateBytes(new Uint8Array(Buffer.from(s, 'base64')), r)).toString('base64');
  if (layer === 1) env.payload = reencode(env.payload);
  else if (layer === 2) env.signatures[0].sig = reencode(env.signatures[0].sig);
  else if (layer === 3 && vm.x509CertificateChain) {
    const certs = vm.x509CertificateChain.certificates;
    const c = certs[Math.floor(r() * certs.length)];
    c.rawBytes = reencode(c.rawBytes);
  } else {
    // structural: swap a field for a value of another type
    const targets: [Record<string, unknown>, string][] = [
      [b, 'mediaType'],
      [env, 'payloadType'],
      [env, 'signatures'],
      [vm, Object.keys(vm)[0]!],
      [b, 'verificationMaterial'],
    ];
    const [obj, key] = targets[Math.floor(r() * targets.length)]!;
    const values = [null, 0, '', [], {}, 'x', true, [{}], { rawBytes: 'AA==' }];
    obj[key] = values[Math.floor(r() * values.length)];
  }
  return JSON.stringify(b);
}

describe('mutation fuzzer', () => {
  it(`${CASES} mutations (seed ${SEED}): none accepted, all typed`, { timeout: Math.max(120_000, CASES * 60) }, async () => {
    const cases = corpus();
    const r = rng(SEED);
    const originals = new Map(cases.map((c) => [c.name, content(c.bundle)]));
    const codes = new Map<string, number>();
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const c = cases[i % cases.length]!;
      const mutated = mutate(c.bundle, r);
      const text = typeof mutated === 'string' ? mutated : Buffer.from(mutated).toString('utf8');
      const changed = content(text) !== originals.get(c.name);
      let report;
      try {
        report = await verifyModel(c.source(), mutated, c.policy);
      } catch (e) {
        throw new Error(`case ${i} (seed ${SEED}, ${c.name}) threw: ${(e as Error).stack}`);
      }
      if (report.verified) {
        accepted++;
        if (changed) throw new Error(`case ${i} (seed ${SEED}, ${c.name}): a semantic mutation was ACCEPTED:\n${text}`);
        continue;
      }
      const code = report.errors[0]!.code;
      if (code === 'INTERNAL') throw new Error(`case ${i} (seed ${SEED}, ${c.name}): untyped failure ${report.errors[0]!.message}\n${text}`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    // A corpus this small must exercise many different rejections, or the fuzzer is not reaching deep.
    expect(codes.size).toBeGreaterThanOrEqual(CASES >= 1000 ? 6 : 1);
    expect(accepted).toBeLessThan(CASES / 10);
    console.log(
      `fuzz: ${CASES} cases, ${accepted} harmless mutations accepted, rejections by code:`,
      Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Issue 10 classes

const CERT_GOLDEN = 'v1.1.0-certificate';
const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function shuffle<T>(r: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Runs one case: never a thrown exception, never INTERNAL; returns the report and the path-building work. */
async function runCase(label: string, c: Case, bundle: string, policy: Policy = c.policy) {
  const before = { ...chainWork };
  let report: VerificationReport;
  try {
    report = await verifyModel(c.source(), bundle, policy);
  } catch (e) {
    throw new Error(`${label} threw: ${(e as Error).stack}\n${bundle}`);
  }
  const code = report.verified ? 'verified' : report.errors[0]!.code;
  if (code === 'INTERNAL') throw new Error(`${label}: untyped failure ${report.errors[0]!.message}\n${bundle}`);
  return { report, code, signatureChecks: chainWork.signatureChecks - before.signatureChecks, pathSteps: chainWork.pathSteps - before.pathSteps };
}

function tally(codes: Map<string, number>, code: string): void {
  codes.set(code, (codes.get(code) ?? 0) + 1);
}

describe('issue 10 fuzz classes', () => {
  let cases: Case[];
  let certCase: Case;
  /** Self-named CAs called like the goldens' intermediate and root, each group sharing one key. */
  let intLookAlikes: IssuedCert[];
  let rootLookAlikes: IssuedCert[];
  /** A leaf issued under the intermediate look-alikes' key. */
  let floodLeaf: IssuedCert;

  beforeAll(async () => {
    cases = corpus();
    certCase = cases.find((c) => c.name === CERT_GOLDEN)!;
    const intKeys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const rootKeys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    // The goldens' own Name encodings, so the look-alikes really share the names path building compares.
    const int = parseCertificate(Buffer.from(JSON.parse(certCase.bundle).verificationMaterial.x509CertificateChain.certificates[1].rawBytes, 'base64'));
    const rootName = int.cert.issuer;
    intLookAlikes = [];
    rootLookAlikes = [];
    for (let i = 0; i < 12; i++) intLookAlikes.push(await issue({ cn: 'intermediate-ca', rdn: int.cert.subject, keys: intKeys, ca: true }));
    for (let i = 0; i < 9; i++) rootLookAlikes.push(await issue({ cn: 'root-ca', rdn: rootName, keys: rootKeys, ca: true }));
    floodLeaf = await issue({ cn: 'intermediate-ca', issuer: intLookAlikes[0]!, codeSigning: true });
  });

  it(`${CLASS_CASES} chain floods: decided within the budgets, accepted exactly when the real chain is there`, {
    timeout: Math.max(120_000, CLASS_CASES * 200),
  }, async () => {
    const r = rng(SEED ^ 0xf100d);
    const codes = new Map<string, number>();
    const goldens = cases.filter((c) => KEY_CERT_GOLDENS.find((g) => g.name === c.name)!.method === 'certificate');
    // Every certificate golden's chain is [leaf, the reference intermediate]; the anchor is the reference root.
    for (let i = 0; i < CLASS_CASES; i++) {
      const c = pick(r, goldens);
      const b = JSON.parse(c.bundle);
      const [leafB64, intB64] = b.verificationMaterial.x509CertificateChain.certificates.map((x: { rawBytes: string }) => x.rawBytes) as string[];
      const useFloodLeaf = r() < 0.25;
      const withRealInt = r() < 0.75;
      const chain: string[] = [];
      if (withRealInt) chain.push(intB64!);
      const nInt = Math.floor(r() * 13);
      const nRoot = r() < 0.5 ? 0 : Math.floor(r() * 10);
      // Drawn with repetition: copies of one certificate must count once.
      for (let k = 0; k < nInt; k++) chain.push(b64(pick(r, intLookAlikes).der));
      for (let k = 0; k < nRoot; k++) chain.push(b64(pick(r, rootLookAlikes).der));
      shuffle(r, chain);
      const leaf = useFloodLeaf ? b64(floodLeaf.der) : leafB64!;
      b.verificationMaterial.x509CertificateChain.certificates = [leaf, ...chain].map((rawBytes) => ({ rawBytes }));
      const text = JSON.stringify(b);
      const label = `flood case ${i} (seed ${SEED}, ${c.name})`;
      const out = await runCase(label, c, text);
      tally(codes, out.code);
      expect(out.signatureChecks, label).toBeLessThanOrEqual(MAX_SIGNATURE_CHECKS);
      expect(out.pathSteps, label).toBeLessThanOrEqual(MAX_PATH_STEPS);
      const distinct = new Set(chain);
      const intPool = [...distinct].filter((d) => d === intB64 || intLookAlikes.some((x) => b64(x.der) === d)).length;
      const rootPool = 1 + [...distinct].filter((d) => rootLookAlikes.some((x) => b64(x.der) === d)).length;
      const expected = !useFloodLeaf && withRealInt && intPool <= MAX_ISSUER_CANDIDATES && rootPool <= MAX_ISSUER_CANDIDATES && chain.length + 1 <= 16;
      if (out.report.verified !== expected) {
        throw new Error(
          `${label}: expected ${expected ? 'verified' : 'refused'}, got ${out.code} (${out.report.errors[0]?.message}); ${chain.length} chain certificates, ${intPool} named like the intermediate, ${rootPool} like the root`,
        );
      }
    }
    expect(codes.get('verified') ?? 0).toBeGreaterThan(0);
    expect(codes.get('CERT_CHAIN_TOO_COMPLEX') ?? 0).toBeGreaterThan(0);
    console.log(`fuzz floods: ${CLASS_CASES} cases:`, Object.fromEntries(codes));
  });

  it(`${CLASS_CASES} nameConstraints cases: accepted exactly when no name violates`, { timeout: Math.max(120_000, CLASS_CASES * 300) }, async () => {
    const r = rng(SEED ^ 0x2c);
    const codes = new Map<string, number>();
    const payload = Buffer.from(JSON.parse(certCase.bundle).dsseEnvelope.payload, 'base64');
    const root = await issue({ cn: 'nc-fuzz-root', ca: true });
    const policy: Policy = { method: 'certificate', anchors: [root.pem] };
    const cas = new Map<string, IssuedCert>();
    const label = (s: string) => s + (r() < 0.5 ? '' : '.' + pick(r, ['a', 'b1', 'x-y', 'deep.er']));
    const upper = (s: string) => (r() < 0.3 ? s.toUpperCase() : s);

    /** Per form: subtree bases, and for each base names inside and outside it. */
    const FORMS: Record<string, { bases: string[]; inside: (b: string) => string; outside: (b: string) => string; gname: (base: string) => GName }> = {
      dns: {
        bases: ['example.com', '.example.com', 'models.test'],
        inside: (b) => upper(b.startsWith('.') ? label('w') + b : r() < 0.5 ? b : label('w') + '.' + b),
        outside: (b) =>
          pick(
            r,
            [b.replace(/^\./, ''), 'bad' + b.replace(/^\./, ''), b.replace(/^\./, '') + '.evil.org', 'evil.org'].filter(
              (n) => !(b.startsWith('.') ? false : n === b),
            ),
          ),
        gname: (dns) => ({ dns }),
      },
      email: {
        bases: ['example.com', '.example.com', 'alice@example.com'],
        inside: (b) =>
          b.includes('@')
            ? b.replace('example.com', upper('example.com'))
            : b.startsWith('.')
              ? `u@${label('x')}${b}`
              : `${pick(r, ['u', 'Bob', 'a.b'])}@${upper(b)}`,
        outside: (b) =>
          b.includes('@')
            ? pick(r, ['bob@example.com', 'Alice@example.com', 'alice@evil.org'])
            : b.startsWith('.')
              ? pick(r, ['u@example.com', 'u@evil.org'])
              : pick(r, ['u@sub.example.com', 'u@evil.org', 'u@badexample.com']),
        gname: (email) => ({ email }),
      },
      uri: {
        bases: ['example.com', '.example.com'],
        inside: (b) =>
          `${pick(r, ['https', 'http', 'spiffe'])}://${b.startsWith('.') ? label('ci') + b : upper(b)}${pick(r, ['', ':8443', '/x', '/a/b@refs/heads/main?q#f'])}`,
        outside: (b) =>
          pick(
            r,
            b.startsWith('.')
              ? ['https://example.com/', 'https://badexample.com/', 'https://evil.org/.example.com']
              : ['https://sub.example.com/', 'https://evil.org/example.com', 'https://example.com@evil.org/', 'https://example.com.evil.org/'],
          ),
        gname: (uri) => ({ uri }),
      },
      ip: {
        bases: ['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8'],
        inside: (b) => (b.startsWith('10.') ? `10.${Math.floor(r() * 256)}.0.1` : b.startsWith('192.') ? `192.168.${Math.floor(r() * 256)}.7` : 'fd12::1'),
        outside: (b) => pick(r, b.startsWith('fd') ? ['fe80::1', '10.0.0.1'] : ['11.0.0.1', '192.169.0.1', '::1']),
        gname: (ip) => ({ ip }),
      },
    };

    for (let i = 0; i < CLASS_CASES; i++) {
      const useDn = r() < 0.2;
      const form = pick(r, Object.keys(FORMS));
      const spec = FORMS[form]!;
      const mode = r() < 0.5 ? 'permitted' : 'excluded';
      const critical = r() < 0.5;
      let caKey: string;
      let names: { name: GName; inside: boolean }[] = [];
      let dn: Dn = [['CN', `leaf ${i}`]];
      let dnInside = false;
      if (useDn) {
        // directoryName: the subject DN (and maybe a SAN directoryName) against [O=Example] or [C=US, O=Example].
        const base: Dn =
          r() < 0.5
            ? [['O', 'Example']]
            : [
                ['C', 'US'],
                ['O', 'Example'],
              ];
        caKey = `dn|${JSON.stringify(base)}|${mode}|${critical}`;
        if (!cas.has(caKey))
          cas.set(caKey, await issue({ cn: `nc-ca ${cas.size}`, issuer: root, ca: true, nameConstraints: { [mode]: [{ dn: base }], critical } }));
        dnInside = r() < 0.5;
        dn = dnInside
          ? [...base.map(([t, v]) => [t, r() < 0.3 ? ` ${v.toUpperCase()}  ` : v] as const), ['CN', `leaf ${i}`]]
          : pick(r, [
              [
                ['O', 'Other'],
                ['CN', 'x'],
              ],
              [['CN', 'x']],
              ...(base.length > 1 ? [[...base].reverse().concat([['CN', 'x']])] : []),
            ] as Dn[]);
        if (r() < 0.3) names.push({ name: { dns: 'unconstrained.example.org' }, inside: true });
      } else {
        const base = pick(r, spec.bases);
        caKey = `${form}|${base}|${mode}|${critical}`;
        if (!cas.has(caKey))
          cas.set(caKey, await issue({ cn: `nc-ca ${cas.size}`, issuer: root, ca: true, nameConstraints: { [mode]: [spec.gname(base)], critical } }));
        const n = 1 + Math.floor(r() * 3);
        for (let k = 0; k < n; k++) {
          const inside = r() < 0.6;
          names.push({ name: spec.gname(inside ? spec.inside(base) : spec.outside(base)), inside });
        }
        // A name of another form is not bound by this constraint.
        if (r() < 0.3) names.push({ name: form === 'dns' ? { email: 'someone@elsewhere.org' } : { dns: 'elsewhere.org' }, inside: mode === 'permitted' });
        names = shuffle(r, names);
      }
      const ca = cas.get(caKey)!;
      const leaf = await issue({ cn: `leaf ${i}`, dn, issuer: ca, codeSigning: true, san: names.length ? names.map((n) => n.name) : undefined });
      const bundle = await certBundle(payload, leaf, [ca]);
      const constrained = useDn
        ? [{ inside: dnInside }]
        : names.filter((n) => !('dns' in n.name && n.name.dns === 'elsewhere.org') && !('email' in n.name && n.name.email === 'someone@elsewhere.org'));
      const violates = mode === 'permitted' ? constrained.some((n) => !n.inside) : constrained.some((n) => n.inside);
      const what = `nameConstraints case ${i} (seed ${SEED}): ${caKey}, subject ${JSON.stringify(dn)}, SAN ${JSON.stringify(names)}`;
      const out = await runCase(what, certCase, bundle, policy);
      tally(codes, out.code);
      if (violates ? out.code !== 'CERT_CONSTRAINTS' : !out.report.verified) {
        throw new Error(`${what}: expected ${violates ? 'CERT_CONSTRAINTS' : 'verified'}, got ${out.code} (${out.report.errors[0]?.message})`);
      }
    }
    expect(codes.get('verified') ?? 0).toBeGreaterThan(0);
    expect(codes.get('CERT_CONSTRAINTS') ?? 0).toBeGreaterThan(0);
    console.log(`fuzz nameConstraints: ${CLASS_CASES} cases:`, Object.fromEntries(codes));
  });

  it(`${CLASS_CASES} envelopes with several signatures: never accepted`, { timeout: Math.max(120_000, CLASS_CASES * 100) }, async () => {
    const r = rng(SEED ^ 0x515);
    const codes = new Map<string, number>();
    const others = cases.map((c) => JSON.parse(c.bundle).dsseEnvelope.signatures[0]);
    for (let i = 0; i < CLASS_CASES; i++) {
      const c = cases[i % cases.length]!;
      const b = JSON.parse(c.bundle);
      const valid = b.dsseEnvelope.signatures[0];
      const flipped = Buffer.from(valid.sig, 'base64');
      flipped[Math.floor(r() * flipped.length)]! ^= 1 << Math.floor(r() * 8);
      const garbage = () =>
        pick(r, [
          { sig: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 100) }, () => Math.floor(r() * 256))).toString('base64'), keyid: '' },
          { sig: '', keyid: '' },
          { sig: flipped.toString('base64'), keyid: '' },
          { ...valid, keyid: 'another-key' },
          pick(r, others),
          {},
        ]);
      const shape = pick(r, ['valid,garbage', 'garbage,valid', 'valid,valid', 'valid,garbage,garbage', 'garbage,garbage,valid']);
      b.dsseEnvelope.signatures = shape.split(',').map((s) => (s === 'valid' ? { ...valid } : garbage()));
      const out = await runCase(`signatures case ${i} (seed ${SEED}, ${c.name}, ${shape})`, c, JSON.stringify(b));
      tally(codes, out.code);
      if (out.report.verified) throw new Error(`signatures case ${i} (seed ${SEED}, ${c.name}): [${shape}] was ACCEPTED`);
    }
    console.log(`fuzz signatures: ${CLASS_CASES} cases:`, Object.fromEntries(codes));
  });

  it(`${CLASS_CASES} duplicate keys and double spellings: never accepted`, { timeout: Math.max(120_000, CLASS_CASES * 100) }, async () => {
    const r = rng(SEED ^ 0xd0b);
    const codes = new Map<string, number>();
    const parsed = cases.map((c) => JSON.parse(c.bundle));
    /** Every object in `v` with its path of keys. */
    const objects = (v: unknown, at: string[] = [], out: { at: string[]; o: Record<string, unknown> }[] = []) => {
      if (Array.isArray(v)) v.forEach((x, i) => objects(x, [...at, String(i)], out));
      else if (v && typeof v === 'object') {
        out.push({ at, o: v as Record<string, unknown> });
        for (const [k, x] of Object.entries(v)) objects(x, [...at, k], out);
      }
      return out;
    };
    const get = (v: unknown, at: string[]): unknown =>
      at.reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), v);
    const alias = (k: string) =>
      /[A-Z]/.test(k)
        ? k.replace(/[A-Z]/g, (ch) => '_' + ch.toLowerCase())
        : k.includes('_')
          ? k.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase())
          : null;
    for (let i = 0; i < CLASS_CASES; i++) {
      const ci = i % cases.length;
      const c = cases[ci]!;
      const b = parsed[ci];
      const nodes = objects(b).filter((n) => Object.keys(n.o).length > 0);
      const node = pick(r, nodes);
      const key = pick(r, Object.keys(node.o));
      const aka = alias(key);
      const spelling = aka !== null && r() < 0.6 ? aka : key;
      // The second value: the same, the same field of another golden, or something else entirely.
      const other = get(pick(r, parsed), [...node.at, key]);
      const second = pick(r, [node.o[key], other === undefined ? node.o[key] : other, 'x', null, {}]);
      const before = r() < 0.5;
      const render = (v: unknown, at: string[]): string => {
        if (Array.isArray(v)) return `[${v.map((x, j) => render(x, [...at, String(j)])).join(',')}]`;
        if (!v || typeof v !== 'object') return JSON.stringify(v);
        const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${render(x, [...at, k])}`);
        if (at.join('/') === node.at.join('/')) {
          const extra = `${JSON.stringify(spelling)}:${JSON.stringify(second)}`;
          if (before) entries.unshift(extra);
          else entries.push(extra);
        }
        return `{${entries.join(',')}}`;
      };
      const text = render(b, []);
      const what = `keys case ${i} (seed ${SEED}, ${c.name}): ${[...node.at, key].join('.')} again as ${spelling} ${before ? 'before' : 'after'}`;
      const out = await runCase(what, c, text);
      tally(codes, out.code);
      if (out.report.verified) throw new Error(`${what} was ACCEPTED:\n${text}`);
    }
    console.log(`fuzz duplicate keys: ${CLASS_CASES} cases:`, Object.fromEntries(codes));
  });
});
