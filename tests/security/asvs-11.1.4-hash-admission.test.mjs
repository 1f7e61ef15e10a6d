// ASVS 4.0.3 V11.1.4 (anti-automation against excessive calls / denial of
// service): password hashing (Argon2id, ~20 ms of CPU and 19 MiB each) is
// admitted through a bounded gate per child (jc_hashgate). Before it, every
// parallel login or registration started its hash at once: 200 hashes on 2
// cores gave p50 of 11-29 s, starved the SQLite lock holder ("database is
// locked" 503s) and each child kept ~600 MB of Argon2 areas.
//
// With JobcenterHashConcurrency 1 and JobcenterHashQueue 1, a burst of
// parallel requests must get, for each request, the flow's own answer
// (200 / 401) or an immediate 503 service_busy with Retry-After and a German
// message -- never a 500, never "database is locked"; and a refused request
// must have changed nothing: no throttle count, no session, no account.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { lit } from '../lib/db.mjs';
import { uniqueEmail, waitUntil } from '../lib/util.mjs';
import { strongPassword, registerAndConfirm, registration, MSG_INVALID_CREDENTIALS } from '../lib/flows.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';

const PARALLEL = 24;
const BUSY_MSG = 'Der Dienst ist gerade stark ausgelastet. Bitte versuchen Sie es in wenigen Sekunden erneut.';

// n requests at once, each on its own connection; statuses counted
async function burst(n, send) {
    const t0 = Date.now();
    const res = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
    const by = {};
    for (const r of res) by[r.status] = (by[r.status] || 0) + 1;
    return { res, by, secs: (Date.now() - t0) / 1000 };
}

// every answer is one of `ok` or an admission 503; returns the 503 count
function assertAdmission(b, ok, what) {
    const note = `${what}: ${JSON.stringify(b.by)} in ${b.secs.toFixed(2)} s`;
    console.log(`# ${note}`);
    let busy = 0;
    for (const r of b.res) {
        if (r.status === 503) {
            busy++;
            assert.equal(r.error && r.error.code, 'service_busy', `503 that is not the admission's: ${r.text}; ${note}`);
            assert.equal(r.error.message, BUSY_MSG, note);
            assert.match(r.headers.get('retry-after') || '', /^[1-9][0-9]*$/, `503 without Retry-After; ${note}`);
            assert.equal(r.headers.get('set-cookie'), null, `a refused request set a cookie; ${note}`);
        } else {
            assert.ok(ok.includes(r.status), `unexpected ${r.status} ${r.text.slice(0, 200)}; ${note}`);
        }
    }
    return busy;
}

const fresh = (env) => env.client({ fresh: true });

describe('JobcenterHashConcurrency 1, JobcenterHashQueue 1 1000', () => {
    const h = useEnv({
        sets: ['JobcenterHashConcurrency 1', 'JobcenterHashQueue 1 1000',
            // the throttle must not be what refuses here
            'JobcenterThrottleAccount 99 100 900 3600', 'JobcenterThrottleClient 100000 900 900'],
        // one child (one gate), whatever the burst makes the MPM want
        extra: 'ServerLimit 1\nMaxRequestWorkers 25\n',
        allowLog: [/AH00484|AH10159/]
    });

    test(`login: ${PARALLEL} parallel wrong passwords -> 401 or 503 service_busy at once; `
        + 'only the 401s were counted (account and client address)', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('adm-wrong'), strongPassword());
        // warm-up (not asserted): the child's threads open their database
        // connections one after another (PostgreSQL: ~0.1 s each), which
        // would spread the first burst out
        await burst(PARALLEL, () => fresh(env).post('/api/v1/login', { login: 'nobody', password: 'x' }));
        await env.db.exec("DELETE FROM login_throttle WHERE client_key = '127.0.0.1'");
        const b = await burst(PARALLEL, () => fresh(env).post('/api/v1/login',
            { login: u.email, password: `${u.password}x` }));
        const busy = assertAdmission(b, [401], 'wrong passwords');
        const wrong = b.by[401] || 0;
        assert.ok(busy > 0, `no request was refused by the admission: ${JSON.stringify(b.by)}`);
        assert.ok(wrong > 0, `no request was admitted: ${JSON.stringify(b.by)}`);
        for (const r of b.res.filter((x) => x.status === 401)) {
            assert.equal(r.error.code, 'invalid_credentials');
            assert.equal(r.error.message, MSG_INVALID_CREDENTIALS);
        }
        const failed = await env.db.scalar(`SELECT failed_logins FROM account WHERE email = ${lit(u.email)}`);
        assert.equal(Number(failed), wrong, 'failed_logins must count the evaluated attempts only');
        const cli = await env.db.scalar("SELECT failures FROM login_throttle WHERE client_key = '127.0.0.1'");
        assert.equal(Number(cli), wrong, 'the client count must count the evaluated attempts only');
    });

    test(`login: ${PARALLEL} parallel right passwords -> 200 or 503 service_busy; `
        + 'one session per 200, none for a 503', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('adm-right'), strongPassword());
        const b = await burst(PARALLEL, () => fresh(env).post('/api/v1/login',
            { login: u.email, password: u.password }));
        const busy = assertAdmission(b, [200], 'right passwords');
        const ok = b.res.filter((r) => r.status === 200);
        assert.ok(busy > 0, `no request was refused by the admission: ${JSON.stringify(b.by)}`);
        assert.ok(ok.length > 0, `no request was admitted: ${JSON.stringify(b.by)}`);
        for (const r of ok) {
            assert.equal(r.json.state, 'mfa_setup_required', r.text);
            assert.ok(r.cookies.some((c) => c.name.endsWith('jc_session') && c.value), r.text);
        }
        const n = await env.db.scalar(`SELECT count(*) FROM session s JOIN account a ON a.id = s.account_id
            WHERE a.email = ${lit(u.email)}`);
        assert.equal(Number(n), ok.length, 'sessions differ from the 200 answers');
        const failed = await env.db.scalar(`SELECT failed_logins FROM account WHERE email = ${lit(u.email)}`);
        assert.equal(Number(failed), 0);
    });

    test(`re-authentication: ${PARALLEL} parallel wrong passwords -> 401 or 503 service_busy; `
        + 'only the 401s were counted', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'adm-reauth');
        const b = await burst(PARALLEL, () => u.c.post('/api/v1/security/reauth',
            { password: `${u.password}x` }, { csrf: true, fresh: true }));
        const busy = assertAdmission(b, [401], 'security/reauth');
        assert.ok(busy > 0, `no request was refused by the admission: ${JSON.stringify(b.by)}`);
        const failed = await env.db.scalar(`SELECT failed_logins FROM account WHERE id = ${u.id}`);
        assert.equal(Number(failed), b.by[401] || 0);
    });
});

describe('default admission (JobcenterHashQueue auto 1000): 200 concurrent registrations', () => {
    // 200 connections at once exceed the test config's MaxRequestWorkers
    // (150): Apache says so itself
    const h = useEnv({ sets: ['JobcenterHashQueue auto 1000'], allowLog: [/AH00484|AH10159/] });

    test('200 concurrent registrations -> 202 or 503 service_busy with Retry-After, never a lock 503 '
        + 'or a 500; an account exactly for each 202', async () => {
        const env = h.env;
        const emails = Array.from({ length: 200 }, (_, i) => uniqueEmail(`adm-reg${i}`));
        const b = await burst(200, (i) => fresh(env).post('/api/v1/register',
            registration(emails[i], strongPassword())));
        const lockLines = (env.errorLog().match(/database is locked/g) || []).length;
        console.log(`# "database is locked" lines in error.log: ${lockLines}`);
        assertAdmission(b, [202], '200 registrations');
        assert.ok((b.by[202] || 0) > 0, 'no registration was admitted');
        const list = emails.map(lit).join(', ');
        const rows = await env.db.query(`SELECT email FROM account WHERE email IN (${list})`);
        const accepted = new Set(b.res.map((r, i) => (r.status === 202 ? emails[i] : null)).filter(Boolean));
        assert.deepEqual(new Set(rows.map((r) => r.email)), accepted, 'accounts differ from the 202 answers');
        assert.equal(lockLines, 0, '"database is locked" in error.log');
        // let the outbox send the confirmation mails before the stop (a stop
        // in the middle of a delivery run is mail.test.mjs's subject). Up to
        // 150 s: a mail claimed by a child that Apache retires after the
        // burst waits for its claim's lease (120 s) before another child
        // takes it over (seen once on PostgreSQL: 73 mails not out in 100 s)
        await waitUntil(async () => Number(await env.db.scalar(
            'SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL')) === 0,
        { timeoutMs: 150000, intervalMs: 200, what: 'the outbox to send the confirmation mails' });
    });
});

logTest();
