// anmeldung.html: POST /api/v1/login, resend of the confirmation link when
// the address is not confirmed yet, notices after logout / expiry.

import { api, errorMessage, errorCode } from './api.js';
import { setupResendForm } from './resend.js';
import { flowPage } from './forced-flow.js';
import { supported as passkeySupported, usePasskey } from './webauthn.js';
import {
    byId, param, showMessages, showError, clearMessages, setFieldError,
    clearFieldErrors, setBusy, isBusy, labelText, show, afterLogin, zielQuery
} from './ui.js';

const form = byId('login-form');
const loginInput = byId('login');
const passwordInput = byId('password');
const resendSection = byId('resend-section');

const resend = setupResendForm({
    knownEmail: () => {
        const v = loginInput.value.trim();
        return v.includes('@') ? v : null;
    }
});

if (param('abgemeldet') === '1') {
    showMessages('success', 'Sie wurden erfolgreich abgemeldet.', [],
                 { focus: false });
} else if (param('sitzung') === 'abgelaufen') {
    showMessages('info', 'Ihre Sitzung ist abgelaufen. '
                 + 'Bitte melden Sie sich erneut an.', [], { focus: false });
}

// "Zurück": back to the page the user came from (same site), otherwise
// follow the link's href (the operator may point it to the homepage).
byId('login-back').addEventListener('click', (ev) => {
    let sameSite = false;
    try {
        sameSite = document.referrer !== ''
            && new URL(document.referrer).origin === window.location.origin
            && !document.referrer.includes('anmeldung.html');
    } catch (e) {
        sameSite = false;
    }
    if (sameSite && window.history.length > 1) {
        ev.preventDefault();
        window.history.back();
    }
});

// Which second factors the account has (login answer for mfa_required),
// for zweiter-faktor.html.
function rememberFactors(factors) {
    try {
        if (Array.isArray(factors)) {
            sessionStorage.setItem('jc_factors', JSON.stringify(factors));
        } else {
            sessionStorage.removeItem('jc_factors');
        }
    } catch (e) {
        // storage disabled: the code page then offers the TOTP form only
    }
}

// "Mit Passkey anmelden": only where the browser knows WebAuthn.
const passkeyButton = byId('passkey-login');
if (passkeySupported()) {
    show(byId('passkey-section'), true);
    passkeyButton.addEventListener('click', async () => {
        if (passkeyButton.disabled) return;
        passkeyButton.disabled = true;
        passkeyButton.setAttribute('aria-busy', 'true');
        clearMessages();
        const res = await usePasskey('login');
        if (res.status === 200) {
            window.location.replace(afterLogin());
            return;
        }
        passkeyButton.disabled = false;
        passkeyButton.removeAttribute('aria-busy');
        showError(errorMessage(res), []);
    });
}

loginInput.addEventListener('input', () => {
    if (!resendSection.hidden && resend) resend.refresh();
});

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearFieldErrors(form);
    show(resendSection, false);

    const login = loginInput.value.trim();
    const password = passwordInput.value;
    const problems = [];
    if (!login) {
        problems.push({ field: 'login', text: 'Bitte geben Sie Ihren '
                        + 'Benutzernamen oder Ihre E-Mail-Adresse ein.' });
    }
    if (!password) {
        problems.push({ field: 'password',
                        text: 'Bitte geben Sie Ihr Passwort ein.' });
    }
    if (problems.length > 0) {
        for (const p of problems) setFieldError(p.field, p.text);
        showError('Bitte prüfen Sie Ihre Eingaben.', problems.map((p) => ({
            field: p.field, text: labelText(p.field) + ': ' + p.text })));
        return;
    }

    setBusy(form, true);
    clearMessages();
    const res = await api('POST', '/api/v1/login',
                          { login: login, password: password });
    if (res.status === 200) {
        passwordInput.value = '';
        rememberFactors(res.data && res.data.factors);
        // an account with a second factor is asked for its code next
        // a complete login goes back to the gate's ?ziel= (if safe)
        const state = res.data && res.data.state;
        // one-time credentials from the letters: the flow's next step
        // (the way back travels along: a staff member's first login goes
        // password change -> second factor set-up -> the staff page)
        const flow = flowPage(state);
        if (flow) {
            window.location.replace(flow + zielQuery());
            return;
        }
        window.location.replace(state === 'mfa_required'
            ? 'zweiter-faktor.html' + zielQuery()
            : state === 'authenticated' ? afterLogin() : 'start.html' + zielQuery());
        return;
    }
    setBusy(form, false);

    if (res.status === 403 && errorCode(res) === 'email_unconfirmed') {
        showError(errorMessage(res), []);
        show(resendSection, true);
        if (resend) resend.refresh();
        return;
    }
    // 401 invalid_credentials, 429 too_many_attempts / account_locked and
    // every other failure: the API's German message.
    if (res.status === 401 || res.status === 429) {
        passwordInput.value = '';
    }
    showError(errorMessage(res), []);
});
