// Passkeys in Chromium (360x800) with Chromium's virtual WebAuthn
// authenticator (CDP WebAuthn.addVirtualAuthenticator: internal, resident
// keys, user verification). The portal is opened as http://localhost:PORT
// (browsers refuse an IP address as RP ID; localhost is a secure context),
// so the module runs with JobcenterBaseURL http://localhost:PORT.
// Password login -> Sicherheitshinweis -> "Passkey einrichten" -> start
// page; logout -> "Mit Passkey anmelden" -> start page; password login ->
// zweiter-faktor.html -> "Mit Passkey bestätigen" -> start page; with the
// authenticator not verifying the user, the login is refused with a German
// message. The virtual authenticator answers ES256 (the first algorithm
// offered). Console errors, page errors and CSP violations fail the test.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { lit } from '../lib/db.mjs';
import { useBrowser, newPage, scrollWidth, virtualAuthenticator } from '../lib/browser.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';

describe('passkeys in Chromium (virtual authenticator)', () => {
    const h = useEnv({ baseUrl: (port) => `http://localhost:${port}` });
    const b = useBrowser();

    // register + confirm through the API, with the localhost Origin
    async function account(env, lb) {
        const email = uniqueEmail('pk-browser');
        const password = strongPassword();
        return registerAndConfirm(env, email, password, { client: env.client({ origin: lb }) });
    }

    async function passwordLogin(page, lb, user) {
        await page.goto(`${lb}/anmeldung.html`);
        await page.locator('#login').fill(user.email);
        await page.locator('#password').fill(user.password);
        await page.locator('#login-submit').click();
    }

    test('set up a passkey, log in with it (passwordless and as second factor); UV failure refused', async () => {
        const env = h.env;
        const lb = `http://localhost:${env.port}`;
        const user = await account(env, lb);
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            await page.goto(`${lb}/anmeldung.html`);
            const { cdp, authenticatorId } = await virtualAuthenticator(page);

            // password -> Sicherheitshinweis -> "Passkey einrichten"
            await passwordLogin(page, lb, user);
            await page.waitForURL(/\/start\.html/);
            await page.locator('#security-notice').waitFor({ state: 'visible' });
            const mark = env.mail.mark();
            await page.getByRole('button', { name: 'Passkey einrichten' }).click();
            await page.locator('#home').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#security-notice').isVisible(), false);
            assert.equal(await page.locator('#account-name').textContent(), user.email);
            const w = await scrollWidth(page);
            assert.ok(w <= 360, `start.html is ${w} px wide`);
            const rows = await env.db.query(`SELECT k.alg, k.sign_count FROM passkey k JOIN account a `
                + `ON a.id = k.account_id WHERE a.email = ${lit(user.email)}`);
            assert.equal(rows.length, 1);
            assert.equal(Number(rows[0].alg), -7);
            const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
            assert.equal(credentials.length, 1);
            assert.equal(credentials[0].isResidentCredential, true);
            assert.equal(credentials[0].rpId, 'localhost');
            await env.mail.waitFor(user.email, { subject: 'Passkey eingerichtet', since: mark });

            // logout -> "Mit Passkey anmelden" -> start page
            await page.locator('#logout').click();
            await page.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
            await page.locator('#passkey-login').waitFor({ state: 'visible' });
            await page.locator('#passkey-login').click();
            await page.waitForURL(/\/start\.html/);
            await page.locator('#home').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#account-name').textContent(), user.email);
            const me = await page.request.get(`${lb}/api/v1/me`);
            assert.equal((await me.json()).session.state, 'authenticated');

            // password -> zweiter-faktor.html -> "Mit Passkey bestätigen"
            await page.locator('#logout').click();
            await page.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
            await passwordLogin(page, lb, user);
            await page.waitForURL(/\/zweiter-faktor\.html/);
            await page.locator('#passkey-assert').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#code-section').isVisible(), false, 'no TOTP form without TOTP');
            assert.equal(await page.locator('#passkey-cancel').isVisible(), true, '"Abbrechen" offered');
            await page.locator('#passkey-assert').click();
            await page.waitForURL(/\/start\.html/);
            await page.locator('#home').waitFor({ state: 'visible' });
            const me2 = await page.request.get(`${lb}/api/v1/me`);
            assert.equal((await me2.json()).session.state, 'authenticated');

            // the authenticator does not verify the user: refused, German
            await page.locator('#logout').click();
            await page.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
            await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
            const before = page.apiCalls.length;
            await page.locator('#passkey-login').click();
            await page.locator('#messages').getByText(/Ihr Gerät hat Sie nicht bestätigt/).waitFor({ state: 'visible' });
            assert.match(page.url(), /\/anmeldung\.html/);
            assert.deepEqual(page.apiCalls.slice(before), ['POST /api/v1/passkey/login/options'],
                'no verify without a verified user');
            assert.equal(await page.locator('#passkey-login').isEnabled(), true);
            const me3 = await page.request.get(`${lb}/api/v1/me`);
            assert.equal(me3.status(), 401);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });
});

logTest();
