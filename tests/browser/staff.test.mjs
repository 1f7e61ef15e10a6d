// Staff pages in Chromium at 360x800: a staff member created with the
// admin tool opens /sachbearbeitung/ logged out (the gate sends the browser
// to the login), logs in with the one-time password, must replace it on
// passwort-aendern.html (the one-time password itself is refused), sets up
// TOTP (code from npm otplib) and lands on /sachbearbeitung/ (the ?ziel= of
// the gate travels through the whole first login), creates a customer (a field error first), finds it with
// the search, issues a Freischaltcode and gets the letter as a download:
// a PDF holding the code whose hash is stored, with a QR code of the
// redeem link. Then the whole path of issue 4: the citizen opens that QR
// link logged out in a browser context of their own, logs in with the second
// factor, finds the code pre-filled, redeems it and sees name and
// Kundennummer. Console errors, page errors and CSP violations fail the test.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, noHorizontalScroll, loginHere } from '../lib/browser.mjs';
import { addJobcenter, addStaff, readLetter, sha256hex } from '../lib/staff.mjs';
import { authenticatedCitizen, KUNDENNUMMER_NEW } from '../lib/fixtures.mjs';
import { strongPassword } from '../lib/flows.mjs';

const nowSec = () => Math.floor(Date.now() / 1000);

describe('staff pages in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();

    test('log in, set up TOTP, create a customer, issue a code: the letter is downloaded; the citizen redeems it from the QR link', async () => {
        const env = h.env;
        await addJobcenter(env, 'Jobcenter Rems-Murr', ['71332']);
        const staff = await addStaff(env, 'Jobcenter Rems-Murr', { tag: 'browser', firstLogin: false });
        const page = await newPage(b.browser, { expectApi: [401, 422] });
        try {
            // logged out: the gate sends the browser to the login with the way back
            await page.goto(`${env.base}/sachbearbeitung/`);
            await page.waitForURL(/\/anmeldung\.html\?ziel=%2Fsachbearbeitung%2F/);
            await page.locator('#login').fill(staff.email);
            await page.locator('#password').fill(staff.password);
            await page.locator('#login-submit').click();
            // first login: the one-time password must be replaced
            await page.waitForURL(/\/passwort-aendern\.html/);
            await page.getByRole('heading', { name: 'Passwort ändern' }).waitFor({ state: 'visible' });
            await page.locator('#intro-onetime').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#intro-letter').isVisible(), false);
            assert.match(await page.locator('#intro-onetime').innerText(), /Einmal-Passwort für Ihr neues Konto/);
            await noHorizontalScroll(page, 'passwort-aendern.html (staff)');
            // the one-time password again: refused by the server, nothing changed
            await page.locator('#password').fill(staff.password);
            await page.locator('#password_repeat').fill(staff.password);
            await page.locator('#change-submit').click();
            await page.locator('#messages').getByText(/nicht Ihr Einmal-Passwort sein/).waitFor();
            assert.match(await page.locator('#password-error').innerText(),
                /^Fehler:\s+Das neue Passwort darf nicht Ihr Einmal-Passwort sein\. Bitte wählen Sie ein eigenes Passwort\.$/);
            assert.equal(Number(await env.db.scalar(`SELECT password_change_required FROM account WHERE id = ${staff.id}`)), 1);
            // the staff pages still send the browser back to the login; the
            // one-time password leads into the flow again, with the way back
            await page.goto(`${env.base}/sachbearbeitung/`);
            await page.waitForURL(/\/anmeldung\.html\?ziel=%2Fsachbearbeitung%2F/);
            await page.locator('#login').fill(staff.email);
            await page.locator('#password').fill(staff.password);
            await page.locator('#login-submit').click();
            await page.waitForURL(/\/passwort-aendern\.html\?ziel=%2Fsachbearbeitung%2F/);
            const own = strongPassword();
            await page.locator('#password').fill(own);
            await page.locator('#password_repeat').fill(own);
            await page.waitForFunction(() => document.querySelectorAll('#password-rules .rule-met').length === 7);
            await page.getByRole('button', { name: 'Passwort ändern' }).click();
            // then the second factor is mandatory (no e-mail step: the address is known)
            await page.waitForURL(/\/start\.html\?ziel=%2Fsachbearbeitung%2F/);
            await page.locator('#security-notice').waitFor({ state: 'visible' });
            await page.getByRole('link', { name: 'Zweiter Faktor einrichten' }).click();
            await page.waitForURL(/\/zweiter-faktor-einrichten\.html\?ziel=%2Fsachbearbeitung%2F/);
            await page.locator('#setup').waitFor({ state: 'visible' });
            await page.waitForFunction(() => /[A-Z2-7]{4}/.test(document.getElementById('totp-secret').textContent));
            const secret = (await page.locator('#totp-secret').textContent()).replace(/\s+/g, '');
            await page.locator('#totp_code').fill(await generate({ secret, epoch: nowSec() }));
            await page.locator('#totp-confirm').click();
            // ... and the way back ends on the staff list
            await page.waitForURL(/\/sachbearbeitung\/$/);
            assert.equal(Number(await env.db.scalar(`SELECT password_change_required FROM account WHERE id = ${staff.id}`)), 0);

            // the staff list
            await page.getByRole('heading', { name: 'Kundinnen und Kunden' }).waitFor({ state: 'visible' });
            assert.equal(await page.locator('#staff-name').textContent(), 'Staff browser');
            await page.getByText('Ihr Jobcenter hat noch keine Kundinnen und Kunden angelegt.').waitFor();
            await noHorizontalScroll(page, 'sachbearbeitung/index.html');

            // create a customer: a wrong postcode first
            await page.getByRole('link', { name: 'Kundin / Kunden anlegen' }).click();
            await page.waitForURL(/\/kunde-anlegen\.html/);
            await page.getByLabel('Anrede').selectOption('Frau');
            await page.getByLabel('Vorname *').fill('Erika');
            await page.getByLabel('Nachname *').fill('Mustermann');
            // typed as people in Germany write it (the page sends ISO)
            await page.getByLabel('Geburtsdatum *').fill('12.04.1985');
            await page.getByLabel('Straße und Hausnummer *').fill('Bahnhofstraße 1');
            await page.getByLabel('Postleitzahl *').fill('7133');
            await page.getByLabel('Ort *').fill('Waiblingen');
            await page.locator('#customer-submit').click();
            await page.locator('#postcode-error').waitFor({ state: 'visible' });
            assert.match(await page.locator('#postcode-error').innerText(), /Die Postleitzahl besteht aus fünf Ziffern\./);
            assert.equal(await page.locator('#postcode').getAttribute('aria-invalid'), 'true');
            assert.match(await page.locator('#messages').innerText(), /Postleitzahl: Die Postleitzahl besteht aus fünf Ziffern\./);
            assert.equal(Number(await env.db.scalar('SELECT count(*) FROM customer')), 0);
            await noHorizontalScroll(page, 'kunde-anlegen.html with an error');
            await page.getByLabel('Postleitzahl *').fill('71332');
            await page.locator('#customer-submit').click();
            await page.waitForURL(/\/kunde\.html\?id=\d+&neu=1/);
            await page.getByRole('heading', { name: 'Frau Erika Mustermann' }).waitFor({ state: 'visible' });
            assert.equal(await page.locator('#c-birth').textContent(), '12.04.1985');
            const knr = (await page.locator('#c-knr').textContent()).trim();
            assert.match(knr, KUNDENNUMMER_NEW);
            assert.match(await page.locator('#messages').innerText(), new RegExp(`Kundennummer: ${knr}`));
            await noHorizontalScroll(page, 'kunde.html');

            // the search finds it by Kundennummer (lower-case) and by name
            await page.goto(`${env.base}/sachbearbeitung/`);
            await page.locator('#q').fill(knr.toLowerCase());
            await page.locator('#search-submit').click();
            await page.getByRole('link', { name: 'Mustermann, Erika' }).waitFor({ state: 'visible' });
            assert.match(await page.locator('#result-status').innerText(), /1 Kundin \/ Kunde gefunden/);
            await page.getByRole('link', { name: 'Mustermann, Erika' }).click();
            await page.waitForURL(/\/kunde\.html\?id=\d+$/);

            // "Freischaltcode erzeugen": the letter comes as a download
            await page.getByText('Noch kein Freischaltcode erzeugt.').waitFor();
            const [download] = await Promise.all([
                page.waitForEvent('download'),
                page.getByRole('button', { name: 'Freischaltcode erzeugen' }).click()
            ]);
            assert.equal(download.suggestedFilename(), `Freischaltcode-${knr}.pdf`);
            const file = path.join(env.root, 'download.pdf');
            await download.saveAs(file);
            const pdf = fs.readFileSync(file);
            assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
            const letter = await readLetter(pdf, path.join(env.root, 'letters'));
            const code = /([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})/.exec(letter.text)[1];
            assert.deepEqual(letter.qr, [`${env.base}/link/freischaltcode?code=${code}`]);
            const hash = await env.db.scalar('SELECT code_hash FROM freischaltcode');
            assert.equal(hash, sha256hex(code.replace(/-/g, '')));
            await page.locator('#letter-result').waitFor({ state: 'visible' });
            assert.match(await page.locator('#letter-text').innerText(), /Der Freischaltcode-Brief wurde erstellt \(gültig bis \d\d\.\d\d\.\d{4}\)/);
            await page.locator('#codes li').first().waitFor();
            assert.match(await page.locator('#codes').innerText(), /gültig$/);
            await noHorizontalScroll(page, 'kunde.html after issuing');
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);

            // the citizen, in a browser context of their own, follows the
            // letter's QR link logged out, logs in with password and TOTP,
            // finds the code pre-filled, redeems it and sees the profile
            const u = await authenticatedCitizen(env, 'letter');
            const citizen = await newPage(b.browser, { expectApi: [401] });
            try {
                await citizen.goto(letter.qr[0]);
                await citizen.waitForURL(/\/anmeldung\.html\?ziel=%2Feservices-freischalten\.html$/);
                // the set-up code's time step is spent: the next step's code
                await loginHere(citizen, u, 30);
                await citizen.waitForURL(/\/eservices-freischalten\.html$/);
                const input = citizen.getByLabel('Freischaltcode *');
                await input.waitFor({ state: 'visible' });
                assert.equal(await input.inputValue(), code, 'the code from the letter is not pre-filled');
                await citizen.getByRole('button', { name: 'Bestätigen' }).click();
                await citizen.waitForURL(/\/start\.html$/);
                await citizen.locator('#profile-card').waitFor({ state: 'visible' });
                assert.equal(await citizen.locator('#profile-name').textContent(), 'Erika Mustermann');
                assert.equal((await citizen.locator('.profile-kundennummer').innerText()).trim(),
                    `Kundennummer: ${knr}`);
                assert.equal(Number(await env.db.scalar(
                    `SELECT count(*) FROM customer WHERE kundennummer = '${knr}' AND account_id = ${u.id}`)), 1);
                assert.deepEqual(citizen.problems, [], `browser problems:\n${citizen.problems.join('\n')}`);
            } finally {
                await citizen.dispose();
            }

            // staff see the customer as bound now
            await page.reload();
            await page.getByRole('heading', { name: 'Frau Erika Mustermann' }).waitFor({ state: 'visible' });
        } finally {
            await page.dispose();
        }
    });
});

logTest();
