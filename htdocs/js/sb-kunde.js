// sachbearbeitung/kunde.html?id=N: one customer (GET
// /api/v1/staff/customers/N) and "Freischaltcode erzeugen": POST
// .../freischaltcode answers with the letter as application/pdf, which is
// offered as a download (the code exists only in this letter).
// "Zugangsdaten zurücksetzen" (bound customers, after a confirmation): POST
// .../zugangsdaten answers with both letters (JSON, base64); each is
// offered as its own download from an object URL.

import { api, errorMessage, getCsrfToken } from './api.js';
import { byId, show, param, showError, showMessages, clearMessages } from './ui.js';
import { loadStaff, commonFailure, dateDe, epochDe, fullName } from './sb-common.js';

const STATES = {
    open: 'gültig',
    used: 'eingelöst',
    voided: 'ungültig (durch einen neueren Code ersetzt)',
    expired: 'abgelaufen'
};

const id = param('id');
let current = null;
let letterUrl = null;

// The state of one-time credentials ("Zugangsdaten zurücksetzen") of the
// bound account, from the answer's "onetime".
function onetimeText(c, o) {
    if (!c.bound) return 'keine (noch kein Konto verbunden)';
    if (o && o.pending) {
        return 'ausstehend: Die Briefe wurden noch nicht eingelöst (gültig bis '
            + epochDe(o.expires_at) + ').';
    }
    if (o && o.expired) {
        return 'abgelaufen am ' + epochDe(o.expires_at) + ', nicht eingelöst.';
    }
    return 'keine ausstehend';
}

function render(data) {
    const c = data.customer;
    current = c;
    byId('customer-heading').textContent = fullName(c);
    document.title = fullName(c) + ' – Sachbearbeitung – Jobcenter.Digital';
    byId('c-knr').textContent = c.kundennummer;
    byId('c-birth').textContent = dateDe(c.birth_date);
    byId('c-address').textContent = c.street + ', ' + c.postcode + ' ' + c.city;
    byId('c-bound').textContent = c.bound ? 'freigeschaltet (mit einem Konto verbunden)'
        : 'noch nicht freigeschaltet';
    byId('c-onetime').textContent = onetimeText(c, data.onetime);
    byId('issue-code').hidden = !!c.bound;
    show(byId('reset-section'), !!c.bound);
    const ul = byId('codes');
    ul.textContent = '';
    for (const k of data.codes) {
        const li = document.createElement('li');
        li.textContent = 'erzeugt am ' + epochDe(k.created_at) + ', gültig bis '
            + epochDe(k.expires_at) + ': ' + (STATES[k.state] || k.state);
        ul.appendChild(li);
    }
    show(byId('codes-empty'), data.codes.length === 0);
    show(byId('customer'), true);
}

async function load() {
    show(byId('loading'), true);
    if (!(await loadStaff())) {
        show(byId('loading'), false);
        return;
    }
    if (!/^[1-9][0-9]{0,17}$/.test(id || '')) {
        show(byId('loading'), false);
        showError('Diese Kundin oder diesen Kunden gibt es nicht.', []);
        return;
    }
    const res = await api('GET', '/api/v1/staff/customers/' + id);
    show(byId('loading'), false);
    if (res.status !== 200) {
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return;
    }
    render(res.data);
    if (param('neu') === '1') {
        showMessages('success', 'Die Kundin / der Kunde wurde angelegt.',
            [{ text: 'Kundennummer: ' + res.data.customer.kundennummer }], { focus: false });
    }
}

async function issue() {
    const button = byId('issue-code');
    if (button.getAttribute('aria-busy') === 'true') return;
    clearMessages();
    button.setAttribute('aria-busy', 'true');
    let res;
    try {
        res = await fetch('/api/v1/staff/customers/' + id + '/freischaltcode', {
            method: 'POST',
            credentials: 'same-origin',
            cache: 'no-store',
            headers: { 'Accept': 'application/pdf, application/json',
                       'X-CSRF-Token': getCsrfToken() || '' }
        });
    } catch (e) {
        button.removeAttribute('aria-busy');
        showError('Der Server ist nicht erreichbar. Bitte versuchen Sie es später erneut.', []);
        return;
    }
    button.removeAttribute('aria-busy');
    const type = res.headers.get('Content-Type') || '';
    if (res.status === 201 && type.startsWith('application/pdf')) {
        const blob = await res.blob();
        if (letterUrl) URL.revokeObjectURL(letterUrl);
        letterUrl = URL.createObjectURL(blob);
        const link = byId('letter-link');
        link.href = letterUrl;
        link.download = 'Freischaltcode-' + current.kundennummer + '.pdf';
        const exp = Number(res.headers.get('X-Freischaltcode-Expires'));
        byId('letter-text').textContent = 'Der Freischaltcode-Brief wurde erstellt'
            + (exp ? ' (gültig bis ' + epochDe(exp) + ')' : '')
            + '. Ältere, noch nicht eingelöste Codes sind jetzt ungültig.';
        show(byId('letter-result'), true);
        link.click();
        const again = await api('GET', '/api/v1/staff/customers/' + id);
        if (again.status === 200) render(again.data);
        return;
    }
    let data = null;
    try {
        data = type.includes('json') ? await res.json() : null;
    } catch (e) {
        data = null;
    }
    const result = { status: res.status, data: data };
    if (commonFailure(result)) return;
    showError(errorMessage(result), []);
}

// ---- Zugangsdaten zurücksetzen ------------------------------------------

const resetUrls = [];

function pdfUrl(b64) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
    resetUrls.push(url);
    return url;
}

function confirmPanel(open) {
    show(byId('reset-confirm'), open);
    byId('reset-start').setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) byId('reset-do').focus();
}

async function resetCredentials() {
    const button = byId('reset-do');
    if (button.getAttribute('aria-busy') === 'true') return;
    clearMessages();
    button.setAttribute('aria-busy', 'true');
    button.disabled = true;
    const res = await api('POST', '/api/v1/staff/customers/' + id + '/zugangsdaten');
    button.removeAttribute('aria-busy');
    button.disabled = false;
    confirmPanel(false);
    if (res.status !== 201 || !res.data || !Array.isArray(res.data.letters)) {
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return;
    }
    while (resetUrls.length) URL.revokeObjectURL(resetUrls.pop());
    for (const letter of res.data.letters) {
        const link = byId('reset-letter-' + letter.part);
        if (!link) continue;
        link.href = pdfUrl(letter.data_base64);
        link.download = letter.filename;
    }
    byId('reset-text').textContent = 'Die Zugangsdaten wurden zurückgesetzt. '
        + 'Die Einmal-Zugangsdaten sind gültig bis ' + epochDe(res.data.expires_at) + '.';
    show(byId('reset-result'), true);
    byId('c-onetime').textContent = onetimeText(current,
        { pending: true, expires_at: res.data.expires_at });
    byId('reset-letter-1').focus();
}

byId('issue-code').addEventListener('click', issue);
byId('reset-start').addEventListener('click', () => confirmPanel(byId('reset-confirm').hidden));
byId('reset-cancel').addEventListener('click', () => {
    confirmPanel(false);
    byId('reset-start').focus();
});
byId('reset-do').addEventListener('click', resetCredentials);
load();
