/**
 * Bearer-token auth against the real registry: docker-registry configured with `auth: token` (realm, service,
 * issuer, root certificate bundle) and a token server of ours on 127.0.0.1 that checks Basic credentials and
 * issues the distribution spec's JWTs (ES256, x5c chain to the registry's trusted root, `access` claims). The
 * registry verifies every token itself; OciSource must follow the 401 challenge to the realm and back.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySigner, OciSource, readPrivateKey, signOciManifest, verifyModel } from '../../core/index.js';
import { issue, type IssuedCert } from '../helpers/pki.js';
import { pushImage, registryAvailable, startRegistry, type Registry } from '../helpers/oci-registry.js';
import { refKey } from '../sign/helpers.js';
import { enc, orasArtifact } from './images.js';

const SERVICE = 'mv-test-registry';
const ISSUER = 'mv-test-token-issuer';
const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

async function mintToken(ca: IssuedCert, sub: string, access: { type: string; name: string; actions: string[] }[]): Promise<string> {
  const header = { typ: 'JWT', alg: 'ES256', x5c: [Buffer.from(ca.der).toString('base64')] };
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, sub, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: `${now}-${Math.random()}`, access };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ca.keys.privateKey, enc(input)); // raw r||s, as JWS wants
  return `${input}.${b64url(new Uint8Array(sig))}`;
}

let reg: Registry;
let tokens: Server;
let dir: string;
let ca: IssuedCert;
const requests: string[] = [];

describe.skipIf(!registryAvailable())('bearer-token auth against a real registry', () => {
  beforeAll(async () => {
    ca = await issue({ cn: 'mv-token-signer' });
    dir = mkdtempSync(path.join(tmpdir(), 'mv-token-'));
    const bundle = path.join(dir, 'root.pem');
    writeFileSync(bundle, ca.pem);
    tokens = createServer(async (req, res) => {
      const url = new URL(req.url!, 'http://x');
      requests.push(`${url.searchParams.get('service')} ${url.searchParams.get('scope')} ${req.headers.authorization ? 'basic' : 'anonymous'}`);
      if (req.headers.authorization !== `Basic ${btoa('alice:secret')}`) {
        res.writeHead(401).end();
        return;
      }
      const scope = /^repository:([^:]+):(.+)$/.exec(url.searchParams.get('scope') ?? '');
      const access = scope ? [{ type: 'repository', name: scope[1]!, actions: scope[2]!.split(',').filter((a) => a === 'pull') }] : [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: await mintToken(ca, 'alice', access) }));
    });
    await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', () => r()));
    const realm = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    reg = await startRegistry({
      auth: ['  token:', `    realm: ${realm}`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`, `    rootcertbundle: ${bundle}`].join('\n'),
    });
    // Pushing needs push access: a token minted directly (the token server above grants pull only).
    const push = await mintToken(ca, 'ci', [{ type: 'repository', name: 'private/model', actions: ['pull', 'push'] }]);
    const a = orasArtifact();
    await pushImage(reg.url, 'private/model', 'v1', [a.config.bytes, ...a.layers.map((l) => l.bytes)], enc(JSON.stringify(a.manifest)), undefined, {
      authorization: `Bearer ${push}`,
    });
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
    await new Promise<void>((r) => (tokens ? tokens.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without credentials: REGISTRY_AUTH naming the registry; with them: 401 → token (service, scope) → verified', async () => {
    const ref = `oci://${reg.host}/private/model:v1`;
    await expect(OciSource.open(ref, { plainHttp: true })).rejects.toMatchObject({ code: 'REGISTRY_AUTH', message: expect.stringContaining(reg.host) });
    await expect(OciSource.open(ref, { plainHttp: true, username: 'alice', password: 'wrong' })).rejects.toMatchObject({ code: 'REGISTRY_AUTH' });
    const src = await OciSource.open(ref, { plainHttp: true, username: 'alice', password: 'secret' });
    const signer = keySigner(await readPrivateKey(refKey('signing-key.pem')));
    const signed = await signOciManifest(src.manifestBytes, 'model', signer);
    const r = await verifyModel(src, signed.bundle, { method: 'key', publicKey: refKey('signing-key-pub.pem') });
    expect(r.errors).toEqual([]);
    expect(r.resources.map((x) => x.name)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(requests).toContain(`${SERVICE} repository:private/model:pull basic`);
  });

  it('a token the registry did not issue is refused (REGISTRY_AUTH), never trusted by the client', async () => {
    const other = await issue({ cn: 'someone-else' });
    const forged = await mintToken(other, 'mallory', [{ type: 'repository', name: 'private/model', actions: ['pull'] }]);
    await expect(OciSource.open(`oci://${reg.host}/private/model:v1`, { plainHttp: true, token: forged })).rejects.toMatchObject({ code: 'REGISTRY_AUTH' });
  });
});
