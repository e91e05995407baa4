// Tiny static file server for the widget e2e tests (no dependencies): serves the built element, the test
// pages and the golden fixtures with HEAD and single Range support, like a CDN or a model hub would.
// /tampered/<case>/ serves a fixture folder whose signme-1 has its first byte flipped (the "tampered copy").
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const mounts = {
  '/dist/': join(root, 'dist'),
  '/pages/': join(root, 'tests/e2e/pages'),
  '/fixtures/': join(root, 'tests/fixtures/model-transparency/scripts/tests'),
  '/tampered/': join(root, 'tests/fixtures/model-transparency/scripts/tests'),
  // Verified model loading (tests/e2e/verified-*.spec.ts): bundles and signed models the specs write, npm files.
  '/e2e-build/': join(root, 'test-results/e2e-build'),
  '/verified-models/': join(root, 'test-results/verified-models'),
  '/npm/': join(root, 'node_modules'),
};
/**
 * Requests seen (method, path, range): `/__requests?prefix=/p/` returns those under a path prefix (specs running
 * side by side each read their own), and `&clear` removes them from the list.
 */
let requests = [];
const types = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

function locate(pathname) {
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!pathname.startsWith(prefix)) continue;
    const file = normalize(join(dir, decodeURIComponent(pathname.slice(prefix.length))));
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    return { file, tampered: prefix === '/tampered/' };
  }
  return null;
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/health') return res.end('ok');
  if (url.pathname === '/__requests') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    const prefix = url.searchParams.get('prefix') ?? '/';
    res.end(JSON.stringify(requests.filter((r) => r.path.startsWith(prefix))));
    if (url.searchParams.has('clear')) requests = requests.filter((r) => !r.path.startsWith(prefix));
    return;
  }
  if (requests.length < 10_000) requests.push({ method: req.method, path: url.pathname, range: req.headers.range ?? null });
  const hit = locate(url.pathname);
  let st;
  try {
    st = hit && statSync(hit.file);
  } catch {}
  if (!hit || !st?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('not found');
  }
  const headers = {
    'content-type': types[extname(hit.file)] ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'content-length, content-range',
  };
  // A verifying Service Worker built into /e2e-build/ may control pages under /pages/.
  if (url.pathname.startsWith('/e2e-build/')) headers['service-worker-allowed'] = '/';
  let body = null;
  if (hit.tampered && /signme-1$/.test(hit.file)) {
    body = Buffer.from(readFileSync(hit.file));
    if (body.length > 0) body[0] ^= 0x01;
  }
  const size = st.size;
  let start = 0;
  let end = size; // exclusive
  let status = 200;
  const range = req.headers.range && /^bytes=(\d*)-(\d*)$/.exec(req.headers.range);
  if (range) {
    const a = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
    const b = range[1] === '' || range[2] === '' ? size : Math.min(size, Number(range[2]) + 1);
    if (a >= size || a >= b) {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      return res.end();
    }
    [start, end, status] = [a, b, 206];
    headers['content-range'] = `bytes ${a}-${b - 1}/${size}`;
  }
  headers['content-length'] = String(end - start);
  res.writeHead(status, headers);
  if (req.method === 'HEAD') return res.end();
  if (body) return res.end(body.subarray(start, end));
  if (end === start) return res.end();
  createReadStream(hit.file, { start, end: end - 1 }).pipe(res);
});

const port = Number(process.argv[2] ?? 4175);
server.listen(port, '127.0.0.1', () => console.log(`static server on http://127.0.0.1:${port}/`));
