// Passkeys (WebAuthn) in the portal: base64url <-> ArrayBuffer, the JSON
// options of /api/v1/passkey/*/options turned into what
// navigator.credentials.create()/get() take, and their answers turned into
// the JSON the .../verify routes take. German messages for the browser's
// refusals.

import { api } from './api.js';

export function supported() {
    return typeof window.PublicKeyCredential === 'function'
        && !!(navigator.credentials && navigator.credentials.create);
}

export function b64uToBuffer(s) {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '==='.slice((b64.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
}

export function bufferToB64u(buf) {
    const bytes = new Uint8Array(buf);
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function creationOptions(o) {
    return {
        challenge: b64uToBuffer(o.challenge),
        rp: o.rp,
        user: { id: b64uToBuffer(o.user.id), name: o.user.name, displayName: o.user.displayName },
        pubKeyCredParams: o.pubKeyCredParams,
        authenticatorSelection: o.authenticatorSelection,
        attestation: o.attestation,
        timeout: o.timeout,
        excludeCredentials: (o.excludeCredentials || []).map((c) => ({ type: c.type, id: b64uToBuffer(c.id) }))
    };
}

function requestOptions(o) {
    const pk = {
        challenge: b64uToBuffer(o.challenge),
        rpId: o.rpId,
        userVerification: o.userVerification,
        timeout: o.timeout
    };
    if (o.allowCredentials) {
        pk.allowCredentials = o.allowCredentials.map((c) => ({ type: c.type, id: b64uToBuffer(c.id) }));
    }
    return pk;
}

// The browser's refusal (a DOMException) as a German text.
export function browserMessage(err) {
    const name = err && err.name;
    if (name === 'NotAllowedError') {
        return 'Der Vorgang wurde abgebrochen oder Ihr Gerät hat Sie nicht '
            + 'bestätigt. Bitte versuchen Sie es erneut und bestätigen Sie '
            + 'den Vorgang an Ihrem Gerät (zum Beispiel mit PIN oder '
            + 'Fingerabdruck).';
    }
    if (name === 'InvalidStateError') {
        return 'Auf diesem Gerät ist bereits ein Passkey für Ihr Konto '
            + 'gespeichert.';
    }
    if (name === 'SecurityError') {
        return 'Passkeys können auf dieser Adresse nicht verwendet werden.';
    }
    if (name === 'NotSupportedError') {
        return 'Ihr Browser oder Gerät unterstützt keine passenden Passkeys.';
    }
    return 'Der Passkey konnte nicht verwendet werden. Bitte versuchen Sie '
        + 'es erneut.';
}

function fail(message) {
    return { status: 0, data: { error: { code: 'passkey_browser', message: message, field: null } } };
}

// Registration: register/options -> create() -> register/verify.
// name (optional) is the passkey's name in the portal. Resolves to the
// api() result of the verify (or a status-0 failure).
export async function registerPasskey(name) {
    const opt = await api('POST', '/api/v1/passkey/register/options');
    if (opt.status !== 200) return opt;
    let cred;
    try {
        cred = await navigator.credentials.create({ publicKey: creationOptions(opt.data) });
    } catch (e) {
        return fail(browserMessage(e));
    }
    if (!cred) return fail(browserMessage(null));
    const body = {
        id: cred.id,
        rawId: bufferToB64u(cred.rawId),
        type: cred.type,
        response: {
            clientDataJSON: bufferToB64u(cred.response.clientDataJSON),
            attestationObject: bufferToB64u(cred.response.attestationObject)
        }
    };
    if (name) body.name = name;
    return api('POST', '/api/v1/passkey/register/verify', body);
}

// An assertion for the options of optionsPath, as the JSON the verify
// routes take; or {error: result} (an api() result to show).
async function assertion(optionsPath) {
    const opt = await api('POST', optionsPath);
    if (opt.status !== 200) return { error: opt };
    let cred;
    try {
        cred = await navigator.credentials.get({ publicKey: requestOptions(opt.data), mediation: 'optional' });
    } catch (e) {
        return { error: fail(browserMessage(e)) };
    }
    if (!cred) return { error: fail(browserMessage(null)) };
    const r = cred.response;
    return {
        credential: {
            id: cred.id,
            rawId: bufferToB64u(cred.rawId),
            type: cred.type,
            response: {
                clientDataJSON: bufferToB64u(r.clientDataJSON),
                authenticatorData: bufferToB64u(r.authenticatorData),
                signature: bufferToB64u(r.signature),
                userHandle: r.userHandle ? bufferToB64u(r.userHandle) : null
            }
        }
    };
}

// Re-authentication with a passkey (sicherheit.html):
// security/reauth/options -> get() -> security/reauth.
export async function reauthPasskey() {
    const a = await assertion('/api/v1/security/reauth/options');
    if (a.error) return a.error;
    return api('POST', '/api/v1/security/reauth', { credential: a.credential });
}

// Login without password (kind 'login') or second factor ('assert').
export async function usePasskey(kind) {
    const a = await assertion('/api/v1/passkey/' + kind + '/options');
    if (a.error) return a.error;
    return api('POST', '/api/v1/passkey/' + kind + '/verify', a.credential);
}
