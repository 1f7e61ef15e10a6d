// ASVS 4.0.3 V2.2.1 (anti-automation: brute force is limited) under
// concurrency: many attempts for ONE account / key sent at the same time
// must not be evaluated more often than the throttle allows. Before the
// fix every limit read the counter, evaluated (Argon2, the code) and wrote
// the count afterwards: 40 parallel wrong passwords were all evaluated
// (40 x 401, no 429) and the counter ended at 6.
//
// Each test sends PARALLEL (48) attempts at once, then asserts:
//   - evaluated answers (401 / 404 / 202 / 200) <= what the limit allows,
//   - every other answer is 429 with Retry-After (no 5xx),
//   - the counter in the database equals the number evaluated.
// Limits with a hard stop are configured so the allowance does not depend
// on timing (JobcenterThrottleAccount 3 4 ...: the 4th counted failure
// locks for an hour). The per-client throttle has only growing delays
// (1, 2, 4 s ...), so its allowance grows with the seconds the burst took:
// FREE + 1 + floor(log2(seconds + 1)).
import { WORKER } from '../lib/worker.mjs';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'otplib';
import { useEnv, logTest, TOP } from '../lib/env.mjs';
import { lit } from '../lib/db.mjs';
import { uniqueEmail, freePort, run, sha256hex, nowSec } from '../lib/util.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';
import { authenticatedCitizen, newCode, groupCode } from '../lib/fixtures.mjs';
import { Apache, generateConfig } from '../lib/apache.mjs';
import { openPath } from '../lib/pg.mjs';
import { SoftAuthenticator } from '../lib/webauthn.mjs';
import { Client } from '../lib/http.mjs';

const PARALLEL = 48;
const ACCT_FREE = 3;
const ACCT_MAX = 4;        // the 4th counted failure locks the account
const CLI_FREE = 2;
const RESET_PER_ADDRESS = 3;
const LOOKUP_MAX = 5;

// Send n requests at once (each on its own connection); count statuses.
async function burst(n, send) {
    const t0 = Date.now();
    const res = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
    const secs = (Date.now() - t0) / 1000;
    const by = {};
    for (const r of res) by[r.status] = (by[r.status] || 0) + 1;
    return { res, by, secs };
}

// Every answer is `ok` (evaluated) or 429 with Retry-After; at most `max`
// evaluated. Returns the number evaluated.
function assertBurst(b, ok, max, what) {
    const evaluated = b.by[ok] || 0;
    const refused = b.by[429] || 0;
    const note = `${what}: ${JSON.stringify(b.by)} in ${b.secs.toFixed(2)} s`;
    assert.equal(evaluated + refused, b.res.length, `only ${ok} and 429 expected; ${note}`);
    assert.ok(evaluated <= max, `${evaluated} attempts evaluated, the limit allows ${max}; ${note}`);
    assert.ok(evaluated >= 1, `nothing evaluated; ${note}`);
    for (const r of b.res) {
        if (r.status === 429) {
            assert.match(r.headers.get('retry-after') || '', /^[1-9][0-9]*$/, `429 without Retry-After; ${note}`);
            assert.ok(r.error && r.error.code && r.error.message, `429 without an error body; ${note}`);
        }
    }
    console.log(`# ${note}; limit ${max}`);
    return evaluated;
}

// growing delays only: FREE free failures, then 1, 2, 4 ... seconds. The
// server counts whole epoch seconds (blocked_until = now + delay), so a
// burst of `secs` can cross floor(secs) + 1 second boundaries, and after B
// boundaries at most floor(log2(B + 1)) delays have run out.
const clientAllowance = (free, secs) => free + 1 + Math.floor(Math.log2(Math.floor(secs) + 2));

const fresh = (env) => env.client({ fresh: true });

describe('account limits (JobcenterThrottleAccount 3 4 900 3600)', () => {
    const h = useEnv({
        sets: [`JobcenterThrottleAccount ${ACCT_FREE} ${ACCT_MAX} 900 3600`,
            'JobcenterThrottleClient 100000 900 900',
            `JobcenterPasswordResetLimit ${RESET_PER_ADDRESS} 100000 3600`,
            `JobcenterPostcodeLookupLimit ${LOOKUP_MAX} 3600`]
    });

    test(`login: ${PARALLEL} parallel wrong passwords for one account -> at most ${ACCT_MAX} evaluated, `
        + 'the rest 429; failed_logins = number evaluated; the right password is then refused too', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('thr-login'), strongPassword());
        const b = await burst(PARALLEL, () => fresh(env).post('/api/v1/login',
            { login: u.email, password: `${u.password}x` }));
        const n = assertBurst(b, 401, ACCT_MAX, 'login');
        const failed = await env.db.scalar(`SELECT failed_logins FROM account WHERE email = ${lit(u.email)}`);
        assert.equal(Number(failed), n, 'failed_logins differs from the attempts evaluated');
        const r = await env.client().post('/api/v1/login', { login: u.email, password: u.password });
        assert.equal(r.status, 429, r.text);
        assert.equal(r.error.code, 'account_locked');
    });

    test('login: parallel RIGHT passwords of an un-blocked account all succeed; the count stays 0', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('thr-ok'), strongPassword());
        // fewer than FREE at once: every one may be evaluated and succeeds
        const b = await burst(ACCT_FREE, () => fresh(env).post('/api/v1/login',
            { login: u.email, password: u.password }));
        assert.deepEqual(b.by, { 200: ACCT_FREE });
        const failed = await env.db.scalar(`SELECT failed_logins FROM account WHERE email = ${lit(u.email)}`);
        assert.equal(Number(failed), 0);
    });

    test(`re-authentication: ${PARALLEL} parallel wrong passwords -> at most ${ACCT_MAX} evaluated`, async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'thr-reauth');
        const b = await burst(PARALLEL, () => u.c.post('/api/v1/security/reauth',
            { password: `${u.password}x` }, { csrf: true, fresh: true }));
        const n = assertBurst(b, 401, ACCT_MAX, 'security/reauth');
        assert.equal(Number(await env.db.scalar(`SELECT failed_logins FROM account WHERE id = ${u.id}`)), n);
    });

    test(`konto/passwort: ${PARALLEL} parallel wrong current passwords -> at most ${ACCT_MAX} evaluated; `
        + 'the password is unchanged', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'thr-konto');
        const hash = await env.db.scalar(`SELECT password_hash FROM account WHERE id = ${u.id}`);
        const pw = strongPassword();
        const b = await burst(PARALLEL, () => u.c.post('/api/v1/konto/passwort',
            { current_password: `${u.password}x`, password: pw, password_repeat: pw },
            { csrf: true, fresh: true }));
        const n = assertBurst(b, 401, ACCT_MAX, 'konto/passwort');
        assert.equal(Number(await env.db.scalar(`SELECT failed_logins FROM account WHERE id = ${u.id}`)), n);
        assert.equal(await env.db.scalar(`SELECT password_hash FROM account WHERE id = ${u.id}`), hash);
    });

    test(`TOTP: ${PARALLEL} parallel wrong codes for one account -> at most ${ACCT_MAX} evaluated; `
        + 'failed_codes = number evaluated', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'thr-totp');
        const c = env.client({ fresh: true });
        const r = await c.post('/api/v1/login', { login: u.email, password: u.password });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'mfa_required', r.text);
        const valid = new Set(await Promise.all([-2, -1, 0, 1, 2].map((d) =>
            generate({ secret: u.secret, epoch: nowSec() + d * 30 }))));
        const wrong = ['000000', '111111', '222222', '333333'].find((x) => !valid.has(x));
        const b = await burst(PARALLEL, () => c.post('/api/v1/mfa/totp/verify', { code: wrong }, { csrf: true }));
        const n = assertBurst(b, 401, ACCT_MAX, 'mfa/totp/verify');
        const f = await env.db.scalar(`SELECT failed_codes FROM totp_factor WHERE account_id = ${u.id}`);
        assert.equal(Number(f), n, 'failed_codes differs from the codes evaluated');
        const me = await c.get('/api/v1/me');
        assert.equal(me.json.session.state, 'mfa_required', 'the session moved on');
    });

    test(`Freischaltcode: ${PARALLEL} parallel unknown codes for one account -> at most ${ACCT_MAX} `
        + 'evaluated; the fsc-a: count = number evaluated; no profile bound', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'thr-fsc');
        const b = await burst(PARALLEL, () => u.c.post('/api/v1/freischaltcode',
            { code: groupCode(newCode()) }, { csrf: true, fresh: true }));
        const n = assertBurst(b, 404, ACCT_MAX, 'freischaltcode');
        const f = await env.db.scalar(`SELECT failures FROM login_throttle WHERE client_key = ${lit(`fsc-a:${u.id}`)}`);
        assert.equal(Number(f), n, 'the fsc-a: count differs from the codes evaluated');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM customer WHERE account_id = ${u.id}`)), 0);
    });

    test(`password/forgot: ${PARALLEL} parallel requests for one address -> at most ${RESET_PER_ADDRESS} `
        + 'accepted and mailed; the pwr-m: count = number accepted', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('thr-reset'), strongPassword());
        const b = await burst(PARALLEL, () => fresh(env).post('/api/v1/password/forgot', { email: u.email }));
        const n = assertBurst(b, 202, RESET_PER_ADDRESS, 'password/forgot');
        const key = `pwr-m:${sha256hex(u.email)}`;
        assert.equal(Number(await env.db.scalar(`SELECT failures FROM login_throttle WHERE client_key = ${lit(key)}`)), n);
        const mails = await env.db.scalar(`SELECT count(*) FROM mail_outbox WHERE rcpt = ${lit(u.email)} `
            + `AND subject = ${lit('Neues Passwort festlegen')}`);
        assert.equal(Number(mails), n, 'a refused request queued a mail');
    });

    test(`jobcenter/suche: ${PARALLEL} parallel look-ups -> at most ${LOOKUP_MAX} answered; `
        + 'the plz-ip: count = number answered', async () => {
        const env = h.env;
        const b = await burst(PARALLEL, () => fresh(env).get('/api/v1/jobcenter/suche?plz=99999'));
        const n = assertBurst(b, 404, LOOKUP_MAX, 'jobcenter/suche');
        const f = await env.db.scalar(`SELECT failures FROM login_throttle WHERE client_key = ${lit('plz-ip:127.0.0.1')}`);
        assert.equal(Number(f), n, 'refused look-ups were counted');
    });

    test('two Apache nodes on one PostgreSQL database: the account limit holds across both', async (t) => {
        const env = h.env;
        if (env.dbKind !== 'pgsql') {
            t.skip('PostgreSQL only (SQLite is one file of one node)');
            return;
        }
        const root = fs.mkdtempSync(path.join(process.env.JC_TMP || os.tmpdir(), 'env-node2-'));
        openPath(root);
        const port = await freePort();
        const apacheRoot = path.join(root, 'apache');
        const args = ['--root', apacheRoot, '--port', String(port), '--db', 'pgsql', '--mail', 'spool',
            '--pg-params', `host=${env.pg.host} port=${env.pg.port} dbname=${env.pg.dbname} user=jc`];
        for (const s of h.opts.sets) args.push('--set', s);
        const conf = await generateConfig(TOP, args);
        await run('chown', ['-R', WORKER.owner, path.join(apacheRoot, 'mail')], { check: false });
        openPath(path.join(apacheRoot, 'logs'));
        const node2 = new Apache({ conf, root: apacheRoot, port });
        await node2.start();
        try {
            const u = await registerAndConfirm(env, uniqueEmail('thr-2node'), strongPassword());
            const base2 = `http://127.0.0.1:${port}`;
            // every other request to the second node
            const b = await burst(PARALLEL, (i) => (i % 2 ? fresh(env) : new Client(base2, { fresh: true }))
                .post('/api/v1/login', { login: u.email, password: `${u.password}x` }));
            const n = assertBurst(b, 401, ACCT_MAX, 'login, two nodes');
            assert.equal(Number(await env.db.scalar(`SELECT failed_logins FROM account WHERE email = ${lit(u.email)}`)), n);
        } finally {
            await node2.stop();
        }
    });
});

describe('per-client limits (JobcenterThrottleClient 2 900 900)', () => {
    const h = useEnv({ sets: [`JobcenterThrottleClient ${CLI_FREE} 900 900`] });

    test(`login: ${PARALLEL} parallel attempts for unknown users from one address -> at most `
        + 'FREE + 1 (+1 per elapsed delay) evaluated; the client count = number evaluated', async () => {
        const env = h.env;
        const b = await burst(PARALLEL, (i) => fresh(env).post('/api/v1/login',
            { login: uniqueEmail(`thr-nobody${i}`), password: 'Falsch-1234567!' }));
        const n = assertBurst(b, 401, clientAllowance(CLI_FREE, b.secs), 'login per client');
        const f = await env.db.scalar(`SELECT failures FROM login_throttle WHERE client_key = ${lit('127.0.0.1')}`);
        assert.equal(Number(f), n, 'the client count differs from the attempts evaluated');
    });

    test(`passwordless passkey login: ${PARALLEL} parallel unknown passkeys from one address -> at most `
        + 'FREE + 1 (+1 per elapsed delay) evaluated; the pk: count = number evaluated', async () => {
        const env = h.env;
        const stranger = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        stranger.create({ challenge: 'AAAA', pubKeyCredParams: [{ alg: -7 }], user: { id: 'AAAA' } });
        // one challenge per attempt, fetched first
        const opts = [];
        for (let i = 0; i < PARALLEL; i++) {
            const c = env.client();
            const o = await c.post('/api/v1/passkey/login/options', {});
            assert.equal(o.status, 200, o.text);
            opts.push({ c, o });
        }
        const b = await burst(PARALLEL, (i) => opts[i].c.post('/api/v1/passkey/login/verify',
            stranger.get(opts[i].o.json), { fresh: true }));
        const n = assertBurst(b, 401, clientAllowance(CLI_FREE, b.secs), 'passkey/login/verify');
        const f = await env.db.scalar(`SELECT failures FROM login_throttle WHERE client_key = ${lit('pk:127.0.0.1')}`);
        assert.equal(Number(f), n, 'the pk: count differs from the attempts evaluated');
    });
});

logTest();
