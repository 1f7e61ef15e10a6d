// Account flows and assertions shared by the API tests.
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { randomId, nowSec } from './util.mjs';
import { confirmToken } from './smtp.mjs';
import { lit } from './db.mjs';

export const SUBJECT_CONFIRM = 'Bestätigung Ihrer E-Mail-Adresse';
export const SUBJECT_KNOWN = 'Registrierung mit Ihrer E-Mail-Adresse';
export const MSG_INVALID_CREDENTIALS = 'Benutzername / E-Mail-Adresse oder Passwort ist falsch.';

// Meets every criterion: upper, lower, digit, special, 16 characters.
export function strongPassword() {
    return `Aa1!${randomId(6)}`;
}

export function registration(email, password, extra = {}) {
    return { email, password, password_repeat: password, accept_terms: true, accept_email: true, ...extra };
}

// Assert an API error answer: status, error.code, German message present.
export function assertError(res, status, code, note = '') {
    const where = `${note ? note + ': ' : ''}got ${res.status} ${res.text.slice(0, 300)}`;
    assert.equal(res.status, status, where);
    assert.ok(res.error, `no {"error": …} body; ${where}`);
    assert.equal(res.error.code, code, where);
    assert.equal(typeof res.error.message, 'string', where);
    assert.ok(res.error.message.length > 0, where);
    // docs/api.md: "field is the first offending field or null"
    assert.ok('field' in res.error && (res.error.field === null || typeof res.error.field === 'string'),
        `error.field missing or not a string/null; ${where}`);
    assert.equal(res.headers.get('cache-control'), 'no-store', where);
    assert.match(res.headers.get('content-type') || '', /^application\/json/, where);
}

// POST /register (202 expected) and wait for the confirmation mail. client:
// another client than env.api (e.g. with the browser tests' Origin).
export async function registerUnconfirmed(env, email, password, { since, client = env.api } = {}) {
    const mark = since ?? env.mail.mark();
    const r = await client.post('/api/v1/register', registration(email, password));
    assert.equal(r.status, 202, `register ${email}: ${r.status} ${r.text}`);
    const mail = await env.mail.waitFor(email, { subject: SUBJECT_CONFIRM, since: mark });
    const token = confirmToken(mail);
    assert.ok(token, `no confirmation link in the mail to ${email}:\n${mail.body}`);
    return { mail, token };
}

export async function confirm(env, token) {
    return env.api.post('/api/v1/email/confirm', { token });
}

// Register and confirm through the API; resolves once the account can log in.
export async function registerAndConfirm(env, email, password, { client = env.api } = {}) {
    const { token } = await registerUnconfirmed(env, email, password, { client });
    const r = await client.post('/api/v1/email/confirm', { token });
    assert.equal(r.status, 200, `confirm ${email}: ${r.status} ${r.text}`);
    return { email, password };
}

export async function accountRows(env, email) {
    return env.db.query(`SELECT id, email, email_confirmed_at, password_hash, failed_logins FROM account WHERE email = ${lit(email)}`);
}

export async function outboxRows(env, rcpt) {
    return env.db.query(`SELECT id, rcpt, subject, attempts, sent_at, last_error FROM mail_outbox WHERE rcpt = ${lit(rcpt)} ORDER BY id`);
}

export async function counts(env) {
    const [a] = await env.db.query('SELECT (SELECT count(*) FROM account) AS accounts, '
        + '(SELECT count(*) FROM mail_outbox) AS mails, (SELECT count(*) FROM email_token) AS tokens');
    return { accounts: Number(a.accounts), mails: Number(a.mails), tokens: Number(a.tokens) };
}

// The first TOTP factor of client c's session (mfa_setup_required, or
// authenticated with a fresh check): POST /mfa/totp/setup, then
// /mfa/totp/confirm with the code of `epoch` (default: now); both must
// answer 200. Returns the secret (spaces removed) and the confirm answer.
export async function addTotp(c, { epoch = nowSec() } = {}) {
    const s = await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
    assert.equal(s.status, 200, s.text);
    const secret = s.json.secret.replace(/\s+/g, '');
    const res = await c.post('/api/v1/mfa/totp/confirm', { code: await generate({ secret, epoch }) },
        { csrf: true });
    assert.equal(res.status, 200, res.text);
    return { secret, res };
}
