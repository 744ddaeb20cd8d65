// The page's service worker: once the page has been opened, it opens again without a network.
//
// `cargo xtask build` fills in this build's version (a hash of its files) and the list of its
// files. Every file is served from this build's cache first, so a page never mixes files of
// two builds; a new deployment changes this script, the browser installs it in the
// background, it takes over and deletes the older caches, and the next visit is the new build.
const VERSION = "__VERSION__";
const FILES = __FILES__;
const CACHE = `kafka-sandbox-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("kafka-sandbox-") && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== location.origin) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const url = new URL(request.url);
      // A folder's address (`./`, `examples/`) is its index.html.
      const hit = (await cache.match(request, { ignoreSearch: true }))
        || (url.pathname.endsWith("/") && await cache.match(new URL("index.html", url).href));
      return hit || fetch(request);
    }),
  );
});
