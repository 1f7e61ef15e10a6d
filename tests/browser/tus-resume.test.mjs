// "Dokumente hochladen" resumes after the connection breaks (issue 18):
// Chromium (360x800) talks to the server through a TCP proxy on a loopback
// port (tests/lib/tusproxy.mjs) and uploads a 6 MiB photo through the
// page's tus-js-client (js/vendor/tus.min.js). When 2 MiB of it have
// crossed, the test takes the browser offline (DevTools network
// emulation) and the proxy cuts the connection (the running PATCH
// breaks); the page says the transfer goes on once the connection is back,
// and the server has kept the bytes that arrived. Back online, the page
// resumes by itself (HEAD, then PATCH from the stored offset, not from 0),
// the progress bar reaches 100, the file is in the draft with the SHA-256
// of what was chosen, and the draft is submitted as usual. A second cut
// while the browser stays online is retried at once (the client's
// retries). Console errors, page errors and CSP violations fail (but the
// cut PATCHes themselves).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil, freePort } from '../lib/util.mjs';
import { cuttingProxy } from '../lib/tusproxy.mjs';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, loginWithTotp } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile } from '../lib/uploads.mjs';

const SIZE = 6 * 1024 * 1024;
const PROXY = await freePort();     // the browser's way to the server

describe('Dokumente hochladen resumes after a broken connection (Chromium, tus)', () => {
    const h = useEnv({ sets: ['JobcenterUploadMaxFileSize 20971520', `JobcenterOrigin http://127.0.0.1:${PROXY}`] });
    const b = useBrowser();
    let jc, proxy, cdp;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
        // cut 1: offline first (the page waits for 'online'); cut 2: online
        // (tus-js-client retries at once)
        let n = 0;
        proxy = await cuttingProxy(h.env.port, { port: PROXY, armed: false,
            onCut: async () => { if (n++ === 0 && cdp) await offline(true); } });
    });
    after(async () => {
        if (proxy) await proxy.close();
    });
    const offline = (on) => cdp.send('Network.emulateNetworkConditions',
        { offline: on, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    test('cut at 2 MiB while offline, online again: the upload continues from the stored offset; a second cut online is retried; it completes', async () => {
        const env = h.env;
        const u = await citizenWithProfile(env, jc, 'tus-browser');
        // 409/423: Chromium re-sends a PATCH whose reused connection broke
        // (with its old Upload-Offset) on its own; the server refuses it
        const page = await newPage(b.browser, { expectApi: [401, 409, 423] });
        const file = { name: 'Mietvertrag Foto.jpg', mimeType: 'image/jpeg', buffer: samples.jpeg(SIZE) };
        const tusCalls = [];
        page.on('request', (req) => {
            if (req.url().includes('/api/v1/uploads/tus')) {
                tusCalls.push({ method: req.method(), offset: req.headers()['upload-offset'] });
            }
        });
        try {
            const base = `http://127.0.0.1:${PROXY}`;
            await loginWithTotp(page, base, u, '/dokumente-hochladen.html');
            await page.waitForURL(/\/dokumente-hochladen\.html$/);
            await page.getByRole('button', { name: 'Geldleistung' }).click();
            await page.getByRole('heading', { name: 'Geldleistung: Datei hochladen' }).waitFor();
            assert.equal(await page.evaluate(() => typeof window.tus === 'object' && window.tus.isSupported), true,
                'js/vendor/tus.min.js is loaded');

            cdp = await page.context().newCDPSession(page);
            await cdp.send('Network.enable');
            await offline(false);

            proxy.arm([2 * 1024 * 1024]);
            await page.locator('#file-input').setInputFiles([file]);
            await page.waitForFunction(() => /Verbindung unterbrochen/.test(
                document.querySelector('.file-item .file-meta').textContent));
            assert.equal(await page.evaluate(() => navigator.onLine), false);
            assert.match(await page.locator('#file-status').textContent(), /Verbindung unterbrochen/);
            // the server kept what arrived before the cut
            const row = await waitUntil(async () => {
                const r = (await env.db.query('SELECT upload_offset, length, file_id FROM tus_upload '
                    + `WHERE account_id = ${u.id}`))[0];
                return r && Number(r.upload_offset) > 0 ? r : null;
            }, { timeoutMs: 10000, what: 'the stored offset' });
            assert.equal(Number(row.length), SIZE);
            assert.equal(row.file_id === null || row.file_id === '' || row.file_id === undefined, true);
            const kept = Number(row.upload_offset);
            assert.ok(kept > 0.1 * SIZE && kept < SIZE, `stored ${kept} of ${SIZE} bytes`);

            // back online: the page resumes; the proxy cuts once more,
            // 1.5 MiB later, while online
            proxy.arm([1.5 * 1024 * 1024]);
            await offline(false);
            await page.waitForFunction(() => /hochgeladen$/.test(
                document.querySelector('.file-item .file-meta').textContent), null, { timeout: 30000 });
            assert.equal(await page.locator('.file-item progress').evaluate((b) => b.value), 100);
            assert.match(await page.locator('#file-status').textContent(), /Mietvertrag Foto\.jpg wurde hochgeladen/);

            // creation, the first PATCH from 0, then HEAD and a PATCH from the kept offset
            const methods = tusCalls.map((c) => c.method);
            assert.equal(methods[0], 'POST', methods.join(' '));
            assert.equal(tusCalls[1].method, 'PATCH');
            assert.equal(tusCalls[1].offset, '0');
            assert.ok(methods.includes('HEAD'), methods.join(' '));
            const later = tusCalls.filter((c) => c.method === 'PATCH' && Number(c.offset) > 0);
            assert.ok(later.length >= 1, JSON.stringify(tusCalls));
            assert.equal(Number(later[0].offset), kept, `resumed at ${later[0].offset}, kept ${kept}`);
            assert.ok(later.length >= 2, `a PATCH after the second cut too: ${JSON.stringify(tusCalls)}`);
            assert.equal(proxy.cutsDone(), 1, 'the second cut happened');

            const f = (await env.db.query('SELECT name, mime, size, sha256 FROM upload_file '
                + `WHERE account_id = ${u.id}`));
            assert.equal(f.length, 1);
            assert.equal(f[0].sha256, sha256(file.buffer));
            assert.equal(Number(f[0].size), SIZE);
            assert.equal(f[0].mime, 'image/jpeg');
            assert.equal(f[0].name, 'Mietvertrag Foto.jpg');

            await page.getByRole('button', { name: 'Weiter zum nächsten Schritt' }).click();
            await page.getByRole('button', { name: /Absenden/ }).click();
            await page.getByRole('heading', { name: 'Ihre Dokumente wurden übermittelt' }).waitFor();

            // the cut PATCH is the one request allowed to fail
            const problems = page.problems.filter((p) => !/request failed: PATCH .*\/api\/v1\/uploads\/tus\/[0-9a-f]{32}: net::ERR_/.test(p)
                && !/console error: Failed to load resource: net::ERR_/.test(p));
            assert.deepEqual(problems, []);
        } finally {
            await page.dispose();
        }
    });

    logTest();
});
