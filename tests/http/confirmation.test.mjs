// POST /api/v1/email/confirm and /api/v1/email/resend: valid, reused,
// unknown, expired (own Apache with JobcenterConfirmTTL 2) and replaced links.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail, sleep } from '../lib/util.mjs';
import { confirmToken } from '../lib/smtp.mjs';
import {
    strongPassword, registration, assertError, accountRows, outboxRows, counts,
    registerUnconfirmed, registerAndConfirm, confirm, SUBJECT_CONFIRM
} from '../lib/flows.mjs';

const h = useEnv();
const hx = useEnv({ sets: ['JobcenterConfirmTTL 2'] });

// the two blocks have their own Apache each and run side by side (the
// expiry test mostly waits); the tests inside a block run one by one
describe('confirmation links', { concurrency: true }, () => {
    describe('default link lifetime', { concurrency: 1 }, () => {
        test('a valid link confirms the address (200 confirmed)', async () => {
            const env = h.env;
            const email = uniqueEmail('confirm');
            const { token } = await registerUnconfirmed(env, email, strongPassword());
            assert.equal((await accountRows(env, email))[0].email_confirmed_at, null);
            const r = await confirm(env, token);
            assert.equal(r.status, 200, r.text);
            assert.deepEqual(r.json, { status: 'confirmed' });
            const [row] = await accountRows(env, email);
            assert.equal(typeof row.email_confirmed_at, 'number');
            assert.ok(Math.abs(row.email_confirmed_at - Date.now() / 1000) < 120, `email_confirmed_at ${row.email_confirmed_at}`);

            // reuse
            const again = await confirm(env, token);
            assertError(again, 410, 'token_used');
            assert.equal(again.error.field, 'token');
        });

        test('unknown and garbage tokens -> 404 token_invalid', async () => {
            const env = h.env;
            const before = await counts(env);
            const bodies = [
                { token: 'A'.repeat(43) },                       // well-formed, unknown
                { token: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' },
                { token: 'not a token!' },
                { token: '' },
                { token: 'x' },
                { token: 'A'.repeat(5000) },
                { token: 12345 },
                { token: null },
                {}
            ];
            for (const body of bodies) {
                const r = await env.api.post('/api/v1/email/confirm', body);
                assertError(r, 404, 'token_invalid', JSON.stringify(body).slice(0, 60));
            }
            assert.deepEqual(await counts(env), before);
        });

        test('confirm needs Origin (403 csrf_failed) and JSON (415)', async () => {
            const env = h.env;
            const email = uniqueEmail('confcsrf');
            const { token } = await registerUnconfirmed(env, email, strongPassword());
            assertError(await env.api.post('/api/v1/email/confirm', { token }, { origin: null }), 403, 'csrf_failed');
            assertError(await env.api.post('/api/v1/email/confirm', { token }, { origin: 'https://evil.example' }),
                403, 'csrf_failed');
            assertError(await env.api.post('/api/v1/email/confirm', null,
                { raw: JSON.stringify({ token }), contentType: 'text/plain' }), 415, 'unsupported_media_type');
            assert.equal((await accountRows(env, email))[0].email_confirmed_at, null, 'confirmed by a rejected request');
            assert.equal((await confirm(env, token)).status, 200, 'the link still works');
        });

        test('resend: 202, a new mail whose link works; the older link is then 404 token_invalid', async () => {
            const env = h.env;
            const email = uniqueEmail('resend');
            const { token: oldToken } = await registerUnconfirmed(env, email, strongPassword());
            const mark = env.mail.mark();
            const r = await env.api.post('/api/v1/email/resend', { email });
            assert.equal(r.status, 202, r.text);
            assert.deepEqual(r.json, { status: 'email_sent' });
            const m = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
            const newToken = confirmToken(m);
            assert.ok(newToken);
            assert.notEqual(newToken, oldToken);
            assert.match(m.body, /Wichtig: Bestätigen Sie Ihre E-Mail-Adresse innerhalb von 24 Stunden\./);

            assertError(await confirm(env, oldToken), 404, 'token_invalid');
            assert.equal((await accountRows(env, email))[0].email_confirmed_at, null);
            const ok = await confirm(env, newToken);
            assert.equal(ok.status, 200, ok.text);
            assertError(await confirm(env, oldToken), 404, 'token_invalid');
        });

        test('resend with different case and blanks reaches the same account', async () => {
            const env = h.env;
            const email = uniqueEmail('resendcase');
            await registerUnconfirmed(env, email, strongPassword());
            const mark = env.mail.mark();
            const r = await env.api.post('/api/v1/email/resend', { email: ` ${email.toUpperCase()} ` });
            assert.equal(r.status, 202, r.text);
            const m = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
            assert.equal((await confirm(env, confirmToken(m))).status, 200);
        });

        test('resend for an unknown address: 202 and no mail', async () => {
            const env = h.env;
            const email = uniqueEmail('ghost');
            const before = await counts(env);
            const mark = env.mail.mark();
            const r = await env.api.post('/api/v1/email/resend', { email });
            assert.equal(r.status, 202, r.text);
            assert.deepEqual(r.json, { status: 'email_sent' });
            assert.deepEqual(await counts(env), before);
            // no outbox row: nothing will be sent later either
            assert.deepEqual(await outboxRows(env, email), []);
            assert.deepEqual(env.mail.find(email, { since: mark }), []);
        });

        test('resend for an already confirmed address: 202 and no mail', async () => {
            const env = h.env;
            const email = uniqueEmail('confirmed');
            await registerAndConfirm(env, email, strongPassword());
            const before = await counts(env);
            const mark = env.mail.mark();
            const r = await env.api.post('/api/v1/email/resend', { email });
            assert.equal(r.status, 202, r.text);
            assert.deepEqual(await counts(env), before, 'a mail was queued');
            assert.deepEqual(env.mail.find(email, { since: mark }), []);
        });

        test('resend with a bad address -> 422 email_invalid', async () => {
            const env = h.env;
            const before = await counts(env);
            for (const email of ['kaputt', 'a@b', '', 'max@exa mple.org']) {
                const r = await env.api.post('/api/v1/email/resend', { email });
                assertError(r, 422, 'email_invalid', email);
                assert.equal(r.error.field, 'email');
            }
            assertError(await env.api.post('/api/v1/email/resend', {}), 422, 'email_invalid');
            assertError(await env.api.post('/api/v1/email/resend', { email: 42 }), 422, 'email_invalid');
            assert.deepEqual(await counts(env), before);
        });

        test('registering an unconfirmed address again replaces the link (newest wins)', async () => {
            const env = h.env;
            const email = uniqueEmail('again');
            const { token: first } = await registerUnconfirmed(env, email, strongPassword());
            const pw2 = strongPassword();
            const { token: second } = await registerUnconfirmed(env, email, pw2);
            assert.notEqual(first, second);
            assert.equal((await accountRows(env, email)).length, 1);
            assertError(await confirm(env, first), 404, 'token_invalid');
            assert.equal((await confirm(env, second)).status, 200);
            const login = await env.client().post('/api/v1/login', { login: email, password: pw2 });
            assert.equal(login.status, 200, login.text);
        });
    });

    describe('expired link (JobcenterConfirmTTL 2)', { concurrency: 1 }, () => {
        test('after ~3 s the link gives 410 token_expired and the account stays unconfirmed', async () => {
            const env = hx.env;
            const email = uniqueEmail('expired');
            const pw = strongPassword();
            const mark = env.mail.mark();
            const r = await env.api.post('/api/v1/register', registration(email, pw));
            assert.equal(r.status, 202, r.text);
            const registeredAt = Date.now();
            const m = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
            const token = confirmToken(m);
            const wait = registeredAt + 3200 - Date.now();
            if (wait > 0) await sleep(wait);
            const c = await confirm(env, token);
            assertError(c, 410, 'token_expired');
            assert.equal(c.error.field, 'token');
            assert.equal((await accountRows(env, email))[0].email_confirmed_at, null);
            // still expired (not "used") on a second try
            assertError(await confirm(env, token), 410, 'token_expired');
            // login with the right password: still unconfirmed
            assertError(await env.client().post('/api/v1/login', { login: email, password: pw }), 403, 'email_unconfirmed');
        });
    });
});

logTest();
