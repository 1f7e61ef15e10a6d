// The installable app (every page, from htdocs/_frame/head.html): registers
// the service worker /sw.js, which shows offline.html when a page cannot be
// loaded and caches nothing but that page and its static files (never an
// /api/ answer, never a page with personal data; docs/internals.md, "The
// installable app"). Browsers without service workers, or outside a secure
// context (https, localhost), simply use the portal as a web site.
if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
        // blocked (private mode, policy): the portal works without it
    });
}
