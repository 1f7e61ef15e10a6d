// Virus scanning on the "Dokumente hochladen" page (issue 18), Chromium at
// 360x800, a real clamd with the test signatures (tests/lib/clamd.mjs):
// two files chosen at once, a clean PDF and a PDF holding the EICAR test
// string. The clean one is "hochgeladen"; the other shows the server's
// German message at the file (naming the file and the finding) and in the
// status line, and is not stored. Console errors (but the provoked 422),
// page errors and CSP violations fail.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, loginWithTotp } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, citizenWithProfile } from '../lib/uploads.mjs';
import { startClamd, eicarPdf, SIG_EICAR } from '../lib/clamd.mjs';

describe('Dokumente hochladen with virus scanning in Chromium (360x800)', () => {
    let av = null, jc;
    before(async () => { av = await startClamd(); });
    after(async () => { if (av) await av.stop(); });
    const h = useEnv({ extra: () => `JobcenterClamd ${av.socket}\n` });
    const b = useBrowser();

    before(async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
    });

    test('a flagged file is refused at the file with the German message; the clean one is stored', async () => {
        const env = h.env;
        const u = await citizenWithProfile(env, jc, 'browser-scan');
        const page = await newPage(b.browser, { expectApi: [401, 422] });
        try {
            await loginWithTotp(page, env.base, u, '/dokumente-hochladen.html');
            await page.waitForURL(/\/dokumente-hochladen\.html$/);
            await page.getByRole('button', { name: 'Geldleistung' }).click();
            await page.getByRole('heading', { name: 'Geldleistung: Datei hochladen' }).waitFor();
            await page.locator('#file-input').setInputFiles([
                { name: 'Mietvertrag.pdf', mimeType: 'application/pdf', buffer: samples.pdf(80000) },
                { name: 'Rechnung.pdf', mimeType: 'application/pdf', buffer: eicarPdf(60000) }
            ]);
            const bad = page.locator('.file-item', { hasText: 'Rechnung.pdf' }).locator('.file-error');
            await bad.waitFor();
            const msg = await bad.textContent();
            assert.match(msg, /^Die Datei „Rechnung\.pdf“ enthält Schadsoftware \(/);
            assert.ok(msg.includes(SIG_EICAR), msg);
            await page.waitForFunction(() => [...document.querySelectorAll('.file-item')]
                .some((li) => /Mietvertrag\.pdf/.test(li.textContent) && /hochgeladen$/.test(li.querySelector('.file-meta').textContent)));
            const rows = await env.db.query(`SELECT name FROM upload_file WHERE account_id = ${u.id} ORDER BY id`);
            assert.deepEqual(rows.map((r) => r.name), ['Mietvertrag.pdf']);
            assert.deepEqual(page.problems, []);
        } finally {
            await page.dispose();
        }
    });
});

logTest();
