// email-angeben.html: step 2 of the letter flow (session state
// email_required). POST /api/v1/onetime/email with the address and the
// consent; the confirmation link goes to that address. The session stays in
// this state: the citizen may give another address (the older link stops
// working). "Abbrechen" logs out; the flow resumes here at the next login
// with the one-time username and the new password.

import { api, errorMessage } from './api.js';
import { emailLooksValid } from './email-rules.js';
import { logout } from './logout.js';
import { requireFlowState } from './forced-flow.js';
import {
    byId, show, showError, clearMessages, setFieldError, clearFieldErrors,
    setBusy, isBusy, focusHeading
} from './ui.js';

const FIELD_NAMES = { email: 'E-Mail-Adresse', accept_email: 'Einwilligung' };

const form = byId('email-form');
const emailInput = byId('email');
const consentInput = byId('accept_email');

function report(list) {
    const seen = new Set();
    for (const p of list) {
        if (p.field && !seen.has(p.field)) {
            seen.add(p.field);
            setFieldError(p.field, p.text);
        }
    }
    showError('Bitte prüfen Sie Ihre Eingaben.', list.map((p) => ({
        field: p.field || null,
        text: p.field ? (FIELD_NAMES[p.field] || p.field) + ': ' + p.text : p.text
    })));
}

function showSection(which) {
    show(byId('address'), which === 'address');
    show(byId('sent'), which === 'sent');
    focusHeading(byId(which === 'sent' ? 'sent-heading' : 'address-heading'));
    document.title = (which === 'sent' ? 'E-Mail gesendet' : 'E-Mail-Adresse')
        + ' – Jobcenter.Digital';
}

byId('email-cancel').addEventListener('click', logout);
byId('sent-change').addEventListener('click', () => {
    clearMessages();
    showSection('address');
});

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearFieldErrors(form);
    const email = emailInput.value.trim();
    const list = [];
    if (!email) {
        list.push({ field: 'email', text: 'Bitte geben Sie Ihre E-Mail-Adresse ein.' });
    } else if (!emailLooksValid(email)) {
        list.push({ field: 'email', text: 'Bitte geben Sie eine gültige E-Mail-Adresse ein, '
                    + 'zum Beispiel name@beispiel.de.' });
    }
    if (!consentInput.checked) {
        list.push({ field: 'accept_email',
                    text: 'Bitte willigen Sie in die Nutzung Ihrer E-Mail-Adresse ein.' });
    }
    if (list.length > 0) {
        report(list);
        return;
    }
    setBusy(form, true);
    clearMessages();
    const res = await api('POST', '/api/v1/onetime/email',
                          { email: email, accept_email: consentInput.checked });
    setBusy(form, false);
    if (res.status === 202 && res.data) {
        byId('sent-address').textContent = res.data.email || email;
        showSection('sent');
        return;
    }
    if (res.status === 401) {
        window.location.replace('anmeldung.html');
        return;
    }
    const err = res.data && res.data.error;
    if ((res.status === 422 || res.status === 409) && err) {
        const details = Array.isArray(err.details) && err.details.length > 0
            ? err.details : [{ field: err.field, message: err.message }];
        report(details.map((d) => ({ field: d.field || 'email', text: d.message })));
        return;
    }
    showError(errorMessage(res), []);
});

(async () => {
    if (!(await requireFlowState('email_required'))) return;
    showSection('address');
})();
