// The "Sicherheit" page's API (GET /security, security/reauth[/options],
// security/passkey/rename|delete, security/totp/delete): listing, renaming
// and deleting factors, the last-factor rule, re-authentication with the
// password, a TOTP code (otplib) or a passkey (software authenticator), the
// JobcenterReauthWindow rule (verified_at set back in the database), mails
// over SMTP, Verlauf events, the session's User-Agent and address, the
// throttle of passwordless passkey logins, and error.state of
// state_insufficient.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep, sessionCacheSettled } from '../lib/util.mjs';
import { strongPassword, assertError, registerAndConfirm, addTotp } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';
import { SoftAuthenticator, UP } from '../lib/webauthn.mjs';

const SUBJECT_CHANGED = 'Ihre Sicherheitseinstellungen wurden geändert';
const SUBJECT_TOTP = 'Zweiter Faktor eingerichtet';
const STEP = 30;
const nowSec = () => Math.floor(Date.now() / 1000);
const plain = (secret) => secret.replace(/\s+/g, '');
const codeAt = (secret, t) => generate({ secret: plain(secret), epoch: t });

async function accountId(env, email) {
    return Number(await env.db.scalar(`SELECT id FROM account WHERE email = ${lit(email)}`));
}

async function events(env, email) {
    const rows = await env.db.query(`SELECT e.kind, e.detail, e.at FROM event e JOIN account a ON a.id = e.account_id `
        + `WHERE a.email = ${lit(email)} ORDER BY e.id`);
    return rows.map((r) => ({ kind: r.kind, detail: r.detail, at: Number(r.at) }));
}

async function passkeyRows(env, email) {
    return (await env.db.query(`SELECT k.id, k.name, k.cred_id FROM passkey k JOIN account a ON a.id = k.account_id `
        + `WHERE a.email = ${lit(email)} ORDER BY k.id`)).map((r) => ({ ...r, id: Number(r.id) }));
}

// Set every session of the account back so its last check is `ago` seconds old.
async function ageCheck(env, email, ago) {
    await env.db.exec(`UPDATE session SET verified_at = ${nowSec() - ago} `
        + `WHERE account_id = (SELECT id FROM account WHERE email = ${lit(email)})`);
    await sessionCacheSettled();
}

// A confirmed account with a passkey, signed in (authenticated) by
// password + passkey registration.
async function withPasskey(env, auth, tag, { name = 'Laptop', headers } = {}) {
    const user = await registerAndConfirm(env, uniqueEmail(tag), strongPassword());
    const c = env.client();
    const l = await c.post('/api/v1/login', { login: user.email, password: user.password }, { headers });
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.state, 'mfa_setup_required');
    const opt = await c.post('/api/v1/passkey/register/options', {}, { csrf: true, headers });
    assert.equal(opt.status, 200, opt.text);
    const cred = auth.create(opt.json, { name });
    const v = await c.post('/api/v1/passkey/register/verify', cred, { csrf: true, headers });
    assert.equal(v.status, 200, v.text);
    return { user, c, cred };
}

// Add a TOTP factor from a signed-in session; returns the secret.
async function addTotpAuthenticated(c) {
    const { secret, res } = await addTotp(c);
    assert.equal(res.json.state, 'authenticated');
    return secret;
}

describe('security page API', () => {
    const h = useEnv();
    let auth;
    const u = {};

    test('set-up: accounts with a passkey (one logged in with a long UTF-8 User-Agent)', async () => {
        const env = h.env;
        auth = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        // 199 ASCII + "ä" (2 bytes) at character 200, more after it: the
        // stored agent ends after the "ä"; a raw 0xff byte becomes '?'
        const ua = Buffer.concat([Buffer.from('\xff', 'latin1'), Buffer.from('M'.repeat(198) + 'ä' + 'ö'.repeat(60))])
            .toString('latin1');
        u.a = await withPasskey(env, auth, 'sec-a', { name: 'Laptop', headers: { 'User-Agent': ua } });
        u.b = await withPasskey(env, auth, 'sec-b', { name: 'Telefon' });
        u.c = await withPasskey(env, auth, 'sec-c', { name: 'Schlüssel' });
    });

    test('sessions record User-Agent (200 characters, UTF-8 boundary), address and verified_at', async () => {
        const env = h.env;
        const rows = await env.db.query(`SELECT user_agent, client_ip, verified_at, state FROM session `
            + `WHERE account_id = ${await accountId(env, u.a.user.email)}`);
        assert.equal(rows.length, 1, 'the rotated session only');
        const s = rows[0];
        assert.equal(Number(s.state), 6);
        assert.equal([...s.user_agent].length, 200);
        assert.equal(s.user_agent, '?' + 'M'.repeat(198) + 'ä');
        assert.equal(s.client_ip, '127.0.0.1');
        assert.ok(Math.abs(Number(s.verified_at) - nowSec()) <= 5, `verified_at ${s.verified_at}`);
        // no User-Agent header: NULL (a raw request without one)
        const c = env.client();
        const r = await c.post('/api/v1/login', { login: u.b.user.email, password: u.b.user.password },
            { fresh: true });
        assert.equal(r.status, 200, r.text);
        const [row] = await env.db.query(`SELECT user_agent, verified_at FROM session WHERE state = 5 `
            + `AND account_id = ${await accountId(env, u.b.user.email)}`);
        assert.equal(row.user_agent, null);
        assert.equal(Number(row.verified_at), 0, 'only the password so far: no completed check');
    });

    test('events: registration, e-mail confirmed, passkey added and the completed login', async () => {
        const env = h.env;
        const ev = await events(env, u.a.user.email);
        assert.deepEqual(ev.map((e) => e.kind), ['registered', 'email_confirmed', 'passkey_added', 'login']);
        assert.equal(ev[2].detail, '„Laptop“');
        assert.equal(ev[3].detail, 'Zweiter Faktor: Passkey „Laptop“');
    });

    test('GET /security lists the passkeys, the TOTP factor and the re-auth state', async () => {
        const env = h.env;
        const r = await u.a.c.get('/api/v1/security');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        const [pk] = await passkeyRows(env, u.a.user.email);
        assert.equal(r.json.passkeys.length, 1);
        assert.deepEqual(Object.keys(r.json.passkeys[0]).sort(), ['created_at', 'flagged', 'id', 'last_used_at', 'name']);
        assert.equal(r.json.passkeys[0].id, pk.id);
        assert.equal(r.json.passkeys[0].name, 'Laptop');
        assert.equal(r.json.passkeys[0].last_used_at, null);
        assert.equal(r.json.passkeys[0].flagged, false);
        assert.ok(Math.abs(r.json.passkeys[0].created_at - nowSec()) < 60);
        assert.equal(r.json.totp, null);
        assert.equal(r.json.reauth.window, 300);
        assert.equal(r.json.reauth.fresh, true);
        // not before the login is complete: 403 with the current state
        const c = env.client();
        await c.post('/api/v1/login', { login: u.a.user.email, password: u.a.user.password });
        const d = await c.get('/api/v1/security');
        assertError(d, 403, 'state_insufficient');
        assert.equal(d.error.state, 'mfa_required');
        assertError(await env.client().get('/api/v1/security'), 401, 'not_authenticated');
    });

    test('passwordless login: last_used_at, event login_passkey', async () => {
        const env = h.env;
        const c = env.client();
        const o = await c.post('/api/v1/passkey/login/options', {});
        const v = await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: u.a.cred.id }));
        assert.equal(v.status, 200, v.text);
        const r = await c.get('/api/v1/security');
        assert.ok(r.json.passkeys[0].last_used_at >= nowSec() - 5);
        const ev = await events(env, u.a.user.email);
        assert.equal(ev.at(-1).kind, 'login_passkey');
        assert.equal(ev.at(-1).detail, 'Passkey „Laptop“');
        const [s] = await env.db.query(`SELECT verified_at, client_ip FROM session WHERE id_hash <> '' AND account_id = `
            + `${await accountId(env, u.a.user.email)} ORDER BY created_at DESC, verified_at DESC LIMIT 1`);
        assert.ok(Number(s.verified_at) >= nowSec() - 5);
        assert.equal(s.client_ip, '127.0.0.1');
    });

    test('add TOTP when signed in: set-up, confirm, event totp_added, mail, listed', async () => {
        const env = h.env;
        const mark = env.mail.mark();
        u.a.secret = await addTotpAuthenticated(u.a.c);
        await env.mail.waitFor(u.a.user.email, { subject: SUBJECT_TOTP, since: mark });
        const r = await u.a.c.get('/api/v1/security');
        assert.ok(r.json.totp && r.json.totp.created_at >= nowSec() - 5, r.text);
        const ev = await events(env, u.a.user.email);
        assert.equal(ev.at(-1).kind, 'totp_added');
        assert.notEqual(ev.at(-2).kind, 'login', 'a signed-in session adding a factor is no new login');
        // a second set-up is refused while one is confirmed
        assertError(await u.a.c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }), 409, 'factor_exists');
    });

    test('TOTP login records the event login', async () => {
        const env = h.env;
        const c = env.client();
        const l = await c.post('/api/v1/login', { login: u.a.user.email, password: u.a.user.password });
        assert.deepEqual(l.json.factors, ['totp', 'passkey']);
        const v = await c.post('/api/v1/mfa/totp/verify', { code: await codeAt(u.a.secret, nowSec() + STEP) }, { csrf: true });
        assert.equal(v.status, 200, v.text);
        const ev = await events(env, u.a.user.email);
        assert.deepEqual(ev.at(-1), { ...ev.at(-1), kind: 'login', detail: 'Zweiter Faktor: Authentifizierungs-App' });
    });

    test('rename: 204, stored, event, mail over SMTP (what, when, what to do)', async () => {
        const env = h.env;
        const [pk] = await passkeyRows(env, u.a.user.email);
        const mark = env.mail.mark();
        const name = 'Büro-PC 💻';
        const r = await u.a.c.post('/api/v1/security/passkey/rename', { id: pk.id, name }, { csrf: true });
        assert.equal(r.status, 204, r.text);
        assert.equal((await passkeyRows(env, u.a.user.email))[0].name, name);
        const ev = await events(env, u.a.user.email);
        assert.equal(ev.at(-1).kind, 'passkey_renamed');
        assert.equal(ev.at(-1).detail, `„Laptop“ → „${name}“`);
        const m = await env.mail.waitFor(u.a.user.email, { subject: SUBJECT_CHANGED, since: mark });
        assert.match(m.body, /Der Passkey „Laptop“ wurde in „Büro-PC 💻“ umbenannt\./);
        assert.match(m.body, /wurden am \d\d\.\d\d\.\d{4} um \d\d:\d\d Uhr geändert/);
        assert.match(m.body, /Wenn Sie das nicht waren/);
        assert.doesNotMatch(m.body, new RegExp(pk.cred_id.slice(0, 16)), 'no credential id in the mail');
        // 64 characters of two bytes each are fine
        const mark2 = env.mail.mark();
        const r64 = await u.a.c.post('/api/v1/security/passkey/rename', { id: pk.id, name: 'ä'.repeat(64) }, { csrf: true });
        assert.equal(r64.status, 204, r64.text);
        await env.mail.waitFor(u.a.user.email, { subject: SUBJECT_CHANGED, since: mark2 });
        assert.equal((await passkeyRows(env, u.a.user.email))[0].name, 'ä'.repeat(64));
    });

    test('rename: bad input (422), unknown or foreign id (404): nothing changed, no mail, no event', async () => {
        const env = h.env;
        const [pk] = await passkeyRows(env, u.a.user.email);
        const [foreign] = await passkeyRows(env, u.b.user.email);
        const before = { a: await passkeyRows(env, u.a.user.email), b: await passkeyRows(env, u.b.user.email),
            ev: (await events(env, u.a.user.email)).length };
        const mark = env.mail.mark();
        const post = (body) => u.a.c.post('/api/v1/security/passkey/rename', body, { csrf: true });
        for (const [body, code, note] of [
            [{ id: pk.id, name: 'x'.repeat(65) }, 'name_invalid', '65 characters'],
            [{ id: pk.id, name: 'ä'.repeat(65) }, 'name_invalid', '65 two-byte characters'],
            [{ id: pk.id, name: '' }, 'name_invalid', 'empty'],
            [{ id: pk.id, name: '   ' }, 'name_invalid', 'only spaces'],
            [{ id: pk.id, name: 'a\u0007b' }, 'name_invalid', 'C0 control'],
            [{ id: pk.id, name: 'a\nb' }, 'name_invalid', 'line feed'],
            [{ id: pk.id, name: 'a\u0085b' }, 'name_invalid', 'C1 control'],
            [{ id: pk.id, name: 'a\u007fb' }, 'name_invalid', 'DEL'],
            [{ id: pk.id }, 'name_invalid', 'name missing'],
            [{ id: pk.id, name: 42 }, 'name_invalid', 'name not a string'],
            [{ name: 'Neu' }, 'id_invalid', 'id missing'],
            [{ id: String(pk.id), name: 'Neu' }, 'id_invalid', 'id as string'],
            [{ id: 0, name: 'Neu' }, 'id_invalid', 'id 0'],
            [{ id: -3, name: 'Neu' }, 'id_invalid', 'negative id'],
            [{ id: 1.5, name: 'Neu' }, 'id_invalid', 'fraction']
        ]) {
            assertError(await post(body), 422, code, note);
        }
        const nf = await post({ id: 99999999, name: 'Neu' });
        assertError(nf, 404, 'passkey_not_found', 'unknown id');
        assertError(await post({ id: foreign.id, name: 'Gekapert' }), 404, 'passkey_not_found', "another account's passkey");
        // invalid UTF-8 is refused by the JSON parser already
        const raw = await u.a.c.post('/api/v1/security/passkey/rename', null,
            { csrf: true, raw: Buffer.concat([Buffer.from(`{"id":${pk.id},"name":"a`), Buffer.from([0xff]), Buffer.from('"}')]) });
        assertError(raw, 400, 'malformed_json');
        assert.deepEqual(await passkeyRows(env, u.a.user.email), before.a);
        assert.deepEqual(await passkeyRows(env, u.b.user.email), before.b);
        assert.equal((await events(env, u.a.user.email)).length, before.ev);
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(env.mail.find(u.a.user.email, { since: mark }).length, 0, 'no mail');
        assert.equal(env.mail.find(u.b.user.email, { since: mark }).length, 0, 'no mail to the owner either');
    });

    test('delete: foreign id 404, TOTP with a passkey left, then the last factor is refused (409)', async () => {
        const env = h.env;
        const [foreign] = await passkeyRows(env, u.b.user.email);
        assertError(await u.a.c.post('/api/v1/security/passkey/delete', { id: foreign.id }, { csrf: true }),
            404, 'passkey_not_found');
        assertError(await u.a.c.post('/api/v1/security/passkey/delete', { id: 99999999 }, { csrf: true }),
            404, 'passkey_not_found');
        assertError(await u.a.c.post('/api/v1/security/passkey/delete', {}, { csrf: true }), 422, 'id_invalid');
        assert.equal((await passkeyRows(env, u.b.user.email)).length, 1);

        const mark = env.mail.mark();
        const t = await u.a.c.post('/api/v1/security/totp/delete', null, { csrf: true });
        assert.equal(t.status, 204, t.text);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM totp_factor WHERE account_id = ${await accountId(env, u.a.user.email)}`), 0);
        const m = await env.mail.waitFor(u.a.user.email, { subject: SUBJECT_CHANGED, since: mark });
        assert.match(m.body, /Authentifizierungs-App \(TOTP\) wurde entfernt/);
        assert.equal((await events(env, u.a.user.email)).at(-1).kind, 'totp_removed');
        assertError(await u.a.c.post('/api/v1/security/totp/delete', null, { csrf: true }), 404, 'factor_missing');

        const [pk] = await passkeyRows(env, u.a.user.email);
        const last = await u.a.c.post('/api/v1/security/passkey/delete', { id: pk.id }, { csrf: true });
        assertError(last, 409, 'last_factor');
        assert.match(last.error.message, /einziger Anmeldefaktor/);
        assert.equal((await passkeyRows(env, u.a.user.email)).length, 1);
    });

    test('delete a passkey while TOTP is left; then TOTP is the last factor (409)', async () => {
        const env = h.env;
        await addTotpAuthenticated(u.c.c);
        const [pk] = await passkeyRows(env, u.c.user.email);
        const mark = env.mail.mark();
        const d = await u.c.c.post('/api/v1/security/passkey/delete', { id: pk.id }, { csrf: true });
        assert.equal(d.status, 204, d.text);
        assert.equal((await passkeyRows(env, u.c.user.email)).length, 0);
        const m = await env.mail.waitFor(u.c.user.email, { subject: SUBJECT_CHANGED, since: mark });
        assert.match(m.body, /Der Passkey „Schlüssel“ wurde entfernt\./);
        const ev = await events(env, u.c.user.email);
        assert.deepEqual([ev.at(-1).kind, ev.at(-1).detail], ['passkey_removed', '„Schlüssel“']);
        assertError(await u.c.c.post('/api/v1/security/totp/delete', null, { csrf: true }), 409, 'last_factor');
        // the deleted passkey no longer signs in
        const c = env.client();
        const o = await c.post('/api/v1/passkey/login/options', {});
        assertError(await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: u.c.cred.id })), 401, 'passkey_unknown');
    });

    test('parallel deletions of both factors: one passes, the other is the last factor (409)', async () => {
        const env = h.env;
        for (let round = 0; round < 3; round++) {
            const { user, c } = await withPasskey(env, auth, `sec-par${round}`);
            await addTotpAuthenticated(c);
            const [pk] = await passkeyRows(env, user.email);
            const [a, b] = await Promise.all([
                c.post('/api/v1/security/passkey/delete', { id: pk.id }, { csrf: true, fresh: true }),
                c.post('/api/v1/security/totp/delete', null, { csrf: true, fresh: true })
            ]);
            const statuses = [a.status, b.status].sort();
            assert.deepEqual(statuses, [204, 409], `round ${round}: ${a.status} ${a.text} / ${b.status} ${b.text}`);
            const id = await accountId(env, user.email);
            const left = Number(await env.db.scalar(`SELECT (SELECT count(*) FROM passkey WHERE account_id = ${id}) `
                + `+ (SELECT count(*) FROM totp_factor WHERE account_id = ${id})`));
            assert.equal(left, 1, 'exactly one factor left');
        }
    });

    test('a flagged passkey is no factor: deleting it is allowed, the other factor stays protected', async () => {
        const env = h.env;
        const { user, c } = await withPasskey(env, auth, 'sec-flag', { name: 'Alt' });
        const opt = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
        const v = await c.post('/api/v1/passkey/register/verify', auth.create(opt.json, { name: 'Neu' }), { csrf: true });
        assert.equal(v.status, 200, v.text);
        const [old, neu] = await passkeyRows(env, user.email);
        await env.db.exec(`UPDATE passkey SET flagged = 1 WHERE id = ${old.id}`);
        assertError(await c.post('/api/v1/security/passkey/delete', { id: neu.id }, { csrf: true }), 409, 'last_factor');
        const d = await c.post('/api/v1/security/passkey/delete', { id: old.id }, { csrf: true });
        assert.equal(d.status, 204, d.text);
        const l = await c.get('/api/v1/security');
        assert.deepEqual(l.json.passkeys.map((k) => k.name), ['Neu']);
    });

    test('stale check (verified_at set back): every change answers 403 reauth_required and changes nothing', async () => {
        const env = h.env;
        const { user, c } = u.b;
        await ageCheck(env, user.email, 301);
        const l = await c.get('/api/v1/security');
        assert.equal(l.status, 200);
        assert.equal(l.json.reauth.fresh, false);
        const [pk] = await passkeyRows(env, user.email);
        const before = await passkeyRows(env, user.email);
        const evBefore = (await events(env, user.email)).length;
        for (const [path, body] of [
            ['security/passkey/rename', { id: pk.id, name: 'Neu' }],
            ['security/passkey/delete', { id: pk.id }],
            ['security/totp/delete', null],
            ['mfa/totp/setup', null],
            ['passkey/register/options', null]
        ]) {
            const r = await c.post(`/api/v1/${path}`, body, { csrf: true });
            assertError(r, 403, 'reauth_required', path);
            assert.match(r.error.message, /Passwort/);
        }
        assert.deepEqual(await passkeyRows(env, user.email), before);
        assert.equal((await events(env, user.email)).length, evBefore);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM totp_factor WHERE account_id = ${await accountId(env, user.email)}`), 0);
        // 299 s old is still fresh
        await ageCheck(env, user.email, 299);
        assert.equal((await c.get('/api/v1/security')).json.reauth.fresh, true);
        await ageCheck(env, user.email, 301);
    });

    test('re-authentication with the password: wrong 401 (counted), missing 422, right 200 -> changes pass', async () => {
        const env = h.env;
        const { user, c } = u.b;
        const id = await accountId(env, user.email);
        const wrong = await c.post('/api/v1/security/reauth', { password: 'Falsch-Passwort1!' }, { csrf: true });
        assertError(wrong, 401, 'password_invalid');
        assert.equal(wrong.error.field, 'password');
        assert.equal(await env.db.scalar(`SELECT failed_logins FROM account WHERE id = ${id}`), 1);
        assertError(await c.post('/api/v1/security/reauth', { password: '' }, { csrf: true }), 422, 'password_missing');
        assertError(await c.post('/api/v1/security/reauth', {}, { csrf: true }), 422, 'reauth_method');
        assertError(await c.post('/api/v1/security/reauth', { password: user.password, code: '123456' }, { csrf: true }),
            422, 'reauth_method');
        assertError(await c.post('/api/v1/security/reauth', { password: user.password }), 403, 'csrf_failed');
        // still stale
        const [pk] = await passkeyRows(env, user.email);
        assertError(await c.post('/api/v1/security/passkey/rename', { id: pk.id, name: 'Neu' }, { csrf: true }),
            403, 'reauth_required');
        const ok = await c.post('/api/v1/security/reauth', { password: user.password }, { csrf: true });
        assert.equal(ok.status, 200, ok.text);
        assert.ok(Math.abs(ok.json.verified_at - nowSec()) <= 5);
        assert.equal(ok.json.window, 300);
        assert.equal(await env.db.scalar(`SELECT failed_logins FROM account WHERE id = ${id}`), 0);
        const r = await c.post('/api/v1/security/passkey/rename', { id: pk.id, name: 'Neu' }, { csrf: true });
        assert.equal(r.status, 204, r.text);
    });

    test('re-authentication with a passkey (options bound to the session) and with a TOTP code', async () => {
        const env = h.env;
        const { user, c, cred } = u.b;
        await ageCheck(env, user.email, 400);
        const o = await c.post('/api/v1/security/reauth/options', null, { csrf: true });
        assert.equal(o.status, 200, o.text);
        assert.deepEqual(o.json.allowCredentials, [{ type: 'public-key', id: cred.id }]);
        // without UV: refused, still stale
        const noUv = await c.post('/api/v1/security/reauth', { credential: auth.get(o.json, { flags: UP }) }, { csrf: true });
        assertError(noUv, 400, 'webauthn_uv');
        // the challenge was used up by the failure
        assertError(await c.post('/api/v1/security/reauth', { credential: auth.get(o.json) }, { csrf: true }),
            400, 'challenge_invalid');
        // another account's passkey does not re-authenticate this session
        const o2 = await c.post('/api/v1/security/reauth/options', null, { csrf: true });
        assertError(await c.post('/api/v1/security/reauth', { credential: auth.get(o2.json, { credId: u.a.cred.id }) },
            { csrf: true }), 401, 'passkey_unknown');
        assertError(await c.post('/api/v1/security/reauth', { credential: 'x' }, { csrf: true }), 422, 'passkey_response_invalid');
        // a login challenge does not serve
        const lo = await env.client().post('/api/v1/passkey/login/options', {});
        assertError(await c.post('/api/v1/security/reauth', { credential: auth.get(lo.json, { credId: cred.id }) }, { csrf: true }),
            400, 'challenge_invalid');
        assert.equal((await c.get('/api/v1/security')).json.reauth.fresh, false);
        const o3 = await c.post('/api/v1/security/reauth/options', null, { csrf: true });
        const ok = await c.post('/api/v1/security/reauth', { credential: auth.get(o3.json) }, { csrf: true });
        assert.equal(ok.status, 200, ok.text);
        assert.equal((await c.get('/api/v1/security')).json.reauth.fresh, true);

        // TOTP: add one (fresh now), age the check, re-authenticate with a code
        const secret = await addTotpAuthenticated(c);
        await ageCheck(env, user.email, 400);
        assertError(await c.post('/api/v1/security/reauth', { code: '12345' }, { csrf: true }), 422, 'code_malformed');
        const good = await codeAt(secret, nowSec() + STEP);
        const wrongs = new Set(await Promise.all([-1, 0, 1, 2].map((d) => codeAt(secret, nowSec() + d * STEP))));
        const bad = ['000000', '111111', '222222'].find((x) => !wrongs.has(x));
        assertError(await c.post('/api/v1/security/reauth', { code: bad }, { csrf: true }), 401, 'code_invalid');
        const t = await c.post('/api/v1/security/reauth', { code: good }, { csrf: true });
        assert.equal(t.status, 200, t.text);
        // each code works once: the same code again is a replay
        await ageCheck(env, user.email, 400);
        assertError(await c.post('/api/v1/security/reauth', { code: good }, { csrf: true }), 401, 'code_used');
        assert.equal((await c.get('/api/v1/security')).json.reauth.fresh, false);
    });

    test('passkey-only account: reauth/options; TOTP reauth 409 factor_missing', async () => {
        const env = h.env;
        const { c } = await withPasskey(env, auth, 'sec-only');
        assertError(await c.post('/api/v1/security/reauth', { code: '123456' }, { csrf: true }), 409, 'factor_missing');
        const { c: c2 } = u.c;  // TOTP only now
        assertError(await c2.post('/api/v1/security/reauth/options', null, { csrf: true }), 409, 'passkey_missing');
    });

    test('adding a passkey when signed in: stale check 403 at options and verify; fresh: added, event, no login event', async () => {
        const env = h.env;
        const { user, c } = u.a;
        const opt = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
        assert.equal(opt.status, 200, opt.text);
        await ageCheck(env, user.email, 400);
        const cred = auth.create(opt.json, { name: 'Zweitgerät' });
        assertError(await c.post('/api/v1/passkey/register/verify', cred, { csrf: true }), 403, 'reauth_required');
        assert.equal((await passkeyRows(env, user.email)).length, 1);
        assert.equal((await c.post('/api/v1/security/reauth', { password: user.password }, { csrf: true })).status, 200);
        // the same answer again: the challenge was not used by the refusal
        const v = await c.post('/api/v1/passkey/register/verify', cred, { csrf: true });
        assert.equal(v.status, 200, v.text);
        assert.deepEqual((await passkeyRows(env, user.email)).map((k) => k.name), ['ä'.repeat(64), 'Zweitgerät']);
        const ev = await events(env, user.email);
        assert.equal(ev.at(-1).kind, 'passkey_added');
        assert.notEqual(ev.at(-2).kind, 'login');
        // the rotated session keeps the check's time
        assert.equal((await c.get('/api/v1/security')).json.reauth.fresh, true);
    });

    test('CSRF and Origin on the change routes', async () => {
        const env = h.env;
        const [pk] = await passkeyRows(env, u.a.user.email);
        for (const p of ['security/passkey/rename', 'security/passkey/delete', 'security/totp/delete',
            'security/reauth', 'security/reauth/options']) {
            assertError(await u.a.c.post(`/api/v1/${p}`, { id: pk.id, name: 'x' }), 403, 'csrf_failed', p);
            assertError(await u.a.c.post(`/api/v1/${p}`, { id: pk.id, name: 'x' }, { csrf: true, origin: 'https://evil.example' }),
                403, 'csrf_failed', p);
        }
        const m = await u.a.c.get('/api/v1/security/passkey/rename');
        assertError(m, 405, 'method_not_allowed');
        assert.equal((await passkeyRows(env, u.a.user.email))[0].name, 'ä'.repeat(64));
    });
});

describe('passwordless passkey login: throttled per client address', () => {
    const h = useEnv({ sets: ['JobcenterThrottleClient 2 900 900'] });

    test('failures after the free ones: 429 with Retry-After, also for a right passkey; password logins unaffected', async () => {
        const env = h.env;
        const auth = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        const { user, cred } = await withPasskey(env, auth, 'thr');
        const bad = async () => {
            const c = env.client();
            const o = await c.post('/api/v1/passkey/login/options', {});
            return c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: cred.id, flipSig: true, count: 500 }));
        };
        const blockedFor = async () => Number(await env.db.scalar(
            "SELECT blocked_until FROM login_throttle WHERE client_key = 'pk:127.0.0.1'")) - nowSec();
        // 2 free failures, then 1 s, 2 s, 4 s (JobcenterThrottleClient 2 …)
        assertError(await bad(), 401, 'webauthn_signature');
        assertError(await bad(), 401, 'webauthn_signature');
        assertError(await bad(), 401, 'webauthn_signature');
        await sleep((await blockedFor() + 1) * 1000);
        assertError(await bad(), 401, 'webauthn_signature');
        await sleep((await blockedFor() + 1) * 1000);
        assertError(await bad(), 401, 'webauthn_signature');
        assert.equal(await env.db.scalar("SELECT failures FROM login_throttle WHERE client_key = 'pk:127.0.0.1'"), 5);
        assert.ok(await blockedFor() >= 3, 'blocked for 4 s');
        // while blocked even the right passkey gets 429 (without being checked)
        const c = env.client();
        const o = await c.post('/api/v1/passkey/login/options', {});
        const r = await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: cred.id }));
        assertError(r, 429, 'too_many_attempts');
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.match(r.error.message, /Bitte warten Sie \d+ Sekunden/);
        assert.equal(r.cookies.length, 0);
        // the password login has its own key
        assert.equal(await env.db.scalar("SELECT count(*) FROM login_throttle WHERE client_key = '127.0.0.1'"), 0);
        const p = await env.client().post('/api/v1/login', { login: user.email, password: user.password });
        assert.equal(p.status, 200, p.text);
        // after the delay the right passkey signs in and the failures are forgotten
        await sleep((await blockedFor() + 1) * 1000);
        const c2 = env.client();
        const o2 = await c2.post('/api/v1/passkey/login/options', {});
        const ok = await c2.post('/api/v1/passkey/login/verify', auth.get(o2.json, { credId: cred.id }));
        assert.equal(ok.status, 200, ok.text);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM login_throttle WHERE client_key = 'pk:127.0.0.1'`), 0);
    });
});

logTest();
