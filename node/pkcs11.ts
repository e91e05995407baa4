/**
 * Keys in a PKCS#11 token (an HSM, a smart card, SoftHSM2) as a SigningKey: the private key never leaves the
 * token; the token signs the PAE's digest (CKM_ECDSA: P-256 with SHA-256, P-384 with SHA-384) or the PAE itself
 * (CKM_SHA256_RSA_PKCS: RSA PKCS#1 v1.5 SHA-256), so bundles are the same as those made from key files.
 * The binding is the optional dependency `pkcs11js` (a native addon), loaded on use: an install without a
 * compiler still works, and signing through PKCS#11 then explains what is missing (UNSUPPORTED).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fail, isModelVerifyError, ModelVerifyError } from '../core/errors.js';
import { externalSigningKey, type SigningKey } from '../core/index.js';
import { p1363ToDer } from '../core/crypto/index.js';
import { parsePkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';

type Pkcs11Module = typeof import('pkcs11js');
type PKCS11 = import('pkcs11js').PKCS11;

/** Where distributions install PKCS#11 modules, searched for `module-name` (as the Go port does). */
const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/pkcs11',
  '/usr/lib/aarch64-linux-gnu/pkcs11',
  '/usr/lib64/pkcs11',
  '/usr/lib/pkcs11',
  '/usr/lib/softhsm',
  '/usr/lib/x86_64-linux-gnu/softhsm',
  '/usr/local/lib/softhsm',
];
const MAX_PIN_FILE_BYTES = 1024;

const EC_PARAMS: Record<string, 'P-256' | 'P-384'> = { '06082a8648ce3d030107': 'P-256', '06052b81040022': 'P-384' };
const CURVE_DIGEST = { 'P-256': 'sha256', 'P-384': 'sha384' } as const;

export interface Pkcs11KeyOptions {
  /** RFC 7512 URI naming the token and the key (node/pkcs11-uri.ts). */
  uri: string;
  /** The module (shared library) to load when the URI has no module-path (the CLI's --module-path). */
  modulePath?: string;
  /** The key's public key (DER SPKI) when the token holds no public key object (e.g. from its certificate). */
  publicKeySpki?: Uint8Array;
}

export interface Pkcs11Key {
  key: SigningKey;
  /** Logs out, closes the session and unloads the module. */
  close(): void;
}

async function loadBinding(): Promise<Pkcs11Module> {
  try {
    const m = (await import('pkcs11js')) as Pkcs11Module & { default?: Pkcs11Module };
    return m.default ?? m;
  } catch (e) {
    throw new ModelVerifyError(
      'UNSUPPORTED',
      'PKCS#11 signing needs the optional dependency pkcs11js, a native addon that npm builds at install time with a C++ ' +
        `compiler (g++, make, python3) and Node's headers; it is not installed or was not built here (${(e as Error).message}). ` +
        'Install the compiler, then run: npm install pkcs11js',
      { cause: e },
    );
  }
}

/** The PIN from pin-value, or the first line of the pin-source file (bounded read). */
async function readPin(u: Pkcs11Uri): Promise<string | undefined> {
  if (u.pinValue !== undefined) return u.pinValue;
  if (u.pinSource === undefined) return undefined;
  const file = u.pinSource.startsWith('file:') ? decodeURIComponent(u.pinSource.replace(/^file:(\/\/)?/, '')) : u.pinSource;
  if (!file.startsWith('/')) fail('KEY_MALFORMED', 'PKCS#11 URI: pin-source must be an absolute path or a file: URI');
  let text: string;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(MAX_PIN_FILE_BYTES + 1);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      if (bytesRead > MAX_PIN_FILE_BYTES) fail('KEY_PASSWORD', `The PIN file '${file}' is larger than ${MAX_PIN_FILE_BYTES} bytes`);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (isModelVerifyError(e)) throw e;
    fail('KEY_PASSWORD', `Cannot read the PIN file '${file}': ${(e as Error).message}`);
  }
  return text.split(/\r?\n/)[0];
}

async function findModule(u: Pkcs11Uri, modulePath: string | undefined): Promise<string> {
  if (u.modulePath && modulePath && u.modulePath !== modulePath) {
    fail('KEY_MALFORMED', `The PKCS#11 URI names module-path '${u.modulePath}' and --module-path names '${modulePath}': give one`);
  }
  const direct = u.modulePath ?? modulePath;
  if (direct) return direct;
  if (u.moduleName) {
    const { readdir } = await import('node:fs/promises');
    const want = u.moduleName.toLowerCase();
    for (const dir of MODULE_DIRS) {
      const names = await readdir(dir).catch(() => [] as string[]);
      const hit = names.find((n) => n.toLowerCase().includes(want) && n.endsWith('.so'));
      if (hit) return `${dir}/${hit}`;
    }
    fail('KEY_MALFORMED', `No PKCS#11 module named '${u.moduleName}' in ${MODULE_DIRS.join(', ')}: give module-path or --module-path`);
  }
  fail('KEY_MALFORMED', 'No PKCS#11 module: add module-path=/path/to/module.so to the URI or pass --module-path');
}

const trimmed = (s: string) => s.replace(/[\s\0]+$/, '');

/** A Cryptoki return code name of a pkcs11js error ('CKR_PIN_INCORRECT'), or ''. */
function ckr(e: unknown): string {
  const m = /CKR_[A-Z_]+/.exec(String((e as Error)?.message ?? ''));
  return m ? m[0] : '';
}

/** EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40); some modules return the bare point. */
function ecPoint(v: Buffer): Uint8Array {
  if (v[0] === 0x04 && v[1] === v.length - 2) return new Uint8Array(v.subarray(2));
  if (v[0] === 0x04 && v[1] === 0x81 && v[2] === v.length - 3) return new Uint8Array(v.subarray(3));
  return new Uint8Array(v);
}

function derLen(n: number): number[] {
  return n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
}
function derTlv(tag: number, body: Uint8Array | number[]): number[] {
  return [tag, ...derLen(body.length), ...body];
}
/** DER INTEGER of an unsigned big-endian value. */
function derUint(b: Buffer): number[] {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = [...b.subarray(i)];
  return derTlv(0x02, v[0]! & 0x80 ? [0, ...v] : v);
}

/** SubjectPublicKeyInfo from the token's public key attributes (EC: params + point; RSA: modulus + exponent). */
function spkiFromAttributes(keyType: 'ec' | 'rsa', a: Record<string, Buffer>): Uint8Array {
  if (keyType === 'ec') {
    const algId = derTlv(0x30, [...Buffer.from('06072a8648ce3d0201', 'hex'), ...a.params!]);
    return new Uint8Array(derTlv(0x30, [...algId, ...derTlv(0x03, [0, ...ecPoint(a.point!)])]));
  }
  const rsaKey = derTlv(0x30, [...derUint(a.modulus!), ...derUint(a.exponent!)]);
  const algId = Buffer.from('300d06092a864886f70d0101010500', 'hex');
  return new Uint8Array(derTlv(0x30, [...algId, ...derTlv(0x03, [0, ...rsaKey])]));
}

/**
 * Opens the key the URI names: loads the module, finds the one token and the one private key that match, logs in
 * with the URI's PIN when the token needs one, and reads the matching public key. Typed errors: KEY_MALFORMED
 * (URI, module, ambiguous match), INPUT_MISSING (no such token or key), KEY_PASSWORD (PIN missing or wrong),
 * KEY_UNSUPPORTED (key type), IO_ERROR (module cannot be loaded), UNSUPPORTED (no binding).
 */
export async function openPkcs11Key(o: Pkcs11KeyOptions): Promise<Pkcs11Key> {
  const u = parsePkcs11Uri(o.uri);
  const modulePath = await findModule(u, o.modulePath);
  const pin = await readPin(u);
  const p11 = await loadBinding();
  const lib: PKCS11 = new p11.PKCS11();
  let session: Buffer | undefined;
  let initialized = false;
  let loggedIn = false;
  const close = () => {
    try {
      if (session && loggedIn) lib.C_Logout(session);
    } catch {}
    try {
      if (session) lib.C_CloseSession(session);
    } catch {}
    try {
      if (initialized) lib.C_Finalize();
    } catch {}
    try {
      lib.close();
    } catch {}
    session = undefined;
  };
  try {
    try {
      lib.load(modulePath);
    } catch (e) {
      fail('IO_ERROR', `Cannot load the PKCS#11 module '${modulePath}': ${(e as Error).message}`);
    }
    lib.C_Initialize();
    initialized = true;
    const slots = lib.C_GetSlotList(true).filter((slot) => {
      if (u.slotId !== undefined && slot.readUIntLE(0, Math.min(slot.length, 6)) !== u.slotId) return false;
      const t = lib.C_GetTokenInfo(slot);
      return (
        (u.token === undefined || trimmed(t.label) === u.token) &&
        (u.manufacturer === undefined || trimmed(t.manufacturerID) === u.manufacturer) &&
        (u.serial === undefined || trimmed(t.serialNumber) === u.serial) &&
        (u.model === undefined || trimmed(t.model) === u.model)
      );
    });
    if (slots.length === 0) fail('INPUT_MISSING', `No PKCS#11 token matches the URI${u.token ? ` (token=${u.token})` : ''} in '${modulePath}'`);
    if (slots.length > 1) fail('KEY_MALFORMED', `${slots.length} PKCS#11 tokens match the URI: add token=, serial= or slot-id=`);
    const slot = slots[0]!;
    const token = lib.C_GetTokenInfo(slot);
    session = lib.C_OpenSession(slot, p11.CKF_SERIAL_SESSION);
    if (pin !== undefined || token.flags & p11.CKF_LOGIN_REQUIRED) {
      if (pin === undefined) fail('KEY_PASSWORD', 'The PKCS#11 token needs a PIN: add pin-value= or pin-source= to the URI');
      try {
        lib.C_Login(session, p11.CKU_USER, pin);
        loggedIn = true;
      } catch (e) {
        const c = ckr(e);
        if (c === 'CKR_USER_ALREADY_LOGGED_IN') loggedIn = true;
        else if (c.startsWith('CKR_PIN_')) fail('KEY_PASSWORD', `The PKCS#11 token refused the PIN (${c})`);
        else throw e;
      }
    }
    const find = (cls: number): Buffer[] => {
      const tmpl: import('pkcs11js').Template = [{ type: p11.CKA_CLASS, value: cls }];
      if (u.object !== undefined) tmpl.push({ type: p11.CKA_LABEL, value: u.object });
      if (u.id !== undefined) tmpl.push({ type: p11.CKA_ID, value: Buffer.from(u.id) });
      lib.C_FindObjectsInit(session!, tmpl);
      try {
        return lib.C_FindObjects(session!, 2);
      } finally {
        lib.C_FindObjectsFinal(session!);
      }
    };
    const what = [u.object !== undefined ? `object=${u.object}` : '', u.id !== undefined ? `id=${Buffer.from(u.id).toString('hex')}` : '']
      .filter(Boolean)
      .join(';');
    const privs = find(p11.CKO_PRIVATE_KEY);
    if (privs.length === 0)
      fail(
        'INPUT_MISSING',
        `No private key ${what} in the PKCS#11 token '${trimmed(token.label)}'${loggedIn ? '' : ' (no PIN given: private keys may be hidden until login)'}`,
      );
    if (privs.length > 1) fail('KEY_MALFORMED', `More than one private key matches ${what}: add id= to the URI`);
    const priv = privs[0]!;
    const keyTypeNum = lib.C_GetAttributeValue(session, priv, [{ type: p11.CKA_KEY_TYPE }])[0]!.value.readUIntLE(0, 4);
    const keyType = keyTypeNum === p11.CKK_EC ? 'ec' : keyTypeNum === p11.CKK_RSA ? 'rsa' : null;
    if (!keyType) fail('KEY_UNSUPPORTED', 'PKCS#11 signing supports EC (P-256, P-384) and RSA keys');
    let spki = o.publicKeySpki;
    const pubs = find(p11.CKO_PUBLIC_KEY);
    if (pubs.length === 1) {
      const types = keyType === 'ec' ? { params: p11.CKA_EC_PARAMS, point: p11.CKA_EC_POINT } : { modulus: p11.CKA_MODULUS, exponent: p11.CKA_PUBLIC_EXPONENT };
      const vals = lib.C_GetAttributeValue(
        session,
        pubs[0]!,
        Object.values(types).map((type) => ({ type })),
      );
      const attrs = Object.fromEntries(Object.keys(types).map((k, i) => [k, vals[i]!.value]));
      const fromToken = spkiFromAttributes(keyType, attrs);
      if (spki && !Buffer.from(spki).equals(Buffer.from(fromToken))) {
        fail('KEY_MISMATCH', 'The public key from the certificate does not match the public key in the PKCS#11 token');
      }
      spki = fromToken;
    }
    if (!spki) fail('INPUT_MISSING', `The PKCS#11 token holds no public key ${what}: sign with pkcs11-certificate and its certificate instead`);
    let curve: 'P-256' | 'P-384' | undefined;
    if (keyType === 'ec') {
      const params = lib.C_GetAttributeValue(session, priv, [{ type: p11.CKA_EC_PARAMS }])[0]!.value.toString('hex');
      curve = EC_PARAMS[params];
      if (!curve) fail('KEY_UNSUPPORTED', 'PKCS#11 signing supports the curves P-256 and P-384');
    }
    const s = session;
    const sign = async (data: Uint8Array): Promise<Uint8Array> => {
      try {
        if (curve) {
          const digest = createHash(CURVE_DIGEST[curve]).update(data).digest();
          lib.C_SignInit(s, { mechanism: p11.CKM_ECDSA }, priv);
          return p1363ToDer(new Uint8Array(lib.C_Sign(s, digest, Buffer.alloc(2 * 66))));
        }
        lib.C_SignInit(s, { mechanism: p11.CKM_SHA256_RSA_PKCS }, priv);
        return new Uint8Array(lib.C_Sign(s, Buffer.from(data), Buffer.alloc(512)));
      } catch (e) {
        fail('SIGN_FAILED', `The PKCS#11 token could not sign: ${ckr(e) || (e as Error).message}`, { cause: e });
      }
    };
    const key = externalSigningKey(spki, sign);
    if (curve && key.algorithm.kind === 'ec' && key.algorithm.curve !== curve)
      fail('KEY_MISMATCH', 'The PKCS#11 public key is on another curve than its private key');
    return { key, close };
  } catch (e) {
    close();
    if (isModelVerifyError(e)) throw e;
    throw new ModelVerifyError('SIGN_FAILED', `PKCS#11: ${ckr(e) || (e as Error).message}`, { cause: e });
  }
}
