/**
 * core/crypto/keys.ts reads SubjectPublicKeyInfo with its own strict DER reader (asn1js cost the `verify key`
 * start-up ~10 ms). The oracle is the asn1js reading it replaced, kept here as it was (pkijs's PublicKeyInfo /
 * AlgorithmIdentifier / RSAPublicKey schemas under compareSchema). Properties, over real keys of every type
 * node:crypto makes, DER structures built from parts, and random mutations of both:
 *   - whatever the new reader accepts, the oracle accepts and reads the same way (algorithm, curve, RSA bits);
 *   - whatever the new reader refuses and the oracle accepted is KEY_MALFORMED and not DER (the oracle took BER
 *     too) or not the schema (fields after it, impossible unused bits, parameters not as the algorithm's RFC has
 *     them); where both refuse, the codes may differ;
 *   - every structure built as DER that the oracle accepts and that is the schema, the new reader accepts.
 */
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSpki, type KeyAlgorithm } from '../../core/crypto/keys.js';
import { isModelVerifyError } from '../../core/errors.js';

type Outcome = { ok: true; algorithm: KeyAlgorithm } | { ok: false; code: string };

// ---- the oracle: the asn1js reading as it was ----
const CURVES: Record<string, string> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };
function oracle(der: Uint8Array): Outcome {
  let r: { algorithmId: asn1js.ObjectIdentifier; algorithmParams?: asn1js.AsnType; subjectPublicKey: asn1js.BitString };
  try {
    const asn = asn1js.fromBER(der.slice().buffer);
    if (asn.offset === -1 || asn.offset !== der.length) throw new Error('bad DER');
    const schema = new asn1js.Sequence({
      value: [
        new asn1js.Sequence({
          name: 'algorithm',
          value: [new asn1js.ObjectIdentifier({ name: 'algorithmId' }), new asn1js.Any({ name: 'algorithmParams', optional: true })],
        }),
        new asn1js.BitString({ name: 'subjectPublicKey' }),
      ],
    });
    const m = asn1js.compareSchema(asn.result, asn.result, schema);
    if (!m.verified) throw new Error('not a SubjectPublicKeyInfo');
    r = m.result as unknown as typeof r;
  } catch {
    return { ok: false, code: 'KEY_MALFORMED' };
  }
  const oid = r.algorithmId.valueBlock.toString();
  if (oid === '1.2.840.10045.2.1') {
    const p = r.algorithmParams;
    const curve = CURVES[p instanceof asn1js.ObjectIdentifier ? p.valueBlock.toString() : ''];
    return curve ? { ok: true, algorithm: { kind: 'ec', curve } as KeyAlgorithm } : { ok: false, code: 'KEY_UNSUPPORTED' };
  }
  if (oid === '1.2.840.113549.1.1.1') {
    let bits = 0;
    try {
      const asn = asn1js.fromBER(r.subjectPublicKey.valueBlock.valueHexView.slice().buffer);
      if (asn.offset !== -1) {
        const schema = new asn1js.Sequence({ value: [new asn1js.Integer({ name: 'modulus' }), new asn1js.Integer({ name: 'publicExponent' })] });
        const m = asn1js.compareSchema(asn.result, asn.result, schema);
        if (m.verified) {
          const n = (m.result as unknown as { modulus: asn1js.Integer }).modulus.valueBlock.valueHexView;
          let i = 0;
          while (i < n.length && n[i] === 0) i++;
          if (i < n.length) bits = (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
        }
      }
    } catch {
      bits = 0;
    }
    return { ok: true, algorithm: { kind: 'rsa', bits } };
  }
  if (oid === '1.3.101.112') return { ok: true, algorithm: { kind: 'ed25519' } };
  return { ok: false, code: 'KEY_UNSUPPORTED' };
}

function ours(der: Uint8Array): Outcome {
  try {
    return { ok: true, algorithm: parseSpki(der).algorithm };
  } catch (e) {
    if (!isModelVerifyError(e)) throw e; // never anything but a typed error
    return { ok: false, code: e.code };
  }
}

const STRING_TAGS = new Set([3, 4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 30]);

/** Strict DER: asn1js's own re-encoding of what it read gives back the same bytes, all the way down. */
function isDer(der: Uint8Array): boolean {
  try {
    return isDerOrThrow(der);
  } catch {
    return false; // asn1js cannot even re-encode it
  }
}
function isDerOrThrow(der: Uint8Array): boolean {
  const asn = asn1js.fromBER(der.slice().buffer);
  if (asn.offset !== der.length) return false;
  const walk = (b: asn1js.AsnType): boolean => {
    const any = b as unknown as {
      lenBlock: { isIndefiniteForm: boolean; longFormUsed: boolean; length: number };
      idBlock: { isConstructed: boolean; tagNumber: number; tagClass: number };
      valueBlock: { value?: asn1js.AsnType[] };
    };
    if (any.lenBlock.isIndefiniteForm) return false;
    if (any.idBlock.tagClass === 1 && any.idBlock.tagNumber === 0) return false; // end-of-contents
    // An OBJECT IDENTIFIER's arcs are minimal: none starts with 0x80 (X.690 8.19.2).
    if (b instanceof asn1js.ObjectIdentifier) {
      const v = b.valueBlock.valueBeforeDecodeView;
      if (v.some((x, i) => x === 0x80 && (i === 0 || !(v[i - 1]! & 0x80)))) return false;
    }
    if (any.lenBlock.longFormUsed && any.lenBlock.length < 0x80) return false;
    // Constructed strings (BIT, OCTET and the character strings) are BER only (X.690 10.2).
    if (any.idBlock.tagClass === 1 && any.idBlock.isConstructed && STRING_TAGS.has(any.idBlock.tagNumber)) return false;
    const kids = any.valueBlock.value;
    return !Array.isArray(kids) || kids.every((c) => !(c instanceof asn1js.BaseBlock) || walk(c));
  };
  return walk(asn.result) && Buffer.from(asn.result.toBER(false)).equals(Buffer.from(der));
}

/**
 * What strict reading refuses although it is DER: fields beyond the schema's (compareSchema matched a prefix;
 * SubjectPublicKeyInfo has 2, AlgorithmIdentifier 1–2), and a BIT STRING's impossible unused-bit count.
 */
function beyondSchema(der: Uint8Array): boolean {
  const asn = asn1js.fromBER(der.slice().buffer);
  const outer = (asn.result as asn1js.Sequence).valueBlock.value ?? [];
  const alg = outer[0] instanceof asn1js.Sequence ? outer[0].valueBlock.value : [];
  // A BIT STRING's unused-bit count is 0–7, and 0 when it holds no bits (X.690 8.6.2).
  const bits = outer[1] instanceof asn1js.BitString ? outer[1].valueBlock : undefined;
  const badBits = bits !== undefined && (bits.unusedBits > 7 || (bits.unusedBits !== 0 && bits.valueHexView.length === 0));
  // Parameters other than the algorithm's RFC has them: RSA NULL or absent, Ed25519 absent.
  const oid = alg[0] instanceof asn1js.ObjectIdentifier ? alg[0].valueBlock.toString() : '';
  const p = alg[1];
  const badParams =
    (oid === '1.2.840.113549.1.1.1' && p !== undefined && !(p instanceof asn1js.Null && p.valueBlock.valueBeforeDecodeView.length === 0)) ||
    (oid === '1.3.101.112' && p !== undefined);
  // RSA: the key is exactly SEQUENCE { INTEGER, INTEGER } in DER, filling the BIT STRING.
  let badRsa = false;
  if (oid === '1.2.840.113549.1.1.1' && bits) {
    const inner = bits.valueHexView;
    try {
      const asn = asn1js.fromBER(inner.slice().buffer);
      const kids = asn.result instanceof asn1js.Sequence ? asn.result.valueBlock.value : [];
      badRsa =
        asn.offset !== inner.length ||
        kids.length !== 2 ||
        !kids.every(
          (k) => k.idBlock.tagClass === 1 && k.idBlock.tagNumber === 2 && !k.idBlock.isConstructed && (k as asn1js.Integer).valueBlock.valueHexView.length > 0,
        ) ||
        !isDer(inner);
    } catch {
      badRsa = true; // asn1js cannot read it at all
    }
  }
  return outer.length !== 2 || alg.length > 2 || badBits || badParams || badRsa;
}

function check(der: Uint8Array): void {
  const mine = ours(der);
  const theirs = oracle(der);
  if (mine.ok) expect(theirs).toEqual(mine);
  else if (theirs.ok) {
    expect(mine.code).toBe('KEY_MALFORMED');
    expect(!isDer(der) || beyondSchema(der)).toBe(true);
  }
}

// ---- inputs ----
const spki = (o: Parameters<typeof generateKeyPairSync>[1]) => (t: string) =>
  new Uint8Array(
    generateKeyPairSync(t as 'ec', { ...(o as object), publicKeyEncoding: { type: 'spki', format: 'der' } } as never).publicKey as unknown as Buffer,
  );
const REAL: Uint8Array[] = [
  ...['prime256v1', 'secp384r1', 'secp521r1', 'secp256k1', 'brainpoolP256r1'].map((namedCurve) => spki({ namedCurve } as never)('ec')),
  ...[2048, 3072, 1024, 4096].map((modulusLength) => spki({ modulusLength } as never)('rsa')),
  spki({})('ed25519'),
  spki({})('ed448'),
  spki({})('x25519'),
  spki({ modulusLength: 2048 } as never)('dsa'),
];

/** DER TLV with a minimal length (the test's own small encoder). */
function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return new Uint8Array([tag, ...len, ...body]);
}
const cat = (...p: Uint8Array[]) => new Uint8Array(p.flatMap((x) => [...x]));
function oidBytes(arcs: bigint[]): Uint8Array {
  const out: number[] = [];
  const put = (v: bigint) => {
    const g: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) g.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...g);
  };
  put(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) put(a);
  return tlv(0x06, new Uint8Array(out));
}
const KNOWN_OIDS = ['1.2.840.10045.2.1', '1.2.840.113549.1.1.1', '1.3.101.112', '1.2.840.10045.3.1.7', '1.3.132.0.34', '1.3.132.0.35', '1.3.132.0.10'].map(
  (s) => s.split('.').map(BigInt),
);
const arcsArb = fc.oneof(
  fc.constantFrom(...KNOWN_OIDS),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 2n }), fc.bigInt({ min: 0n, max: 39n }), fc.array(fc.bigInt({ min: 0n, max: 1n << 70n }), { maxLength: 6 }))
    .map(([a, b, r]) => [a, b, ...r]),
);
const rsaKey = fc
  .tuple(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.uint8Array({ minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([n, e, extra]) => cat(tlv(0x30, cat(tlv(0x02, n), tlv(0x02, e), extra ? tlv(0x05, new Uint8Array()) : new Uint8Array()))));
const structured = fc
  .record({
    oid: arcsArb,
    params: fc.oneof(
      fc.constant(undefined),
      arcsArb.map(oidBytes),
      fc.constant(tlv(0x05, new Uint8Array())),
      fc.uint8Array({ maxLength: 8 }).map((b) => tlv(0x04, b)),
    ),
    extraAlg: fc.boolean(),
    unused: fc.constantFrom(0, 0, 0, 1, 7, 8),
    key: fc.oneof(rsaKey, fc.uint8Array({ maxLength: 140 })),
    extraOuter: fc.boolean(),
  })
  .map(({ oid, params, extraAlg, unused, key, extraOuter }) =>
    tlv(
      0x30,
      cat(
        tlv(0x30, cat(oidBytes(oid), params ?? new Uint8Array(), extraAlg ? tlv(0x05, new Uint8Array()) : new Uint8Array())),
        tlv(0x03, cat(new Uint8Array([unused]), key)),
        extraOuter ? tlv(0x05, new Uint8Array()) : new Uint8Array(),
      ),
    ),
  );
/** Byte flips, insertions, deletions and truncations of a real key or a structured one. */
const mutated = fc
  .tuple(
    fc.oneof(fc.constantFrom(...REAL), structured),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([base, edits]) => {
    const b = [...base];
    for (const [at, kind, v] of edits) {
      const i = b.length ? at % b.length : 0;
      if (kind === 0) b[i] = v;
      else if (kind === 1) b.splice(i, 0, v);
      else if (kind === 2) b.splice(i, 1);
      else b.length = i;
    }
    return new Uint8Array(b);
  });

describe('SPKI reading (strict DER) against the asn1js reading it replaced', () => {
  it('real keys of every type node:crypto makes read as the oracle reads them', () => {
    for (const der of REAL) {
      expect(ours(der)).toEqual(oracle(der));
      check(der);
    }
    expect(REAL.map((k) => ours(k)).filter((o) => o.ok).length).toBe(8); // 3 NIST curves, 4 RSA sizes, Ed25519
  });

  it('DER structures built from parts: the same outcome as the oracle', () => {
    fc.assert(
      fc.property(structured, (der) => {
        check(der);
        // Built as DER: where the oracle accepts the schema's fields and no more, so do we.
        if (oracle(der).ok && !beyondSchema(der)) expect(ours(der).ok).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutations (flips, insertions, deletions, truncations): never a different reading, never an accept the oracle refuses', () => {
    fc.assert(fc.property(mutated, check), { numRuns: 5000 });
  });

  it('BER forms asn1js took are KEY_MALFORMED: indefinite and non-minimal lengths', () => {
    const key = REAL[0]!; // 30 59 30 13 06 07 ... 03 42 00 04 ...
    expect(oracle(key).ok).toBe(true);
    const longForm = new Uint8Array([0x30, 0x81, 0x59, ...key.subarray(2)]);
    const indefinite = new Uint8Array([0x30, 0x80, ...key.subarray(2), 0x00, 0x00]);
    for (const ber of [longForm, indefinite]) {
      expect(oracle(ber).ok).toBe(true);
      expect(ours(ber)).toEqual({ ok: false, code: 'KEY_MALFORMED' });
    }
  });

  it('bounded on hostile lengths: a length past the end, or of more than 3 bytes, is refused without reading on', () => {
    for (const der of [
      new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array([0x30, 0x83, 0xff, 0xff, 0xff, 0x30]),
      new Uint8Array([0x30]),
      new Uint8Array(),
    ]) {
      expect(ours(der)).toEqual({ ok: false, code: 'KEY_MALFORMED' });
    }
  });
});
