/**
 * Random model trees for the property test (tests/cli/property-tree.test.ts): fast-check arbitraries for a tree
 * and its mutations, and plain node:fs code that writes them to disk. Nothing here knows the verification rules;
 * it only builds hostile inputs (nested dirs, shard-boundary sizes, symlinks in and out, dangling links, FIFOs,
 * unreadable entries) inside a case directory laid out as
 *
 *   <case>/model/           the model (model.sig is written at its root)
 *   <case>/outside/         files and a directory outside the model (symlink targets, copies)
 *   <case>/key.pub.pem      the verifier's public key
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';

/** Directories entries are placed in (model-relative; '' is the root). Three levels at most. */
export const DIRS = ['', 'd', 'd/e', 'd/e/f', 'g', '.git', '.github', 'ig', 'ig/sub'] as const;
/** Entry names: ordering traps (`a-c`, `a.b` vs `a/`), hidden files, a nested `.gitignore`, non-ASCII, a space, a colon. */
export const NAMES = ['a', 'b', 'a-c', 'a.b', 'x.json', '.hidden', '.gitignore', 'É', 'sp ace', 'k:1', 'model.sig'] as const;
/** Candidate user ignore paths (lexical, model-relative; some do not exist). */
export const IGNORE_CANDIDATES = ['ig', 'ig/sub', 'd/e', 'a', 'd/a', 'g/b', 'nope', 'd/e/f/a', '.hidden'] as const;

export type SizeSpec = 'zero' | 'shard-1' | 'shard' | 'shard+1' | '2shard' | '2shard+1' | number;
export type LinkTo = 'inFile' | 'inDir' | 'root' | 'outFile' | 'outDir' | 'dangling' | 'self' | 'chain' | 'sig';
export type LinkStyle = 'rel' | 'abs' | 'round';
/** File modes (for the unprivileged verifier: 'other' bits decide) and directory modes. */
export const FILE_MODES = [0o000, 0o600, 0o200] as const;
export const DIR_MODES = [0o000, 0o700, 0o751, 0o754] as const;

export type EntrySpec =
  | { kind: 'file'; dir: number; name: number; size: SizeSpec; seed: number; mode: number | null }
  | { kind: 'dir'; dir: number; name: number; mode: number | null }
  | { kind: 'link'; dir: number; name: number; to: LinkTo; pick: number; style: LinkStyle }
  | { kind: 'fifo'; dir: number; name: number };

export type Mutation =
  | { op: 'add'; dir: number; name: number; size: SizeSpec; seed: number }
  | { op: 'remove'; pick: number }
  | { op: 'extend'; pick: number; n: number }
  | { op: 'shrink'; pick: number; n: number }
  | { op: 'flip'; pick: number; pos: number; xor: number }
  | { op: 'touch'; pick: number }
  | { op: 'rename'; pick: number; name: number }
  | { op: 'swapLink'; pick: number; copy: 'ignored' | 'plain' | 'outside'; style: LinkStyle }
  | { op: 'addDirLink'; dir: number; name: number; to: 'inDir' | 'root' | 'outDir'; pick: number; style: LinkStyle }
  | { op: 'addLink'; dir: number; name: number; to: LinkTo; pick: number; style: LinkStyle }
  | { op: 'chmod'; pick: number; mode: number };

export interface TreeCase {
  method: 'files' | 'shards';
  hash: 'sha256' | 'blake2b';
  shardSize: number;
  signAllowSymlinks: boolean;
  verifyAllowSymlinks: boolean;
  ignoreUnsigned: boolean;
  /** User ignores at signing (recorded in the signature). */
  signIgnores: string[];
  /** Extra user ignores at verification only. */
  verifyIgnores: string[];
  /** Size of the one file always present (`m.bin`), so the model is never empty. */
  baseSize: SizeSpec;
  entries: EntrySpec[];
  mutations: Mutation[];
  /** Hash with the worker_threads pool instead of the in-thread backend (in-process route). */
  pool: boolean;
  /** Verify with the built CLI as an unprivileged user even without permission changes (a cross-check). */
  cli: boolean;
}

const idx = (n: number) => fc.nat({ max: n - 1 });
const sizeArb: fc.Arbitrary<SizeSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<SizeSpec>('zero', 'shard-1', 'shard', 'shard+1', '2shard', '2shard+1') },
  { weight: 1, arbitrary: fc.nat({ max: 50 }) },
);
const linkTo = fc.constantFrom<LinkTo>('inFile', 'inDir', 'root', 'outFile', 'outDir', 'dangling', 'self', 'chain', 'sig');
const style = fc.constantFrom<LinkStyle>('rel', 'abs', 'round');
const maybe = <T>(a: fc.Arbitrary<T>, pNull = 5) => fc.oneof({ weight: pNull, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });

const entryArb: fc.Arbitrary<EntrySpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('file' as const),
      dir: idx(DIRS.length),
      name: idx(NAMES.length),
      size: sizeArb,
      seed: fc.nat({ max: 3 }),
      mode: maybe(fc.constantFrom(...FILE_MODES), 12),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('dir' as const), dir: idx(DIRS.length), name: idx(NAMES.length), mode: maybe(fc.constantFrom(...DIR_MODES), 8) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('link' as const), dir: idx(DIRS.length), name: idx(NAMES.length), to: linkTo, pick: fc.nat(), style }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fifo' as const), dir: idx(DIRS.length), name: idx(NAMES.length) }) },
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), dir: idx(DIRS.length), name: idx(NAMES.length), size: sizeArb, seed: fc.nat({ max: 3 }) }),
  fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('extend' as const), pick: fc.nat(), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant('shrink' as const), pick: fc.nat(), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant('flip' as const), pick: fc.nat(), pos: fc.nat(), xor: fc.nat({ max: 255 }) }),
  fc.record({ op: fc.constant('touch' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('rename' as const), pick: fc.nat(), name: idx(NAMES.length) }),
  fc.record({ op: fc.constant('swapLink' as const), pick: fc.nat(), copy: fc.constantFrom('ignored' as const, 'plain' as const, 'outside' as const), style }),
  fc.record({
    op: fc.constant('addDirLink' as const),
    dir: idx(DIRS.length),
    name: idx(NAMES.length),
    to: fc.constantFrom('inDir' as const, 'root' as const, 'outDir' as const),
    pick: fc.nat(),
    style,
  }),
  fc.record({ op: fc.constant('addLink' as const), dir: idx(DIRS.length), name: idx(NAMES.length), to: linkTo, pick: fc.nat(), style }),
  fc.record({ op: fc.constant('chmod' as const), pick: fc.nat(), mode: fc.constantFrom(...FILE_MODES, ...DIR_MODES) }),
);

export const treeCaseArb: fc.Arbitrary<TreeCase> = fc.record({
  method: fc.constantFrom('files' as const, 'shards' as const),
  hash: fc.constantFrom('sha256' as const, 'blake2b' as const),
  shardSize: fc.constantFrom(2, 3, 4, 7, 16),
  signAllowSymlinks: fc.boolean(),
  verifyAllowSymlinks: fc.boolean(),
  ignoreUnsigned: fc.boolean(),
  signIgnores: fc.uniqueArray(fc.constantFrom(...IGNORE_CANDIDATES), { maxLength: 2 }),
  verifyIgnores: fc.uniqueArray(fc.constantFrom(...IGNORE_CANDIDATES), { maxLength: 1 }),
  baseSize: sizeArb.filter((s) => s !== 'zero' && s !== 0),
  entries: fc.array(entryArb, { maxLength: 11 }),
  mutations: fc.array(mutationArb, { maxLength: 3 }),
  // Not `n === 0`: fast-check biases integers towards small values.
  pool: fc.nat({ max: 99 }).map((n) => n % 5 === 3),
  cli: fc.nat({ max: 99 }).map((n) => n === 37),
});

export function sizeOf(s: SizeSpec, shard: number): number {
  switch (s) {
    case 'zero':
      return 0;
    case 'shard-1':
      return shard - 1;
    case 'shard':
      return shard;
    case 'shard+1':
      return shard + 1;
    case '2shard':
      return 2 * shard;
    case '2shard+1':
      return 2 * shard + 1;
    default:
      return s;
  }
}

/** Deterministic bytes; equal seeds and sizes give identical files (duplicate digests are part of the game). */
export function content(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 97 + i * 13 + (i >> 4)) & 0xff;
  return b;
}

/**
 * FIFOs made in bulk (one `mkfifo` for many) and moved into trees with rename(2): spawning mkfifo per FIFO
 * would dominate the run time. `stockDir` must be on the same filesystem as the case directories.
 */
export class FifoStock {
  private free: string[] = [];
  private made = 0;
  constructor(private readonly stockDir: string) {
    mkdirSync(stockDir, { recursive: true });
  }
  take(): string {
    if (this.free.length === 0) {
      const batch = Array.from({ length: 64 }, () => path.join(this.stockDir, `fifo${this.made++}`));
      execFileSync('mkfifo', batch);
      this.free.push(...batch);
    }
    return this.free.pop()!;
  }
}

export class CaseDir {
  readonly model: string;
  readonly outside: string;
  /** Entries that hold FIFOs, so a verifier stuck opening one can be released. */
  readonly fifos: string[] = [];
  /** Creators of entries taken out for signing (see `takeOut`), to put them back afterwards. */
  private readonly restore: (() => void)[] = [];

  constructor(
    readonly root: string,
    private readonly fifoStock: FifoStock,
  ) {
    this.model = path.join(root, 'model');
    this.outside = path.join(root, 'outside');
    mkdirSync(this.model, { recursive: true });
    mkdirSync(path.join(this.outside, 'od'), { recursive: true });
    writeFileSync(path.join(this.outside, 'o.bin'), content(9, 5));
    writeFileSync(path.join(this.outside, 'od', 'inner'), content(8, 3));
  }

  abs(rel: string): string {
    return rel === '' ? this.model : path.join(this.model, ...rel.split('/'));
  }

  /** Every entry below the model root (lstat, links not followed), model-relative, sorted; model.sig excluded. */
  entries(): { rel: string; kind: 'file' | 'dir' | 'link' | 'other' }[] {
    const out: { rel: string; kind: 'file' | 'dir' | 'link' | 'other' }[] = [];
    const rec = (dirRel: string) => {
      for (const name of readdirSync(this.abs(dirRel)).sort()) {
        const rel = dirRel ? `${dirRel}/${name}` : name;
        if (rel === 'model.sig') continue;
        const st = lstatSync(this.abs(rel));
        const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other';
        out.push({ rel, kind });
        if (kind === 'dir') rec(rel);
      }
    };
    rec('');
    return out;
  }

  private free(rel: string): boolean {
    if (rel === 'model.sig' || rel === '') return false;
    try {
      lstatSync(this.abs(rel));
      return false;
    } catch {
      return true;
    }
  }

  private ensureDir(dirRel: string): boolean {
    // A parent that is not a real directory (a file or link took the name) makes the entry impossible.
    const parts = dirRel.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = this.abs(parts.slice(0, i).join('/'));
      if (!existsSync(p)) mkdirSync(p);
      else if (!lstatSync(p).isDirectory()) return false;
    }
    return true;
  }

  writeFile(rel: string, data: Buffer): boolean {
    const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (!this.ensureDir(dir) || !this.free(rel)) return false;
    writeFileSync(this.abs(rel), data);
    return true;
  }

  /** Link text for a target given as an absolute path, in the requested style. */
  private linkText(linkRel: string, targetAbs: string, s: LinkStyle): string {
    const from = path.dirname(this.abs(linkRel));
    if (s === 'abs') return targetAbs;
    if (s === 'round' && targetAbs.startsWith(this.root + path.sep)) {
      // Leaves the model lexically and comes back in: ../../model/x
      return path.join(path.relative(from, this.root), path.relative(this.root, targetAbs));
    }
    return path.relative(from, targetAbs) || '.';
  }

  private pickOf(kind: 'file' | 'dir' | 'link', pick: number): string | null {
    const all = this.entries()
      .filter((e) => e.kind === kind)
      .map((e) => e.rel);
    return all.length === 0 ? null : all[pick % all.length]!;
  }

  addLink(rel: string, to: LinkTo | 'inDir' | 'root' | 'outDir', pick: number, s: LinkStyle): boolean {
    const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (!this.ensureDir(dir) || !this.free(rel)) return false;
    let target: string;
    switch (to) {
      case 'inFile': {
        const f = this.pickOf('file', pick);
        target = f === null ? path.join(this.model, 'no-such-file') : this.abs(f);
        break;
      }
      case 'inDir': {
        const d = this.pickOf('dir', pick);
        target = d === null ? this.model : this.abs(d);
        break;
      }
      case 'root':
        target = this.model;
        break;
      case 'outFile':
        target = path.join(this.outside, 'o.bin');
        break;
      case 'outDir':
        target = path.join(this.outside, 'od');
        break;
      case 'dangling':
        target = path.join(this.model, dir, 'nothing-here');
        break;
      case 'self':
        target = this.abs(rel);
        break;
      case 'chain': {
        const l = this.pickOf('link', pick);
        const f = l ?? this.pickOf('file', pick);
        target = f === null ? path.join(this.model, 'no-such-file') : this.abs(f);
        break;
      }
      case 'sig':
        target = path.join(this.model, 'model.sig');
        break;
    }
    const text = this.linkText(rel, target, s);
    symlinkSync(text, this.abs(rel));
    return true;
  }

  addFifo(rel: string): boolean {
    const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (!this.ensureDir(dir) || !this.free(rel)) return false;
    renameSync(this.fifoStock.take(), this.abs(rel));
    this.fifos.push(this.abs(rel));
    return true;
  }

  /** Builds the generated entries; returns the modes to apply once the model is signed (as root they change nothing). */
  build(c: TreeCase): { rel: string; mode: number }[] {
    this.writeFile('m.bin', content(1, sizeOf(c.baseSize, c.shardSize)));
    const modes: { rel: string; mode: number }[] = [];
    const links: Extract<EntrySpec, { kind: 'link' }>[] = [];
    const rels = new Map<EntrySpec, string>();
    for (const e of c.entries) {
      const rel = [DIRS[e.dir]!, NAMES[e.name]!].filter(Boolean).join('/');
      rels.set(e, rel);
      if (e.kind === 'file') {
        if (this.writeFile(rel, content(e.seed, sizeOf(e.size, c.shardSize))) && e.mode !== null) modes.push({ rel, mode: e.mode });
      } else if (e.kind === 'dir') {
        if (this.free(rel) && this.ensureDir(rel) && e.mode !== null) modes.push({ rel, mode: e.mode });
      } else if (e.kind === 'fifo') {
        this.addFifo(rel);
      } else {
        links.push(e);
      }
    }
    // Links last, so they can point at any file or directory of the tree.
    for (const e of links) this.addLink(rels.get(e)!, e.to, e.pick, e.style);
    return modes;
  }

  /** Removes entries (links, FIFOs) for signing and remembers how to put them back. */
  takeOut(rels: string[]): void {
    for (const rel of rels) {
      const abs = this.abs(rel);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) {
        const text = readlinkSync(abs);
        this.restore.push(() => symlinkSync(text, abs));
        unlinkSync(abs);
      } else if (st.isFIFO()) {
        const parked = this.fifoStock.take();
        rmSync(parked);
        renameSync(abs, parked);
        this.restore.push(() => renameSync(parked, abs));
      } else {
        throw new Error(`takeOut: '${rel}' is neither a link nor a FIFO`);
      }
    }
  }

  putBack(): void {
    for (const f of this.restore.splice(0)) f();
  }

  mutate(m: Mutation, shard: number): string {
    const all = this.entries();
    const files = all.filter((e) => e.kind === 'file').map((e) => e.rel);
    const anyEntry = all.map((e) => e.rel);
    const pickFile = (p: number) => (files.length ? files[p % files.length]! : null);
    const pickAny = (p: number) => (anyEntry.length ? anyEntry[p % anyEntry.length]! : null);
    const at = (dir: number, name: number) => [DIRS[dir]!, NAMES[name]!].filter(Boolean).join('/');
    switch (m.op) {
      case 'add': {
        const rel = at(m.dir, m.name);
        return this.writeFile(rel, content(m.seed, sizeOf(m.size, shard))) ? `add ${rel}` : 'noop';
      }
      case 'remove': {
        const rel = pickAny(m.pick);
        if (!rel) return 'noop';
        rmSync(this.abs(rel), { recursive: true, force: true });
        return `remove ${rel}`;
      }
      case 'extend': {
        const rel = pickFile(m.pick);
        if (!rel) return 'noop';
        writeFileSync(this.abs(rel), content(7, m.n), { flag: 'a' });
        return `extend ${rel} +${m.n}`;
      }
      case 'shrink': {
        const rel = pickFile(m.pick);
        if (!rel) return 'noop';
        const size = lstatSync(this.abs(rel)).size;
        truncateSync(this.abs(rel), Math.max(0, size - m.n));
        return `shrink ${rel} -${m.n}`;
      }
      case 'flip': {
        const rel = pickFile(m.pick);
        if (!rel) return 'noop';
        const b = readFileSync(this.abs(rel));
        if (b.length === 0) return 'noop';
        const pos = m.pos % b.length;
        b[pos] = b[pos]! ^ m.xor;
        writeFileSync(this.abs(rel), b);
        return `flip ${rel}@${pos}^${m.xor}`;
      }
      case 'touch': {
        const rel = pickFile(m.pick);
        if (!rel) return 'noop';
        writeFileSync(this.abs(rel), readFileSync(this.abs(rel)));
        return `touch ${rel}`;
      }
      case 'rename': {
        const rel = pickAny(m.pick);
        if (!rel) return 'noop';
        const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
        const to = [dir, NAMES[m.name]!].filter(Boolean).join('/');
        if (!this.free(to)) return 'noop';
        renameSync(this.abs(rel), this.abs(to));
        return `rename ${rel} → ${to}`;
      }
      case 'swapLink': {
        const rel = pickFile(m.pick);
        if (!rel) return 'noop';
        const data = readFileSync(this.abs(rel));
        const flat = rel.replace(/\//g, '_');
        let copyAbs: string;
        if (m.copy === 'outside') {
          copyAbs = path.join(this.outside, `copy-${flat}`);
          if (existsSync(copyAbs)) return 'noop';
          writeFileSync(copyAbs, data);
        } else {
          const copyRel = m.copy === 'ignored' ? `ig/copy-${flat}` : `copy-${flat}`;
          if (!this.writeFile(copyRel, data)) return 'noop';
          copyAbs = this.abs(copyRel);
        }
        unlinkSync(this.abs(rel));
        symlinkSync(this.linkText(rel, copyAbs, m.style), this.abs(rel));
        return `swapLink ${rel} → ${path.relative(this.root, copyAbs)} (${m.style})`;
      }
      case 'addDirLink':
      case 'addLink': {
        const rel = at(m.dir, m.name);
        return this.addLink(rel, m.to, m.pick, m.style) ? `${m.op} ${rel} → ${m.to} (${m.style})` : 'noop';
      }
      case 'chmod': {
        const rel = pickAny(m.pick);
        if (!rel) return 'noop';
        const st = lstatSync(this.abs(rel));
        if (st.isSymbolicLink()) return 'noop'; // chmod would follow the link
        if (st.isFIFO()) return 'noop';
        chmodSync(this.abs(rel), m.mode);
        return `chmod ${rel} ${m.mode.toString(8).padStart(3, '0')}`;
      }
    }
  }

  /** Unblocks a verifier stuck opening one of the FIFOs (which would be a bug: FIFOs must never be opened). */
  releaseFifos(): void {
    const now = this.entries()
      .filter((e) => e.kind === 'other')
      .map((e) => this.abs(e.rel));
    for (const f of new Set([...this.fifos, ...now])) {
      try {
        closeSync(openSync(f, constants.O_RDWR | constants.O_NONBLOCK));
      } catch {
        /* removed or renamed by a mutation */
      }
    }
  }
}
