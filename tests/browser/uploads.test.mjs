// The seed's "Dokumente hochladen" in Chromium at 360x800: login with
// password and TOTP, "Dateien hochladen" -> "Geldleistung" -> three files
// through the file picker (each with its progress bar), one removed again,
// "Weiter zum nächsten Schritt", a message with the live "noch N Zeichen",
// "Absenden" ("2 Dokumente an Jobcenter Rems-Murr"), the confirmation
// text, "Bestätigungs-PDF anzeigen" opens the PDF, "Antragsübersicht
// einsehen" lists the submission; then the staff inbox shows it. Console
// errors, page errors and CSP violations fail.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../lib/util.mjs';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, noHorizontalScroll, loginWithTotp } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile, staffOf } from '../lib/uploads.mjs';

describe('Dokumente hochladen in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();
    let jc;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
    });

    let reference, receiptCode;
    const files = [
        { name: 'Kontoauszug März.pdf', mimeType: 'application/pdf', buffer: samples.pdf(120000) },
        // a phone photo of 3 MiB: above 1 MiB it goes through the upload pipeline
        { name: 'Mietvertrag.jpg', mimeType: 'image/jpeg', buffer: samples.jpeg(3 * 1024 * 1024 + 123) },
        { name: 'falsch.png', mimeType: 'image/png', buffer: samples.png(5000) }
    ];

    test('area, two files (a third removed), message, Absenden, confirmation, receipt, Antragsübersicht', async () => {
        const env = h.env;
        const u = await citizenWithProfile(env, jc, 'browser-upl');
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            await loginWithTotp(page, h.env.base, u, '/dokumente-hochladen.html');
            await page.waitForURL(/\/dokumente-hochladen\.html$/);
            await page.getByRole('heading', { name: 'Wählen Sie den zuständigen Bereich aus' }).waitFor();
            const areas = await page.locator('#area-list button').allTextContents();
            assert.deepEqual(areas, ['Geldleistung', 'Vermittlung', 'Bildung und Teilhabe']);
            await noHorizontalScroll(page, 'area choice');
            await page.getByRole('button', { name: 'Geldleistung' }).click();

            await page.getByRole('heading', { name: 'Geldleistung: Datei hochladen' }).waitFor();
            const input = page.locator('#file-input');
            assert.match(await input.getAttribute('accept'), /\.pdf.*image\/jpeg/);
            assert.equal(await page.getByRole('button', { name: 'Weiter zum nächsten Schritt' }).isDisabled(), true);
            await input.setInputFiles(files);
            const items = page.locator('.file-item');
            await page.waitForFunction(() => document.querySelectorAll('.file-item .file-meta').length === 3
                && [...document.querySelectorAll('.file-item .file-meta')].every((m) => /hochgeladen$/.test(m.textContent)));
            assert.equal(await items.count(), 3);
            // each has its progress bar, now at 100
            assert.deepEqual(await page.locator('.file-item progress').evaluateAll((b) => b.map((x) => x.value)),
                [100, 100, 100]);
            await noHorizontalScroll(page, 'file list');
            await page.getByRole('button', { name: 'falsch.png entfernen' }).click();
            await page.waitForFunction(() => document.querySelectorAll('.file-item').length === 2);
            assert.match(await page.locator('#file-status').textContent(), /falsch\.png wurde entfernt/);

            await page.getByRole('button', { name: 'Weiter zum nächsten Schritt' }).click();
            await page.getByRole('heading', { name: 'Geldleistung' }).waitFor();
            await page.getByLabel('Möchten Sie uns etwas mitteilen?').fill('Test');
            assert.equal(await page.locator('#message-count').textContent(), 'noch 996 Zeichen');
            await page.getByLabel('Möchten Sie uns etwas mitteilen?').fill('Bitte prüfen Sie die Unterlagen. 😀');
            assert.equal(await page.locator('#message-count').textContent(), `noch ${1000 - 34} Zeichen`);
            const send = page.getByRole('button', { name: /Absenden/ });
            assert.equal((await send.innerText()).replace(/\s+/g, ' ').trim(), 'Absenden 2 Dokumente an Jobcenter Rems-Murr');
            await noHorizontalScroll(page, 'message');
            await send.click();

            await page.getByRole('heading', { name: 'Ihre Dokumente wurden übermittelt' }).waitFor();
            const text = await page.locator('#confirmation').textContent();
            assert.match(text, /^Ihre Dokumente wurden am \d\d\.\d\d\.\d{4} an Jobcenter Rems-Murr übermittelt\. Ihre Dokumente werden schnellstmöglich geprüft und bearbeitet\.$/);
            reference = (await page.locator('#reference').textContent()).trim();
            await page.getByRole('link', { name: 'Fertig' }).waitFor();
            await noHorizontalScroll(page, 'confirmation');

            // the receipt opens in a new tab as a PDF
            const [resp] = await Promise.all([
                page.context().waitForEvent('response', (r) => r.url().includes('/api/v1/uploads/receipt')),
                page.getByRole('link', { name: 'Bestätigungs-PDF anzeigen' }).click()
            ]);
            assert.equal(resp.status(), 200);
            assert.equal(resp.headers()['content-type'], 'application/pdf');
            assert.match(resp.headers()['content-disposition'], /^inline;/);
            const pdfPath = path.join(env.root, 'receipt.pdf');
            // the bytes as this browser context gets them (its cookies)
            const href = await page.getByRole('link', { name: 'Bestätigungs-PDF anzeigen' }).getAttribute('href');
            const pdfRes = await page.request.get(env.base + href);
            assert.equal(pdfRes.status(), 200);
            fs.writeFileSync(pdfPath, await pdfRes.body());
            const { stdout: pdfText } = await run('pdftotext', ['-layout', pdfPath, '-']);
            const code = /Prüfcode:?\s*([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})/.exec(pdfText);
            assert.ok(code, pdfText);
            receiptCode = code[1];
            assert.ok(pdfText.includes(`belegpruefung.html?ref=${reference}`), pdfText);

            await page.getByRole('link', { name: 'Antragsübersicht einsehen' }).click();
            await page.waitForURL(/\/antragsuebersicht\.html$/);
            const item = page.locator('.sub-item').first();
            await item.waitFor();
            const t = await item.innerText();
            assert.match(t, /Geldleistung/);
            assert.match(t, /Dokumente\s+2/);
            assert.match(t, /Status\s+übermittelt/);
            assert.ok(t.includes(reference), t);
            assert.equal(await page.locator('.sub-item').count(), 1);
            await noHorizontalScroll(page, 'Antragsübersicht');
            assert.deepEqual(page.problems, []);
        } finally {
            await page.dispose();
        }
        // the bytes arrived as sent
        // (the files travel in parallel: compare by name)
        const rows = await env.db.query(`SELECT name, sha256 FROM upload_file WHERE account_id = ${u.id} ORDER BY name`);
        assert.deepEqual(rows.map((r) => r.name), ['Kontoauszug März.pdf', 'Mietvertrag.jpg']);
        assert.deepEqual(rows.map((r) => r.sha256), [sha256(files[0].buffer), sha256(files[1].buffer)]);
    });

    test('Belegprüfung (public, no session): the receipt\'s reference and Prüfcode show what was received', async () => {
        const page = await newPage(b.browser, { expectApi: [404] });
        try {
            await page.goto(`${h.env.base}/belegpruefung.html?ref=${encodeURIComponent(reference)}`);
            assert.equal(await page.getByLabel('Vorgangsnummer').inputValue(), reference);
            await page.getByLabel('Prüfcode').fill('AAAA-AAAA-AAAA');
            await page.getByRole('button', { name: 'Prüfen' }).click();
            await page.locator('#messages').getByText(/keine Sendung/).waitFor();
            await page.getByLabel('Prüfcode').fill(receiptCode.toLowerCase());
            await page.getByRole('button', { name: 'Prüfen' }).click();
            await page.getByRole('heading', { name: 'Diese Sendung ist eingegangen' }).waitFor();
            const t = await page.locator('#result').innerText();
            assert.match(t, /Jobcenter Rems-Murr/);
            for (const f of files.slice(0, 2)) assert.ok(t.includes(sha256(f.buffer)), t);
            assert.ok(!t.includes(sha256(files[2].buffer)), 'the removed file is listed');
            await noHorizontalScroll(page, 'Belegprüfung');
            assert.deepEqual(page.problems, []);
        } finally {
            await page.dispose();
        }
    });

    test('without Online-Kommunikation the page explains it and links to the consent', async () => {
        const u = await citizenWithProfile(h.env, jc, 'browser-nocons', { consent: false });
        const page = await newPage(b.browser, { expectApi: [401, 403] });
        try {
            await loginWithTotp(page, h.env.base, u, '/dokumente-hochladen.html');
            await page.waitForURL(/\/dokumente-hochladen\.html$/);
            await page.getByRole('heading', { name: 'Online-Kommunikation ist nicht aktiviert' }).waitFor();
            assert.match(await page.locator('#online-notice').innerText(), /Dokumente hochladen/);
            assert.equal(await page.getByRole('link', { name: 'Online-Kommunikation aktivieren' }).getAttribute('href'),
                'online-kommunikation.html');
            assert.equal(await page.locator('#step-area').isVisible(), false);
            await noHorizontalScroll(page, 'consent notice');
            assert.deepEqual(page.problems, []);
        } finally {
            await page.dispose();
        }
    });

    test('staff Posteingang lists it; status set to "in Bearbeitung"', async () => {
        const st = await staffOf(h.env, jc, 'leistung');
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            await loginWithTotp(page, h.env.base, st, '/sachbearbeitung/posteingang.html');
            await page.waitForURL(/\/sachbearbeitung\/posteingang\.html$/);
            await page.locator('#team').waitFor({ state: 'visible' });
            await page.locator('#staff-context').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#team').textContent(), 'Leistung allgemein');
            const item = page.locator('.sub-item').first();
            assert.ok((await item.innerText()).includes(reference));
            assert.equal(await item.getByRole('link').count(), 2);
            await item.getByLabel('Status ändern').selectOption('in_bearbeitung');
            await item.getByRole('button', { name: 'Status speichern' }).click();
            await page.waitForFunction(() => /in Bearbeitung/.test(document.querySelector('#status-note').textContent));
            await noHorizontalScroll(page, 'Posteingang');
            assert.deepEqual(page.problems, []);
        } finally {
            await page.dispose();
        }
    });

    logTest();
});
