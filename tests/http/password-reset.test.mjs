// "Passwort vergessen" (POST /api/v1/password/forgot, password/reset/check,
// password/reset) and the postcode lookup of "Benutzername /
// E-Mail-Adresse vergessen" (GET /api/v1/jobcenter/suche): the same answer
// for known, unconfirmed and unknown addresses, the single-use link (used,
// replaced, expired), the new password ending every session while the
// second factor stays, Verlauf event and notice mail, the request limits
// per address and per client, and the lookup with its limit.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep } from '../lib/util.mjs';
import { strongPassword, assertError, registerUnconfirmed } from '../lib/flows.mjs';
import { authenticatedCitizen, createJobcenter } from '../lib/fixtures.mjs';
import { lit } from '../lib/db.mjs';
import {
    SUBJECT_RESET, SUBJECT_PW_CHANGED, linkToken, waitForLink, fullLogin, eventKinds, nowSec
} from '../lib/account.mjs';

async function forgot(env, email, client = env.api) {
    return client.post('/api/v1/password/forgot', { email });
}

async function resetLink(env, email) {
    const mark = env.mail.mark();
    const r = await forgot(env, email);
    assert.equal(r.status, 202, r.text);
    return waitForLink(env, email, SUBJECT_RESET, 'passwort-neu.html', mark);
}

describe('Passwort vergessen', () => {
    const h = useEnv({ sets: ['JobcenterPasswordResetLimit 3 1000 3600'] });

    test('the same answer for a confirmed, an unconfirmed and an unknown address; a mail only for the confirmed one', async () => {
        const env = h.env;
        const known = await authenticatedCitizen(env, 'rst-known');
        const unconfirmed = uniqueEmail('rst-unconf');
        await registerUnconfirmed(env, unconfirmed, strongPassword());
        const unknown = uniqueEmail('rst-unknown');
        const mark = env.mail.mark();
        const answers = [];
        for (const e of [known.email, unconfirmed, unknown, known.email.toUpperCase()]) {
            const r = await forgot(env, e);
            answers.push({ status: r.status, text: r.text, type: r.headers.get('content-type') });
        }
        for (const a of answers) assert.deepEqual(a, answers[0]);
        assert.equal(answers[0].status, 202);
        assert.deepEqual(JSON.parse(answers[0].text), { status: 'email_sent' });
        const mail = await env.mail.waitFor(known.email, { subject: SUBJECT_RESET, since: mark });
        assert.match(mail.body, /60 Minuten gültig/);
        assert.match(mail.body, /zweiter Faktor/);
        await sleep(1500);
        assert.equal(env.mail.find(unconfirmed, { since: mark }).length, 0, 'mail to an unconfirmed address');
        assert.equal(env.mail.find(unknown, { since: mark }).length, 0, 'mail to an unknown address');
        // two requests for the known address: only the newest link exists
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM email_token WHERE account_id = ${known.id} `
            + "AND purpose = 'reset' AND used_at IS NULL")), 1);
        // only the hash is stored
        const token = linkToken(env.mail.find(known.email, { subject: SUBJECT_RESET, since: mark }).at(-1),
            'passwort-neu.html');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM email_token WHERE token_hash = ${lit(token)}`)), 0);
    });

    test('bad input: malformed address 422, missing 422, malformed JSON 400, no Origin 403', async () => {
        const env = h.env;
        assertError(await forgot(env, 'kein-at'), 422, 'email_invalid');
        assertError(await env.api.post('/api/v1/password/forgot', {}), 422, 'email_invalid');
        assertError(await env.api.post('/api/v1/password/forgot', null, { raw: '{"email":' }), 400, 'malformed_json');
        assertError(await env.api.post('/api/v1/password/forgot', { email: 'a@b.de' }, { origin: null }), 403,
            'csrf_failed');
        assertError(await env.api.get('/api/v1/password/forgot'), 405, 'method_not_allowed');
    });

    test('the link sets a new password: every session ends, the second factor stays, event and notice mail', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'rst-ok');
        const other = (await fullLogin(env, u.email, u.password, u.secret)).client;
        const { token } = await resetLink(env, u.email);
        const chk = await env.api.post('/api/v1/password/reset/check', { token });
        assert.equal(chk.status, 200, chk.text);
        assert.equal(chk.json.status, 'valid');
        assert.ok(chk.json.expires_at > nowSec() + 3500 && chk.json.expires_at <= nowSec() + 3600);
        // the rules, as at registration
        const weak = await env.api.post('/api/v1/password/reset', { token, password: 'kurz', password_repeat: 'kurz' });
        assertError(weak, 422, 'validation_failed');
        assert.ok(weak.error.details.some((d) => d.code === 'password_length'), weak.text);
        const np = strongPassword();
        assertError(await env.api.post('/api/v1/password/reset', { token, password: np, password_repeat: np + 'x' }),
            422, 'validation_failed');
        const mark = env.mail.mark();
        const r = await env.api.post('/api/v1/password/reset', { token, password: np, password_repeat: np });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json, { status: 'password_changed' });
        // every session of the account has ended
        assertError(await u.c.get('/api/v1/me'), 401, 'not_authenticated');
        assertError(await other.get('/api/v1/me'), 401, 'not_authenticated');
        // old password refused, the new one asks for the second factor
        assertError(await env.client().post('/api/v1/login', { login: u.email, password: u.password }), 401,
            'invalid_credentials');
        const l = await env.client().post('/api/v1/login', { login: u.email, password: np });
        assert.equal(l.status, 200, l.text);
        assert.equal(l.json.state, 'mfa_required');
        assert.ok((await eventKinds(env, u.id)).includes('password_reset'));
        const notice = await env.mail.waitFor(u.email, { subject: SUBJECT_PW_CHANGED, since: mark });
        assert.match(notice.body, /Passwort vergessen/);
        assert.doesNotMatch(notice.body, /#token=/);
        // the link is used up
        assertError(await env.api.post('/api/v1/password/reset', { token, password: np, password_repeat: np }),
            410, 'token_used');
        assertError(await env.api.post('/api/v1/password/reset/check', { token }), 410, 'token_used');
    });

    test('a newer link voids the older one; an expired link changes nothing', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'rst-old');
        const first = await resetLink(env, u.email);
        const second = await resetLink(env, u.email);
        const np = strongPassword();
        assertError(await env.api.post('/api/v1/password/reset', { token: first.token, password: np, password_repeat: np }),
            404, 'token_invalid');
        const hash = await env.db.scalar(`SELECT password_hash FROM account WHERE id = ${u.id}`);
        await env.db.exec(`UPDATE email_token SET expires_at = ${nowSec() - 1} WHERE account_id = ${u.id} `
            + "AND purpose = 'reset'");
        assertError(await env.api.post('/api/v1/password/reset/check', { token: second.token }), 410, 'token_expired');
        const r = await env.api.post('/api/v1/password/reset', { token: second.token, password: np, password_repeat: np });
        assertError(r, 410, 'token_expired');
        assert.match(r.error.message, /abgelaufen/);
        assert.equal(await env.db.scalar(`SELECT password_hash FROM account WHERE id = ${u.id}`), hash);
        assert.equal((await u.c.get('/api/v1/me')).status, 200, 'the session survived');
        assertError(await env.api.post('/api/v1/password/reset/check', { token: 'x'.repeat(43) }), 404, 'token_invalid');
        assertError(await env.api.post('/api/v1/password/reset/check', { token: 'kurz' }), 404, 'token_invalid');
        assertError(await env.api.post('/api/v1/password/reset/check', {}), 404, 'token_invalid');
    });

    test('per address: the request after 3 gets 429, for unknown addresses too (no mail flood)', async () => {
        const env = h.env;
        for (const email of [(await authenticatedCitizen(env, 'rst-flood')).email, uniqueEmail('rst-flood-unknown')]) {
            const mark = env.mail.mark();
            for (let i = 0; i < 3; i++) assert.equal((await forgot(env, email)).status, 202);
            const r = await forgot(env, email);
            assertError(r, 429, 'too_many_requests');
            assert.ok(Number(r.headers.get('retry-after')) > 3500, r.headers.get('retry-after'));
            await sleep(1500);
            assert.ok(env.mail.find(email, { subject: SUBJECT_RESET, since: mark }).length <= 3);
        }
    });
});

describe('Passwort vergessen: limit per client address', () => {
    const h = useEnv({ sets: ['JobcenterPasswordResetLimit 3 4 3600'] });

    test('the 5th request of one client gets 429 whatever the address', async () => {
        const env = h.env;
        for (let i = 0; i < 4; i++) assert.equal((await forgot(env, uniqueEmail('rst-cli'))).status, 202);
        assertError(await forgot(env, uniqueEmail('rst-cli')), 429, 'too_many_requests');
        assert.equal(Number(await env.db.scalar("SELECT failures FROM login_throttle WHERE client_key = 'pwr-ip:127.0.0.1'")), 4);
    });
});

describe('Benutzername / E-Mail-Adresse vergessen: the Jobcenter of a postcode', () => {
    const h = useEnv({ sets: ['JobcenterPostcodeLookupLimit 5 3600'] });

    test('known postcode 200, unknown 404, malformed 422, then 429', async () => {
        const env = h.env;
        const jc = await createJobcenter(env, { name: 'Jobcenter Rems-Murr Test' });
        await env.db.exec(`INSERT INTO jobcenter_postcode (postcode, jobcenter_id) VALUES ('71332', ${jc.id})`);
        const r = await env.api.get('/api/v1/jobcenter/suche?plz=71332');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json, { jobcenter: { name: jc.name, street: jc.street, postcode: jc.postcode,
            city: jc.city, phone: jc.phone, opening_hours: ['Mo–Fr 08:00–12:00 Uhr', 'Do 14:00–18:00 Uhr'] } });
        assertError(await env.api.get('/api/v1/jobcenter/suche?plz=99999'), 404, 'postcode_unknown');
        assertError(await env.api.get('/api/v1/jobcenter/suche?plz=7133'), 422, 'postcode_invalid');
        assertError(await env.api.get('/api/v1/jobcenter/suche?plz=7133a'), 422, 'postcode_invalid');
        assertError(await env.api.get('/api/v1/jobcenter/suche'), 422, 'postcode_invalid');
        // malformed ones are not counted: 2 counted so far
        for (let i = 0; i < 3; i++) assert.equal((await env.api.get('/api/v1/jobcenter/suche?plz=71332')).status, 200);
        const lim = await env.api.get('/api/v1/jobcenter/suche?plz=71332');
        assertError(lim, 429, 'too_many_requests');
        assert.ok(Number(lim.headers.get('retry-after')) > 0);
    });
});

logTest();
