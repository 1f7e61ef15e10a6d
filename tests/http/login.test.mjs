// POST /api/v1/login and GET /api/v1/me: success, cookie flags, case-
// insensitive e-mail, one answer (and similar timing) for unknown user and
// wrong password, unconfirmed accounts, session rotation, and throttling per
// account (JobcenterThrottleAccount 3 100 900 3600), per client address and
// the account lock (own Apache with JobcenterThrottleClient 4 900 900 and
// JobcenterThrottleAccount 1 2 1 3600).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep, median } from '../lib/util.mjs';
import {
    strongPassword, assertError, accountRows, registerUnconfirmed, registerAndConfirm,
    MSG_INVALID_CREDENTIALS
} from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';

// sleep until just after the next full second
const alignToSecond = () => sleep(1030 - (Date.now() % 1000));

const login = (env, l, p, opts) => env.client(opts).post('/api/v1/login', { login: l, password: p });

describe('login and /me (JobcenterThrottleAccount 3 100 900 3600)', () => {
    // the client-address limit is raised here so that the many deliberate
    // failures of this block never trip it; it has its own block below
    const h = useEnv({ sets: ['JobcenterThrottleAccount 3 100 900 3600', 'JobcenterThrottleClient 50 900 900'] });
    const users = {};

    test('set-up: register and confirm the accounts of this block', async () => {
        const env = h.env;
        const names = ['main', 'mixed', 'timing', 'throttle', 'throttle2', 'rotate', 'me'];
        await Promise.all(names.map(async (n) => {
            users[n] = await registerAndConfirm(env, uniqueEmail(n), strongPassword());
        }));
        users.unconfirmed = { email: uniqueEmail('unconfirmed'), password: strongPassword() };
        await registerUnconfirmed(env, users.unconfirmed.email, users.unconfirmed.password);
    });

    test('by e-mail: 200 mfa_setup_required, csrf_token, jc_session cookie HttpOnly SameSite=Lax Path=/', async () => {
        const env = h.env;
        const { email, password } = users.main;
        const c = env.client();
        const r = await c.post('/api/v1/login', { login: email, password });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'mfa_setup_required');
        assert.match(r.json.csrf_token, /^[A-Za-z0-9_-]{20,}$/);
        assert.equal(typeof r.json.expires_at, 'number');
        const now = Date.now() / 1000;
        assert.ok(r.json.expires_at > now + 43200 - 120 && r.json.expires_at < now + 43200 + 120,
            `expires_at ${r.json.expires_at} is not now + 12 h (default lifetime)`);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        assert.equal(r.cookies.length, 1, JSON.stringify(r.cookies));
        const ck = r.cookies[0];
        assert.equal(ck.name, 'jc_session', ck.raw);
        assert.match(ck.value, /^[A-Za-z0-9_-]{32,}$/);
        assert.equal(ck.attrs.httponly, true, ck.raw);
        assert.equal(ck.attrs.samesite, 'Lax', ck.raw);
        assert.equal(ck.attrs.path, '/', ck.raw);
        assert.equal(ck.attrs.secure, undefined, `no Secure on plain-http 127.0.0.1: ${ck.raw}`);
        assert.equal(ck.attrs['max-age'], undefined, `a session cookie: ${ck.raw}`);
        // the session works
        const me = await c.get('/api/v1/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.account.email, email);
    });

    test('e-mail is case-insensitive (and blanks around it are ignored)', async () => {
        const env = h.env;
        const { email, password } = users.mixed;
        const r = await login(env, email.toUpperCase(), password);
        assert.equal(r.status, 200, r.text);
        const r2 = await login(env, ` ${email.replace(/^./, (x) => x.toUpperCase())} `, password);
        assert.equal(r2.status, 200, r2.text);
    });

    test('wrong password and unknown user: the same 401 invalid_credentials, no cookie', async () => {
        const env = h.env;
        const wrong = await login(env, users.main.email, `${users.main.password}x`);
        assertError(wrong, 401, 'invalid_credentials');
        assert.equal(wrong.error.message, MSG_INVALID_CREDENTIALS);
        assert.deepEqual(wrong.cookies, []);
        const unknown = await login(env, uniqueEmail('nobody'), strongPassword());
        assertError(unknown, 401, 'invalid_credentials');
        assert.deepEqual(unknown.json, wrong.json, 'different answers tell the two cases apart');
        assert.deepEqual(unknown.cookies, []);
        const unknownName = await login(env, 'kein-benutzer', strongPassword());
        assertError(unknownName, 401, 'invalid_credentials');
        assert.deepEqual(unknownName.json, wrong.json);
        // the next right login resets the account's failure counter
        assert.equal((await login(env, users.main.email, users.main.password)).status, 200);
        assert.equal((await accountRows(env, users.main.email))[0].failed_logins, 0);
    });

    test('unknown user takes about as long as a wrong password (Argon2id in both cases)', async () => {
        const env = h.env;
        const { email, password } = users.timing;
        // warm up the connection and the server's workers
        await env.api.get('/api/v1/password-policy');
        await login(env, uniqueEmail('warmup'), password);
        // one round: 3 wrong passwords and 3 unknown users, interleaved,
        // compared by their medians. The machine may be shared (CI), so a
        // round spoiled by noise is repeated, up to 3 rounds; a real leak
        // (no Argon2id for unknown users: ~1 ms against ~30 ms) fails all.
        const rounds = [];
        for (let round = 0; round < 3; round++) {
            const wrong = [];
            const unknown = [];
            for (let i = 0; i < 3; i++) {
                const w = await login(env, email, `${password}-${i}`);
                assertError(w, 401, 'invalid_credentials');
                wrong.push(w.ms);
                const u = await login(env, uniqueEmail('ghost'), `${password}-${i}`);
                assertError(u, 401, 'invalid_credentials');
                unknown.push(u.ms);
                // a right login in between keeps the account below its throttle
                assert.equal((await login(env, email, password)).status, 200);
            }
            const mw = median(wrong);
            const mu = median(unknown);
            rounds.push(`round ${round + 1}: wrong password ${wrong.map((x) => x.toFixed(1))} ms (median ${mw.toFixed(1)}),`
                + ` unknown user ${unknown.map((x) => x.toFixed(1))} ms (median ${mu.toFixed(1)})`);
            if (mw >= 10 && mu >= 10 && mu >= 0.5 * mw) return;
        }
        assert.fail(`unknown user not within [0.5x, ...] of a wrong password, or under 10 ms:\n${rounds.join('\n')}`);
    });

    test('unconfirmed: right password -> 403 email_unconfirmed; wrong password -> 401', async () => {
        const env = h.env;
        const { email, password } = users.unconfirmed;
        const wrong = await login(env, email, `${password}x`);
        assertError(wrong, 401, 'invalid_credentials');
        const r = await login(env, email, password);
        assertError(r, 403, 'email_unconfirmed');
        assert.deepEqual(r.cookies, [], 'no session for an unconfirmed account');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM session s JOIN account a ON a.id = s.account_id
            WHERE a.email = ${lit(email)}`), 0);
    });

    test('account throttle: 3 free failures, the 4th blocks: the 5th attempt (right password) -> 429', async () => {
        // docs/configuration.md: "the first FREE consecutive failures cost
        // nothing, then each failure blocks further attempts for 1, 2, 4, …
        // seconds". JobcenterThrottleAccount 3 100 900 3600: failures 1-3 are
        // free, failure 4 blocks for 1 s.
        const env = h.env;
        const { email, password } = users.throttle;
        for (let i = 1; i <= 4; i++) {
            // delays are whole seconds: start the blocking failure just after
            // a second boundary so that its 1 s block cannot end before the
            // next attempt
            if (i === 4) await alignToSecond();
            assertError(await login(env, email, `wrong-${i}`), 401, 'invalid_credentials', `failure ${i} (no 429 yet)`);
        }
        const fifth = await login(env, email, password);
        assertError(fifth, 429, 'too_many_attempts', '5th attempt, right password, after 4 failures');
        assert.equal(fifth.headers.get('retry-after'), '1');
        assert.deepEqual(fifth.cookies, [], 'a session was issued while throttled');
    });

    test('account throttle: growing delay, 429 too_many_attempts + Retry-After, right password works after it', async () => {
        const env = h.env;
        const { email, password } = users.throttle2;
        const answers = [];
        let first = null;
        let blocked = null;
        // fail until a block of >= 2 s: then the right-password check below
        // cannot race the end of the block (delays are whole seconds)
        for (let i = 1; i <= 10 && !blocked; i++) {
            const r = await login(env, email, `wrong-${i}`);
            answers.push(`${r.status}${r.status === 429 ? `/${r.headers.get('retry-after')}` : ''}`);
            if (r.status !== 429) {
                assertError(r, 401, 'invalid_credentials', `attempt ${i}`);
                continue;
            }
            assertError(r, 429, 'too_many_attempts', `attempt ${i}`);
            const ra = r.headers.get('retry-after');
            assert.match(ra || '', /^[1-9]\d*$/, `Retry-After: ${ra}`);
            assert.match(r.error.message, new RegExp(`${ra} Sekunden`));
            if (!first) first = r;
            if (Number(ra) >= 2) blocked = r;
            else await sleep(Number(ra) * 1000 + 150);
        }
        assert.ok(first, `never throttled: ${answers}`);
        assert.ok(answers.indexOf(answers.find((a) => a.startsWith('429'))) >= 4,
            `throttled before the 3 free failures and the first blocking one: ${answers}`);
        assert.ok(Number(first.headers.get('retry-after')) <= 2, `first delay: ${answers}`);
        assert.ok(blocked, `the delay did not grow: ${answers}`);
        // even the right password is refused while blocked
        const right = await login(env, email, password);
        assertError(right, 429, 'too_many_attempts', `right password during the delay (${answers})`);
        assert.deepEqual(right.cookies, []);
        await sleep(Number(right.headers.get('retry-after')) * 1000 + 150);
        const ok = await login(env, email, password);
        assert.equal(ok.status, 200, `after waiting Retry-After: ${ok.text}`);
        assert.equal((await accountRows(env, email))[0].failed_logins, 0);
    });

    test('login with a session cookie issues a new cookie value; the old one stops working', async () => {
        const env = h.env;
        const { email, password } = users.rotate;
        const c = env.client();
        const r1 = await c.post('/api/v1/login', { login: email, password });
        assert.equal(r1.status, 200);
        const old = c.jar.get('jc_session');
        assert.ok(old);
        assert.equal((await c.get('/api/v1/me')).status, 200);
        const r2 = await c.post('/api/v1/login', { login: email, password });   // sends the old cookie
        assert.equal(r2.status, 200, r2.text);
        const fresh = c.jar.get('jc_session');
        assert.ok(fresh);
        assert.notEqual(fresh, old, 'the session id was not rotated');
        assert.notEqual(r2.json.csrf_token, r1.json.csrf_token);
        const oldClient = env.client();
        oldClient.jar.set('jc_session', old);
        const stale = await oldClient.get('/api/v1/me');
        assert.equal(stale.status, 401, `old cookie still valid: ${stale.text}`);
        assert.equal((await c.get('/api/v1/me')).status, 200);
    });

    test('GET /me with the cookie -> 200 account + session; without -> 401 not_authenticated', async () => {
        const env = h.env;
        const { email, password } = users.me;
        const c = env.client();
        const l = await c.post('/api/v1/login', { login: email, password });
        assert.equal(l.status, 200);
        const me = await c.get('/api/v1/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.headers.get('cache-control'), 'no-store');
        const { account, session, csrf_token: csrf } = me.json;
        assert.equal(account.email, email);
        assert.equal(account.email_confirmed, true);
        assert.equal(account.username, null);
        assert.equal(typeof account.id, 'number');
        assert.equal(typeof account.created_at, 'number');
        assert.equal(session.state, 'mfa_setup_required');
        assert.equal(session.expires_at, l.json.expires_at);
        assert.equal(session.idle_timeout, 1800);
        assert.equal(csrf, l.json.csrf_token);

        const anon = await env.client().get('/api/v1/me');
        assertError(anon, 401, 'not_authenticated');
        // a made-up cookie: 401 and the cookie is cleared
        const fake = env.client();
        fake.jar.set('jc_session', 'A'.repeat(43));
        const r = await fake.get('/api/v1/me');
        assertError(r, 401, 'not_authenticated');
        const cleared = r.cookies.find((x) => x.name === 'jc_session');
        assert.ok(cleared && cleared.attrs['max-age'] === '0', `cookie not cleared: ${JSON.stringify(r.cookies)}`);
        // the secure-name cookie is not accepted on plain http
        const other = env.client();
        other.jar.set('__Host-jc_session', c.jar.get('jc_session'));
        assertError(await other.get('/api/v1/me'), 401, 'not_authenticated');
    });

    test('login rejects requests without Origin (403) and non-JSON bodies (415)', async () => {
        const env = h.env;
        const { email, password } = users.main;
        assertError(await env.api.post('/api/v1/login', { login: email, password }, { origin: null }), 403, 'csrf_failed');
        assertError(await env.api.post('/api/v1/login', { login: email, password }, { origin: 'https://evil.example' }),
            403, 'csrf_failed');
        assertError(await env.api.post('/api/v1/login', null,
            { raw: JSON.stringify({ login: email, password }), contentType: 'text/plain' }), 415, 'unsupported_media_type');
    });
});

describe('client-address throttle (JobcenterThrottleClient 4 900 900) and account lock (JobcenterThrottleAccount 1 2 1 3600)', () => {
    const h = useEnv({ sets: ['JobcenterThrottleClient 4 900 900', 'JobcenterThrottleAccount 1 2 1 3600'] });

    test('account lock: after 2 (max) consecutive failures -> 429 account_locked, even for the right password', async () => {
        const env = h.env;
        const [victim, other] = await Promise.all([
            registerAndConfirm(env, uniqueEmail('lock'), strongPassword()),
            registerAndConfirm(env, uniqueEmail('lockother'), strongPassword())
        ]);
        const answers = [];
        let locked = null;
        for (let i = 1; i <= 6 && !locked; i++) {
            const r = await login(env, victim.email, `wrong-${i}`);
            answers.push(`${r.status} ${r.error && r.error.code}`);
            if (r.status === 429 && r.error.code === 'account_locked') locked = r;
            else if (r.status === 429) await sleep(Number(r.headers.get('retry-after')) * 1000 + 150);
            else assertError(r, 401, 'invalid_credentials', `attempt ${i}`);
        }
        assert.ok(locked, `no account_locked: ${answers}`);
        assert.equal(answers.filter((a) => a.startsWith('401')).length, 2, `failures before the lock: ${answers}`);
        const ra = Number(locked.headers.get('retry-after'));
        assert.ok(ra > 3500 && ra <= 3600, `Retry-After ${ra} (lock 3600 s)`);
        const right = await login(env, victim.email, victim.password);
        assertError(right, 429, 'account_locked', 'right password while locked');
        assert.deepEqual(right.cookies, []);
        // another account from the same address is not affected; its success
        // also clears this address's failure count for the tests below
        assert.equal((await login(env, other.email, other.password)).status, 200);
    });

    test('4 free failures on unknown users, the 5th blocks: the 6th attempt -> 429 too_many_attempts', async () => {
        // the same counting as per account: FREE failures cost nothing, the
        // next failure blocks (JobcenterThrottleClient 4 900 900)
        const env = h.env;
        for (let i = 1; i <= 5; i++) {
            if (i === 5) await alignToSecond();
            assertError(await login(env, uniqueEmail(`cl${i}`), strongPassword()), 401, 'invalid_credentials',
                `failure ${i} (no 429 yet)`);
        }
        const next = await login(env, uniqueEmail('cl6'), strongPassword());
        assertError(next, 429, 'too_many_attempts', '6th attempt after 5 failures');
        assert.equal(next.headers.get('retry-after'), '1');
    });

    test('growing delay per client: 429 too_many_attempts with Retry-After for any login from that address', async () => {
        // continues the failure series of the test before (blocked or not)
        const env = h.env;
        let blocked = null;
        const answers = [];
        for (let i = 1; i <= 6 && !blocked; i++) {
            const r = await login(env, uniqueEmail(`cm${i}`), strongPassword());
            answers.push(r.status);
            if (r.status === 429) blocked = r;
            else assertError(r, 401, 'invalid_credentials', `failure ${i}`);
        }
        assert.ok(blocked, `never throttled: ${answers}`);
        assertError(blocked, 429, 'too_many_attempts');
        const ra = Number(blocked.headers.get('retry-after'));
        assert.ok(ra >= 1, `Retry-After: ${blocked.headers.get('retry-after')}`);
        assert.match(blocked.error.message, new RegExp(`${ra} Sekunden`));
        const row = (await env.db.query("SELECT failures, blocked_until FROM login_throttle WHERE client_key = '127.0.0.1'"))[0];
        assert.ok(row && row.failures >= 5, `login_throttle row: ${JSON.stringify(row)}`);
        // the block is per client: the next login from here is refused
        // whatever the account (checked only when the block lasts >= 2 s, so
        // that a second boundary cannot end it in between)
        if (ra >= 2) {
            const r = await login(env, uniqueEmail('cm-any'), strongPassword());
            assertError(r, 429, 'too_many_attempts');
        }
    });
});

logTest();
