// German time in the pages (issue 15), whatever zone the browser and the
// server are in: Apache runs with TZ=UTC (the test environments' default),
// Chromium with timezoneId America/New_York. One upload, one message and
// their Verlauf entries are set to 2026-12-06 22:43 UTC: Antragsübersicht,
// Postfach (list and conversation), Verlauf, the staff document inbox and
// the staff messages must all say 06.12.2026, 23:43 Uhr; a summer instant
// (2026-07-01 22:30 UTC) must say 02.07.2026, 00:30 Uhr.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { useBrowser, newPage, useSession } from '../lib/browser.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, citizenWithProfile, staffOf, newDraft, uploadRaw, submit } from '../lib/uploads.mjs';

const WINTER = Date.UTC(2026, 11, 6, 22, 43) / 1000;
const SUMMER = Date.UTC(2026, 6, 1, 22, 30) / 1000;

describe('German time in Chromium (America/New_York) against Apache (UTC)', () => {
    const h = useEnv();
    const b = useBrowser();
    let jc, cit, sb, sub, conv;

    before(async () => {
        const env = h.env;
        jc = await jobcenterWithStaff(env, { name: 'Jobcenter Zeitzone' });
        cit = await citizenWithProfile(env, jc, 'tz-browser');
        sb = await staffOf(env, jc, 'leistung');
        const d = await newDraft(cit.c);
        assert.equal((await uploadRaw(cit.c, d, samples.png(), 'Beleg.png')).status, 201);
        const r = await submit(cit.c, d);
        assert.equal(r.status, 201, r.text);
        sub = r.json.submission;
        const m = await cit.c.post('/api/v1/messages', {
            anliegen: 'kopien', subject: 'Zeitzone', text: 'Wann war das?', ack: true, idempotency_key: crypto.randomUUID()
        }, { csrf: true });
        assert.equal(m.status, 201, m.text);
        conv = m.json.conversation.id;
    });

    async function setTimes(at) {
        const env = h.env;
        await env.db.exec(`UPDATE upload_submission SET submitted_at = ${at} WHERE id = ${sub}`);
        await env.db.exec(`UPDATE conversation SET updated_at = ${at}, created_at = ${at} WHERE id = ${conv}`);
        await env.db.exec(`UPDATE message SET created_at = ${at} WHERE conversation_id = ${conv}`);
        await env.db.exec(`UPDATE event SET at = ${at} WHERE account_id = ${cit.id}`);
    }

    // main's text once it shows the expected day (or after 8 s)
    async function textOf(page, base, path, day) {
        await page.goto(base + path);
        await page.waitForFunction((d) => (document.querySelector('main') || document.body).innerText.includes(d),
            day, { timeout: 8000 }).catch(() => {});
        // the page's other requests (e.g. the Online-Kommunikation status)
        // finish before the next goto, which would abort them (ERR_ABORTED,
        // a browser problem): once in a full run on PostgreSQL
        await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
        return (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    }

    for (const [at, want, wrong] of [[WINTER, '06.12.2026, 23:43 Uhr', '17:43'], [SUMMER, '02.07.2026, 00:30 Uhr', '18:30']]) {
        test(`citizen and staff pages show ${want}`, async () => {
            const env = h.env;
            await setTimes(at);
            const page = await newPage(b.browser, { timezoneId: 'America/New_York' });
            try {
                assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'America/New_York');
                await useSession(page, env.base, cit.c);
                const [date, time] = want.split(', ');
                let t = await textOf(page, env.base, '/antragsuebersicht.html', date);
                assert.ok(t.includes(`${date}, ${time}`), `Antragsübersicht: ${t}`);
                t = await textOf(page, env.base, '/postfach.html', date);
                assert.ok(t.includes(want), `Postfach: ${t}`);
                assert.ok(!t.includes(wrong), `Postfach in New York time: ${t}`);
                t = await textOf(page, env.base, `/postfach.html?id=${conv}`, date);
                assert.ok(t.includes(want), `conversation: ${t}`);
                t = await textOf(page, env.base, '/verlauf.html', date);
                assert.ok(t.includes(want), `Verlauf: ${t}`);
                assert.deepEqual(page.problems, [], `browser problems:\n${page.problems.join('\n')}`);
            } finally {
                await page.dispose();
            }
            const staff = await newPage(b.browser, { timezoneId: 'America/New_York', width: 1280, height: 900 });
            try {
                await useSession(staff, env.base, sb.c);
                const [date, time] = want.split(', ');
                let t = await textOf(staff, env.base, '/sachbearbeitung/posteingang.html', date);
                assert.ok(t.includes(`${date}, ${time}`), `staff inbox: ${t}`);
                t = await textOf(staff, env.base, '/sachbearbeitung/nachrichten.html', date);
                assert.ok(t.includes(want), `staff messages: ${t}`);
                t = await textOf(staff, env.base, `/sachbearbeitung/nachrichten.html?id=${conv}`, date);
                assert.ok(t.includes(want), `staff conversation: ${t}`);
            } finally {
                await staff.dispose();
            }
        });
    }
});

logTest();
