/**
 * Issue 16, OpenTelemetry: with OTEL_TRACES_EXPORTER=otlp and an OTLP endpoint, sign and verify send their spans
 * (command → signature, walk, hashing, compare / walk, hashing, signing) to a collector: here an OTLP/HTTP
 * receiver on 127.0.0.1 in this test, over http/json and http/protobuf. With tracing off, no @opentelemetry module
 * is even resolved (a module hook in the CLI process records every @opentelemetry resolution; it does see them
 * when tracing is on, so the check can fail).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, keyGolden, mv, mvAsync, PRIV, PUB, tmp } from './ops-cli.js';

interface Received {
  path: string;
  type: string;
  body: Buffer;
}
let server: Server;
let endpoint: string;
const received: Received[] = [];
let g: ReturnType<typeof keyGolden>;
let verifyArgs: string[];

beforeAll(async () => {
  buildCli();
  g = keyGolden();
  verifyArgs = [g.model, '--public-key', PUB, '--ignore-paths', path.join(g.model, 'ignore-me')];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      // An empty ExportTraceServiceResponse: {} in JSON, zero bytes in protobuf.
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

interface Span {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status?: { code?: number; message?: string };
}
type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
const value = (v: AnyValue) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attrs = (list: { key: string; value: AnyValue }[] = []) => Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

/** Spans and resource attributes of the OTLP/JSON requests received since `from`. */
function spansSince(from: number): { spans: Span[]; resource: Record<string, unknown>[] } {
  const spans: Span[] = [];
  const resource: Record<string, unknown>[] = [];
  for (const r of received.slice(from)) {
    const doc = JSON.parse(r.body.toString('utf8'));
    for (const rs of doc.resourceSpans ?? []) {
      resource.push(attrs(rs.resource?.attributes));
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, attributes: attrs(s.attributes) });
    }
  }
  return { spans, resource };
}

const OTEL = () => ({
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_SERVICE_NAME: 'mv-test',
});

describe('OTLP traces', () => {
  it('verify: a command span with signature, walk, hashing and compare children and their attributes (http/json)', async () => {
    const from = received.length;
    const r = await mvAsync(['verify', 'key', ...verifyArgs], { env: OTEL() });
    expect(r.code, r.stderr).toBe(0);
    expect(received.slice(from).every((x) => x.path === '/v1/traces' && x.type.includes('application/json'))).toBe(true);
    const { spans, resource } = spansSince(from);
    expect(resource[0]).toMatchObject({ 'service.name': 'mv-test' });
    const root = spans.find((s) => s.name === 'model-verify verify key')!;
    expect(root.attributes).toMatchObject({ command: 'verify key', method: 'key', model_path: g.model, verified: true, model: 'm', files: 2 });
    const by = (n: string) => spans.find((s) => s.name === n)!;
    for (const n of ['signature', 'walk', 'hashing', 'compare']) {
      expect(by(n), n).toBeDefined();
      expect(by(n).traceId).toBe(root.traceId);
      expect(by(n).parentSpanId).toBe(root.spanId);
    }
    expect(by('signature').attributes).toMatchObject({ method: 'key', resources: 2 });
    expect(by('walk').attributes).toMatchObject({ files: 2, model: 'm' });
    expect(by('hashing').attributes).toMatchObject({ backend: 'node:worker_threads', bytes: root.attributes.bytes });
    expect(by('compare').attributes).toMatchObject({ verdict: true });
  });

  it('a failed verification: the error code on the compare and command spans, status ERROR', async () => {
    const bad = keyGolden();
    writeFileSync(path.join(bad.model, 'signme-1'), 'tampered');
    const from = received.length;
    const r = await mvAsync(['verify', 'key', bad.model, '--public-key', PUB, '--ignore-paths', path.join(bad.model, 'ignore-me')], { env: OTEL() });
    expect(r.code).toBe(1);
    const { spans } = spansSince(from);
    const root = spans.find((s) => s.name === 'model-verify verify key')!;
    expect(root.attributes).toMatchObject({ verified: false, code: 'HASH_MISMATCH' });
    expect(root.status?.code).toBe(2); // STATUS_CODE_ERROR
    expect(spans.find((s) => s.name === 'compare')!.attributes).toMatchObject({ verdict: false, code: 'HASH_MISMATCH' });
  });

  it('a failed signature check: the signature span carries the code', async () => {
    const from = received.length;
    // The golden's signature with one DSSE signature byte changed: SIGNATURE_INVALID in the signature phase.
    const bad = keyGolden();
    const bundle = JSON.parse(readFileSync(bad.sig, 'utf8'));
    const raw = Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64');
    raw[raw.length - 5] = raw[raw.length - 5]! ^ 1;
    bundle.dsseEnvelope.signatures[0].sig = raw.toString('base64');
    writeFileSync(bad.sig, JSON.stringify(bundle));
    const r = await mvAsync(['verify', 'key', bad.model, '--public-key', PUB], { env: OTEL() });
    expect(r.code).toBe(1);
    const sig = spansSince(from).spans.find((s) => s.name === 'signature')!;
    expect(typeof sig.attributes.code).toBe('string');
    expect(sig.status?.code).toBe(2);
  });

  it('sign: walk, hashing and signing under the command span; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given', async () => {
    const from = received.length;
    const sig = path.join(tmp(), 'model.sig');
    const env = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/custom/traces`,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    };
    const r = await mvAsync(['sign', 'key', g.model, '--private-key', PRIV, '--signature', sig], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(received.slice(from).map((x) => x.path)).toContain('/custom/traces');
    const { spans, resource } = spansSince(from);
    expect(resource[0]).toMatchObject({ 'service.name': 'model-verify' });
    const root = spans.find((s) => s.name === 'model-verify sign key')!;
    expect(root.attributes).toMatchObject({ verified: true, files: 4 }); // signme-1, signme-2, ignore-me, model.sig (in the model)
    expect(spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name)).toEqual(expect.arrayContaining(['walk', 'hashing', 'signing']));
    expect(spans.find((s) => s.name === 'signing')!.attributes).toMatchObject({ method: 'key' });
  });

  it('the Go port test-otel.sh flow, key and certificate: sign and verify command spans carry method and model_path', async () => {
    const dir = tmp();
    const model = path.join(dir, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), 'layer-weights\n');
    writeFileSync(path.join(model, 'config.json'), 'model-config\n');
    const from = received.length;
    const K = path.dirname(PUB);
    const runs = [
      ['sign', 'key', '--signature', path.join(dir, 'key.sig'), '--private-key', PRIV, model],
      ['verify', 'key', '--signature', path.join(dir, 'key.sig'), '--public-key', PUB, model],
      [
        'sign',
        'certificate',
        '--signature',
        path.join(dir, 'cert.sig'),
        '--private-key',
        PRIV,
        '--signing-certificate',
        path.join(K, 'signing-key-cert.pem'),
        '--certificate-chain',
        path.join(K, 'int-ca-cert.pem'),
        model,
      ],
      ['verify', 'certificate', '--signature', path.join(dir, 'cert.sig'), '--certificate-chain', path.join(K, 'ca-cert.pem'), model],
    ];
    for (const args of runs) {
      const r = await mvAsync(args, { env: { ...OTEL(), OTEL_SERVICE_NAME: 'model-signing' } });
      expect(r.code, r.stderr).toBe(0);
    }
    const { spans, resource } = spansSince(from);
    expect(resource.every((r) => r['service.name'] === 'model-signing')).toBe(true);
    const roots = spans
      .filter((s) => s.name.startsWith('model-verify '))
      .map((s) => [s.name, s.attributes.method, s.attributes.model_path, s.attributes.verified]);
    expect(roots).toEqual([
      ['model-verify sign key', 'key', model, true],
      ['model-verify verify key', 'key', model, true],
      ['model-verify sign certificate', 'certificate', model, true],
      ['model-verify verify certificate', 'certificate', model, true],
    ]);
  });

  it('verify sigstore (a keyless golden, embedded root): a trust-root span, and the signature span names the root', async () => {
    const from = received.length;
    const args = [
      'verify',
      'sigstore',
      'v1.1.0-sigstore',
      '--identity',
      'stefanb@us.ibm.com',
      '--identity-provider',
      'https://sigstore.verify.ibm.com/oauth2',
      '--offline',
    ];
    const r = await mvAsync(args, { env: OTEL() });
    expect(r.code, r.stderr).toBe(0);
    const { spans } = spansSince(from);
    const root = spans.find((s) => s.name === 'model-verify verify sigstore')!;
    expect(root.attributes).toMatchObject({ method: 'sigstore', verified: true });
    const trust = spans.find((s) => s.name === 'trust-root')!;
    expect(trust.parentSpanId).toBe(root.spanId);
    expect(trust.attributes).toMatchObject({ embedded: true });
    expect(spans.find((s) => s.name === 'signature')!.attributes).toMatchObject({
      method: 'sigstore',
      trust_root: expect.stringContaining('Sigstore public-good'),
    });
  });

  it('http/protobuf (the default protocol): protobuf bodies carrying the span names', async () => {
    const from = received.length;
    const env = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint };
    const r = await mvAsync(['verify', 'key', ...verifyArgs], { env });
    expect(r.code, r.stderr).toBe(0);
    const got = received.slice(from);
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((x) => x.type === 'application/x-protobuf')).toBe(true);
    const bytes = Buffer.concat(got.map((x) => x.body));
    // Protobuf strings are length-prefixed UTF-8: the names appear verbatim in the encoding.
    for (const n of ['model-verify verify key', 'signature', 'walk', 'hashing', 'compare', 'service.name', 'model-verify'])
      expect(bytes.includes(Buffer.from(n)), n).toBe(true);
    expect(() => JSON.parse(bytes.toString('utf8'))).toThrow();
  });

  it('a collector that is down does not fail the command or hold it up for long (a warning, the verdict stands)', () => {
    const r = mv(['verify', 'key', ...verifyArgs], { env: { ...OTEL(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Verification succeeded');
    expect(r.stderr).toMatch(/level=WARN msg="traces (could not be exported|not exported)/);
    expect(r.ms).toBeLessThan(9000); // the exporter's own default would retry for 10 s
  });
});

describe('tracing off: no OpenTelemetry module is loaded', () => {
  // Preload: a module resolve hook (node:module register) appending every @opentelemetry URL the process resolves to a file.
  const hookDir = () => {
    const dir = tmp();
    const hook = path.join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) {\n  const r = await next(s, c);\n  if (r.url.includes('@opentelemetry')) appendFileSync(${JSON.stringify(path.join(dir, 'loaded.txt'))}, r.url + '\\n');\n  return r;\n}\n`,
    );
    const preload = path.join(dir, 'preload.mjs');
    writeFileSync(preload, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hook}`)});\n`);
    return { preload, loaded: path.join(dir, 'loaded.txt') };
  };

  it('sees the modules when tracing is on (the check works)', () => {
    const h = hookDir();
    const r = mv(['verify', 'key', ...verifyArgs], { preload: h.preload, env: { ...OTEL(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(h.loaded, 'utf8')).toMatch(/@opentelemetry\/sdk-trace/);
  });

  it('resolves none without the variables, with only one of them, or with another exporter', () => {
    const envs: Record<string, string>[] = [
      {},
      { OTEL_TRACES_EXPORTER: 'otlp' },
      { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    ];
    for (const env of envs) {
      const h = hookDir();
      const r = mv(['verify', 'key', ...verifyArgs, '--log-level', 'debug'], { preload: h.preload, env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('msg="tracing off"');
      expect(existsSync(h.loaded), JSON.stringify(env)).toBe(false);
    }
  });
});
