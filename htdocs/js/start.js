// start.html: the logged-in page. GET /api/v1/me (401 -> anmeldung.html),
// "Angemeldet als", then by session state:
//   mfa_setup_required -> the Sicherheitshinweis ("Passkey einrichten":
//                         WebAuthn create() here, then the start page;
//                         "Zweiter Faktor einrichten" ->
//                         zweiter-faktor-einrichten.html)
//   password_change_required / email_required -> the page of the letter
//                         flow (forced-flow.js)
//   mfa_required       -> zweiter-faktor.html (the code after the password)
//   authenticated      -> the start page: GET /api/v1/profile; with a
//                         person profile (and it selected under "Profil
//                         wechseln") name, Kundennummer and the tiles,
//                         else the prompt "eServices freischalten". A
//                         Freischaltcode kept from the QR link (after a
//                         registration, say) leads to its page first.
// "Abmelden" / "Abbrechen": POST /api/v1/logout (logout.js).

import { flowPage } from './forced-flow.js';
import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import {
    byId, param, show, showError, showMessages, clearMessages, afterLogin, zielQuery
} from './ui.js';
import { loadProfile, selectedProfile } from './session-guard.js';
import { pendingCode } from './fsc-pending.js';
import { supported as passkeySupported, registerPasskey } from './webauthn.js';

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
    const flow = flowPage(session.state);
    if (flow) {
        // the letter flow is not finished: back to its step
        window.location.replace(flow);
        return;
    }
    if (session.state === 'mfa_required') {
        // the password was right; the code from the app is still missing
        window.location.replace('zweiter-faktor.html' + zielQuery());
        return;
    }
    show(byId('loading'), false);
    byId('account-name').textContent =
        account.email || account.username || '';
    show(byId('signed-in-as'), true);
    show(logoutButton, true);

    const mfaSetup = session.state === 'mfa_setup_required';
    if (mfaSetup) {
        // the set-up page returns to ?ziel= (a staff member: the staff page)
        byId('totp-setup-link').setAttribute('href', 'zweiter-faktor-einrichten.html' + zielQuery());
    }
    if (!mfaSetup && !(await showHome())) {
        return;
    }
    show(byId('security-notice'), mfaSetup);
    show(byId('home'), !mfaSetup);
    document.title = (mfaSetup ? 'Sicherheitshinweis' : 'Startseite')
        + ' – Jobcenter.Digital';
}

// The start page of a complete login; false when the page is being left
// or failed.
async function showHome() {
    const p = await loadProfile();
    if (!p) {
        show(byId('start-error'), true);
        return false;
    }
    const profile = p.profile;
    if (!profile && pendingCode()) {
        // the code of the QR link waits (registration, set-up of the
        // second factor came first)
        window.location.replace('eservices-freischalten.html');
        return false;
    }
    const person = !!profile && selectedProfile() === 'person';
    if (person) {
        byId('profile-name').textContent = profile.name;
        byId('profile-kundennummer').textContent = profile.kundennummer;
    }
    show(byId('profile-card'), person);
    show(byId('profile-missing'), !profile);
    show(byId('profile-konto'), !!profile && !person);
    if (person && param('freigeschaltet') === '1') {
        showMessages('success', 'Ihr Profil wurde angelegt und für Sie '
                     + 'ausgewählt.', [], { focus: false });
        window.history.replaceState(null, '', window.location.pathname);
    }
    return true;
}

const passkeyButton = byId('passkey-setup');
show(passkeyButton, passkeySupported());
show(byId('passkey-unsupported'), !passkeySupported());
passkeyButton.addEventListener('click', async () => {
    if (passkeyButton.disabled) return;
    passkeyButton.disabled = true;
    passkeyButton.setAttribute('aria-busy', 'true');
    clearMessages();
    const res = await registerPasskey();
    passkeyButton.disabled = false;
    passkeyButton.removeAttribute('aria-busy');
    if (res.status === 200) {
        // session rotated to authenticated: back to ?ziel=, or the start page
        if (zielQuery()) {
            window.location.replace(afterLogin());
            return;
        }
        load();
        return;
    }
    if (res.status === 401) {
        window.location.replace('anmeldung.html');
        return;
    }
    showError(errorMessage(res), []);
});

logoutButton.addEventListener('click', logout);
byId('mfa-cancel').addEventListener('click', logout);
byId('start-retry').addEventListener('click', load);
load();
