// konto.html: the account page. GET /api/v1/me (only state authenticated
// stays here), GET /api/v1/konto (address, pending change, sessions),
// GET /api/v1/security (which checks the account has, for the dialog).
// Changes: konto/email, konto/passwort, konto/sitzungen/beenden,
// konto/sitzungen/andere-beenden, konto/export (downloaded as a file),
// konto/loeschen. Each may answer 403 reauth_required: js/reauth.js then
// asks for the password, a code or a passkey and sends it again.

import { dateUmTimeDe, todayIso } from './german-time.js';
import { api, errorMessage, errorCode, clearCsrfToken } from './api.js';
import { logout } from './logout.js';
import { requireAuthenticated, toLogin as toLoginFrom } from './account-page.js';
import { emailLooksValid } from './email-rules.js';
import { attachChecklist, markProblems, serverProblems } from './password-checklist.js';
import { perform, setupReauth } from './reauth.js';
import {
    byId, show, showError, showMessages, clearMessages, setFieldError,
    clearFieldErrors, setBusy, isBusy, focusHeading
} from './ui.js';

const PAGE = 'konto.html';

const NAMES = {
    current_password: 'Aktuelles Passwort',
    password: 'Passwort',
    password_repeat: 'Passwort wiederholen',
    new_email: 'Neue E-Mail-Adresse',
    delete_password: 'Passwort',
    delete_confirm: 'Bestätigung'
};

let konto = null;       // last answer of GET /konto
let factors = { totp: false, passkey: false };

const dayTime = dateUmTimeDe;

function toLogin(res) {
    toLoginFrom(res, PAGE);
}

function success(text) {
    showMessages('success', null, [{ text: text }]);
}

function fieldError(field, res) {
    setFieldError(field, errorMessage(res));
    showError('Bitte prüfen Sie Ihre Eingabe.', [{ field: field, text: NAMES[field] + ': ' + errorMessage(res) }]);
}

// ---- the page ---------------------------------------------------------------

function sessionItem(s) {
    const li = document.createElement('li');
    li.className = 'factor';
    const name = document.createElement('p');
    name.className = 'factor-name';
    const strong = document.createElement('strong');
    strong.textContent = s.device;
    name.appendChild(strong);
    if (s.current) name.appendChild(document.createTextNode(' – diese Sitzung'));
    li.appendChild(name);
    const meta = document.createElement('p');
    meta.className = 'factor-meta';
    meta.textContent = 'Adresse: ' + (s.client_ip || 'unbekannt') + ' · angemeldet am ' + dayTime(s.created_at)
        + ' · zuletzt aktiv am ' + dayTime(s.last_seen)
        + (s.state !== 'authenticated' ? ' · Anmeldung nicht abgeschlossen' : '');
    li.appendChild(meta);
    if (!s.current) {
        const actions = document.createElement('div');
        actions.className = 'actions';
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'button button-secondary';
        b.textContent = 'Sitzung beenden';
        // the visible text first (WCAG 2.5.3 Label in Name), then which one
        b.setAttribute('aria-label', 'Sitzung beenden: „' + s.device + '“ (' + (s.client_ip || 'unbekannt') + ')');
        b.addEventListener('click', () => endSession(s));
        actions.appendChild(b);
        li.appendChild(actions);
    }
    return li;
}

function render() {
    byId('current-email').textContent = konto.account.email || konto.account.username || '';
    const p = konto.account.pending_email;
    byId('pending-email').textContent = p
        ? 'Neue E-Mail-Adresse ' + p.email + ' wartet auf die Bestätigung (Link gültig bis '
            + dayTime(p.expires_at) + '). Bis dahin melden Sie sich mit der bisherigen Adresse an.'
        : '';
    show(byId('pending-email'), !!p);
    const list = byId('session-list');
    list.textContent = '';
    for (const s of konto.sessions) list.appendChild(sessionItem(s));
    show(byId('sessions-end-all'), konto.sessions.some((s) => !s.current));
}

async function refresh() {
    const res = await api('GET', '/api/v1/konto');
    if (res.status === 401) {
        toLogin(res);
        return false;
    }
    if (res.status !== 200 || !res.data) {
        show(byId('konto'), false);
        show(byId('load-failed'), true);
        showError(errorMessage(res), []);
        return false;
    }
    konto = res.data;
    render();
    return true;
}

async function start() {
    clearMessages();
    show(byId('load-failed'), false);
    show(byId('loading'), true);
    if (!(await requireAuthenticated(PAGE))) return;
    const sec = await api('GET', '/api/v1/security');
    if (sec.status === 200 && sec.data) {
        factors = { totp: !!sec.data.totp, passkey: sec.data.passkeys.some((k) => !k.flagged) };
    }
    const ok = await refresh();
    show(byId('loading'), false);
    if (ok) show(byId('konto'), true);
}

setupReauth({ factors: () => factors, toLogin: toLogin });

// ---- e-mail address -----------------------------------------------------------

byId('email-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const email = byId('new_email').value.trim();
    if (!emailLooksValid(email)) {
        setFieldError('new_email', 'Bitte geben Sie eine gültige E-Mail-Adresse ein.');
        showError('Bitte prüfen Sie Ihre Eingabe.',
            [{ field: 'new_email', text: NAMES.new_email + ': Bitte geben Sie eine gültige E-Mail-Adresse ein.' }]);
        return;
    }
    setBusy(form, true);
    clearMessages();
    await perform(() => api('POST', '/api/v1/konto/email', { email: email }), async (res) => {
        if (res.status === 202) {
            byId('new_email').value = '';
            await refresh();
            success('Wir haben einen Bestätigungslink an ' + email + ' gesendet. Bitte klicken Sie innerhalb '
                + 'von 24 Stunden auf den Link. Bis dahin melden Sie sich mit Ihrer bisherigen E-Mail-Adresse an.');
            return;
        }
        if (res.status === 422) {
            fieldError('new_email', res);
            return;
        }
        showError(errorMessage(res), []);
    });
    setBusy(form, false);
});

// ---- password -------------------------------------------------------------------

const pwInput = byId('password');
const repInput = byId('password_repeat');
const checklist = attachChecklist(pwInput, repInput);

byId('password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const problems = checklist.problems();
    if (!byId('current_password').value) {
        problems.unshift({ field: 'current_password', text: 'Bitte geben Sie Ihr aktuelles Passwort ein.' });
    }
    if (problems.length > 0) {
        showError('Bitte prüfen Sie Ihre Eingaben.', markProblems(problems, NAMES));
        return;
    }
    setBusy(form, true);
    clearMessages();
    const body = () => ({
        current_password: byId('current_password').value,
        password: pwInput.value,
        password_repeat: repInput.value
    });
    await perform(() => api('POST', '/api/v1/konto/passwort', body()), async (res) => {
        if (res.status === 204) {
            form.reset();
            checklist.render();
            await refresh();
            success('Ihr Passwort wurde geändert. Auf allen anderen Geräten wurden Sie abgemeldet.');
            return;
        }
        const code = errorCode(res);
        if (code === 'password_invalid' || code === 'password_missing') {
            fieldError('current_password', res);
            return;
        }
        if (code === 'password_same') {
            fieldError('password', res);
            return;
        }
        if (res.status === 422 && res.data && res.data.error) {
            showError('Bitte prüfen Sie Ihre Eingaben.', markProblems(serverProblems(res.data.error,
                { password: 'password', password_repeat: 'password_repeat' }), NAMES));
            return;
        }
        showError(errorMessage(res), []);
    });
    setBusy(form, false);
});

// ---- sessions -------------------------------------------------------------------

async function endSession(s) {
    clearMessages();
    await perform(() => api('POST', '/api/v1/konto/sitzungen/beenden', { id: s.id }), async (res) => {
        if (res.status === 204 || errorCode(res) === 'session_not_found') {
            await refresh();
            success('Die Sitzung „' + s.device + '“ wurde beendet.');
            return;
        }
        showError(errorMessage(res), []);
    });
}

byId('sessions-end-all').addEventListener('click', async () => {
    clearMessages();
    await perform(() => api('POST', '/api/v1/konto/sitzungen/andere-beenden', {}), async (res) => {
        if (res.status === 200) {
            await refresh();
            success(res.data.ended === 1 ? 'Eine andere Sitzung wurde beendet.'
                : res.data.ended + ' andere Sitzungen wurden beendet.');
            return;
        }
        showError(errorMessage(res), []);
    });
});

// ---- export ---------------------------------------------------------------------

byId('export').addEventListener('click', async () => {
    clearMessages();
    await perform(() => api('GET', '/api/v1/konto/export'), async (res) => {
        if (res.status !== 200 || !res.data) {
            showError(errorMessage(res), []);
            return;
        }
        const blob = new Blob([JSON.stringify(res.data, null, 2)], { type: 'application/json' });
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = 'jobcenter-digital-meine-daten-' + todayIso() + '.json';
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        success('Ihre Daten wurden als Datei heruntergeladen.');
    });
});

// ---- deletion -------------------------------------------------------------------

byId('delete-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const problems = [];
    if (!byId('delete_password').value) {
        problems.push({ field: 'delete_password', text: 'Bitte geben Sie Ihr Passwort ein.' });
    }
    if (!byId('delete_confirm').checked) {
        problems.push({ field: 'delete_confirm', text: 'Bitte bestätigen Sie, dass Sie Ihr Konto endgültig löschen möchten.' });
    }
    if (problems.length > 0) {
        for (const p of problems) setFieldError(p.field, p.text);
        showError('Bitte prüfen Sie Ihre Eingaben.',
            problems.map((p) => ({ field: p.field, text: NAMES[p.field] + ': ' + p.text })));
        return;
    }
    setBusy(form, true);
    clearMessages();
    const body = () => ({ password: byId('delete_password').value, confirm: byId('delete_confirm').checked });
    await perform(() => api('POST', '/api/v1/konto/loeschen', body()), async (res) => {
        if (res.status === 204) {
            clearCsrfToken();
            form.reset();
            show(byId('konto'), false);
            show(byId('logout'), false);
            show(byId('deleted'), true);
            focusHeading(byId('deleted-heading'));
            return;
        }
        const code = errorCode(res);
        if (code === 'password_invalid' || code === 'password_missing') {
            fieldError('delete_password', res);
            return;
        }
        showError(errorMessage(res), []);
    });
    setBusy(form, false);
});

byId('logout').addEventListener('click', logout);
byId('load-retry').addEventListener('click', start);
start();
