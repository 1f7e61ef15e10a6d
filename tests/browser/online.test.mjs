// Online-Kommunikation in Chromium at 360x800: from the start page to
// online-kommunikation.html; the switch opens the dialog "Einwilligung in
// Nutzung Ihrer E-Mail-Adresse" (a modal <dialog> with the focus inside);
// "Abbrechen" and Esc keep it off, "Zustimmen" turns it on with the status
// "Online-Kommunikation ist aktiviert."; switching off shows the date the
// deactivation takes effect. The reusable notice (js/online-notice.js)
// explains and links to the page while the consent is missing. Console
// errors, page errors and CSP violations fail the test.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, scrollWidth } from '../lib/browser.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';

// DD.MM.YYYY of a time in this process's (= Apache's) time zone
function localGerman(t) {
    const d = new Date(t * 1000);
    return `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
}

describe('Online-Kommunikation in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();

    // the API session's cookies into the browser
    async function pageFor(u) {
        const page = await newPage(b.browser);
        await page.context().addCookies([...u.c.jar.map].map(([name, value]) => ({
            name, value, url: h.env.base
        })));
        return page;
    }

    const checkNotice = (page) => page.evaluate(async () => {
        const m = await import('/js/online-notice.js');
        let d = document.getElementById('test-notice');
        if (!d) {
            d = document.createElement('div');
            d.id = 'test-notice';
            d.hidden = true;
            document.querySelector('main').appendChild(d);
        }
        const r = await m.requireOnline(d, { what: 'Dokumente hochladen' });
        const a = d.querySelector('a');
        return { active: r.active, hidden: d.hidden, text: d.textContent, href: a ? a.getAttribute('href') : null };
    });

    test('switch on via the dialog (Abbrechen and Esc keep it off), status, switch off shows the date', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'online-browser');
        const page = await pageFor(u);
        const sw = page.locator('#online-switch');
        const status = page.locator('#online-status');
        const dialog = page.locator('#consent-dialog');
        const consents = () => env.db.scalar(`SELECT count(*) FROM online_consent_history WHERE account_id = ${u.id}`);
        try {
            await page.goto(`${env.base}/start.html`);
            await page.locator('#home').waitFor({ state: 'visible' });
            await page.getByRole('link', { name: 'Online-Kommunikation' }).click();
            await page.waitForURL(/\/online-kommunikation\.html$/);
            await page.getByRole('heading', { name: 'Online-Kommunikation', level: 1 }).waitFor();
            await status.filter({ hasText: 'Online-Kommunikation ist nicht aktiviert.' }).waitFor();
            assert.equal(await sw.getAttribute('aria-checked'), 'false');
            assert.equal(await page.getByRole('switch', { name: 'Online-Kommunikation' }).count(), 1);
            await page.getByText('Ohne Ihre explizite Einwilligung stellen wir Ihnen aktiv keine persönlichen Inhalte').waitFor();
            assert.equal(await page.locator('ul.statements > li').count(), 3);
            await page.getByText('Ich verzichte auf die postalische Zustellung.').waitFor();
            let w = await scrollWidth(page);
            assert.ok(w <= 360, `page is ${w} px wide`);

            // the notice for other pages: inactive -> explanation + link
            const n0 = await checkNotice(page);
            assert.equal(n0.active, false);
            assert.equal(n0.hidden, false);
            assert.match(n0.text, /Ohne Ihre explizite Einwilligung/);
            assert.match(n0.text, /Dokumente hochladen/);
            assert.equal(n0.href, 'online-kommunikation.html');
            await page.evaluate(() => document.getElementById('test-notice').remove());

            // the dialog: modal, focus inside; Abbrechen keeps it off
            await sw.click();
            await dialog.waitFor({ state: 'visible' });
            assert.equal(await page.evaluate(() => document.getElementById('consent-dialog').matches(':modal')), true);
            await page.getByRole('dialog', { name: 'Einwilligung in Nutzung Ihrer E-Mail-Adresse' }).waitFor();
            await page.getByText('Ich bin damit einverstanden, dass die Agentur für Arbeit/gemeinsame Einrichtung meine '
                + 'E-Mail-Adresse nutzt').waitFor();
            assert.equal(await page.evaluate(() => document.getElementById('consent-dialog')
                .contains(document.activeElement)), true, 'focus is not in the dialog');
            await page.getByRole('button', { name: 'Abbrechen' }).click();
            await dialog.waitFor({ state: 'hidden' });
            assert.equal(await sw.getAttribute('aria-checked'), 'false');
            assert.equal(await page.evaluate(() => document.activeElement.id), 'online-switch');
            assert.equal(await consents(), 0);

            // Esc closes it without a change as well
            await sw.click();
            await dialog.waitFor({ state: 'visible' });
            await page.keyboard.press('Escape');
            await dialog.waitFor({ state: 'hidden' });
            assert.equal(await sw.getAttribute('aria-checked'), 'false');
            assert.equal(await page.evaluate(() => document.activeElement.id), 'online-switch');
            assert.equal(await consents(), 0);

            // Zustimmen
            await sw.click();
            await page.getByRole('button', { name: 'Zustimmen' }).click();
            await status.filter({ hasText: 'Online-Kommunikation ist aktiviert.' }).waitFor();
            assert.equal(await sw.getAttribute('aria-checked'), 'true');
            await page.getByText('werden Ihnen ausschließlich online bereitgestellt').waitFor();
            await page.getByText('Bereits für die Online-Bekanntgabe ausgefertigte Bescheide werden unter Umständen '
                + 'noch online zugestellt.').waitFor();
            assert.equal(await page.locator('#inactive-info').isHidden(), true);
            assert.equal(await consents(), 1);
            const n1 = await checkNotice(page);
            assert.equal(n1.active, true);
            assert.equal(n1.hidden, true);

            // switch off: the date it takes effect
            await sw.click();
            const eff = await (async () => {
                for (let i = 0; i < 100; i++) {
                    const v = await env.db.scalar(`SELECT deactivation_effective_at FROM online_consent `
                        + `WHERE account_id = ${u.id}`);
                    if (v) return Number(v);
                    await new Promise((r) => setTimeout(r, 100));
                }
                throw new Error('no deactivation stored');
            })();
            const date = localGerman(eff);
            // the switch (off: the person's choice) and its status text say
            // the same; the date is said once
            const said = `Online-Kommunikation ist ausgeschaltet. Die Deaktivierung wird am ${date} wirksam.`;
            await status.filter({ hasText: said }).waitFor();
            assert.equal(await sw.getAttribute('aria-checked'), 'false');
            await page.locator('#pending-info').waitFor({ state: 'visible' });
            const pageText = await page.locator('#online-page').innerText();
            assert.equal(pageText.split(date).length - 1, 1, pageText);
            assert.doesNotMatch(pageText, /bleibt die Online-Kommunikation aktiviert/);
            await page.getByText('Prüfen Sie daher in den nächsten Tagen auch Ihre Bescheidablage.').waitFor();

            // after a reload the page still shows it
            await page.reload();
            await status.filter({ hasText: said }).waitFor();
            w = await scrollWidth(page);
            assert.ok(w <= 360, `page is ${w} px wide`);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });
});

logTest();
