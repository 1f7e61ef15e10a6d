// Sessions: the cookie name and flags on a plain-http 127.0.0.1 base URL and
// logout with CSRF protection (default timeouts), the idle timeout
// (JobcenterSessionIdle 3, lifetime 60) and the absolute lifetime (idle 3,
// lifetime 4). Three Apaches; the timeout tests mostly wait, so they run
// side by side.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { useEnv, startEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep } from '../lib/util.mjs';
import { strongPassword, assertError, registerAndConfirm } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';

async function loggedIn(env, user) {
    const c = env.client();
    const r = await c.post('/api/v1/login', { login: user.email, password: user.password });
    assert.equal(r.status, 200, r.text);
    return { c, login: r, token: c.jar.get('jc_session'), csrf: r.json.csrf_token };
}

const tokenHash = (t) => crypto.createHash('sha256').update(t).digest('hex');

const sessionRows = (env, email) => env.db.scalar(
    `SELECT count(*) FROM session s JOIN account a ON a.id = s.account_id WHERE a.email = ${lit(email)}`);

describe('sessions', () => {
    // the base URL is given explicitly: gen-config then writes
    // JobcenterCookieSecure Off (the documented localhost relaxation).
    // Default timeouts here: a slow (shared) machine must not expire these.
    const h = useEnv({ baseUrl: (port) => `http://127.0.0.1:${port}` });
    const hIdle = useEnv({ sets: ['JobcenterSessionIdle 3', 'JobcenterSessionLifetime 60'] });
    const hLife = useEnv({ sets: ['JobcenterSessionIdle 3', 'JobcenterSessionLifetime 4'] });
    let user;
    let idleUser;
    let lifeUser;

    before(async () => {
        [user, idleUser, lifeUser] = await Promise.all([
            registerAndConfirm(h.env, uniqueEmail('sess'), strongPassword()),
            registerAndConfirm(hIdle.env, uniqueEmail('idle'), strongPassword()),
            registerAndConfirm(hLife.env, uniqueEmail('life'), strongPassword())
        ]);
    });

    describe('cookie and logout', { concurrency: 1 }, () => {
        test('gen-config wrote JobcenterCookieSecure Off for the http://127.0.0.1 base URL', () => {
            assert.match(fs.readFileSync(h.env.conf, 'utf8'),
                new RegExp(`JobcenterBaseURL http://127\\.0\\.0\\.1:${h.env.port}\\n[^]*JobcenterCookieSecure Off`));
        });

        test('cookie on http://127.0.0.1 base URL: jc_session, HttpOnly, SameSite=Lax, Path=/, no Secure', async () => {
            const { login } = await loggedIn(h.env, user);
            const ck = login.cookies.find((x) => x.name === 'jc_session');
            assert.ok(ck, `cookies: ${login.cookies.map((x) => x.raw)}`);
            assert.equal(login.cookies.some((x) => x.name.startsWith('__Host-')), false);
            assert.equal(ck.attrs.secure, undefined, ck.raw);
            assert.equal(ck.attrs.httponly, true, ck.raw);
            assert.equal(ck.attrs.samesite, 'Lax', ck.raw);
            assert.equal(ck.attrs.path, '/', ck.raw);
            assert.equal(ck.attrs.domain, undefined, ck.raw);
        });

        test('other host names get __Host-jc_session with Secure (the relaxation is for localhost only)', async () => {
            const env = h.env;
            const c = env.client({ fresh: true });
            const r = await c.post('/api/v1/login', { login: user.email, password: user.password },
                { headers: { Host: 'jobcenter.example' } });
            assert.equal(r.status, 200, r.text);
            const ck = r.cookies.find((x) => x.name === '__Host-jc_session');
            assert.ok(ck, `cookies: ${r.cookies.map((x) => x.raw)}`);
            assert.equal(ck.attrs.secure, true, ck.raw);
            assert.equal(ck.attrs.httponly, true, ck.raw);
            assert.equal(ck.attrs.samesite, 'Lax', ck.raw);
            assert.equal(ck.attrs.path, '/', ck.raw);
            assert.equal(ck.attrs.domain, undefined, ck.raw);
            assert.equal(r.cookies.some((x) => x.name === 'jc_session'), false);
            // that cookie works under that host name, the plain name does not
            const me = await c.get('/api/v1/me', { headers: { Host: 'jobcenter.example' } });
            assert.equal(me.status, 200, me.text);
            const plain = env.client({ fresh: true });
            plain.jar.set('jc_session', ck.value);
            assertError(await plain.get('/api/v1/me', { headers: { Host: 'jobcenter.example' } }), 401, 'not_authenticated');
        });

        test('logout without X-CSRF-Token -> 403 csrf_failed (session kept)', async () => {
            const env = h.env;
            const { c } = await loggedIn(env, user);
            const r = await c.post('/api/v1/logout', null);
            assertError(r, 403, 'csrf_failed');
            assert.equal((await c.get('/api/v1/me')).status, 200, 'session gone after a refused logout');
        });

        test('logout with a wrong token -> 403 csrf_failed; without Origin -> 403', async () => {
            const env = h.env;
            const { c, csrf } = await loggedIn(env, user);
            assertError(await c.post('/api/v1/logout', null, { csrf: 'A'.repeat(43) }), 403, 'csrf_failed');
            assertError(await c.post('/api/v1/logout', null, { csrf: csrf.slice(0, -1) }), 403, 'csrf_failed');
            assertError(await c.post('/api/v1/logout', null, { csrf, origin: null }), 403, 'csrf_failed');
            assertError(await c.post('/api/v1/logout', null, { csrf, origin: 'https://evil.example' }), 403, 'csrf_failed');
            // another session's token is not this session's token
            const other = await loggedIn(env, user);
            assertError(await c.post('/api/v1/logout', null, { csrf: other.csrf }), 403, 'csrf_failed');
            assert.equal((await c.get('/api/v1/me')).status, 200);
        });

        test('logout with the right token + Origin -> 204, cookie cleared, old cookie then 401', async () => {
            const env = h.env;
            const { c, token, csrf } = await loggedIn(env, user);
            const row = `SELECT count(*) FROM session WHERE id_hash = ${lit(tokenHash(token))}`;
            assert.equal(await env.db.scalar(row), 1);
            const r = await c.post('/api/v1/logout', null, { csrf });
            assert.equal(r.status, 204, r.text);
            assert.equal(r.text, '');
            const ck = r.cookies.find((x) => x.name === 'jc_session');
            assert.ok(ck, `no Set-Cookie on logout: ${r.cookies.map((x) => x.raw)}`);
            assert.equal(ck.value, '');
            assert.equal(ck.attrs['max-age'], '0', ck.raw);
            assert.equal(ck.attrs.path, '/', ck.raw);
            assert.equal(await env.db.scalar(row), 0, 'session row not deleted');
            const old = env.client();
            old.jar.set('jc_session', token);
            const me = await old.get('/api/v1/me');
            assertError(me, 401, 'not_authenticated');
            // logging out again with the dead cookie: 401, not 204
            const again = await old.post('/api/v1/logout', null, { csrf });
            assertError(again, 401, 'not_authenticated');
        });

        test('logout with a JSON body (as the portal sends it) also works', async () => {
            const { c, csrf } = await loggedIn(h.env, user);
            const r = await c.post('/api/v1/logout', {}, { csrf });
            assert.equal(r.status, 204, r.text);
        });

    });

    describe('timeouts, side by side', { concurrency: true }, () => {
        test('idle timeout: /me works, 4.5 s idle -> 401 session_expired, row deleted', async () => {
            const env = hIdle.env;
            const { c, token } = await loggedIn(env, idleUser);
            const me = await c.get('/api/v1/me');
            assert.equal(me.status, 200, me.text);
            assert.equal(me.json.session.idle_timeout, 3);
            const row = `SELECT count(*) FROM session WHERE id_hash = ${lit(tokenHash(token))}`;
            assert.equal(await env.db.scalar(row), 1, 'no session row under SHA-256(cookie)');
            await sleep(4500);
            const r = await c.get('/api/v1/me');
            assertError(r, 401, 'session_expired');
            const ck = r.cookies.find((x) => x.name === 'jc_session');
            assert.ok(ck && ck.attrs['max-age'] === '0', 'expired cookie not cleared');
            assert.equal(await env.db.scalar(row), 0, 'the expired session row is still there');
            // a second use of the same cookie: simply unknown now
            const again = env.client();
            again.jar.set('jc_session', token);
            assertError(await again.get('/api/v1/me'), 401, 'not_authenticated');
        });

        test('sliding idle timeout: /me about every second keeps a 3 s idle session alive for 5.5 s', async () => {
            const env = hIdle.env;
            const { c } = await loggedIn(env, idleUser);
            const t0 = Date.now();
            const seen = [];
            while (Date.now() - t0 < 5500) {
                const r = await c.get('/api/v1/me');
                seen.push(`${((Date.now() - t0) / 1000).toFixed(1)}s:${r.status}`);
                assert.equal(r.status, 200, `expired although used all the time: ${seen.join(' ')} ${r.text}`);
                await sleep(700);
            }
        });

        test('absolute lifetime 4 s: /me every second keeps it from idling, still 401 session_expired after ~4-5 s', async () => {
            const env = hLife.env;
            const { c, login } = await loggedIn(env, lifeUser);
            const t0 = Date.now();
            assert.ok(login.json.expires_at - Date.now() / 1000 <= 4.5);
            let last = null;
            const seen = [];
            while (Date.now() - t0 < 8000) {
                last = await c.get('/api/v1/me');
                seen.push(`${((Date.now() - t0) / 1000).toFixed(1)}s:${last.status}`);
                if (last.status !== 200) break;
                await sleep(1000);
            }
            const elapsed = (Date.now() - t0) / 1000;
            assertError(last, 401, 'session_expired', seen.join(' '));
            assert.ok(elapsed >= 2.9 && elapsed <= 6.5, `ended after ${elapsed} s: ${seen.join(' ')}`);
            assert.ok(seen.filter((s) => s.endsWith(':200')).length >= 2, `kept alive too briefly: ${seen.join(' ')}`);
            assert.equal(await sessionRows(env, lifeUser.email), 0, 'expired session row not deleted');
        });
    });

    describe('configuration check', () => {
        test('JobcenterSessionLifetime shorter than JobcenterSessionIdle is refused at start', async () => {
            let env = null;
            let err = null;
            try {
                env = await startEnv({ sets: ['JobcenterSessionIdle 10', 'JobcenterSessionLifetime 5'], waitReady: true });
            } catch (e) {
                err = e;
            } finally {
                if (env) await env.stop();
            }
            assert.ok(err, 'Apache started with lifetime < idle');
            assert.match(err.message, /JobcenterSessionLifetime must not be shorter than JobcenterSessionIdle/);
        });
    });
});

logTest();
