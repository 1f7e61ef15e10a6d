// Passkeys with each algorithm, and the "Sicherheit" page, in Chromium
// (360x800) with Chromium's virtual WebAuthn authenticator.
//
// Algorithms: the virtual authenticator (CDP WebAuthn.addVirtualAuthenticator)
// supports ES256, EdDSA and RS256 but has no option to choose one; like a
// real authenticator it takes the first entry of pubKeyCredParams it
// supports. The portal offers [-7, -8, -257], so the test reorders that list
// in the register/options answer on its way to the page (Playwright route)
// to put the wanted algorithm first; everything else (create(), the
// attestation, the server's verification, the login with get()) is the real
// thing, and the stored passkey's alg proves which algorithm was used.
//
// The Sicherheit page: reached from the start page's link; rename,
// the last-factor refusal, the re-authentication prompt (verified_at set
// back in the database) with a wrong and a right password, with a passkey,
// TOTP set-up on the page, deleting factors, adding a passkey (refused
// when the authenticator does not verify the user, and on the authenticator
// that holds the account's passkey already: excludeCredentials).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sessionCacheSettled } from '../lib/util.mjs';
import { lit } from '../lib/db.mjs';
import { useBrowser, newPage, scrollWidth, virtualAuthenticator } from '../lib/browser.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';

const nowSec = () => Math.floor(Date.now() / 1000);

describe('passkeys and the Sicherheit page in Chromium', () => {
    const h = useEnv({ baseUrl: (port) => `http://localhost:${port}` });
    const b = useBrowser();

    async function account(env, lb, tag) {
        const email = uniqueEmail(tag);
        const password = strongPassword();
        return registerAndConfirm(env, email, password, { client: env.client({ origin: lb }) });
    }

    async function passwordLogin(page, lb, user) {
        await page.goto(`${lb}/anmeldung.html`);
        await page.locator('#login').fill(user.email);
        await page.locator('#password').fill(user.password);
        await page.locator('#login-submit').click();
    }

    async function passkeys(env, email) {
        return env.db.query(`SELECT k.id, k.alg, k.name, k.sign_count, k.last_used_at FROM passkey k `
            + `JOIN account a ON a.id = k.account_id WHERE a.email = ${lit(email)} ORDER BY k.id`);
    }

    for (const [label, alg] of [['ES256', -7], ['RS256', -257], ['EdDSA', -8]]) {
        test(`${label}: registration in the Sicherheitshinweis and passwordless login`, async () => {
            const env = h.env;
            const lb = `http://localhost:${env.port}`;
            const user = await account(env, lb, `pk-${label.toLowerCase()}`);
            const page = await newPage(b.browser);
            try {
                await page.goto(`${lb}/anmeldung.html`);
                const { cdp, authenticatorId } = await virtualAuthenticator(page);
                let offered = null;
                await page.route('**/api/v1/passkey/register/options', async (route) => {
                    const response = await route.fetch();
                    const json = await response.json();
                    offered = json.pubKeyCredParams.map((p) => p.alg);
                    json.pubKeyCredParams.sort((a, b) => (a.alg === alg ? -1 : b.alg === alg ? 1 : 0));
                    await route.fulfill({ response, json });
                });
                await passwordLogin(page, lb, user);
                await page.locator('#security-notice').waitFor({ state: 'visible' });
                await page.getByRole('button', { name: 'Passkey einrichten' }).click();
                await page.locator('#home').waitFor({ state: 'visible' });
                assert.deepEqual(offered, [-7, -8, -257], 'the portal offers all three');
                const [pk] = await passkeys(env, user.email);
                assert.equal(Number(pk.alg), alg, `stored algorithm of the ${label} passkey`);
                const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
                assert.equal(credentials.length, 1);

                await page.locator('#logout').click();
                await page.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
                await page.locator('#passkey-login').click();
                await page.waitForURL(/\/start\.html/);
                await page.locator('#home').waitFor({ state: 'visible' });
                const [after] = await passkeys(env, user.email);
                assert.ok(Number(after.sign_count) >= 1, 'counter moved');
                assert.ok(Number(after.last_used_at) >= nowSec() - 30, 'last_used_at set');
                const ev = await env.db.query(`SELECT kind FROM event e JOIN account a ON a.id = e.account_id `
                    + `WHERE a.email = ${lit(user.email)} ORDER BY e.id`);
                assert.equal(ev.at(-1).kind, 'login_passkey');
                assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
            } finally {
                await page.dispose();
            }
        });
    }

    test('Sicherheit page: rename, last factor, re-auth prompt, TOTP, delete, add, UV failure', async () => {
        const env = h.env;
        const lb = `http://localhost:${env.port}`;
        const user = await account(env, lb, 'sec-page');
        const page = await newPage(b.browser, { expectApi: [401, 403, 409] });
        try {
            await page.goto(`${lb}/anmeldung.html`);
            const { cdp, authenticatorId } = await virtualAuthenticator(page);
            await passwordLogin(page, lb, user);
            await page.locator('#security-notice').waitFor({ state: 'visible' });
            await page.getByRole('button', { name: 'Passkey einrichten' }).click();
            await page.locator('#home').waitFor({ state: 'visible' });

            // the start page's link
            await page.getByRole('link', { name: 'Sicherheit: Passkeys und zweiter Faktor' }).click();
            await page.waitForURL(/\/sicherheit\.html/);
            await page.locator('#factors').waitFor({ state: 'visible' });
            const items = page.locator('#passkey-list li');
            assert.equal(await items.count(), 1);
            assert.equal(await items.first().locator('.factor-name').textContent(), 'Passkey');
            assert.match(await items.first().locator('.factor-meta').textContent(),
                /^Eingerichtet am \d\d\.\d\d\.\d{4}, noch nicht verwendet$/);
            assert.match(await page.locator('#totp-state').textContent(), /^Nicht eingerichtet/);
            const w = await scrollWidth(page);
            assert.ok(w <= 360, `sicherheit.html is ${w} px wide`);

            // rename (fresh check from the login)
            await page.getByRole('button', { name: 'Passkey „Passkey“ umbenennen' }).click();
            await page.locator('#rename_name').fill('x'.repeat(65));
            await page.getByRole('button', { name: 'Speichern' }).click();
            await page.locator('#rename_name-error').getByText(/höchstens 64 Zeichen/).waitFor();
            await page.locator('#rename_name').fill('Laptop');
            await page.getByRole('button', { name: 'Speichern' }).click();
            await page.locator('#messages').getByText('Der Passkey heißt jetzt „Laptop“.').waitFor();
            assert.equal(await items.first().locator('.factor-name').textContent(), 'Laptop');
            assert.equal((await passkeys(env, user.email))[0].name, 'Laptop');

            // the only factor cannot go
            await page.getByRole('button', { name: 'Passkey „Laptop“ entfernen' }).click();
            await page.locator('#delete-confirm').waitFor({ state: 'visible' });
            await page.locator('#delete-ok').click();
            await page.locator('#messages').getByText(/einziger Anmeldefaktor/).waitFor();
            assert.equal((await passkeys(env, user.email)).length, 1);

            // stale check: the rename asks for the password first, then goes through
            await env.db.exec(`UPDATE session SET verified_at = ${nowSec() - 3600} WHERE account_id = `
                + `(SELECT id FROM account WHERE email = ${lit(user.email)})`);
            await sessionCacheSettled();
            await page.getByRole('button', { name: 'Passkey „Laptop“ umbenennen' }).click();
            await page.locator('#rename_name').fill('Büro-Laptop');
            await page.getByRole('button', { name: 'Speichern' }).click();
            await page.locator('#reauth').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#reauth-passkey').isVisible(), true, 'passkey offered');
            assert.equal(await page.locator('#reauth-code-form').isVisible(), false, 'no TOTP yet');
            assert.equal((await passkeys(env, user.email))[0].name, 'Laptop', 'not renamed before the check');
            await page.locator('#reauth_password').fill('Falsch-Passwort1!');
            await page.getByRole('button', { name: 'Mit Passwort bestätigen' }).click();
            await page.locator('#reauth_password-error').getByText('Das Passwort ist falsch.').waitFor();
            await page.locator('#reauth_password').fill(user.password);
            await page.getByRole('button', { name: 'Mit Passwort bestätigen' }).click();
            await page.locator('#messages').getByText('Der Passkey heißt jetzt „Büro-Laptop“.').waitFor();
            assert.equal(await page.locator('#reauth').isVisible(), false);
            assert.equal((await passkeys(env, user.email))[0].name, 'Büro-Laptop');

            // TOTP set up on the page, from the key shown
            await page.getByRole('button', { name: 'Zweiter Faktor einrichten' }).click();
            await page.locator('#totp-setup').waitFor({ state: 'visible' });
            const secret = (await page.locator('#totp-secret').textContent()).replace(/\s+/g, '');
            await page.locator('#totp_code').fill(await generate({ secret, epoch: nowSec() }));
            await page.getByRole('button', { name: 'Bestätigen', exact: true }).click();
            await page.locator('#messages').getByText('Der zweite Faktor ist eingerichtet.').waitFor();
            assert.match(await page.locator('#totp-state').textContent(), /^Eingerichtet am /);

            // a second passkey; the authenticator refuses without user verification
            await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
            await page.locator('#new_passkey_name').fill('Zweitgerät');
            await page.getByRole('button', { name: 'Passkey hinzufügen' }).click();
            await page.locator('#messages').getByText(/Gerät hat Sie nicht bestätigt/).waitFor();
            assert.equal((await passkeys(env, user.email)).length, 1);
            await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
            // excludeCredentials: this authenticator holds a passkey of the account already
            await page.getByRole('button', { name: 'Passkey hinzufügen' }).click();
            await page.locator('#messages').getByText(/bereits ein Passkey für Ihr Konto gespeichert/).waitFor();
            assert.equal((await passkeys(env, user.email)).length, 1);
            // another device
            await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
            await virtualAuthenticator(page);
            await page.getByRole('button', { name: 'Passkey hinzufügen' }).click();
            await page.locator('#messages').getByText('Der Passkey wurde hinzugefügt.').waitFor();
            assert.deepEqual((await passkeys(env, user.email)).map((k) => k.name), ['Büro-Laptop', 'Zweitgerät']);
            assert.equal(await items.count(), 2);

            // stale again: delete the first passkey after a check with a passkey
            await env.db.exec(`UPDATE session SET verified_at = ${nowSec() - 3600} WHERE account_id = `
                + `(SELECT id FROM account WHERE email = ${lit(user.email)})`);
            await sessionCacheSettled();
            await page.getByRole('button', { name: 'Passkey „Büro-Laptop“ entfernen' }).click();
            await page.locator('#delete-ok').click();
            await page.locator('#reauth').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#reauth-code-form').isVisible(), true, 'TOTP offered now');
            await page.getByRole('button', { name: 'Mit Passkey bestätigen' }).click();
            await page.locator('#messages').getByText('Der Passkey „Büro-Laptop“ wurde entfernt.').waitFor();
            assert.deepEqual((await passkeys(env, user.email)).map((k) => k.name), ['Zweitgerät']);

            // TOTP can go (a passkey is left); then the passkey is the last factor
            await page.getByRole('button', { name: 'Zweiten Faktor entfernen' }).click();
            await page.locator('#delete-ok').click();
            await page.locator('#messages').getByText('Der zweite Faktor wurde entfernt.').waitFor();
            await page.getByRole('button', { name: 'Passkey „Zweitgerät“ entfernen' }).click();
            await page.locator('#delete-ok').click();
            await page.locator('#messages').getByText(/einziger Anmeldefaktor/).waitFor();
            assert.equal((await passkeys(env, user.email)).length, 1);
            const kinds = (await env.db.query(`SELECT kind FROM event e JOIN account a ON a.id = e.account_id `
                + `WHERE a.email = ${lit(user.email)} ORDER BY e.id`)).map((r) => r.kind);
            assert.deepEqual(kinds, ['registered', 'email_confirmed', 'passkey_added', 'login', 'passkey_renamed',
                'passkey_renamed', 'totp_added', 'passkey_added', 'passkey_removed', 'totp_removed']);
            const w2 = await scrollWidth(page);
            assert.ok(w2 <= 360, `sicherheit.html is ${w2} px wide`);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });

    test('Sicherheit page without a complete login goes elsewhere', async () => {
        const env = h.env;
        const lb = `http://localhost:${env.port}`;
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            await page.goto(`${lb}/sicherheit.html`);
            await page.waitForURL(/\/anmeldung\.html\?ziel=%2Fsicherheit\.html/);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });
});

logTest();
