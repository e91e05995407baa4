/**
 * A long-lived verifier process for the property test's permission cases: it is started once as an
 * unprivileged user (setpriv), reads one JSON request per line on stdin, verifies with the real NodeSource
 * and verifyModel (optionally on the real worker_threads pool) and writes one JSON line per answer on stdout.
 * Starting the CLI once per case would cost most of the test's time budget. `startVerifyServer()` builds and runs it.
 */
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { NodeHashPool } from '../../node/hash-pool.js';
import { NodeSource } from '../../node/source.js';
import { verifyModel } from '../../core/verify/verify-model.js';

export interface VerifyRequest {
  id: number;
  model: string;
  signature: string;
  publicKey: string;
  ignorePaths: string[];
  ignoreUnsigned: boolean;
  allowSymlinks: boolean;
  pool: boolean;
}

export interface VerifyAnswer {
  id: number;
  verified?: boolean;
  errors?: { code: string; message: string; resource?: string }[];
  /** verifyModel threw (it must never): the message. */
  threw?: string;
}

const workerUrl = process.env.HASH_WORKER_URL ? new URL(process.env.HASH_WORKER_URL) : undefined;
let pool: NodeHashPool | undefined;

async function handle(req: VerifyRequest): Promise<VerifyAnswer> {
  try {
    const source = await NodeSource.open(req.model);
    if (req.pool) {
      pool ??= new NodeHashPool({ threads: 2, ...(workerUrl ? { workerUrl } : {}) });
      pool.warm(); // running workers: the pool lends its idle one to the walk (node/walk-remote.ts), as in the CLI
    }
    const report = await verifyModel(
      source,
      readFileSync(req.signature),
      { method: 'key', publicKey: req.publicKey },
      {
        ignorePaths: req.ignorePaths,
        ignoreUnsigned: req.ignoreUnsigned,
        allowSymlinks: req.allowSymlinks,
        ...(req.pool && pool ? { backend: pool } : {}),
      },
    );
    return { id: req.id, verified: report.verified, errors: report.errors };
  } catch (e) {
    // NodeSource.open may refuse a model with a typed error; anything else escaping verifyModel is a bug.
    const code = (e as { code?: unknown })?.code;
    if ((e as Error)?.name === 'ModelVerifyError' && typeof code === 'string') {
      return { id: req.id, verified: false, errors: [{ code, message: (e as Error).message }] };
    }
    return { id: req.id, threw: `${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}` };
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = JSON.parse(line) as VerifyRequest;
  void handle(req).then((a) => process.stdout.write(JSON.stringify(a) + '\n'));
});
rl.on('close', () => void pool?.close());
process.stdout.write(JSON.stringify({ id: -1, verified: true }) + '\n');
