// Passkeys (WebAuthn) through the API with a software authenticator on
// node:crypto (tests/lib/webauthn.mjs; ES256, EdDSA, RS256): registration
// after a password login (session rotated to authenticated, mail "Passkey
// eingerichtet"), the passwordless login, a passkey as second factor
// (mfa_required), and the refusals: reused and expired challenges, wrong
// origin, crossOrigin, missing UV flag, a flipped signature byte, a counter
// regression (passkey flagged), a duplicate credential id and the
// userHandle of another account.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep } from '../lib/util.mjs';
import { strongPassword, assertError, registerAndConfirm, addTotp } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';
import { SoftAuthenticator, UP, fromB64u } from '../lib/webauthn.mjs';

const SUBJECT_PASSKEY = 'Passkey eingerichtet';
const sessionCookie = (c) => c.jar.get('jc_session');
const challengeHash = (b64) => crypto.createHash('sha256').update(fromB64u(b64)).digest('hex');

async function passwordLogin(env, user, state) {
    const c = env.client();
    const r = await c.post('/api/v1/login', { login: user.email, password: user.password });
    assert.equal(r.status, 200, r.text);
    if (state) assert.equal(r.json.state, state, r.text);
    return { c, r };
}

// Password login (setup state), register/options, create, register/verify.
async function enrol(env, auth, user, o = {}) {
    const { c } = await passwordLogin(env, user, 'mfa_setup_required');
    const opt = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
    assert.equal(opt.status, 200, opt.text);
    const cred = auth.create(opt.json, o);
    const v = await c.post('/api/v1/passkey/register/verify', cred, { csrf: true });
    return { c, opt, cred, v };
}

async function loginOptions(env) {
    const c = env.client();
    const o = await c.post('/api/v1/passkey/login/options', {});
    assert.equal(o.status, 200, o.text);
    return { c, o };
}

describe('passkeys', () => {
    const h = useEnv();
    const users = {};
    const creds = {};
    let auth;

    test('set-up: accounts of this block', async () => {
        const env = h.env;
        auth = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        await Promise.all(['es256', 'eddsa', 'rs256', 'other', 'counter'].map(async (n) => {
            users[n] = await registerAndConfirm(env, uniqueEmail(`pk-${n}`), strongPassword());
        }));
    });

    test('without a session: register and assert routes answer 401', async () => {
        const env = h.env;
        for (const p of ['register/options', 'register/verify', 'assert/options', 'assert/verify']) {
            assertError(await env.api.post(`/api/v1/passkey/${p}`, {}), 401, 'not_authenticated', p);
        }
    });

    test('register (ES256) after the password: options, verify -> authenticated, rotated, mail', async () => {
        const env = h.env;
        const user = users.es256;
        const mark = env.mail.mark();
        const { c: probe } = await passwordLogin(env, user, 'mfa_setup_required');
        const oldCookie = sessionCookie(probe);
        const opt = await probe.post('/api/v1/passkey/register/options', {}, { csrf: true });
        assert.equal(opt.status, 200, opt.text);
        assert.equal(opt.headers.get('cache-control'), 'no-store');
        const o = opt.json;
        assert.match(o.challenge, /^[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(o.rp, { id: new URL(env.base).hostname, name: 'Jobcenter.Digital' });
        assert.match(o.user.id, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(o.user.name, user.email);
        assert.deepEqual(o.pubKeyCredParams.map((x) => x.alg), [-7, -8, -257]);
        assert.equal(o.authenticatorSelection.residentKey, 'required');
        assert.equal(o.authenticatorSelection.userVerification, 'required');
        assert.deepEqual(o.excludeCredentials, []);
        assert.equal(o.timeout, 300000);
        // stored hashed, bound to the session, 5 minutes
        const [row] = await env.db.query(`SELECT purpose, session_hash, expires_at - created_at AS ttl, used_at `
            + `FROM webauthn_challenge WHERE challenge_hash = ${lit(challengeHash(o.challenge))}`);
        assert.equal(row.purpose, 'register');
        assert.ok(row.session_hash);
        assert.equal(Number(row.ttl), 300);
        assert.equal(row.used_at, null);
        assert.equal(await env.db.scalar(`SELECT user_handle FROM account WHERE email = ${lit(user.email)}`), o.user.id);

        const cred = auth.create(o, { name: 'Mein Laptop' });
        const v = await probe.post('/api/v1/passkey/register/verify', cred, { csrf: true });
        assert.equal(v.status, 200, v.text);
        assert.equal(v.json.state, 'authenticated');
        assert.notEqual(sessionCookie(probe), oldCookie, 'session rotated');
        const me = await probe.get('/api/v1/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.session.state, 'authenticated');
        // the old cookie is dead
        const old = env.client();
        old.jar.set('jc_session', oldCookie);
        assertError(await old.get('/api/v1/me'), 401, 'not_authenticated');
        const [pk] = await env.db.query(`SELECT k.cred_id, k.alg, k.sign_count, k.name, k.flagged FROM passkey k `
            + `JOIN account a ON a.id = k.account_id WHERE a.email = ${lit(user.email)}`);
        assert.equal(pk.cred_id, cred.id);
        assert.equal(Number(pk.alg), -7);
        assert.equal(pk.name, 'Mein Laptop');
        assert.equal(Number(pk.flagged), 0);
        const mail = await env.mail.waitFor(user.email, { subject: SUBJECT_PASSKEY, since: mark });
        assert.match(mail.body, /Passkey/);
        creds.es256 = cred;
    });

    test('register EdDSA and RS256 passkeys', async () => {
        const env = h.env;
        for (const [n, alg] of [['eddsa', -8], ['rs256', -257]]) {
            const { v, cred } = await enrol(env, auth, users[n], { alg });
            assert.equal(v.status, 200, `${n}: ${v.text}`);
            assert.equal(v.json.state, 'authenticated');
            creds[n] = cred;
        }
    });

    test('passwordless login with each passkey -> authenticated session', async () => {
        const env = h.env;
        for (const n of ['es256', 'eddsa', 'rs256']) {
            const { c, o } = await loginOptions(env);
            assert.equal(o.json.rpId, new URL(env.base).hostname);
            assert.equal(o.json.userVerification, 'required');
            assert.equal(o.json.allowCredentials, undefined, 'discoverable: no allowCredentials');
            const v = await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: creds[n].id }));
            assert.equal(v.status, 200, `${n}: ${v.text}`);
            assert.equal(v.json.state, 'authenticated');
            const me = await c.get('/api/v1/me');
            assert.equal(me.json.session.state, 'authenticated');
            assert.equal(me.json.account.email, users[n].email);
        }
        const sc = await env.db.scalar(`SELECT sign_count FROM passkey WHERE cred_id = ${lit(creds.es256.id)}`);
        assert.equal(Number(sc), 1);
    });

    test('passkey as second factor: password -> mfa_required (factors) -> assert -> authenticated', async () => {
        const env = h.env;
        const { c, r } = await passwordLogin(env, users.es256, 'mfa_required');
        assert.deepEqual(r.json.factors, ['passkey']);
        const before = sessionCookie(c);
        // no new passkey while the second factor is outstanding
        assertError(await c.post('/api/v1/passkey/register/options', {}, { csrf: true }), 403, 'state_insufficient');
        // CSRF token required
        assertError(await c.post('/api/v1/passkey/assert/options', {}), 403, 'csrf_failed');
        const o = await c.post('/api/v1/passkey/assert/options', {}, { csrf: true });
        assert.equal(o.status, 200, o.text);
        assert.deepEqual(o.json.allowCredentials, [{ type: 'public-key', id: creds.es256.id }]);
        const v = await c.post('/api/v1/passkey/assert/verify', auth.get(o.json), { csrf: true });
        assert.equal(v.status, 200, v.text);
        assert.equal(v.json.state, 'authenticated');
        assert.notEqual(sessionCookie(c), before, 'session rotated');
        assert.equal((await c.get('/api/v1/me')).json.session.state, 'authenticated');
    });

    test('second factor: a passkey of another account is refused (401)', async () => {
        const env = h.env;
        const { c } = await passwordLogin(env, users.es256, 'mfa_required');
        const o = await c.post('/api/v1/passkey/assert/options', {}, { csrf: true });
        const v = await c.post('/api/v1/passkey/assert/verify', auth.get(o.json, { credId: creds.eddsa.id }), { csrf: true });
        assertError(v, 401, 'passkey_unknown');
        assert.equal((await c.get('/api/v1/me')).json.session.state, 'mfa_required');
    });

    test('a challenge serves once: the second verify is refused (400 challenge_invalid)', async () => {
        const env = h.env;
        const { c, o } = await loginOptions(env);
        const v1 = await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: creds.es256.id }));
        assert.equal(v1.status, 200, v1.text);
        const v2 = await env.client().post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: creds.es256.id }));
        assertError(v2, 400, 'challenge_invalid');
        // an invented challenge is unknown
        const v3 = await env.client().post('/api/v1/passkey/login/verify',
            auth.get(o.json, { credId: creds.es256.id, challenge: crypto.randomBytes(32).toString('base64url') }));
        assertError(v3, 400, 'challenge_invalid');
    });

    test('a register challenge does not serve a login (purpose bound)', async () => {
        const env = h.env;
        const { c } = await passwordLogin(env, users.other, 'mfa_setup_required');
        const opt = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
        assert.equal(opt.status, 200, opt.text);
        const v = await env.client().post('/api/v1/passkey/login/verify',
            auth.get({ challenge: opt.json.challenge }, { credId: creds.es256.id }));
        assertError(v, 400, 'challenge_invalid');
    });

    test('wrong origin, crossOrigin true, missing UV flag: 400 with German messages', async () => {
        const env = h.env;
        const cases = [
            [{ origin: 'https://evil.example' }, 'webauthn_origin'],
            [{ crossOrigin: true }, 'webauthn_cross_origin'],
            [{ flags: UP }, 'webauthn_uv']
        ];
        for (const [o, code] of cases) {
            const { c, o: opt } = await loginOptions(env);
            const v = await c.post('/api/v1/passkey/login/verify', auth.get(opt.json, { credId: creds.rs256.id, ...o }));
            assertError(v, 400, code, JSON.stringify(o));
            assert.equal(v.cookies.length, 0, 'no session cookie');
        }
        // also at registration
        const { c } = await passwordLogin(env, users.other, 'mfa_setup_required');
        const opt = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
        const v = await c.post('/api/v1/passkey/register/verify', auth.create(opt.json, { flags: 0x41, noStore: true }), { csrf: true });
        assertError(v, 400, 'webauthn_uv');
        assert.match(v.error.message, /Gerät hat Sie nicht bestätigt/);
    });

    test('flipped signature byte: 401 webauthn_signature', async () => {
        const env = h.env;
        const { c, o } = await loginOptions(env);
        const v = await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: creds.eddsa.id, flipSig: true, count: 1000 }));
        assertError(v, 401, 'webauthn_signature');
        assert.equal(v.error.message, 'Der Passkey konnte nicht bestätigt werden. Bitte versuchen Sie es erneut.');
    });

    test('userHandle of another account: 401 webauthn_user_handle', async () => {
        const env = h.env;
        const { c, o } = await loginOptions(env);
        const v = await c.post('/api/v1/passkey/login/verify',
            auth.get(o.json, { credId: creds.es256.id, userHandle: creds.eddsa && auth.creds.get(creds.eddsa.id).userHandle }));
        assertError(v, 401, 'webauthn_user_handle');
        const { c: c2, o: o2 } = await loginOptions(env);
        assertError(await c2.post('/api/v1/passkey/login/verify', auth.get(o2.json, { credId: creds.es256.id, userHandle: null })),
            401, 'webauthn_user_handle');
    });

    test('unknown credential: 401 passkey_unknown', async () => {
        const env = h.env;
        const stranger = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        stranger.create({ challenge: 'AAAA', pubKeyCredParams: [{ alg: -7 }], user: { id: 'AAAA' } });
        const { c, o } = await loginOptions(env);
        assertError(await c.post('/api/v1/passkey/login/verify', stranger.get(o.json)), 401, 'passkey_unknown');
    });

    test('duplicate credential id at registration: 409 passkey_exists', async () => {
        const env = h.env;
        const { v } = await enrol(env, auth, users.other, { credId: fromB64u(creds.es256.id), noStore: true });
        assertError(v, 409, 'passkey_exists');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM passkey WHERE cred_id = ${lit(creds.es256.id)}`), 1);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM passkey k JOIN account a ON a.id = k.account_id `
            + `WHERE a.email = ${lit(users.other.email)}`)), 0);
    });

    test('counter regression: 401, passkey flagged, refused from then on', async () => {
        const env = h.env;
        const { v, cred } = await enrol(env, auth, users.counter);
        assert.equal(v.status, 200, v.text);
        for (let i = 0; i < 3; i++) {
            const { c, o } = await loginOptions(env);
            assert.equal((await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: cred.id }))).status, 200);
        }
        const { c, o } = await loginOptions(env);
        const r = await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: cred.id, count: 2 }));
        assertError(r, 401, 'webauthn_sign_count');
        assert.equal(Number(await env.db.scalar(`SELECT flagged FROM passkey WHERE cred_id = ${lit(cred.id)}`)), 1);
        assert.equal(Number(await env.db.scalar(`SELECT sign_count FROM passkey WHERE cred_id = ${lit(cred.id)}`)), 3);
        const { c: c2, o: o2 } = await loginOptions(env);
        assertError(await c2.post('/api/v1/passkey/login/verify', auth.get(o2.json, { credId: cred.id, count: 50 })),
            401, 'passkey_blocked');
    });

    test('passkey and TOTP: the login names both factors; either one passes', async () => {
        const env = h.env;
        // signed in with the passkey, set up TOTP as well
        const { c, o } = await loginOptions(env);
        assert.equal((await c.post('/api/v1/passkey/login/verify', auth.get(o.json, { credId: creds.rs256.id }))).status, 200);
        await addTotp(c);
        const { c: c2, r } = await passwordLogin(env, users.rs256, 'mfa_required');
        assert.deepEqual(r.json.factors, ['totp', 'passkey']);
        const a = await c2.post('/api/v1/passkey/assert/options', {}, { csrf: true });
        const v = await c2.post('/api/v1/passkey/assert/verify', auth.get(a.json), { csrf: true });
        assert.equal(v.status, 200, v.text);
        assert.equal(v.json.state, 'authenticated');
    });

    test('login/options needs the portal Origin (403 csrf_failed)', async () => {
        const env = h.env;
        assertError(await env.client({ origin: 'https://evil.example' }).post('/api/v1/passkey/login/options', {}),
            403, 'csrf_failed');
    });
});

describe('passkey challenge lifetime (JobcenterWebAuthnChallengeTTL 1)', () => {
    const h = useEnv({ sets: ['JobcenterWebAuthnChallengeTTL 1'] });

    test('an expired register challenge is refused (400 challenge_invalid)', async () => {
        const env = h.env;
        const auth = new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        const user = await registerAndConfirm(env, uniqueEmail('pk-ttl'), strongPassword());
        const { c } = await passwordLogin(env, user, 'mfa_setup_required');
        const opt = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
        assert.equal(opt.status, 200, opt.text);
        assert.equal(opt.json.timeout, 1000);
        await sleep(2100);
        const v = await c.post('/api/v1/passkey/register/verify', auth.create(opt.json), { csrf: true });
        assertError(v, 400, 'challenge_invalid');
        assert.equal(await env.db.scalar('SELECT count(*) FROM passkey'), 0);
    });
});

logTest();
