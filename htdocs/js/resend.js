// The form "Bestätigungslink erneut senden" (form#resend-form, input#email,
// button#resend-submit), used by anmeldung, email-gesendet and
// email-bestaetigen. POST /api/v1/email/resend always answers 202 whether or
// not the address has an unconfirmed account, so the confirmation text says
// "falls" and reveals nothing about the address.

import { api, errorMessage } from './api.js';
import { emailLooksValid } from './email-rules.js';
import {
    byId, showMessages, showError, clearMessages, setFieldError,
    clearFieldErrors, setBusy, isBusy, labelText
} from './ui.js';

export const SENT_TITLE = 'E-Mail gesendet';

export function sentText(address) {
    return 'Falls zur Adresse ' + address + ' ein noch nicht bestätigtes '
        + 'Konto gehört, haben wir Ihnen einen neuen Bestätigungslink '
        + 'gesendet. Ältere Links sind damit ungültig. Wichtig: Bestätigen '
        + 'Sie Ihre E-Mail-Adresse innerhalb von 24 Stunden.';
}

// options.knownEmail(): an address already known to the page (then the
// e-mail field stays hidden), or null to ask for it.
// options.onSent(address): called after 202 instead of the default message.
export function setupResendForm(options) {
    const form = byId('resend-form');
    if (!form) return null;
    const opts = options || {};
    const input = byId('email');
    const fieldBox = byId('resend-email-field');

    function known() {
        const v = opts.knownEmail ? opts.knownEmail() : null;
        return v && v.includes('@') ? v.trim() : null;
    }

    // Show the e-mail field only when the address is not known.
    function refresh() {
        const k = known();
        if (fieldBox) fieldBox.hidden = !!k;
        if (input) {
            input.required = !k;
            input.setAttribute('aria-required', k ? 'false' : 'true');
        }
    }

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (isBusy(form)) return;
        clearFieldErrors(form);
        const address = known() || (input ? input.value.trim() : '');
        if (!known()) {
            let msg = null;
            if (!address) {
                msg = 'Bitte geben Sie Ihre E-Mail-Adresse ein.';
            } else if (!emailLooksValid(address)) {
                msg = 'Bitte geben Sie eine gültige E-Mail-Adresse ein.';
            }
            if (msg) {
                setFieldError('email', msg);
                showError('Bitte prüfen Sie Ihre Eingaben.',
                          [{ text: labelText('email') + ': ' + msg,
                             field: 'email' }]);
                return;
            }
        }
        setBusy(form, true);
        clearMessages();
        const res = await api('POST', '/api/v1/email/resend',
                              { email: address });
        setBusy(form, false);
        if (res.status === 202 || res.status === 200) {
            if (opts.onSent) {
                opts.onSent(address);
            } else {
                showMessages('success', SENT_TITLE,
                             [{ text: sentText(address) }]);
            }
            return;
        }
        const err = res.data && res.data.error;
        if (res.status === 422 && err && !known()) {
            setFieldError('email', err.message);
            showError('Bitte prüfen Sie Ihre Eingaben.',
                      [{ text: labelText('email') + ': ' + err.message,
                         field: 'email' }]);
            return;
        }
        showError(errorMessage(res), []);
    });

    refresh();
    return { refresh: refresh, form: form };
}
