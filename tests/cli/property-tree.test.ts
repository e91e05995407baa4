/**
 * Property: over random model trees, signed with our signer and then randomly mutated, verifyModel says
 * "verified" exactly when an independent oracle (below: its own walk with readdirSync/lstatSync/readFileSync and
 * node:crypto) hashes the tree to exactly the signed manifest, refuses exactly where the oracle refuses, and never
 * fails untyped (INTERNAL) or stalls. Issue 10: "Hostile input must never pass or stall".
 *
 * THE RULES (the oracle is the specification; oms-format.md = ../shared/docs/oms-format.md)
 *
 *  1. Enumeration (§2.2): the model directory is walked recursively. Directories contribute nothing themselves,
 *     so empty directories are invisible; hidden (dot) files are included like any other.
 *  2. Ignores (§2.3): a path is ignored when it equals an ignore path or lies below one, compared component by
 *     component on the model-relative path — lexically: no globs, no basename matching (`d/.gitignore` is not
 *     ignored), no symlink resolution. At verification the ignore set is the top-level `.git`, `.gitattributes`,
 *     `.github`, `.gitignore`, the signature `model.sig` (it lies inside the model), the verifier's own ignore
 *     paths, and every `ignore_paths` entry recorded in the signature. An ignored entry is never examined:
 *     a dangling link, a FIFO or an unreadable directory below an ignored path changes nothing.
 *  3. --ignore-unsigned-files (§3.7; README "Where we deliberately differ": we walk instead of opening signed
 *     names): a non-directory entry whose path is not signed is listed as unsigned and never read or followed,
 *     whatever it is (symlink, FIFO, unreadable file; §2.4: a symlink fails "unless it is ignored or
 *     --ignore-unsigned-files is used"). Signed paths are the resource names, or the path parts of shard names.
 *  4. Symlinks (§2.4 and README "Where we deliberately differ"):
 *     - without --allow-symlinks, every symlink that is examined is refused (SYMLINK_REFUSED), as the reference;
 *     - with it, the link is resolved fully: dangling or looping → SPECIAL_FILE (§2.2c, "it could be missing");
 *       a target outside the model → SYMLINK_REFUSED (ours: symlinks must stay inside the model; the reference
 *       follows them anywhere); a target that is a directory → SYMLINK_REFUSED (ours: the reference silently
 *       skips symlinked directories); a regular file inside the model (ignored paths and model.sig included)
 *       is hashed as the target's bytes under the link's own path.
 *  5. Special files (§2.2c): FIFOs and other non-regular files → SPECIAL_FILE, and they are never opened.
 *  6. Unreadable entries (issue 10): an entry the verifier must list, examine (lstat) or read, and cannot, is
 *     IO_ERROR — never skipped, never "missing". Permission cases are verified as uid/gid 65534 with no groups
 *     (setpriv; see ROUTES); that user owns nothing in the tree, so the 'other' permission bits decide: listing a directory
 *     needs r on it, examining an entry needs x on every directory above it, reading a file needs r on it.
 *     An empty directory without x has nothing to examine, and in shard mode an empty file has no shard to
 *     read, so those are harmless. A symlink refused anyway (no --allow-symlinks) whose resolution is blocked
 *     may be refused as IO_ERROR instead of SYMLINK_REFUSED.
 *  7. Files method (§2.2.4, §2.6): one resource per file, named by its model-relative POSIX path, digest over
 *     all bytes (sha256, or blake2b = BLAKE2b-512); empty files are included (digest of zero bytes).
 *  8. Shards method (§2.7): ranges [0,N), [N,2N), … [kN,size), names `path:start:end`, algorithm
 *     `<hash>-sharded-N`. Empty files have no shards (§2.2.4); ours (README): an empty file the signature does not
 *     cover is reported unsigned, and a signed file's size must equal the extent of its signed shards (so a file
 *     grown past its last signed shard fails even with --ignore-unsigned-files).
 *  9. Comparison (§3.1 step 8): verified iff the computed map id → (algorithm, digest) equals the signed map,
 *     except that unsigned extras are tolerated with --ignore-unsigned-files. Any refusal (4–6) means not
 *     verified, and the report's first error is one of the refusal codes the oracle found.
 * 10. Every failure is a typed error (never INTERNAL), and verification finishes (a stall fails the case).
 *
 * ROUTES. Most cases call verifyModel over NodeSource in this process (a fifth on the worker_threads pool).
 * Cases with permission changes go to a long-lived verifier process started as uid 65534 (verify-server.ts:
 * the same NodeSource + verifyModel, pool included), because root reads everything. About one case in a
 * hundred runs the built CLI (`bin/model-verify.js verify key … --json`), as uid 65534 too. Not root: the
 * permission cases run in this process and the owner bits decide. Root without setpriv: they are skipped
 * (the test name says so).
 *
 * Signing: every tree is signed with our signer (core/sign signModel + keySigner, a fresh P-256 key). Entries
 * the rules refuse at signing (symlinks, FIFOs) are taken out while signing and put back, so hostile entries
 * are present at verification; the signed manifest is also checked against the oracle at signing time.
 *
 * PROPERTY_CASES (default 1000; `npm run fuzz` runs 10000) and PROPERTY_SEED reproduce a run; PROPERTY_KEEP=1
 * keeps the case directories, PROPERTY_COLLECT=1 lists every failing case instead of shrinking the first,
 * PROPERTY_SHRINK=0 reports the first failure unshrunk.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHashPool } from '../../node/hash-pool.js';
import { NodeCryptoBackend } from '../../node/crypto-backend.js';
import { NodeSource } from '../../node/source.js';
import { generateSigningKey, keySigner, signModel, type GeneratedKey } from '../../core/sign/index.js';
import { verifyModel } from '../../core/verify/verify-model.js';
import { CLI } from '../helpers/fixtures.js';
import { CaseDir, FifoStock, type TreeCase, treeCaseArb } from '../helpers/model-tree.js';
import { buildVerifyServer, VerifyServer } from '../helpers/verify-server-client.js';

const CASES = Number(process.env.PROPERTY_CASES ?? 1000);
const SEED = Number(process.env.PROPERTY_SEED ?? 0x0c0ffee);
const GIT_PATHS = ['.git', '.gitattributes', '.github', '.gitignore'];
const NOBODY = 65534;
const STALL_MS = 20_000;
/** PROPERTY_KEEP=1 keeps every case directory (and the run directory) for reproducing a counterexample by hand. */
const KEEP = process.env.PROPERTY_KEEP === '1';
/**
 * PROPERTY_COLLECT=1 runs every case instead of stopping (and shrinking) at the first failure, then prints each
 * failing case and fails if there was any: a survey of all counterexamples of one seed.
 */
const COLLECT = process.env.PROPERTY_COLLECT === '1';
const collected: string[] = [];

// ---------------------------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------------------------

type Code = 'SYMLINK_REFUSED' | 'SPECIAL_FILE' | 'IO_ERROR';

/** What the verifying user may do, by permission bits (rule 6). `null` = the test process itself (root: anything). */
class Access {
  constructor(
    private readonly caseRoot: string,
    /** Which permission triplet applies to the verifying user: 'other' for uid 65534, 'owner' for a non-root owner. */
    private readonly who: 'other' | 'owner' | null,
  ) {}

  private bits(abs: string): number {
    let m: number;
    try {
      m = lstatSync(abs).mode;
    } catch {
      return 7; // does not exist (a link's path through a renamed directory): missing for everyone, not a permission matter
    }
    return this.who === 'owner' ? (m >> 6) & 7 : m & 7;
  }

  /** x on every directory from the case root down to the entry's parent (everything above is 0755). */
  reach(abs: string): boolean {
    if (this.who === null) return true;
    for (let d = path.dirname(abs); d.startsWith(this.caseRoot); d = path.dirname(d)) {
      if (!(this.bits(d) & 1)) return false;
      if (d === this.caseRoot) break;
    }
    return true;
  }

  list(dirAbs: string): boolean {
    return this.who === null || (this.reach(dirAbs) && !!(this.bits(dirAbs) & 4));
  }

  read(fileAbs: string): boolean {
    return this.who === null || (this.reach(fileAbs) && !!(this.bits(fileAbs) & 4));
  }

  /** Can every link of a chain and its final target be reached? (the resolution walks through all of them) */
  resolve(linkAbs: string, realTarget: string | null): boolean {
    if (this.who === null) return true;
    let cur = linkAbs;
    for (let i = 0; i < 40; i++) {
      if (!this.reach(cur)) return false;
      let st;
      try {
        st = lstatSync(cur);
      } catch {
        return true; // dangling: whether this user sees ENOENT or EACCES, it is refused either way
      }
      if (!st.isSymbolicLink()) break;
      cur = path.resolve(path.dirname(cur), readlinkSync(cur));
    }
    return realTarget === null || this.reach(realTarget);
  }
}

interface OracleOptions {
  method: 'files' | 'shards';
  hash: 'sha256' | 'blake2b';
  shardSize: number;
  allowSymlinks: boolean;
  ignoreUnsigned: boolean;
  ignore: string[];
  /** Paths the signature covers (rule 3); only consulted with ignoreUnsigned. */
  signedPaths: Set<string>;
}

interface OracleResult {
  /** Refusals (rules 4–6), each with the codes acceptable for it. */
  refusals: { path: string; codes: Code[] }[];
  /** Computed resources: id → algorithm:digest (digest '' for an empty file reported unsigned in shard mode). */
  resources: Map<string, string>;
  /** Sizes of hashed files (shards: for the extent rule). */
  sizes: Map<string, number>;
  /** The file path of every computed resource. */
  pathOf: Map<string, string>;
  unsigned: string[];
}

function digest(hash: OracleOptions['hash'], bytes: Buffer): string {
  return createHash(hash === 'sha256' ? 'sha256' : 'blake2b512')
    .update(bytes)
    .digest('hex');
}

function isIgnored(rel: string, ignore: string[]): boolean {
  return ignore.some((i) => rel === i || rel.startsWith(i + '/'));
}

/** The whole specification of hashing a model, as plainly as it can be written. */
function oracle(modelDir: string, o: OracleOptions, access: Access): OracleResult {
  const root = realpathSync(modelDir);
  const out: OracleResult = { refusals: [], resources: new Map(), sizes: new Map(), pathOf: new Map(), unsigned: [] };
  const refuse = (p: string, ...codes: Code[]) => out.refusals.push({ path: p, codes });
  const inside = (real: string) => real === root || real.startsWith(root + path.sep);
  const algorithm = o.method === 'files' ? o.hash : `${o.hash}-sharded-${o.shardSize}`;

  const hashFile = (rel: string, bytes: Buffer) => {
    out.sizes.set(rel, bytes.length);
    const add = (id: string, value: string) => {
      out.resources.set(id, value);
      out.pathOf.set(id, rel);
    };
    if (o.method === 'files') return add(rel, `${algorithm}:${digest(o.hash, bytes)}`);
    // Rule 8: an empty file has no shards; if the signature does not cover its path it is an unsigned extra.
    if (bytes.length === 0 && !o.signedPaths.has(rel)) return add(rel, `${algorithm}:`);
    for (let start = 0; start < bytes.length; start += o.shardSize) {
      const end = Math.min(start + o.shardSize, bytes.length);
      add(`${rel}:${start}:${end}`, `${algorithm}:${digest(o.hash, bytes.subarray(start, end))}`);
    }
  };

  // Shards: an empty file has no shard to hash, so nothing of it is ever read (its size comes from lstat).
  const needsRead = (size: number) => o.method === 'files' || size > 0;

  const walk = (dirRel: string) => {
    const dirAbs = dirRel ? path.join(root, ...dirRel.split('/')) : root;
    if (!access.list(dirAbs)) return refuse(dirRel || '.', 'IO_ERROR');
    for (const name of readdirSync(dirAbs)) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const abs = path.join(dirAbs, name);
      if (isIgnored(rel, o.ignore)) continue; // rule 2: never examined
      if (!access.reach(abs)) {
        refuse(rel, 'IO_ERROR'); // rule 6: cannot even be examined
        continue;
      }
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        walk(rel);
        continue;
      }
      if (o.ignoreUnsigned && !o.signedPaths.has(rel)) {
        out.unsigned.push(rel); // rule 3: listed, never read or followed
        continue;
      }
      if (st.isSymbolicLink()) {
        let real: string | null = null;
        try {
          real = realpathSync(abs);
        } catch {
          /* dangling or a loop */
        }
        if (!o.allowSymlinks) {
          // Refused either way; a verifier that resolves the link first may fail on permissions (IO_ERROR).
          refuse(rel, 'SYMLINK_REFUSED', ...(access.resolve(abs, real) ? [] : (['IO_ERROR'] as Code[])));
          continue;
        }
        if (!access.resolve(abs, real)) {
          refuse(rel, 'IO_ERROR', 'SPECIAL_FILE'); // resolution blocked by permissions ("there might be a permission issue")
          continue;
        }
        if (real === null) {
          refuse(rel, 'SPECIAL_FILE', ...(access.resolve(abs, null) ? [] : (['IO_ERROR'] as Code[])));
          continue;
        }
        if (!inside(real)) {
          refuse(rel, 'SYMLINK_REFUSED');
          continue;
        }
        const target = statSync(real);
        if (target.isDirectory()) refuse(rel, 'SYMLINK_REFUSED');
        else if (!target.isFile()) refuse(rel, 'SPECIAL_FILE');
        else if (!access.read(real) && needsRead(target.size)) refuse(rel, 'IO_ERROR');
        else hashFile(rel, readFileSync(real));
        continue;
      }
      if (!st.isFile()) {
        refuse(rel, 'SPECIAL_FILE'); // rule 5
        continue;
      }
      if (!access.read(abs) && needsRead(st.size)) {
        refuse(rel, 'IO_ERROR');
        continue;
      }
      hashFile(rel, readFileSync(abs));
    }
  };
  walk('');
  return out;
}

/** The signed manifest, decoded independently of our bundle reader (base64 payload → JSON). */
function signedManifest(bundle: Uint8Array): {
  resources: Map<string, string>;
  pathOf: Map<string, string>;
  ignorePaths: string[];
  paths: Set<string>;
  extents: Map<string, number>;
} {
  const env = JSON.parse(Buffer.from(bundle).toString('utf8')).dsseEnvelope;
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  const resources = new Map<string, string>();
  const pathOf = new Map<string, string>();
  const paths = new Set<string>();
  const extents = new Map<string, number>();
  for (const r of st.predicate.resources as { name: string; algorithm: string; digest: string }[]) {
    resources.set(r.name, `${r.algorithm}:${r.digest}`);
    const m = st.predicate.serialization.method === 'shards' ? /^(.*):(\d+):(\d+)$/.exec(r.name) : null;
    const p = m ? m[1]! : r.name;
    paths.add(p);
    pathOf.set(r.name, p);
    if (m) extents.set(p, Math.max(extents.get(p) ?? 0, Number(m[3])));
  }
  return { resources, pathOf, ignorePaths: st.predicate.serialization.ignore_paths ?? [], paths, extents };
}

interface Verdict {
  verified: boolean;
  /** Acceptable codes for the first error when the oracle refuses. */
  refusal: Set<Code> | null;
  /** Comparison differences `CODE id` the report must contain (rule 9; rule 8 for resized shard files). */
  diffs: string[];
}

function verdict(o: OracleResult, signed: ReturnType<typeof signedManifest>, ignoreUnsigned: boolean): Verdict {
  if (o.refusals.length > 0) return { verified: false, refusal: new Set(o.refusals.flatMap((r) => r.codes)), diffs: [] };
  const diffs: string[] = [];
  // Rule 8: a signed file whose size is not its signed extent differs as a whole (one difference for the file).
  const resized = new Set<string>();
  for (const [p, end] of signed.extents) {
    if (o.sizes.has(p) && o.sizes.get(p) !== end) {
      resized.add(p);
      diffs.push(`HASH_MISMATCH ${p}`);
    }
  }
  for (const [id, v] of o.resources) {
    if (resized.has(o.pathOf.get(id)!)) continue;
    if (!signed.resources.has(id)) {
      if (!ignoreUnsigned) diffs.push(`UNSIGNED_FILE ${id}`);
    } else if (signed.resources.get(id) !== v) diffs.push(`HASH_MISMATCH ${id}`);
  }
  for (const [id, p] of signed.pathOf) if (!o.resources.has(id) && !resized.has(p)) diffs.push(`MISSING_FILE ${id}`);
  return { verified: diffs.length === 0, refusal: null, diffs: diffs.sort() };
}

// ---------------------------------------------------------------------------------------------------------------
// The two verification routes: in-process (NodeSource, in-thread or worker_threads hashing) and the built CLI
// as an unprivileged user (permission cases, plus a few others as a cross-check).
// ---------------------------------------------------------------------------------------------------------------

interface Outcome {
  verified: boolean;
  errors: { code: string; message: string; resource?: string }[];
  route: string;
}

const isRoot = process.getuid?.() === 0;
const hasSetpriv = isRoot && spawnSync('setpriv', ['--version']).status === 0;
/** How permission cases run: as uid 65534 through setpriv, or directly when we are not root; null = impossible. */
const permissionRoute: 'setpriv' | 'self' | null = !isRoot ? 'self' : hasSetpriv ? 'setpriv' : null;

function cliArgs(c: TreeCase): string[] {
  const args = ['verify', 'key', 'model', '--signature', 'model/model.sig', '--public-key', 'key.pub.pem', '--json'];
  for (const p of c.verifyIgnores) args.push('--ignore-paths', `model/${p}`);
  if (c.ignoreUnsigned) args.push('--ignore-unsigned-files');
  if (c.verifyAllowSymlinks) args.push('--allow-symlinks');
  return args;
}

function viaCli(dir: CaseDir, c: TreeCase, unprivileged: boolean): Outcome {
  const cmd = unprivileged ? 'setpriv' : process.execPath;
  const pre = unprivileged ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath] : [];
  const r = spawnSync(cmd, [...pre, CLI, ...cliArgs(c)], { cwd: dir.root, encoding: 'utf8', timeout: STALL_MS, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error || r.signal) {
    dir.releaseFifos();
    throw new Error(`CLI did not finish (${r.error?.message ?? r.signal}): a stall. stderr: ${r.stderr}`);
  }
  let report: { verified: boolean; errors: Outcome['errors'] };
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`CLI printed no JSON report (exit ${r.status}). stdout: ${r.stdout.slice(0, 500)} stderr: ${r.stderr.slice(0, 500)}`);
  }
  if ((r.status === 0) !== report.verified) throw new Error(`CLI exit code ${r.status} disagrees with verified=${report.verified}`);
  return { verified: report.verified, errors: report.errors, route: unprivileged ? `cli as uid ${NOBODY}` : 'cli' };
}

let pool: NodeHashPool;
let server: VerifyServer | null = null;
let serverCleanup = () => {};

/** The long-lived unprivileged verifier (verify-server.ts): real NodeSource + verifyModel as uid 65534. */
async function viaServer(dir: CaseDir, c: TreeCase): Promise<Outcome> {
  const a = await server!.verify(
    {
      model: dir.model,
      signature: path.join(dir.model, 'model.sig'),
      publicKey: key.publicKeyPem,
      ignorePaths: ['model.sig', ...c.verifyIgnores],
      ignoreUnsigned: c.ignoreUnsigned,
      allowSymlinks: c.verifyAllowSymlinks,
      pool: c.pool,
    },
    STALL_MS,
    () => dir.releaseFifos(),
  );
  if (a.threw !== undefined) throw new Error(`verifyModel threw instead of reporting: ${a.threw}`);
  return { verified: a.verified!, errors: a.errors!, route: `verifyModel as uid ${NOBODY}${c.pool ? ', worker_threads pool' : ''}` };
}

async function inProcess(dir: CaseDir, c: TreeCase, publicKey: string, bundle: Uint8Array): Promise<Outcome> {
  const run = (async () => {
    const source = await NodeSource.open(dir.model);
    return verifyModel(
      source,
      bundle,
      { method: 'key', publicKey },
      {
        ignorePaths: ['model.sig', ...c.verifyIgnores],
        ignoreUnsigned: c.ignoreUnsigned,
        allowSymlinks: c.verifyAllowSymlinks,
        ...(c.pool ? { backend: pool } : {}),
      },
    );
  })();
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      dir.releaseFifos();
      reject(new Error(`verifyModel did not finish within ${STALL_MS} ms: a stall`));
    }, STALL_MS);
  });
  try {
    const report = await Promise.race([run, stall]);
    return { verified: report.verified, errors: report.errors, route: c.pool ? 'in-process, worker_threads pool' : 'in-process' };
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One case
// ---------------------------------------------------------------------------------------------------------------

let work: string;
let key: GeneratedKey;
let fifos: FifoStock;
let n = 0;
const removals: Promise<void>[] = [];
const stats = { cases: 0, verified: 0, refused: 0, mismatched: 0, cli: 0, pool: 0, permissions: 0, msCli: 0, msVerify: 0 };

function hasPermissionChange(dir: CaseDir): boolean {
  const walk = (abs: string): boolean => {
    for (const name of readdirSync(abs)) {
      const p = path.join(abs, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) continue;
      if ((st.mode & 0o777) !== (st.isDirectory() ? 0o755 : 0o644)) return true;
      if (st.isDirectory() && walk(p)) return true;
    }
    return false;
  };
  return walk(dir.model);
}

async function runCase(c: TreeCase): Promise<void> {
  const dir = new CaseDir(path.join(work, `c${n++}`), fifos);
  const log: string[] = [];
  try {
    writeFileSync(path.join(dir.root, 'key.pub.pem'), key.publicKeyPem);
    const modes = dir.build(c);

    // Sign what the rules allow: entries the signer must refuse (links, FIFOs) are taken out while signing and
    // put back afterwards, so they are part of the tree that is verified.
    const signOpts = {
      method: c.method,
      hash: c.hash,
      shardSize: c.shardSize,
      allowSymlinks: c.signAllowSymlinks,
      ignoreUnsigned: false,
      signedPaths: new Set<string>(),
    };
    const signIgnore = [...GIT_PATHS, 'model.sig', ...c.signIgnores];
    const before = oracle(dir.model, { ...signOpts, ignore: signIgnore }, new Access(dir.root, null));
    dir.takeOut(before.refusals.map((r) => r.path));
    const atSign = oracle(dir.model, { ...signOpts, ignore: signIgnore }, new Access(dir.root, null));
    expect(atSign.refusals, 'the sign-time tree is clean').toEqual([]);
    const signed = await signModel(await NodeSource.open(dir.model), keySigner(key.signingKey), {
      hashType: c.hash,
      ...(c.method === 'shards' ? { shardSize: c.shardSize } : {}),
      ignorePaths: ['model.sig', ...c.signIgnores],
      allowSymlinks: c.signAllowSymlinks,
      backend: new NodeCryptoBackend(),
    });
    writeFileSync(path.join(dir.model, 'model.sig'), signed.bundle);
    const manifest = signedManifest(signed.bundle);
    // Our signer hashes the sign-time tree exactly as the oracle does (shard mode: empty files are simply absent).
    const oracleAtSign = new Map([...atSign.resources].filter(([, v]) => !v.endsWith(':')));
    expect(Object.fromEntries(manifest.resources), 'signed manifest = oracle at signing').toEqual(Object.fromEntries(oracleAtSign));
    expect(new Set(manifest.ignorePaths)).toEqual(new Set(signIgnore));

    dir.putBack();
    for (const { rel, mode } of modes) {
      chmodSync(dir.abs(rel), mode);
      log.push(`chmod ${rel} ${mode.toString(8).padStart(3, '0')}`);
    }
    for (const m of c.mutations) log.push(dir.mutate(m, c.shardSize));

    const permissions = hasPermissionChange(dir);
    if (permissions && permissionRoute === null) {
      fc.pre(false); // counted as skipped; see the describe block's note
    }
    const unprivileged = permissions && permissionRoute === 'setpriv';
    const access = new Access(dir.root, permissions ? (permissionRoute === 'self' ? 'owner' : 'other') : null);
    const verifyIgnore = [...GIT_PATHS, 'model.sig', ...c.verifyIgnores, ...manifest.ignorePaths];
    const expected = verdict(
      oracle(
        dir.model,
        {
          method: c.method,
          hash: c.hash,
          shardSize: c.shardSize,
          allowSymlinks: c.verifyAllowSymlinks,
          ignoreUnsigned: c.ignoreUnsigned,
          ignore: verifyIgnore,
          signedPaths: manifest.paths,
        },
        access,
      ),
      manifest,
      c.ignoreUnsigned,
    );

    // The built CLI for a few cases (as uid 65534 when possible), the unprivileged server for permission cases,
    // verifyModel in this process for the rest.
    const t0 = Date.now();
    const got = c.cli
      ? viaCli(dir, c, permissionRoute === 'setpriv')
      : unprivileged
        ? await viaServer(dir, c)
        : await inProcess(dir, c, key.publicKeyPem, signed.bundle);
    stats.cases++;
    if (c.cli) stats.msCli += Date.now() - t0;
    else stats.msVerify += Date.now() - t0;
    if (c.cli) stats.cli++;
    else if (c.pool) stats.pool++;
    if (permissions) stats.permissions++;
    if (expected.verified) stats.verified++;
    else if (expected.refusal) stats.refused++;
    else stats.mismatched++;

    const explain = () =>
      [
        `route: ${got.route}${KEEP ? ` (case directory ${dir.root})` : ''}`,
        `tree after mutation (lstat): ${dir
          .entries()
          .map(
            (e) =>
              `${e.rel}${e.kind === 'dir' ? '/' : e.kind === 'link' ? ` -> ${readlinkSync(dir.abs(e.rel))}` : e.kind === 'other' ? ' (fifo)' : ` [${lstatSync(dir.abs(e.rel)).size} B]`}${modeNote(dir.abs(e.rel))}`,
          )
          .join(', ')}`,
        `applied: ${log.join('; ') || 'nothing'}`,
        `oracle: ${expected.verified ? 'verified' : expected.refusal ? `refuse with one of ${[...expected.refusal].join('|')}` : `not verified: ${expected.diffs.slice(0, 6).join(', ')}${expected.diffs.length > 6 ? `, … ${expected.diffs.length} differences` : ''}`}`,
        `verifier: ${
          got.verified
            ? 'verified'
            : got.errors
                .slice(0, 6)
                .map((e) => `${e.code} ${e.resource ?? ''} (${e.message.slice(0, 200)})`)
                .join('; ')
        }${got.errors.length > 6 ? `; … ${got.errors.length} errors` : ''}`,
      ].join('\n  ');

    // Rule 10: every failure is typed.
    for (const e of got.errors) if (e.code === 'INTERNAL') throw new Error(`untyped (INTERNAL) error\n  ${explain()}`);
    if (got.verified !== expected.verified)
      throw new Error(`verdict ${got.verified ? 'verified' : 'not verified'}, oracle says ${expected.verified ? 'verified' : 'not verified'}\n  ${explain()}`);
    if (got.verified) {
      if (got.errors.length !== 0) throw new Error(`verified with errors\n  ${explain()}`);
      return;
    }
    if (got.errors.length === 0) throw new Error(`not verified and no error\n  ${explain()}`);
    if (expected.refusal) {
      if (!expected.refusal.has(got.errors[0]!.code as Code)) throw new Error(`wrong refusal\n  ${explain()}`);
      return;
    }
    // A comparison failure: every difference the oracle found is reported, and nothing is reported as a refusal.
    const reported = new Set(got.errors.map((e) => `${e.code} ${e.resource}`));
    const unreported = expected.diffs.filter((d) => !reported.has(d));
    const refusalCodes = got.errors.filter((e) => ['SYMLINK_REFUSED', 'SPECIAL_FILE', 'IO_ERROR'].includes(e.code));
    if (unreported.length > 0 || refusalCodes.length > 0)
      throw new Error(`differences not reported as the oracle found them (${unreported.join(', ')})\n  ${explain()}`);
  } finally {
    if (!KEEP) removals.push(rm(dir.root, { recursive: true, force: true })); // in the background
  }
}

function modeNote(abs: string): string {
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) return '';
  const m = st.mode & 0o777;
  return m === (st.isDirectory() ? 0o755 : 0o644) ? '' : ` (mode ${m.toString(8).padStart(3, '0')})`;
}

// ---------------------------------------------------------------------------------------------------------------

describe('property: verified exactly when the oracle hashes the mutated tree to the signed manifest', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'mv-prop-'));
    chmodSync(work, 0o755); // the unprivileged verifier must reach the case directories
    key = await generateSigningKey('P-256');
    fifos = new FifoStock(path.join(work, 'fifo-stock'));
    pool = new NodeHashPool({ threads: 2 });
    pool.warm(); // running workers: the pool lends its idle one to the walk (node/walk-remote.ts), as in the CLI
    if (permissionRoute === 'setpriv') {
      const built = await buildVerifyServer();
      serverCleanup = built.cleanup;
      server = new VerifyServer(built.script, NOBODY);
    }
  });
  afterAll(async () => {
    await Promise.all(removals);
    server?.stop();
    serverCleanup();
    await pool?.close();
    if (work && !KEEP) rmSync(work, { recursive: true, force: true });
    if (KEEP) console.log(`property-tree: case directories kept in ${work}`);
  });

  it(
    `${CASES} random trees × files/shards × sha256/blake2b × ignore-unsigned × allow-symlinks (seed ${SEED})${permissionRoute === null ? ' — permission cases SKIPPED: running as root without setpriv' : ''}`,
    async () => {
      if (permissionRoute === null) {
        console.warn('property-tree: running as root without setpriv: permission (unreadable entry) cases are skipped');
      }
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(treeCaseArb, async (c) => {
          if (!COLLECT) return runCase(c);
          try {
            await runCase(c);
          } catch (e) {
            if (fc.PreconditionFailure.isFailure(e)) throw e;
            collected.push(`${(e as Error).message}\n  case: ${JSON.stringify(c)}`);
          }
        }),
        { numRuns: CASES, seed: SEED, endOnFailure: process.env.PROPERTY_SHRINK === '0' },
      );
      console.log(`property-tree: ${JSON.stringify(stats)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (collected.length > 0) console.log(collected.join('\n\n'));
      expect(collected.length, 'failing cases (PROPERTY_COLLECT)').toBe(0);
      // The generator must reach every outcome, or the property proves little (checked on runs big enough).
      if (CASES >= 200) {
        expect(stats.verified).toBeGreaterThan(CASES / 20);
        expect(stats.refused).toBeGreaterThan(CASES / 20);
        expect(stats.mismatched).toBeGreaterThan(CASES / 20);
        expect(stats.pool).toBeGreaterThan(CASES / 20);
        expect(stats.cli).toBeGreaterThan(0);
        if (permissionRoute !== null) expect(stats.permissions).toBeGreaterThan(CASES / 20);
      }
    },
    Math.max(120_000, CASES * 200),
  );
});
