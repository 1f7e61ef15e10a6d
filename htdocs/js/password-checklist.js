// The live password checklist of the password forms (registrierung.html,
// passwort-neu.html, konto.html): the same markup (#rule-<key> items with
// .rule-state and .rule-text) and the same rules (password-rules.js, the
// policy of GET /api/v1/password-policy).

import { api } from './api.js';
import {
    DEFAULT_POLICY, CRITERIA, criterionText, normalizePolicy, checkPassword
} from './password-rules.js';
import { byId, setFieldError } from './ui.js';

// Wire the two inputs to the checklist; returns {render, problems, policy}.
// problems() lists {field, text} for every criterion not met; policy() is
// the policy in use (the built-in defaults until the server's has come).
export function attachChecklist(passwordInput, repeatInput) {
    let policy = DEFAULT_POLICY;
    const shown = {};
    for (const c of CRITERIA) shown[c.key] = false;

    function render() {
        const result = checkPassword(passwordInput.value, repeatInput.value, policy);
        for (const c of CRITERIA) {
            const li = byId('rule-' + c.key);
            if (!li) continue;
            const met = result[c.key] === true;
            // only items whose state changed: the polite live region
            // announces just those (each li is aria-atomic)
            if (shown[c.key] === met) continue;
            shown[c.key] = met;
            li.classList.toggle('rule-met', met);
            li.querySelector('.rule-state').textContent = met ? 'erfüllt: ' : 'nicht erfüllt: ';
        }
        return result;
    }

    function problems() {
        const result = render();
        return CRITERIA.filter((c) => result[c.key] !== true).map((c) => ({
            field: c.key === 'repeat' ? repeatInput.id : passwordInput.id,
            text: criterionText(c.key, policy)
        }));
    }

    passwordInput.addEventListener('input', render);
    repeatInput.addEventListener('input', render);
    api('GET', '/api/v1/password-policy').then((res) => {
        const p = res.status === 200 ? normalizePolicy(res.data) : null;
        if (!p) return;
        // the same as shown: leave the live region alone
        if (p.min_length === policy.min_length
                && p.max_length === policy.max_length
                && p.specials === policy.specials) {
            return;
        }
        policy = p;
        for (const key of ['length', 'special']) {
            const el = document.querySelector('#rule-' + key + ' .rule-text');
            if (el) el.textContent = criterionText(key, policy);
        }
        render();
    });
    return { render: render, problems: problems, policy: () => policy };
}

// Mark the fields of a problem list; several password criteria become one
// field message. Returns the summary items for showError().
export function markProblems(problems, names) {
    const byField = new Map();
    for (const p of problems) {
        if (!p.field) continue;
        if (!byField.has(p.field)) byField.set(p.field, []);
        byField.get(p.field).push(p.text);
    }
    for (const [field, texts] of byField) {
        setFieldError(field, texts.length > 1
            ? 'Das Passwort erfüllt nicht alle Kriterien: ' + texts.join('; ') + '.'
            : texts[0]);
    }
    return problems.map((p) => ({
        field: p.field || null,
        text: p.field && names[p.field] ? names[p.field] + ': ' + p.text : p.text
    }));
}

// The problems of a 422 answer with details (API codes -> fields).
export function serverProblems(err, fields) {
    const details = Array.isArray(err.details) && err.details.length
        ? err.details : [{ field: err.field, message: err.message }];
    return details.map((d) => ({
        field: d.field && fields[d.field] ? fields[d.field] : null,
        text: d.message || err.message
    }));
}
