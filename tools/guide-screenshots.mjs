#!/usr/bin/env node
// Pictures for the help pages (htdocs/anleitung-*.html): screenshots of the
// portal's own pages in Chromium at 360 px, taken from a throw-away test
// environment (tests/lib/env.mjs: its own Apache, SQLite, SMTP sink) with
// made-up accounts. Run as root after `make`:  node tools/guide-screenshots.mjs
// Writes htdocs/img/anleitung/*.png. QR codes and secrets are blurred: the
// pictures show where things are, never a usable code.
import path from 'node:path';
import fs from 'node:fs';
import { startEnv, TOP } from '../tests/lib/env.mjs';
import { launch, newPage, useSession } from '../tests/lib/browser.mjs';
import { registerAndConfirm, strongPassword } from '../tests/lib/flows.mjs';
import { jobcenterWithStaff } from '../tests/lib/fixtures.mjs';
import { citizenWithProfile } from '../tests/lib/uploads.mjs';

const OUT = path.join(TOP, 'htdocs', 'img', 'anleitung');
fs.mkdirSync(OUT, { recursive: true });

const env = await startEnv({ db: 'sqlite' });
const browser = await launch();
try {
    const shot = async (page, name, selector) => {
        // CSSOM, not a style element: the portal's CSP allows no inline styles
        await page.evaluate(() => document.querySelectorAll('#qr, .qr, .secret-key, #secret, canvas, svg.qr')
            .forEach((e) => { e.style.filter = 'blur(6px)'; }));
        const el = selector ? page.locator(selector).first() : page;
        await el.screenshot({ path: path.join(OUT, `${name}.png`), animations: 'disabled' });
        console.log(`${name}.png`);
    };
    const fill = async (page, sel, v) => page.locator(sel).fill(v);

    // a confirmed account without a second factor: the Sicherheitshinweis
    const email = 'erika.mustermann@example.org';
    const password = strongPassword();
    await registerAndConfirm(env, email, password);
    const page = await newPage(browser);
    await page.goto(`${env.base}/anmeldung.html`);
    await fill(page, '#login', email);
    await fill(page, '#password', '••••••••••••••');
    await shot(page, 'anmeldung', 'main');
    await fill(page, '#password', password);
    await page.locator('#login-submit').click();
    await page.locator('#security-notice').waitFor();
    await shot(page, 'sicherheitshinweis', '#security-notice');
    await page.locator('#totp-setup-link').click();
    await page.waitForURL(/zweiter-faktor-einrichten/);
    await page.locator('main h1').waitFor();
    await page.waitForTimeout(500);
    await shot(page, 'totp-einrichten', 'main');
    await page.dispose();

    // the login's second step: the TOTP code
    const p2 = await newPage(browser);
    const jc = await jobcenterWithStaff(env, { name: 'Jobcenter Musterstadt' });
    const u = await citizenWithProfile(env, jc, 'anleitung');
    await p2.goto(`${env.base}/anmeldung.html`);
    await fill(p2, '#login', u.email);
    await fill(p2, '#password', u.password);
    await p2.locator('#login-submit').click();
    await p2.waitForURL(/zweiter-faktor\.html/);
    await p2.locator('#totp_code').waitFor({ state: 'visible' });
    await fill(p2, '#totp_code', '123456');
    await shot(p2, 'totp-anmelden', 'main');
    await p2.dispose();

    // message attachments: the drop area with its picker
    const p3 = await newPage(browser);
    await useSession(p3, env.base, u.c);
    await p3.goto(`${env.base}/nachricht-schreiben.html`);
    await p3.locator('#att-drop').waitFor({ state: 'visible' });
    await shot(p3, 'anhaenge', 'fieldset:has(#att-drop)');
    await p3.dispose();
} finally {
    await browser.close();
    await env.stop();
}
