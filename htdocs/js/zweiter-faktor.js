// zweiter-faktor.html: the code from the authenticator app after a password
// login (session state mfa_required). POST /api/v1/mfa/totp/verify;
// 200 -> start.html (authenticated, new cookie and CSRF token).
// "Abbrechen" logs out.

import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { setupCodeForm } from './totp-code.js';
import { byId, show, showError, clearMessages, afterLogin } from './ui.js';
import { supported as passkeySupported, usePasskey } from './webauthn.js';

// The account's second factors as the login answer named them
// (anmeldung.js); unknown -> the TOTP form only.
function factors() {
    try {
        const f = JSON.parse(sessionStorage.getItem('jc_factors') || 'null');
        return Array.isArray(f) ? f : ['totp'];
    } catch (e) {
        return ['totp'];
    }
}

async function start() {
    clearMessages();
    show(byId('code-error'), false);
    show(byId('loading'), true);
    const me = await api('GET', '/api/v1/me');
    if (me.status === 401) {
        window.location.replace('anmeldung.html'
            + (errorCode(me) === 'session_expired' ? '?sitzung=abgelaufen' : ''));
        return;
    }
    if (me.status !== 200 || !me.data || !me.data.session) {
        show(byId('loading'), false);
        show(byId('code-error'), true);
        showError(errorMessage(me), []);
        return;
    }
    if (me.data.session.state !== 'mfa_required') {
        // set-up still missing (Sicherheitshinweis) or already signed in
        window.location.replace('start.html');
        return;
    }
    show(byId('loading'), false);
    const f = factors();
    const withPasskey = f.includes('passkey') && passkeySupported();
    show(byId('passkey-section'), withPasskey);
    show(byId('code-section'), f.includes('totp') || !withPasskey);
    // without the code form its "Abbrechen" is missing: offer it here
    show(byId('passkey-cancel'), withPasskey && !f.includes('totp'));
    if (f.includes('totp') || !withPasskey) {
        byId('totp_code').focus();
    } else {
        byId('passkey-assert').focus();
    }
}

const passkeyButton = byId('passkey-assert');
passkeyButton.addEventListener('click', async () => {
    if (passkeyButton.disabled) return;
    passkeyButton.disabled = true;
    passkeyButton.setAttribute('aria-busy', 'true');
    clearMessages();
    const res = await usePasskey('assert');
    if (res.status === 200) {
        window.location.replace(afterLogin());
        return;
    }
    passkeyButton.disabled = false;
    passkeyButton.removeAttribute('aria-busy');
    if (res.status === 401 && (errorCode(res) === 'not_authenticated'
                               || errorCode(res) === 'session_expired')) {
        window.location.replace('anmeldung.html');
        return;
    }
    showError(errorMessage(res), []);
});

setupCodeForm(byId('totp-form'), '/api/v1/mfa/totp/verify', () => {
    window.location.replace(afterLogin());
});
byId('code-cancel').addEventListener('click', logout);
byId('passkey-cancel').addEventListener('click', logout);
byId('code-retry').addEventListener('click', start);
start();
