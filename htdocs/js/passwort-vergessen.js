// passwort-vergessen.html: POST /api/v1/password/forgot with the address.
// The answer is the same for every address (202), so the page says what
// happens if the address belongs to an account with a confirmed address.

import { api, errorMessage } from './api.js';
import { emailLooksValid } from './email-rules.js';
import {
    byId, showMessages, showError, clearMessages, setFieldError,
    clearFieldErrors, setBusy, isBusy
} from './ui.js';

const form = byId('forgot-form');
const input = byId('email');

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const email = input.value.trim();
    if (!emailLooksValid(email)) {
        const text = email ? 'Bitte geben Sie eine gültige E-Mail-Adresse ein.'
            : 'Bitte geben Sie Ihre E-Mail-Adresse ein.';
        setFieldError('email', text);
        showError('Bitte prüfen Sie Ihre Eingabe.', [{ field: 'email', text: 'E-Mail-Adresse: ' + text }]);
        return;
    }
    setBusy(form, true);
    clearMessages();
    const res = await api('POST', '/api/v1/password/forgot', { email: email });
    setBusy(form, false);
    if (res.status === 202) {
        showMessages('success', 'E-Mail unterwegs', [{
            text: 'Wenn zu der E-Mail-Adresse ' + email + ' ein Konto mit bestätigter '
                + 'E-Mail-Adresse besteht, haben wir Ihnen einen Link gesendet. Bitte '
                + 'prüfen Sie Ihr Postfach (auch den Spam-Ordner). Der Link ist 60 Minuten '
                + 'gültig; ältere Links gelten nicht mehr.'
        }]);
        return;
    }
    if (res.status === 422) {
        setFieldError('email', errorMessage(res));
        showError('Bitte prüfen Sie Ihre Eingabe.',
            [{ field: 'email', text: 'E-Mail-Adresse: ' + errorMessage(res) }]);
        return;
    }
    showError(errorMessage(res), []);
});
