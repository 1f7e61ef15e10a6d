// The fresh check ("Bitte bestätigen Sie, dass Sie es sind") of the pages
// that change the account (sicherheit.html, konto.html). A change answered
// with 403 reauth_required opens the check (password, TOTP code or
// passkey: POST /api/v1/security/reauth) and is sent again afterwards.
// The page holds the markup: section#reauth with #reauth-heading,
// #reauth-more, #reauth-password-form (#reauth_password),
// #reauth-code-form (#reauth_code), #reauth-passkey and #reauth-cancel.

import { api, errorMessage, errorCode } from './api.js';
import { cleanCode } from './totp-code.js';
import {
    byId, show, showError, showMessages, clearMessages, setFieldError,
    clearFieldErrors, setBusy, isBusy, labelText
} from './ui.js';
import { supported as passkeySupported, reauthPasskey } from './webauthn.js';

let pending = null;     // {run, done}: the change waiting for a check
let opts = null;        // {factors() -> {totp, passkey}, toLogin(res)}

function sessionGone(res) {
    const ec = errorCode(res);
    return res.status === 401 && (ec === 'not_authenticated' || ec === 'session_expired');
}

// Send a change; a 403 reauth_required opens the check and keeps the
// change to send again afterwards. done(res) gets every other answer.
export async function perform(run, done) {
    const res = await run();
    if (res.status === 403 && errorCode(res) === 'reauth_required') {
        pending = { run: run, done: done };
        openReauth(errorMessage(res));
        return;
    }
    if (sessionGone(res)) {
        opts.toLogin(res);
        return;
    }
    await done(res);
}

function openReauth(message) {
    const f = opts.factors();
    const hasTotp = !!f.totp;
    const hasPasskey = !!f.passkey && passkeySupported();
    const more = [hasTotp ? 'einem Code aus Ihrer Authentifizierungs-App' : null,
        hasPasskey ? 'einem Passkey' : null].filter(Boolean);
    byId('reauth-more').textContent = more.length ? ' oder ' + more.join(' oder ') : '';
    show(byId('reauth-code-form'), hasTotp);
    show(byId('reauth-passkey'), hasPasskey);
    byId('reauth_password').value = '';
    byId('reauth_code').value = '';
    clearFieldErrors(byId('reauth'));
    show(byId('reauth'), true);
    showMessages('info', null, [{ text: message }], { focus: false });
    byId('reauth-heading').focus();
}

function closeReauth() {
    show(byId('reauth'), false);
    clearFieldErrors(byId('reauth'));
}

async function reauthDone(res, field) {
    if (res.status === 200) {
        closeReauth();
        clearMessages();
        const p = pending;
        pending = null;
        if (p) await perform(p.run, p.done);
        return;
    }
    if (sessionGone(res)) {
        opts.toLogin(res);
        return;
    }
    const ec = errorCode(res);
    if (field && ['password_invalid', 'password_missing', 'code_malformed', 'code_invalid',
        'code_used'].includes(ec)) {
        setFieldError(field, errorMessage(res));
        showError('Bitte prüfen Sie Ihre Eingabe.',
            [{ field: field, text: labelText(field) + ': ' + errorMessage(res) }]);
        return;
    }
    showError(errorMessage(res), []);
}

// Bind the dialog once per page. options.factors() tells which checks
// the account has ({totp, passkey}); options.toLogin(res) leaves the page
// when the session is gone.
export function setupReauth(options) {
    opts = options;
    byId('reauth-password-form').addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const form = ev.currentTarget;
        if (isBusy(form)) return;
        clearFieldErrors(byId('reauth'));
        const pw = byId('reauth_password').value;
        if (!pw) {
            setFieldError('reauth_password', 'Bitte geben Sie Ihr Passwort ein.');
            showError('Bitte prüfen Sie Ihre Eingabe.',
                [{ field: 'reauth_password', text: 'Passwort: Bitte geben Sie Ihr Passwort ein.' }]);
            return;
        }
        setBusy(form, true);
        const res = await api('POST', '/api/v1/security/reauth', { password: pw });
        setBusy(form, false);
        byId('reauth_password').value = '';
        await reauthDone(res, 'reauth_password');
    });

    byId('reauth-code-form').addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const form = ev.currentTarget;
        if (isBusy(form)) return;
        clearFieldErrors(byId('reauth'));
        const code = cleanCode(byId('reauth_code').value);
        if (!code) {
            setFieldError('reauth_code', 'Der Code besteht aus genau 6 Ziffern.');
            showError('Bitte prüfen Sie Ihre Eingabe.',
                [{ field: 'reauth_code', text: labelText('reauth_code') + ': Der Code besteht aus genau 6 Ziffern.' }]);
            return;
        }
        setBusy(form, true);
        const res = await api('POST', '/api/v1/security/reauth', { code: code });
        setBusy(form, false);
        byId('reauth_code').value = '';
        await reauthDone(res, 'reauth_code');
    });

    byId('reauth-passkey').addEventListener('click', async (ev) => {
        const b = ev.currentTarget;
        if (b.getAttribute('aria-busy') === 'true') return;
        b.setAttribute('aria-busy', 'true');
        const res = await reauthPasskey();
        b.removeAttribute('aria-busy');
        await reauthDone(res, null);
    });

    byId('reauth-cancel').addEventListener('click', () => {
        pending = null;
        closeReauth();
        showMessages('info', null, [{ text: 'Die Änderung wurde nicht vorgenommen.' }]);
    });
}
