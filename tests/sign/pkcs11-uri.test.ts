/**
 * RFC 7512 PKCS#11 URIs (node/pkcs11-uri.ts): the RFC's own examples parse, everything it does not allow is a
 * KEY_MALFORMED error, and a CLI whose pkcs11js binding cannot be loaded says what is missing (UNSUPPORTED).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePkcs11Uri } from '../../node/pkcs11-uri.js';
import { REPO, tempDir } from './helpers.js';

const code = (f: () => unknown) => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
};

describe('parsePkcs11Uri', () => {
  it('reads the attributes signing uses (RFC 7512 §3 style examples)', () => {
    expect(
      parsePkcs11Uri(
        'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-key;type=private?pin-value=1234&module-path=/usr/lib/softhsm/libsofthsm2.so',
      ),
    ).toEqual({
      token: 'The Software PKCS#11 Softtoken',
      object: 'my-key',
      type: 'private',
      pinValue: '1234',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
    });
    const u = parsePkcs11Uri(
      'pkcs11:manufacturer=SomeManufacturer;serial=888;model=A;slot-id=3;id=%01%02%ff?pin-source=file:/etc/token_pin&module-name=softhsm2',
    );
    expect(u.id).toEqual(new Uint8Array([1, 2, 255]));
    expect(u.slotId).toBe(3);
    expect(u.pinSource).toBe('file:/etc/token_pin');
    expect(u.moduleName).toBe('softhsm2');
    expect(parsePkcs11Uri('PKCS11:object=a;x-vendor=anything?x-other=1').object).toBe('a'); // scheme case, vendor attributes ignored
  });

  it('refuses what RFC 7512 does not allow, and what signing cannot use', () => {
    const bad = [
      'pkcs12:object=a',
      'object=a',
      'pkcs11:',
      'pkcs11:token=t',
      'pkcs11:object=a;object=b',
      'pkcs11:object=a;unknown=1',
      'pkcs11:object=a?pin-value=1&pin-source=/p',
      'pkcs11:object=a?module-path=relative/lib.so',
      'pkcs11:object=a?pin-value=1&pin-value=2',
      'pkcs11:object=a?nope=1',
      'pkcs11:object=a;type=cert',
      'pkcs11:object=a;type=bogus',
      'pkcs11:object=a;slot-id=-1',
      'pkcs11:object=a;slot-id=4294967296',
      'pkcs11:object=a b',
      'pkcs11:object=a%zz',
      'pkcs11:object=%ff%fe',
      'pkcs11:object',
      'pkcs11:=a',
      `pkcs11:object=${'a'.repeat(5000)}`,
    ];
    for (const b of bad)
      expect(
        code(() => parsePkcs11Uri(b)),
        b,
      ).toBe('KEY_MALFORMED');
  });

  it('never throws anything but a typed error, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        for (const input of [s, `pkcs11:${s}`, `pkcs11:object=a?${s}`]) {
          const c = code(() => parsePkcs11Uri(input));
          expect(['no error', 'KEY_MALFORMED']).toContain(c);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('without the pkcs11js binding', () => {
  it('sign pkcs11-key explains what is missing (UNSUPPORTED) and writes nothing', () => {
    // A resolve hook makes `pkcs11js` unresolvable, as on an install that had no compiler to build it.
    const hook = 'export async function resolve(s, c, n) { if (s === "pkcs11js") throw new Error("Cannot find package \'pkcs11js\'"); return n(s, c); }';
    const register = `import { register } from "node:module"; register("data:text/javascript,${encodeURIComponent(hook)}");`;
    const dir = tempDir('mv-pkcs11-nobinding-');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        path.join(REPO, 'bin/model-verify.js'),
        'sign',
        'pkcs11-key',
        '--signature',
        path.join(dir, 'model.sig'),
        '--pkcs11-uri',
        'pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1',
        path.join(REPO, 'tests/sign/keys'),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[UNSUPPORTED]');
    expect(r.stderr).toContain('npm install pkcs11js');
  });
});
