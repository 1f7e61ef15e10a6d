// start.html: the logged-in page. GET /api/v1/me (401 -> anmeldung.html),
// "Angemeldet als", then by session state:
//   mfa_setup_required -> the Sicherheitshinweis ("Zweiter Faktor
//                         einrichten" -> zweiter-faktor-einrichten.html)
//   mfa_required       -> zweiter-faktor.html (the code after the password)
//   authenticated      -> the start page
// "Abmelden" / "Abbrechen": POST /api/v1/logout (logout.js).

import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { byId, show, showError, clearMessages } from './ui.js';

const logoutButton = byId('logout');

function toLogin(query) {
    window.location.replace('anmeldung.html' + (query || ''));
}

async function load() {
    clearMessages();
    show(byId('start-error'), false);
    show(byId('loading'), true);
    const res = await api('GET', '/api/v1/me');

    if (res.status === 401) {
        toLogin(errorCode(res) === 'session_expired'
            ? '?sitzung=abgelaufen' : '');
        return;
    }
    if (res.status !== 200 || !res.data || !res.data.account) {
        show(byId('loading'), false);
        show(byId('start-error'), true);
        showError(errorMessage(res), []);
        return;
    }

    const account = res.data.account;
    const session = res.data.session || {};
    if (session.state === 'mfa_required') {
        // the password was right; the code from the app is still missing
        window.location.replace('zweiter-faktor.html');
        return;
    }
    show(byId('loading'), false);
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

logoutButton.addEventListener('click', logout);
byId('mfa-cancel').addEventListener('click', logout);
byId('start-retry').addEventListener('click', load);
load();
