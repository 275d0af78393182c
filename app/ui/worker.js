// Tessera's service worker (app/ui/worker.js, go-app's
// ServiceWorkerTemplate): it keeps the app's files and the prerendered
// pages of its routes, so that every page opens at once and offline. It
// never touches /api/: nothing with a token or the user's data is cached.
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(cacheName);
    await cache.addAll(resourcesToCache);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== cacheName && key.startsWith("app-")) {
        await caches.delete(key);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return; // the network's, untouched
  }
  event.respondWith(answer(request, url));
});

// answer serves a GET of this origin from the cache, else from the
// network. A page (a navigation) is looked up by its path alone; offline,
// a page that is not cached (a mistyped address) gets the start page, from
// which the app shows its "page not found".
async function answer(request, url) {
  const cache = await caches.open(cacheName);
  const navigate = request.mode === "navigate";
  const cached = await cache.match(navigate ? url.pathname : request);
  if (cached) {
    return cached;
  }
  try {
    return await fetch(request);
  } catch (err) {
    const shell = navigate && (await cache.match("/"));
    if (shell) {
      return shell;
    }
    throw err;
  }
}
