/**
 * Examples at the end of every command's --help (issue 12: a first-time user should not need the README to
 * get a first verification right). Kept in one table so a new command without examples fails the CLI test that
 * walks every command.
 */
import type { Command } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  'model-verify': [
    'model-verify inspect my-model/model.sig          # who signed, and how to verify it',
    'model-verify verify my-model --identity release@example.org --identity-provider https://accounts.google.com',
    'model-verify verify my-model --public-key signer.pub.pem',
    'model-verify sign key my-model --private-key key.pem',
  ],
  download: [
    'model-verify download hf://org/model ./model --public-key signer.pub.pem    # only verified files land in ./model',
    'HF_TOKEN=hf_… model-verify download hf://org/gated@v1.0 ./gated --identity release@example.org --identity-provider https://accounts.google.com',
    "model-verify download hf://org/model ./model --public-key k.pem --include '*.json' --include 'tokenizer/**'   # a subset",
    'model-verify download https://example.org/models/m/ ./m --public-key k.pem   # any source verify takes',
  ],
  inspect: [
    'model-verify inspect my-model/model.sig',
    'model-verify inspect my-model                    # reads my-model/model.sig',
    'model-verify inspect --json my-model/model.sig',
    'model-verify inspect --trusted-root trusted_root.json model.sig   # a private Sigstore instance',
  ],
  verify: [
    '# the method is inferred: identity flags = sigstore, --public-key = key, --certificate-chain = certificate; no flags: the signature says',
    'model-verify verify my-model --identity release@example.org --identity-provider https://accounts.google.com',
    "model-verify verify my-model --identity-regexp '.*@example\\.org' --identity-provider https://accounts.google.com",
    'model-verify verify my-model --public-key signer.pub.pem',
    'model-verify verify hf://org/model@main --public-key signer.pub.pem   # a Hub repository (HF_ENDPOINT, HF_TOKEN)',
    'model-verify verify my-model --certificate-chain ca.pem --signature signatures/model.sig',
    'model-verify inspect my-model/model.sig          # not sure who signed? look first',
  ],
  'verify key': [
    'model-verify verify key my-model --public-key signer.pub.pem              # --signature defaults to my-model/model.sig',
    'model-verify verify key model.onnx --public-key signer.pub.pem --signature model.onnx.sig',
  ],
  'verify certificate': [
    'model-verify verify certificate my-model --certificate-chain ca.pem',
    'model-verify verify certificate my-model --certificate-chain root.pem --certificate-chain other-root.pem --log-fingerprints',
  ],
  'verify sigstore': [
    'model-verify verify sigstore my-model --identity release@example.org --identity-provider https://accounts.google.com',
    'model-verify verify sigstore my-model --identity-provider https://token.actions.githubusercontent.com \\',
    "    --identity-regexp 'https://github\\.com/org/repo/\\.github/workflows/.*'",
    'model-verify verify sigstore my-model --identity me@example.org --identity-provider https://issuer.example --trusted-root trusted_root.json',
  ],
  digest: ['model-verify digest my-model --ignore-paths my-model/model.sig', 'model-verify digest model.onnx'],
  'verify-model': [
    'model-verify verify-model --method key --model-path /models/m --bundle /models/m/model.sig --public-key signer.pub.pem',
    'model-verify verify-model --method sigstore --model-path /models/m --bundle /models/m/model.sig --identity me@example.org --identity-provider https://accounts.google.com',
  ],
  sign: [
    'model-verify sign key my-model --private-key key.pem                     # writes model.sig',
    'SIGSTORE_ID_TOKEN=$TOKEN model-verify sign sigstore my-model --signature my-model/model.sig',
  ],
  'sign key': [
    'model-verify sign key my-model --private-key key.pem --signature my-model/model.sig',
    'MODEL_SIGNING_PASSWORD=secret model-verify sign key my-model --private-key encrypted.pem',
  ],
  'sign certificate': ['model-verify sign certificate my-model --private-key key.pem --signing-certificate leaf.pem --certificate-chain int.pem'],
  'sign pkcs11-key': [
    "model-verify sign pkcs11-key my-model --pkcs11-uri 'pkcs11:token=release;object=signing-key?pin-source=/run/secrets/pin' --module-path /usr/lib/softhsm/libsofthsm2.so",
  ],
  'sign pkcs11-certificate': [
    "model-verify sign pkcs11-certificate my-model --pkcs11-uri 'pkcs11:token=release;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234' --signing-certificate leaf.pem --certificate-chain ca.pem",
  ],
  'sign sigstore': [
    'SIGSTORE_ID_TOKEN=$TOKEN model-verify sign sigstore my-model            # a CI token with audience sigstore',
    'model-verify sign sigstore my-model --identity-token "$TOKEN" --trust-config private_instance.json',
  ],
  'sign-model': ['model-verify sign-model --method key --model-path /models/m --output-bundle /tmp/model.sig --private-key key.pem'],
  'verify-bundle': [
    'model-verify verify-bundle --bundle artifact.sigstore.json --certificate-identity me@example.org --certificate-oidc-issuer https://accounts.google.com artifact.tar.gz',
    'model-verify verify-bundle --bundle b.json --key signer.pub.pem sha256:<hex>',
  ],
};

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.length > 1 ? names.slice(1).join(' ') : names[0]!;
}

/** Adds "Examples:" after the help of every command in the tree that has an entry. */
export function addExamples(program: Command): void {
  const visit = (cmd: Command) => {
    const lines = EXAMPLES[commandPath(cmd)];
    if (lines) cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
}
