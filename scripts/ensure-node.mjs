// Makes Node 22 and 24 available for the test matrix without touching the system node (which stays the
// project's baseline, 20.19+). The binaries come from the npm registry only: the `node-<platform>-<arch>`
// packages carry the official Node build itself, so `npm install` of a pinned version is all it takes.
// Idempotent: a version already installed under .tmp/node-<major> is reused (checked with `node -v`).
//
//   node scripts/ensure-node.mjs        installs what is missing, prints `node<major> <path>` per line
//   import { ensureNodes } from './ensure-node.mjs'   (scripts/test.mjs)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Pinned exactly: a test matrix that moves under us by itself is not a matrix. */
export const PINNED = { 22: '22.23.3', 24: '24.22.3' };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The registry package holding the Node binary for this machine (only linux-x64 is exercised by us). */
function packageName() {
  const platform = { linux: 'linux', darwin: 'darwin' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (!platform || !arch) throw new Error(`No Node binary package is known for ${process.platform}-${process.arch}`);
  return `node-${platform}-${arch}`;
}

function versionOf(bin) {
  if (!existsSync(bin)) return undefined;
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().replace(/^v/, '') : undefined;
}

/** Installs (if needed) one pinned Node and returns the absolute path of its binary. */
export function ensureNode(major) {
  const version = PINNED[major];
  if (!version) throw new Error(`Node ${major} is not pinned (pinned: ${Object.keys(PINNED).join(', ')})`);
  const pkg = packageName();
  const prefix = path.join(ROOT, '.tmp', `node-${major}`);
  const bin = path.join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (versionOf(bin) === version) return bin;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // --prefix makes the folder its own npm project (nothing in the checkout's package.json or lockfile
  // changes); --no-save/--no-package-lock leave no manifest behind, so a rerun decides by the binary alone.
  const args = ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `${pkg}@${version}`];
  console.error(`ensure-node: installing ${pkg}@${version} from the npm registry into ${path.relative(ROOT, prefix)}`);
  // npm's own summary goes to stderr: stdout carries only the paths, for scripts that read them.
  const r = spawnSync(npm, args, { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  const got = versionOf(bin);
  if (got !== version) throw new Error(`${bin} reports ${got ?? 'nothing'} after installing ${pkg}@${version}`);
  return bin;
}

/** Every pinned Node, in ascending major order. */
export function ensureNodes() {
  return Object.keys(PINNED)
    .map(Number)
    .sort((a, b) => a - b)
    .map((major) => ({ major, version: PINNED[major], bin: ensureNode(major) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    for (const n of ensureNodes()) console.log(`node${n.major} ${n.bin}`);
  } catch (e) {
    console.error(`ensure-node: ${e.message}`);
    process.exit(1);
  }
}
