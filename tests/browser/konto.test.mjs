// "Passwort vergessen" from the login page to the mail link and a new
// password, and the "Konto" page in Chromium (360x800): reached from the
// start page; ending a session of a second browser context (its next
// request goes to the login page), changing the password, the export
// download after the fresh-check dialog (verified_at set back in the
// database), and deleting the account. The e-mail change: the Konto form
// -> confirmation mail to the new address (harness SMTP) and a notice to
// the old one -> the link opened in the browser -> the new address logs in,
// the old one is refused.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sessionCacheSettled } from '../lib/util.mjs';
import { useBrowser, newPage, scrollWidth } from '../lib/browser.mjs';
import { strongPassword, MSG_INVALID_CREDENTIALS } from '../lib/flows.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import {
    SUBJECT_RESET, SUBJECT_EMAIL_CONFIRM, SUBJECT_EMAIL_NOTICE, SUBJECT_EMAIL_CHANGED, waitForLink, nowSec
} from '../lib/account.mjs';

describe('Passwort vergessen and the Konto page in Chromium', () => {
    const h = useEnv({ baseUrl: (port) => `http://localhost:${port}` });
    const b = useBrowser();

    // A confirmed account with a TOTP factor, set up through the API.
    async function citizen(env, lb, tag) {
        const { c, email, password, secret, id } = await authenticatedCitizen(env, tag,
            { client: env.client({ origin: lb }) });
        await c.post('/api/v1/logout', {}, { csrf: true });
        return { email, password, secret, id: Number(id) };
    }

    // Password and TOTP code on the pages; ends on start.html.
    async function login(env, page, lb, user, password = user.password) {
        await page.goto(`${lb}/anmeldung.html`);
        await page.locator('#login').fill(user.email);
        await page.locator('#password').fill(password);
        await page.locator('#login-submit').click();
        await page.waitForURL(/\/zweiter-faktor\.html/);
        await env.db.exec(`UPDATE totp_factor SET last_step = -1 WHERE account_id = ${user.id}`);
        await page.locator('#totp_code').fill(await generate({ secret: user.secret, epoch: nowSec() }));
        await page.locator('#totp-verify').click();
        await page.waitForURL(/\/start\.html/);
    }

    test('Passwort vergessen: login page link, mail link, new password with the checklist; the factor is still asked', async () => {
        const env = h.env;
        const lb = `http://localhost:${env.port}`;
        const user = await citizen(env, lb, 'br-reset');
        const page = await newPage(b.browser, { expectApi: [410] });
        try {
            await page.goto(`${lb}/anmeldung.html`);
            await page.getByRole('link', { name: 'Passwort vergessen' }).click();
            await page.waitForURL(/\/passwort-vergessen\.html/);
            const mark = env.mail.mark();
            await page.locator('#email').fill(user.email);
            await page.locator('#forgot-submit').click();
            await page.locator('#messages.messages-success').waitFor();
            assert.match(await page.locator('#messages').innerText(), /60 Minuten/);
            assert.ok(await scrollWidth(page) <= 360);
            const { token, link } = await waitForLink(env, user.email, SUBJECT_RESET, 'passwort-neu.html', mark);
            assert.ok(link.startsWith(`${lb}/passwort-neu.html#token=`), link);

            await page.goto(link);
            await page.locator('#reset-form-section').waitFor({ state: 'visible' });
            assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');
            const np = strongPassword();
            await page.locator('#password').fill('kurz');
            assert.equal(await page.locator('#rule-length.rule-met').count(), 0);
            await page.locator('#password').fill(np);
            await page.locator('#password_repeat').fill(np);
            assert.equal(await page.locator('#password-rules .rule-met').count(), 7);
            assert.ok(await scrollWidth(page) <= 360);
            await page.locator('#reset-submit').click();
            await page.locator('#reset-done-heading').waitFor({ state: 'visible' });
            await page.getByRole('link', { name: 'Zur Anmeldung' }).click();
            await page.locator('#login').fill(user.email);
            await page.locator('#password').fill(np);
            await page.locator('#login-submit').click();
            await page.waitForURL(/\/zweiter-faktor\.html/);
            await page.locator('#code-section').waitFor({ state: 'visible' });

            // the link a second time
            await page.goto(`${lb}/passwort-neu.html#token=${token}`);
            await page.locator('#reset-failed-heading').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#reset-failed-heading').innerText(), 'Link bereits verwendet');
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });

    test('Benutzername / E-Mail-Adresse vergessen: the Jobcenter of a postcode, general guidance otherwise', async () => {
        const env = h.env;
        const lb = `http://localhost:${env.port}`;
        const t = nowSec();
        await env.db.exec('INSERT INTO jobcenter (name, street, postcode, city, phone, opening_hours, created_at) '
            + "VALUES ('Jobcenter Browsertest', 'Alter Postplatz 10', '71332', 'Waiblingen', '07151 9519-0', "
            + `'Mo–Fr 8–12 Uhr', ${t})`);
        await env.db.exec("INSERT INTO jobcenter_postcode (postcode, jobcenter_id) SELECT '71334', id FROM jobcenter "
            + "WHERE name = 'Jobcenter Browsertest'");
        const page = await newPage(b.browser, { expectApi: [404] });
        try {
            await page.goto(`${lb}/anmeldung.html`);
            await page.getByRole('link', { name: 'Benutzername / E-Mail-Adresse vergessen' }).click();
            await page.waitForURL(/\/zugangsdaten-vergessen\.html/);
            await page.locator('#plz').fill('7133');
            await page.getByRole('button', { name: 'Jobcenter anzeigen' }).click();
            await page.locator('#plz-error').waitFor();
            await page.locator('#plz').fill('71334');
            await page.getByRole('button', { name: 'Jobcenter anzeigen' }).click();
            await page.locator('#plz-jobcenter').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#jc-name').innerText(), 'Jobcenter Browsertest');
            assert.equal(await page.locator('#jc-phone').innerText(), '07151 9519-0');
            await page.locator('#plz').fill('99999');
            await page.getByRole('button', { name: 'Jobcenter anzeigen' }).click();
            await page.locator('#plz-general').waitFor({ state: 'visible' });
            assert.ok(await page.locator('#plz-jobcenter').isHidden());
            assert.ok(await scrollWidth(page) <= 360);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });

    test('Konto: e-mail change with the confirmation link; the new address logs in, the old one is refused', async () => {
        const env = h.env;
        const lb = `http://localhost:${env.port}`;
        const user = await citizen(env, lb, 'br-mail');
        const neu = uniqueEmail('br-mail-new');
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            await login(env, page, lb, user);
            // the start page's requests end before the next navigation
            await page.waitForLoadState('networkidle');
            await page.locator('#nav-konto').click();
            await page.waitForURL(/\/konto\.html/);
            await page.locator('#konto').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#current-email').innerText(), user.email);
            const mark = env.mail.mark();
            await page.getByLabel('Neue E-Mail-Adresse *').fill(neu);
            await page.getByRole('button', { name: 'Bestätigungslink senden' }).click();
            await page.locator('#messages.messages-success').waitFor();
            assert.ok((await page.locator('#messages').innerText()).includes(`Bestätigungslink an ${neu}`));
            await page.locator('#pending-email').waitFor({ state: 'visible' });
            assert.ok((await page.locator('#pending-email').innerText()).includes(neu));
            assert.equal(await page.locator('#current-email').innerText(), user.email, 'unchanged until confirmed');
            assert.ok(await scrollWidth(page) <= 360, 'no horizontal scrolling at 360 px');

            // the mails: the link to the new address, a notice to the old one
            const { link } = await waitForLink(env, neu, SUBJECT_EMAIL_CONFIRM, 'email-aendern.html', mark);
            const notice = await env.mail.waitFor(user.email, { subject: SUBJECT_EMAIL_NOTICE, since: mark });
            assert.doesNotMatch(notice.body, /#token=/, 'the notice holds no link token');

            // the link opened in the browser
            await page.goto(link.replace(/^https?:\/\/[^/]+/, lb));
            await page.locator('#change-done').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#change-email').innerText(), neu);
            assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');
            await env.mail.waitFor(user.email, { subject: SUBJECT_EMAIL_CHANGED, since: mark });
            assert.equal(await env.db.scalar(`SELECT email FROM account WHERE id = ${user.id}`), neu);

            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);

            // a new browser: the old address is refused on the login page, the new one logs in
            const fresh = await newPage(b.browser, { expectApi: [401] });
            try {
                await fresh.goto(`${lb}/anmeldung.html`);
                await fresh.locator('#login').fill(user.email);
                await fresh.locator('#password').fill(user.password);
                await fresh.locator('#login-submit').click();
                await fresh.locator('#messages').getByText(MSG_INVALID_CREDENTIALS).waitFor();
                assert.match(fresh.url(), /\/anmeldung\.html/);
                await login(env, fresh, lb, { ...user, email: neu });
                await fresh.waitForLoadState('networkidle');
                await fresh.locator('#nav-konto').click();
                await fresh.waitForURL(/\/konto\.html/);
                await fresh.locator('#konto').waitFor({ state: 'visible' });
                assert.equal(await fresh.locator('#current-email').innerText(), neu);
                assert.equal(await fresh.locator('#pending-email').isVisible(), false);
                assert.deepEqual(fresh.problems, [], `browser problems (fresh):\n${fresh.problems.join('\n')}`);
            } finally {
                await fresh.dispose();
            }
        } finally {
            await page.dispose();
        }
    });

    test('Konto: end a session of another browser, change the password, export after the check, delete', async () => {
        const env = h.env;
        const lb = `http://localhost:${env.port}`;
        const user = await citizen(env, lb, 'br-konto');
        const page = await newPage(b.browser, { expectApi: [403] });
        const other = await newPage(b.browser, { expectApi: [401] });
        try {
            await login(env, other, lb, user);
            await login(env, page, lb, user);
            await page.locator('#nav-konto').click();
            await page.waitForURL(/\/konto\.html/);
            await page.locator('#konto').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#current-email').innerText(), user.email);
            const items = page.locator('#session-list li');
            assert.equal(await items.count(), 2);
            assert.match(await items.filter({ hasText: 'diese Sitzung' }).innerText(), /Chrome auf Linux/);
            assert.ok(await scrollWidth(page) <= 360, 'no horizontal scrolling at 360 px');

            // end the other browser's session
            await page.getByRole('button', { name: /^Sitzung beenden: „.*“ \(.*\)$/ }).click();
            await page.locator('#messages.messages-success').waitFor();
            assert.equal(await items.count(), 1);
            await other.goto(`${lb}/konto.html`);
            await other.waitForURL(/\/anmeldung\.html/);

            // password change
            const np = strongPassword();
            await page.locator('#current_password').fill(user.password);
            await page.locator('#password').fill(np);
            await page.locator('#password_repeat').fill(np);
            await page.getByRole('button', { name: 'Passwort ändern' }).click();
            await page.locator('#messages.messages-success').waitFor();
            assert.match(await page.locator('#messages').innerText(), /Passwort wurde geändert/);

            // export: the check is too old, the dialog asks for the password
            await env.db.exec(`UPDATE session SET verified_at = ${nowSec() - 3600} WHERE account_id = ${user.id}`);
            await sessionCacheSettled();
            await page.locator('#export').click();
            await page.locator('#reauth').waitFor({ state: 'visible' });
            await page.locator('#reauth_password').fill(np);
            const download = page.waitForEvent('download');
            await page.getByRole('button', { name: 'Mit Passwort bestätigen' }).click();
            const file = await download;
            assert.match(file.suggestedFilename(), /^jobcenter-digital-meine-daten-\d{4}-\d\d-\d\d\.json$/);
            const data = JSON.parse(fs.readFileSync(await file.path(), 'utf8'));
            assert.equal(data.account.email, user.email);
            assert.ok(data.verlauf.some((e) => e.kind === 'password_changed'));

            // deletion
            await page.locator('#delete_password').fill(np);
            await page.locator('#delete_confirm').check();
            await page.getByRole('button', { name: 'Konto endgültig löschen' }).click();
            await page.locator('#deleted-heading').waitFor({ state: 'visible' });
            assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM account WHERE id = ${user.id}`)), 0);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
            assert.deepEqual(other.problems, [], `browser problems (other):\n${other.problems.join('\n')}`);
        } finally {
            await page.dispose();
            await other.dispose();
        }
    });
});

logTest();
