/**
 * Re-signs a mutated statement with the fixture's private key (node:crypto, independent of our code),
 * so tests can reach the checks that come after the signature.
 */
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PRIV_KEY } from './fixtures.js';

export function fixturePrivateKey(): KeyObject {
  const text = readFileSync(PRIV_KEY, 'utf8');
  return createPrivateKey(text.slice(text.indexOf('-----BEGIN')));
}

export function paeBytes(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
}

const HASH: Record<string, string> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

/** Returns a new bundle JSON string whose payload/payloadType are replaced and re-signed with `key`. */
export function resignBundle(
  bundleJson: string,
  edit: { statement?: (st: any) => any; payload?: Buffer; payloadType?: string },
  key = fixturePrivateKey(),
): string {
  const b = JSON.parse(bundleJson);
  const env = b.dsseEnvelope;
  let payload: Buffer = Buffer.from(env.payload, 'base64');
  if (edit.statement) payload = Buffer.from(JSON.stringify(edit.statement(JSON.parse(payload.toString('utf8'))), null, 2));
  if (edit.payload) payload = edit.payload;
  const type = edit.payloadType ?? env.payloadType;
  const curve = createPublicKey(key).asymmetricKeyDetails?.namedCurve ?? 'secp384r1';
  // The reference signs PAE over the in-toto type constant, whatever the envelope declares.
  const sig = sign(HASH[curve]!, paeBytes('application/vnd.in-toto+json', payload), key);
  env.payload = payload.toString('base64');
  env.payloadType = type;
  env.signatures = [{ sig: sig.toString('base64'), keyid: '' }];
  return JSON.stringify(b);
}

/** A v1.0 statement over `resources` with the root digest computed independently (node:crypto). */
export function statementFor(
  resources: { name: string; digest: string; algorithm?: string }[],
  serialization: Record<string, unknown> = { method: 'files', hash_type: 'sha256', allow_symlinks: false },
) {
  const root = createHash('sha256');
  for (const r of resources) root.update(Buffer.from(r.digest, 'hex'));
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'model', digest: { sha256: root.digest('hex') } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: { serialization, resources: resources.map((r) => ({ name: r.name, algorithm: r.algorithm ?? 'sha256', digest: r.digest })) },
  };
}

/** The v1.1.0 key golden's bundle re-signed over `statement` with the fixture key. */
export function keyBundleFor(statement: unknown): string {
  const template = readFileSync(new URL('../fixtures/model-transparency/scripts/tests/v1.1.0-elliptic-key/model.sig', import.meta.url), 'utf8');
  return resignBundle(template, { statement: () => statement });
}
