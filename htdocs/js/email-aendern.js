// email-aendern.html: the link of the mail "Bestätigung Ihrer neuen
// E-Mail-Adresse" points here with #token=... The token is POSTed to
// /api/v1/konto/email/confirm (a plain GET confirms nothing, so link
// scanners cannot use it up) and removed from the address bar.

import { api, errorMessage, errorCode } from './api.js';
import { byId, show, showError, focusHeading } from './ui.js';

const HEADINGS = {
    token_expired: 'Bestätigungslink abgelaufen',
    token_used: 'Bestätigungslink bereits verwendet',
    token_invalid: 'Bestätigungslink ungültig',
    email_taken: 'E-Mail-Adresse bereits vergeben'
};

const token = (new URLSearchParams(window.location.hash.slice(1)).get('token') || '').trim();
if (window.location.hash) {
    window.history.replaceState(null, '', window.location.pathname);
}

function only(id) {
    for (const s of ['change-pending', 'change-done', 'change-failed']) show(byId(s), s === id);
}

function failed(code, message) {
    only('change-failed');
    byId('change-failed-heading').textContent = HEADINGS[code] || 'Bestätigung nicht möglich';
    byId('change-failed-text').textContent = message;
    focusHeading(byId('change-failed-heading'));
}

async function confirm() {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
        failed('token_invalid', 'Der Bestätigungslink ist unvollständig oder ungültig. Bitte prüfen Sie, '
            + 'ob Sie den Link vollständig aus der E-Mail übernommen haben.');
        return;
    }
    const res = await api('POST', '/api/v1/konto/email/confirm', { token: token });
    if (res.status === 200 && res.data) {
        byId('change-email').textContent = res.data.email;
        only('change-done');
        focusHeading(byId('change-done-heading'));
        return;
    }
    if (HEADINGS[errorCode(res)]) {
        failed(errorCode(res), errorMessage(res));
        return;
    }
    showError(errorMessage(res), []);
}

confirm();
