// Offline support for the verify page: same-origin app assets are served from a cache and refreshed in the
// background (stale-while-revalidate). Model files and signatures are never cached: they are either local
// files (no request at all) or URLs the user verifies, which must be fetched fresh.
const CACHE = 'model-verify-app-v1';
const APP_ASSET = /\.(?:js|css|html|wasm|svg|png|ico|json|webmanifest)$/;

// Precache the page and every hashed asset of the build, so the first reload without a network works too.
async function precache() {
  const cache = await caches.open(CACHE);
  const html = await (await fetch('./index.html', { cache: 'no-store' })).text();
  const assets = [...html.matchAll(/(?:src|href)="(\.?\/?assets\/[^"]+)"/g)].map((m) => m[1]);
  // Chunks the page imports on use (Sign page, X.509, Sigstore) and the hash worker: listed at build time.
  const listed = await fetch('./precache.json', { cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : []))
    .catch(() => []);
  // As absolute URLs, so the page's and the list's names for one file coincide (addAll refuses duplicates).
  const urls = ['./', './index.html', ...assets, ...listed].map((u) => new URL(u, self.location.href).href);
  await cache.addAll([...new Set(urls)]);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || req.headers.has('range')) return;
  const scope = new URL(self.registration.scope);
  const rel = url.pathname.slice(scope.pathname.length);
  const isApp = req.mode === 'navigate' || rel === '' || rel.startsWith('assets/') || (APP_ASSET.test(rel) && !rel.includes('/'));
  if (!isApp) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const key = req.mode === 'navigate' ? './index.html' : req;
      // ignoreVary: preview servers send `Vary: Origin`, and module scripts are requested in CORS mode.
      const cached = await cache.match(key, { ignoreVary: true });
      const fresh = fetch(req)
        .then((res) => {
          if (res.ok && res.type === 'basic') cache.put(key, res.clone());
          return res;
        })
        .catch(() => undefined);
      if (cached) {
        event.waitUntil(fresh);
        return cached;
      }
      return (await fresh) ?? Response.error();
    }),
  );
});
