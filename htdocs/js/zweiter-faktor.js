// zweiter-faktor.html: the code from the authenticator app after a password
// login (session state mfa_required). POST /api/v1/mfa/totp/verify;
// 200 -> start.html (authenticated, new cookie and CSRF token).
// "Abbrechen" logs out.

import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { setupCodeForm } from './totp-code.js';
import { byId, show, showError, clearMessages } from './ui.js';

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
    show(byId('code-section'), true);
    byId('totp_code').focus();
}

setupCodeForm(byId('totp-form'), '/api/v1/mfa/totp/verify', () => {
    window.location.replace('start.html');
});
byId('code-cancel').addEventListener('click', logout);
byId('code-retry').addEventListener('click', start);
start();
