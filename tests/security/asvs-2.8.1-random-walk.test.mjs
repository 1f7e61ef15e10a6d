// ASVS 4.0.3 V2.8.1 / V3.7.1: the invariant behind the session state
// machine, tested by random walks. An attacker knows the password of an
// account that has a second factor (TOTP, a passkey, or both), and has
// authenticators and TOTP apps of their own. From a password-only session,
// random sequences of API calls (login, TOTP set-up / confirm / verify,
// passkey registration / assertion / passwordless login with the attacker's
// passkeys, re-authentication, the letter flow, password change, logout ...)
// must never reach `authenticated`: no request of the walk verifies a
// factor the account had before the walk began. At the end the account's
// factors are the ones it had.
//
// Seeded: JC_WALK_SEED=<n> repeats a walk; the seed and the steps are
// printed on failure. JC_WALKS / JC_WALK_STEPS change the size.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, nowSec } from '../lib/util.mjs';
import { strongPassword, registerAndConfirm, addTotp } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';
import { SoftAuthenticator } from '../lib/webauthn.mjs';

const WALKS = Number(process.env.JC_WALKS || 12);
const STEPS = Number(process.env.JC_WALK_STEPS || 30);
const SEED = Number(process.env.JC_WALK_SEED || Math.floor(Math.random() * 2 ** 31));

// mulberry32: a small seeded PRNG
function prng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6D2B79F5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

async function factorState(env, email) {
    const id = `(SELECT id FROM account WHERE email = ${lit(email)})`;
    const pk = await env.db.query(`SELECT cred_id FROM passkey WHERE account_id = ${id} ORDER BY cred_id`);
    const t = await env.db.query(`SELECT secret_sealed, confirmed_at FROM totp_factor WHERE account_id = ${id} `
        + 'AND confirmed_at IS NOT NULL');
    return JSON.stringify({ pk: pk.map((r) => r.cred_id), totp: t.map((r) => r.secret_sealed) });
}

describe('random walks from a password-only session never reach authenticated', () => {
    const h = useEnv();

    test(`${WALKS} walks of ${STEPS} steps (seed ${SEED})`, async () => {
        const env = h.env;
        const rpId = new URL(env.base).hostname;
        const owner = new SoftAuthenticator({ rpId, origin: env.base });
        const rnd = prng(SEED);
        const pick = (a) => a[Math.floor(rnd() * a.length)];
        console.log(`# random walk seed ${SEED} (JC_WALK_SEED=${SEED} repeats it)`);

        for (let w = 0; w < WALKS; w++) {
            const kind = ['totp', 'passkey', 'both'][w % 3];
            // the victim: an account with its factor(s), set up by its owner
            const u = await registerAndConfirm(env, uniqueEmail(`walk-${kind}`), strongPassword());
            {
                const c = env.client();
                const l = await c.post('/api/v1/login', { login: u.email, password: u.password });
                assert.equal(l.json.state, 'mfa_setup_required', l.text);
                if (kind !== 'totp') {
                    const o = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
                    const v = await c.post('/api/v1/passkey/register/verify', owner.create(o.json), { csrf: true });
                    assert.equal(v.status, 200, v.text);
                }
                if (kind !== 'passkey') await addTotp(c);
            }
            const before = await factorState(env, u.email);

            // the attacker
            const atk = new SoftAuthenticator({ rpId, origin: env.base });
            let c = env.client();
            let secret = null, regOpts = null, assertOpts = null, loginOpts = null;
            const trail = [];
            const code = async () => (secret && rnd() < 0.8
                ? generate({ secret, epoch: nowSec() }) : String(Math.floor(rnd() * 1e6)).padStart(6, '0'));
            const newPw = strongPassword();
            const actions = {
                login: async () => {
                    c = env.client();
                    return c.post('/api/v1/login', { login: u.email, password: u.password });
                },
                me: () => c.get('/api/v1/me'),
                logout: () => c.post('/api/v1/logout', {}, { csrf: true }),
                totpSetup: async () => {
                    const r = await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
                    if (r.status === 200) secret = r.json.secret.replace(/\s+/g, '');
                    return r;
                },
                totpConfirm: async () => c.post('/api/v1/mfa/totp/confirm', { code: await code() }, { csrf: true }),
                totpVerify: async () => c.post('/api/v1/mfa/totp/verify', { code: await code() }, { csrf: true }),
                pkRegOptions: async () => {
                    const r = await c.post('/api/v1/passkey/register/options', {}, { csrf: true });
                    if (r.status === 200) regOpts = r.json;
                    return r;
                },
                pkRegVerify: () => c.post('/api/v1/passkey/register/verify', regOpts ? atk.create(regOpts)
                    : { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} }, { csrf: true }),
                pkAssertOptions: async () => {
                    const r = await c.post('/api/v1/passkey/assert/options', {}, { csrf: true });
                    if (r.status === 200) assertOpts = r.json;
                    return r;
                },
                pkAssertVerify: () => c.post('/api/v1/passkey/assert/verify', assertOpts && atk.creds.size
                    ? atk.get(assertOpts, { credId: pick([...atk.creds.keys()]) })
                    : { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} }, { csrf: true }),
                pkLogin: async () => {
                    const o = await env.client().post('/api/v1/passkey/login/options', {});
                    if (o.status === 200) loginOpts = o.json;
                    if (!loginOpts || !atk.creds.size) return o;
                    c = env.client();
                    return c.post('/api/v1/passkey/login/verify',
                        atk.get(loginOpts, { credId: pick([...atk.creds.keys()]) }));
                },
                reauth: () => c.post('/api/v1/security/reauth', { password: u.password }, { csrf: true }),
                onetimePassword: () => c.post('/api/v1/onetime/password', { password: newPw, password_repeat: newPw },
                    { csrf: true }),
                onetimeEmail: () => c.post('/api/v1/onetime/email', { email: uniqueEmail('walk-new') }, { csrf: true }),
                kontoPassword: () => c.post('/api/v1/konto/passwort', { current_password: u.password,
                    password: newPw, password_repeat: newPw }, { csrf: true }),
                othersEnd: () => c.post('/api/v1/konto/sitzungen/andere-beenden', {}, { csrf: true }),
                forgot: () => env.client().post('/api/v1/password/forgot', { email: u.email })
            };
            const names = Object.keys(actions);
            trail.push('login');
            await actions.login();
            for (let s = 0; s < STEPS; s++) {
                const name = s % 5 === 0 ? 'login' : pick(names);
                trail.push(name);
                const r = await actions[name]();
                const where = `seed ${SEED}, walk ${w} (${kind}), steps: ${trail.join(' → ')}; `
                    + `last answer ${r.status} ${r.text.slice(0, 200)}`;
                assert.ok(r.status < 500, `server error: ${where}`);
                assert.notEqual(r.json && r.json.state, 'authenticated', `reached authenticated: ${where}`);
                const me = await c.get('/api/v1/me');
                if (me.status === 200) {
                    assert.notEqual(me.json.session.state, 'authenticated', `session authenticated: ${where}`);
                }
            }
            assert.equal(await factorState(env, u.email), before,
                `seed ${SEED}, walk ${w}: the account's factors changed; steps: ${trail.join(' → ')}`);
        }
    });

    logTest();
});
