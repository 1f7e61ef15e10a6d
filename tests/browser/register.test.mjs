// The portal in Chromium at 360x800: registration with the live password
// checklist, the confirmation link from the mail, login, the start page with
// the Sicherheitshinweis, logout. Also the German error of a wrong password
// and the consent errors of step 2. Every page is checked for horizontal
// scrolling; console errors, page errors and CSP violations fail the test.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { confirmLink } from '../lib/smtp.mjs';
import { useBrowser, newPage, scrollWidth } from '../lib/browser.mjs';
import { strongPassword, accountRows, registerAndConfirm, SUBJECT_CONFIRM, MSG_INVALID_CREDENTIALS } from '../lib/flows.mjs';

describe('portal in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();

    // run fn with a fresh page; fail on anything the page watchdog collected
    async function withPage(opts, fn) {
        const page = await newPage(b.browser, opts);
        try {
            await fn(page);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    }

    async function assertNoHorizontalScroll(page, what) {
        const w = await scrollWidth(page);
        assert.ok(w <= 360, `${what}: page is ${w} px wide at a 360 px viewport (horizontal scrolling)`);
    }

    test('register, confirm via the mailed link, log in, see the Sicherheitshinweis, log out', async () => {
        const env = h.env;
        const email = uniqueEmail('browser');
        const password = strongPassword();
        // the start page's /me after logout is not called; 401 from /me below is via page.request
        await withPage({}, async (page) => {
            await page.goto(`${env.base}/registrierung.html`);
            await assertNoHorizontalScroll(page, 'registrierung.html');
            await page.locator('#email').fill(email);
            // checklist before: nothing met
            assert.equal(await page.locator('#password-rules li.rule-met').count(), 0);
            await page.locator('#password').pressSequentially(password);
            await page.locator('#password_repeat').pressSequentially(password);
            // the live checklist shows every criterion met
            const rules = page.locator('#password-rules li.rule');
            assert.equal(await rules.count(), 7);
            await page.waitForFunction(() => document.querySelectorAll('#password-rules li.rule-met').length === 7);
            for (const state of await page.locator('#password-rules li .rule-state').allTextContents()) {
                assert.equal(state.trim(), 'erfüllt:');
            }
            await page.locator('#register-next').click();
            await page.locator('#step-2').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#step-1').isVisible(), false);
            await assertNoHorizontalScroll(page, 'registrierung.html, Schritt 2');

            const mark = env.mail.mark();
            await page.locator('#accept_terms').check();
            await page.locator('#accept_email').check();
            await page.locator('#register-submit').click();
            await page.waitForURL(/\/email-gesendet\.html/);
            await page.locator('#sent-address').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#sent-address').textContent(), email);
            await assertNoHorizontalScroll(page, 'email-gesendet.html');
            assert.deepEqual(page.apiCalls.filter((c) => c.includes('register')), ['POST /api/v1/register']);

            // the link from the mail that reached the SMTP server
            const mail = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
            const link = confirmLink(mail);
            assert.ok(link, mail.body);
            await page.goto(link);
            await page.locator('#confirm-success').waitFor({ state: 'visible' });
            await page.getByText('Sie haben Ihre E-Mail-Adresse erfolgreich bestätigt.').waitFor({ state: 'visible' });
            assert.equal(new URL(page.url()).search, '', 'the token was not removed from the address bar');
            await assertNoHorizontalScroll(page, 'email-bestaetigen.html');
            assert.notEqual((await accountRows(env, email))[0].email_confirmed_at, null);

            await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
            await page.waitForURL(/\/anmeldung\.html/);
            await assertNoHorizontalScroll(page, 'anmeldung.html');
            await page.locator('#login').fill(email);
            await page.locator('#password').fill(password);
            await page.locator('#login-submit').click();
            await page.waitForURL(/\/start\.html/);
            await page.locator('#account-name').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#account-name').textContent(), email);
            await page.locator('#security-notice').waitFor({ state: 'visible' });
            assert.match(await page.locator('#security-notice').innerText(), /Sicherheitshinweis/);
            assert.match(await page.title(), /Sicherheitshinweis/);
            await assertNoHorizontalScroll(page, 'start.html');
            const cookies = await page.context().cookies(env.base);
            const session = cookies.find((c) => c.name === 'jc_session');
            assert.ok(session, `cookies: ${JSON.stringify(cookies)}`);
            assert.equal(session.httpOnly, true);
            assert.equal(session.sameSite, 'Lax');
            assert.equal(await page.evaluate(() => document.cookie.includes('jc_session')), false,
                'the session cookie is visible to scripts');
            const me = await page.request.get(`${env.base}/api/v1/me`);
            assert.equal(me.status(), 200);

            await page.locator('#logout').click();
            await page.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
            await page.getByText('Sie wurden erfolgreich abgemeldet.').waitFor({ state: 'visible' });
            assert.match(await page.locator('#messages').innerText(), /Sie wurden erfolgreich abgemeldet\./);
            const after = await page.request.get(`${env.base}/api/v1/me`);
            assert.equal(after.status(), 401, await after.text());
            assert.equal((await after.json()).error.code, 'not_authenticated');
        });
    });

    test('a wrong password shows the API\'s German error in #messages', async () => {
        const env = h.env;
        const user = await registerAndConfirm(env, uniqueEmail('wrongpw'), strongPassword());
        await withPage({ expectApi: [401] }, async (page) => {
            await page.goto(`${env.base}/anmeldung.html`);
            await page.locator('#login').fill(user.email);
            await page.locator('#password').fill(`${user.password}x`);
            await page.locator('#login-submit').click();
            const messages = page.locator('#messages');
            await messages.getByText(MSG_INVALID_CREDENTIALS).waitFor({ state: 'visible' });
            assert.equal(await page.locator('#password').inputValue(), '', 'the wrong password stays in the field');
            assert.match(page.url(), /\/anmeldung\.html/);
            await assertNoHorizontalScroll(page, 'anmeldung.html with an error');
            const me = await page.request.get(`${env.base}/api/v1/me`);
            assert.equal(me.status(), 401);
        });
    });

    test('missing consents: field errors on both checkboxes, nothing is sent', async () => {
        const env = h.env;
        const email = uniqueEmail('noconsent');
        await withPage({}, async (page) => {
            await page.goto(`${env.base}/registrierung.html`);
            await page.locator('#email').fill(email);
            const pw = strongPassword();
            await page.locator('#password').fill(pw);
            await page.locator('#password_repeat').fill(pw);
            await page.locator('#register-next').click();
            await page.locator('#step-2').waitFor({ state: 'visible' });

            await page.locator('#register-submit').click();
            const termsErr = page.locator('#accept_terms-error');
            const consentErr = page.locator('#accept_email-error');
            await termsErr.waitFor({ state: 'visible' });
            await consentErr.waitFor({ state: 'visible' });
            assert.match(await termsErr.innerText(), /Nutzungsbedingungen/);
            assert.match(await consentErr.innerText(), /E-Mail-Adresse/);
            assert.equal(await page.locator('#accept_terms').getAttribute('aria-invalid'), 'true');
            assert.match(await page.locator('#messages').innerText(), /Bitte prüfen Sie Ihre Eingaben\./);
            await assertNoHorizontalScroll(page, 'registrierung.html with consent errors');

            // one consent only: the other one is still reported
            await page.locator('#accept_terms').check();
            await page.locator('#register-submit').click();
            await page.waitForFunction(() => !document.getElementById('accept_terms-error')
                || document.getElementById('accept_terms-error').textContent === '');
            await consentErr.waitFor({ state: 'visible' });

            assert.deepEqual(page.apiCalls.filter((c) => c.includes('register')), [],
                'the form was sent without both consents');
            assert.deepEqual(await accountRows(env, email), []);
            assert.equal(page.url().includes('email-gesendet'), false);
        });
    });

    test('step 1 shows the unmet criteria and does not go on with a weak password', async () => {
        const env = h.env;
        await withPage({}, async (page) => {
            await page.goto(`${env.base}/registrierung.html`);
            await page.locator('#email').fill(uniqueEmail('weak'));
            await page.locator('#password').pressSequentially('abc');
            await page.locator('#password_repeat').pressSequentially('abd');
            const met = await page.locator('#password-rules li.rule-met').evaluateAll((els) => els.map((e) => e.id));
            assert.deepEqual(met.sort(), ['rule-allowed', 'rule-lower']);
            await page.locator('#register-next').click();
            await page.locator('#password-error').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#step-2').isVisible(), false);
            assert.match(await page.locator('#messages').innerText(), /Bitte prüfen Sie Ihre Eingaben\./);
            await assertNoHorizontalScroll(page, 'registrierung.html with password errors');
            assert.deepEqual(page.apiCalls.filter((c) => c.includes('register')), []);
        });
    });
});

logTest();
