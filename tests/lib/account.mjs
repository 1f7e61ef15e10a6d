// Helpers of the self-service and "Konto" tests (password-reset, konto).
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { lit } from './db.mjs';
import { nowSec, sessionCacheSettled } from './util.mjs';

export const SUBJECT_RESET = 'Neues Passwort festlegen';
export const SUBJECT_PW_CHANGED = 'Ihr Passwort wurde geändert';
export const SUBJECT_EMAIL_CONFIRM = 'Bestätigung Ihrer neuen E-Mail-Adresse';
export const SUBJECT_EMAIL_NOTICE = 'Änderung Ihrer E-Mail-Adresse';
export const SUBJECT_EMAIL_TAKEN = 'Ihre E-Mail-Adresse';
export const SUBJECT_EMAIL_CHANGED = 'Ihre E-Mail-Adresse wurde geändert';
export const SUBJECT_DELETED = 'Ihr Konto wurde gelöscht';

export { nowSec };

// The link ".../<page>#token=..." in a mail body and its token
// ({ link, token }), or null.
export function mailLink(mail, page) {
    const re = new RegExp(`https?://[^\\s<>"]+/${page.replace('.', '\\.')}#token=([A-Za-z0-9_-]+)`);
    const m = re.exec(mail.body);
    return m ? { link: m[0], token: m[1] } : null;
}

// The token of a link ".../<page>#token=..." in a mail body, or null.
export function linkToken(mail, page) {
    return mailLink(mail, page)?.token ?? null;
}

// Wait for the mail to rcpt with subject since mark and read its link to
// page (e.g. 'passwort-neu.html', 'email-aendern.html'); fails when it has
// none. Resolves { mail, link, token }: the test uses the link once.
export async function waitForLink(env, rcpt, subject, page, since) {
    const mail = await env.mail.waitFor(rcpt, { subject, since });
    const l = mailLink(mail, page);
    assert.ok(l, `no link to ${page} in the mail to ${rcpt}:\n${mail.body}`);
    return { mail, ...l };
}

// Password + TOTP code: a client whose session is authenticated. The TOTP
// replay rule would refuse a second code of the same step, so the test
// forgets the last accepted step first.
export async function fullLogin(env, login, password, secret, client = env.client()) {
    const r = await client.post('/api/v1/login', { login, password });
    if (r.status !== 200) return { client, res: r };
    assert.equal(r.json.state, 'mfa_required', r.text);
    await env.db.exec(`UPDATE totp_factor SET last_step = -1 WHERE account_id = `
        + `(SELECT id FROM account WHERE email = ${lit(login)})`);
    const code = await generate({ secret: secret.replace(/\s+/g, ''), epoch: nowSec() });
    const v = await client.post('/api/v1/mfa/totp/verify', { code }, { csrf: true });
    assert.equal(v.status, 200, v.text);
    return { client, res: v };
}

export async function eventKinds(env, accountId) {
    const rows = await env.db.query(`SELECT kind FROM event WHERE account_id = ${accountId} ORDER BY id`);
    return rows.map((r) => r.kind);
}

// Let the account's checks look `ago` seconds old.
export async function ageCheck(env, accountId, ago) {
    await env.db.exec(`UPDATE session SET verified_at = ${nowSec() - ago} WHERE account_id = ${accountId}`);
    await sessionCacheSettled();
}
