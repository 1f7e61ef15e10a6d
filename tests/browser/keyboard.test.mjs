// Keyboard-only journeys in Chromium at 1280 and 360 px (WCAG 2.1.1
// Keyboard, 2.4.7 Focus Visible): registration, the TOTP set-up after the
// first login, a message to the Jobcenter and "Dateien hochladen" through
// the drop area's keyboard alternative ("Datei auswählen"), driven only by
// Tab, Shift+Tab, Enter, Space and typing. Every control the focus lands on
// must show a visible focus indicator (computed outline or box-shadow,
// tests/lib/browser.mjs tabTo). axe runs on each state as in every browser
// test.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, nowSec } from '../lib/util.mjs';
import { confirmLink } from '../lib/smtp.mjs';
import { useBrowser, newPage, tabTo, focusIndicator, useSession } from '../lib/browser.mjs';
import { strongPassword, SUBJECT_CONFIRM, registerAndConfirm } from '../lib/flows.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, citizenWithProfile } from '../lib/uploads.mjs';

// The file chooser that a key opens on a focused file input. Playwright
// starts intercepting choosers when the first 'filechooser' listener is
// added; a key press that overtakes that (once in a full suite run of
// session 7, at 1280 px; the rerun passed) opens an unintercepted chooser
// that headless Chromium cancels.
// Up to three presses, each waited for 5 s; the page must open it by key.
async function chooserByKey(page, key) {
    for (let i = 0; ; i++) {
        try {
            const [c] = await Promise.all([page.waitForEvent('filechooser', { timeout: 5000 }), page.keyboard.press(key)]);
            return c;
        } catch (e) {
            if (i === 2 || e.name !== 'TimeoutError') throw e;
        }
    }
}

describe('keyboard-only journeys in Chromium', () => {
    const h = useEnv();
    const b = useBrowser();
    let jc;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
    });

    // type into the control that has the focus (no fill(), no click())
    async function type(page, text) {
        await page.keyboard.type(text);
    }

    for (const width of [1280, 360]) {
        test(`${width} px: register with the keyboard`, async () => {
            const env = h.env;
            const email = uniqueEmail(`kbd-reg-${width}`);
            const password = strongPassword();
            const page = await newPage(b.browser, { width });
            try {
                await page.goto(`${env.base}/registrierung.html`);
                // the skip link comes first and is visible when focused
                await tabTo(page, page.locator('.skip-link'));
                await tabTo(page, page.locator('#email'));
                await type(page, email);
                await tabTo(page, page.locator('#password'));
                await type(page, password);
                await tabTo(page, page.locator('#password_repeat'));
                await type(page, password);
                // back and forth: Shift+Tab reaches the address again
                await tabTo(page, page.locator('#email'), { back: true });
                assert.equal(await page.locator('#email').inputValue(), email);
                await tabTo(page, page.locator('#register-next'));
                await page.keyboard.press('Enter');
                await page.locator('#step-2').waitFor({ state: 'visible' });
                const mark = env.mail.mark();
                await tabTo(page, page.locator('#accept_terms'));
                await page.keyboard.press('Space');
                await tabTo(page, page.locator('#accept_email'));
                await page.keyboard.press('Space');
                assert.equal(await page.locator('#accept_terms').isChecked(), true);
                assert.equal(await page.locator('#accept_email').isChecked(), true);
                await tabTo(page, page.locator('#register-submit'));
                await page.keyboard.press('Enter');
                await page.waitForURL(/\/email-gesendet\.html/);
                await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
                assert.deepEqual(page.problems, []);
            } finally {
                await page.dispose();
            }
        });

        test(`${width} px: first login and the TOTP set-up with the keyboard`, async () => {
            const env = h.env;
            const u = await registerAndConfirm(env, uniqueEmail(`kbd-totp-${width}`), strongPassword());
            const page = await newPage(b.browser, { width, expectApi: [401] });
            try {
                await page.goto(`${env.base}/anmeldung.html`);
                await tabTo(page, page.locator('#login'));
                await type(page, u.email);
                await tabTo(page, page.locator('#password'));
                await type(page, u.password);
                await page.keyboard.press('Enter');
                await page.waitForURL(/\/start\.html/);
                await page.locator('#security-notice').waitFor({ state: 'visible' });
                await tabTo(page, page.locator('#totp-setup-link'));
                await page.keyboard.press('Enter');
                await page.waitForURL(/\/zweiter-faktor-einrichten\.html/);
                await page.locator('#setup').waitFor({ state: 'visible' });
                const secret = (await page.locator('#totp-secret').textContent()).replace(/\s+/g, '');
                await tabTo(page, page.locator('#totp_code'));
                await type(page, await generate({ secret, epoch: nowSec() }));
                await tabTo(page, page.locator('#totp-confirm'));
                await page.keyboard.press('Enter');
                await page.waitForURL(/\/start\.html/);
                await page.locator('#home').waitFor({ state: 'visible' });
                assert.deepEqual(page.problems, []);
            } finally {
                await page.dispose();
            }
        });

        test(`${width} px: a message to the Jobcenter with the keyboard`, async () => {
            const env = h.env;
            const u = await citizenWithProfile(env, jc, `kbd-msg-${width}`);
            const page = await newPage(b.browser, { width, expectApi: [401] });
            try {
                await useSession(page, env.base, u.c);
                await page.goto(`${env.base}/nachricht-schreiben.html`);
                await page.locator('#subject').waitFor({ state: 'visible' });
                await tabTo(page, page.locator('#anliegen'));
                // a native select takes typed letters
                await type(page, 'Frage zu Miete');
                assert.equal(await page.locator('#anliegen').evaluate((s) => s.selectedOptions[0].textContent),
                    'Frage zu Miete und Heizkosten');
                await tabTo(page, page.locator('#subject'));
                await type(page, 'Nebenkosten');
                await tabTo(page, page.locator('#text'));
                await type(page, 'Bitte prüfen Sie die Abrechnung.');
                await tabTo(page, page.locator('#ack'));
                await page.keyboard.press('Space');
                await tabTo(page, page.locator('#send'));
                await page.keyboard.press('Enter');
                await page.getByRole('heading', { name: 'Nachricht übermittelt' }).waitFor();
                const rows = await env.db.query(`SELECT subject FROM conversation WHERE account_id = ${u.id}`);
                assert.deepEqual(rows.map((r) => r.subject), ['Nebenkosten']);
                assert.deepEqual(page.problems, []);
            } finally {
                await page.dispose();
            }
        });

        test(`${width} px: Dateien hochladen through "Datei auswählen" (the drop area's keyboard alternative)`, async () => {
            const env = h.env;
            const u = await citizenWithProfile(env, jc, `kbd-upl-${width}`);
            const page = await newPage(b.browser, { width, expectApi: [401] });
            try {
                await useSession(page, env.base, u.c);
                await page.goto(`${env.base}/dokumente-hochladen.html`);
                const area = page.getByRole('button', { name: 'Geldleistung' });
                await area.waitFor({ state: 'visible' });
                await tabTo(page, area);
                await page.keyboard.press('Enter');
                await page.getByRole('heading', { name: 'Geldleistung: Datei hochladen' }).waitFor();
                // the hidden file input takes the focus, its label button shows it
                await tabTo(page, page.locator('#file-input'));
                const f = await focusIndicator(page);
                assert.match(f.what, /input#file-input/);
                const chooser = await chooserByKey(page, 'Space');
                await chooser.setFiles([{ name: 'Kontoauszug.pdf', mimeType: 'application/pdf', buffer: samples.pdf(30000) }]);
                await page.waitForFunction(() => /hochgeladen$/.test(document.querySelector('.file-item .file-meta')?.textContent || ''));
                assert.match(await page.locator('.file-item .file-meta').textContent(), /30 kB/);
                await tabTo(page, page.locator('#to-message'));
                await page.keyboard.press('Enter');
                await page.locator('#message').waitFor({ state: 'visible' });
                await tabTo(page, page.locator('#message'));
                await type(page, 'Mein Kontoauszug.');
                await tabTo(page, page.locator('#send'));
                await page.keyboard.press('Enter');
                await page.getByRole('heading', { name: 'Ihre Dokumente wurden übermittelt' }).waitFor();
                const n = await env.db.scalar(`SELECT count(*) FROM upload_file WHERE account_id = ${u.id}`);
                assert.equal(Number(n), 1);
                assert.deepEqual(page.problems, []);
            } finally {
                await page.dispose();
            }
        });
    }

    logTest();
});
