// POST /api/v1/register: the happy path over real SMTP, every validation
// code, the generic request checks (size, type, JSON, CSRF, method, route),
// and that a rejected request leaves no account and no mail behind.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { lit } from '../lib/db.mjs';
import { uniqueEmail, waitUntil } from '../lib/util.mjs';
import { confirmLink, confirmToken } from '../lib/smtp.mjs';
import {
    strongPassword, registration, assertError, accountRows, outboxRows, counts,
    SUBJECT_CONFIRM, SUBJECT_KNOWN
} from '../lib/flows.mjs';

const h = useEnv();
// addresses used by rejected requests: none of them may ever get a mail
const rejected = [];

// Send a registration that must be rejected with `status`/`code`; assert that
// nothing was stored and nothing queued. Returns the response.
async function rejectedRegistration(body, status, code, opts = {}) {
    const env = h.env;
    if (body && typeof body.email === 'string') rejected.push(body.email.trim().toLowerCase());
    const addr = body && typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
    const before = await counts(env);
    const r = await env.api.post('/api/v1/register', opts.raw !== undefined ? null : body, opts);
    assertError(r, status, code);
    // one query: totals plus rows for this very address
    const [after] = await env.db.query('SELECT (SELECT count(*) FROM account) AS accounts, '
        + '(SELECT count(*) FROM mail_outbox) AS mails, (SELECT count(*) FROM email_token) AS tokens, '
        + `(SELECT count(*) FROM account WHERE email = ${lit(addr)}) AS acct, `
        + `(SELECT count(*) FROM mail_outbox WHERE rcpt = ${lit(addr)}) AS queued`);
    assert.deepEqual({ accounts: Number(after.accounts), mails: Number(after.mails), tokens: Number(after.tokens) },
        before, 'a rejected registration changed the database (accounts, mails, tokens)');
    assert.equal(Number(after.acct), 0, 'account row created');
    assert.equal(Number(after.queued), 0, 'mail queued');
    return r;
}

// Every outbox row for rcpt is sent (so nothing will be retried) and the
// SMTP sink got exactly one message since mark; rows = expected row count.
async function sentOnce(env, rcpt, mark, rows = 1) {
    const ob = await waitUntil(async () => {
        const r = await outboxRows(env, rcpt);
        return r.length && r.every((x) => x.sent_at !== null) ? r : null;
    }, { timeoutMs: 20000, what: `sent_at of the mail to ${rcpt}` });
    assert.equal(ob.length, rows, `outbox rows for ${rcpt}`);
    assert.equal(env.mail.find(rcpt, { since: mark }).length, 1, `mails to ${rcpt}`);
}

// 422 validation_failed whose details are exactly `codes` (in any order).
async function invalid(body, codes, field) {
    const r = await rejectedRegistration(body, 422, 'validation_failed');
    const got = (r.error.details || []).map((d) => d.code).sort();
    assert.deepEqual(got, [...codes].sort(), `details: ${JSON.stringify(r.error.details)}`);
    for (const d of r.error.details) {
        assert.equal(typeof d.message, 'string', JSON.stringify(d));
        assert.ok(d.message.length > 0, JSON.stringify(d));
        assert.equal(typeof d.field, 'string', JSON.stringify(d));
    }
    if (field !== undefined) assert.equal(r.error.field, field);
    return r;
}

describe('happy path', () => {
    test('202 email_sent, one confirmation mail over SMTP with link and seed text', async () => {
        const env = h.env;
        const email = uniqueEmail('happy');
        const mark = env.mail.mark();
        const r = await env.api.post('/api/v1/register', registration(email, strongPassword()),
            { contentType: 'application/json; charset=utf-8' });
        assert.equal(r.status, 202, r.text);
        assert.deepEqual(r.json, { status: 'email_sent' });
        assert.equal(r.headers.get('cache-control'), 'no-store');

        const rows = await accountRows(env, email);
        assert.equal(rows.length, 1);
        assert.equal(rows[0].email_confirmed_at, null);
        assert.match(rows[0].password_hash, /^\$argon2id\$/);

        const m = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
        assert.deepEqual(m.rcpt, [email]);
        assert.equal(m.headers.to, email);
        assert.match(m.headers['content-type'], /^text\/plain; charset=UTF-8$/i);
        assert.match(m.body, /Wichtig: Bestätigen Sie Ihre E-Mail-Adresse innerhalb von 24 Stunden\./);
        assert.ok(m.body.includes(email), 'the mail names the address');
        const link = confirmLink(m);
        assert.ok(link, `no confirmation link in:\n${m.body}`);
        assert.ok(link.startsWith(`${env.base}/email-bestaetigen.html?token=`), link);
        assert.match(confirmToken(m), /^[A-Za-z0-9_-]{16,128}$/);
        // exactly one mail: one outbox row, marked sent (nothing left to retry)
        await sentOnce(env, email, mark);
    });

    test('the address is stored lower-case and trimmed', async () => {
        const env = h.env;
        const local = uniqueEmail('Mixed');
        const shown = `  ${local.replace('mixed', 'MiXeD').replace('example.org', 'Example.ORG')} `;
        const r = await env.api.post('/api/v1/register', registration(shown, strongPassword()));
        assert.equal(r.status, 202, r.text);
        assert.equal((await accountRows(env, local.toLowerCase())).length, 1);
        await env.mail.waitFor(local.toLowerCase(), { subject: SUBJECT_CONFIRM });
    });

    test('password of exactly 12 and of exactly 128 characters is accepted', async () => {
        const env = h.env;
        for (const pw of ['Abcdefgh12!x', `Aa1!${'x'.repeat(124)}`]) {
            const email = uniqueEmail(`len${pw.length}`);
            const r = await env.api.post('/api/v1/register', registration(email, pw));
            assert.equal(r.status, 202, `${pw.length} chars: ${r.text}`);
            assert.equal((await accountRows(env, email)).length, 1);
        }
    });
});

describe('consents', () => {
    test('accept_terms missing/false -> terms_required', async () => {
        await invalid(registration(uniqueEmail('noterms'), strongPassword(), { accept_terms: false }),
            ['terms_required'], 'accept_terms');
        const body = registration(uniqueEmail('noterms'), strongPassword());
        delete body.accept_terms;
        await invalid(body, ['terms_required'], 'accept_terms');
        // a string is not a consent
        await invalid(registration(uniqueEmail('noterms'), strongPassword(), { accept_terms: 'true' }),
            ['terms_required'], 'accept_terms');
    });

    test('accept_email missing/false -> email_consent_required', async () => {
        await invalid(registration(uniqueEmail('noconsent'), strongPassword(), { accept_email: false }),
            ['email_consent_required'], 'accept_email');
        const body = registration(uniqueEmail('noconsent'), strongPassword());
        delete body.accept_email;
        await invalid(body, ['email_consent_required'], 'accept_email');
    });

    test('both consents missing -> both codes', async () => {
        await invalid(registration(uniqueEmail('noboth'), strongPassword(), { accept_email: false, accept_terms: false }),
            ['terms_required', 'email_consent_required']);
    });
});

describe('password criteria, each alone', () => {
    const cases = [
        ['11 characters', 'Abcdefg12!x', 'password_length'],
        ['129 characters', `Aa1!${'x'.repeat(125)}`, 'password_length'],
        ['no upper-case letter', 'abcdefgh1234!', 'password_upper'],
        ['no lower-case letter', 'ABCDEFGH1234!', 'password_lower'],
        ['no digit', 'Abcdefghijkl!', 'password_digit'],
        ['no special character', 'Abcdefgh1234', 'password_special'],
        ['a space', 'Abcdefgh 1234!', 'password_invalid_chars'],
        ['an umlaut (ä)', 'Abcdefgh1234!ä', 'password_invalid_chars'],
        ['a tab', 'Abcdefgh\t1234!', 'password_invalid_chars']
    ];
    for (const [what, pw, code] of cases) {
        test(`${what} -> ${code}`, async () => {
            assert.ok(what !== '11 characters' || pw.length === 11);
            assert.ok(what !== '129 characters' || pw.length === 129);
            await invalid(registration(uniqueEmail('pw'), pw), [code], 'password');
        });
    }

    test('length counts characters, not bytes (docs/api.md)', async () => {
        // 12 characters, 13 bytes: only the umlaut is wrong
        await invalid(registration(uniqueEmail('chars'), 'Abcdefgh12!ä'), ['password_invalid_chars'], 'password');
        // 128 characters, 129 bytes: only the umlaut is wrong
        await invalid(registration(uniqueEmail('chars'), `Aa1!${'x'.repeat(123)}ä`), ['password_invalid_chars'], 'password');
        // 11 characters, 12 bytes: too short as well
        await invalid(registration(uniqueEmail('chars'), 'Abcdefg12!ä'), ['password_length', 'password_invalid_chars'],
            'password');
        // 129 characters, 130 bytes: too long as well
        await invalid(registration(uniqueEmail('chars'), `Aa1!${'x'.repeat(124)}ä`),
            ['password_length', 'password_invalid_chars'], 'password');
    });

    test('password_repeat mismatch -> password_repeat (field password_repeat)', async () => {
        const pw = strongPassword();
        await invalid(registration(uniqueEmail('repeat'), pw, { password_repeat: `${pw}x` }),
            ['password_repeat'], 'password_repeat');
        const body = registration(uniqueEmail('repeat'), pw);
        delete body.password_repeat;
        await invalid(body, ['password_repeat'], 'password_repeat');
    });

    test('every failed criterion is reported separately ("abc")', async () => {
        const r = await invalid(registration(uniqueEmail('abc'), 'abc'),
            ['password_length', 'password_upper', 'password_digit', 'password_special'], 'password');
        for (const d of r.error.details) assert.equal(d.field, 'password');
    });

    test('all problems at once: e-mail, password, repeat, consents', async () => {
        await invalid({ email: 'kaputt', password: '', password_repeat: 'x', accept_terms: false, accept_email: false },
            ['email_invalid', 'password_length', 'password_upper', 'password_lower', 'password_digit',
                'password_special', 'password_repeat', 'terms_required', 'email_consent_required'], 'email');
    });
});

describe('e-mail address', () => {
    for (const bad of ['not-an-email', 'a@', '@example.org', 'a b@example.org', 'max@example', 'max@@example.org',
        'max@exa mple.org', `${'x'.repeat(250)}@example.org`]) {
        test(`"${bad.length > 40 ? bad.slice(0, 20) + '…(' + bad.length + ')' : bad}" -> email_invalid`, async () => {
            await invalid(registration(bad, strongPassword()), ['email_invalid'], 'email');
        });
    }

    test('254 characters (the maximum) are accepted and mailed; 255 -> email_invalid', async () => {
        const env = h.env;
        const tag = uniqueEmail('x').slice(2, 12);                  // 10 random characters
        const local = `${tag}${'a'.repeat(54)}`;                    // 64 (maximum local part)
        const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.org`;
        const max = `${local}@${domain}`;
        assert.equal(max.length, 254);
        const mark = env.mail.mark();
        const r = await env.api.post('/api/v1/register', registration(max, strongPassword()));
        assert.equal(r.status, 202, r.text);
        assert.equal((await accountRows(env, max)).length, 1);
        const m = await env.mail.waitFor(max, { subject: SUBJECT_CONFIRM, since: mark });
        assert.ok(confirmToken(m));
        const over = `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.org`;
        assert.equal(over.length, 255);
        await invalid(registration(over, strongPassword()), ['email_invalid'], 'email');
        await invalid(registration(`${'a'.repeat(65)}@example.org`, strongPassword()), ['email_invalid'], 'email');
    });

    test('missing or empty -> email_missing', async () => {
        const body = registration('', strongPassword());
        await invalid(body, ['email_missing'], 'email');
        delete body.email;
        await invalid(body, ['email_missing'], 'email');
    });
});

describe('duplicate address', () => {
    test('second registration of a confirmed address: same 202, no second account, informational mail', async () => {
        const env = h.env;
        const email = uniqueEmail('dup');
        const pw1 = strongPassword();
        const pw2 = strongPassword();
        let mark = env.mail.mark();
        assert.equal((await env.api.post('/api/v1/register', registration(email, pw1))).status, 202);
        const first = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
        const c = await env.api.post('/api/v1/email/confirm', { token: confirmToken(first) });
        assert.equal(c.status, 200, c.text);
        const [acct] = await accountRows(env, email);

        mark = env.mail.mark();
        const r = await env.api.post('/api/v1/register', registration(email, pw2));
        assert.equal(r.status, 202, r.text);
        assert.deepEqual(r.json, { status: 'email_sent' });
        const rows = await accountRows(env, email);
        assert.equal(rows.length, 1, 'second account');
        assert.equal(rows[0].id, acct.id);
        assert.equal(rows[0].password_hash, acct.password_hash, 'the password of a confirmed account was replaced');
        assert.notEqual(rows[0].email_confirmed_at, null);

        const info = await env.mail.waitFor(email, { subject: SUBJECT_KNOWN, since: mark });
        assert.equal(confirmLink(info), null, 'the informational mail must not contain a confirmation link');
        assert.match(info.body, /bereits ein Konto/);
        assert.ok(info.body.includes(`${env.base}/anmeldung.html`), info.body);
        await sentOnce(env, email, mark, 2);
        // the old password still works, the new one does not
        const ok = await env.client().post('/api/v1/login', { login: email, password: pw1 });
        assert.equal(ok.status, 200, ok.text);
        const bad = await env.client().post('/api/v1/login', { login: email, password: pw2 });
        assertError(bad, 401, 'invalid_credentials');
    });
});

describe('request checks', () => {
    test('body over 16384 bytes -> 413 body_too_large', async () => {
        const body = registration(uniqueEmail('big'), strongPassword(), { pad: 'x'.repeat(16500) });
        assert.ok(JSON.stringify(body).length > 16384);
        await rejectedRegistration(body, 413, 'body_too_large');
    });

    test('body of exactly 16384 bytes is accepted by the size check', async () => {
        const body = registration(uniqueEmail('edge'), strongPassword(), { pad: '' });
        body.pad = 'x'.repeat(16384 - JSON.stringify(body).length);
        assert.equal(Buffer.byteLength(JSON.stringify(body)), 16384);
        const r = await h.env.api.post('/api/v1/register', body);
        assert.equal(r.status, 202, r.text);
    });

    test('chunked body (no Content-Length) over the limit -> 413 body_too_large', async () => {
        const big = JSON.stringify(registration(uniqueEmail('chunked'), strongPassword(), { pad: 'y'.repeat(20000) }));
        const stream = new ReadableStream({
            start(ctrl) {
                const buf = Buffer.from(big);
                for (let i = 0; i < buf.length; i += 4096) ctrl.enqueue(buf.subarray(i, i + 4096));
                ctrl.close();
            }
        });
        await rejectedRegistration(null, 413, 'body_too_large', { raw: stream, contentType: 'application/json' });
    });

    test('Content-Type text/plain -> 415 unsupported_media_type', async () => {
        const body = registration(uniqueEmail('ctype'), strongPassword());
        rejected.push(body.email);
        await rejectedRegistration(null, 415, 'unsupported_media_type',
            { raw: JSON.stringify(body), contentType: 'text/plain' });
        await rejectedRegistration(null, 415, 'unsupported_media_type',
            { raw: JSON.stringify(body), contentType: 'application/jsonx' });
        await rejectedRegistration(null, 415, 'unsupported_media_type',
            { raw: JSON.stringify(body), contentType: null });
    });

    test('malformed JSON -> 400 malformed_json', async () => {
        for (const raw of ['{"email": "a@example.org",', '', 'null', '"text"', '{"email": "a@example.org"} x',
            Buffer.from([0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])]) {
            await rejectedRegistration(null, 400, 'malformed_json', { raw });
        }
    });

    test('duplicate JSON keys -> 400 malformed_json', async () => {
        const email = uniqueEmail('dupkey');
        rejected.push(email);
        const pw = strongPassword();
        const raw = `{"email":"${email}","email":"${uniqueEmail('dupkey2')}","password":"${pw}",`
            + `"password_repeat":"${pw}","accept_terms":true,"accept_email":true}`;
        await rejectedRegistration(null, 400, 'malformed_json', { raw });
    });

    test('JSON array instead of object -> 400 malformed_json', async () => {
        const body = registration(uniqueEmail('array'), strongPassword());
        rejected.push(body.email);
        await rejectedRegistration(null, 400, 'malformed_json', { raw: JSON.stringify([body]) });
    });

    test('missing Origin -> 403 csrf_failed', async () => {
        await rejectedRegistration(registration(uniqueEmail('noorigin'), strongPassword()), 403, 'csrf_failed',
            { origin: null });
    });

    test('foreign Origin -> 403 csrf_failed', async () => {
        const env = h.env;
        for (const origin of ['https://evil.example', `${env.base}.evil.example`, `http://localhost:${env.port}`,
            `${env.base}/`, 'null']) {
            await rejectedRegistration(registration(uniqueEmail('evil'), strongPassword()), 403, 'csrf_failed',
                { origin });
        }
    });

    test('GET /api/v1/register -> 405 method_not_allowed with Allow: POST', async () => {
        const r = await h.env.api.get('/api/v1/register');
        assertError(r, 405, 'method_not_allowed');
        assert.equal(r.headers.get('allow'), 'POST');
    });

    test('POST /api/v1/password-policy -> 405 with Allow: GET, HEAD', async () => {
        const r = await h.env.api.post('/api/v1/password-policy', {});
        assertError(r, 405, 'method_not_allowed');
        assert.match(r.headers.get('allow') || '', /GET/);
    });

    test('unknown route -> 404 not_found', async () => {
        for (const p of ['/api/v1/nope', '/api/v1/register/', '/api/v1/', '/api/v1/REGISTER']) {
            const r = await h.env.api.get(p);
            assertError(r, 404, 'not_found', p);
        }
        const r = await h.env.api.post('/api/v1/nope', {});
        assertError(r, 404, 'not_found');
    });

    test('GET /api/v1/password-policy -> 200 with the policy', async () => {
        const r = await h.env.api.get('/api/v1/password-policy');
        assert.equal(r.status, 200);
        assert.deepEqual(r.json, { min_length: 12, max_length: 128, specials: '@#$%&*-_!+=;,.?/"()' });
    });
});

test('no rejected registration produced a mail over SMTP', async () => {
    const env = h.env;
    // no outbox rows were written for them (checked per request), so nothing
    // can arrive later either
    const got = env.mail.messages.filter((m) => m.rcpt.some((r) => rejected.includes(r)));
    assert.deepEqual(got.map((m) => `${m.rcpt}: ${m.subject}`), []);
    assert.ok(rejected.length > 20, `only ${rejected.length} rejected addresses tracked`);
});

logTest();
