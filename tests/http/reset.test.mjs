// Issue 5, staff side and the letter flow: staff reset a customer's
// credentials ("Zugangsdaten zurücksetzen") and get two PDF letters (the
// username in one, the one-time password in the other, checked with
// pdftotext); password, TOTP factor, passkeys and sessions of the account
// are revoked; only the newest letter pair works; expired one-time
// credentials are refused with their own German message; the citizen walks
// the forced flow (own password -> e-mail address -> confirmation link ->
// login with the address -> new second factor), resuming at each step after
// an interruption; the one-time username stops working at the end; citizens
// get 403 on the staff route, another jobcenter's staff 404.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { run, randomId, uniqueEmail } from '../lib/util.mjs';
import { lit } from '../lib/db.mjs';
import { confirmToken } from '../lib/smtp.mjs';
import { strongPassword, assertError, MSG_INVALID_CREDENTIALS, SUBJECT_CONFIRM } from '../lib/flows.mjs';
import { addJobcenter, addStaff, loginFull, createCustomer } from '../lib/staff.mjs';
import { issueCode as storeCode, authenticatedCitizen, nowSec, ONETIME_PASSWORD } from '../lib/fixtures.mjs';
import { SoftAuthenticator } from '../lib/webauthn.mjs';

const JC_A = `Jobcenter Reset A ${randomId(2)}`;
const JC_B = `Jobcenter Reset B ${randomId(2)}`;
const SUBJECT_RESET = 'Zugangsdaten zurückgesetzt';

async function pdfText(env, b64) {
    const buf = Buffer.from(b64, 'base64');
    assert.equal(buf.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF');
    const dir = path.join(env.root, 'reset-letters');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `l-${randomId(4)}.pdf`);
    fs.writeFileSync(file, buf);
    // pdfinfo fails on a broken file
    await run('pdfinfo', [file]);
    return (await run('pdftotext', ['-layout', file, '-'])).stdout;
}

// POST the reset as staff; on 201 the letters are read back: {status, json,
// username, password, texts}
async function reset(env, staff, customerId) {
    const r = await staff.post(`/api/v1/staff/customers/${customerId}/zugangsdaten`, null, { csrf: true });
    if (r.status !== 201) return { r };
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.json.letters.length, 2);
    const [l1, l2] = r.json.letters;
    assert.equal(l1.part, 1);
    assert.equal(l2.part, 2);
    assert.match(l1.filename, /^Zugangsdaten-1-Benutzername-[A-Z0-9]+\.pdf$/);
    assert.match(l2.filename, /^Zugangsdaten-2-Passwort-[A-Z0-9]+\.pdf$/);
    const t1 = await pdfText(env, l1.data_base64);
    const t2 = await pdfText(env, l2.data_base64);
    const username = (t1.match(/\bba-\d{9}\b/) || [])[0];
    assert.ok(username, t1);
    // the password letter: the line after "dieses Passwort:"
    const m = t2.match(/dieses Passwort:\s*\n\s*(\S+)/);
    assert.ok(m, t2);
    const password = m[1];
    // four groups of the phone alphabet, e.g. kR7a-3mfT-Wn9E-hXt4
    assert.match(password, ONETIME_PASSWORD);
    assert.ok(!t1.includes(password), 'the username letter holds no password');
    assert.ok(!t2.includes(username), 'the password letter holds no username');
    assert.ok(!/ba-\d{9}/.test(t2), 'no username of any kind in letter 2');
    assert.match(t1, /Ein Passwort erhalten Sie in einem anderen Schreiben/);
    assert.match(t2, /Einen Benutzernamen erhalten Sie in einem anderen Schreiben/);
    return { r, username, password, t1, t2 };
}

// GET the staff customer page's data: its "onetime" member
async function onetimeOf(staff, customerId) {
    const r = await staff.get(`/api/v1/staff/customers/${customerId}`);
    assert.equal(r.status, 200, r.text);
    return r.json.onetime;
}

describe('Zugangsdaten zurücksetzen: letters, revocation, the forced flow', () => {
    const h = useEnv();
    const s = {};

    test('set-up: jobcenters, staff, a citizen with TOTP, a passkey and a bound profile', async () => {
        const env = h.env;
        await addJobcenter(env, JC_A, [String(70000 + Math.floor(Math.random() * 9999))]);
        await addJobcenter(env, JC_B, [String(60000 + Math.floor(Math.random() * 9999))]);
        s.staffA = await loginFull(env, await addStaff(env, JC_A, { tag: 'rs-a' }));
        s.staffB = await loginFull(env, await addStaff(env, JC_B, { tag: 'rs-b' }));
        s.cust = await createCustomer(s.staffA);
        s.unbound = await createCustomer(s.staffA);
        s.citizen = await authenticatedCitizen(env, 'reset');
        const code = await storeCode(env, s.cust.id, { createdBy: s.staffA.accountId });
        const red = await s.citizen.c.post('/api/v1/freischaltcode', { code: code.grouped }, { csrf: true });
        assert.equal(red.status, 201, red.text);
        // a passkey (software authenticator) of the citizen
        s.auth = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        const opt = await s.citizen.c.post('/api/v1/passkey/register/options', {}, { csrf: true });
        assert.equal(opt.status, 200, opt.text);
        s.cred = s.auth.create(opt.json);
        const v = await s.citizen.c.post('/api/v1/passkey/register/verify', s.cred, { csrf: true });
        assert.equal(v.status, 200, v.text);
        s.citizen.csrf = v.json.csrf_token;
        s.oldCookie = s.citizen.c.jar.header();
        assert.equal((await s.citizen.c.get('/api/v1/me')).status, 200);
    });

    test('citizen 403 on the staff route, other jobcenter 404, unbound 409, unknown 404; nothing changed', async () => {
        const env = h.env;
        const url = `/api/v1/staff/customers/${s.cust.id}/zugangsdaten`;
        assertError(await s.citizen.c.post(url, null, { csrf: true }), 403, 'staff_only');
        assertError(await s.staffB.post(url, null, { csrf: true }), 404, 'customer_unknown');
        assertError(await s.staffA.post(`/api/v1/staff/customers/${s.unbound.id}/zugangsdaten`, null,
            { csrf: true }), 409, 'customer_unbound');
        assertError(await s.staffA.post('/api/v1/staff/customers/999999999/zugangsdaten', null, { csrf: true }),
            404, 'customer_unknown');
        assertError(await s.staffA.post(url, null, { csrf: false }), 403, 'csrf_failed');
        // the staff customer page: nothing pending before any reset
        assert.deepEqual(await onetimeOf(s.staffA, s.cust.id), { pending: false, expires_at: null, expired: false });
        assert.deepEqual(await onetimeOf(s.staffA, s.unbound.id), { pending: false, expires_at: null, expired: false });
        const [a] = await env.db.query(`SELECT username, password_change_required FROM account WHERE id = ${s.citizen.id}`);
        assert.equal(a.username, null);
        assert.equal(Number(a.password_change_required), 0);
        assert.equal((await s.citizen.c.get('/api/v1/me')).status, 200, 'session untouched');
    });

    test('reset: two letters, everything revoked in one go, audit, Verlauf, notice mail without secrets', async () => {
        const env = h.env;
        const mark = env.mail.mark();
        const t0 = nowSec();
        const x = await reset(env, s.staffA, s.cust.id);
        assert.equal(x.r.status, 201, x.r.text);
        s.first = x;
        assert.ok(x.r.json.expires_at >= t0 + 30 * 86400 && x.r.json.expires_at <= nowSec() + 30 * 86400 + 1);
        const [a] = await env.db.query('SELECT email, email_confirmed_at, username, password_change_required, '
            + `onetime_expires_at FROM account WHERE id = ${s.citizen.id}`);
        assert.equal(a.email, null);
        assert.equal(a.email_confirmed_at, null);
        assert.equal(a.username, x.username);
        assert.equal(Number(a.password_change_required), 1);
        assert.equal(Number(a.onetime_expires_at), x.r.json.expires_at);
        // the staff customer page shows the pending pair and until when
        assert.deepEqual(await onetimeOf(s.staffA, s.cust.id),
            { pending: true, expires_at: x.r.json.expires_at, expired: false });
        for (const t of ['totp_factor', 'passkey', 'session']) {
            assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM ${t} WHERE account_id = ${s.citizen.id}`)), 0, t);
        }
        const audit = await env.db.query('SELECT staff_account, action, at FROM staff_audit '
            + `WHERE customer_id = ${s.cust.id} AND action = 'credentials_reset'`);
        assert.equal(audit.length, 1);
        assert.equal(Number(audit[0].staff_account), s.staffA.accountId);
        assert.ok(Number(audit[0].at) >= t0);
        const ev = await env.db.query(`SELECT kind, detail FROM event WHERE account_id = ${s.citizen.id} `
            + "AND kind = 'credentials_reset'");
        assert.equal(ev.length, 1);
        assert.equal(ev[0].detail, JC_A);
        // the notice to the former address: no username, no password
        const mail = await env.mail.waitFor(s.citizen.email, { subject: SUBJECT_RESET, since: mark });
        assert.ok(!mail.body.includes(x.username) && !mail.body.includes(x.password), mail.body);
        assert.match(mail.body, /zurückgesetzt/);
        // nothing of the secrets in the logs or the database
        const logs = env.errorLog();
        assert.ok(!logs.includes(x.password) && !logs.includes(x.username), 'not logged');
        const ph = await env.db.scalar(`SELECT password_hash FROM account WHERE id = ${s.citizen.id}`);
        assert.match(ph, /^\$argon2id\$/);
    });

    test('revoked: the old session cookie gets 401, old password, passkey and TOTP are refused', async () => {
        const env = h.env;
        const old = env.client();
        old.jar.map = new Map(s.citizen.c.jar.map);
        assertError(await old.get('/api/v1/me'), 401, 'not_authenticated');
        assertError(await env.api.post('/api/v1/login', { login: s.citizen.email, password: s.citizen.password }),
            401, 'invalid_credentials');
        // the passkey: login options + an assertion of the deleted credential
        const c = env.client();
        const o = await c.post('/api/v1/passkey/login/options', {});
        assert.equal(o.status, 200, o.text);
        const v = await c.post('/api/v1/passkey/login/verify', s.auth.get(o.json, { credId: s.cred.id }));
        assertError(v, 401, 'passkey_unknown');
        // the old TOTP secret opens nothing: the one-time login needs the
        // new password first, and no code route accepts that state
        const l = env.client();
        const r = await l.post('/api/v1/login', { login: s.first.username, password: s.first.password });
        assert.equal(r.json.state, 'password_change_required', r.text);
        const code = await generate({ secret: s.citizen.secret, epoch: nowSec() });
        assertError(await l.post('/api/v1/mfa/totp/verify', { code }, { csrf: true }), 403, 'state_insufficient');
        await l.post('/api/v1/logout', null, { csrf: true });
    });

    test('a newer reset voids the older pair; only the newest letters work', async () => {
        const env = h.env;
        const x = await reset(env, s.staffA, s.cust.id);
        assert.equal(x.r.status, 201, x.r.text);
        assert.notEqual(x.username, s.first.username);
        assert.notEqual(x.password, s.first.password);
        for (const [login, password] of [[s.first.username, s.first.password], [s.first.username, x.password],
            [x.username, s.first.password]]) {
            const r = await env.api.post('/api/v1/login', { login, password });
            assertError(r, 401, 'invalid_credentials', `${login}`);
            assert.equal(r.error.message, MSG_INVALID_CREDENTIALS);
        }
        s.pair = x;
        // no mail this time: the account has no address any more
        assert.equal(Number(await env.db.scalar("SELECT count(*) FROM mail_outbox WHERE subject LIKE '%zurückgesetzt%' "
            + `AND rcpt = ${lit(s.citizen.email)}`)), 1);
    });

    test('expired one-time credentials: German 401 only with the right password', async () => {
        const env = h.env;
        await env.db.exec(`UPDATE account SET onetime_expires_at = ${nowSec() - 1} WHERE id = ${s.citizen.id}`);
        const r = await env.api.post('/api/v1/login', { login: s.pair.username, password: s.pair.password });
        assertError(r, 401, 'onetime_expired');
        assert.match(r.error.message, /Einmal-Zugangsdaten .* abgelaufen.*Jobcenter/);
        assertError(await env.api.post('/api/v1/login', { login: s.pair.username, password: 'Falsch-12345678' }),
            401, 'invalid_credentials');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM session WHERE account_id = ${s.citizen.id}`)), 0);
        const gone = await onetimeOf(s.staffA, s.cust.id);
        assert.equal(gone.pending, false, 'an expired pair is not pending');
        assert.equal(gone.expired, true);
        assert.ok(gone.expires_at <= nowSec());
        await env.db.exec(`UPDATE account SET onetime_expires_at = ${nowSec() + 3600} WHERE id = ${s.citizen.id}`);
        assert.equal((await onetimeOf(s.staffA, s.cust.id)).pending, true);
    });

    test('forced flow step 1: only the password route; resume; same password refused; rules', async () => {
        const env = h.env;
        const c = env.client();
        let r = await c.post('/api/v1/login', { login: s.pair.username, password: s.pair.password });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'password_change_required');
        const me = await c.get('/api/v1/me');
        assert.equal(me.json.session.state, 'password_change_required');
        assert.equal(me.json.account.username, s.pair.username);
        assert.equal(me.json.account.email, null);
        assertError(await c.get('/api/v1/profile'), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/passkey/register/options', {}, { csrf: true }), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/onetime/email', { email: uniqueEmail('x'), accept_email: true },
            { csrf: true }), 403, 'state_insufficient');
        // interrupted: a new login resumes here
        const c2 = env.client();
        r = await c2.post('/api/v1/login', { login: s.pair.username, password: s.pair.password });
        assert.equal(r.json.state, 'password_change_required');
        assertError(await c2.post('/api/v1/onetime/password', { password: s.pair.password,
            password_repeat: s.pair.password }, { csrf: true }), 422, 'password_same');
        const weak = await c2.post('/api/v1/onetime/password', { password: 'kurz', password_repeat: 'anders' },
            { csrf: true });
        assertError(weak, 422, 'validation_failed');
        assert.ok(weak.error.details.some((d) => d.code === 'password_length'));
        assert.ok(weak.error.details.some((d) => d.code === 'password_repeat'));
        assert.equal(Number(await env.db.scalar(`SELECT password_change_required FROM account WHERE id = ${s.citizen.id}`)), 1);
        s.newPassword = strongPassword();
        const before = c2.jar.clone();
        r = await c2.post('/api/v1/onetime/password', { password: s.newPassword, password_repeat: s.newPassword },
            { csrf: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'email_required');
        assert.notEqual(c2.jar.header(), before.header(), 'session rotated');
        const stale = env.client({ jar: before });
        assertError(await stale.get('/api/v1/me'), 401, 'not_authenticated');
        const [a] = await env.db.query('SELECT password_change_required, onetime_expires_at, username FROM account '
            + `WHERE id = ${s.citizen.id}`);
        assert.equal(Number(a.password_change_required), 0);
        assert.equal(a.onetime_expires_at, null);
        assert.equal(a.username, s.pair.username, 'the username stays until the end of the flow');
        // own password set: nothing pending any more on the staff page
        assert.deepEqual(await onetimeOf(s.staffA, s.cust.id), { pending: false, expires_at: null, expired: false });
        // the other step-1 session (c) was not rotated but the route now refuses
        assertError(await c.post('/api/v1/onetime/password', { password: s.newPassword,
            password_repeat: s.newPassword }, { csrf: true }), 409, 'password_change_not_required');
        s.step2 = c2;
    });

    test('forced flow step 2: one-time password gone, resume with the new one, e-mail address with consent', async () => {
        const env = h.env;
        assertError(await env.api.post('/api/v1/login', { login: s.pair.username, password: s.pair.password }),
            401, 'invalid_credentials');
        const c = env.client();
        let r = await c.post('/api/v1/login', { login: s.pair.username, password: s.newPassword });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'email_required');
        assertError(await c.get('/api/v1/profile'), 403, 'state_insufficient');
        const noConsent = await c.post('/api/v1/onetime/email', { email: 'neu@example.org' }, { csrf: true });
        assertError(noConsent, 422, 'validation_failed');
        assert.ok(noConsent.error.details.some((d) => d.code === 'email_consent_required'));
        assertError(await c.post('/api/v1/onetime/email', { email: 'kein-at', accept_email: true }, { csrf: true }),
            422, 'validation_failed');
        const staffEmail = await env.db.scalar(`SELECT email FROM account WHERE id = ${s.staffA.accountId}`);
        assertError(await c.post('/api/v1/onetime/email', { email: staffEmail, accept_email: true }, { csrf: true }),
            409, 'email_taken');
        // a first address, then a corrected one: only the newest link works
        const mark = env.mail.mark();
        s.first_addr = uniqueEmail('erst');
        r = await c.post('/api/v1/onetime/email', { email: s.first_addr, accept_email: true }, { csrf: true });
        assert.equal(r.status, 202, r.text);
        assert.equal(r.json.email, s.first_addr);
        const m1 = await env.mail.waitFor(s.first_addr, { subject: SUBJECT_CONFIRM, since: mark });
        s.oldToken = confirmToken(m1);
        // interrupted after saving: a new login resumes at the address step
        const c3 = env.client();
        r = await c3.post('/api/v1/login', { login: s.pair.username, password: s.newPassword });
        assert.equal(r.json.state, 'email_required');
        assertError(await env.api.post('/api/v1/login', { login: s.first_addr, password: s.newPassword }),
            401, 'invalid_credentials');
        s.addr = uniqueEmail('neu');
        r = await c3.post('/api/v1/onetime/email', { email: `  ${s.addr.toUpperCase()} `, accept_email: true },
            { csrf: true });
        assert.equal(r.status, 202, r.text);
        const m2 = await env.mail.waitFor(s.addr, { subject: SUBJECT_CONFIRM, since: mark });
        s.token = confirmToken(m2);
        assert.ok(m2.body.includes('24 Stunden'), m2.body);
        const [t] = await env.db.query(`SELECT expires_at - created_at AS ttl FROM email_token WHERE account_id = ${s.citizen.id} `
            + "AND purpose = 'reset_email' AND used_at IS NULL");
        assert.equal(Number(t.ttl), 86400);
        assertError(await env.api.post('/api/v1/email/confirm', { token: s.oldToken }), 404, 'token_invalid');
        s.step3 = c3;
    });

    test('forced flow step 3: the link confirms, ends the flow sessions, clears the username', async () => {
        const env = h.env;
        const r = await env.api.post('/api/v1/email/confirm', { token: s.token });
        assert.equal(r.status, 200, r.text);
        const [a] = await env.db.query(`SELECT email, email_confirmed_at, username FROM account WHERE id = ${s.citizen.id}`);
        assert.equal(a.email, s.addr);
        assert.ok(Number(a.email_confirmed_at) > 0);
        assert.equal(a.username, null);
        assertError(await s.step3.get('/api/v1/me'), 401, 'not_authenticated');
        assertError(await env.api.post('/api/v1/email/confirm', { token: s.token }), 410, 'token_used');
        assertError(await env.api.post('/api/v1/login', { login: s.pair.username, password: s.newPassword }),
            401, 'invalid_credentials', 'one-time username after the flow');
    });

    test('forced flow step 4: login with the address -> new second factor (old TOTP refused); resume; profile kept', async () => {
        const env = h.env;
        const c = env.client();
        let r = await c.post('/api/v1/login', { login: s.addr, password: s.newPassword });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'mfa_setup_required');
        const old = await generate({ secret: s.citizen.secret, epoch: nowSec() });
        assertError(await c.post('/api/v1/mfa/totp/verify', { code: old }, { csrf: true }), 409, 'mfa_not_required');
        // interrupted again: the next login is at the set-up again
        const c2 = env.client();
        r = await c2.post('/api/v1/login', { login: s.addr, password: s.newPassword });
        assert.equal(r.json.state, 'mfa_setup_required');
        const st = await c2.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
        assert.equal(st.status, 200, st.text);
        const secret = st.json.secret.replace(/\s+/g, '');
        assert.notEqual(secret, s.citizen.secret);
        const step = Math.floor(nowSec() / 30);
        r = await c2.post('/api/v1/mfa/totp/confirm', { code: await generate({ secret, epoch: step * 30 }) },
            { csrf: true });
        assert.equal(r.status, 200, r.text);
        const p = await c2.get('/api/v1/profile');
        assert.equal(p.status, 200, p.text);
        assert.equal(p.json.profile.kundennummer, s.cust.kundennummer);
        // the next login asks for the new factor only; the old secret fails
        const c3 = env.client();
        r = await c3.post('/api/v1/login', { login: s.addr, password: s.newPassword });
        assert.equal(r.json.state, 'mfa_required');
        assert.deepEqual(r.json.factors, ['totp']);
        const wrong = await c3.post('/api/v1/mfa/totp/verify',
            { code: await generate({ secret: s.citizen.secret, epoch: nowSec() }) }, { csrf: true });
        assert.equal(wrong.status, 401, wrong.text);
        const ev = (await env.db.query(`SELECT kind FROM event WHERE account_id = ${s.citizen.id} ORDER BY id`))
            .map((e) => e.kind);
        for (const k of ['credentials_reset', 'onetime_password_replaced', 'email_confirmed']) {
            assert.ok(ev.includes(k), `${k} in ${ev}`);
        }
        // the Verlauf shows the reset in German
        const vl = await c2.get('/api/v1/verlauf');
        assert.equal(vl.status, 200, vl.text);
        const e = vl.json.events.find((x) => x.kind === 'credentials_reset');
        assert.equal(e.text, 'Zugangsdaten vom Jobcenter zurückgesetzt (Einmal-Zugangsdaten per Brief)');
        assert.equal(e.detail, JC_A);
    });

    test('a staff account bound to a customer is not reset here (409, nothing changed)', async () => {
        const env = h.env;
        await env.db.exec(`UPDATE customer SET account_id = ${s.staffB.accountId} WHERE id = ${s.unbound.id}`);
        assertError(await s.staffA.post(`/api/v1/staff/customers/${s.unbound.id}/zugangsdaten`, null,
            { csrf: true }), 409, 'staff_account');
        assert.equal(await env.db.scalar(`SELECT username FROM account WHERE id = ${s.staffB.accountId}`), null);
        assert.equal((await s.staffB.get('/api/v1/staff/me')).status, 200, 'staff B still signed in');
    });

    logTest();
});
