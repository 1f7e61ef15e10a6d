// Accessibility sweep (BITV 2.0 / EN 301 549 / WCAG 2.2 AA) in Chromium at
// 1280 and 360 px: every page of the portal, anonymous, as a citizen with a
// person profile and as staff, is loaded and checked with axe-core (the
// helper in tests/lib/browser.mjs, which also runs on every state the other
// browser tests visit) and for target sizes (WCAG 2.5.8): every control
// at least 24 x 24 px, the primary ones ("button-primary") 44 x 44 px.
// Also: the "Startseite" back link is the same on every page, the tiles
// break between words only, the info icon needs no special font glyph,
// selects are as tall as the text inputs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { launch, newPage, useSession, checkA11y } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { citizenWithProfile, staffOf } from '../lib/uploads.mjs';

const ANON = ['index.html', 'anmeldung.html', 'registrierung.html', 'passwort-vergessen.html',
    'zugangsdaten-vergessen.html', 'belegpruefung.html', 'datenschutz.html', 'nutzungsbedingungen.html',
    'anleitung-passkey.html', 'anleitung-totp.html', 'anleitung-anhaenge.html', 'email-gesendet.html',
    'email-bestaetigen.html', 'passwort-neu.html'];
const CITIZEN = ['start.html', 'postfach.html', 'nachricht-schreiben.html', 'bescheide.html', 'termine.html',
    'verlauf.html', 'dokumente-hochladen.html', 'antragsuebersicht.html', 'jobcenter.html',
    'profil-wechseln.html', 'online-kommunikation.html', 'sicherheit.html', 'konto.html',
    'eservices-freischalten.html', 'email-aendern.html', 'passwort-aendern.html'];
const STAFF = ['sachbearbeitung/index.html', 'sachbearbeitung/kunde-anlegen.html', 'sachbearbeitung/kunde.html?id=CUST',
    'sachbearbeitung/nachrichten.html', 'sachbearbeitung/posteingang.html'];

// Controls smaller than 24 x 24 px (WCAG 2.5.8; links inside running text
// are exempt), primary buttons smaller than 44 x 44 px.
async function smallTargets(page) {
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
async function settle(page) {
    await page.waitForLoadState('networkidle');
    await page.waitForFunction(() => {
        const l = document.getElementById('loading');
        return !l || l.hidden || l.getClientRects().length === 0;
    }, null, { timeout: 10000 }).catch(() => {});
}

describe('accessibility of every page (axe, target size) at 1280 and 360 px', () => {
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

    for (const width of [1280, 360]) {
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
                    }
                    assert.deepEqual(small, [], `targets too small at ${width} px:\n${small.join('\n')}`);
                    assert.deepEqual(page.axeProblems, []);
                } finally {
                    await page.dispose();
                }
            });
        }
    }

    test('the "Startseite" back link is one and the same on every page that has one', async () => {
        const page = await newPage(browser, { width: 360, expectApi: [401, 403, 404] });
        try {
            await useSession(page, h.env.base, citizen.c);
            const seen = [];
            for (const p of [...CITIZEN.filter((x) => x !== 'start.html'), 'anleitung-passkey.html',
                'anleitung-totp.html', 'anleitung-anhaenge.html']) {
                await page.goto(`${h.env.base}/${p}`);
                const first = page.locator('main a').first();
                const back = await first.evaluate((a) => ({
                    text: a.textContent.trim(), inBreadcrumb: !!a.closest('p.breadcrumb'),
                    arrow: getComputedStyle(a, '::before').content
                }));
                seen.push(`${p}: ${back.text} ${back.inBreadcrumb} ${back.arrow}`);
                assert.deepEqual(back, { text: 'Startseite', inBreadcrumb: true, arrow: '"← " / ""' }, p);
            }
        } finally {
            await page.dispose();
        }
    });

    test('tiles break between words; the info icon is drawn; selects as tall as the inputs', async () => {
        const page = await newPage(browser, { width: 360, expectApi: [401, 403] });
        try {
            await useSession(page, h.env.base, citizen.c);
            await page.goto(`${h.env.base}/start.html`);
            await page.locator('#profile-card').waitFor({ state: 'visible' });
            // each word (split at spaces and soft hyphens) sits on one line
            const split = await page.locator('.tile').evaluateAll((tiles) => {
                const bad = [];
                for (const t of tiles) {
                    const node = t.firstChild;
                    const text = node.textContent;
                    let start = 0;
                    for (const m of [...text.matchAll(/[ \u00ad]|$/g)]) {
                        const r = document.createRange();
                        r.setStart(node, start);
                        r.setEnd(node, m.index);
                        const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
                        if (lines.size > 1) bad.push(text.slice(start, m.index));
                        start = m.index + 1;
                    }
                }
                return bad;
            });
            assert.deepEqual(split, [], 'tile words broken across lines');

            await page.goto(`${h.env.base}/online-kommunikation.html`);
            await page.locator('#online-page').waitFor({ state: 'visible' });
            const icons = await page.locator('#active-info .notice-icon').evaluateAll((els) => els.map((e) => {
                const r = e.getBoundingClientRect();
                return { text: e.textContent, drawn: getComputedStyle(e, '::before').content,
                    round: getComputedStyle(e).borderTopLeftRadius, w: Math.round(r.width), h: Math.round(r.height) };
            }));
            assert.ok(icons.length >= 1);
            for (const i of icons) {
                // no U+24D8 glyph to miss: an "i" (any font has it) in a CSS circle
                assert.equal(i.text, '');
                assert.equal(i.drawn, '"i"');
                assert.equal(i.round, '50%');
                assert.ok(i.w >= 16 && i.w === i.h, JSON.stringify(i));
            }

            await page.goto(`${h.env.base}/nachricht-schreiben.html`);
            const subject = page.getByLabel('Betreff *');
            await subject.waitFor({ state: 'visible' });
            const hInput = (await subject.boundingBox()).height;
            for (const label of ['Empfänger', 'Anliegen *']) {
                const sel = page.getByLabel(label, { exact: true });
                if (await sel.count() === 0 || !(await sel.isVisible())) continue;
                assert.equal(await sel.evaluate((e) => e.tagName), 'SELECT', label);
                const hs = (await sel.boundingBox()).height;
                assert.ok(Math.abs(hs - hInput) <= 1, `${label}: select ${hs} px, input ${hInput} px`);
            }
            assert.ok(hInput >= 44, `inputs are ${hInput} px`);
        } finally {
            await page.dispose();
        }
    });

    test('staff: selects as tall as the inputs, German file buttons, dates as TT.MM.JJJJ', async () => {
        const page = await newPage(browser, { width: 1280, expectApi: [401, 403] });
        try {
            await useSession(page, h.env.base, staff.c);
            await page.goto(`${h.env.base}/sachbearbeitung/kunde-anlegen.html`);
            const given = page.getByLabel('Vorname *');
            await given.waitFor({ state: 'visible' });
            const hInput = (await given.boundingBox()).height;
            const hAnrede = (await page.getByLabel('Anrede').boundingBox()).height;
            assert.ok(Math.abs(hAnrede - hInput) <= 1, `Anrede ${hAnrede} px, input ${hInput} px`);
            const birth = page.getByLabel('Geburtsdatum *');
            assert.equal(await birth.getAttribute('type'), 'text');
            assert.match(await page.locator('#birth_date-hint').textContent(), /^Format: TT\.MM\.JJJJ/);

            await page.goto(`${h.env.base}/sachbearbeitung/kunde.html?id=${citizen.cust.id}`);
            await page.getByLabel('Titel *').waitFor({ state: 'visible' });
            assert.equal(await page.getByLabel('Datum *').getAttribute('type'), 'text');
            const pick = page.locator('label.file-picker-button[for="b-file"]');
            assert.equal(await pick.textContent(), 'Datei auswählen');
            assert.ok(await pick.isVisible());
            assert.equal(await page.locator('#b-file').evaluate((e) => getComputedStyle(e).opacity), '0');
            assert.equal(await page.locator('#b-file-chosen').textContent(), 'Keine Datei ausgewählt');
            await page.locator('#b-file').setInputFiles([{ name: 'Bescheid.pdf', mimeType: 'application/pdf',
                buffer: Buffer.from('%PDF-1.4\n%%EOF\n') }]);
            assert.equal(await page.locator('#b-file-chosen').textContent(), 'Bescheid.pdf');

            await page.goto(`${h.env.base}/sachbearbeitung/posteingang.html`);
            await page.locator('#staff-context').waitFor({ state: 'visible' });
            await page.waitForLoadState('networkidle');
            const hs = await page.locator('select').evaluateAll((els) => els.filter((e) => e.getClientRects().length)
                .map((e) => e.getBoundingClientRect().height));
            for (const v of hs) assert.ok(Math.abs(v - hInput) <= 1, `Status select ${v} px, input ${hInput} px`);
        } finally {
            await page.dispose();
        }
    });

    logTest();
});
