/**
 * Starts `npm start`'s script (scripts/start.mjs: wrangler dev + demo model) on a free port with a throw-away
 * state directory, for tests that need the real local edge; `stop()` ends it with wrangler and workerd.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface LocalEdge {
  /** e.g. http://127.0.0.1:34567 */
  base: string;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startLocalEdge(prefix = 'mv-edge-'): Promise<LocalEdge> {
  const state = mkdtempSync(path.join(tmpdir(), prefix));
  const port = await freePort();
  const inspector = await freePort(); // wrangler's fixed default (9229) would collide between parallel tests
  // Reuse an app build made just before (Playwright's web server, or `npm run build`).
  const reuse = existsSync(path.join(ROOT, 'dist/app/index.html')) ? { MODEL_VERIFY_SKIP_BUILD: '1' } : {};
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), INSPECTOR_PORT: String(inspector), MODEL_VERIFY_STATE: state, ...reuse },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: wrangler and workerd stop with it
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      const exited = new Promise((r) => child.on('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(state, { recursive: true, force: true });
  };
  const base = await new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) {
        clearInterval(t);
        resolve(m[1]!);
      }
    }, 200);
    child.on('exit', (code) => {
      clearInterval(t);
      reject(new Error(`start.mjs exited (${code}):\n${output}`));
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { base, output: () => output, stop };
}
