// Issue 4 in Chromium at 360x800, the citizen side: the letter's QR link
// opened logged out, login with password and TOTP (otplib), the code is
// pre-filled on "eServices freischalten", redeemed; the start page shows
// name and Kundennummer with the tiles; the Verlauf lists the redemption;
// "Mir zugeordnetes Jobcenter", "Profil wechseln" (a second person profile
// refused). And the registration path: QR link, "Jetzt registrieren", the
// confirmation link in a new tab, login, second factor set up, and the code
// is still pre-filled. Console errors, page errors and CSP violations fail.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { confirmLink } from '../lib/smtp.mjs';
import { useBrowser, newPage, noHorizontalScroll, registerInBrowser, loginHere } from '../lib/browser.mjs';
import { strongPassword } from '../lib/flows.mjs';
import { jobcenterWithStaff, customerWithCode, authenticatedCitizen, nowSec } from '../lib/fixtures.mjs';

const MSG_MALFORMED = 'Der Freischaltcode besteht aus Zahlen und Großbuchstaben, zum Beispiel: HET2-2X8A-UXAS.';
const MSG_SECOND = 'Das Anlegen von mehreren Personenprofilen der Agentur für Arbeit / Jobcenter im selben Konto '
    + 'ist nicht möglich.';

describe('Freischaltcode in Chromium (360x800)', () => {
    const h = useEnv();
    const b = useBrowser();
    let jc;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr', phone: '07151 9519-0',
            opening_hours: 'Mo–Fr 08:00–12:00 Uhr\nDo 14:00–18:00 Uhr' });
    });

    test('QR link logged out, login with TOTP, code pre-filled, redeemed; home, Verlauf, Jobcenter, Profil wechseln', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'browser-fsc');
        const { cust, grouped } = await customerWithCode(env, jc, { given_name: 'Erika', family_name: 'Mustermann' });
        const page = await newPage(b.browser, { expectApi: [401] });
        try {
            await page.goto(`${env.base}/link/freischaltcode?code=${grouped}`);
            await page.waitForURL(/\/anmeldung\.html\?ziel=%2Feservices-freischalten\.html$/);
            // the set-up code's step is spent: the next step's code
            await loginHere(page, u, 30);

            await page.waitForURL(/\/eservices-freischalten\.html$/);
            const input = page.getByLabel('Freischaltcode *');
            await input.waitFor({ state: 'visible' });
            assert.equal(await input.inputValue(), grouped, 'the code is not pre-filled');
            await page.locator('#fsc-prefilled').waitFor({ state: 'visible' });
            await page.getByRole('heading', { name: 'eServices freischalten' }).waitFor();
            await page.getByText('Mit Ihrem Freischaltcode erhalten Sie Zugang zu eServices.').waitFor();
            await page.getByRole('heading', { name: 'Freischaltcode eingeben' }).waitFor();
            assert.equal(await input.getAttribute('aria-describedby'), 'fsc-hint');
            await noHorizontalScroll(page, 'eservices-freischalten.html');
            // the code is nowhere in the address bar
            assert.ok(!page.url().includes(grouped));

            await page.getByRole('button', { name: 'Bestätigen' }).click();
            await page.waitForURL(/\/start\.html$/);
            await page.locator('#profile-card').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#profile-name').textContent(), 'Erika Mustermann');
            assert.equal((await page.locator('.profile-kundennummer').innerText()).trim(),
                `Kundennummer: ${cust.kundennummer}`);
            assert.match(await page.locator('#messages').innerText(), /Ihr Profil wurde angelegt und für Sie ausgewählt\./);
            // (without the soft hyphen of "Antrags&shy;übersicht")
            const tiles = (await page.locator('.tiles a').allTextContents()).map((t) => t.replace(/\u00ad/g, ''));
            assert.deepEqual(tiles, ['Postfach', 'Bescheide', 'Termine', 'Verlauf', 'Dateien hochladen', 'Antragsübersicht']);
            assert.equal(await page.locator('#profile-missing').isVisible(), false);
            await noHorizontalScroll(page, 'start.html with a profile');

            // each tile opens a real page
            for (const [name, file, empty] of [['Postfach', 'postfach', 'Ihr Postfach enthält keine Nachrichten.'],
                ['Bescheide', 'bescheide', 'Es liegen keine Bescheide für Sie vor.'],
                ['Termine', 'termine', 'Sie haben keine Termine.']]) {
                await page.locator('.tiles').getByRole('link', { name }).click();
                await page.waitForURL(new RegExp(`/${file}\\.html$`));
                await page.locator('#empty-state').waitFor({ state: 'visible' });
                assert.equal(await page.locator('#empty-state').textContent(), empty);
                assert.match(await page.locator('.profile-line').innerText(), new RegExp(cust.kundennummer));
                await noHorizontalScroll(page, `${file}.html`);
                await page.goBack();
                await page.locator('#profile-card').waitFor({ state: 'visible' });
            }
            await page.locator('.tiles').getByRole('link', { name: 'Verlauf' }).click();
            await page.waitForURL(/\/verlauf\.html$/);
            await page.locator('#verlauf').waitFor({ state: 'visible' });
            const first = page.locator('#event-list li').first();
            assert.equal(await first.locator('.event-text').textContent(), 'Freischaltcode eingelöst (Jobcenter Rems-Murr)');
            const when = await first.locator('time').textContent();
            assert.match(when, /^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr$/, when);
            const berlin = new Intl.DateTimeFormat('de-DE', { timeZone: 'Europe/Berlin', day: '2-digit',
                month: '2-digit', year: 'numeric' }).format(new Date());
            assert.ok(when.startsWith(berlin), `${when} is not today (${berlin})`);
            await noHorizontalScroll(page, 'verlauf.html');

            // Mir zugeordnetes Jobcenter
            await page.goto(`${env.base}/start.html`);
            await page.getByRole('link', { name: 'Mir zugeordnetes Jobcenter anzeigen' }).click();
            await page.waitForURL(/\/jobcenter\.html$/);
            await page.locator('#jobcenter').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#jc-name').textContent(), 'Jobcenter Rems-Murr');
            assert.equal(await page.locator('#jc-phone').textContent(), '07151 9519-0');
            assert.equal(await page.locator('#jc-phone').getAttribute('href'), 'tel:0715195190');
            assert.deepEqual(await page.locator('#jc-hours li').allTextContents(),
                ['Mo–Fr 08:00–12:00 Uhr', 'Do 14:00–18:00 Uhr']);
            await noHorizontalScroll(page, 'jobcenter.html');

            // Profil wechseln: both profiles; a second person profile refused
            await page.goto(`${env.base}/profil-wechseln.html`);
            await page.locator('#profiles').waitFor({ state: 'visible' });
            assert.match(await page.locator('#profile-person').innerText(), /Erika Mustermann/);
            assert.match(await page.locator('#profile-konto').innerText(), new RegExp(u.email.replace(/[.]/g, '\\.')));
            assert.equal(await page.locator('#profile-person').getAttribute('aria-current'), 'true');
            await page.getByRole('button', { name: 'Personenprofil anlegen' }).click();
            assert.equal((await page.locator('#messages').innerText()).trim(), MSG_SECOND);
            assert.match(page.url(), /profil-wechseln\.html$/);
            // choosing the account: the start page shows no person profile
            await page.locator('#select-konto').click();
            assert.equal(await page.locator('#profile-konto').getAttribute('aria-current'), 'true');
            await page.goto(`${env.base}/start.html`);
            await page.locator('#profile-konto').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#profile-card').isVisible(), false);
            await page.goto(`${env.base}/profil-wechseln.html`);
            await page.locator('#select-person').click();
            await page.goto(`${env.base}/start.html`);
            await page.locator('#profile-card').waitFor({ state: 'visible' });
            await noHorizontalScroll(page, 'profil-wechseln.html');
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });

    test('typed codes: a malformed one is caught on the page, an unknown one gets the API message', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'browser-typed');
        const page = await newPage(b.browser, { expectApi: [401, 404] });
        try {
            await page.goto(`${env.base}/anmeldung.html`);
            await page.locator('#login').fill(u.email);
            await page.locator('#password').fill(u.password);
            await page.locator('#login-submit').click();
            await page.waitForURL(/\/zweiter-faktor\.html/);
            await page.locator('#totp_code').fill(await generate({ secret: u.secret, epoch: nowSec() + 30 }));
            await page.locator('#totp_code').press('Enter');
            await page.waitForURL(/\/start\.html$/);
            await page.locator('#profile-missing').waitFor({ state: 'visible' });
            assert.equal(await page.locator('#profile-card').isVisible(), false);
            await page.getByRole('link', { name: 'eServices freischalten' }).click();
            await page.waitForURL(/\/eservices-freischalten\.html$/);
            const input = page.locator('#fsc_code');
            await input.waitFor({ state: 'visible' });
            assert.equal(await input.inputValue(), '');
            await input.fill('HET2-2X8A-UXA');
            await page.getByRole('button', { name: 'Bestätigen' }).click();
            await page.locator('#fsc_code-error').waitFor({ state: 'visible' });
            assert.match(await page.locator('#fsc_code-error').innerText(), new RegExp(MSG_MALFORMED.replace(/[.]/g, '\\.')));
            assert.equal(await input.getAttribute('aria-invalid'), 'true');
            assert.deepEqual(page.apiCalls.filter((c) => c.includes('/freischaltcode')), []);
            await input.fill('het2 2x8a uxas');
            await page.getByRole('button', { name: 'Bestätigen' }).click();
            await page.waitForFunction(() => /ungültig oder wurde bereits verwendet/
                .test(document.getElementById('fsc_code-error')?.textContent || ''));
            assert.deepEqual(page.apiCalls.filter((c) => c.includes('/freischaltcode')), ['POST /api/v1/freischaltcode']);
            await noHorizontalScroll(page, 'eservices-freischalten.html with an error');

            // the QR link with a broken code: the page says what is wrong
            await page.goto(`${env.base}/link/freischaltcode?code=ABC`);
            await page.waitForURL(/\/eservices-freischalten\.html$/);
            await page.locator('#fsc_code-error').waitFor({ state: 'visible' });
            assert.match(await page.locator('#fsc_code-error').innerText(), /zum Beispiel: HET2-2X8A-UXAS/);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            await page.dispose();
        }
    });

    test('registration path: QR link, register, confirm in a new tab, log in, set up TOTP: the code is still there', async () => {
        const env = h.env;
        const { cust, grouped } = await customerWithCode(env, jc, { given_name: 'Max', family_name: 'Muster' });
        const email = uniqueEmail('browser-reg');
        const password = strongPassword();
        const page = await newPage(b.browser, { expectApi: [401] });
        let tab = null;
        try {
            await page.goto(`${env.base}/link/freischaltcode?code=${grouped}`);
            await page.waitForURL(/\/anmeldung\.html\?ziel=/);
            await page.getByRole('link', { name: 'Jetzt registrieren' }).click();
            await page.waitForURL(/\/registrierung\.html/);
            const mail = await registerInBrowser(page, env, email, password, { open: false });

            // the link from the mail opens in a new tab of the same browser
            tab = await page.context().newPage();
            await tab.goto(confirmLink(mail));
            await tab.locator('#confirm-success').waitFor({ state: 'visible' });
            await tab.getByRole('link', { name: 'Zur Anmeldung' }).click();
            await tab.waitForURL(/\/anmeldung\.html/);
            await tab.locator('#login').fill(email);
            await tab.locator('#password').fill(password);
            await tab.locator('#login-submit').click();
            await tab.waitForURL(/\/start\.html/);
            await tab.locator('#security-notice').waitFor({ state: 'visible' });
            await tab.getByRole('link', { name: 'Zweiter Faktor einrichten' }).click();
            await tab.waitForURL(/\/zweiter-faktor-einrichten\.html/);
            await tab.locator('#setup').waitFor({ state: 'visible' });
            const secret = (await tab.locator('#totp-secret').textContent()).replace(/\s+/g, '');
            await tab.locator('#totp_code').fill(await generate({ secret, epoch: nowSec() }));
            await tab.locator('#totp-confirm').click();

            await tab.waitForURL(/\/eservices-freischalten\.html$/);
            const input = tab.locator('#fsc_code');
            await input.waitFor({ state: 'visible' });
            assert.equal(await input.inputValue(), grouped);
            await tab.getByRole('button', { name: 'Bestätigen' }).click();
            await tab.waitForURL(/\/start\.html$/);
            await tab.locator('#profile-card').waitFor({ state: 'visible' });
            assert.equal(await tab.locator('#profile-name').textContent(), 'Max Muster');
            assert.equal(await tab.locator('#profile-kundennummer').textContent(), cust.kundennummer);
            // redeemed: the kept code is gone
            assert.equal(await tab.evaluate(() => localStorage.getItem('jc_fsc_pending')), null);
            assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
        } finally {
            if (tab) await tab.close();
            await page.dispose();
        }
    });
});

logTest();
