// passwort-neu.html: the link of the mail "Neues Passwort festlegen"
// points here with #token=... (a fragment: it never reaches a server log
// or a Referer). The page checks the link (POST password/reset/check),
// shows the form with the live checklist and sends the new password
// (POST password/reset). The token is removed from the address bar.

import { api, errorMessage, errorCode } from './api.js';
import { attachChecklist, markProblems, serverProblems } from './password-checklist.js';
import {
    byId, show, showError, clearMessages, clearFieldErrors, setBusy, isBusy,
    focusHeading
} from './ui.js';

const NAMES = { password: 'Passwort', password_repeat: 'Passwort wiederholen' };
const HEADINGS = {
    token_expired: 'Link abgelaufen',
    token_used: 'Link bereits verwendet',
    token_invalid: 'Link ungültig'
};
const SECTIONS = ['reset-pending', 'reset-form-section', 'reset-done', 'reset-failed'];

const token = (new URLSearchParams(window.location.hash.slice(1)).get('token') || '').trim();
if (window.location.hash) {
    window.history.replaceState(null, '', window.location.pathname);
}

const form = byId('reset-form');
const pw = byId('password');
const rep = byId('password_repeat');
const checklist = attachChecklist(pw, rep);

function only(id) {
    for (const s of SECTIONS) show(byId(s), s === id);
}

function failed(code, message) {
    only('reset-failed');
    clearMessages();
    byId('reset-failed-heading').textContent = HEADINGS[code] || HEADINGS.token_invalid;
    byId('reset-failed-text').textContent = message;
    focusHeading(byId('reset-failed-heading'));
}

function linkError(res) {
    const code = errorCode(res);
    if ((res.status === 404 || res.status === 410) && HEADINGS[code]) {
        pw.value = '';
        rep.value = '';
        failed(code, errorMessage(res));
        return true;
    }
    return false;
}

async function check() {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
        failed('token_invalid', 'Der Link ist unvollständig oder ungültig. Bitte prüfen Sie, ob Sie '
            + 'den Link vollständig aus der E-Mail übernommen haben, oder fordern Sie einen neuen Link an.');
        return;
    }
    const res = await api('POST', '/api/v1/password/reset/check', { token: token });
    if (res.status === 200) {
        only('reset-form-section');
        pw.focus();
        return;
    }
    if (!linkError(res)) {
        only('reset-pending');
        showError(errorMessage(res), []);
    }
}

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const problems = checklist.problems();
    if (problems.length > 0) {
        showError('Bitte prüfen Sie Ihre Eingaben.', markProblems(problems, NAMES));
        return;
    }
    setBusy(form, true);
    clearMessages();
    const res = await api('POST', '/api/v1/password/reset',
        { token: token, password: pw.value, password_repeat: rep.value });
    setBusy(form, false);
    if (res.status === 200) {
        pw.value = '';
        rep.value = '';
        only('reset-done');
        focusHeading(byId('reset-done-heading'));
        return;
    }
    if (linkError(res)) return;
    if (res.status === 422 && res.data && res.data.error) {
        showError('Bitte prüfen Sie Ihre Eingaben.', markProblems(
            serverProblems(res.data.error, { password: 'password', password_repeat: 'password_repeat' }), NAMES));
        return;
    }
    showError(errorMessage(res), []);
});

check();
