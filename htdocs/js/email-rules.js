// Plausibility check of an e-mail address, mirroring the server's
// jc_mail_address_valid() (mod_jobcenter/jc_mail.h). Pure, importable by node.
// The server stays authoritative; this only gives early feedback.

// Characters the server refuses in the local part (besides space/control).
const LOCAL_FORBIDDEN = '"<>(),;:\\[]';

export function emailLooksValid(value) {
    if (typeof value !== 'string') return false;
    const s = value;
    if (s.length < 3 || s.length > 254) return false;
    const at = s.indexOf('@');
    if (at < 1 || at !== s.lastIndexOf('@')) return false;
    const local = s.slice(0, at);
    const domain = s.slice(at + 1);
    if (local.length > 64) return false;
    for (const ch of local) {
        const c = ch.codePointAt(0);
        if (c <= 0x20 || c >= 0x7f || LOCAL_FORBIDDEN.includes(ch)) {
            return false;
        }
    }
    const labels = domain.split('.');
    if (labels.length < 2) return false;
    for (const label of labels) {
        if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label)) {
            return false;
        }
    }
    return labels[labels.length - 1].length >= 2;
}
