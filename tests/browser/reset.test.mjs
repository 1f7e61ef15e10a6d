// "Zugangsdaten zurücksetzen" in Chromium at 360x800, two browser contexts:
// a staff member resets a customer's credentials on the customer page
// (with the confirmation step) and downloads both letters (PDFs read back
// with pdftotext); the citizen, in another context, logs in with the
// letters' username and one-time password, chooses an own password (live
// checklist), gives an e-mail address with the consent, opens the
// confirmation link from the mail, goes "Zur Anmeldung", logs in with the
// address and sets up a new TOTP factor. An interrupted flow resumes at
// its step. Console errors, page errors and CSP violations fail the test.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, noHorizontalScroll } from '../lib/browser.mjs';
import { run, uniqueEmail, randomId } from '../lib/util.mjs';
import { confirmLink } from '../lib/smtp.mjs';
import { SUBJECT_CONFIRM, strongPassword } from '../lib/flows.mjs';
import { addJobcenter, addStaff, loginFull, createCustomer } from '../lib/staff.mjs';
import { issueCode as storeCode, authenticatedCitizen } from '../lib/fixtures.mjs';

const nowSec = () => Math.floor(Date.now() / 1000);

async function pdfText(file) {
    assert.equal(fs.readFileSync(file).subarray(0, 5).toString('latin1'), '%PDF-');
    return (await run('pdftotext', ['-layout', file, '-'])).stdout;
}

describe('Zugangsdaten zurücksetzen in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();

    test('staff reset with two letters; the citizen walks the letter flow to a new TOTP factor', async () => {
        const env = h.env;
        const jcName = `Jobcenter Rems-Murr ${randomId(2)}`;
        await addJobcenter(env, jcName, ['71332']);
        const staff = await addStaff(env, jcName, { tag: 'reset-browser' });
        const staffApi = await loginFull(env, staff);   // TOTP set up
        const cust = await createCustomer(staffApi);
        const citizen = await authenticatedCitizen(env, 'reset-browser');
        const code = await storeCode(env, cust.id, { createdBy: staffApi.accountId });
        const red = await citizen.c.post('/api/v1/freischaltcode', { code: code.grouped }, { csrf: true });
        assert.equal(red.status, 201, red.text);

        const sb = await newPage(b.browser);
        const pg = await newPage(b.browser, { expectApi: [401, 422] });
        try {
            // ---- staff context: log in (password + TOTP), reset, download
            await sb.goto(`${env.base}/anmeldung.html?ziel=${encodeURIComponent(`/sachbearbeitung/kunde.html?id=${cust.id}`)}`);
            await sb.locator('#login').fill(staff.email);
            await sb.locator('#password').fill(staff.password);
            await sb.locator('#login-submit').click();
            await sb.waitForURL(/\/zweiter-faktor\.html/);
            await sb.locator('#totp_code').fill(await generate({ secret: staff.secret, epoch: (staff.step + 1) * 30 }));
            await sb.locator('#totp_code').press('Enter');
            await sb.waitForURL(/\/sachbearbeitung\/kunde\.html\?id=\d+/);
            await sb.locator('#reset-section').waitFor({ state: 'visible' });
            await sb.getByRole('button', { name: 'Zugangsdaten zurücksetzen' }).click();
            await sb.locator('#reset-confirm').waitFor({ state: 'visible' });
            await noHorizontalScroll(sb, 'kunde.html with the confirmation');
            // "Abbrechen" changes nothing
            await sb.locator('#reset-cancel').click();
            await sb.locator('#reset-confirm').waitFor({ state: 'hidden' });
            assert.equal(await env.db.scalar(`SELECT username FROM account WHERE id = ${citizen.id}`), null);
            await sb.getByRole('button', { name: 'Zugangsdaten zurücksetzen' }).click();
            await sb.getByRole('button', { name: 'Ja, Zugangsdaten zurücksetzen' }).click();
            await sb.locator('#reset-result').waitFor({ state: 'visible' });
            assert.match(await sb.locator('#reset-text').innerText(), /gültig bis \d\d\.\d\d\.\d{4}/);
            const files = [];
            for (const n of [1, 2]) {
                const [dl] = await Promise.all([sb.waitForEvent('download'), sb.locator(`#reset-letter-${n}`).click()]);
                assert.match(dl.suggestedFilename(), new RegExp(`^Zugangsdaten-${n}-.*-${cust.kundennummer}\\.pdf$`));
                const f = path.join(env.root, `letter-${n}.pdf`);
                await dl.saveAs(f);
                files.push(f);
            }
            await noHorizontalScroll(sb, 'kunde.html after the reset');
            const t1 = await pdfText(files[0]);
            const t2 = await pdfText(files[1]);
            const username = /\bba-\d{9}\b/.exec(t1)[0];
            const onetime = /dieses Passwort:\s*\n\s*(\S+)/.exec(t2)[1];
            assert.ok(!t1.includes(onetime) && !t2.includes(username));
            assert.equal(await env.db.scalar(`SELECT username FROM account WHERE id = ${citizen.id}`), username);

            // ---- citizen context: the letter flow
            await pg.goto(`${env.base}/anmeldung.html`);
            await pg.locator('#passkey-section').waitFor({ state: 'visible' });  // "Mit Passkey anmelden" stays
            await pg.locator('#login').fill(username);
            await pg.locator('#password').fill(onetime);
            await pg.locator('#login-submit').click();
            await pg.waitForURL(/\/passwort-aendern\.html/);
            await pg.getByRole('heading', { name: 'Passwort ändern' }).waitFor({ state: 'visible' });
            await noHorizontalScroll(pg, 'passwort-aendern.html');
            // the one-time password again: refused by the server
            await pg.locator('#password').fill(onetime);
            await pg.locator('#password_repeat').fill(onetime);
            await pg.locator('#change-submit').click();
            await pg.locator('#messages').getByText(/nicht das Einmal-Passwort/).waitFor();
            // the live checklist
            await pg.locator('#password').fill('kurz');
            assert.equal(await pg.locator('#rule-length').getAttribute('class'), 'rule');
            const newPw = strongPassword();
            await pg.locator('#password').fill(newPw);
            await pg.locator('#password_repeat').fill(newPw);
            await pg.waitForFunction(() => document.querySelectorAll('#password-rules .rule-met').length === 7);

            // interrupted before saving: a new login resumes at the same step
            await pg.goto(`${env.base}/start.html`);
            await pg.waitForURL(/\/passwort-aendern\.html/);
            await pg.locator('#password').fill(newPw);
            await pg.locator('#password_repeat').fill(newPw);
            await pg.getByRole('button', { name: 'Passwort ändern' }).click();
            await pg.waitForURL(/\/email-angeben\.html/);
            await pg.getByRole('heading', { name: 'E-Mail-Adresse' }).waitFor({ state: 'visible' });
            await noHorizontalScroll(pg, 'email-angeben.html');
            // consent missing: a field error
            const addr = uniqueEmail('reset-browser');
            await pg.locator('#email').fill(addr);
            await pg.locator('#email-submit').click();
            await pg.locator('#accept_email-error').waitFor({ state: 'visible' });
            // log out ("Abbrechen") and in again with username + new password
            await pg.locator('#email-cancel').click();
            await pg.waitForURL(/\/anmeldung\.html\?abgemeldet=1/);
            await pg.locator('#login').fill(username);
            await pg.locator('#password').fill(newPw);
            await pg.locator('#login-submit').click();
            await pg.waitForURL(/\/email-angeben\.html/);
            const mark = env.mail.mark();
            await pg.locator('#email').fill(addr);
            await pg.locator('#accept_email').check();
            await pg.getByRole('button', { name: 'E-Mail-Adresse speichern' }).click();
            await pg.locator('#sent').waitFor({ state: 'visible' });
            assert.equal(await pg.locator('#sent-address').textContent(), addr);
            const mail = await env.mail.waitFor(addr, { subject: SUBJECT_CONFIRM, since: mark });
            const link = confirmLink(mail);
            assert.ok(link.startsWith(`${env.base}/email-bestaetigen.html?token=`), link);

            // the link, "Zur Anmeldung", login with the address
            await pg.goto(link);
            await pg.locator('#confirm-done').waitFor({ state: 'visible' });
            await pg.getByRole('link', { name: 'Zur Anmeldung' }).click();
            await pg.waitForURL(/\/anmeldung\.html/);
            await pg.locator('#login').fill(addr);
            await pg.locator('#password').fill(newPw);
            await pg.locator('#login-submit').click();
            // the second factor again
            await pg.waitForURL(/\/start\.html/);
            await pg.locator('#security-notice').waitFor({ state: 'visible' });
            await pg.getByRole('link', { name: 'Zweiter Faktor einrichten' }).click();
            await pg.waitForURL(/\/zweiter-faktor-einrichten\.html/);
            await pg.waitForFunction(() => /[A-Z2-7]{4}/.test(document.getElementById('totp-secret').textContent));
            const secret = (await pg.locator('#totp-secret').textContent()).replace(/\s+/g, '');
            assert.notEqual(secret, citizen.secret);
            await pg.locator('#totp_code').fill(await generate({ secret, epoch: nowSec() }));
            await pg.locator('#totp-confirm').click();
            await pg.waitForURL(/\/start\.html/);
            await pg.locator('#home').waitFor({ state: 'visible' });
            assert.match(await pg.locator('#home').innerText(), new RegExp(cust.kundennummer));
            const [a] = await env.db.query(`SELECT email, username, password_change_required FROM account WHERE id = ${citizen.id}`);
            assert.equal(a.email, addr);
            assert.equal(a.username, null);
            assert.equal(Number(a.password_change_required), 0);
            assert.deepEqual(sb.problems, [], `staff browser problems:\n${sb.problems.join('\n')}`);
            assert.deepEqual(pg.problems, [],
                `citizen browser problems:\n${pg.problems.join('\n')}`);
        } finally {
            await sb.dispose();
            await pg.dispose();
        }
    });
});

logTest();
