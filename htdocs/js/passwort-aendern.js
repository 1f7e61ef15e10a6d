// passwort-aendern.html: step 1 of the letter flow (session state
// password_change_required). The live checklist of the registration; POST
// /api/v1/onetime/password; the answer's state names the next page
// (email-angeben.html). "Abbrechen" logs out: the flow resumes here at the
// next login with the letters. A new staff account (one-time password of
// `jobcenter-admin staff-add`) has its address already: other intro text,
// and the answer's state (mfa_setup_required) leads to the start page,
// which offers the second factor.

import { api, errorMessage, setCsrfToken } from './api.js';
import {
    DEFAULT_POLICY, CRITERIA, criterionText, normalizePolicy, checkPassword
} from './password-rules.js';
import { logout } from './logout.js';
import { flowPage, requireFlowState } from './forced-flow.js';
import {
    byId, show, showError, clearMessages, setFieldError, clearFieldErrors,
    setBusy, isBusy, focusHeading, zielQuery
} from './ui.js';

const FIELD_NAMES = { password: 'Passwort', password_repeat: 'Passwort wiederholen' };

const form = byId('change-form');
const passwordInput = byId('password');
const repeatInput = byId('password_repeat');
let policy = DEFAULT_POLICY;
const shownState = {};
for (const c of CRITERIA) shownState[c.key] = false;

function renderChecklist() {
    const result = checkPassword(passwordInput.value, repeatInput.value, policy);
    for (const c of CRITERIA) {
        const li = byId('rule-' + c.key);
        if (!li) continue;
        const met = result[c.key] === true;
        if (shownState[c.key] === met) continue;
        shownState[c.key] = met;
        li.classList.toggle('rule-met', met);
        li.querySelector('.rule-state').textContent = met ? 'erfüllt: ' : 'nicht erfüllt: ';
    }
    return result;
}

async function loadPolicy() {
    const res = await api('GET', '/api/v1/password-policy');
    if (res.status !== 200) return;
    const p = normalizePolicy(res.data);
    if (!p) return;
    policy = p;
    for (const key of ['length', 'special']) {
        const el = document.querySelector('#rule-' + key + ' .rule-text');
        if (el) el.textContent = criterionText(key, policy);
    }
    renderChecklist();
}

function problems() {
    const out = [];
    const r = checkPassword(passwordInput.value, repeatInput.value, policy);
    if (!passwordInput.value) {
        out.push({ field: 'password', text: 'Bitte geben Sie ein Passwort ein.' });
    } else {
        for (const c of CRITERIA) {
            if (c.key !== 'repeat' && !r[c.key]) {
                out.push({ field: 'password', text: criterionText(c.key, policy) });
            }
        }
    }
    if (!repeatInput.value) {
        out.push({ field: 'password_repeat', text: 'Bitte wiederholen Sie das Passwort.' });
    } else if (passwordInput.value && !r.repeat) {
        out.push({ field: 'password_repeat', text: 'Die Passwörter stimmen nicht überein.' });
    }
    return out;
}

function report(title, list) {
    const seen = new Set();
    for (const p of list) {
        if (p.field && !seen.has(p.field)) {
            seen.add(p.field);
            setFieldError(p.field, p.text);
        }
    }
    showError(title, list.map((p) => ({
        field: p.field || null,
        text: p.field ? (FIELD_NAMES[p.field] || p.field) + ': ' + p.text : p.text
    })));
}

passwordInput.addEventListener('input', renderChecklist);
repeatInput.addEventListener('input', renderChecklist);
byId('change-cancel').addEventListener('click', logout);

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearFieldErrors(form);
    renderChecklist();
    const list = problems();
    if (list.length > 0) {
        report('Bitte prüfen Sie Ihre Eingaben.', list);
        return;
    }
    setBusy(form, true);
    clearMessages();
    const res = await api('POST', '/api/v1/onetime/password', {
        password: passwordInput.value, password_repeat: repeatInput.value
    });
    setBusy(form, false);
    if (res.status === 200 && res.data) {
        passwordInput.value = '';
        repeatInput.value = '';
        setCsrfToken(res.data.csrf_token);
        // next step of the flow, or (an account with an address: staff)
        // start.html, which sends each state on (set-up or code of the
        // second factor); ?ziel= travels along
        window.location.replace((flowPage(res.data.state) || 'start.html') + zielQuery());
        return;
    }
    if (res.status === 401) {
        window.location.replace('anmeldung.html');
        return;
    }
    const err = res.data && res.data.error;
    if (res.status === 422 && err) {
        const details = Array.isArray(err.details) && err.details.length > 0
            ? err.details : [{ field: err.field, message: err.message }];
        report(err.message === 'Bitte prüfen Sie Ihre Eingaben.' ? err.message
               : 'Bitte prüfen Sie Ihre Eingaben.',
               details.map((d) => ({ field: d.field || 'password', text: d.message })));
        return;
    }
    showError(errorMessage(res), []);
});

(async () => {
    const me = await requireFlowState('password_change_required');
    if (!me) return;
    if (me.account && me.account.email) {
        show(byId('intro-letter'), false);
        show(byId('intro-onetime'), true);
    }
    show(byId('change'), true);
    focusHeading(byId('change-heading'));
    loadPolicy();
})();
