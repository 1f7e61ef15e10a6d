// The accessibility sweep of tests/browser/a11y-pages-*.test.mjs: every
// page of the portal, anonymous, as a citizen with a person profile and as
// staff, loaded at one width and checked with axe-core (tests/lib/
// browser.mjs checkA11y; the same helper runs on every state the other
// browser tests visit) and for target sizes (WCAG 2.5.8): every control at
// least 24 x 24 px, the primary ones ("button-primary") 44 x 44 px.
// JC_SHOTS=DIR also saves a full-page screenshot of each page there.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from './env.mjs';
import { launch, newPage, useSession, checkA11y } from './browser.mjs';
import { jobcenterWithStaff } from './fixtures.mjs';
import { citizenWithProfile, staffOf } from './uploads.mjs';

export const ANON = ['index.html', 'anmeldung.html', 'registrierung.html', 'passwort-vergessen.html',
    'zugangsdaten-vergessen.html', 'belegpruefung.html', 'datenschutz.html', 'nutzungsbedingungen.html',
    'anleitung-passkey.html', 'anleitung-totp.html', 'anleitung-anhaenge.html', 'email-gesendet.html',
    'email-bestaetigen.html', 'passwort-neu.html'];
export const CITIZEN = ['start.html', 'postfach.html', 'nachricht-schreiben.html', 'bescheide.html', 'termine.html',
    'verlauf.html', 'dokumente-hochladen.html', 'antragsuebersicht.html', 'jobcenter.html',
    'profil-wechseln.html', 'online-kommunikation.html', 'sicherheit.html', 'konto.html',
    'eservices-freischalten.html', 'email-aendern.html', 'passwort-aendern.html'];
export const STAFF = ['sachbearbeitung/index.html', 'sachbearbeitung/kunde-anlegen.html', 'sachbearbeitung/kunde.html?id=CUST',
    'sachbearbeitung/nachrichten.html', 'sachbearbeitung/posteingang.html'];

// Controls smaller than 24 x 24 px (WCAG 2.5.8; links inside running text
// are exempt), primary buttons smaller than 44 x 44 px.
export async function smallTargets(page) {
    return page.evaluate(() => {
        const out = [];
        const sel = 'button, select, textarea, input:not([type=hidden]), [role=switch], a.button, label.button, '
            + '.tile, .breadcrumb a, nav a';
        for (const el of document.querySelectorAll(sel)) {
            if (el.closest('[hidden]') || el.getClientRects().length === 0) continue;
            const cs = getComputedStyle(el);
            if (cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
            const r = el.getBoundingClientRect();
            const primary = el.classList.contains('button-primary');
            const min = primary ? 44 : 24;
            if (r.width < min - 0.5 || r.height < min - 0.5) {
                out.push(`${el.tagName.toLowerCase()}#${el.id || ''}.${[...el.classList].join('.')} `
                    + `"${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40)}" `
                    + `${Math.round(r.width)}x${Math.round(r.height)} < ${min}`);
            }
        }
        return out;
    });
}

// Settle: the page's loading notice gone, no request running.
export async function settle(page) {
    await page.waitForLoadState('networkidle');
    await page.waitForFunction(() => {
        const l = document.getElementById('loading');
        return !l || l.hidden || l.getClientRects().length === 0;
    }, null, { timeout: 10000 }).catch(() => {});
}

export function sweep(width) {
    describe(`accessibility of every page (axe, target size) at ${width} px`, () => {
        const h = useEnv();
        let browser, jc, citizen, staff;

        before(async () => {
            browser = await launch();
            jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
            citizen = await citizenWithProfile(h.env, jc, 'a11y');
            staff = await staffOf(h.env, jc, 'leistung');
        });
        after(async () => {
            if (browser) await browser.close();
        });

        for (const [who, pages] of [['anonymous', ANON], ['citizen', CITIZEN], ['staff', STAFF]]) {
            test(`${who} pages at ${width} px: axe finds nothing, targets are large enough`, async () => {
                const page = await newPage(browser, { width, height: 900, expectApi: [401, 403, 404, 400, 422] });
                try {
                    if (who === 'citizen') await useSession(page, h.env.base, citizen.c);
                    if (who === 'staff') await useSession(page, h.env.base, staff.c);
                    const small = [];
                    for (const p of pages) {
                        await page.goto(`${h.env.base}/${p.replace('CUST', String(citizen.cust.id))}`);
                        await settle(page);
                        await checkA11y(page);
                        small.push(...(await smallTargets(page)).map((s) => `${p}: ${s}`));
                        // JC_SHOTS=DIR: a full-page screenshot of each page, to look at
                        if (process.env.JC_SHOTS) {
                            await page.screenshot({ fullPage: true,
                                path: `${process.env.JC_SHOTS}/${who}-${p.replace(/[/?=]/g, '_')}-${width}.png` });
                        }
                    }
                    assert.deepEqual(small, [], `targets too small at ${width} px:\n${small.join('\n')}`);
                    assert.deepEqual(page.axeProblems, []);
                } finally {
                    await page.dispose();
                }
            });
        }

        logTest();
    });
}
