// zweiter-faktor-einrichten.html: set up TOTP as second factor.
// GET /api/v1/me (only state mfa_setup_required stays here), then
// POST /api/v1/mfa/totp/setup for a new key: the QR code (an SVG from the
// server, shown through <img src="data:image/svg+xml;base64,…"> so it is
// never parsed into this document) and the key as text. The first code
// from the app goes to POST /api/v1/mfa/totp/confirm; 200 -> start.html
// (the session is now authenticated, with a new cookie and CSRF token).

import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { setupCodeForm } from './totp-code.js';
import { byId, show, showError, clearMessages, afterLogin, zielQuery } from './ui.js';

function toLogin(res) {
    window.location.replace('anmeldung.html'
        + (errorCode(res) === 'session_expired' ? '?sitzung=abgelaufen' : ''));
}

// UTF-8 bytes of text as base64 (btoa alone takes only Latin-1).
function base64(text) {
    let bin = '';
    for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
    return btoa(bin);
}

function failed(res) {
    show(byId('loading'), false);
    show(byId('setup'), false);
    show(byId('setup-failed'), true);
    showError(errorMessage(res), []);
}

async function start() {
    clearMessages();
    show(byId('setup'), false);
    show(byId('setup-failed'), false);
    show(byId('loading'), true);

    const me = await api('GET', '/api/v1/me');
    if (me.status === 401) {
        toLogin(me);
        return;
    }
    if (me.status !== 200 || !me.data || !me.data.session) {
        failed(me);
        return;
    }
    const state = me.data.session.state;
    if (state === 'mfa_required') {
        window.location.replace('zweiter-faktor.html' + zielQuery());
        return;
    }
    if (state !== 'mfa_setup_required') {
        window.location.replace('start.html');
        return;
    }
    show(byId('logout'), true);
    const account = me.data.account || {};
    byId('totp-account').textContent = account.email || account.username || '';

    const res = await api('POST', '/api/v1/mfa/totp/setup', {});
    if (res.status === 401) {
        toLogin(res);
        return;
    }
    if (res.status !== 200 || !res.data || typeof res.data.qr_svg !== 'string') {
        failed(res);
        return;
    }
    byId('totp-qr').src = 'data:image/svg+xml;base64,' + base64(res.data.qr_svg);
    byId('totp-secret').textContent = res.data.secret;
    show(byId('loading'), false);
    show(byId('setup'), true);
}

setupCodeForm(byId('totp-form'), '/api/v1/mfa/totp/confirm', () => {
    window.location.replace(afterLogin());
});
byId('logout').addEventListener('click', logout);
byId('setup-retry').addEventListener('click', start);
start();
