// The seed's "Nachrichten schreiben" in Chromium at 360x800: the page
// explains and links while Online-Kommunikation is off; with it on:
// recipient "Jobcenter", "Anliegen *" as a select with the seed's two
// groups, "Betreff *", "Ihre Nachricht *" with the live "noch N Zeichen",
// a PDF as "Nachrichten-Anhänge" through the upload pipeline, the § 67a /
// § 67c acknowledgement (missing: an error, and nothing typed is lost),
// "Absenden" -> "Nachricht übermittelt – Ihre Nachricht wurde übermittelt."
// -> "OK" -> Postfach. Staff answer in a second browser context (team
// inbox, attachment, "Mir zuweisen", reply with an attachment); the
// citizen sees the reply, marked new, and downloads its attachment. Console errors, page errors and CSP violations fail.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, noHorizontalScroll, loginWithTotp } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile, staffOf } from '../lib/uploads.mjs';

describe('Nachrichten schreiben in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();
    let jc;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
    });

    let u, st;
    test('message with an attachment, staff answer in a second context, the reply in the Postfach', async () => {
        const env = h.env;
        u = await citizenWithProfile(env, jc, 'browser-msg', { consent: false });
        st = await staffOf(env, jc, 'leistung');
        const pdf = samples.pdf(50000);
        const png = samples.png(20000);
        const page = await newPage(b.browser, { expectApi: [401, 403] });
        const staff = await newPage(b.browser, { expectApi: [401] });
        try {
            // Online-Kommunikation off: the page explains and links
            await loginWithTotp(page, h.env.base, u, '/nachricht-schreiben.html');
            await page.waitForURL(/\/nachricht-schreiben\.html$/);
            await page.locator('#online-notice').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#message-form').isVisible(), false);
            assert.equal(await page.locator('#online-notice-link').getAttribute('href'), 'online-kommunikation.html');
            await noHorizontalScroll(page, 'notice');

            const on = await u.c.post('/api/v1/online-kommunikation/aktivieren', null, { csrf: true });
            assert.equal(on.status, 200, on.text);
            await page.reload();
            await page.locator('#message-form').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#jc-name').textContent(), 'Jobcenter Rems-Murr');
            assert.deepEqual(await page.locator('#recipient option').allTextContents(), ['Jobcenter']);
            assert.deepEqual(await page.locator('#anliegen optgroup').evaluateAll((g) => g.map((x) => x.label)),
                ['Nachrichten an die Leistung', 'Nachrichten an die Vermittlung']);
            assert.equal(await page.locator('#anliegen optgroup option').count(), 14);
            await page.getByLabel('Anliegen *').selectOption({ label: 'Frage zu Miete und Heizkosten' });
            await page.getByLabel('Betreff *').fill('Nebenkostenabrechnung 2026');
            const text = page.getByLabel('Ihre Nachricht *');
            await text.fill('Test');
            assert.equal(await page.locator('#text-count').textContent(), 'noch 996 Zeichen');
            const body = 'Anbei meine Nebenkostenabrechnung. Schöne Grüße 😀';
            await text.fill(body);
            assert.equal(await page.locator('#text-count').textContent(), `noch ${1000 - [...body].length} Zeichen`);
            await page.locator('#att-input').setInputFiles([{ name: 'Nebenkosten.pdf', mimeType: 'application/pdf', buffer: pdf }]);
            await page.waitForFunction(() => /hochgeladen$/.test(document.querySelector('#att-list .file-meta')?.textContent || ''));
            await noHorizontalScroll(page, 'form');

            // without the acknowledgement: an error, nothing lost
            await page.getByRole('button', { name: 'Absenden' }).click();
            await page.locator('#messages').getByText(/§ 67a/).first().waitFor();
            assert.equal(await text.inputValue(), body);
            assert.equal(await page.getByLabel('Betreff *').inputValue(), 'Nebenkostenabrechnung 2026');
            assert.equal(await page.locator('#att-list .file-item').count(), 1);
            assert.equal(await env.db.scalar('SELECT count(*) FROM conversation'), 0);

            await page.locator('#ack').check();
            await page.getByRole('button', { name: 'Absenden' }).click();
            await page.getByRole('heading', { name: 'Nachricht übermittelt' }).waitFor();
            assert.equal(await page.locator('#done p').textContent(), 'Ihre Nachricht wurde übermittelt.');
            await noHorizontalScroll(page, 'confirmation');
            await page.getByRole('link', { name: 'OK' }).click();
            await page.waitForURL(/\/postfach\.html$/);
            await page.locator('#conv-list .conv-item').first().waitFor();
            assert.match(await page.locator('#conv-list').innerText(), /Nebenkostenabrechnung 2026/);

            // staff, second browser context
            await loginWithTotp(staff, h.env.base, st, '/sachbearbeitung/nachrichten.html');
            await staff.waitForURL(/\/sachbearbeitung\/nachrichten\.html$/);
            const item = staff.locator('#conv-list .conv-item').first();
            await item.waitFor();
            const t = await item.innerText();
            assert.ok(t.includes(u.cust.kundennummer), t);
            assert.ok(t.includes(u.cust.name), t);
            assert.match(t, /1 Anhang/);
            await item.getByRole('link', { name: 'Nebenkostenabrechnung 2026' }).click();
            await staff.getByRole('heading', { name: 'Nebenkostenabrechnung 2026' }).waitFor();
            const [resp] = await Promise.all([
                staff.waitForEvent('response', (r) => r.url().includes('/api/v1/staff/messages/file')),
                staff.evaluate(() => fetch(document.querySelector('.msg-files a').href).then((r) => r.arrayBuffer()))
            ]);
            assert.equal(resp.status(), 200);
            assert.equal(resp.headers()['x-content-type-options'], 'nosniff');
            assert.match(resp.headers()['content-disposition'], /^attachment;/);
            assert.equal(sha256(await resp.body()), sha256(pdf));
            await staff.getByRole('button', { name: 'Mir zuweisen' }).click();
            await staff.waitForFunction(() => /zugewiesen/.test(document.querySelector('#conv-status-note').textContent));
            assert.match(await staff.locator('#conv-facts').innerText(), /in Bearbeitung/);
            await staff.getByLabel('Antwort *').fill('Vielen Dank, wir prüfen die Abrechnung.');
            // an attachment to the reply (sent through the upload pipeline; the type is sniffed)
            await staff.getByLabel('Anhänge (optional)').setInputFiles([
                { name: 'Berechnung.png', mimeType: 'application/octet-stream', buffer: png }]);
            await staff.getByRole('button', { name: 'Antwort senden' }).click();
            await staff.waitForFunction(() => /mit 1 Anhang in das Postfach/.test(document.querySelector('#conv-status-note').textContent));
            assert.equal(await staff.locator('#msg-list .msg').count(), 2);
            assert.match(await staff.locator('#msg-list .msg').nth(1).innerText(), /Berechnung\.png \(image\/png/);
            assert.equal(await staff.getByLabel('Anhänge (optional)').evaluate((i) => i.files.length), 0, 'input cleared');
            assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'message_file_attached' AND staff_account = ${st.id}`)), 1);
            await noHorizontalScroll(staff, 'staff conversation');

            // the citizen sees the reply, marked new
            await page.reload();
            const conv = page.locator('#conv-list .conv-item').first();
            await conv.waitFor();
            assert.match(await conv.innerText(), /1 neue Antwort/);
            await conv.getByRole('link').click();
            await page.getByRole('heading', { name: 'Nebenkostenabrechnung 2026' }).waitFor();
            const msgs = await page.locator('#msg-list .msg').allInnerTexts();
            assert.equal(msgs.length, 2);
            assert.match(msgs[1], /Jobcenter · .* · neu/);
            assert.match(msgs[1], /Vielen Dank, wir prüfen die Abrechnung\./);
            // the staff attachment: listed and downloaded (attachment, sniffed type, nosniff)
            assert.match(msgs[1], /Berechnung\.png/);
            const link = page.locator('#msg-list .msg').nth(1).locator('.msg-files a');
            const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
            assert.equal(dl.suggestedFilename(), 'Berechnung.png');
            assert.equal(sha256(fs.readFileSync(await dl.path())), sha256(png));
            const [fresp] = await Promise.all([
                page.waitForEvent('response', (r) => r.url().includes('/api/v1/messages/file')),
                page.evaluate(() => fetch(document.querySelectorAll('#msg-list .msg')[1].querySelector('.msg-files a').href)
                    .then((r) => r.arrayBuffer()))
            ]);
            assert.equal(fresp.status(), 200);
            assert.equal(fresp.headers()['content-type'], 'image/png');
            assert.equal(fresp.headers()['x-content-type-options'], 'nosniff');
            assert.match(fresp.headers()['content-disposition'], /^attachment;/);
            await page.locator('#reply-form').waitFor({ state: 'visible' });
            await noHorizontalScroll(page, 'conversation');
            assert.deepEqual(page.problems, []);
            assert.deepEqual(staff.problems, []);
        } finally {
            await page.dispose();
            await staff.dispose();
        }
    });

    test('staff post a Bescheid (PDF) and a Termin on the customer page; the citizen sees them, the Bescheid opens', async () => {
        const env = h.env;
        // own accounts: a second login of the first test's ones within the
        // same 30 s step would reuse a TOTP step (refused as a replay)
        u = await citizenWithProfile(env, jc, 'browser-bescheid', { consent: false });
        st = await staffOf(env, jc, 'vermittlung');
        const on = await u.c.post('/api/v1/online-kommunikation/aktivieren', null, { csrf: true });
        assert.equal(on.status, 200, on.text);
        const pdf = samples.pdf(20000);
        const staff = await newPage(b.browser, { expectApi: [401] });
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            await loginWithTotp(staff, h.env.base, st, `/sachbearbeitung/kunde.html?id=${u.cust.id}`);
            await staff.waitForURL(/\/sachbearbeitung\/kunde\.html\?id=/);
            await staff.locator('#customer').waitFor({ state: 'visible' });
            await staff.getByLabel('Titel *').fill('Bewilligungsbescheid');
            await staff.getByLabel('PDF-Datei *').setInputFiles([{ name: 'Bescheid.pdf', mimeType: 'application/pdf', buffer: pdf }]);
            await staff.getByRole('button', { name: 'Bescheid bereitstellen' }).click();
            await staff.waitForFunction(() => /bereitgestellt/.test(document.querySelector('#post-status').textContent));
            const day = new Date(Date.now() + 3 * 86400000);
            const iso = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
            // the date as people in Germany type it
            await staff.getByLabel('Datum *').fill(iso.split('-').reverse().join('.'));
            // a plain text field with a German hint (a native time field
            // follows the browser's locale: "--:-- --" with AM/PM on an
            // English one); typed as people do, normalised to 10:15
            await staff.getByLabel('Uhrzeit *').fill('10.15');
            await staff.getByLabel('Ort oder Telefon *').fill('Raum 2.14');
            await staff.getByLabel('Ansprechperson *').fill('Frau Beispiel');
            await staff.getByRole('button', { name: 'Termin eintragen' }).click();
            await staff.waitForFunction(() => /eingetragen/.test(document.querySelector('#post-status').textContent));
            assert.match(await staff.locator('#post-status').textContent(), /um 10:15 Uhr/);
            await noHorizontalScroll(staff, 'customer page');

            await loginWithTotp(page, h.env.base, u, '/bescheide.html');
            await page.waitForURL(/\/bescheide\.html$/);
            const item = page.locator('#doc-list .doc-item').first();
            await item.waitFor();
            const t = await item.innerText();
            assert.match(t, /Bewilligungsbescheid/);
            assert.match(t, /Gilt als bekannt gegeben am\s+\d\d\.\d\d\.\d{4}/);
            assert.match(t, /noch nicht geöffnet/);
            const [resp] = await Promise.all([
                page.waitForEvent('response', (r) => r.url().includes('/api/v1/bescheide/file')),
                page.evaluate(() => fetch(document.querySelector('#doc-list a').href).then((r) => r.arrayBuffer()))
            ]);
            assert.equal(resp.status(), 200);
            assert.equal(sha256(await resp.body()), sha256(pdf));
            assert.ok(Number(await env.db.scalar('SELECT opened_at FROM bescheid')) > 0);
            await noHorizontalScroll(page, 'Bescheide');
            await page.goto(`${env.base}/termine.html`);
            const ti = page.locator('#doc-list .doc-item').first();
            await ti.waitFor();
            assert.match(await ti.innerText(), /10:15 Uhr[\s\S]*Raum 2\.14[\s\S]*Frau Beispiel/);
            await ti.getByRole('button', { name: 'Termin verschieben' }).click();
            await page.waitForFunction(() => /übermittelt/.test(document.querySelector('#doc-status').textContent));
            assert.equal(await env.db.scalar("SELECT count(*) FROM conversation WHERE anliegen = 'terminanfrage'"), 1);
            await noHorizontalScroll(page, 'Termine');
            assert.deepEqual(page.problems, []);
            assert.deepEqual(staff.problems, []);
        } finally {
            await page.dispose();
            await staff.dispose();
        }
    });

    logTest();
});
