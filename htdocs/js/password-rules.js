// Password criteria of the seed's checklist, the same rules the server applies
// (mod_jobcenter/jc_password.h, GET /api/v1/password-policy).
// Pure functions, no DOM: importable by the browser and by node.

export const DEFAULT_POLICY = Object.freeze({
    min_length: 12,
    max_length: 128,
    specials: '@#$%&*-_!+=;,.?/"()'
});

// The criteria in the order of the seed's checklist, with the API's codes
// (details[].code of POST /api/v1/register).
export const CRITERIA = Object.freeze([
    { key: 'length',  code: 'password_length' },
    { key: 'upper',   code: 'password_upper' },
    { key: 'lower',   code: 'password_lower' },
    { key: 'digit',   code: 'password_digit' },
    { key: 'special', code: 'password_special' },
    { key: 'allowed', code: 'password_invalid_chars' },
    { key: 'repeat',  code: 'password_repeat' }
]);

// The German text of one criterion (seed wording).
export function criterionText(key, policy) {
    const p = policy || DEFAULT_POLICY;
    switch (key) {
    case 'length':
        return p.min_length + ' bis ' + p.max_length + ' Zeichen lang';
    case 'upper':
        return 'mindestens ein Großbuchstabe (A - Z)';
    case 'lower':
        return 'mindestens ein Kleinbuchstabe (a - z)';
    case 'digit':
        return 'mindestens eine Ziffer (0 - 9)';
    case 'special':
        return 'mindestens eines der folgenden Sonderzeichen: '
            + Array.from(p.specials).join(' ');
    case 'allowed':
        return 'keine unerlaubten Zeichen';
    case 'repeat':
        return 'richtige Passwortwiederholung';
    default:
        return '';
    }
}

// A policy object from GET /api/v1/password-policy, or null if it is unusable.
export function normalizePolicy(obj) {
    if (!obj || typeof obj !== 'object') return null;
    const min = obj.min_length;
    const max = obj.max_length;
    const specials = obj.specials;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1
            || max < min || typeof specials !== 'string' || !specials) {
        return null;
    }
    return Object.freeze({ min_length: min, max_length: max,
                           specials: specials });
}

// Check a password (and its repetition) against every criterion.
// Returns {length, upper, lower, digit, special, allowed, repeat}: true means
// the criterion is met. Length counts characters (Unicode code points).
// "allowed" and "repeat" are only true for a non-empty password, so an empty
// form shows no check marks; whenever all seven are true the server accepts
// the password.
export function checkPassword(password, repeat, policy) {
    const p = policy || DEFAULT_POLICY;
    const pw = typeof password === 'string' ? password : '';
    const rep = typeof repeat === 'string' ? repeat : '';
    let count = 0;
    let upper = false;
    let lower = false;
    let digit = false;
    let special = false;
    let invalid = false;
    for (const ch of pw) {
        count++;
        if (ch >= 'A' && ch <= 'Z') {
            upper = true;
        } else if (ch >= 'a' && ch <= 'z') {
            lower = true;
        } else if (ch >= '0' && ch <= '9') {
            digit = true;
        } else if (p.specials.includes(ch)) {
            special = true;
        } else {
            invalid = true;
        }
    }
    return {
        length: count >= p.min_length && count <= p.max_length,
        upper: upper,
        lower: lower,
        digit: digit,
        special: special,
        allowed: count > 0 && !invalid,
        repeat: count > 0 && pw === rep
    };
}

export function allMet(result) {
    return CRITERIA.every((c) => result[c.key] === true);
}
