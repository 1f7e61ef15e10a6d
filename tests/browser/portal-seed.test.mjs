// The guide's portal (issue 15) in Chromium at 1280 and 360 px: the
// "Anmelden / Registrieren" choice at /, the login with "Mit Passkey
// anmelden" on top, "oder", then the form; "Zurück" on a directly opened
// login leads to the choice page (no reload); the help pages linked from
// the choice page load with their pictures; messages show the drop area,
// the "Anleitung zum Hochladen von Nachrichten-Anhänge" link and the
// "Hinweis zum Hochladen von Dokumenten" heading; the Anliegen label says
// "Informationen und Fragen …".
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, useSession, noHorizontalScroll } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { citizenWithProfile, samples } from '../lib/uploads.mjs';

describe('the guide\'s portal in Chromium', () => {
    const h = useEnv();
    const b = useBrowser();

    for (const width of [1280, 360]) {
        test(`${width} px: choice page, login order, "Zurück", help pages`, async () => {
            const page = await newPage(b.browser, { width, height: 900, expectApi: [401] });
            try {
                await page.goto(`${h.env.base}/`);
                await page.getByRole('heading', { name: 'Anmelden', level: 1 }).waitFor();
                await page.getByRole('link', { name: 'Anmelden / Registrieren' }).click();
                await page.waitForURL(/\/anmeldung\.html$/);
                // order: passkey button, "oder", the form
                const order = await page.evaluate(() => {
                    const pk = document.getElementById('passkey-login');
                    const form = document.getElementById('login-form');
                    const or = document.querySelector('.or-separator');
                    const before = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
                    return { visible: !pk.closest('[hidden]'), pkFirst: before(pk, or) && before(or, form), or: or.textContent.trim() };
                });
                assert.deepEqual(order, { visible: true, pkFirst: true, or: 'oder' });
                if (width === 360) await noHorizontalScroll(page, 'login');

                // directly opened: "Zurück" goes to the choice page
                await page.goto(`${h.env.base}/anmeldung.html`);
                await page.getByRole('link', { name: 'Zurück' }).click();
                await page.waitForURL((u) => u.pathname === '/' || u.pathname === '/index.html');
                await page.getByRole('link', { name: 'Anmelden / Registrieren' }).waitFor();

                for (const [link, heading] of [['Schritt für Schritt Anleitung Passkey', 'Schritt für Schritt Anleitung Passkey'],
                    ['Schritt für Schritt Anleitung TOTP (zweiter Faktor)', 'Schritt für Schritt Anleitung TOTP (zweiter Faktor)']]) {
                    await page.goto(`${h.env.base}/`);
                    await page.getByRole('link', { name: link }).click();
                    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
                    const imgs = await page.locator('main img').evaluateAll(async (list) => {
                        for (const i of list) { i.loading = 'eager'; if (!i.complete) await new Promise((r) => { i.onload = r; i.onerror = r; }); }
                        return list.map((i) => ({ ok: i.naturalWidth > 0, alt: i.alt.length > 20 }));
                    });
                    assert.ok(imgs.length >= 2, `${link}: pictures`);
                    assert.ok(imgs.every((i) => i.ok && i.alt), JSON.stringify(imgs));
                    if (width === 360) await noHorizontalScroll(page, link);
                }
                assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
            } finally {
                await page.dispose();
            }
        });
    }

    test('Nachricht schreiben: drop area, guide link, heading, Anliegen "Informationen und Fragen"', async () => {
        const env = h.env;
        const jc = await jobcenterWithStaff(env, { name: 'Jobcenter Leitfaden' });
        const u = await citizenWithProfile(env, jc, 'seed');
        const page = await newPage(b.browser);
        try {
            await useSession(page, env.base, u.c);
            await page.goto(`${env.base}/nachricht-schreiben.html`);
            await page.locator('#att-drop').waitFor({ state: 'visible' });
            assert.match((await page.locator('#att-drop').innerText()).replace(/\s+/g, ' '), /^Dateien in diesen Bereich ziehen oder Datei auswählen/);
            await page.getByRole('heading', { name: 'Hinweis zum Hochladen von Dokumenten' }).waitFor();
            const labels = await page.locator('#anliegen option').allTextContents();
            assert.ok(labels.includes('Informationen und Fragen zu Leistungen für Bildung und Teilhabe'), labels.join(' | '));
            assert.ok(!labels.some((l) => l.includes(' du ')), labels.join(' | '));
            // a file dropped on the area is taken like a chosen one (kB, not "0 MB")
            await page.evaluate((b64) => {
                const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
                const dt = new DataTransfer();
                dt.items.add(new File([bytes], 'notiz.pdf', { type: 'application/pdf' }));
                const area = document.getElementById('att-drop');
                area.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
                area.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
            }, samples.pdf(48000).toString('base64'));
            await page.waitForFunction(() => /hochgeladen$/.test(document.querySelector('#att-list .file-meta')?.textContent || ''));
            assert.match(await page.locator('#att-list .file-item').first().innerText(), /notiz\.pdf[\s\S]*48 kB/);
            await page.getByRole('link', { name: 'Anleitung zum Hochladen von Nachrichten-Anhänge' }).click();
            await page.getByRole('heading', { name: 'Anleitung zum Hochladen von Nachrichten-Anhänge', level: 1 }).waitFor();
            await noHorizontalScroll(page, 'Anleitung Anhänge');
        } finally {
            await page.dispose();
        }
    });
});

logTest();
