/**
 * parseBundle's long-string cut (reader.ts cutBlobs: strings of BLOB_MIN_CHARS or more are left out of the parsed text
 * and the DSSE payload decoded from the file's bytes) against the plain reading of the same document as text, which
 * never cuts: same bundle or same error (message included), the same payload bytes and the same PAE, whatever the long
 * strings are (valid or broken base64, escapes, non-ASCII, characters that break the JSON), wherever they sit
 * (payload, other values, keys, arrays, `__proto__`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pae } from '../../core/bundle/dsse.js';
import { BLOB_MIN_CHARS, parseBundle } from '../../core/bundle/reader.js';
import { IN_TOTO_PAYLOAD_TYPE, MEDIA_TYPE_V03, type Bundle } from '../../core/bundle/types.js';
import { base64AsciiEquals, fromBase64Ascii, toBase64 } from '../../core/util/bytes.js';

const bytesOf = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 5)) & 0xff);
const b64 = (n: number, seed: number) => toBase64(bytesOf(n, seed));
const at = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);
/** A key-signed DSSE bundle's UTF-8 text carrying `payload` (the signature is not checked by parseBundle). */
const dsseBundleBytes = (payload: Uint8Array) =>
  new TextEncoder().encode(
    JSON.stringify({
      mediaType: MEDIA_TYPE_V03,
      verificationMaterial: { publicKey: { hint: 'h' } },
      dsseEnvelope: { payload: toBase64(payload), payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: 'AA==', keyid: '' }] },
    }),
  );

/** Long strings (and a short one) of every kind the cut must either take exactly or leave alone. */
const BASE = b64(Math.ceil((BLOB_MIN_CHARS * 3) / 4) + 5, 1);
const LONG: string[] = [
  BASE, // valid, padded
  b64((BLOB_MIN_CHARS * 3) / 4, 2), // exactly BLOB_MIN_CHARS characters, no padding
  b64((BLOB_MIN_CHARS * 3) / 4 - 3, 3), // just under the threshold: never cut
  at(BASE, 1000, '!'), // printable but not base64: cut, then refused by the decoder
  at(BASE, 1000, '='), // padding in the middle
  BASE.replace(/=+$/, ''), // unpadded
  `${BASE}A`, // a length base64 cannot have
  at(BASE, 2000, 'é'), // non-ASCII: never cut
  at(BASE, 3000, '\\'), // needs an escape in JSON: never cut
  at(BASE, 4000, '"'),
  at(BASE, 5000, '\n'),
  'AAAA',
];

const ws = fc.constantFrom('', ' ', '\n', '\t ');
type Doc = { raw: boolean; payload: number; hint: number | null; extra: [string, number][]; tlog: number[]; payloadType: string; key: number | null };
const doc: fc.Arbitrary<Doc> = fc.record({
  raw: fc.boolean(),
  payload: fc.integer({ min: 0, max: LONG.length - 1 }),
  hint: fc.option(fc.integer({ min: 0, max: LONG.length - 1 })),
  extra: fc.array(fc.tuple(fc.constantFrom('extra', '__proto__', 'payloadx', 'payload'), fc.integer({ min: 0, max: LONG.length - 1 })), { maxLength: 2 }),
  tlog: fc.array(fc.integer({ min: 0, max: LONG.length - 1 }), { maxLength: 2 }),
  payloadType: fc.constantFrom(IN_TOTO_PAYLOAD_TYPE, 'text/plain'),
  key: fc.option(fc.integer({ min: 0, max: LONG.length - 1 })),
});

/** The document as text, written out by hand so the whitespace between tokens varies. */
function write(d: Doc, w: string): string {
  const s = (i: number) => JSON.stringify(LONG[i]);
  const obj = (pairs: [string, string][]) => `{${w}${pairs.map(([k, v]) => `${JSON.stringify(k)}${w}:${w}${v}`).join(`${w},${w}`)}${w}}`;
  const env = obj([
    // Raw: the characters put between quotes as they are (a quote, a newline or a backslash then breaks the JSON).
    ['payload', d.raw ? `"${LONG[d.payload]}"` : s(d.payload)],
    ['payloadType', JSON.stringify(d.payloadType)],
    [
      'signatures',
      `[${w}${obj([
        ['sig', '"MEUCIQ=="'],
        ['keyid', '""'],
      ])}${w}]`,
    ],
  ]);
  const pk: [string, string][] = d.hint === null ? [] : [['hint', s(d.hint)]];
  const vm = obj([
    ['publicKey', obj(pk)],
    ['tlogEntries', `[${w}${d.tlog.map(s).join(`${w},${w}`)}${w}]`],
  ]);
  const top: [string, string][] = [
    ['mediaType', JSON.stringify(MEDIA_TYPE_V03)],
    ['verificationMaterial', vm],
    ['dsseEnvelope', env],
    ...d.extra.map(([k, i]): [string, string] => [k, s(i)]),
  ];
  if (d.key !== null) top.push([LONG[d.key]!, '1']);
  return obj(top);
}

type Outcome = { error: string } | { bundle: Bundle };
function read(input: Uint8Array | string): Outcome {
  try {
    return { bundle: parseBundle(input) };
  } catch (e) {
    return { error: `${(e as { code?: string }).code}: ${(e as Error).message}` };
  }
}

/** The parsed document with the DSSE payload's text taken out (the cut reading leaves a placeholder there). */
function withoutPayload(json: unknown): unknown {
  const copy = structuredClone(json) as { dsseEnvelope?: { payload?: unknown } };
  if (copy.dsseEnvelope) copy.dsseEnvelope.payload = '(payload)';
  return copy;
}

describe('parseBundle: long strings cut from the text', () => {
  it('reads every document exactly as the uncut text reading does', () => {
    fc.assert(
      fc.property(doc, ws, (d, w) => {
        const text = write(d, w);
        const cut = read(new TextEncoder().encode(text));
        const plain = read(text);
        if ('error' in plain) {
          expect(cut).toEqual(plain);
          return;
        }
        expect('bundle' in cut).toBe(true);
        const a = (cut as { bundle: Bundle }).bundle;
        const b = plain.bundle;
        expect({ ...a, json: withoutPayload(a.json) }).toEqual({ ...b, json: withoutPayload(b.json) });
        if (a.content.kind !== 'dsse' || b.content.kind !== 'dsse') throw new Error('not a DSSE bundle');
        expect(a.content.envelope.payload).toEqual(b.content.envelope.payload);
        // The PAE made from the payload decoded in place is the one made by concatenation.
        for (const type of [IN_TOTO_PAYLOAD_TYPE, a.content.envelope.payloadType, 'x']) {
          expect(pae(type, a.content.envelope.payload)).toEqual(pae(type, b.content.envelope.payload));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('decodes a long payload from the bytes, its PAE the buffer it was decoded into', () => {
    const payload = bytesOf(BLOB_MIN_CHARS, 9);
    const b = parseBundle(dsseBundleBytes(payload));
    if (b.content.kind !== 'dsse') throw new Error('not a DSSE bundle');
    const p = b.content.envelope.payload;
    expect(p).toEqual(payload);
    const whole = pae(IN_TOTO_PAYLOAD_TYPE, p);
    expect(whole.buffer).toBe(p.buffer);
    expect(new TextDecoder().decode(whole.subarray(0, whole.length - p.length))).toBe(
      `DSSEv1 ${IN_TOTO_PAYLOAD_TYPE.length} ${IN_TOTO_PAYLOAD_TYPE} ${p.length} `,
    );
  });

  it('compares base64 with expected bytes piece by piece exactly as decoding and comparing would', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200_000 }), fc.nat(), fc.constantFrom('', 'A', '=', '!', 'x'), fc.boolean(), (bytes, at, c, flip) => {
        let text = toBase64(bytes);
        if (c !== '') text = at % 2 ? text + c : at >= text.length ? text : text.slice(0, at % text.length) + c + text.slice((at % text.length) + 1);
        const src = new TextEncoder().encode(text);
        const expected = flip && bytes.length > 0 ? bytes.map((b, i) => (i === at % bytes.length ? b ^ 1 : b)) : bytes;
        let want: boolean;
        try {
          const d = fromBase64Ascii(src, 'x');
          want = d.length === expected.length && d.every((b, i) => b === expected[i]);
        } catch {
          want = false;
        }
        expect(base64AsciiEquals(src, expected)).toBe(want);
      }),
      { numRuns: 150 },
    );
  });

  it('reads back a payload it is told to expect without a copy, and the same bundle as without', () => {
    const payload = bytesOf(BLOB_MIN_CHARS, 5);
    const bytes = dsseBundleBytes(payload);
    const a = parseBundle(bytes, { expectPayload: payload });
    const b = parseBundle(bytes);
    if (a.content.kind !== 'dsse') throw new Error('not a DSSE bundle');
    expect(a.content.envelope.payload).toBe(payload);
    expect({ ...a, json: withoutPayload(a.json) }).toEqual({ ...b, json: withoutPayload(b.json) });
    const other = payload.map((x, i) => (i === 7 ? x ^ 1 : x));
    const c = parseBundle(bytes, { expectPayload: other });
    if (c.content.kind !== 'dsse') throw new Error('not a DSSE bundle');
    expect(c.content.envelope.payload).not.toBe(other);
    expect(c.content.envelope.payload).toEqual(payload);
  });
});
