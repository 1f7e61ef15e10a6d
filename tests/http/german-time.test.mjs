// Every time a person reads is German time (Europe/Berlin, with summer
// time), whatever the server's TZ (issue 15): Apache runs with TZ=UTC and
// with TZ=America/New_York; the receipt PDF (pdftotext), the
// Antragsübersicht (GET uploads/submissions), the staff document inbox
// (GET staff/uploads) and the Online-Kommunikation's
// deactivation day (German midnight) must all show Berlin's wall clock.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { run } from '../lib/util.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import {
    samples, citizenWithProfile, staffOf, newDraft, uploadRaw, submit, download, writeTemp
} from '../lib/uploads.mjs';

const fmt = (tz, o) => new Intl.DateTimeFormat('de-DE', { timeZone: tz, ...o });
const dateIn = (tz, sec) => fmt(tz, { day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date(sec * 1000));
const timeIn = (tz, sec) => fmt(tz, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(sec * 1000));

// fixed instants: winter (the 22:43Z = 23:43 CET), a summer night
// that is already the next day in Berlin, and a winter one that is
// the next day in Berlin but the day before in New York
const WINTER = Date.UTC(2026, 11, 6, 22, 43) / 1000;
const SUMMER = Date.UTC(2026, 6, 1, 22, 30) / 1000;
const NIGHT = Date.UTC(2026, 11, 6, 23, 10) / 1000;

for (const tz of ['UTC', 'America/New_York']) {
    describe(`Apache with TZ=${tz}`, () => {
        const h = useEnv({ tz });
        let jc, cit, sb, sub;

        test('set-up: a jobcenter, a citizen with a profile, a staff member of the Leistung team', async () => {
            jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Zeitzone' });
            cit = await citizenWithProfile(h.env, jc, 'tz');
            sb = await staffOf(h.env, jc, 'leistung');
        });

        test('the receipt PDF states date and time of the upload in German time', async () => {
            const env = h.env;
            const d = await newDraft(cit.c);
            assert.equal((await uploadRaw(cit.c, d, samples.png(), 'Beleg.png')).status, 201);
            const r = await submit(cit.c, d);
            assert.equal(r.status, 201, r.text);
            sub = r.json;
            const at = Number(await env.db.scalar(`SELECT submitted_at FROM upload_submission WHERE id = ${sub.submission}`));
            const date = dateIn('Europe/Berlin', at);
            const hm = timeIn('Europe/Berlin', at);
            assert.notEqual(hm, timeIn(tz, at), 'Berlin and the server zone must differ for this test');
            assert.ok(sub.confirmation.includes(`am ${date} an`), sub.confirmation);

            const pdf = await download(cit.c, sub.receipt);
            assert.equal(pdf.status, 200);
            const { stdout: text } = await run('pdftotext', ['-layout', writeTemp(env, 'receipt.pdf', pdf.buf), '-']);
            const flat = text.replace(/\s+/g, ' ');
            assert.ok(flat.includes(`am ${date} um ${hm} Uhr`), `no "${date} um ${hm}" in:\n${text}`);
            assert.match(flat, new RegExp(`Eingegangen am ${date.replace(/\./g, '\\.')}, ${hm} Uhr`), text);
            assert.ok(!flat.includes(`${timeIn(tz, at)} Uhr`), `server-zone time ${timeIn(tz, at)} on the receipt`);
            // the Vorgangsnummer's year is the German year
            assert.ok(sub.reference.startsWith(`${date.slice(6)}-`), sub.reference);
        });

        test('Antragsübersicht and staff inbox: preformatted date and time are German time', async () => {
            const env = h.env;
            for (const at of [WINTER, SUMMER, NIGHT]) {
                await env.db.exec(`UPDATE upload_submission SET submitted_at = ${at} WHERE id = ${sub.submission}`);
                const want = { date: dateIn('Europe/Berlin', at), time: timeIn('Europe/Berlin', at) };
                const list = await cit.c.get('/api/v1/uploads/submissions');
                assert.equal(list.status, 200, list.text);
                const mine = list.json.submissions.find((s) => s.id === sub.submission);
                assert.deepEqual({ date: mine.date, time: mine.time }, want, `Antragsübersicht for ${at}`);
                const inbox = await sb.c.get('/api/v1/staff/uploads');
                assert.equal(inbox.status, 200, inbox.text);
                const row = inbox.json.submissions.find((s) => s.id === sub.submission);
                assert.ok(row, inbox.text);
                assert.deepEqual({ date: row.date, time: row.time }, want, `staff inbox for ${at}`);
            }
            assert.deepEqual([dateIn('Europe/Berlin', WINTER), timeIn('Europe/Berlin', WINTER)], ['06.12.2026', '23:43']);
            assert.deepEqual([dateIn('Europe/Berlin', SUMMER), timeIn('Europe/Berlin', SUMMER)], ['02.07.2026', '00:30']);
            assert.deepEqual([dateIn('Europe/Berlin', NIGHT), timeIn('Europe/Berlin', NIGHT)], ['07.12.2026', '00:10']);
        });

        test('Online-Kommunikation: a deactivation takes effect at German midnight', async () => {
            const r = await cit.c.post('/api/v1/online-kommunikation/deaktivieren', null, { csrf: true });
            assert.equal(r.status, 200, r.text);
            const at = r.json.deactivation_effective_at;
            assert.ok(at > Date.now() / 1000, r.text);
            assert.equal(timeIn('Europe/Berlin', at), '00:00', `effective at ${new Date(at * 1000).toISOString()}`);
            const iso = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(at * 1000));
            assert.equal(r.json.deactivation_effective_date, iso);
        });
    });
}

logTest();
