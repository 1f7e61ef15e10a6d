// registrierung.html: step 1 (e-mail, password, live checklist) and step 2
// (consent) in one page, then POST /api/v1/register. The password is kept
// only in the form fields of this page; on success it is wiped before the
// page is left.

import { api, errorMessage } from './api.js';
import { CRITERIA, criterionText, checkPassword } from './password-rules.js';
import { attachChecklist } from './password-checklist.js';
import { emailLooksValid } from './email-rules.js';
import {
    byId, showError, clearMessages, setFieldError, clearFieldErrors,
    setBusy, isBusy, show, focusHeading
} from './ui.js';

const STEP1_FIELDS = ['email', 'password', 'password_repeat'];

// Short names of the fields for the error summary.
const FIELD_NAMES = {
    email: 'E-Mail-Adresse',
    password: 'Passwort',
    password_repeat: 'Passwort wiederholen',
    accept_terms: 'Nutzungsbedingungen',
    accept_email: 'Einwilligung zur Nutzung der E-Mail-Adresse'
};

// Field of an API detail code, for details without "field".
const CODE_FIELDS = {
    email_missing: 'email',
    email_invalid: 'email',
    password_length: 'password',
    password_upper: 'password',
    password_lower: 'password',
    password_digit: 'password',
    password_special: 'password',
    password_invalid_chars: 'password',
    password_repeat: 'password_repeat',
    terms_required: 'accept_terms',
    email_consent_required: 'accept_email'
};

const TITLES = {
    1: 'Registrierung – Jobcenter.Digital',
    2: 'Zustimmung und Einwilligung – Registrierung – Jobcenter.Digital'
};

const registerForm = byId('register-form');
const consentForm = byId('consent-form');
const emailInput = byId('email');
const passwordInput = byId('password');
const repeatInput = byId('password_repeat');
const termsInput = byId('accept_terms');
const consentInput = byId('accept_email');

let currentStep = 1;

// The live checklist (password-checklist.js); it loads the server's policy.
const checklist = attachChecklist(passwordInput, repeatInput);

// ---- steps ---------------------------------------------------------------

function showStep(n, focus) {
    currentStep = n;
    show(byId('step-1'), n === 1);
    show(byId('step-2'), n === 2);
    document.title = TITLES[n];
    if (focus) focusHeading(byId(n === 1 ? 'step-1-heading'
                                         : 'step-2-heading'));
}

// Problems of step 1 as [{field, text}] (German), empty when all is fine.
function checkStep1() {
    const problems = [];
    const email = emailInput.value.trim();
    if (!email) {
        problems.push({ field: 'email',
                        text: 'Bitte geben Sie Ihre E-Mail-Adresse ein.' });
    } else if (!emailLooksValid(email)) {
        problems.push({ field: 'email', text: 'Bitte geben Sie eine gültige '
                        + 'E-Mail-Adresse ein, zum Beispiel '
                        + 'name@beispiel.de.' });
    }
    const policy = checklist.policy();
    const r = checkPassword(passwordInput.value, repeatInput.value, policy);
    if (!passwordInput.value) {
        problems.push({ field: 'password',
                        text: 'Bitte geben Sie ein Passwort ein.' });
    } else {
        for (const c of CRITERIA) {
            if (c.key !== 'repeat' && !r[c.key]) {
                problems.push({ field: 'password',
                                text: criterionText(c.key, policy) });
            }
        }
    }
    if (!repeatInput.value) {
        problems.push({ field: 'password_repeat',
                        text: 'Bitte wiederholen Sie das Passwort.' });
    } else if (passwordInput.value && !r.repeat) {
        problems.push({ field: 'password_repeat',
                        text: 'Die Passwörter stimmen nicht überein.' });
    }
    return problems;
}

function checkStep2() {
    const problems = [];
    if (!termsInput.checked) {
        problems.push({ field: 'accept_terms', text: 'Bitte stimmen Sie '
                        + 'den Nutzungsbedingungen zu.' });
    }
    if (!consentInput.checked) {
        problems.push({ field: 'accept_email', text: 'Bitte willigen Sie in '
                        + 'die Nutzung Ihrer E-Mail-Adresse ein.' });
    }
    return problems;
}

// Mark each field and fill the summary. Several password criteria become one
// field message but separate summary entries.
function reportProblems(title, problems) {
    const policy = checklist.policy();
    const byField = new Map();
    for (const p of problems) {
        if (!p.field) continue;
        if (!byField.has(p.field)) byField.set(p.field, []);
        byField.get(p.field).push(p.text);
    }
    for (const [field, texts] of byField) {
        let text = texts[0];
        if (field === 'password' && texts.length > 1) {
            text = 'Das Passwort erfüllt nicht alle Kriterien: '
                + texts.join('; ') + '.';
        } else if (field === 'password'
                   && CRITERIA.some((c) => criterionText(c.key, policy)
                                    === texts[0])) {
            text = 'Das Passwort erfüllt nicht das Kriterium: '
                + texts[0] + '.';
        }
        setFieldError(field, text);
    }
    showError(title, problems.map((p) => ({
        field: p.field || null,
        text: p.field ? (FIELD_NAMES[p.field] || p.field) + ': ' + p.text
                      : p.text
    })));
}

// ---- events --------------------------------------------------------------

registerForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearFieldErrors(registerForm);
    checklist.render();
    const problems = checkStep1();
    if (problems.length > 0) {
        reportProblems('Bitte prüfen Sie Ihre Eingaben.', problems);
        return;
    }
    clearMessages();
    showStep(2, true);
    window.history.pushState({ step: 2 }, '');
});

consentForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(consentForm)) return;
    clearFieldErrors(document);
    const problems = checkStep2();
    if (problems.length > 0) {
        reportProblems('Bitte prüfen Sie Ihre Eingaben.', problems);
        return;
    }
    // The step-1 fields may have been changed through history navigation.
    const step1 = checkStep1();
    if (step1.length > 0) {
        showStep(1, false);
        window.history.replaceState({ step: 1 }, '');
        reportProblems('Bitte prüfen Sie Ihre Eingaben.', step1);
        return;
    }

    const email = emailInput.value.trim();
    setBusy(consentForm, true);
    clearMessages();
    const res = await api('POST', '/api/v1/register', {
        email: email,
        password: passwordInput.value,
        password_repeat: repeatInput.value,
        accept_terms: termsInput.checked,
        accept_email: consentInput.checked
    });
    setBusy(consentForm, false);

    if (res.status === 202 || res.status === 200) {
        passwordInput.value = '';
        repeatInput.value = '';
        window.location.replace('email-gesendet.html?email='
                                + encodeURIComponent(email));
        return;
    }

    const err = res.data && res.data.error;
    if (res.status === 422 && err) {
        let details = Array.isArray(err.details) ? err.details : [];
        if (details.length === 0) {
            details = [{ code: err.code, field: err.field,
                         message: err.message }];
        }
        const serverProblems = details.map((d) => ({
            field: (d.field && FIELD_NAMES[d.field]) ? d.field
                : (CODE_FIELDS[d.code] || null),
            text: d.message || err.message
        }));
        if (serverProblems.some((p) => STEP1_FIELDS.includes(p.field))) {
            showStep(1, false);
            window.history.replaceState({ step: 1 }, '');
        }
        reportProblems(err.message || 'Bitte prüfen Sie Ihre Eingaben.',
                       serverProblems);
        return;
    }
    showError(errorMessage(res), []);
});

window.addEventListener('popstate', (ev) => {
    const wanted = ev.state && ev.state.step === 2 ? 2 : 1;
    if (wanted === currentStep) return;
    clearMessages();
    clearFieldErrors(document);
    if (wanted === 2 && checkStep1().length > 0) {
        showStep(1, true);
        window.history.replaceState({ step: 1 }, '');
        return;
    }
    showStep(wanted, true);
});

// ---- start ---------------------------------------------------------------

window.history.replaceState({ step: 1 }, '');
showStep(1, false);
checklist.render();
