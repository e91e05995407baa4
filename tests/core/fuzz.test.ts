/**
 * Seeded mutation fuzzer over the key/certificate goldens. Bytes are flipped, inserted and deleted in the
 * bundle JSON and inside the decoded payload, signature and certificates. Invariants: a mutation that changes
 * anything signed or checked is never accepted, and every failure is one of our typed errors (never INTERNAL,
 * never a thrown exception). FUZZ_CASES (default 1000; `npm run fuzz` runs 100000) and FUZZ_SEED reproduce a run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyModel, type Policy } from '../../core/index.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { KEY_CERT_GOLDENS, SCRIPTS, policyFor, sigPath } from '../helpers/fixtures.js';

const CASES = Number(process.env.FUZZ_CASES ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

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
    console.log(`fuzz: ${CASES} cases, ${accepted} harmless mutations accepted, rejections by code:`, Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])));
  });
});
