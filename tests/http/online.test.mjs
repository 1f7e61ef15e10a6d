// Online-Kommunikation (seed "Online-Kommunikation zustimmen", steps 3-8):
// GET /api/v1/online-kommunikation, POST .../aktivieren, POST
// .../deaktivieren. Consent needs a confirmed e-mail address (else 409);
// each consent and deactivation is stored with time and text version; a
// deactivation takes effect after JobcenterOnlineDeactivationDays working
// days, re-activating before then cancels it, and the watchdog applies a
// due one. Notice mails arrive over SMTP. Only a two-factor session with
// Origin and CSRF token may change anything.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useEnv, logTest, TOP } from '../lib/env.mjs';
import { uniqueEmail, waitUntil, run, sessionCacheSettled } from '../lib/util.mjs';
import { APACHE_BIN, generateConfig } from '../lib/apache.mjs';
import { strongPassword, registerAndConfirm, assertError } from '../lib/flows.mjs';
import { isWorkday, isHoliday, isoDate } from '../lib/holidays.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';

const nowSec = () => Math.floor(Date.now() / 1000);
const ROUTE = '/api/v1/online-kommunikation';
const SUBJ_ON = 'Online-Kommunikation aktiviert';
const SUBJ_REQ = 'Deaktivierung der Online-Kommunikation';
const SUBJ_OFF = 'Online-Kommunikation deaktiviert';


// The expected effective time in the server's time zone (the test runs in
// the same TZ as Apache): local midnight of the n-th working day (Monday to
// Friday, not a public holiday of the region; region null: weekends only,
// the count before JobcenterHolidayRegion) after the local date of t.
function expectedEffective(t, n, region = 'DE') {
    const d = new Date(t * 1000);
    const day = new Date(d.getFullYear(), d.getMonth(), d.getDate(), 12);
    const work = region ? (x) => isWorkday(x, region) : (x) => x.getDay() !== 0 && x.getDay() !== 6;
    for (let i = 0; i < n; i++) {
        do { day.setDate(day.getDate() + 1); } while (!work(day));
    }
    const mid = new Date(day.getFullYear(), day.getMonth(), day.getDate());
    return { at: Math.floor(mid.getTime() / 1000), date: isoDate(mid) };
}

async function history(env, id) {
    return env.db.query(`SELECT action, text_version, at, effective_at FROM online_consent_history `
        + `WHERE account_id = ${Number(id)} ORDER BY id`);
}

describe('Online-Kommunikation', () => {
    const h = useEnv({ sets: ['JobcenterOnlineDeactivationDays 3'] });
    let u;

    test('no session: 401 on every route, nothing stored', async () => {
        const c = h.env.client();
        let r = await c.get(ROUTE);
        assertError(r, 401, 'not_authenticated');
        r = await c.post(`${ROUTE}/aktivieren`, null);
        assertError(r, 401, 'not_authenticated');
        r = await c.post(`${ROUTE}/deaktivieren`, null);
        assertError(r, 401, 'not_authenticated');
        assert.equal(await h.env.db.scalar('SELECT count(*) FROM online_consent'), 0);
    });

    test('a session before the second factor is refused (403 state_insufficient)', async () => {
        const env = h.env;
        const v = await registerAndConfirm(env, uniqueEmail('online-half'), strongPassword());
        const c = env.client();
        const r = await c.post('/api/v1/login', { login: v.email, password: v.password });
        assert.equal(r.json.state, 'mfa_setup_required');
        assertError(await c.get(ROUTE), 403, 'state_insufficient');
        assertError(await c.post(`${ROUTE}/aktivieren`, null, { csrf: true }), 403, 'state_insufficient');
    });

    test('status of a new account: inactive, confirmed address', async () => {
        u = await authenticatedCitizen(h.env, 'online');
        const r = await u.c.get(ROUTE);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        assert.equal(r.json.active, false);
        assert.equal(r.json.status, 'inaktiv');
        assert.equal(r.json.email_confirmed, true);
        assert.equal(r.json.pending_deactivation, false);
        assert.equal(r.json.deactivation_days, 3);
        assert.match(r.json.text_version, /^\S+$/);
    });

    test('CSRF: no Origin, a foreign Origin, no or a wrong token -> 403, nothing stored', async () => {
        const env = h.env;
        assertError(await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true, origin: null }), 403, 'csrf_failed');
        assertError(await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true, origin: 'http://evil.example' }),
            403, 'csrf_failed');
        assertError(await u.c.post(`${ROUTE}/aktivieren`, null), 403, 'csrf_failed');
        assertError(await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: 'x'.repeat(43) }), 403, 'csrf_failed');
        assertError(await u.c.post(`${ROUTE}/deaktivieren`, null, { origin: null }), 403, 'csrf_failed');
        assert.equal(await env.db.scalar('SELECT count(*) FROM online_consent'), 0);
        assert.equal(await env.db.scalar('SELECT count(*) FROM online_consent_history'), 0);
    });

    test('without a confirmed e-mail address: 409 with a German message and the link, nothing stored', async () => {
        const env = h.env;
        await env.db.exec(`UPDATE account SET email_confirmed_at = NULL WHERE id = ${u.id}`);
        await sessionCacheSettled();
        try {
            const st = await u.c.get(ROUTE);
            assert.equal(st.json.email_confirmed, false, st.text);
            const mails = await env.db.scalar('SELECT count(*) FROM mail_outbox');
            const r = await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true });
            assertError(r, 409, 'email_unconfirmed');
            assert.match(r.error.message, /bestätigte E-Mail-Adresse/);
            assert.match(r.error.message, /\/email-gesendet\.html/);
            assert.equal(await env.db.scalar('SELECT count(*) FROM online_consent'), 0);
            assert.equal(await env.db.scalar('SELECT count(*) FROM online_consent_history'), 0);
            assert.equal(await env.db.scalar('SELECT count(*) FROM mail_outbox'), mails);
        } finally {
            await env.db.exec(`UPDATE account SET email_confirmed_at = 1 WHERE id = ${u.id}`);
            await sessionCacheSettled();
        }
    });

    test('deactivating while inactive: 409 not_active', async () => {
        assertError(await u.c.post(`${ROUTE}/deaktivieren`, null, { csrf: true }), 409, 'not_active');
    });

    test('activate: active, history row with the text version, Verlauf event, mail over SMTP', async () => {
        const env = h.env;
        const mark = env.mail.mark();
        const t0 = nowSec();
        const r = await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.active, true);
        assert.equal(r.json.status, 'aktiv');
        assert.equal(r.json.consent_text_version, r.json.text_version);
        assert.ok(r.json.active_since >= t0 - 1, r.text);
        const g = await u.c.get(ROUTE);
        assert.equal(g.json.active, true, g.text);
        const rows = await history(env, u.id);
        assert.equal(rows.length, 1);
        assert.equal(rows[0].action, 'consent');
        assert.equal(rows[0].text_version, r.json.text_version);
        assert.ok(Number(rows[0].at) >= t0 - 1);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM event WHERE account_id = ${u.id} `
            + "AND kind = 'online_activated'"), 1);
        const m = await env.mail.waitFor(u.email, { subject: SUBJ_ON, since: mark });
        assert.match(m.body, /Online-Kommunikation aktiviert/);
        assert.match(m.body, /\/online-kommunikation\.html/);
        // again: unchanged, no second row or mail
        const again = await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true });
        assert.equal(again.status, 200, again.text);
        assert.equal(again.json.active_since, r.json.active_since);
        assert.equal((await history(env, u.id)).length, 1);
    });

    test('deactivate: still active until the date (now + 3 working days, local midnight), shown by GET; mail', async () => {
        const env = h.env;
        const mark = env.mail.mark();
        const r = await u.c.post(`${ROUTE}/deaktivieren`, null, { csrf: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.active, true);
        assert.equal(r.json.status, 'deaktivierung_beantragt');
        assert.equal(r.json.pending_deactivation, true);
        const exp = expectedEffective(r.json.deactivation_requested_at, 3);
        assert.equal(r.json.deactivation_effective_at, exp.at, r.text);
        assert.equal(r.json.deactivation_effective_date, exp.date, r.text);
        const wd = new Date(`${exp.date}T12:00:00Z`).getUTCDay();
        assert.ok(wd >= 1 && wd <= 5, `effective on a weekend: ${exp.date}`);
        assert.ok(!isHoliday(new Date(`${exp.date}T12:00:00`)), `effective on a holiday: ${exp.date}`);
        const g = await u.c.get(ROUTE);
        assert.equal(g.json.deactivation_effective_date, exp.date, g.text);
        assert.equal(g.json.active, true);
        const rows = await history(env, u.id);
        assert.equal(rows.at(-1).action, 'deactivation_requested');
        assert.equal(Number(rows.at(-1).effective_at), exp.at);
        assert.equal(rows.at(-1).text_version, r.json.text_version);
        const [y, mo, d] = exp.date.split('-');
        const m = await env.mail.waitFor(u.email, { subject: SUBJ_REQ, since: mark });
        assert.ok(m.body.includes(`${d}.${mo}.${y}`), m.body);
        assert.match(m.body, /Bescheidablage/);
        // a second request keeps the date and writes nothing
        const again = await u.c.post(`${ROUTE}/deaktivieren`, null, { csrf: true });
        assert.equal(again.json.deactivation_effective_at, exp.at);
        assert.equal((await history(env, u.id)).length, rows.length);
    });

    test('re-activating before the date cancels the deactivation', async () => {
        const env = h.env;
        const r = await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status, 'aktiv');
        assert.equal(r.json.pending_deactivation, false);
        assert.equal(r.json.deactivation_effective_date, undefined);
        const rows = await history(env, u.id);
        assert.deepEqual(rows.map((x) => x.action),
            ['consent', 'deactivation_requested', 'deactivation_cancelled', 'consent']);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM online_consent WHERE account_id = ${u.id} `
            + 'AND deactivation_effective_at IS NULL AND active_since IS NOT NULL'), 1);
    });

    test('the watchdog applies a due deactivation (effective date moved into the past)', async () => {
        const env = h.env;
        const r = await u.c.post(`${ROUTE}/deaktivieren`, null, { csrf: true });
        assert.equal(r.status, 200, r.text);
        const mark = env.mail.mark();
        await env.db.exec(`UPDATE online_consent SET deactivation_effective_at = ${nowSec() - 5} `
            + `WHERE account_id = ${u.id}`);
        // the gate counts a due deactivation as inactive at once
        const g0 = await u.c.get(ROUTE);
        assert.equal(g0.json.active, false, g0.text);
        // JobcenterMailInterval 1 in the tests: the watchdog ticks every second
        await waitUntil(async () => (await env.db.scalar(
            `SELECT count(*) FROM online_consent WHERE account_id = ${u.id} AND active_since IS NULL`)) === 1,
        { timeoutMs: 15000, intervalMs: 200, what: 'the watchdog applying the deactivation' });
        const g = await u.c.get(ROUTE);
        assert.equal(g.json.active, false, g.text);
        assert.equal(g.json.status, 'inaktiv');
        const rows = await history(env, u.id);
        assert.equal(rows.at(-1).action, 'deactivated');
        assert.equal(rows.at(-1).text_version, r.json.text_version);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM event WHERE account_id = ${u.id} `
            + "AND kind = 'online_deactivated'"), 1);
        const m = await env.mail.waitFor(u.email, { subject: SUBJ_OFF, since: mark });
        assert.match(m.body, /wieder per Post/);
        assert.equal(env.mail.find(u.email, { subject: SUBJ_OFF, since: mark }).length, 1);
        // and it can be given again
        const again = await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true });
        assert.equal(again.json.active, true, again.text);
        assert.equal((await history(env, u.id)).filter((x) => x.action === 'consent').length, 3);
    });
});

// JobcenterHolidayRegion: the server has no clock to set, so this runs at the
// real date with the longest deactivation period (30 working days, about six
// weeks) in Baden-Württemberg; the expectation counts with the tests' own
// calendar (tests/lib/holidays.mjs). The fixed-date cases (Easter, Christmas,
// 3 October on a Friday, regional days) are in tests/unit/test_online.c.
describe('Online-Kommunikation: the deactivation skips the public holidays of JobcenterHolidayRegion', () => {
    const h = useEnv({ sets: ['JobcenterOnlineDeactivationDays 30', 'JobcenterHolidayRegion bw'] });

    test('30 working days in BW: weekends and BW holidays in the period are skipped (date in JSON, history, mail)', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'online-hol');
        let r = await u.c.post(`${ROUTE}/aktivieren`, null, { csrf: true });
        assert.equal(r.status, 200, r.text);
        const mark = env.mail.mark();
        r = await u.c.post(`${ROUTE}/deaktivieren`, null, { csrf: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.deactivation_days, 30, r.text);
        const t = r.json.deactivation_requested_at;
        const exp = expectedEffective(t, 30, 'BW');
        assert.equal(r.json.deactivation_effective_date, exp.date, r.text);
        assert.equal(r.json.deactivation_effective_at, exp.at, r.text);
        assert.ok(isWorkday(new Date(`${exp.date}T12:00:00`), 'BW'), exp.date);
        // the holidays inside the period move the date by as many working days
        const skipped = [];
        const from = new Date(t * 1000);
        for (const x = new Date(from.getFullYear(), from.getMonth(), from.getDate() + 1, 12);
            isoDate(x) <= exp.date; x.setDate(x.getDate() + 1)) {
            if (x.getDay() !== 0 && x.getDay() !== 6 && isHoliday(x, 'BW')) skipped.push(isoDate(x));
        }
        const naive = expectedEffective(t, 30 + skipped.length, null);
        assert.equal(naive.date, exp.date, `skipped ${skipped.join(', ')}`);
        if (skipped.length > 0) {
            assert.notEqual(expectedEffective(t, 30, null).date, r.json.deactivation_effective_date);
        }
        const g = await u.c.get(ROUTE);
        assert.equal(g.json.deactivation_effective_date, exp.date, g.text);
        const rows = await history(env, u.id);
        assert.equal(Number(rows.at(-1).effective_at), exp.at);
        const [y, mo, d] = exp.date.split('-');
        const m = await env.mail.waitFor(u.email, { subject: SUBJ_REQ, since: mark });
        assert.ok(m.body.includes(`${d}.${mo}.${y}`), m.body);
    });
});

describe('JobcenterHolidayRegion at configuration time', () => {
    test('DE and the 16 Land codes in any case pass `apache2 -t`; anything else is refused with the list of codes', async () => {
        const dir = fs.mkdtempSync(path.join(process.env.JC_TMP || os.tmpdir(), 'jc-holiday-conf-'));
        try {
            const check = async (value) => {
                const conf = await generateConfig(TOP, ['--root', dir, '--port', '1',
                    '--set', `JobcenterHolidayRegion ${value}`]);
                return run(APACHE_BIN, ['-t', '-f', conf], { check: false });
            };
            for (const ok of ['DE', 'bw', 'By', 'SN', 'th']) {
                const r = await check(ok);
                assert.equal(r.code, 0, `${ok}: ${r.stderr}`);
            }
            for (const bad of ['Bayern', 'DE-BW', 'XX', '"B W"']) {
                const r = await check(bad);
                assert.notEqual(r.code, 0, bad);
                assert.match(r.stderr, /JobcenterHolidayRegion: unknown region '.*'; use DE \(nationwide public holidays only\) or the code of a Land: BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH/, r.stderr);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

logTest();
