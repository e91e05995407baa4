/**
 * Issue 10: nameConstraints are enforced (RFC 5280 §4.2.1.10, §6.1) whatever their criticality, on the leaf's SAN
 * and subject and on intermediates below the constraining CA — with real certificates and real signatures.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { verifyModel } from '../../core/index.js';
import { ModelVerifyError } from '../../core/errors.js';
import { MemorySource } from '../../core/sources/memory-source.js';
import { buildChain } from '../../core/x509/chain.js';
import { parseCertificate } from '../../core/x509/certificate.js';
import { KEY_CERT_GOLDENS, SCRIPTS, sigPath } from '../helpers/fixtures.js';
import { certBundle, generalName, issue, type Dn, type GName, type IssuedCert, type IssueOptions } from '../helpers/pki.js';

type Outcome = { code: string; message: string };

async function chainOf(leaf: IssuedCert, mids: IssuedCert[], root: IssuedCert): Promise<Outcome> {
  try {
    const p = await buildChain(
      parseCertificate(leaf.der),
      mids.map((c) => parseCertificate(c.der)),
      [parseCertificate(root.der)],
      { time: new Date() },
    );
    return { code: `OK:${p.length}`, message: '' };
  } catch (e) {
    if (!(e instanceof ModelVerifyError)) throw e;
    return { code: e.code, message: e.message };
  }
}

/** root (anchor) → constrained CA (intermediate) → leaf with the given names. */
async function underConstrainedCa(nc: IssueOptions['nameConstraints'], leaf: Omit<IssueOptions, 'cn' | 'issuer'> & { cn?: string }): Promise<Outcome> {
  const root = await issue({ cn: 'nc-root', ca: true });
  const ca = await issue({ cn: 'constrained-ca', issuer: root, ca: true, nameConstraints: nc });
  const l = await issue({ cn: 'leaf', ...leaf, issuer: ca });
  return chainOf(l, [ca], root);
}

const permitDns = (critical: boolean) => ({ permitted: [{ dns: 'example.com' }], critical });

describe('dNSName', () => {
  it.each([false, true])('a leaf for dns:evil.org under "permit dns:example.com" (critical: %s) → CERT_CONSTRAINTS naming it', async (critical) => {
    const r = await underConstrainedCa(permitDns(critical), { san: [{ dns: 'evil.org' }] });
    expect(r.code).toBe('CERT_CONSTRAINTS');
    expect(r.message).toContain('dns:evil.org');
    expect(r.message).toContain('not permitted');
  });

  it('a compliant leaf under a critical constraint verifies (it used to fail as an unsupported critical extension)', async () => {
    expect((await underConstrainedCa(permitDns(true), { san: [{ dns: 'example.com' }, { dns: 'Build.EXAMPLE.com' }] })).code).toBe('OK:3');
  });

  it('label boundaries: badexample.com is not under example.com; ".example.com" means subdomains only', async () => {
    expect((await underConstrainedCa(permitDns(true), { san: [{ dns: 'badexample.com' }] })).code).toBe('CERT_CONSTRAINTS');
    const dot = { permitted: [{ dns: '.example.com' }] };
    expect((await underConstrainedCa(dot, { san: [{ dns: 'example.com' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(dot, { san: [{ dns: 'a.b.example.com' }] })).code).toBe('OK:3');
  });

  it('one bad name among good ones is enough to refuse', async () => {
    expect((await underConstrainedCa(permitDns(false), { san: [{ dns: 'a.example.com' }, { dns: 'example.com.evil.org' }] })).code).toBe('CERT_CONSTRAINTS');
  });

  it('excluded subtree: www.evil.org refused, other names fine', async () => {
    const nc = { excluded: [{ dns: 'evil.org' }], critical: false };
    const bad = await underConstrainedCa(nc, { san: [{ dns: 'www.EVIL.org' }] });
    expect(bad.code).toBe('CERT_CONSTRAINTS');
    expect(bad.message).toContain('excluded');
    expect((await underConstrainedCa(nc, { san: [{ dns: 'good.org' }] })).code).toBe('OK:3');
  });

  it('a leaf without SAN has a host-like CN checked (as OpenSSL does); a plain CN is not a DNS name', async () => {
    expect((await underConstrainedCa(permitDns(true), { cn: 'evil.org' })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(permitDns(true), { cn: 'build.example.com' })).code).toBe('OK:3');
    expect((await underConstrainedCa(permitDns(true), { cn: 'model signer' })).code).toBe('OK:3');
  });

  it('spellings the suffix rules would misjudge (trailing dot, empty label) are refused, not compared', async () => {
    const nc = { excluded: [{ dns: 'evil.org' }] };
    expect((await underConstrainedCa(nc, { san: [{ dns: 'www.evil.org.' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(nc, { san: [{ dns: 'www..evil.org' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(nc, { cn: 'www.evil.org.' })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa({ excluded: [{ uri: 'evil.org' }] }, { san: [{ uri: 'https://evil.org./x' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa({ excluded: [{ uri: 'evil.org' }] }, { san: [{ uri: 'https://%65vil.org/' }] })).code).toBe('CERT_CONSTRAINTS');
  });

  it('names of other forms are not bound by a DNS constraint', async () => {
    expect((await underConstrainedCa(permitDns(true), { san: [{ email: 'a@evil.org' }] })).code).toBe('OK:3');
  });
});

describe('rfc822Name', () => {
  it('"example.com" permits mailboxes at that host only; ".example.com" its subdomains; "alice@example.com" one mailbox', async () => {
    const host = { permitted: [{ email: 'example.com' }] };
    expect((await underConstrainedCa(host, { san: [{ email: 'bob@EXAMPLE.com' }] })).code).toBe('OK:3');
    expect((await underConstrainedCa(host, { san: [{ email: 'bob@sub.example.com' }] })).code).toBe('CERT_CONSTRAINTS');
    const sub = { permitted: [{ email: '.example.com' }] };
    expect((await underConstrainedCa(sub, { san: [{ email: 'bob@sub.example.com' }] })).code).toBe('OK:3');
    expect((await underConstrainedCa(sub, { san: [{ email: 'bob@example.com' }] })).code).toBe('CERT_CONSTRAINTS');
    const one = { permitted: [{ email: 'alice@example.com' }] };
    expect((await underConstrainedCa(one, { san: [{ email: 'alice@example.com' }] })).code).toBe('OK:3');
    const r = await underConstrainedCa(one, { san: [{ email: 'bob@example.com' }] });
    expect(r).toMatchObject({ code: 'CERT_CONSTRAINTS' });
    expect(r.message).toContain('email:bob@example.com');
  });

  it('the subject emailAddress attribute is checked too', async () => {
    const nc = { permitted: [{ email: 'example.com' }] };
    const dn: Dn = [
      ['CN', 'leaf'],
      ['emailAddress', 'mallory@evil.org'],
    ];
    expect((await underConstrainedCa(nc, { dn })).code).toBe('CERT_CONSTRAINTS');
    expect(
      (
        await underConstrainedCa(nc, {
          dn: [
            ['CN', 'leaf'],
            ['emailAddress', 'ok@example.com'],
          ],
        })
      ).code,
    ).toBe('OK:3');
  });

  it('an excluded mailbox host, and an address that cannot be read under an email constraint', async () => {
    const nc = { excluded: [{ email: 'evil.org' }] };
    expect((await underConstrainedCa(nc, { san: [{ email: 'x@evil.org' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(nc, { san: [{ email: 'no-at-sign' }] })).code).toBe('CERT_CONSTRAINTS');
  });
});

describe('uniformResourceIdentifier', () => {
  it('the URI host is what is constrained', async () => {
    const nc = { permitted: [{ uri: '.example.com' }], critical: true };
    expect((await underConstrainedCa(nc, { san: [{ uri: 'https://ci.example.com/org/repo/.github/workflows/x.yml@refs/heads/main' }] })).code).toBe('OK:3');
    expect((await underConstrainedCa(nc, { san: [{ uri: 'https://evil.org/.example.com' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(nc, { san: [{ uri: 'https://ci.example.com@evil.org:443/' }] })).code).toBe('CERT_CONSTRAINTS');
    const exact = { permitted: [{ uri: 'example.com' }] };
    expect((await underConstrainedCa(exact, { san: [{ uri: 'https://EXAMPLE.com:8443/x' }] })).code).toBe('OK:3');
    expect((await underConstrainedCa(exact, { san: [{ uri: 'https://sub.example.com/' }] })).code).toBe('CERT_CONSTRAINTS');
  });

  it('excluded host; a URI without a host cannot be checked and is refused', async () => {
    const nc = { excluded: [{ uri: 'evil.org' }] };
    expect((await underConstrainedCa(nc, { san: [{ uri: 'spiffe://EVIL.ORG/workload' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(nc, { san: [{ uri: 'https://good.org/' }] })).code).toBe('OK:3');
    const r = await underConstrainedCa(nc, { san: [{ uri: 'urn:example:thing' }] });
    expect(r.code).toBe('CERT_CONSTRAINTS');
    expect(r.message).toContain('cannot be checked');
  });
});

describe('directoryName', () => {
  const nc = {
    permitted: [
      {
        dn: [
          ['C', 'US'],
          ['O', 'Example'],
        ] as Dn,
      },
    ],
  };

  it('the subject DN must extend the permitted DN (RDN by RDN, case and spaces folded)', async () => {
    expect(
      (
        await underConstrainedCa(nc, {
          dn: [
            ['C', 'US'],
            ['O', 'Example'],
            ['CN', 'leaf'],
          ],
        })
      ).code,
    ).toBe('OK:3');
    expect(
      (
        await underConstrainedCa(nc, {
          dn: [
            ['C', 'US'],
            ['O', '  example '],
            ['CN', 'leaf'],
          ],
        })
      ).code,
    ).toBe('OK:3');
    const r = await underConstrainedCa(nc, {
      dn: [
        ['C', 'US'],
        ['O', 'Other'],
        ['CN', 'leaf'],
      ],
    });
    expect(r.code).toBe('CERT_CONSTRAINTS');
    expect(r.message).toContain('dirName:');
    expect(
      (
        await underConstrainedCa(nc, {
          dn: [
            ['O', 'Example'],
            ['C', 'US'],
            ['CN', 'leaf'],
          ],
        })
      ).code,
    ).toBe('CERT_CONSTRAINTS');
  });

  it('excluded DN subtree, also through a SAN directoryName', async () => {
    const ex = { excluded: [{ dn: [['O', 'Evil']] as Dn }] };
    expect(
      (
        await underConstrainedCa(ex, {
          dn: [
            ['O', 'Evil'],
            ['CN', 'leaf'],
          ],
        })
      ).code,
    ).toBe('CERT_CONSTRAINTS');
    expect(
      (
        await underConstrainedCa(ex, {
          dn: [
            ['O', 'Good'],
            ['CN', 'leaf'],
          ],
          san: [
            {
              dn: [
                ['O', 'EVIL'],
                ['OU', 'x'],
              ],
            },
          ],
        })
      ).code,
    ).toBe('CERT_CONSTRAINTS');
    expect(
      (
        await underConstrainedCa(ex, {
          dn: [
            ['O', 'Good'],
            ['CN', 'leaf'],
          ],
        })
      ).code,
    ).toBe('OK:3');
  });
});

describe('iPAddress', () => {
  it('address & mask, one family at a time', async () => {
    const nc = { permitted: [{ ip: '10.0.0.0/8' }] };
    expect((await underConstrainedCa(nc, { san: [{ ip: '10.1.2.3' }] })).code).toBe('OK:3');
    expect((await underConstrainedCa(nc, { san: [{ ip: '192.168.1.1' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa(nc, { san: [{ ip: '::1' }] })).code).toBe('CERT_CONSTRAINTS');
    expect((await underConstrainedCa({ excluded: [{ ip: 'fd00::/8' }] }, { san: [{ ip: 'fd12::1' }] })).code).toBe('CERT_CONSTRAINTS');
  });
});

describe('the path', () => {
  it('constraints on an upper CA bind every certificate below it, the leaf included', async () => {
    const root = await issue({ cn: 'root', ca: true, nameConstraints: permitDns(true) });
    const mid = await issue({ cn: 'mid', issuer: root, ca: true });
    const bad = await issue({ cn: 'leaf', issuer: mid, san: [{ dns: 'evil.org' }] });
    const good = await issue({ cn: 'leaf', issuer: mid, san: [{ dns: 'x.example.com' }] });
    expect((await chainOf(bad, [mid], root)).code).toBe('CERT_CONSTRAINTS');
    expect((await chainOf(good, [mid], root)).code).toBe('OK:3');
  });

  it('an intermediate outside an upper CA’s directoryName subtree is refused', async () => {
    const root = await issue({ cn: 'root', ca: true, nameConstraints: { permitted: [{ dn: [['O', 'Example']] }] } });
    const mid = await issue({
      cn: 'mid',
      dn: [
        ['O', 'Other'],
        ['CN', 'mid'],
      ],
      issuer: root,
      ca: true,
    });
    const leaf = await issue({
      cn: 'leaf',
      dn: [
        ['O', 'Example'],
        ['CN', 'leaf'],
      ],
      issuer: mid,
    });
    const r = await chainOf(leaf, [mid], root);
    expect(r.code).toBe('CERT_CONSTRAINTS');
    expect(r.message).toContain('intermediate');
  });

  it('a self-issued intermediate (CA key rollover) is exempt; the leaf below it is not', async () => {
    const dn: Dn = [['CN', 'root']];
    const root = await issue({ cn: 'root', ca: true, nameConstraints: { permitted: [{ dn: [['O', 'Example']] }] } });
    const rollover = await issue({ cn: 'root', dn, issuer: root, ca: true }); // same name, new key
    const leaf = await issue({
      cn: 'leaf',
      dn: [
        ['O', 'Example'],
        ['CN', 'leaf'],
      ],
      issuer: rollover,
    });
    const outside = await issue({
      cn: 'leaf',
      dn: [
        ['O', 'Other'],
        ['CN', 'leaf'],
      ],
      issuer: rollover,
    });
    expect((await chainOf(leaf, [rollover], root)).code).toBe('OK:3');
    expect((await chainOf(outside, [rollover], root)).code).toBe('CERT_CONSTRAINTS');
  });

  it('constraints of two CAs both apply (intersection)', async () => {
    const root = await issue({ cn: 'root', ca: true, nameConstraints: { permitted: [{ dns: 'example.com' }] } });
    const mid = await issue({ cn: 'mid', issuer: root, ca: true, nameConstraints: { excluded: [{ dns: 'private.example.com' }] } });
    const ok = await issue({ cn: 'leaf', issuer: mid, san: [{ dns: 'public.example.com' }] });
    const no = await issue({ cn: 'leaf', issuer: mid, san: [{ dns: 'db.private.example.com' }] });
    expect((await chainOf(ok, [mid], root)).code).toBe('OK:3');
    expect((await chainOf(no, [mid], root)).code).toBe('CERT_CONSTRAINTS');
  });
});

describe('what cannot be checked is refused', () => {
  const registeredId = new pkijs.GeneralName({ type: 8, value: '1.2.3.4' });

  it('a critical extension constraining a name form we do not implement → CERT_CONSTRAINTS', async () => {
    const r = await underConstrainedCa({ permitted: [{ raw: registeredId }], critical: true }, { san: [{ dns: 'x.example.com' }] });
    expect(r.code).toBe('CERT_CONSTRAINTS');
    expect(r.message).toContain('registeredID');
  });

  it('non-critical: ignored unless a certificate below carries a name of that form', async () => {
    const nc = { permitted: [{ raw: registeredId }], critical: false };
    expect((await underConstrainedCa(nc, { san: [{ dns: 'x.example.com' }] })).code).toBe('OK:3');
    expect((await underConstrainedCa(nc, { san: [{ raw: new pkijs.GeneralName({ type: 8, value: '1.2.3.5' }) }] })).code).toBe('CERT_CONSTRAINTS');
  });

  it('subtrees with minimum/maximum (forbidden by RFC 5280) → CERT_CONSTRAINTS', async () => {
    const raw = new pkijs.NameConstraints({ permittedSubtrees: [new pkijs.GeneralSubtree({ base: generalName({ dns: 'example.com' }), maximum: 2 })] });
    expect((await underConstrainedCa({ raw }, { san: [{ dns: 'example.com' }] })).code).toBe('CERT_CONSTRAINTS');
  });

  it('a malformed nameConstraints value → CERT_MALFORMED', async () => {
    const root = await issue({ cn: 'root', ca: true });
    const bogus = new pkijs.Extension({ extnID: '2.5.29.30', critical: false, extnValue: new asn1js.Integer({ value: 5 }).toBER(false) });
    const ca = await issue({ cn: 'ca', issuer: root, ca: true, extensions: [bogus] });
    const leaf = await issue({ cn: 'leaf', issuer: ca, san: [{ dns: 'a.example.com' }] });
    expect((await chainOf(leaf, [ca], root)).code).toBe('CERT_MALFORMED');
  });
});

describe('through verifyModel (certificate method)', () => {
  const g = KEY_CERT_GOLDENS.find((x) => x.name === 'v1.1.0-certificate')!;
  const payload = () => Buffer.from(JSON.parse(readFileSync(sigPath(g), 'utf8')).dsseEnvelope.payload, 'base64');
  const source = () => {
    const dir = path.join(SCRIPTS, g.model);
    return new MemorySource('v1.1.0-certificate', {
      'signme-1': readFileSync(path.join(dir, 'signme-1')),
      'signme-2': readFileSync(path.join(dir, 'signme-2')),
    });
  };
  const run = async (san: GName[]) => {
    const root = await issue({ cn: 'root', ca: true });
    const ca = await issue({ cn: 'ca', issuer: root, ca: true, nameConstraints: { permitted: [{ dns: 'example.com' }], critical: false } });
    const leaf = await issue({ cn: 'leaf', issuer: ca, san, codeSigning: true });
    return verifyModel(source(), await certBundle(payload(), leaf, [ca]), { method: 'certificate', anchors: [root.pem] });
  };

  it('a violating leaf is refused, a compliant one verifies', async () => {
    const bad = await run([{ dns: 'evil.org' }]);
    expect(bad.verified).toBe(false);
    expect(bad.errors[0]).toMatchObject({ code: 'CERT_CONSTRAINTS' });
    expect(bad.errors[0]!.message).toContain('dns:evil.org');
    const good = await run([{ dns: 'models.example.com' }]);
    expect(good.errors).toEqual([]);
    expect(good.verified).toBe(true);
  });
});
