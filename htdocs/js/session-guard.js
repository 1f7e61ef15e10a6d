// The pages behind a complete login (password and second factor): GET
// /api/v1/me, and
//   401                 -> anmeldung.html?ziel=<this page> (back here after
//                          the complete login)
//   mfa_required        -> zweiter-faktor.html?ziel=<this page>
//   mfa_setup_required  -> start.html (the Sicherheitshinweis)
// Otherwise "Angemeldet als" and "Abmelden" are set up and the answer of
// /me is returned; null when the page is being left or failed.

import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { byId, show, showError } from './ui.js';
import { watchIdle } from './session-idle.js';

function here() {
    return window.location.pathname;
}

export async function requireFullSession() {
    const res = await api('GET', '/api/v1/me');
    const ziel = 'ziel=' + encodeURIComponent(here());
    if (res.status === 401) {
        window.location.replace('anmeldung.html?'
            + (errorCode(res) === 'session_expired' ? 'sitzung=abgelaufen&' : '') + ziel);
        return null;
    }
    if (res.status !== 200 || !res.data || !res.data.account) {
        show(byId('loading'), false);
        showError(errorMessage(res), []);
        return null;
    }
    const state = res.data.session && res.data.session.state;
    if (state === 'mfa_required') {
        window.location.replace('zweiter-faktor.html?' + ziel);
        return null;
    }
    if (state !== 'authenticated') {
        window.location.replace('start.html');
        return null;
    }
    const account = res.data.account;
    const name = byId('account-name');
    if (name) name.textContent = account.email || account.username || '';
    show(byId('signed-in-as'), true);
    const button = byId('logout');
    if (button) {
        show(button, true);
        button.addEventListener('click', logout);
    }
    watchIdle(res.data.session.idle_timeout);
    return res.data;
}

// The person profile (GET /api/v1/profile): {profile} or null on failure
// (the German message is shown).
export async function loadProfile() {
    const res = await api('GET', '/api/v1/profile');
    if (res.status === 401) {
        window.location.replace('anmeldung.html?ziel=' + encodeURIComponent(here()));
        return null;
    }
    if (res.status !== 200 || !res.data) {
        show(byId('loading'), false);
        showError(errorMessage(res), []);
        return null;
    }
    return { profile: res.data.profile || null };
}

// The pages of the person profile: a complete login and a profile bound to
// the account. Without one #loading is hidden and #no-profile shown (null);
// otherwise #profile-name and #profile-kundennummer are filled (where the
// page has them) and the profile is returned.
export async function requirePersonProfile() {
    if (!(await requireFullSession())) return null;
    const p = await loadProfile();
    if (!p) return null;
    if (!p.profile) {
        show(byId('loading'), false);
        show(byId('no-profile'), true);
        return null;
    }
    const name = byId('profile-name');
    const knr = byId('profile-kundennummer');
    if (name) name.textContent = p.profile.name;
    if (knr) knr.textContent = p.profile.kundennummer;
    return p.profile;
}

// A list page of the person profile (bescheide.html, termine.html): GET
// path, then item(entry) of every entry of the answer's key into
// #doc-list, #empty-state when there is none, and #profile-content.
export async function showProfileList(path, key, item) {
    if (!(await requirePersonProfile())) return;
    const res = await api('GET', path);
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data) {
        showError(errorMessage(res), []);
        return;
    }
    for (const entry of res.data[key]) byId('doc-list').appendChild(item(entry));
    show(byId('empty-state'), res.data[key].length === 0);
    show(byId('profile-content'), true);
}

// Which profile the citizen chose under "Profil wechseln" ('person' or
// 'konto'); an account has at most one person profile, so the choice is
// only which view the start page shows and is kept in this tab.
const SELECTED = 'jc_profile_selected';

export function selectedProfile() {
    try {
        return sessionStorage.getItem(SELECTED) === 'konto' ? 'konto' : 'person';
    } catch (e) {
        return 'person';
    }
}

export function selectProfile(which) {
    try {
        sessionStorage.setItem(SELECTED, which === 'konto' ? 'konto' : 'person');
    } catch (e) {
        // storage disabled: the person profile stays selected
    }
}
