// The one-time password of `jobcenter-admin staff-add` over HTTP: it is
// only good for the forced change of the letter flow's machinery (session
// state password_change_required, POST /api/v1/onetime/password); staff
// routes and pages are refused until then; a weak password or the one-time
// password itself is refused in German and changes nothing; after the
// change a staff account (it has a confirmed address) goes to the second
// factor's set-up, not to the e-mail step; the one-time password stops
// working; an expired one answers 401 onetime_expired; --valid-days;
// `staff-password` gives a new one-time password (sessions end, the second
// factor stays: after the change the login asks for the code).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv } from '../lib/env.mjs';
import { lit } from '../lib/db.mjs';
import { nowSec, sessionCacheSettled } from '../lib/util.mjs';
import { strongPassword, assertError, addTotp, MSG_INVALID_CREDENTIALS } from '../lib/flows.mjs';
import { admin, adminOk, addJobcenter, addStaff } from '../lib/staff.mjs';

const JC = 'Jobcenter Rems-Murr';
const browser = { Accept: 'text/html,application/xhtml+xml' };

async function accountRow(env, id) {
    const [a] = await env.db.query('SELECT password_hash, password_change_required, onetime_expires_at, '
        + `email, email_confirmed_at FROM account WHERE id = ${id}`);
    return a;
}

describe('staff-add: one-time password, forced change at the first login', () => {
    const h = useEnv();
    const s = {};

    test('staff-add stores the account with a pending change and its expiry (default 30 days, --valid-days)', async () => {
        const env = h.env;
        await addJobcenter(env, JC, ['71332']);
        const t0 = nowSec();
        s.sb = await addStaff(env, JC, { tag: 'first', firstLogin: false });
        const a = await accountRow(env, s.sb.id);
        assert.equal(Number(a.password_change_required), 1);
        assert.ok(Number(a.onetime_expires_at) >= t0 + 30 * 86400 && Number(a.onetime_expires_at) <= nowSec() + 30 * 86400,
            `onetime_expires_at ${a.onetime_expires_at}`);
        assert.ok(Number(a.email_confirmed_at) > 0);
        assert.match(s.sb.validUntil, /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
        const short = await addStaff(env, JC, { tag: 'short', firstLogin: false, extra: ['--valid-days', '2'] });
        const b = await accountRow(env, short.id);
        assert.ok(Math.abs(Number(b.onetime_expires_at) - (nowSec() + 2 * 86400)) < 120);
        for (const bad of ['0', '366', 'x', '']) {
            const r = await admin(env, ['staff-add', '--jobcenter', JC, '--email', `bad${bad}@jobcenter.example`,
                '--name', 'N', '--team', 'leistung', '--role', 'sachbearbeitung', '--valid-days', bad]);
            assert.equal(r.code, 2, `--valid-days ${bad}: ${r.stderr}`);
            assert.match(r.stderr, /--valid-days: a number of days from 1 to 365/);
        }
        assert.equal(Number(await env.db.scalar("SELECT count(*) FROM account WHERE email LIKE 'bad%'")), 0);
        const help = await admin(env, ['help'], { db: false });
        assert.match(help.stdout, /staff-add [\s\S]*\[--valid-days N\]\s+\(default 30\)[\s\S]*replaced/);
    });

    test('login with the one-time password: password_change_required; staff routes and pages refused', async () => {
        const env = h.env;
        const c = env.client();
        const r = await c.post('/api/v1/login', { login: s.sb.email, password: s.sb.onetimePassword });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'password_change_required');
        const me = await c.get('/api/v1/me');
        assert.equal(me.json.session.state, 'password_change_required');
        assert.equal(me.json.account.email, s.sb.email);
        assertError(await c.get('/api/v1/staff/me'), 403, 'state_insufficient');
        assertError(await c.get('/api/v1/staff/customers?q='), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/onetime/email', { email: 'x@example.org', accept_email: true },
            { csrf: true }), 403, 'state_insufficient');
        const pg = await c.get('/sachbearbeitung/', { headers: browser });
        assert.equal(pg.status, 303);
        assert.match(pg.headers.get('location'), /^\/anmeldung\.html\?ziel=%2Fsachbearbeitung%2F/);
        s.c = c;
    });

    test('weak or identical new password: German 422, nothing changed', async () => {
        const env = h.env;
        const before = await accountRow(env, s.sb.id);
        const same = await s.c.post('/api/v1/onetime/password', { password: s.sb.onetimePassword,
            password_repeat: s.sb.onetimePassword }, { csrf: true });
        assertError(same, 422, 'password_same');
        assert.equal(same.error.message,
            'Das neue Passwort darf nicht Ihr Einmal-Passwort sein. Bitte wählen Sie ein eigenes Passwort.');
        const weak = await s.c.post('/api/v1/onetime/password', { password: 'kurz', password_repeat: 'anders' },
            { csrf: true });
        assertError(weak, 422, 'validation_failed');
        assert.ok(weak.error.details.some((d) => d.code === 'password_length' && /Zeichen/.test(d.message)));
        assert.ok(weak.error.details.some((d) => d.code === 'password_repeat'));
        const noSpecial = await s.c.post('/api/v1/onetime/password', { password: 'Abcdefgh12345',
            password_repeat: 'Abcdefgh12345' }, { csrf: true });
        assertError(noSpecial, 422, 'validation_failed');
        assert.deepEqual(await accountRow(env, s.sb.id), before);
        const me = await s.c.get('/api/v1/me');
        assert.equal(me.json.session.state, 'password_change_required');
    });

    test('the change goes to the second factor (not the e-mail step); then staff routes work; the one-time password is gone', async () => {
        const env = h.env;
        s.sb.password = strongPassword();
        const r = await s.c.post('/api/v1/onetime/password', { password: s.sb.password,
            password_repeat: s.sb.password }, { csrf: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'mfa_setup_required');
        const a = await accountRow(env, s.sb.id);
        assert.equal(Number(a.password_change_required), 0);
        assert.equal(a.onetime_expires_at, null);
        assert.equal(a.email, s.sb.email, 'the address stays');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM event WHERE account_id = ${s.sb.id} `
            + "AND kind = 'onetime_password_replaced'")), 1);
        // still no staff route before the second factor
        assertError(await s.c.get('/api/v1/staff/me'), 403, 'state_insufficient');
        s.sb.step = Math.floor(nowSec() / 30);
        s.sb.secret = (await addTotp(s.c, { epoch: s.sb.step * 30 })).secret;
        const me = await s.c.get('/api/v1/staff/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.display_name, 'Staff first');
        const pg = await s.c.get('/sachbearbeitung/', { headers: browser });
        assert.equal(pg.status, 200);
        // a second change is refused
        assertError(await s.c.post('/api/v1/onetime/password', { password: strongPassword().replace('Aa', 'Bb'),
            password_repeat: 'x' }, { csrf: true }), 409, 'password_change_not_required');
        // the one-time password no longer works; the own one with the code does
        const old = await env.api.post('/api/v1/login', { login: s.sb.email, password: s.sb.onetimePassword });
        assertError(old, 401, 'invalid_credentials');
        assert.equal(old.error.message, MSG_INVALID_CREDENTIALS);
        // the own password logs in (to the code; the TOTP steps are saved for below)
        const own = await env.api.post('/api/v1/login', { login: s.sb.email, password: s.sb.password });
        assert.equal(own.status, 200, own.text);
        assert.equal(own.json.state, 'mfa_required');
    });

    test('expired one-time password: 401 onetime_expired (German), only with the right password; nothing stored', async () => {
        const env = h.env;
        const x = await addStaff(env, JC, { tag: 'late', firstLogin: false });
        await env.db.exec(`UPDATE account SET onetime_expires_at = ${nowSec() - 1} WHERE id = ${x.id}`);
        const r = await env.api.post('/api/v1/login', { login: x.email, password: x.onetimePassword });
        assertError(r, 401, 'onetime_expired');
        assert.equal(r.error.message, 'Ihr Einmal-Passwort ist abgelaufen. Bitte wenden Sie sich an die '
            + 'Administration Ihres Jobcenters.');
        assertError(await env.api.post('/api/v1/login', { login: x.email, password: 'Falsch-12345678!' }),
            401, 'invalid_credentials');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM session WHERE account_id = ${x.id}`)), 0);
        assert.equal(Number(await env.db.scalar(`SELECT password_change_required FROM account WHERE id = ${x.id}`)), 1);
        // still valid one second later: login works again
        await env.db.exec(`UPDATE account SET onetime_expires_at = ${nowSec() + 3600} WHERE id = ${x.id}`);
        const ok = await env.api.post('/api/v1/login', { login: x.email, password: x.onetimePassword });
        assert.equal(ok.json.state, 'password_change_required', ok.text);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM account WHERE email = ${lit(x.email)}`)), 1);
        s.late = x;
    });

    test('staff-password after an expiry: a new one-time password works, the old one does not', async () => {
        const env = h.env;
        await env.db.exec(`UPDATE account SET onetime_expires_at = ${nowSec() - 1} WHERE id = ${s.late.id}`);
        const r = await adminOk(env, ['staff-password', '--email', s.late.email.toUpperCase(), '--valid-days', '3']);
        const pw = r.out['one-time password'];
        assert.ok(pw && pw !== s.late.onetimePassword, r.stdout);
        assert.equal(r.out.login, s.late.email);
        const exp = Number(await env.db.scalar(`SELECT onetime_expires_at FROM account WHERE id = ${s.late.id}`));
        assert.ok(Math.abs(exp - (nowSec() + 3 * 86400)) < 120);
        assertError(await env.api.post('/api/v1/login', { login: s.late.email, password: s.late.onetimePassword }),
            401, 'invalid_credentials');
        const c = env.client();
        const l = await c.post('/api/v1/login', { login: s.late.email, password: pw });
        assert.equal(l.json.state, 'password_change_required', l.text);
        const own = strongPassword();
        const k = await c.post('/api/v1/onetime/password', { password: own, password_repeat: own }, { csrf: true });
        assert.equal(k.json.state, 'mfa_setup_required', k.text);
        // refusals: unknown address, not staff, usage
        let e = await admin(env, ['staff-password', '--email', 'niemand@jobcenter.example']);
        assert.equal(e.code, 1);
        assert.match(e.stderr, /no staff member with this e-mail address/);
        e = await admin(env, ['staff-password', '--email', s.late.email, '--valid-days', '0']);
        assert.equal(e.code, 2);
        e = await admin(env, ['staff-password']);
        assert.equal(e.code, 2);
    });

    test('staff-password for a staff member with TOTP: sessions end; after the change the code is asked for', async () => {
        const env = h.env;
        const c1 = s.c;  // authenticated since the set-up above
        assert.equal((await c1.get('/api/v1/staff/me')).status, 200);
        const r = await adminOk(env, ['staff-password', '--email', s.sb.email]);
        const pw = r.out['one-time password'];
        // the tool is another program on the database: its ending of the
        // sessions reaches the servers' session caches within the TTL
        await sessionCacheSettled();
        assertError(await c1.get('/api/v1/staff/me'), 401, 'not_authenticated');
        assertError(await env.api.post('/api/v1/login', { login: s.sb.email, password: s.sb.password }),
            401, 'invalid_credentials');
        const c = env.client();
        const l = await c.post('/api/v1/login', { login: s.sb.email, password: pw });
        assert.equal(l.json.state, 'password_change_required', l.text);
        assertError(await c.get('/api/v1/staff/me'), 403, 'state_insufficient');
        s.sb.password = strongPassword();
        const k = await c.post('/api/v1/onetime/password', { password: s.sb.password,
            password_repeat: s.sb.password }, { csrf: true });
        assert.equal(k.status, 200, k.text);
        assert.equal(k.json.state, 'mfa_required');
        assertError(await c.get('/api/v1/staff/me'), 403, 'state_insufficient');
        // a step not used before (the window accepts now-1..now+1)
        s.sb.step = Math.max(Math.floor(nowSec() / 30) - 1, s.sb.step + 1);
        const v = await c.post('/api/v1/mfa/totp/verify',
            { code: await generate({ secret: s.sb.secret, epoch: s.sb.step * 30 }) }, { csrf: true });
        assert.equal(v.status, 200, v.text);
        assert.equal((await c.get('/api/v1/staff/me')).status, 200);
    });
});
