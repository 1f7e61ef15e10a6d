// Small things of the citizen's portal and the staff pages (issue 15) in
// Chromium: the "Startseite" back link is the same on every page, the
// tiles break between words only, the info icon needs no special font
// glyph, selects are as tall as the text inputs, staff file inputs are a
// German "Datei auswählen" button with the chosen names, staff dates are
// typed as TT.MM.JJJJ.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, useSession } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { citizenWithProfile, staffOf } from '../lib/uploads.mjs';
import { CITIZEN } from '../lib/a11y.mjs';

describe('portal details in Chromium', () => {
    const h = useEnv();
    const b = useBrowser();
    let jc, citizen, staff;

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
        citizen = await citizenWithProfile(h.env, jc, 'ui');
        staff = await staffOf(h.env, jc, 'leistung');
    });

    test('the "Startseite" back link is one and the same on every page that has one', async () => {
        const page = await newPage(b.browser, { width: 360, expectApi: [401, 403, 404] });
        try {
            await useSession(page, h.env.base, citizen.c);
            const seen = [];
            // (not the start page itself, nor the pages of a forced step or a mailed
            // link: email-aendern, passwort-aendern)
            for (const p of [...CITIZEN.filter((x) => !['start.html', 'email-aendern.html', 'passwort-aendern.html'].includes(x)), 'anleitung-passkey.html',
                'anleitung-totp.html', 'anleitung-anhaenge.html']) {
                await page.goto(`${h.env.base}/${p}`);
                const first = page.locator('main a').first();
                const back = await first.evaluate((a) => ({
                    text: a.textContent.trim(), inBreadcrumb: !!a.closest('p.breadcrumb'),
                    arrow: getComputedStyle(a, '::before').content
                }));
                seen.push(`${p}: ${back.text} ${back.inBreadcrumb} ${back.arrow}`);
                assert.deepEqual(back, { text: 'Startseite', inBreadcrumb: true, arrow: '"\u2190\u00a0" / ""' }, p);
            }
        } finally {
            await page.dispose();
        }
    });

    test('tiles break between words; the info icon is drawn; selects as tall as the inputs', async () => {
        const page = await newPage(b.browser, { width: 360, expectApi: [401, 403] });
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
                    // the first and the last letter of each word on one line
                    // (bottoms: a letter that starts a line has a box that
                    // reaches up to the end of the line before)
                    const top = (i) => {
                        const r = document.createRange();
                        r.setStart(node, i);
                        r.setEnd(node, i + 1);
                        return Math.round(r.getBoundingClientRect().bottom);
                    };
                    let start = 0;
                    for (const m of [...text.matchAll(/[ \u00ad]|$/g)]) {
                        if (m.index > start && top(start) !== top(m.index - 1)) bad.push(text.slice(start, m.index));
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
        const page = await newPage(b.browser, { width: 1280, expectApi: [401, 403] });
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
