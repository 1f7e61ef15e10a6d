// WCAG 2.2.1 (Timing Adjustable) in Chromium: with JobcenterSessionIdle 20
// the pages behind a login warn before the idle session ends ("Ihre
// Sitzung läuft in M:SS Minuten ab", a modal dialog, focus on "Sitzung
// verlängern"); "Sitzung verlängern" (keyboard: Enter) sends GET
// /api/v1/me and the session outlives its first idle window; without an
// answer the page goes to the login with "Ihre Sitzung ist abgelaufen".
// The staff pages warn the same way.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, loginWithTotp } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { citizenWithProfile, staffOf } from '../lib/uploads.mjs';
import { sleep } from '../lib/util.mjs';

const IDLE = 20;

describe('idle warning in Chromium (JobcenterSessionIdle 20)', () => {
    const h = useEnv({ sets: [`JobcenterSessionIdle ${IDLE}`] });
    const b = useBrowser();
    let jc;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
    });

    for (const width of [360, 1280]) {
        test(`${width} px: warning, "Sitzung verlängern" keeps the session, then it ends with the German notice`, async () => {
            const u = await citizenWithProfile(h.env, jc, `idle-${width}`);
            const page = await newPage(b.browser, { width, expectApi: [401] });
            try {
                await loginWithTotp(page, h.env.base, u, '/postfach.html');
                await page.waitForURL(/\/postfach\.html$/);
                const t0 = Date.now();
                const dialog = page.getByRole('alertdialog', { name: 'Ihre Sitzung läuft bald ab' });
                await dialog.waitFor({ state: 'visible', timeout: IDLE * 1000 });
                const shownAfter = (Date.now() - t0) / 1000;
                assert.ok(shownAfter < IDLE - 5, `warning came ${shownAfter} s after the last request`);
                if (process.env.JC_SHOTS) await page.screenshot({ path: `${process.env.JC_SHOTS}/idle-dialog-${width}.png` });
                const text = await page.locator('#idle-text').innerText();
                assert.match(text, /^Ihre Sitzung läuft in 0:\d\d Minuten ab\./);
                // counts down
                const c1 = await page.locator('#idle-countdown').textContent();
                await sleep(1200);
                assert.notEqual(await page.locator('#idle-countdown').textContent(), c1);
                // the focus is on "Sitzung verlängern": Enter extends
                assert.equal(await page.evaluate(() => document.activeElement.id), 'idle-extend');
                const calls = page.apiCalls.length;
                await page.keyboard.press('Enter');
                await dialog.waitFor({ state: 'hidden' });
                assert.deepEqual(page.apiCalls.slice(calls), ['GET /api/v1/me']);
                // past the first idle window the session still answers
                while (Date.now() - t0 < (IDLE + 2) * 1000) await sleep(500);
                // (the body is read to its end: an unread one is aborted by the
                // navigation below, a "request failed")
                assert.equal(await page.evaluate(async () => {
                    const r = await fetch('/api/v1/me');
                    await r.text();
                    return r.status;
                }), 200);
                // that fetch bypassed the page's api(): the page's clock ends
                // earlier than the server's, never later. Now no answer:
                await page.waitForURL(/\/anmeldung\.html\?sitzung=abgelaufen&ziel=%2Fpostfach\.html$/,
                    { timeout: (IDLE + 5) * 1000 });
                await page.getByText('Ihre Sitzung ist abgelaufen.', { exact: false }).waitFor();
                // and it has ended on the server too (the page logged it out)
                assert.equal((await page.request.get(`${h.env.base}/api/v1/me`)).status(), 401);
                assert.deepEqual(page.problems, []);
            } finally {
                await page.dispose();
            }
        });
    }

    test('staff page: the same warning; Escape extends too', async () => {
        const st = await staffOf(h.env, jc, 'leistung');
        const page = await newPage(b.browser, { width: 1280, expectApi: [401] });
        try {
            await loginWithTotp(page, h.env.base, st, '/sachbearbeitung/posteingang.html');
            await page.waitForURL(/\/sachbearbeitung\/posteingang\.html$/);
            const dialog = page.getByRole('alertdialog', { name: 'Ihre Sitzung läuft bald ab' });
            await dialog.waitFor({ state: 'visible', timeout: IDLE * 1000 });
            assert.match(await dialog.innerText(), /Sitzung verlängern/);
            const calls = page.apiCalls.length;
            await page.keyboard.press('Escape');
            await dialog.waitFor({ state: 'hidden' });
            assert.deepEqual(page.apiCalls.slice(calls), ['GET /api/v1/me']);
            assert.deepEqual(page.problems, []);
        } finally {
            await page.dispose();
        }
    });

    logTest();
});
