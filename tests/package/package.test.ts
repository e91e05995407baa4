/**
 * The npm package as an outsider gets it: `npm pack` of a fresh build, installed from the tarball into a new
 * project (dependencies from the npm registry, cache first), then used only through `model-verify*` specifiers:
 *   1. a Node ESM script (core + node) verifies a golden, and a tampered copy fails;
 *   2. a strict TypeScript consumer type-checks against the shipped .d.ts (report narrowed by signer.method);
 *   3. a Vite app importing `model-verify/element` is built and verifies a golden by URL in Chromium;
 *   4. a Worker importing `model-verify/worker` runs in workerd (wrangler dev, local R2 + KV), mounted at /mv,
 *      publishes a model and gates it;
 *   5. `npx model-verify --version` and `verify` from the consumer project.
 * The build goes to a staging copy (scripts/build-package.mjs --outdir), never to this checkout's dist/, which
 * other suites read while this one runs. Tools (tsc, vite, wrangler, Chromium) are this repository's own.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CA_CERT, PUB_KEY, ROOT, SCRIPTS } from '../helpers/fixtures.js';

const BIN = (name: string) => path.join(ROOT, 'node_modules/.bin', name);
const repoPkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const GOLDEN = 'v1.1.0-elliptic-key'; // directory model: signme-1, signme-2, ignore-me (recorded ignore), model.sig
const CERT_GOLDEN = 'v1.1.0-certificate';
const ADMIN = 'consumer-admin-token';

let tmp = '';
let consumer = '';
let tarball = '';
const timings: Record<string, number> = {};

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A copy of the golden with one byte of signme-1 flipped. */
function tamperedCopy(kase: string): string {
  const dir = path.join(tmp, `tampered-${kase}`);
  if (existsSync(dir)) return dir;
  cpSync(path.join(SCRIPTS, kase), dir, { recursive: true });
  const f = path.join(dir, 'signme-1');
  const b = readFileSync(f);
  b[0] = b[0]! ^ 0x01;
  writeFileSync(f, b);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  let t = Date.now();
  tmp = mkdtempSync(path.join(tmpdir(), 'mv-pkg-'));
  // Staging copy: the package's own files plus a build of its own.
  const stage = path.join(tmp, 'stage');
  mkdirSync(stage);
  for (const f of ['package.json', 'README.md', 'custom-elements.json', 'bin', 'report.schema.json']) {
    if (existsSync(path.join(ROOT, f))) cpSync(path.join(ROOT, f), path.join(stage, f), { recursive: true });
  }
  ok(sh(process.execPath, ['scripts/build-package.mjs', '--outdir', path.join(stage, 'dist')], ROOT), 'build-package');
  timings.build = Date.now() - t;

  t = Date.now();
  // Scripts ignored: the build above is what prepack would run.
  const out = ok(sh('npm', ['pack', stage, '--ignore-scripts', '--json', '--pack-destination', tmp], tmp), 'npm pack');
  const info = (JSON.parse(out.slice(out.indexOf('['))) as { filename: string; size: number; files: { path: string }[] }[])[0]!;
  tarball = path.join(tmp, info.filename);
  timings.pack = Date.now() - t;
  timings.tarballBytes = info.size;
  const files = info.files.map((f) => f.path);
  expect(files).toEqual(
    expect.arrayContaining([
      'bin/model-verify.js',
      'dist/cli/model-verify.mjs',
      'dist/cli/hash-worker.mjs',
      'dist/pkg/core/index.js',
      'dist/pkg/core/index.d.ts',
      'dist/pkg/node/hash-worker.js',
      'dist/pkg/browser/hash-worker.js',
      'dist/pkg/workerd/wasm/sha256.wasm',
      'dist/model-verify.js',
      'dist/model-verify-hash-worker.js',
      'README.md',
    ]),
  );
  if (existsSync(path.join(ROOT, 'report.schema.json'))) expect(files).toContain('report.schema.json');
  // The element's lazily imported chunks ship beside dist/model-verify.js (the CDN form is that folder).
  expect(files.filter((f) => /^dist\/model-verify-chunk-[\w.-]+\.js$/.test(f)).length).toBeGreaterThan(0);
  // Sources, tests, fixtures and source maps stay out of the tarball.
  expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((f) => f.startsWith('tests/') || f.endsWith('.map'))).toEqual([]);
  expect(info.size).toBeLessThan(3 * 1024 * 1024);

  t = Date.now();
  consumer = path.join(tmp, 'consumer');
  mkdirSync(consumer);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'mv-consumer', private: true, type: 'module' }, null, 2));
  // Types a real consumer would have anyway (Node, and workers-types for a Worker), at the repo's pinned versions.
  const dev = repoPkg.devDependencies;
  ok(
    sh(
      'npm',
      [
        'install',
        tarball,
        `@types/node@${dev['@types/node']}`,
        `@cloudflare/workers-types@${dev['@cloudflare/workers-types']}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel',
        'error',
      ],
      consumer,
    ),
    'npm install',
  );
  timings.install = Date.now() - t;
}, 300_000);

afterAll(() => {
  console.log(`package test timings (ms): ${JSON.stringify(timings)}`);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('model-verify from its npm tarball', () => {
  test('1. a Node ESM script verifies a golden with model-verify + model-verify/node; a tampered copy fails', () => {
    const dir = path.join(consumer, 'node-esm');
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'verify.mjs'),
      `import { readFile } from 'node:fs/promises';
import { verifyModel, isModelVerifyError, MemorySource } from 'model-verify';
import { NodeSource, NodeHashPool } from 'model-verify/node';

const [model, sig, method, pem] = process.argv.slice(2);
const policy = method === 'key' ? { method, publicKey: await readFile(pem, 'utf8') } : { method, anchors: [await readFile(pem, 'utf8')] };
const pool = new NodeHashPool({ threads: 2 });
const report = await verifyModel(await NodeSource.open(model), await readFile(sig), policy, { ignorePaths: ['model.sig'], backend: pool });
await pool.close();
// The package's typed errors: a missing model is a ModelVerifyError with a stable code.
const missing = await NodeSource.open(model + '/no-such-dir').catch((e) => (isModelVerifyError(e) ? e.code : 'untyped'));
console.log(JSON.stringify({ verified: report.verified, errors: report.errors, backend: report.hashBackend, resources: report.resources.map((r) => [r.name, r.status]), missing, memory: typeof MemorySource }));
`,
    );
    const run = (model: string, method: string, pem: string, sigOf = model) =>
      JSON.parse(ok(sh(process.execPath, ['verify.mjs', model, path.join(sigOf, 'model.sig'), method, pem], dir), 'verify.mjs')) as {
        verified: boolean;
        errors: { code: string; resource?: string }[];
        backend: string;
        resources: [string, string][];
        missing: string;
        memory: string;
      };
    const good = run(path.join(SCRIPTS, GOLDEN), 'key', PUB_KEY);
    expect(good.errors).toEqual([]);
    expect(good.verified).toBe(true);
    // Hashed by the package's worker_threads pool (its worker script found beside the emitted module).
    expect(good.backend).toBe('node:worker_threads');
    expect(good.resources).toEqual([
      ['signme-1', 'ok'],
      ['signme-2', 'ok'],
    ]);
    expect(good.missing).toBe('MODEL_NOT_FOUND');
    expect(good.memory).toBe('function');
    expect(run(path.join(SCRIPTS, CERT_GOLDEN), 'certificate', CA_CERT).verified).toBe(true);

    const bad = run(tamperedCopy(GOLDEN), 'key', PUB_KEY, path.join(SCRIPTS, GOLDEN));
    expect(bad.verified).toBe(false);
    expect(bad.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-1' });
    // The wrong anchor for the key golden: refused at the signature, before any hashing.
    expect(run(path.join(SCRIPTS, GOLDEN), 'certificate', CA_CERT).verified).toBe(false);
  }, 120_000);

  test('2. a strict TypeScript consumer type-checks against the shipped declarations', () => {
    const dir = path.join(consumer, 'ts');
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          types: ['node'],
          noEmit: true,
        },
        include: ['src'],
      }),
    );
    // Node + browser + element: one DOM program. skipLibCheck is off, so errors inside the shipped .d.ts count.
    writeFileSync(
      path.join(dir, 'src/app.ts'),
      `import { verifyModel, verifySignature, signModel, HttpSource, MemorySource, ModelVerifyError, type ErrorCode, type Policy, type VerificationReport, type SignerSummary } from 'model-verify';
import { NodeSource, NodeHashPool, NodeCryptoBackend } from 'model-verify/node';
import { BrowserFileSource, BrowserHashPool, pickedFromInput } from 'model-verify/browser';
import { ModelVerifyElement, defineModelVerify, type VerifyResultDetail } from 'model-verify/element/class';

/** Narrowing by signer.method: SignerSummary is a union discriminated by method, each variant with only its fields. */
export function who(report: VerificationReport): string {
  const s: SignerSummary | undefined = report.signer;
  if (!s) return 'no signer';
  switch (s.method) {
    case 'key':
      // @ts-expect-error a key signer carries no identity: the union is discriminated, not one loose interface
      void s.identity;
      return \`key \${s.keyHint ?? '(no hint)'}\`;
    case 'certificate':
      return \`certificate \${s.certificate?.subject ?? ''}\`;
    case 'sigstore':
      return \`\${s.identity ?? ''} via \${s.issuer ?? ''}\`;
    default: {
      const unreachable: never = s; // a fourth method must be handled here
      return unreachable;
    }
  }
}

export async function run(pem: string, bundle: Uint8Array): Promise<string> {
  const policy: Policy = { method: 'key', publicKey: pem };
  const r: VerificationReport = await verifyModel(await NodeSource.open('m'), bundle, policy, { backend: new NodeHashPool(), ignorePaths: ['model.sig'] });
  const first: ErrorCode | undefined = r.errors[0]?.code;
  const sig = await verifySignature(bundle, policy);
  void sig.manifest;
  void new NodeCryptoBackend();
  void new MemorySource('x', { a: 'b' });
  void new HttpSource('https://example.test/model/');
  void signModel;
  return \`\${r.verified} \${first ?? ''} \${who(r)}\`;
}

export function page(input: HTMLInputElement): void {
  void BrowserFileSource.fromPicked(pickedFromInput(input.files ?? []));
  void new BrowserFileSource('picked', new Map([['.', new Blob(['x'])]]));
  void new BrowserHashPool({ workers: 2 });
  defineModelVerify('my-verify');
  const el = document.createElement('my-verify') as ModelVerifyElement;
  el.addEventListener('verify-result', (e) => {
    const d = (e as CustomEvent<VerifyResultDetail>).detail;
    console.log(d.verified, who(d.report));
  });
  const err = new ModelVerifyError('HASH_MISMATCH', 'x');
  const code: ErrorCode = err.code;
  void code;
}

// The types are real, not \`any\`: each of these must be an error.
// @ts-expect-error: not a policy method
export const badPolicy: Policy = { method: 'pgp', publicKey: '' };
// @ts-expect-error: not an error code
export const badCode: ErrorCode = 'NOT_A_CODE';
`,
    );
    const r = sh(BIN('tsc'), ['-p', dir], dir);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);

    // The Worker entry with Cloudflare's types (its own program: workers-types and DOM declare the same globals).
    const wdir = path.join(consumer, 'ts-worker');
    mkdirSync(path.join(wdir, 'src'), { recursive: true });
    writeFileSync(
      path.join(wdir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          types: ['@cloudflare/workers-types/latest'],
          noEmit: true,
        },
        include: ['src'],
      }),
    );
    writeFileSync(
      path.join(wdir, 'src/index.ts'),
      `import { createModelGate, type ModelGateOptions } from 'model-verify/worker';
interface Env { BUCKET: R2Bucket; KV: KVNamespace; ADMIN_TOKEN: string }
export default {
  fetch(req: Request, env: Env): Promise<Response> {
    const o: ModelGateOptions = { bucket: env.BUCKET, kv: env.KV, adminToken: env.ADMIN_TOKEN, basePath: '/mv' };
    return createModelGate(o).fetch(req);
  },
} satisfies ExportedHandler<Env>;
// @ts-expect-error: the bucket is required
createModelGate({ kv: {} as KVNamespace });
`,
    );
    const w = sh(BIN('tsc'), ['-p', wdir], wdir);
    expect(w.stdout + w.stderr).toBe('');
    expect(w.status).toBe(0);
  }, 120_000);

  test('3. a Vite app importing model-verify/element verifies a golden by URL in Chromium', async () => {
    const dir = path.join(consumer, 'vite-app');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'main.js'), `import 'model-verify/element';\n`);
    writeFileSync(
      path.join(dir, 'index.html'),
      `<!doctype html><html><head><meta charset="utf-8"><script type="module" src="./main.js"></script></head><body>
<model-verify id="good" auto src="/fixtures/${GOLDEN}/" signature="/fixtures/${GOLDEN}/model.sig" method="key" public-key="/fixtures/keys/certificate/signing-key-pub.pem"></model-verify>
<model-verify id="tampered" auto src="/tampered/" signature="/fixtures/${GOLDEN}/model.sig" method="key" public-key="/fixtures/keys/certificate/signing-key-pub.pem"></model-verify>
</body></html>`,
    );
    let t = Date.now();
    // No config of ours beyond defaults: what `npm create vite` would give a consumer.
    ok(sh(BIN('vite'), ['build', '--logLevel', 'warn'], dir), 'vite build');
    timings.viteBuild = Date.now() - t;
    const assets = readdirSync(path.join(dir, 'dist/assets'));
    // The package's hash worker became its own chunk (found through new URL('./hash-worker.js', import.meta.url)).
    expect(assets.filter((a) => /hash-worker.*\.js$/.test(a)).length).toBe(1);

    const server = await serve({ '/fixtures/': SCRIPTS, '/tampered/': tamperedCopy(GOLDEN), '/': path.join(dir, 'dist') });
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      t = Date.now();
      const page = await browser.newPage();
      const workers: string[] = [];
      page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
      await page.addInitScript(() => {
        const results: Record<string, unknown> = {};
        (window as unknown as { __mv: typeof results }).__mv = results;
        document.addEventListener('verify-result', (e) => (results[(e.target as HTMLElement).id] = (e as CustomEvent).detail));
      });
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => Object.keys((window as unknown as { __mv: object }).__mv).length === 2, undefined, { timeout: 60_000 });
      const r = (await page.evaluate(() => (window as unknown as { __mv: unknown }).__mv)) as Record<
        string,
        { verified: boolean; report: { errors: { code: string; resource?: string }[] } }
      >;
      expect(r.good!.report.errors).toEqual([]);
      expect(r.good!.verified).toBe(true);
      expect(r.tampered!.verified).toBe(false);
      expect(r.tampered!.report.errors[0]).toMatchObject({ code: 'HASH_MISMATCH', resource: 'signme-1' });
      await expect.poll(() => page.locator('#good [part="label"]').textContent()).toMatch(/^verified · key [0-9a-f]{12}…$/);
      // Hashing ran in the worker chunk Vite emitted from the package.
      expect(workers.some((w) => /\/assets\/hash-worker.*\.js$/.test(w))).toBe(true);
      timings.chromium = Date.now() - t;
    } finally {
      await browser.close();
      await server.close();
    }
  }, 180_000);

  test('4. a Worker importing model-verify/worker runs in workerd (local R2 + KV), publishes a model and gates it', async () => {
    const dir = path.join(consumer, 'worker');
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    writeFileSync(
      path.join(dir, 'src/index.ts'),
      `import { createModelGate } from 'model-verify/worker';

interface Env { MODELS: R2Bucket; VERDICTS: KVNamespace; ADMIN_TOKEN: string }

// The operator's own Worker: its home page, and the gate mounted under /mv.
export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === '/mv' || url.pathname.startsWith('/mv/')) {
      return createModelGate({ bucket: env.MODELS, kv: env.VERDICTS, adminToken: env.ADMIN_TOKEN, basePath: '/mv' }).fetch(req);
    }
    return new Response('operator home', { headers: { 'x-operator': 'yes' } });
  },
} satisfies ExportedHandler<Env>;
`,
    );
    writeFileSync(
      path.join(dir, 'wrangler.toml'),
      `name = "mv-consumer"
main = "src/index.ts"
compatibility_date = "2026-04-26"

[vars]
ADMIN_TOKEN = "${ADMIN}"

[[r2_buckets]]
binding = "MODELS"
bucket_name = "consumer-models"

[[kv_namespaces]]
binding = "VERDICTS"
id = "00000000000000000000000000000001"
`,
    );
    const port = await freePort();
    const inspector = await freePort();
    const state = path.join(tmp, 'wrangler-state');
    const t = Date.now();
    const child = spawn(
      BIN('wrangler'),
      [
        'dev',
        '--local',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(inspector),
        '--persist-to',
        state,
        '--show-interactive-dev-session=false',
        '--log-level',
        'warn',
      ],
      {
        cwd: dir,
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          XDG_CONFIG_HOME: path.join(tmp, 'xdg'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: workerd stops with wrangler
      },
    );
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${output}`);
        const r = await fetch(`${base}/`).catch(() => null);
        if (r?.ok) {
          expect(await r.text()).toBe('operator home');
          break;
        }
        await new Promise((res) => setTimeout(res, 250));
      }
      timings.wranglerReady = Date.now() - t;
      const admin = { authorization: `Bearer ${ADMIN}` };
      const golden = path.join(SCRIPTS, GOLDEN);
      const put = (p: string, body: BodyInit, auth = true) => fetch(`${base}/mv/api/v1/models/demo/${p}`, { method: 'PUT', body, headers: auth ? admin : {} });

      // Publishing needs the token; then policy, files, signature last.
      expect((await put('policy', JSON.stringify({ method: 'key', publicKey: readFileSync(PUB_KEY, 'utf8') }), false)).status).toBe(401);
      expect((await put('policy', JSON.stringify({ method: 'key', publicKey: readFileSync(PUB_KEY, 'utf8') }))).status).toBe(200);
      for (const f of ['signme-1', 'signme-2', 'model.sig'])
        expect([200, 201], f).toContain((await put(`files/${f}`, readFileSync(path.join(golden, f)))).status);

      // Verified bytes are served, identical to the signed file.
      const got = await fetch(`${base}/mv/models/demo/signme-1`);
      expect(got.status).toBe(200);
      expect(got.headers.get('x-model-verify')).toBe('verified');
      expect(Buffer.from(await got.arrayBuffer()).equals(readFileSync(path.join(golden, 'signme-1')))).toBe(true);
      const state1 = (await (await fetch(`${base}/mv/api/v1/models/demo`)).json()) as { verified: boolean; gate: string };
      expect(state1.verified).toBe(true);
      expect(state1.gate).toBe('/mv/models/demo/'); // links carry the mount point

      // A re-uploaded (tampered) file is refused; the untouched one is still served.
      const tampered = Buffer.from(readFileSync(path.join(golden, 'signme-2')));
      tampered[0] = tampered[0]! ^ 0x01;
      expect([200, 201]).toContain((await put('files/signme-2', tampered)).status);
      const refused = await fetch(`${base}/mv/models/demo/signme-2`);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('HASH_MISMATCH');
      expect((await fetch(`${base}/mv/models/demo/signme-1`)).status).toBe(200);

      // Outside the mount point the operator's Worker answers, not the gate.
      const outside = await fetch(`${base}/models/demo/signme-1`);
      expect(outside.headers.get('x-operator')).toBe('yes');
    } finally {
      if (child.pid && child.exitCode === null) {
        const exited = new Promise((r) => child.on('exit', r));
        process.kill(-child.pid, 'SIGTERM');
        await exited;
      }
    }
  }, 180_000);

  test('5. npx model-verify --version and verify work from the consumer project', () => {
    // `--`: without it npx takes --version for itself. `--no`: the installed bin only, never a registry fetch.
    const npx = (args: string[]) => sh('npx', ['--no', '--', 'model-verify', ...args], consumer);
    const v = npx(['--version']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(repoPkg.version);

    const golden = path.join(SCRIPTS, GOLDEN);
    const good = npx([
      'verify',
      'key',
      '--signature',
      path.join(golden, 'model.sig'),
      '--public-key',
      PUB_KEY,
      '--ignore-paths',
      path.join(golden, 'ignore-me'),
      golden,
    ]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^Verification succeeded/);

    const missing = npx(['verify', 'key', '--signature', path.join(golden, 'model.sig'), '--public-key', PUB_KEY, path.join(tmp, 'no-such-model')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('[MODEL_NOT_FOUND]');
    const tampered = tamperedCopy(GOLDEN);
    const mismatch = npx([
      'verify',
      'key',
      '--signature',
      path.join(golden, 'model.sig'),
      '--public-key',
      PUB_KEY,
      '--ignore-paths',
      path.join(tampered, 'ignore-me'),
      tampered,
    ]);
    expect(mismatch.status).toBe(1);
    expect(mismatch.stderr).toContain('[HASH_MISMATCH]');
  }, 60_000);
});

/** Static files over HTTP with HEAD and single ranges (what HttpSource asks a model host for). */
async function serve(mounts: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html; charset=utf-8', '.wasm': 'application/wasm', '.css': 'text/css' };
  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const prefix = Object.keys(mounts).find((m) => pathname.startsWith(m));
    const dir = prefix && mounts[prefix]!;
    const file = dir ? path.normalize(path.join(dir, pathname.slice(prefix.length))) : '';
    let size = -1;
    try {
      if (dir && file.startsWith(path.normalize(dir)) && statSync(file).isFile()) size = statSync(file).size;
    } catch {}
    if (size < 0) return res.writeHead(404).end('not found');
    const headers: Record<string, string | number> = {
      'content-type': types[path.extname(file)] ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    };
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let [start, end, status] = [0, size, 200];
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(size, Number(m[2]) + 1) : size;
      if (start >= size || start >= end) return res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
    }
    headers['content-length'] = end - start;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || end === start) return res.end();
    createReadStream(file, { start, end: end - 1 }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
