/**
 * The one reader of outside policy input (CLI flags mapped to an object, the app's form, the element's
 * attributes or `policy` property, the Worker API's JSON) into a core `Policy`. verifySignature runs it
 * too, so what is accepted here is exactly what verification accepts, and a shell that stores a policy
 * (the Worker) can refuse at once what would otherwise fail every later verdict.
 *
 * Codes: INPUT_MISSING when something required was not given (absent, null, empty or only whitespace);
 * POLICY_INVALID when it was given but is unusable (wrong type, unknown method or field, a bad pattern,
 * too large); KEY_MALFORMED / CERT_MALFORMED / KEY_UNSUPPORTED when PEM text does not have the shape
 * verification will need. Only the PEM structure is checked here (armour, base64, block types): full
 * key and certificate parsing happens where they are used.
 */
import { decodePemAll, type PemBlock } from '../crypto/pem.js';
import { fail, isModelVerifyError, type ErrorCode } from '../errors.js';
import { compileIdentityRegexp } from './regexp.js';
import type { Policy } from './types.js';

export type PolicyField = 'method' | 'publicKey' | 'keyName' | 'anchors' | 'timestampAuthorities' | 'identity' | 'identityRegexp' | 'issuer' | 'claims';

export interface ParsePolicyOptions {
  /**
   * How the caller's input spells each field, for messages (default: the field's own name). The CLI says
   * `option '--public-key'`, the Worker API `policy.certificateChain`, the app `public key`.
   */
  names?: Partial<Record<PolicyField, string>>;
}

/**
 * Bounds for hostile input. PEM scanning costs up to (BEGIN markers × text length), so both are capped:
 * 256 KiB holds a full system CA bundle, 256 blocks more certificates than any real anchor set.
 */
export const POLICY_LIMITS = {
  pemChars: 256 * 1024,
  pemBlocks: 256,
  anchors: 16,
  stringChars: 4096,
  claims: 64,
  claimNameChars: 128,
  keyNameChars: 128,
} as const;

const FIELDS: Record<Policy['method'], readonly PolicyField[]> = {
  key: ['method', 'publicKey', 'keyName'],
  certificate: ['method', 'anchors', 'timestampAuthorities'],
  sigstore: ['method', 'identity', 'identityRegexp', 'issuer', 'claims'],
};

const CERT_LABELS = ['CERTIFICATE', 'TRUSTED CERTIFICATE'];

const clipText = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** A hostile value inside a message: JSON-quoted (no control characters) and short. */
function show(v: unknown): string {
  let s: string;
  try {
    s =
      typeof v === 'string'
        ? JSON.stringify(v)
        : v === undefined
          ? 'undefined'
          : Array.isArray(v)
            ? 'a list'
            : typeof v === 'object' && v !== null
              ? 'an object'
              : (JSON.stringify(v) ?? typeof v);
  } catch {
    s = typeof v;
  }
  return clipText(s, 60);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Absent for every shell: not set, `undefined` (an unset JS property) or `null` (JSON's way of saying so). */
const absent = (v: unknown): v is undefined | null => v === undefined || v === null;

const blank = (s: string) => s.trim() === '';

class Reader {
  constructor(
    private readonly input: Record<string, unknown>,
    private readonly names: Partial<Record<PolicyField, string>>,
  ) {}

  name(f: PolicyField): string {
    return this.names[f] ?? f;
  }

  /** A required or optional string; blank counts as not given. */
  string(f: PolicyField, max: number, required: string | undefined): string | undefined {
    const v = this.input[f];
    if (absent(v) || (typeof v === 'string' && blank(v))) {
      if (required !== undefined) fail('INPUT_MISSING', `Missing ${this.name(f)}: ${required}`);
      return undefined;
    }
    if (typeof v !== 'string') fail('POLICY_INVALID', `${this.name(f)} must be a string, not ${show(v)}`);
    if (v.length > max) fail('POLICY_INVALID', `${this.name(f)} is longer than ${max} characters`);
    return v;
  }

  /** Identities and issuers are compared exactly: surrounding whitespace can never match and is a typo. */
  exact(f: PolicyField, required: string | undefined): string | undefined {
    const v = this.string(f, POLICY_LIMITS.stringChars, required);
    if (v !== undefined && v.trim() !== v) fail('POLICY_INVALID', `${this.name(f)} has leading or trailing whitespace (${show(v)}); it is compared exactly`);
    return v;
  }

  /**
   * Cheap PEM structure check: armour and base64 of every block, and at least one block of the wanted
   * type. Marker count and length are bounded first, since the block scan is quadratic in them.
   */
  pem(f: PolicyField, label: string, text: string, labels: readonly string[], code: ErrorCode, budget: { blocks: number }): PemBlock[] {
    if (text.length > POLICY_LIMITS.pemChars) fail('POLICY_INVALID', `${label} is longer than ${POLICY_LIMITS.pemChars} characters`);
    budget.blocks -= countMarkers(text, budget.blocks + 1);
    if (budget.blocks < 0) fail('POLICY_INVALID', `${this.name(f)} holds more than ${POLICY_LIMITS.pemBlocks} PEM blocks`);
    let blocks: PemBlock[];
    try {
      blocks = decodePemAll(text, code);
    } catch (e) {
      // The message may quote a block label, which is as long as the hostile text makes it.
      if (isModelVerifyError(e)) fail(e.code, `${label}: ${clipText(e.message, 300)}`, { cause: e });
      throw e;
    }
    const wanted = blocks.filter((b) => labels.includes(b.label));
    if (wanted.length === 0) {
      const kinds = [...new Set(blocks.map((b) => clipText(b.label, 40)))];
      const seen = kinds.length ? ` (it holds ${kinds.slice(0, 5).join(', ')}${kinds.length > 5 ? ', …' : ''})` : '';
      fail(code, `${label} holds no PEM block of type ${labels.join(' or ')}${seen}`);
    }
    return wanted;
  }

  unknownFields(method: Policy['method']): void {
    const allowed = FIELDS[method];
    const extra = Object.keys(this.input).filter((k) => !(allowed as readonly string[]).includes(k) && !absent(this.input[k]));
    if (extra.length) {
      const known = allowed.filter((f) => f !== 'method').map((f) => this.name(f));
      fail(
        'POLICY_INVALID',
        `Unknown field${extra.length > 1 ? 's' : ''} ${extra.slice(0, 5).map(show).join(', ')} for a ${method} policy (it takes ${known.join(', ')})`,
      );
    }
  }
}

/** Occurrences of a PEM BEGIN marker, counting no further than `stop`. */
function countMarkers(text: string, stop: number): number {
  let n = 0;
  for (let i = text.indexOf('-----BEGIN '); i !== -1 && n < stop; i = text.indexOf('-----BEGIN ', i + 11)) n++;
  return n;
}

/**
 * Validates and normalises any outside policy input. Returns a fresh object holding only the fields of
 * its method, in a fixed order, with blank optional fields and empty claims dropped.
 */
export function parsePolicy(input: unknown, options: ParsePolicyOptions = {}): Policy {
  const names = options.names ?? {};
  const methodName = names.method ?? 'method';
  if (absent(input)) fail('INPUT_MISSING', `Missing policy: give its ${methodName} ('key', 'certificate' or 'sigstore') and what the signer must match`);
  if (!isRecord(input)) fail('POLICY_INVALID', `A policy must be an object, not ${show(input)}`);
  const r = new Reader(input, names);
  const method = input.method;
  if (absent(method) || method === '') fail('INPUT_MISSING', `Missing ${methodName}: choose how the model was signed ('key', 'certificate' or 'sigstore')`);
  if (method !== 'key' && method !== 'certificate' && method !== 'sigstore') {
    fail('POLICY_INVALID', `${methodName} must be 'key', 'certificate' or 'sigstore', not ${show(method)}`);
  }
  r.unknownFields(method);
  switch (method) {
    case 'key': {
      const publicKey = r.string('publicKey', POLICY_LIMITS.pemChars, "a key policy needs the signer's public key (PEM)")!;
      const keys = r.pem('publicKey', r.name('publicKey'), publicKey, ['PUBLIC KEY'], 'KEY_MALFORMED', { blocks: POLICY_LIMITS.pemBlocks });
      // Verification would silently use the first one; a pin must name one key.
      if (keys.length > 1) fail('KEY_MALFORMED', `${r.name('publicKey')} holds ${keys.length} PUBLIC KEY blocks: give exactly one`);
      // A label for people ("Acme release key"), never compared: reports show it instead of a bare fingerprint.
      const keyName = r.string('keyName', POLICY_LIMITS.keyNameChars, undefined)?.trim();
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
      if (keyName && /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(keyName))
        fail('POLICY_INVALID', `${r.name('keyName')} must be plain text, not ${show(keyName)}`);
      return keyName ? { method, publicKey, keyName } : { method, publicKey };
    }
    case 'certificate': {
      const need = 'a certificate policy needs the CA certificate(s) you trust (PEM; no system roots are used)';
      const v = input.anchors;
      if (absent(v)) fail('INPUT_MISSING', `Missing ${r.name('anchors')}: ${need}`);
      if (!Array.isArray(v)) fail('POLICY_INVALID', `${r.name('anchors')} must be a list of PEM texts, not ${show(v)}`);
      if (v.length > POLICY_LIMITS.anchors) fail('POLICY_INVALID', `${r.name('anchors')} holds ${v.length} PEM texts (at most ${POLICY_LIMITS.anchors})`);
      // An indexed loop, not forEach: a sparse list's holes must be refused, not skipped.
      for (let i = 0; i < v.length; i++) {
        if (typeof v[i] !== 'string') fail('POLICY_INVALID', `${r.name('anchors')} entry ${i + 1} must be PEM text, not ${show(v[i])}`);
      }
      const anchors = Array.from(v as string[]);
      if (anchors.every(blank)) fail('INPUT_MISSING', `Missing ${r.name('anchors')}: ${need}`);
      const budget = { blocks: POLICY_LIMITS.pemBlocks };
      anchors.forEach((t, i) => {
        const label = anchors.length === 1 ? r.name('anchors') : `${r.name('anchors')} entry ${i + 1}`;
        // Every entry must carry a certificate: a key or an empty file among the anchors is a mistake,
        // even though the other entries would still make a usable policy.
        if (blank(t)) fail('POLICY_INVALID', `${label} is empty`);
        r.pem('anchors', label, t, CERT_LABELS, 'CERT_MALFORMED', budget);
      });
      const tsa = input.timestampAuthorities;
      if (absent(tsa)) return { method, anchors };
      if (!Array.isArray(tsa) || tsa.length === 0 || tsa.length > POLICY_LIMITS.anchors) {
        fail('POLICY_INVALID', `${r.name('timestampAuthorities')} must be a list of 1 to ${POLICY_LIMITS.anchors} PEM texts`);
      }
      for (let i = 0; i < tsa.length; i++) {
        if (typeof tsa[i] !== 'string' || blank(tsa[i])) fail('POLICY_INVALID', `${r.name('timestampAuthorities')} entry ${i + 1} must be PEM text`);
        r.pem('timestampAuthorities', `${r.name('timestampAuthorities')} entry ${i + 1}`, tsa[i], CERT_LABELS, 'CERT_MALFORMED', budget);
      }
      return { method, anchors, timestampAuthorities: Array.from(tsa as string[]) };
    }
    case 'sigstore': {
      const issuer = r.exact('issuer', 'keyless verification needs the expected OIDC issuer of the signer identity')!;
      const identity = r.exact('identity', undefined);
      const identityRegexp = r.string('identityRegexp', POLICY_LIMITS.stringChars, undefined);
      if (identity === undefined && identityRegexp === undefined) {
        fail(
          'INPUT_MISSING',
          `Missing ${r.name('identity')} or ${r.name('identityRegexp')}: keyless verification needs the expected signer identity, exact or as a pattern (refusing to accept any signer)`,
        );
      }
      // Both may be given: the signer must then match both (as core's identity check does).
      if (identityRegexp !== undefined) compileIdentityRegexp(identityRegexp, r.name('identityRegexp'));
      const claims = parseClaims(input.claims, r.name('claims'));
      return {
        method,
        ...(identity !== undefined ? { identity } : {}),
        ...(identityRegexp !== undefined ? { identityRegexp } : {}),
        issuer,
        ...(claims ? { claims } : {}),
      };
    }
  }
}

/** Extra Fulcio claims: a flat map of claim name → exact string value. */
function parseClaims(v: unknown, name: string): Record<string, string> | undefined {
  if (absent(v)) return undefined;
  if (!isRecord(v)) fail('POLICY_INVALID', `${name} must be an object mapping claim names to strings, not ${show(v)}`);
  const entries = Object.entries(v);
  if (entries.length > POLICY_LIMITS.claims) fail('POLICY_INVALID', `${name} holds ${entries.length} claims (at most ${POLICY_LIMITS.claims})`);
  for (const [k, value] of entries) {
    if (k === '' || k.length > POLICY_LIMITS.claimNameChars)
      fail('POLICY_INVALID', `${name} has a claim name that is empty or longer than ${POLICY_LIMITS.claimNameChars} characters`);
    if (typeof value !== 'string') fail('POLICY_INVALID', `${name}[${show(k)}] must be a string, not ${show(value)}`);
    if (value.length > POLICY_LIMITS.stringChars) fail('POLICY_INVALID', `${name}[${show(k)}] is longer than ${POLICY_LIMITS.stringChars} characters`);
  }
  // fromEntries defines own properties: a claim named __proto__ stays a claim, not a prototype.
  return entries.length ? Object.fromEntries(entries as [string, string][]) : undefined;
}
