// Offline support for the verify page: same-origin app assets are served from a cache and refreshed in the
// background (stale-while-revalidate). Model files and signatures are never cached: they are either local
// files (no request at all) or URLs the user verifies, which must be fetched fresh.
const CACHE = 'model-verify-app-v1';
const APP_ASSET = /\.(?:js|css|html|wasm|svg|png|ico|json|webmanifest)$/;

// Some hosts answer `/index.html` with a redirect to `/` (Cloudflare's static assets do). A response that went
// through a redirect must never be served for a navigation (Chromium refuses the page: ERR_FAILED), so the page
// is cached under `./` and any redirected response is stored as a plain copy of its final body.
async function plain(res) {
  if (!res.redirected) return res;
  return new Response(await res.blob(), { status: res.status, statusText: res.statusText, headers: res.headers });
}

// Precache the page and every hashed asset of the build, so the first reload without a network works too.
async function precache() {
  const cache = await caches.open(CACHE);
  const html = await (await fetch('./', { cache: 'no-store' })).text();
  const assets = [...html.matchAll(/(?:src|href)="(\.?\/?assets\/[^"]+)"/g)].map((m) => m[1]);
  // Chunks the page imports on use (Sign page, X.509, Sigstore) and the hash worker: listed at build time.
  const listed = await fetch('./precache.json', { cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : []))
    .catch(() => []);
  // As absolute URLs, so the page's and the list's names for one file coincide (addAll refuses duplicates).
  const urls = ['./', ...assets, ...listed].map((u) => new URL(u, self.location.href).href);
  await Promise.all(
    [...new Set(urls)].map(async (u) => {
      const res = await fetch(u, { cache: 'no-store' });
      if (!res.ok) throw new Error(`precache: ${u} answered ${res.status}`);
      await cache.put(u, await plain(res));
    }),
  );
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
  // The app is one page: only navigations to it are answered from the cache, never one to a download
  // (`/models/…`) or an API route, which must reach the server.
  const isPage = rel === '' || rel === 'index.html';
  if (req.mode === 'navigate' && !isPage) return;
  const isApp = isPage || rel.startsWith('assets/') || (APP_ASSET.test(rel) && !rel.includes('/'));
  if (!isApp) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      // Every navigation inside the app is the one page (a single-page app), cached under `./`.
      const key = isPage ? new URL('./', self.location.href).href : req;
      // ignoreVary: preview servers send `Vary: Origin`, and module scripts are requested in CORS mode.
      const cached = await cache.match(key, { ignoreVary: true });
      const fresh = fetch(req)
        .then((res) => {
          if (res.ok && res.type === 'basic') plain(res.clone()).then((copy) => cache.put(key, copy));
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
