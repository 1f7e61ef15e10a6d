// The 6-digit code field of the second-factor pages (form with
// input#totp_code): the check before sending, the API's answers as a field
// error linked from the summary, and the way out when the session is gone.

import { api, errorMessage, errorCode } from './api.js';
import {
    byId, showError, clearMessages, setFieldError, clearFieldErrors,
    setBusy, isBusy, labelText
} from './ui.js';

const FIELD = 'totp_code';
const CODE_ERRORS = ['code_malformed', 'code_invalid', 'code_used'];

// The code without spaces if that leaves exactly 6 digits, else null.
export function cleanCode(value) {
    const v = String(value || '').replace(/\s+/g, '');
    return /^[0-9]{6}$/.test(v) ? v : null;
}

function fieldProblem(text) {
    setFieldError(FIELD, text);
    showError('Bitte prüfen Sie Ihre Eingabe.',
              [{ field: FIELD, text: labelText(FIELD) + ': ' + text }]);
}

// form: the <form>; path: the API route; onSuccess(res) after 200.
export function setupCodeForm(form, path, onSuccess) {
    const input = byId(FIELD);
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (isBusy(form)) return;
        clearFieldErrors(form);
        const code = cleanCode(input.value);
        if (!code) {
            fieldProblem(input.value.trim() === ''
                ? 'Bitte geben Sie den 6-stelligen Code ein.'
                : 'Der Code besteht aus genau 6 Ziffern.');
            return;
        }
        setBusy(form, true);
        clearMessages();
        const res = await api('POST', path, { code: code });
        if (res.status === 200) {
            onSuccess(res);
            return;
        }
        setBusy(form, false);
        const ec = errorCode(res);
        if (res.status === 401
                && (ec === 'not_authenticated' || ec === 'session_expired')) {
            window.location.replace('anmeldung.html'
                + (ec === 'session_expired' ? '?sitzung=abgelaufen' : ''));
            return;
        }
        if (CODE_ERRORS.includes(ec)) {
            input.value = '';
            fieldProblem(errorMessage(res));
            return;
        }
        // 429 too_many_attempts / account_locked, 503, ...
        showError(errorMessage(res), []);
    });
}
