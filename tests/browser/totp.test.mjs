// TOTP in Chromium at 360x800: register, confirm the address, log in, the
// Sicherheitshinweis, "Zweiter Faktor einrichten" (QR code as image, the
// key as text), the code computed by npm otplib from the key shown on the
// page, the start page; then logout, login, the code page (a wrong code
// first, then the right one, sent with the Enter key), the start page.
// Console errors, page errors and CSP violations fail the test.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { confirmLink } from '../lib/smtp.mjs';
import { useBrowser, newPage, scrollWidth, registerInBrowser } from '../lib/browser.mjs';
import { strongPassword } from '../lib/flows.mjs';

const nowSec = () => Math.floor(Date.now() / 1000);

describe('second factor in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();

    async function assertNoHorizontalScroll(page, what) {
        const w = await scrollWidth(page);
        assert.ok(w <= 360, `${what}: page is ${w} px wide at a 360 px viewport (horizontal scrolling)`);
    }

    async function loginWith(page, env, email, password) {
        await page.goto(`${env.base}/anmeldung.html`);
        await page.locator('#login').fill(email);
        await page.locator('#password').fill(password);
        await page.locator('#login-submit').click();
    }

    test('register, confirm, log in, set up TOTP from the page, log out, log in with a code', async () => {
        const env = h.env;
        const email = uniqueEmail('totp-browser');
        const password = strongPassword();
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            // registration and the link from the mail
            const mail = await registerInBrowser(page, env, email, password);
            await page.goto(confirmLink(mail));
            await page.locator('#confirm-success').waitFor({ state: 'visible' });

            // login -> Sicherheitshinweis -> Zweiter Faktor einrichten
            await loginWith(page, env, email, password);
            await page.waitForURL(/\/start\.html/);
            await page.locator('#security-notice').waitFor({ state: 'visible' });
            await page.getByRole('link', { name: 'Zweiter Faktor einrichten' }).click();
            await page.waitForURL(/\/zweiter-faktor-einrichten\.html/);
            await page.locator('#setup').waitFor({ state: 'visible' });
            for (const heading of ['1. Installieren Sie eine Authentifizierungs-App', '2. Scannen Sie den QR-Code',
                '3. Geben Sie den angezeigten Code ein']) {
                await page.getByRole('heading', { name: heading }).waitFor({ state: 'visible' });
            }
            await page.getByText('Oder geben Sie diesen Schlüssel ein:').waitFor({ state: 'visible' });
            // the QR code is an image from a data: URL, and it rendered
            const qr = page.locator('img#totp-qr');
            const src = await qr.getAttribute('src');
            assert.match(src, /^data:image\/svg\+xml;base64,/);
            assert.match(Buffer.from(src.split(',')[1], 'base64').toString('utf8'), /^<svg /);
            await page.waitForFunction(() => {
                const img = document.getElementById('totp-qr');
                return img.complete && img.naturalWidth > 100;
            });
            assert.match(await qr.getAttribute('alt'), /QR-Code/);
            assert.equal(await page.locator('main svg').count(), 0, 'SVG inserted as markup');
            const shown = (await page.locator('#totp-secret').textContent()).trim();
            assert.match(shown, /^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/, shown);
            assert.equal(await page.locator('#totp-account').textContent(), email);
            const input = page.locator('#totp_code');
            assert.equal(await input.getAttribute('inputmode'), 'numeric');
            assert.equal(await input.getAttribute('autocomplete'), 'one-time-code');
            assert.equal(await page.getByLabel('Code aus der App').count(), 1, 'the code field has no label');
            await assertNoHorizontalScroll(page, 'zweiter-faktor-einrichten.html');

            // a malformed code is caught on the page; then the real one
            await input.fill('12');
            await page.locator('#totp-confirm').click();
            await page.locator('#totp_code-error').waitFor({ state: 'visible' });
            assert.equal(await input.getAttribute('aria-invalid'), 'true');
            assert.deepEqual(page.apiCalls.filter((c) => c.includes('/mfa/totp/confirm')), []);
            const secret = shown.replace(/\s+/g, '');
            const mark2 = env.mail.mark();
            await input.fill(await generate({ secret, epoch: nowSec() }));
            await page.locator('#totp-confirm').click();
            await page.waitForURL(/\/start\.html/);
            await page.locator('#home').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#home-heading').textContent(), 'Startseite');
            assert.equal(await page.locator('#security-notice').isVisible(), false);
            assert.equal(await page.locator('#account-name').textContent(), email);
            assert.match(await page.locator('#signed-in-as').innerText(), /Angemeldet als/);
            assert.match(await page.title(), /^Startseite/);
            await assertNoHorizontalScroll(page, 'start.html (authenticated)');
            const me = await page.request.get(`${env.base}/api/v1/me`);
            assert.equal((await me.json()).session.state, 'authenticated');
            await env.mail.waitFor(email, { subject: 'Zweiter Faktor eingerichtet', since: mark2 });

            // logout, login: the code page
            await page.locator('#logout').click();
            await page.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
            await loginWith(page, env, email, password);
            await page.waitForURL(/\/zweiter-faktor\.html/);
            await page.getByRole('heading', { name: 'Bestätigungscode eingeben' }).waitFor({ state: 'visible' });
            await page.getByText('Geben Sie den 6-stelligen Code aus Ihrer Authentifizierungs-App ein.')
                .waitFor({ state: 'visible' });
            const code = page.locator('#totp_code');
            await code.waitFor({ state: 'visible' });
            assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'totp_code');
            await assertNoHorizontalScroll(page, 'zweiter-faktor.html');

            // a wrong code: the API's German message; the session stays
            const valid = new Set(await Promise.all([-1, 0, 1, 2].map((d) => generate({ secret, epoch: nowSec() + d * 30 }))));
            const wrong = ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c));
            await code.fill(wrong);
            await page.locator('#totp-verify').click();
            await page.locator('#totp_code-error').waitFor({ state: 'visible' });
            assert.match(await page.locator('#totp_code-error').innerText(), /Der Code ist falsch oder abgelaufen\./);
            assert.match(await page.locator('#messages').innerText(), /Der Code ist falsch oder abgelaufen\./);
            assert.equal(await code.inputValue(), '');
            await assertNoHorizontalScroll(page, 'zweiter-faktor.html with an error');

            // the right code (the next step's: the set-up code is spent),
            // sent with the keyboard
            await code.fill(await generate({ secret, epoch: nowSec() + 30 }));
            await code.press('Enter');
            await page.waitForURL(/\/start\.html/);
            await page.locator('#home').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#account-name').textContent(), email);
            const me2 = await page.request.get(`${env.base}/api/v1/me`);
            assert.equal((await me2.json()).session.state, 'authenticated');
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });
});

logTest();
