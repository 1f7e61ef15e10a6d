// email-bestaetigen.html: the link in the confirmation mail points here with
// ?token=. The token is POSTed to /api/v1/email/confirm by this script (a
// plain GET of the page confirms nothing, so link scanners in mail systems
// cannot use up the token). The token is removed from the address bar.

import { api, errorMessage, errorCode } from './api.js';
import { setupResendForm } from './resend.js';
import {
    byId, param, show, showError, clearMessages, focusHeading
} from './ui.js';

const FAILED_HEADINGS = {
    token_expired: 'Bestätigungslink abgelaufen',
    token_used: 'Bestätigungslink bereits verwendet',
    token_invalid: 'Bestätigungslink ungültig'
};

const SECTIONS = ['confirm-pending', 'confirm-done', 'confirm-failed',
                  'confirm-error'];

const token = (param('token') || '').trim();
if (token) {
    // Keep the token out of the history and of any later Referer.
    window.history.replaceState(null, '', window.location.pathname);
}

function only(id) {
    for (const s of SECTIONS) show(byId(s), s === id);
}

function failed(code, message) {
    only('confirm-failed');
    byId('confirm-failed-heading').textContent =
        FAILED_HEADINGS[code] || FAILED_HEADINGS.token_invalid;
    byId('confirm-failed-text').textContent = message;
    show(byId('confirm-used-hint'), code === 'token_used');
    focusHeading(byId('confirm-failed-heading'));
}

async function confirm() {
    clearMessages();
    only('confirm-pending');
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
        failed('token_invalid', 'Der Bestätigungslink ist unvollständig oder '
               + 'ungültig. Bitte prüfen Sie, ob Sie den Link vollständig '
               + 'aus der E-Mail übernommen haben, oder fordern Sie einen '
               + 'neuen Link an.');
        return;
    }
    const res = await api('POST', '/api/v1/email/confirm', { token: token });
    if (res.status === 200) {
        only('confirm-done');
        focusHeading(byId('confirm-success'));
        return;
    }
    const code = errorCode(res);
    if ((res.status === 404 || res.status === 410) && FAILED_HEADINGS[code]) {
        failed(code, errorMessage(res));
        return;
    }
    only('confirm-error');
    showError(errorMessage(res), []);
}

setupResendForm({ knownEmail: () => null });
byId('confirm-retry').addEventListener('click', confirm);
confirm();
