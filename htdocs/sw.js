// Service worker of the installable portal (registered by js/app.js).
//
// What it does: when a page cannot be loaded (no network), it shows
// offline.html instead of the browser's error page.
// What it never does: keep personal data. The only cache holds the files
// listed in OFFLINE (fetched once at installation, no cookies needed, none
// with personal data). Nothing is added at run time: pages, /api/ answers
// (messages, documents, Bescheide), uploads and downloads go to the network
// untouched, as without the worker. Pages are answered by the network or,
// failing that, with the cached offline page; /api/ requests are not even
// seen by respondWith.
//
// Bump VERSION when a file of OFFLINE changes: the new worker replaces
// the cache, the old one is deleted.
const VERSION = 'jc-offline-1';
const OFFLINE_PAGE = '/offline.html';
const OFFLINE = [OFFLINE_PAGE, '/css/portal.css', '/js/app.js', '/manifest.webmanifest',
    '/img/app/icon-32.png', '/img/app/icon-192.png'];

self.addEventListener('install', (event) => {
    event.waitUntil((async () => {
        const cache = await caches.open(VERSION);
        await cache.addAll(OFFLINE.map((u) => new Request(u, { cache: 'reload', credentials: 'omit' })));
        await self.skipWaiting();
    })());
});

self.addEventListener('activate', (event) => {
    event.waitUntil((async () => {
        for (const key of await caches.keys()) {
            if (key !== VERSION) await caches.delete(key);
        }
        await self.clients.claim();
    })());
});

self.addEventListener('fetch', (event) => {
    const req = event.request;
    if (req.method !== 'GET') return;
    const url = new URL(req.url);
    if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
    if (req.mode === 'navigate') {
        event.respondWith(fetch(req).catch(async () => {
            const page = await caches.match(OFFLINE_PAGE, { cacheName: VERSION });
            return page || Response.error();
        }));
        return;
    }
    if (OFFLINE.includes(url.pathname)) {
        event.respondWith(fetch(req).catch(async () =>
            (await caches.match(url.pathname, { cacheName: VERSION })) || Response.error()));
    }
});
