// The "Konto" page's API (GET /konto, konto/passwort, konto/email,
// konto/email/confirm, konto/sitzungen/beenden, konto/sitzungen/
// andere-beenden, konto/export, konto/loeschen): the fresh check on every
// change, password change (wrong current password, same password, rules,
// other sessions end), e-mail change (taken address answers the same, old
// address logs in until the new one is confirmed), sessions (another
// session's cookie gets 401), the export without secrets, and the deletion
// that releases the person profile for a new Freischaltcode.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep } from '../lib/util.mjs';
import { strongPassword, assertError, registerUnconfirmed } from '../lib/flows.mjs';
import { authenticatedCitizen, jobcenterWithStaff, customerWithCode, issueCode } from '../lib/fixtures.mjs';
import { lit } from '../lib/db.mjs';
import { citizenWithProfile, newDraft, uploadRaw, submit, samples, storeList } from '../lib/uploads.mjs';
import {
    SUBJECT_PW_CHANGED, SUBJECT_EMAIL_CONFIRM, SUBJECT_EMAIL_NOTICE, SUBJECT_EMAIL_TAKEN,
    SUBJECT_EMAIL_CHANGED, SUBJECT_DELETED, waitForLink, fullLogin, eventKinds, ageCheck
} from '../lib/account.mjs';

const post = (c, path, body) => c.post(path, body, { csrf: true });

describe('Konto', () => {
    const h = useEnv();

    test('GET /konto: 401 without a session; the account, its sessions with the current one marked', async () => {
        const env = h.env;
        assertError(await env.client().get('/api/v1/konto'), 401, 'not_authenticated');
        const u = await authenticatedCitizen(env, 'konto-get');
        const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
        const second = env.client();
        const l = await second.post('/api/v1/login', { login: u.email, password: u.password },
            { headers: { 'User-Agent': ua } });
        assert.equal(l.status, 200, l.text);
        const r = await u.c.get('/api/v1/konto');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.account.email, u.email);
        assert.equal(r.json.account.pending_email, null);
        assert.equal(r.json.sessions.length, 2);
        const cur = r.json.sessions.filter((s) => s.current);
        assert.equal(cur.length, 1);
        const other = r.json.sessions.find((s) => !s.current);
        assert.equal(other.device, 'Chrome auf Linux');
        assert.equal(other.user_agent, ua);
        assert.equal(other.client_ip, '127.0.0.1');
        assert.equal(other.state, 'mfa_required');
        assert.match(other.id, /^[0-9a-f]{32}$/);
        for (const s of r.json.sessions) {
            assert.ok(s.created_at > 0 && s.last_seen >= s.created_at);
            const hashes = await env.db.query(`SELECT id_hash FROM session WHERE account_id = ${u.id}`);
            assert.ok(!hashes.some((x) => x.id_hash.startsWith(s.id)), 'the reference is not the id hash');
        }
    });

    test('a stale check is refused on every change, the export and the deletion (403 reauth_required)', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-stale');
        await ageCheck(env, u.id, 301);
        const np = strongPassword();
        const calls = [
            () => post(u.c, '/api/v1/konto/passwort', { current_password: u.password, password: np, password_repeat: np }),
            () => post(u.c, '/api/v1/konto/email', { email: uniqueEmail('konto-stale-new') }),
            () => post(u.c, '/api/v1/konto/sitzungen/beenden', { id: '0'.repeat(32) }),
            () => post(u.c, '/api/v1/konto/sitzungen/andere-beenden'),
            () => u.c.get('/api/v1/konto/export'),
            () => post(u.c, '/api/v1/konto/loeschen', { password: u.password, confirm: true })
        ];
        for (const call of calls) assertError(await call(), 403, 'reauth_required');
        assert.ok(await env.db.scalar(`SELECT count(*) FROM account WHERE id = ${u.id}`) == 1);
        // after the check (security/reauth) the change goes through
        const re = await post(u.c, '/api/v1/security/reauth', { password: u.password });
        assert.equal(re.status, 200, re.text);
        assert.equal((await u.c.get('/api/v1/konto/export')).status, 200);
        // CSRF and session levels
        assertError(await u.c.post('/api/v1/konto/sitzungen/andere-beenden'), 403, 'csrf_failed');
        const half = env.client();
        await half.post('/api/v1/login', { login: u.email, password: u.password });
        assertError(await half.get('/api/v1/konto'), 403, 'state_insufficient');
    });

    test('password change: wrong current 401, same 422, rules 422; success ends the other sessions, mail, event', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-pw');
        const other = (await fullLogin(env, u.email, u.password, u.secret)).client;
        const np = strongPassword();
        const hash = await env.db.scalar(`SELECT password_hash FROM account WHERE id = ${u.id}`);
        assertError(await post(u.c, '/api/v1/konto/passwort',
            { current_password: 'Falsch-123456', password: np, password_repeat: np }), 401, 'password_invalid');
        assertError(await post(u.c, '/api/v1/konto/passwort',
            { password: np, password_repeat: np }), 422, 'password_missing');
        assertError(await post(u.c, '/api/v1/konto/passwort',
            { current_password: u.password, password: u.password, password_repeat: u.password }), 422, 'password_same');
        const weak = await post(u.c, '/api/v1/konto/passwort',
            { current_password: u.password, password: 'abc', password_repeat: 'abd' });
        assertError(weak, 422, 'validation_failed');
        assert.ok(weak.error.details.some((d) => d.code === 'password_repeat'));
        assert.equal(await env.db.scalar(`SELECT password_hash FROM account WHERE id = ${u.id}`), hash);
        assert.equal((await other.get('/api/v1/me')).status, 200);
        // the wrong password above counted like a failed login; a success clears it
        const mark = env.mail.mark();
        const r = await post(u.c, '/api/v1/konto/passwort', { current_password: u.password, password: np, password_repeat: np });
        assert.equal(r.status, 204, r.text);
        assert.equal(Number(await env.db.scalar(`SELECT failed_logins FROM account WHERE id = ${u.id}`)), 0);
        assertError(await other.get('/api/v1/me'), 401, 'not_authenticated');
        assert.equal((await u.c.get('/api/v1/me')).status, 200, 'the current session stays');
        assertError(await env.client().post('/api/v1/login', { login: u.email, password: u.password }), 401,
            'invalid_credentials');
        assert.equal((await env.client().post('/api/v1/login', { login: u.email, password: np })).status, 200);
        await env.mail.waitFor(u.email, { subject: SUBJECT_PW_CHANGED, since: mark });
        assert.ok((await eventKinds(env, u.id)).includes('password_changed'));
    });

    test('e-mail change: a taken address gets the same answer; the old address logs in until the new one is confirmed', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-mail');
        const taker = await authenticatedCitizen(env, 'konto-mail-taken');
        assertError(await post(u.c, '/api/v1/konto/email', { email: 'kein-at' }), 422, 'email_invalid');
        assertError(await post(u.c, '/api/v1/konto/email', {}), 422, 'email_missing');
        assertError(await post(u.c, '/api/v1/konto/email', { email: u.email.toUpperCase() }), 422, 'email_same');

        let mark = env.mail.mark();
        const taken = await post(u.c, '/api/v1/konto/email', { email: taker.email });
        const neu = uniqueEmail('konto-mail-new');
        const free = await post(u.c, '/api/v1/konto/email', { email: neu });
        assert.equal(taken.status, 202, taken.text);
        assert.equal(free.status, 202, free.text);
        assert.deepEqual(Object.keys(taken.json), Object.keys(free.json));
        assert.equal(taken.json.status, free.json.status);
        assert.equal(taken.json.pending_email, taker.email);
        const info = await env.mail.waitFor(taker.email, { subject: SUBJECT_EMAIL_TAKEN, since: mark });
        assert.doesNotMatch(info.body, /#token=/);
        const { token } = await waitForLink(env, neu, SUBJECT_EMAIL_CONFIRM, 'email-aendern.html', mark);
        const notices = async () => env.mail.find(u.email, { subject: SUBJECT_EMAIL_NOTICE, since: mark }).length;
        for (let i = 0; i < 50 && await notices() < 2; i++) await sleep(100);
        assert.equal(await notices(), 2, 'a notice to the old address for each request');
        assert.equal((await u.c.get('/api/v1/konto')).json.account.pending_email.email, neu);

        // before the confirmation: old address in, new one not
        assert.equal((await env.client().post('/api/v1/login', { login: u.email, password: u.password })).status, 200);
        assertError(await env.client().post('/api/v1/login', { login: neu, password: u.password }), 401,
            'invalid_credentials');
        mark = env.mail.mark();
        const ok = await env.api.post('/api/v1/konto/email/confirm', { token });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(ok.json, { status: 'email_changed', email: neu });
        assertError(await env.api.post('/api/v1/konto/email/confirm', { token }), 410, 'token_used');
        assert.equal((await env.client().post('/api/v1/login', { login: neu, password: u.password })).status, 200);
        assertError(await env.client().post('/api/v1/login', { login: u.email, password: u.password }), 401,
            'invalid_credentials');
        await env.mail.waitFor(u.email, { subject: SUBJECT_EMAIL_CHANGED, since: mark });
        const kinds = await eventKinds(env, u.id);
        assert.ok(kinds.includes('email_change_requested') && kinds.includes('email_changed'), kinds.join());
        assert.equal(await env.db.scalar(`SELECT email FROM account WHERE id = ${taker.id}`), taker.email);
    });

    test('e-mail change: an address registered by someone else before the confirmation gets 409; bad links', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-race');
        const neu = uniqueEmail('konto-race-new');
        const mark = env.mail.mark();
        assert.equal((await post(u.c, '/api/v1/konto/email', { email: neu })).status, 202);
        const { token } = await waitForLink(env, neu, SUBJECT_EMAIL_CONFIRM, 'email-aendern.html', mark);
        await registerUnconfirmed(env, neu, strongPassword());
        assertError(await env.api.post('/api/v1/konto/email/confirm', { token }), 409, 'email_taken');
        assert.equal(await env.db.scalar(`SELECT email FROM account WHERE id = ${u.id}`), u.email);
        assertError(await env.api.post('/api/v1/konto/email/confirm', { token: 'A'.repeat(43) }), 404, 'token_invalid');
        assertError(await env.api.post('/api/v1/konto/email/confirm', {}), 404, 'token_invalid');
        await env.db.exec(`UPDATE email_token SET expires_at = 1 WHERE account_id = ${u.id} AND purpose = 'email_change'`);
        assertError(await env.api.post('/api/v1/konto/email/confirm', { token }), 410, 'token_expired');
    });

    test('sessions: ending another one makes its cookie 401; the current one and unknown ids are refused', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-sess');
        const b = (await fullLogin(env, u.email, u.password, u.secret)).client;
        const c2 = (await fullLogin(env, u.email, u.password, u.secret)).client;
        const list = (await u.c.get('/api/v1/konto')).json.sessions;
        assert.equal(list.length, 3);
        const cur = list.find((s) => s.current);
        assertError(await post(u.c, '/api/v1/konto/sitzungen/beenden', { id: cur.id }), 422, 'session_current');
        assertError(await post(u.c, '/api/v1/konto/sitzungen/beenden', { id: 'f'.repeat(32) }), 404, 'session_not_found');
        assertError(await post(u.c, '/api/v1/konto/sitzungen/beenden', { id: 'xyz' }), 422, 'id_invalid');
        assertError(await post(u.c, '/api/v1/konto/sitzungen/beenden', {}), 422, 'id_invalid');
        // another account cannot end this account's sessions
        const stranger = await authenticatedCitizen(env, 'konto-sess-x');
        const bRef = (await b.get('/api/v1/konto')).json.sessions.find((s) => s.current).id;
        assertError(await post(stranger.c, '/api/v1/konto/sitzungen/beenden', { id: bRef }), 404, 'session_not_found');
        const r = await post(u.c, '/api/v1/konto/sitzungen/beenden', { id: bRef });
        assert.equal(r.status, 204, r.text);
        assertError(await b.get('/api/v1/me'), 401, 'not_authenticated');
        assert.equal((await c2.get('/api/v1/me')).status, 200);
        const all = await post(u.c, '/api/v1/konto/sitzungen/andere-beenden');
        assert.equal(all.status, 200, all.text);
        assert.deepEqual(all.json, { ended: 1 });
        assertError(await c2.get('/api/v1/me'), 401, 'not_authenticated');
        assert.equal((await u.c.get('/api/v1/konto')).json.sessions.length, 1);
        const kinds = await eventKinds(env, u.id);
        assert.ok(kinds.includes('session_ended') && kinds.includes('sessions_ended'), kinds.join());
    });

    test('export: attachment with account, factors, sessions, Verlauf, profile, consents; no hash or secret', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-export');
        const jc = await jobcenterWithStaff(env);
        const { cust, grouped } = await customerWithCode(env, jc);
        assert.equal((await post(u.c, '/api/v1/freischaltcode', { code: grouped })).status, 201);
        const r = await u.c.get('/api/v1/konto/export');
        assert.equal(r.status, 200, r.text);
        assert.match(r.headers.get('content-disposition'), /^attachment; filename="jobcenter-digital-meine-daten-\d{4}-\d\d-\d\d\.json"$/);
        assert.match(r.headers.get('content-type'), /^application\/json/);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        const d = JSON.parse(r.text);
        assert.equal(d.account.email, u.email);
        assert.ok(d.factors.totp.confirmed_at > 0);
        assert.deepEqual(d.factors.passkeys, []);
        assert.equal(d.sessions.length, 1);
        assert.equal(d.sessions[0].current, true);
        assert.ok(d.verlauf.some((e) => e.kind === 'freischaltcode_redeemed' && e.text));
        assert.equal(d.person_profile.kundennummer, cust.kundennummer);
        assert.equal(d.person_profile.jobcenter.name, jc.name);
        assert.ok(d.consents.terms_accepted_at > 0 && d.consents.email_consent_at > 0);
        // nothing secret
        const [acct] = await env.db.query(`SELECT password_hash FROM account WHERE id = ${u.id}`);
        const sessions = await env.db.query(`SELECT id_hash, csrf_token FROM session WHERE account_id = ${u.id}`);
        const sealed = await env.db.scalar(`SELECT secret_sealed FROM totp_factor WHERE account_id = ${u.id}`);
        const cookie = u.c.jar.header();
        const forbidden = [acct.password_hash, sealed, u.secret, u.secret.replace(/\s+/g, ''), u.password,
            ...sessions.flatMap((s) => [s.id_hash, s.csrf_token]), cookie.split('=')[1], '$argon2'];
        for (const f of forbidden) assert.ok(!r.text.includes(f), `the export contains ${f.slice(0, 12)}…`);
        for (const k of ['password_hash', 'secret', 'csrf', 'token', 'id_hash']) {
            assert.ok(!new RegExp(`"[a-z_]*${k}[a-z_]*":`).test(r.text), `key with ${k}`);
        }
    });

    test('deletion: password and confirmation; the profile is released and a new code binds it again', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-del');
        const other = (await fullLogin(env, u.email, u.password, u.secret)).client;
        const jc = await jobcenterWithStaff(env);
        const { cust, grouped, id: codeId } = await customerWithCode(env, jc);
        assert.equal((await post(u.c, '/api/v1/freischaltcode', { code: grouped })).status, 201);
        // a second, unused code of the customer (staff issued it by mistake): voided by the deletion
        const spare = await issueCode(env, cust.id, { createdBy: jc.staff });
        assertError(await post(u.c, '/api/v1/konto/loeschen', { password: u.password }), 422, 'confirm_required');
        assertError(await post(u.c, '/api/v1/konto/loeschen', { password: 'Falsch-123456', confirm: true }), 401,
            'password_invalid');
        assertError(await post(u.c, '/api/v1/konto/loeschen', { confirm: true }), 422, 'password_missing');
        assert.equal(Number(await env.db.scalar(`SELECT account_id FROM customer WHERE id = ${cust.id}`)), u.id);
        const mark = env.mail.mark();
        const r = await post(u.c, '/api/v1/konto/loeschen', { password: u.password, confirm: true });
        assert.equal(r.status, 204, r.text);
        assert.ok(r.cookies.some((ck) => /Max-Age=0/i.test(ck.raw || JSON.stringify(ck))), 'cookie cleared');
        assertError(await u.c.get('/api/v1/me'), 401, 'not_authenticated');
        assertError(await other.get('/api/v1/me'), 401, 'not_authenticated');
        for (const t of ['account WHERE id', 'session WHERE account_id', 'event WHERE account_id',
            'totp_factor WHERE account_id', 'email_token WHERE account_id', 'passkey WHERE account_id']) {
            assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM ${t} = ${u.id}`)), 0, t);
        }
        const [c] = await env.db.query(`SELECT account_id, bound_at FROM customer WHERE id = ${cust.id}`);
        assert.equal(c.account_id, null);
        assert.equal(c.bound_at, null);
        assert.ok(Number(await env.db.scalar(`SELECT voided_at FROM freischaltcode WHERE id = ${spare.id}`)) > 0);
        assert.equal(await env.db.scalar(`SELECT used_by FROM freischaltcode WHERE id = ${codeId}`), null);
        const fin = await env.mail.waitFor(u.email, { subject: SUBJECT_DELETED, since: mark });
        assert.match(fin.body, /neuen Freischaltcode/);
        // the old code and the spare one do not bind; a new one does
        const next = await authenticatedCitizen(env, 'konto-del-next');
        assert.notEqual((await post(next.c, '/api/v1/freischaltcode', { code: grouped })).status, 201);
        assert.notEqual((await post(next.c, '/api/v1/freischaltcode', { code: spare.grouped })).status, 201);
        const fresh = await issueCode(env, cust.id, { createdBy: jc.staff });
        const b = await post(next.c, '/api/v1/freischaltcode', { code: fresh.grouped });
        assert.equal(b.status, 201, b.text);
        assert.equal(Number(await env.db.scalar(`SELECT account_id FROM customer WHERE id = ${cust.id}`)), next.id);
        // the address can register again
        await registerUnconfirmed(env, u.email, strongPassword());
    });

    test('deletion after uploads and a message: submitted documents and the conversation stay with the customer, the draft is purged with its file', async () => {
        const env = h.env;
        const jc = await jobcenterWithStaff(env);
        const u = await citizenWithProfile(env, jc, 'konto-del-upl');
        // a submitted document
        const d1 = await newDraft(u.c, 'geldleistung');
        assert.equal((await uploadRaw(u.c, d1, samples.pdf(), 'antrag.pdf')).status, 201);
        const sub = await submit(u.c, d1);
        assert.equal(sub.status, 201, sub.text);
        // a draft that was never sent, with a file in the store
        const d2 = await newDraft(u.c, 'vermittlung');
        assert.equal((await uploadRaw(u.c, d2, samples.png(), 'foto.png')).status, 201);
        const draftStore = await env.db.scalar(`SELECT store_id FROM upload_file WHERE draft_id = ${d2}`);
        assert.ok(storeList(env, 'files').includes(draftStore), 'the draft file is in the store');
        const subFile = await env.db.scalar(
            `SELECT store_id FROM upload_file WHERE submission_id = ${sub.json.submission}`);

        const r = await post(u.c, '/api/v1/konto/loeschen', { password: u.password, confirm: true });
        assert.equal(r.status, 204, r.text);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM account WHERE id = ${u.id}`)), 0);
        // the Jobcenter keeps what it received
        const [s] = await env.db.query(
            `SELECT account_id, customer_id FROM upload_submission WHERE id = ${sub.json.submission}`);
        assert.equal(s.account_id, null);
        assert.equal(Number(s.customer_id), u.cust.id);
        assert.ok(storeList(env, 'files').includes(subFile), 'the submitted file stays in the store');
        // the draft goes with its file at the watchdog's next draft purge
        const deadline = Date.now() + 20000;
        while (Date.now() < deadline
            && Number(await env.db.scalar(`SELECT count(*) FROM upload_draft WHERE id = ${d2}`)) > 0)
            await sleep(250);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM upload_draft WHERE id = ${d2}`)), 0);
        assert.ok(!storeList(env, 'files').includes(draftStore), 'the draft file was removed');
    });

    test('deletion of a staff account is refused (409)', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'konto-staff');
        const jc = await jobcenterWithStaff(env);
        await env.db.exec('INSERT INTO staff (account_id, jobcenter_id, team, role, display_name, created_at) '
            + `VALUES (${u.id}, ${jc.id}, 'leistung', 'sachbearbeitung', 'Herr Test', 1)`);
        assertError(await post(u.c, '/api/v1/konto/loeschen', { password: u.password, confirm: true }), 409,
            'staff_account');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM account WHERE id = ${u.id}`)), 1);
    });
});

logTest();
