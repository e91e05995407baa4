// Offline support for the verify page: same-origin app assets are served from a cache and refreshed in the
// background (stale-while-revalidate). Model files and signatures are never cached: they are either local
// files (no request at all) or URLs the user verifies, which must be fetched fresh.
const CACHE = 'model-verify-app-v1';
const APP_ASSET = /\.(?:js|css|html|wasm|svg|png|ico|json|webmanifest)$/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(['./', './index.html'])).then(() => self.skipWaiting()));
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
      const cached = await cache.match(key);
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
