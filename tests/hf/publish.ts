/** Signs a model with our signer (a fresh P-256 key) and commits it with its model.sig to the Hub double. Core only: portable. */
import { generateSigningKey, keySigner, signModel } from '../../core/sign/index.js';
import { MemorySource } from '../../core/sources/index.js';
import type { HubDouble } from '../helpers/hub-double.js';

export interface Published {
  commit: string;
  bundle: Uint8Array;
  publicKeyPem: string;
  policy: { method: 'key'; publicKey: string };
}

export async function publishSigned(
  hub: HubDouble,
  repo: string,
  files: Record<string, Uint8Array | string>,
  opts: { shardSize?: number; token?: string; branch?: string; extra?: Record<string, Uint8Array | string> } = {},
): Promise<Published> {
  const key = await generateSigningKey();
  const { bundle } = await signModel(
    new MemorySource(repo.split('/')[1]!, files),
    keySigner(key.signingKey),
    opts.shardSize ? { shardSize: opts.shardSize } : {},
  );
  const commit = await hub.commit(
    repo,
    { ...files, ...opts.extra, 'model.sig': bundle },
    { ...(opts.token ? { token: opts.token } : {}), ...(opts.branch ? { branch: opts.branch } : {}) },
  );
  return { commit, bundle, publicKeyPem: key.publicKeyPem, policy: { method: 'key', publicKey: key.publicKeyPem } };
}

/** A small model: an LFS weight file (deterministic bytes), a git-stored config, a nested tokenizer. */
export function sampleModel(): Record<string, Uint8Array | string> {
  return {
    'config.json': '{"layers":2}\n',
    'model.safetensors': new Uint8Array(5000).map((_, i) => (i * 31) % 251),
    'tokenizer/vocab.txt': 'a\nb\nc\n',
  };
}
