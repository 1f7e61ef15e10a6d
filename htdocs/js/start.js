// start.html: the logged-in page. GET /api/v1/me (401 -> anmeldung.html),
// "Angemeldet als", the Sicherheitshinweis while no second factor is set up,
// and "Abmelden" (POST /api/v1/logout with X-CSRF-Token).

import {
    api, errorMessage, errorCode, clearCsrfToken, getCsrfToken
} from './api.js';
import { byId, show, showError, clearMessages } from './ui.js';

const logoutButton = byId('logout');
let loggingOut = false;

function toLogin(query) {
    window.location.replace('anmeldung.html' + (query || ''));
}

async function load() {
    clearMessages();
    show(byId('start-error'), false);
    show(byId('loading'), true);
    const res = await api('GET', '/api/v1/me');
    show(byId('loading'), false);

    if (res.status === 401) {
        toLogin(errorCode(res) === 'session_expired'
            ? '?sitzung=abgelaufen' : '');
        return;
    }
    if (res.status !== 200 || !res.data || !res.data.account) {
        show(byId('start-error'), true);
        showError(errorMessage(res), []);
        return;
    }

    const account = res.data.account;
    const session = res.data.session || {};
    byId('account-name').textContent =
        account.email || account.username || '';
    show(byId('signed-in-as'), true);
    show(logoutButton, true);

    const mfaSetup = session.state === 'mfa_setup_required';
    show(byId('security-notice'), mfaSetup);
    show(byId('home'), !mfaSetup);
    document.title = (mfaSetup ? 'Sicherheitshinweis' : 'Startseite')
        + ' – Jobcenter.Digital';
}

async function logout() {
    if (loggingOut) return;
    loggingOut = true;
    clearMessages();
    // api() sends the X-CSRF-Token remembered from GET /me; the empty JSON
    // object makes it send Content-Type: application/json as well.
    let res = await api('POST', '/api/v1/logout', {});
    if (res.status === 403 && errorCode(res) === 'csrf_failed') {
        // Token out of date (e.g. a login in another tab): fetch the
        // current one and try once more.
        const me = await api('GET', '/api/v1/me');
        if (me.status === 200 && getCsrfToken()) {
            res = await api('POST', '/api/v1/logout', {});
        } else if (me.status === 401) {
            res = me;
        }
    }
    if (res.status === 204 || res.status === 200 || res.status === 401) {
        // 401: the session is gone already - the user is logged out.
        clearCsrfToken();
        toLogin('?abgemeldet=1');
        return;
    }
    loggingOut = false;
    showError(errorMessage(res), []);
}

logoutButton.addEventListener('click', logout);
byId('mfa-cancel').addEventListener('click', logout);
byId('start-retry').addEventListener('click', load);
load();
