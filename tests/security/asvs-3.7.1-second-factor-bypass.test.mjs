// ASVS 4.0.3 V3.7.1 / V2.8 (a second factor cannot be skipped): an attacker
// who knows the password only. On 8bb68c1 a passkey-only account was taken
// over by POST /login -> mfa_required -> POST /mfa/totp/setup (200) ->
// /mfa/totp/confirm with a code of the attacker's own secret ->
// authenticated. Each test tries a way round the factor, asserts the
// refusal and that nothing changed (factors, session state).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, nowSec, sessionCacheSettled } from '../lib/util.mjs';
import { strongPassword, assertError, registerAndConfirm } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';
import { SoftAuthenticator } from '../lib/webauthn.mjs';

const code = (secret, t = nowSec()) => generate({ secret: secret.replace(/\s+/g, ''), epoch: t });

async function factors(env, email) {
    const id = `(SELECT id FROM account WHERE email = ${lit(email)})`;
    const pk = await env.db.query(`SELECT id, cred_id FROM passkey WHERE account_id = ${id} ORDER BY id`);
    const totp = await env.db.query(`SELECT confirmed_at FROM totp_factor WHERE account_id = ${id}`);
    return {
        passkeys: pk.map((r) => r.cred_id),
        totpConfirmed: totp.filter((r) => r.confirmed_at !== null && r.confirmed_at !== '').length
    };
}

async function login(env, u) {
    const c = env.client();
    const l = await c.post('/api/v1/login', { login: u.email, password: u.password });
    assert.equal(l.status, 200, l.text);
    return { c, state: l.json.state };
}

async function state(c) {
    const me = await c.get('/api/v1/me');
    assert.equal(me.status, 200, me.text);
    return me.json.session.state;
}

async function addPasskey(c, auth) {
    const o = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
    assert.equal(o.status, 200, o.text);
    const cred = auth.create(o.json);
    const v = await c.post('/api/v1/passkey/register/verify', cred, { csrf: true });
    assert.equal(v.status, 200, v.text);
    return cred.id;
}

describe('second factor: no way round it with the password alone', () => {
    const h = useEnv();
    let victimAuth, attackerAuth;

    async function passkeyAccount(tag) {
        const env = h.env;
        victimAuth ??= new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        attackerAuth ??= new SoftAuthenticator({ rpId: new URL(env.base).hostname, origin: env.base });
        const u = await registerAndConfirm(env, uniqueEmail(tag), strongPassword());
        const { c, state: st } = await login(env, u);
        assert.equal(st, 'mfa_setup_required');
        u.credId = await addPasskey(c, victimAuth);
        return u;
    }

    test('passkey-only account, password session (mfa_required): TOTP set-up and passkey registration refused; '
        + 'nothing changes; the sensitive routes stay closed', async () => {
        const env = h.env;
        const u = await passkeyAccount('bypass-pk');
        const before = await factors(env, u.email);
        const { c, state: st } = await login(env, u);
        assert.equal(st, 'mfa_required');
        // the attack of 8bb68c1
        assertError(await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/mfa/totp/confirm', { code: '123456' }, { csrf: true }),
            403, 'state_insufficient');
        assertError(await c.post('/api/v1/passkey/register/options', {}, { csrf: true }), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/passkey/register/verify', { id: 'x' }, { csrf: true }),
            403, 'state_insufficient');
        // what the attacker wanted next
        assertError(await c.post('/api/v1/security/passkey/delete', { id: 1 }, { csrf: true }),
            403, 'state_insufficient');
        assertError(await c.post('/api/v1/konto/email', { email: 'evil@example.org' }, { csrf: true }),
            403, 'state_insufficient');
        assertError(await c.get('/api/v1/konto/export'), 403, 'state_insufficient');
        assert.equal(await state(c), 'mfa_required');
        assert.deepEqual(await factors(env, u.email), before);
        const rows = await env.db.query(`SELECT count(*) AS n FROM totp_factor WHERE account_id = `
            + `(SELECT id FROM account WHERE email = ${lit(u.email)})`);
        assert.equal(Number(rows[0].n), 0, 'no pending TOTP secret was stored');
    });

    test('TOTP-only account, password session: TOTP set-up and passkey registration refused', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('bypass-totp'), strongPassword());
        const first = await login(env, u);
        const s = await first.c.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
        assert.equal(s.status, 200, s.text);
        assert.equal((await first.c.post('/api/v1/mfa/totp/confirm', { code: await code(s.json.secret) },
            { csrf: true })).status, 200);
        const before = await factors(env, u.email);
        const { c, state: st } = await login(env, u);
        assert.equal(st, 'mfa_required');
        assertError(await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }), 403, 'state_insufficient');
        assertError(await c.post('/api/v1/passkey/register/options', {}, { csrf: true }), 403, 'state_insufficient');
        assert.equal(await state(c), 'mfa_required');
        assert.deepEqual(await factors(env, u.email), before);
    });

    test('a password-only session from before the first factor (mfa_setup_required) cannot add one once the '
        + 'account has a factor: set-up, a pending set-up\'s confirm, passkey options and verify -> 409', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('bypass-stale'), strongPassword());
        const attacker = await login(env, u);
        assert.equal(attacker.state, 'mfa_setup_required');
        // the attacker starts both set-ups while the account has no factor
        const s = await attacker.c.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
        assert.equal(s.status, 200, s.text);
        const opts = await attacker.c.post('/api/v1/passkey/register/options', {}, { csrf: true });
        assert.equal(opts.status, 200, opts.text);
        // meanwhile the owner adds a passkey from another session
        const owner = await login(env, u);
        await addPasskey(owner.c, victimAuth);
        const before = await factors(env, u.email);
        assertError(await attacker.c.post('/api/v1/mfa/totp/confirm', { code: await code(s.json.secret) },
            { csrf: true }), 409, 'factor_exists');
        assertError(await attacker.c.post('/api/v1/passkey/register/verify', attackerAuth.create(opts.json),
            { csrf: true }), 409, 'factor_exists');
        assertError(await attacker.c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }), 409, 'factor_exists');
        assertError(await attacker.c.post('/api/v1/passkey/register/options', {}, { csrf: true }),
            409, 'factor_exists');
        assert.equal(await state(attacker.c), 'mfa_setup_required');
        assert.deepEqual(await factors(env, u.email), before);
    });

    test('two password-only sessions add a factor at the same moment: exactly one wins (5 rounds)', async () => {
        const env = h.env;
        for (let round = 0; round < 5; round++) {
            const u = await registerAndConfirm(env, uniqueEmail(`race-${round}`), strongPassword());
            const a = await login(env, u);
            const b = await login(env, u);
            const s = await a.c.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
            assert.equal(s.status, 200, s.text);
            const opts = await b.c.post('/api/v1/passkey/register/options', {}, { csrf: true });
            assert.equal(opts.status, 200, opts.text);
            const cred = attackerAuth.create(opts.json);
            const totpCode = await code(s.json.secret);
            const [ra, rb] = await Promise.all([
                a.c.post('/api/v1/mfa/totp/confirm', { code: totpCode }, { csrf: true }),
                b.c.post('/api/v1/passkey/register/verify', cred, { csrf: true })
            ]);
            const ok = [ra, rb].filter((r) => r.status === 200);
            assert.equal(ok.length, 1, `round ${round}: ${ra.status} ${ra.text} / ${rb.status} ${rb.text}`);
            const loser = ra.status === 200 ? rb : ra;
            assertError(loser, 409, 'factor_exists', `round ${round}`);
            const f = await factors(env, u.email);
            assert.equal(f.passkeys.length + f.totpConfirmed, 1, `round ${round}: ${JSON.stringify(f)}`);
        }
    });

    test('adding a factor when signed in needs a recent check (stale: 403 reauth_required, nothing added)',
        async () => {
            const env = h.env;
            const u = await passkeyAccount('bypass-fresh');
            // sign in with the passkey (passwordless), then age the check
            const c = env.client();
            const o = await c.post('/api/v1/passkey/login/options', {});
            const v = await c.post('/api/v1/passkey/login/verify', victimAuth.get(o.json, { credId: u.credId }));
            assert.equal(v.status, 200, v.text);
            await env.db.exec(`UPDATE session SET verified_at = ${nowSec() - 86400} WHERE account_id = `
                + `(SELECT id FROM account WHERE email = ${lit(u.email)})`);
            await sessionCacheSettled();
            const before = await factors(env, u.email);
            assertError(await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true }), 403, 'reauth_required');
            assertError(await c.post('/api/v1/passkey/register/options', {}, { csrf: true }), 403, 'reauth_required');
            assert.deepEqual(await factors(env, u.email), before);
        });

    logTest();
});
