// Sessions written straight into the session table, for tests about what a
// session in a given state may do (the flows that reach each state have
// tests of their own): a random cookie token, its SHA-256 as the row's id.
import crypto from 'node:crypto';
import { nowSec, sha256hex } from './util.mjs';
import { lit } from './db.mjs';

export const STATE = { password_ok: 1, password_change_required: 2, email_required: 3, mfa_setup_required: 4,
    mfa_required: 5, authenticated: 6 };

// specs: [{account, state, verifiedAt}] -> [{token, csrf}] (one INSERT)
export async function mintSessions(env, specs) {
    const now = nowSec();
    const out = [];
    const values = specs.map((s) => {
        const token = crypto.randomBytes(32).toString('base64url');
        const csrf = crypto.randomBytes(32).toString('base64url');
        out.push({ token, csrf });
        const verified = s.verifiedAt ?? (s.state === 'authenticated' ? now : 0);
        return `(${lit(sha256hex(token))}, ${Number(s.account)}, ${STATE[s.state]}, ${lit(csrf)}, ${now}, `
            + `${now}, ${now + 3600}, ${verified})`;
    });
    await env.db.exec('INSERT INTO session (id_hash, account_id, state, csrf_token, created_at, last_seen, '
        + `expires_at, verified_at) VALUES ${values.join(', ')};`);
    return out;
}

// A client of env carrying a minted session (cookie and CSRF token).
export function sessionClient(env, sess) {
    const c = env.client();
    c.jar.set('jc_session', sess.token);
    c.csrf = sess.csrf;
    return c;
}
