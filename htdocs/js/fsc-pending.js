// The Freischaltcode of the letter's QR link, kept in this browser while
// the citizen logs in or registers first (the registration goes through
// the e-mail confirmation link, often in a new tab: hence localStorage, not
// sessionStorage). It is never put in a URL query or sent anywhere but
// POST /api/v1/freischaltcode; it expires after 24 hours and is dropped on
// redemption, on an answer that makes it useless, and on logout (a shared
// computer: the next user must not find it).

const KEY = 'jc_fsc_pending';
const TTL_MS = 24 * 60 * 60 * 1000;
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

// Input as the server reads it: letters upper-cased, spaces and hyphens
// (also typographic dashes, non-breaking spaces) dropped. Returns the 12
// characters, or null when the rest is not a code.
export function normalizeCode(value) {
    if (typeof value !== 'string' || value.length > 100) return null;
    const s = value.toUpperCase().replace(/[\s\u00a0\u2010-\u2015-]/g, '');
    if (s.length !== 12) return null;
    for (const ch of s) {
        if (!ALPHABET.includes(ch)) return null;
    }
    return s;
}

// "Z8TMYQE6H578" -> "Z8TM-YQE6-H578"
export function groupCode(code) {
    return code.slice(0, 4) + '-' + code.slice(4, 8) + '-' + code.slice(8, 12);
}

export function keepCode(code) {
    const n = normalizeCode(code);
    if (!n) return;
    try {
        localStorage.setItem(KEY, JSON.stringify({ code: n, until: Date.now() + TTL_MS }));
    } catch (e) {
        // storage disabled: the code has to be typed in
    }
}

// The kept code (grouped), or null.
export function pendingCode() {
    try {
        const raw = localStorage.getItem(KEY);
        if (!raw) return null;
        const v = JSON.parse(raw);
        const n = v && normalizeCode(v.code);
        if (!n || typeof v.until !== 'number' || v.until < Date.now()) {
            localStorage.removeItem(KEY);
            return null;
        }
        return groupCode(n);
    } catch (e) {
        return null;
    }
}

export function dropCode() {
    try {
        localStorage.removeItem(KEY);
    } catch (e) {
        // see above
    }
}
