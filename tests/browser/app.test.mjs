// The installable app (issue 15) in Chromium: the web app manifest is
// linked from every page (the frame) and valid (German name and
// short_name, scope and start_url on this server, PNG icons that exist in
// the sizes they claim, a maskable one); the service worker registers
// (js/app.js) and controls the pages; with the network gone a page
// navigation shows the offline page; after a logged-in journey over pages
// with personal data (registration, start page, Postfach, Konto, Verlauf)
// the Cache Storage holds only the offline page and its static files: no
// /api/ URL, no page, nothing with the person's e-mail address. The footer
// pages are reached from the footer by their links.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep } from '../lib/util.mjs';
import { lit } from '../lib/db.mjs';
import { confirmLink } from '../lib/smtp.mjs';
import { mintSessions } from '../lib/sessions.mjs';
import { useBrowser, registerInBrowser } from '../lib/browser.mjs';
import { strongPassword } from '../lib/flows.mjs';

// the files sw.js may keep (its OFFLINE list)
const OFFLINE_FILES = ['/offline.html', '/css/portal.css', '/js/app.js', '/manifest.webmanifest',
    '/img/app/icon-32.png', '/img/app/icon-192.png'];

function pngSize(buf) {
    assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG');
    return `${buf.readUInt32BE(16)}x${buf.readUInt32BE(20)}`;
}

describe('installable app in Chromium', () => {
    const h = useEnv();
    const b = useBrowser();
    let context, page;
    const problems = [];

    before(async () => {
        // service workers allowed here (newPage() blocks them)
        context = await b.browser.newContext({ viewport: { width: 360, height: 800 }, locale: 'de-DE' });
        context.setDefaultTimeout(15000);
        page = await context.newPage();
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('console', (m) => {
            // 401 of /api/v1/me on the entry pages before the login is expected
            if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
        });
    });

    test('the manifest is linked and valid; its icons exist in the sizes they claim', async () => {
        await page.goto(`${h.env.base}/index.html`);
        const href = await page.locator('link[rel="manifest"]').getAttribute('href');
        assert.equal(href, '/manifest.webmanifest');
        const r = await fetch(new URL(href, h.env.base));
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^application\/manifest\+json/);
        const m = await r.json();
        assert.equal(m.name, 'Jobcenter.Digital');
        assert.equal(m.short_name, 'Jobcenter');
        assert.equal(m.lang, 'de');
        assert.equal(m.display, 'standalone');
        assert.equal(m.start_url, '/');
        assert.equal(m.scope, '/');
        assert.match(m.theme_color, /^#[0-9a-f]{6}$/);
        const sizes = new Set();
        for (const icon of m.icons) {
            const ir = await fetch(new URL(icon.src, h.env.base));
            assert.equal(ir.status, 200, icon.src);
            assert.equal(ir.headers.get('content-type'), icon.type, icon.src);
            if (icon.type === 'image/png') {
                assert.equal(pngSize(Buffer.from(await ir.arrayBuffer())), icon.sizes, icon.src);
                sizes.add(`${icon.sizes} ${icon.purpose}`);
            }
        }
        for (const s of ['192x192 any', '512x512 any', '512x512 maskable']) assert.ok(sizes.has(s), s);
        // Chromium's own reading of the manifest: no errors, installable fields
        const cdp = await context.newCDPSession(page);
        const app = await cdp.send('Page.getAppManifest');
        assert.deepEqual(app.errors, []);
        assert.ok(app.url.endsWith('/manifest.webmanifest'));
        const icon = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
        assert.equal((await fetch(new URL(icon, h.env.base))).status, 200);
    });

    test('the service worker registers and controls the pages', async () => {
        await page.goto(`${h.env.base}/index.html`);
        const script = await page.evaluate(async () => (await navigator.serviceWorker.ready).active.scriptURL);
        assert.equal(script, `${h.env.base}/sw.js`);
        await page.reload();
        assert.equal(await page.evaluate(() => !!navigator.serviceWorker.controller), true);
        const sw = await fetch(`${h.env.base}/sw.js`);
        assert.equal(sw.headers.get('cache-control'), 'no-cache');
        assert.match(sw.headers.get('content-type'), /javascript/);
    });

    test('footer links lead to the footer pages', async () => {
        for (const [name, h1] of [['Impressum', 'Impressum'],
            ['Erklärung zur Barrierefreiheit', 'Erklärung zur Barrierefreiheit'],
            ['Leichte Sprache', 'Jobcenter.Digital in Leichter Sprache'],
            ['Gebärdensprache', 'Jobcenter.Digital in Deutscher Gebärdensprache']]) {
            await page.goto(`${h.env.base}/index.html`);
            await page.locator('footer').getByRole('link', { name, exact: true }).click();
            await page.getByRole('heading', { level: 1, name: h1 }).waitFor();
        }
        await page.getByRole('link', { name: 'Leichter Sprache' }).click();
        await page.waitForURL(/\/leichte-sprache\.html$/);
    });

    test('a logged-in journey leaves no /api/ answer, no page and no personal data in the Cache Storage', async () => {
        const env = h.env;
        const email = uniqueEmail('app');
        const mail = await registerInBrowser(page, env, email, strongPassword());
        await page.goto(confirmLink(mail));
        await page.locator('#confirm-success').waitFor({ state: 'visible' });
        const id = Number(await env.db.scalar(`SELECT id FROM account WHERE email = ${lit(email)}`));
        const [sess] = await mintSessions(env, [{ account: id, state: 'authenticated' }]);
        await context.addCookies([{ name: 'jc_session', value: sess.token, url: env.base }]);
        const apiSeen = [];
        const onReq = (req) => { if (req.url().includes('/api/v1/')) apiSeen.push(req.url()); };
        page.on('request', onReq);
        for (const p of ['start.html', 'postfach.html', 'konto.html', 'verlauf.html', 'online-kommunikation.html']) {
            await page.goto(`${env.base}/${p}`);
            await page.waitForLoadState('networkidle');
        }
        page.off('request', onReq);
        assert.ok(apiSeen.some((u) => u.endsWith('/api/v1/me')), 'the journey called the API');
        await page.locator('#konto-email, body').first().waitFor();
        assert.equal(await page.evaluate(() => !!navigator.serviceWorker.controller), true);

        const cached = await page.evaluate(async () => {
            const out = [];
            for (const key of await caches.keys()) {
                const cache = await caches.open(key);
                for (const req of await cache.keys()) {
                    const res = await cache.match(req);
                    out.push({ cache: key, url: req.url, body: await res.text() });
                }
            }
            return out;
        });
        assert.ok(cached.length > 0, 'the offline page is cached');
        for (const c of cached) {
            const u = new URL(c.url);
            assert.doesNotMatch(u.pathname, /^\/api\//, c.url);
            assert.ok(OFFLINE_FILES.includes(u.pathname), `unexpected cache entry ${c.url}`);
            assert.ok(!c.body.includes(email), `${c.url} holds the e-mail address`);
        }
        assert.deepEqual([...new Set(cached.map((c) => new URL(c.url).pathname))].sort(), [...OFFLINE_FILES].sort());
    });

    test('without network a page navigation shows the offline page', async () => {
        await context.setOffline(true);
        try {
            await page.goto(`${h.env.base}/postfach.html`);
            await page.getByRole('heading', { level: 1, name: 'Keine Internetverbindung' }).waitFor();
            assert.equal(new URL(page.url()).pathname, '/postfach.html');
            // styled: the cached stylesheet applies offline
            const bar = await page.locator('.site-header').evaluate((e) => getComputedStyle(e).backgroundColor);
            assert.equal(bar, 'rgb(38, 47, 56)');
            if (process.env.JC_SCREENSHOTS) await page.screenshot({ path: `${process.env.JC_SCREENSHOTS}/offline.png` });
            assert.ok(await page.getByRole('link', { name: 'Erneut versuchen' }).isVisible());
        } finally {
            await context.setOffline(false);
        }
        await page.goto(`${h.env.base}/datenschutz.html`);
        await page.getByRole('heading', { level: 1, name: 'Datenschutzerklärung' }).waitFor();
        assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|net::ERR/.test(p)), []);
    });
});

logTest();
