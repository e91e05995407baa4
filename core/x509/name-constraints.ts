/**
 * RFC 5280 §4.2.1.10 / §6.1.3–6.1.4 name constraints: a CA's permitted and excluded subtrees bind every
 * certificate below it in the path (the leaf always; intermediates unless self-issued), whatever the extension's
 * criticality — OpenSSL, which the reference verifier uses, enforces non-critical ones too.
 *
 * pkijs parses the extension and the GeneralNames; the matching is ours. No npm library fits a web-standard core
 * (the maintained ones — node-forge, @peculiar/x509, OpenSSL bindings — either need Node or do not match names),
 * so the rules follow OpenSSL's x509/v3_ncons.c, which is the behaviour the reference verifier shows:
 *
 * - dNSName: zero or more labels may be added on the left ("example.com" covers "a.example.com", not
 *   "badexample.com"); a leading "." means subdomains only; ASCII case-insensitive; an empty base matches all.
 * - rfc822Name: "user@host" one mailbox (local part case-sensitive), "host" every mailbox at that host,
 *   ".host" every mailbox at its subdomains. Applies to SAN emails and the subject's emailAddress attributes.
 * - URI: the host of scheme://[userinfo@]host[:port]…; ".host" subdomains, otherwise that host exactly.
 * - directoryName: the base's RDN sequence must be a prefix of the name's (values compared after trimming,
 *   collapsing whitespace and ASCII case folding, as OpenSSL's canonical form does). Applies to the subject DN
 *   (when not empty) and SAN directoryNames.
 * - iPAddress: address & mask == base & mask, IPv4 and IPv6 separately.
 * - A leaf without DNS SANs has its subject CN checked as a DNS name when it looks like one (OpenSSL does too;
 *   otherwise "CN=evil.org" and no SAN would slip past a DNS constraint).
 *
 * Anything we cannot decide is refused: a critical extension constraining a name form we do not implement
 * (otherName, x400Address, ediPartyName, registeredID), a non-critical one when a certificate below carries a name
 * of that form, names whose syntax the matcher cannot read under a constraint of their form, minimum/maximum in a
 * subtree (RFC 5280 says they must be absent; OpenSSL refuses them too).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail } from '../errors.js';
import { ab, toHex } from '../util/bytes.js';
import { dnToString, extension, OID, type Certificate } from './certificate.js';

/**
 * Name-against-subtree comparisons one path search may make (one SAN list times one subtree list counts its
 * product). OpenSSL caps the same product at 2^20 per check; we bound the whole search much lower, since a real
 * constrained chain needs a few dozen.
 */
export const MAX_NAME_COMPARISONS = 1 << 16;

const GN = { otherName: 0, rfc822Name: 1, dNSName: 2, x400Address: 3, directoryName: 4, ediPartyName: 5, uri: 6, iPAddress: 7, registeredID: 8 } as const;
const FORM_NAMES = ['otherName', 'email', 'dns', 'x400Address', 'dirName', 'ediPartyName', 'uri', 'ip', 'registeredID'];
const SUPPORTED = new Set<number>([GN.rfc822Name, GN.dNSName, GN.directoryName, GN.uri, GN.iPAddress]);
const OID_CN = '2.5.4.3';
const OID_EMAIL = '1.2.840.113549.1.9.1';

/** A name read from a certificate or a subtree base, in the form the matcher compares. */
type Name = { form: 1 | 2 | 6; text: string } | { form: 4; rdns: string[]; display: string } | { form: 7; bytes: Uint8Array } | { form: 0 | 3 | 5 | 8 };

interface Constraints {
  /** Subtrees by name form, so a name meets only the subtrees of its own form (and the work counted is the work done). */
  permitted: Map<number, Name[]>;
  excluded: Map<number, Name[]>;
  critical: boolean;
  empty: boolean;
}

function byForm(names: Name[]): Map<number, Name[]> {
  const m = new Map<number, Name[]>();
  for (const n of names) {
    const list = m.get(n.form);
    if (list) list.push(n);
    else m.set(n.form, [n]);
  }
  return m;
}

/** Work counter shared by one path search (see MAX_NAME_COMPARISONS). */
export interface NameBudget {
  comparisons: number;
}

// ---------------------------------------------------------------------------------------------------------
// Reading names

/** Printable ASCII only: the matchers compare ASCII case-insensitively, so anything else cannot be decided. */
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * A host name the suffix rules can judge: non-empty labels (a trailing dot or "a..b" names the same host as a
 * spelling the rules would not match, so such names are refused rather than compared), a leading "*." allowed.
 */
function hostOk(h: string): boolean {
  const labels = (h.startsWith('*.') ? h.slice(2) : h).split('.');
  return labels.every((l) => l.length > 0 && /^[A-Za-z0-9_-]+$/.test(l));
}

/** Names come from hostile certificates: messages carry at most this much of one. */
const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

function describe(n: Name): string {
  if (n.form === 1 || n.form === 2 || n.form === 6) return `${FORM_NAMES[n.form]}:${clip(n.text)}`;
  if (n.form === 4) return `dirName:${clip(n.display) || '(empty)'}`;
  if (n.form === 7) return `ip:${ipText(n.bytes)}`;
  return FORM_NAMES[n.form]!;
}

function ipText(b: Uint8Array): string {
  if (b.length === 4 || b.length === 8) {
    const a = [...b.subarray(0, 4)].join('.');
    return b.length === 8 ? `${a}/${[...b.subarray(4)].join('.')}` : a;
  }
  return toHex(b);
}

/** Directory string values: trimmed, inner whitespace collapsed, ASCII lower-cased (OpenSSL's canonical form). */
function canonicalValue(v: asn1js.AsnType): string {
  const isString =
    v instanceof asn1js.Utf8String ||
    v instanceof asn1js.PrintableString ||
    v instanceof asn1js.IA5String ||
    v instanceof asn1js.TeletexString ||
    v instanceof asn1js.BmpString ||
    v instanceof asn1js.UniversalString ||
    v instanceof asn1js.VisibleString;
  if (isString) {
    const s = String((v.valueBlock as { value?: unknown }).value ?? '');
    return (
      's:' +
      s
        .trim()
        .replace(/\s+/g, ' ')
        .replace(/[A-Z]/g, (c) => c.toLowerCase())
    );
  }
  return 'x:' + toHex(new Uint8Array(v.toBER(false)));
}

function nameBytes(n: pkijs.RelativeDistinguishedNames): Uint8Array {
  const raw = n.valueBeforeDecode;
  return raw && raw.byteLength > 0 ? new Uint8Array(raw) : new Uint8Array(n.toSchema().toBER(false));
}

/**
 * A Name as its RDNs, each a canonical string of its (sorted) attributes. Parsed from the DER: pkijs flattens
 * multi-valued RDNs, and "O=a+OU=b" is not the same prefix as "O=a".
 */
function readDn(n: pkijs.RelativeDistinguishedNames): { rdns: string[]; emails: string[]; cns: string[] } {
  const bytes = nameBytes(n);
  const asn = asn1js.fromBER(ab(bytes));
  if (asn.offset === -1 || asn.offset !== bytes.length || !(asn.result instanceof asn1js.Sequence)) fail('CERT_MALFORMED', 'Malformed distinguished name');
  const rdns: string[] = [];
  const emails: string[] = [];
  const cns: string[] = [];
  for (const rdn of asn.result.valueBlock.value) {
    if (!(rdn instanceof asn1js.Set) || rdn.valueBlock.value.length === 0) fail('CERT_MALFORMED', 'Malformed distinguished name');
    const atvs: string[] = [];
    for (const atv of rdn.valueBlock.value) {
      const parts = atv instanceof asn1js.Sequence ? atv.valueBlock.value : [];
      const [type, value] = parts;
      if (parts.length !== 2 || !(type instanceof asn1js.ObjectIdentifier) || !value) fail('CERT_MALFORMED', 'Malformed distinguished name');
      const oid = type.valueBlock.toString();
      atvs.push(`${oid}=${canonicalValue(value)}`);
      const text = (value.valueBlock as { value?: unknown }).value;
      if (oid === OID_EMAIL) emails.push(typeof text === 'string' ? text : '');
      if (oid === OID_CN && typeof text === 'string') cns.push(text);
    }
    rdns.push(atvs.sort().join('+'));
  }
  return { rdns, emails, cns };
}

function fromGeneralName(g: pkijs.GeneralName): Name {
  switch (g.type) {
    case GN.rfc822Name:
    case GN.dNSName:
    case GN.uri:
      if (typeof g.value !== 'string') fail('CERT_MALFORMED', 'Malformed general name');
      return { form: g.type, text: g.value };
    case GN.directoryName: {
      if (!(g.value instanceof pkijs.RelativeDistinguishedNames)) fail('CERT_MALFORMED', 'Malformed directory name');
      return { form: 4, rdns: readDn(g.value).rdns, display: dnToString(g.value) };
    }
    case GN.iPAddress: {
      if (!(g.value instanceof asn1js.OctetString)) fail('CERT_MALFORMED', 'Malformed IP address name');
      return { form: 7, bytes: new Uint8Array(g.value.valueBlock.valueHexView) };
    }
    case GN.otherName:
    case GN.x400Address:
    case GN.ediPartyName:
    case GN.registeredID:
      return { form: g.type };
    default:
      fail('CERT_MALFORMED', 'Malformed general name');
  }
}

/** Parses an extension value strictly: whole DER, the pkijs type, no parsing error swallowed by pkijs. */
function parseExtension<T>(e: pkijs.Extension, Type: new (p: { schema: asn1js.AsnType }) => T, what: string): T {
  const bytes = e.extnValue.valueBlock.valueHexView;
  try {
    const asn = asn1js.fromBER(ab(new Uint8Array(bytes)));
    if (asn.offset === -1 || asn.offset !== bytes.length) throw new Error('bad DER');
    return new Type({ schema: asn.result });
  } catch {
    fail('CERT_MALFORMED', `Malformed ${what} extension`);
  }
}

const constraintsOf = new WeakMap<Certificate, Constraints | null>();

/** The CA's nameConstraints, or null when it has none (memoised: trust-root CAs recur). */
export function nameConstraints(c: Certificate): Constraints | null {
  const known = constraintsOf.get(c);
  if (known !== undefined) return known;
  const e = extension(c, OID.nameConstraints);
  let out: Constraints | null = null;
  if (e) {
    const nc = parseExtension(e, pkijs.NameConstraints, 'nameConstraints');
    const subtrees = (list: pkijs.GeneralSubtree[] | undefined): Name[] =>
      (list ?? []).map((s) => {
        // RFC 5280: minimum MUST be zero and maximum absent; a profile we cannot honour is refused, as OpenSSL does.
        if (s.minimum !== 0 || s.maximum !== undefined) {
          fail('CERT_CONSTRAINTS', `The nameConstraints of "${dnToString(c.cert.subject)}" use minimum/maximum, which RFC 5280 forbids`);
        }
        const n = fromGeneralName(s.base);
        if (n.form === 7 && n.bytes.length !== 8 && n.bytes.length !== 32)
          fail('CERT_MALFORMED', `Malformed IP address constraint in "${dnToString(c.cert.subject)}"`);
        return n;
      });
    const permitted = subtrees(nc.permittedSubtrees);
    const excluded = subtrees(nc.excludedSubtrees);
    out = { permitted: byForm(permitted), excluded: byForm(excluded), critical: !!e.critical, empty: permitted.length + excluded.length === 0 };
    if (out.critical) {
      const unsupported = [...permitted, ...excluded].find((n) => !SUPPORTED.has(n.form));
      if (unsupported) {
        fail(
          'CERT_CONSTRAINTS',
          `The critical nameConstraints of "${dnToString(c.cert.subject)}" constrain ${describe(unsupported)} names, which this verifier cannot check`,
        );
      }
    }
  }
  constraintsOf.set(c, out);
  return out;
}

interface CertNames {
  /** SAN entries and the subject's emailAddress attributes. */
  names: Name[];
  /** The subject DN, unless empty (RFC 5280 §6.1.3: an empty subject is not checked). */
  subject?: Name;
  /** Subject CNs that look like DNS names; checked for a leaf without DNS SANs. */
  cnHosts: Name[];
  hasDnsSan: boolean;
}

const namesOf = new WeakMap<Certificate, CertNames>();

/**
 * A LDH host name with at least two labels (OpenSSL's cn2dnsid test for "this CN is a host name"); a trailing dot
 * is let through here so that hostOk refuses "CN=evil.org." instead of it escaping the check.
 */
const HOST_LIKE = /^(?:\*\.)?(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\.)+[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\.?$/;

function certNames(c: Certificate): CertNames {
  const known = namesOf.get(c);
  if (known) return known;
  const names: Name[] = [];
  const san = extension(c, OID.subjectAltName);
  if (san) {
    const alt = parseExtension(san, pkijs.AltName, 'subjectAltName');
    if (alt.altNames.length === 0) fail('CERT_MALFORMED', 'Malformed subjectAltName extension (no names)');
    for (const g of alt.altNames) names.push(fromGeneralName(g));
  }
  const dn = readDn(c.cert.subject);
  for (const email of dn.emails) names.push({ form: 1, text: email });
  const out: CertNames = {
    names,
    cnHosts: dn.cns.filter((cn) => HOST_LIKE.test(cn)).map((text) => ({ form: 2, text })),
    hasDnsSan: names.some((n) => n.form === 2),
  };
  if (dn.rdns.length > 0) out.subject = { form: 4, rdns: dn.rdns, display: dnToString(c.cert.subject) };
  namesOf.set(c, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Matching (each returns whether `name` lies in the subtree `base`; both of the same form)

const lower = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());

function dnsWithin(name: string, base: string): boolean {
  if (base.length === 0) return true;
  const n = lower(name);
  const b = lower(base);
  if (n.length < b.length) return false;
  if (n.length > b.length && !b.startsWith('.') && n[n.length - b.length - 1] !== '.') return false;
  return n.endsWith(b);
}

function emailWithin(email: string, base: string): boolean {
  if (base.length === 0) return true;
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const host = lower(email.slice(at + 1));
  if (base.startsWith('.')) return host.endsWith(lower(base));
  const baseAt = base.lastIndexOf('@');
  if (baseAt > 0 && base.slice(0, baseAt) !== local) return false;
  return lower(base.slice(baseAt + 1)) === host;
}

/** The host of an absolute URI with an authority, lower-cased; null when it has none we can read. */
function uriHost(uri: string): string | null {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return null;
  let authority = m[1]!;
  authority = authority.slice(authority.lastIndexOf('@') + 1);
  if (authority.startsWith('[')) return null; // an IP literal is not a host a DNS-style constraint can judge
  const host = authority.replace(/:[0-9]*$/, '');
  if (!hostOk(host) || /^[0-9.]+$/.test(host)) return null;
  return lower(host);
}

function uriWithin(host: string, base: string): boolean {
  const b = lower(base);
  if (b.startsWith('.')) return host.length > b.length && host.endsWith(b);
  return host === b;
}

function dnWithin(name: string[], base: string[]): boolean {
  return base.length <= name.length && base.every((rdn, i) => rdn === name[i]);
}

function ipWithin(addr: Uint8Array, base: Uint8Array): boolean {
  if (addr.length * 2 !== base.length) return false;
  for (let i = 0; i < addr.length; i++) {
    const mask = base[addr.length + i]!;
    if ((addr[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

/**
 * Whether the name is within the subtree; throws when the name cannot be read under a constraint of its form
 * (refusing is the only safe answer for both permitted and excluded lists).
 */
function within(name: Name, base: Name, where: string): boolean {
  const unreadable = (): never => fail('CERT_CONSTRAINTS', `The name ${describe(name)} in ${where} cannot be checked against name constraints`);
  switch (name.form) {
    case 1:
      if (!PRINTABLE_ASCII.test(name.text) || name.text.lastIndexOf('@') <= 0 || !hostOk(name.text.slice(name.text.lastIndexOf('@') + 1))) unreadable();
      return emailWithin(name.text, (base as { text: string }).text);
    case 2:
      if (!hostOk(name.text)) unreadable();
      return dnsWithin(name.text, (base as { text: string }).text);
    case 6: {
      const host = PRINTABLE_ASCII.test(name.text) ? uriHost(name.text) : null;
      if (host === null) unreadable();
      return uriWithin(host!, (base as { text: string }).text);
    }
    case 4:
      return dnWithin(name.rdns, (base as { rdns: string[] }).rdns);
    case 7:
      if (name.bytes.length !== 4 && name.bytes.length !== 16) unreadable();
      return ipWithin(name.bytes, (base as { bytes: Uint8Array }).bytes);
    default:
      // otherName / x400Address / ediPartyName / registeredID under a constraint of the same form.
      return fail('CERT_CONSTRAINTS', `The ${describe(name)} name in ${where} is constrained by a name form this verifier cannot check`);
  }
}

function checkName(name: Name, nc: Constraints, where: string, ca: string, budget: NameBudget): void {
  const permitted = nc.permitted.get(name.form) ?? [];
  const excluded = nc.excluded.get(name.form) ?? [];
  budget.comparisons += permitted.length + excluded.length;
  if (budget.comparisons > MAX_NAME_COMPARISONS) {
    fail('CERT_CHAIN_TOO_COMPLEX', `Checking name constraints would take more than ${MAX_NAME_COMPARISONS} comparisons; the chain is refused`);
  }
  if (permitted.length > 0 && !permitted.some((b) => within(name, b, where))) {
    fail('CERT_CONSTRAINTS', `The name ${describe(name)} in ${where} is not permitted by the name constraints of "${ca}"`);
  }
  const hit = excluded.find((b) => within(name, b, where));
  if (hit) fail('CERT_CONSTRAINTS', `The name ${describe(name)} in ${where} is excluded by the name constraints of "${ca}" (${describe(hit)})`);
}

/**
 * Checks `cert` (the leaf when `isLeaf`, else an intermediate below `ca`) against `ca`'s name constraints. Callers
 * skip self-issued intermediates (RFC 5280 §6.1.3 (b)). `role` names the certificate in messages.
 */
export function checkNameConstraints(ca: Certificate, cert: Certificate, isLeaf: boolean, role: string, budget: NameBudget): void {
  const nc = nameConstraints(ca);
  if (!nc || nc.empty) return;
  const names = certNames(cert);
  const where = `the ${role} certificate "${clip(dnToString(cert.cert.subject))}"`;
  const caName = clip(dnToString(ca.cert.subject));
  for (const n of names.names) checkName(n, nc, where, caName, budget);
  if (names.subject) checkName(names.subject, nc, where, caName, budget);
  if (isLeaf && !names.hasDnsSan) for (const n of names.cnHosts) checkName(n, nc, where, caName, budget);
}
