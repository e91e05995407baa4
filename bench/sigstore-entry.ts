/**
 * What `npm run bench:sigstore` times in every runtime: verifying one Sigstore bundle (v1.1.0 golden: RFC 3161
 * timestamp, SET, Fulcio chain at two times, SCT, checkpoint, Merkle proof, DSSE), crypto only, no model hashing.
 */
import { parseBundle } from '../core/bundle/reader.js';
import { embeddedTrustRoot, verifySigstoreBundle } from '../core/sigstore/index.js';
import bundleText from '../tests/fixtures/model-transparency/scripts/tests/v1.1.0-sigstore/model.sig';

const POLICY = { method: 'sigstore', identity: 'stefanb@us.ibm.com', issuer: 'https://sigstore.verify.ibm.com/oauth2' } as const;

export interface BenchResult {
  runs: number;
  medianMs: number;
  p90Ms: number;
  firstMs: number;
}

export async function benchSigstore(runs = 50): Promise<BenchResult> {
  const trust = embeddedTrustRoot();
  const once = async () => {
    const t0 = performance.now();
    await verifySigstoreBundle(parseBundle(bundleText), { kind: 'identity', policy: POLICY }, trust);
    return performance.now() - t0;
  };
  const firstMs = await once(); // cold: key imports, parsing of the trust root
  for (let i = 0; i < 5; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { runs, medianMs: q(0.5), p90Ms: q(0.9), firstMs };
}
