// Metrics an admin can scrape (issue 17, docs/operations.md "Metrics"):
// GET /jobcenter-metrics (SetHandler jobcenter-metrics, Require ip
// 127.0.0.1 ::1 as tools/gen-config.sh ships it) answers the Prometheus
// text format 0.0.4; a scrape before and after a registration, a login
// ok / failed / throttled, a TOTP failure, an upload, a mail and 503s of
// the hashing admission shows each counter moved by what happened; the
// cluster figures (mail queue, parked mails, their oldest age) come from
// the database; a client from another address gets 403; mod_status's
// server-status page (HTML and ?auto) has the module's section.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';
import { jobcenterWithStaff, nowSec } from '../lib/fixtures.mjs';
import { citizenWithProfile, newDraft, uploadRaw, samples } from '../lib/uploads.mjs';
import { lit } from '../lib/db.mjs';

const STATUS = `LoadModule status_module /usr/lib/apache2/modules/mod_status.so
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
`;

// GET path from a chosen local address (127.0.0.2: not 127.0.0.1)
function rawGet(env, path, localAddress = '127.0.0.1') {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: env.port, path, localAddress, agent: false },
            (res) => {
                let text = '';
                res.setEncoding('utf8');
                res.on('data', (d) => { text += d; });
                res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
            });
        req.on('error', reject);
        req.end();
    });
}

// The exposition parsed: { samples: Map('name{labels}' -> value), types:
// Map(name -> type) }, checking the format on the way.
function parse(text) {
    const samples = new Map();
    const types = new Map();
    const helps = new Set();
    for (const line of text.split('\n')) {
        if (line === '') continue;
        let m = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/);
        if (m) {
            if (m[1] === 'TYPE') {
                assert.ok(['counter', 'gauge'].includes(m[3]), line);
                assert.ok(helps.has(m[2]), `TYPE before HELP: ${line}`);
                types.set(m[2], m[3]);
            } else {
                helps.add(m[2]);
            }
            continue;
        }
        m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9]+)$/);
        assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
        assert.ok(types.has(m[1]), `sample without # TYPE: ${line}`);
        if (types.get(m[1]) === 'counter') assert.ok(m[1].endsWith('_total'), line);
        samples.set(m[1] + (m[2] || ''), Number(m[4]));
    }
    return { samples, types };
}

async function scrape(env) {
    const r = await rawGet(env, '/jobcenter-metrics');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    return parse(r.text).samples;
}

// a 6-digit code no step around now produces
async function wrongCode(secret) {
    const t = nowSec();
    const valid = new Set(await Promise.all([-2, -1, 0, 1, 2].map((d) => generate({ secret, epoch: t + d * 30 }))));
    return ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c));
}

describe('metrics', () => {
    // one hash at a time, none waiting: parallel logins get 503
    // service_busy; the account throttle locks after one free failure
    const h = useEnv({
        sets: ['JobcenterHashConcurrency 1', 'JobcenterHashQueue 0 1',
            'JobcenterThrottleAccount 1 100 900 3600'],
        extra: STATUS,
        // the refused scrape of the 403 test
        allowLog: [/AH01630: client denied by server configuration: .*jobcenter-metrics/],
    });

    test('a scrape and the same scrape after each event: every counter moved by it', async () => {
        const env = h.env;
        const jc = await jobcenterWithStaff(env);
        const m0 = await scrape(env);
        for (const k of ['jobcenter_logins_total{result="ok"}', 'jobcenter_logins_total{result="failed"}',
            'jobcenter_logins_total{result="throttled"}', 'jobcenter_registrations_total',
            'jobcenter_mails_queued_total', 'jobcenter_mails_sent_total', 'jobcenter_uploads_total',
            'jobcenter_upload_bytes_total', 'jobcenter_unavailable_total{cause="overload"}',
            'jobcenter_unavailable_total{cause="db_busy"}', 'jobcenter_db_busy_retries_total',
            'jobcenter_second_factor_failures_total{factor="totp",reason="invalid"}',
            'jobcenter_mail_queue', 'jobcenter_database_up']) {
            assert.ok(m0.has(k), `missing ${k}`);
        }
        assert.equal(m0.get('jobcenter_database_up'), 1);

        // a registration (its confirmation mail is queued and sent)
        const u = await registerAndConfirm(env, uniqueEmail('metrics'), strongPassword());
        // login ok, then failures until the throttle refuses
        const c = env.client();
        let r = await c.post('/api/v1/login', { login: u.email, password: u.password });
        assert.equal(r.status, 200, r.text);
        let failed = 0, throttled = 0;
        for (let i = 0; i < 6 && !throttled; i++) {
            r = await env.client().post('/api/v1/login', { login: u.email, password: 'Falsch-123456!' });
            if (r.status === 401) failed++;
            else if (r.status === 429) throttled++;
            else assert.fail(`login: ${r.status} ${r.text}`);
        }
        assert.ok(failed >= 1 && throttled === 1, `failed ${failed}, throttled ${throttled}`);

        // a citizen with a second factor (registration 2, logins ok 2, 3)
        // and an upload; then a wrong TOTP code in a new login
        const v = await citizenWithProfile(env, jc, 'metrics-up');
        const draft = await newDraft(v.c);
        const pdf = samples.pdf(5000);
        r = await uploadRaw(v.c, draft, pdf, 'nachweis.pdf');
        assert.equal(r.status, 201, r.text);
        const c2 = env.client();
        r = await c2.post('/api/v1/login', { login: v.email, password: v.password });
        assert.equal(r.json.state, 'mfa_required', r.text);
        r = await c2.post('/api/v1/mfa/totp/verify', { code: await wrongCode(v.secret) }, { csrf: true });
        assert.equal(r.status, 401, r.text);

        // parallel logins of unknown names: one hashes, the others get 503
        // (rounds of 12 at once until one was refused, at most 5)
        const par = [];
        for (let round = 0; round < 5 && !par.some((x) => x.status === 503); round++) {
            par.push(...await Promise.all(Array.from({ length: 12 }, (_, i) => env.client({ fresh: true })
                .post('/api/v1/login', { login: `niemand${round}-${i}@example.org`, password: 'Falsch-123456!' }))));
        }
        const busy = par.filter((x) => x.status === 503).length;
        for (const x of par) assert.ok([401, 503].includes(x.status), x.text);
        assert.ok(busy >= 1, `no 503 among ${par.map((x) => x.status)}`);

        // the mails of both registrations have left
        await env.mail.waitFor(v.email);
        const m1 = await scrape(env);
        const d = (k) => m1.get(k) - m0.get(k);
        assert.equal(d('jobcenter_registrations_total'), 2);
        // logins ok: u, v's first login (helper), c2
        assert.equal(d('jobcenter_logins_total{result="ok"}'), 3);
        assert.equal(d('jobcenter_logins_total{result="failed"}'), failed + (par.length - busy));
        assert.equal(d('jobcenter_logins_total{result="throttled"}'), 1);
        assert.equal(d('jobcenter_second_factor_failures_total{factor="totp",reason="invalid"}'), 1);
        assert.equal(d('jobcenter_uploads_total'), 1);
        assert.equal(d('jobcenter_upload_bytes_total'), pdf.length);
        assert.equal(d('jobcenter_unavailable_total{cause="overload"}'), busy);
        assert.ok(d('jobcenter_mails_queued_total') >= 2, `queued +${d('jobcenter_mails_queued_total')}`);
        assert.ok(d('jobcenter_mails_sent_total') >= 2, `sent +${d('jobcenter_mails_sent_total')}`);
        assert.ok(m1.get('jobcenter_node_counters_since_seconds') > 1700000000);
    });

    test('cluster figures from the database: queued and parked mails with their oldest age', async () => {
        const env = h.env;
        const t = nowSec();
        // the mails of the test above delivered first (bounded wait)
        for (let i = 0; i < 100; i++) {
            if (Number(await env.db.scalar('SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL '
                + 'AND parked_at IS NULL')) === 0) break;
            await new Promise((res) => setTimeout(res, 100));
        }
        const m0 = await scrape(env);
        // a parked mail queued 100 s ago, a queued one due in an hour
        await env.db.exec('INSERT INTO mail_outbox (rcpt, subject, message, created_at, next_attempt_at, '
            + `attempts, parked_at, last_error) VALUES ('a@example.org', 's', 'm', ${t - 100}, ${t}, 1, ${t - 50}, `
            + `${lit('550 unknown')})`);
        await env.db.exec('INSERT INTO mail_outbox (rcpt, subject, message, created_at, next_attempt_at) '
            + `VALUES ('b@example.org', 's', 'm', ${t - 200}, ${t + 3600})`);
        const m = await scrape(env);
        assert.equal(m.get('jobcenter_mail_parked') - m0.get('jobcenter_mail_parked'), 1);
        assert.ok(m.get('jobcenter_mail_parked_oldest_age_seconds') >= 100, String(m.get('jobcenter_mail_parked_oldest_age_seconds')));
        assert.equal(m.get('jobcenter_mail_queue') - m0.get('jobcenter_mail_queue'), 1);
        assert.ok(m.get('jobcenter_mail_queue_oldest_age_seconds') >= 200);
        await env.db.exec("DELETE FROM mail_outbox WHERE rcpt IN ('a@example.org', 'b@example.org')");
    });

    test('another client address: 403 from the shipped Require ip; only GET', async () => {
        const env = h.env;
        const r = await rawGet(env, '/jobcenter-metrics', '127.0.0.2');
        assert.equal(r.status, 403);
        assert.ok(!r.text.includes('jobcenter_logins_total'));
        const p = await env.client().post('/jobcenter-metrics', {}, { origin: null });
        assert.equal(p.status, 405);
    });

    test('server-status: the module section in HTML and in ?auto', async () => {
        const env = h.env;
        const html = await rawGet(env, '/server-status');
        assert.equal(html.status, 200);
        assert.match(html.text, /<h2>mod_jobcenter<\/h2>/);
        assert.match(html.text, /<th align="left">LoginsOk<\/th><td>[1-9][0-9]*<\/td>/);
        const auto = await rawGet(env, '/server-status?auto');
        assert.equal(auto.status, 200);
        const m = await scrape(env);
        const ok = auto.text.match(/^JobcenterLoginsOk: ([0-9]+)$/m);
        assert.ok(ok, auto.text);
        assert.equal(Number(ok[1]), m.get('jobcenter_logins_total{result="ok"}'));
        assert.match(auto.text, /^JobcenterUnavailable503Overload: [1-9]/m);
    });

    logTest();
});
