// online-kommunikation.html (seed "Online-Kommunikation zustimmen", steps
// 6-8): GET /api/v1/online-kommunikation (401 -> anmeldung.html with the
// return path), then the switch:
//   off -> on : the dialog "Einwilligung in Nutzung Ihrer E-Mail-Adresse";
//               "Zustimmen" -> POST .../aktivieren, "Abbrechen" / Esc ->
//               nothing changes, the switch stays off
//   on -> off : POST .../deaktivieren; the page shows the date it takes
//               effect (until then the consent stays active)
// Without a confirmed e-mail address the switch is disabled and a link to
// re-send the confirmation is shown.

import { api, errorMessage, errorCode } from './api.js';
import { logout } from './logout.js';
import { byId, show, showError, clearMessages } from './ui.js';

const ROUTE = '/api/v1/online-kommunikation';
const sw = byId('online-switch');
const dialog = byId('consent-dialog');
let state = null;
let busy = false;

// "YYYY-MM-DD" -> "DD.MM.YYYY"
export function germanDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
    return m ? `${m[3]}.${m[2]}.${m[1]}` : '';
}

function toLogin(res) {
    const q = '?ziel=' + encodeURIComponent('/online-kommunikation.html');
    window.location.replace('anmeldung.html' + (errorCode(res) === 'session_expired'
        ? q + '&sitzung=abgelaufen' : q));
}

// Handle answers every call shares; true when the page is left.
function leaves(res) {
    if (res.status === 401) {
        toLogin(res);
        return true;
    }
    if (res.status === 403 && errorCode(res) === 'state_insufficient') {
        window.location.replace('start.html');
        return true;
    }
    return false;
}

function render(s) {
    state = s;
    const pending = !!s.pending_deactivation;
    // the switch shows the account holder's choice: off once a
    // deactivation is requested, although it takes effect later
    const on = s.active && !pending;
    sw.setAttribute('aria-checked', on ? 'true' : 'false');
    const noEmail = !s.email_confirmed && !s.active;
    sw.disabled = noEmail;
    show(byId('email-missing'), !s.email_confirmed);
    show(byId('inactive-info'), !s.active);
    show(byId('active-info'), s.active);
    // the switch and its status say the same; the date is said once
    const date = germanDate(s.deactivation_effective_date);
    show(byId('pending-info'), pending);
    byId('online-status').textContent = on
        ? 'Online-Kommunikation ist aktiviert.'
        : pending
            ? `Online-Kommunikation ist ausgeschaltet. Die Deaktivierung wird am ${date} wirksam.`
            : 'Online-Kommunikation ist nicht aktiviert.';
}

async function load() {
    clearMessages();
    show(byId('online-error'), false);
    show(byId('loading'), true);
    const res = await api('GET', ROUTE);
    if (leaves(res)) return;
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data) {
        show(byId('online-error'), true);
        showError(errorMessage(res), []);
        return;
    }
    // the CSRF token for the POSTs (and the header's Abmelden)
    if (!(await ensureCsrf())) return;
    show(byId('logout'), true);
    show(byId('online-page'), true);
    render(res.data);
}

// GET /me stores the session's CSRF token (api.js) when this tab has none.
async function ensureCsrf() {
    const me = await api('GET', '/api/v1/me');
    if (leaves(me)) return false;
    return true;
}

async function post(action) {
    if (busy) return;
    busy = true;
    sw.setAttribute('aria-busy', 'true');
    clearMessages();
    let res = await api('POST', `${ROUTE}/${action}`, {});
    if (res.status === 403 && errorCode(res) === 'csrf_failed' && (await ensureCsrf())) {
        res = await api('POST', `${ROUTE}/${action}`, {});
    }
    busy = false;
    sw.removeAttribute('aria-busy');
    if (leaves(res)) return;
    if (res.status === 200 && res.data) {
        render(res.data);
        return;
    }
    showError(errorMessage(res), []);
    if (res.status === 409) {
        // the state changed elsewhere (or no confirmed address): reload it
        const again = await api('GET', ROUTE);
        if (!leaves(again) && again.status === 200 && again.data) render(again.data);
    }
}

function openDialog() {
    if (typeof dialog.showModal === 'function') {
        dialog.showModal();
    } else {
        dialog.setAttribute('open', '');
    }
    byId('consent-heading').focus();
}

function closeDialog() {
    if (dialog.open) {
        if (typeof dialog.close === 'function') dialog.close();
        else dialog.removeAttribute('open');
    }
    sw.focus();
}

sw.addEventListener('click', () => {
    if (busy || !state || sw.disabled) return;
    if (sw.getAttribute('aria-checked') === 'true') {
        post('deaktivieren');
    } else {
        openDialog();
    }
});

byId('consent-accept').addEventListener('click', async () => {
    closeDialog();
    await post('aktivieren');
});
byId('consent-cancel').addEventListener('click', closeDialog);
// Esc: the browser closes the modal dialog ("cancel"); the focus goes
// back to the switch, which stays off
dialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    closeDialog();
});
// a click on the backdrop (outside the dialog box) is a cancel as well
dialog.addEventListener('click', (ev) => {
    if (ev.target === dialog) {
        const r = dialog.getBoundingClientRect();
        const inside = ev.clientX >= r.left && ev.clientX <= r.right
            && ev.clientY >= r.top && ev.clientY <= r.bottom;
        if (!inside) closeDialog();
    }
});

byId('logout').addEventListener('click', logout);
byId('online-retry').addEventListener('click', load);
load();
