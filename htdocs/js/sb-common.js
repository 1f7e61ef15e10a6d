// Shared by the staff pages (sachbearbeitung/): who is signed in (GET
// /api/v1/staff/me), "Abmelden", and what to do when the session or the
// role is gone (401 -> login with the way back, 403 -> message).

import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { byId, show, showError } from './ui.js';
import { dateDe as berlinDate } from './german-time.js';
import { watchIdle } from './session-idle.js';

byId('logout').addEventListener('click', () => logout());

// The staff file inputs (.file-picker-input, visually hidden) are chosen
// through their German label button "Datei(en) auswählen"; the names of
// the chosen files show in the element the input's aria-describedby names
// first ("Keine Datei ausgewählt" when none, also after a form reset).
function showChosen(input) {
    const out = byId((input.getAttribute('aria-describedby') || '').split(' ')[0]);
    if (!out) return;
    const names = [...input.files].map((f) => f.name);
    out.textContent = names.length === 0 ? 'Keine Datei ausgewählt'
        : names.length === 1 ? names[0]
            : names.length + ' Dateien: ' + names.join(', ');
}
for (const input of document.querySelectorAll('.file-picker-input')) {
    input.addEventListener('change', () => showChosen(input));
    if (input.form) input.form.addEventListener('reset', () => setTimeout(() => showChosen(input), 0));
}

// The login page with this page as the way back.
export function toLogin() {
    const here = window.location.pathname + window.location.search;
    window.location.replace('/anmeldung.html?ziel=' + encodeURIComponent(here));
}

// Handle the failures every staff call shares; true if res was one.
export function commonFailure(res) {
    if (res.status === 401) {
        toLogin();
        return true;
    }
    if (res.status === 403 && errorCode(res) !== 'csrf_failed') {
        showError(errorMessage(res), []);
        return true;
    }
    return false;
}

// Load and show the staff context; resolves to the staff object or null.
export async function loadStaff() {
    const res = await api('GET', '/api/v1/staff/me');
    if (res.status !== 200) {
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return null;
    }
    byId('staff-name').textContent = res.data.display_name;
    byId('staff-jobcenter').textContent = res.data.jobcenter.name
        + ' (' + res.data.team_text + ')';
    show(byId('staff-context'), true);
    watchIdle();
    return res.data;
}

// "1980-02-29" -> "29.02.1980"
export function dateDe(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
    return m ? m[3] + '.' + m[2] + '.' + m[1] : (iso || '');
}

// A date typed as people in Germany write it ("29.02.1980", "1.3.1980")
// -> "1980-02-29" for the API; ISO passes as it is; anything else is sent
// unchanged (the server's validation names the field).
export function isoDate(v) {
    const t = (v || '').trim();
    const m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(t);
    return m ? m[3] + '-' + m[2].padStart(2, '0') + '-' + m[1].padStart(2, '0') : t;
}

// "9:30", "9.30", "0930" -> "09:30" (what the API takes); anything else
// unchanged, so the server's German error names the field
export function isoTime(v) {
    const t = (v || '').trim();
    const m = /^(\d{1,2})[:.]?(\d{2})$/.exec(t);
    return m ? m[1].padStart(2, '0') + ':' + m[2] : t;
}

// epoch seconds -> "08.01.2027"
export function epochDe(sec) {
    return berlinDate(sec);
}

export function fullName(c) {
    return (c.salutation ? c.salutation + ' ' : '') + c.given_name + ' ' + c.family_name;
}
