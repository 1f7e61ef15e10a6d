// sachbearbeitung/kunde.html?id=N, second part: post a Bescheid (a PDF,
// sent as the raw body to POST /api/v1/staff/bescheide?customer=&title=&name=,
// through the server's upload pipeline) or a Termin (POST
// /api/v1/staff/termine) into the customer's profile. The server checks the
// jobcenter, the person profile, the type (PDF only) and audits both.

import { api, errorMessage, getCsrfToken } from './api.js';
import { commonFailure, isoDate, isoTime } from './sb-common.js';
import { byId, showError, showMessages, clearMessages, setFieldError, clearFieldErrors, param } from './ui.js';

const customer = param('id');

function fieldErrors(res) {
    const err = res.data && res.data.error;
    if (err && Array.isArray(err.details)) {
        const map = { date: 't-date', time: 't-time', place: 't-place', contact: 't-contact' };
        const items = err.details.map((d) => ({ field: map[d.field], text: d.message }));
        for (const it of items) if (it.field) setFieldError(it.field, it.text);
        showError(err.message, items);
        return;
    }
    showError(errorMessage(res), []);
}

byId('bescheid-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = byId('bescheid-form');
    clearMessages();
    clearFieldErrors(form);
    const title = byId('b-title').value.trim();
    const file = byId('b-file').files[0];
    const errs = [];
    if (!title) errs.push({ field: 'b-title', text: 'Bitte geben Sie einen Titel an.' });
    if (!file) errs.push({ field: 'b-file', text: 'Bitte wählen Sie die PDF-Datei aus.' });
    if (errs.length) {
        for (const it of errs) setFieldError(it.field, it.text);
        showError('Bitte prüfen Sie Ihre Eingaben.', errs);
        return;
    }
    let res;
    try {
        const r = await fetch('/api/v1/staff/bescheide?customer=' + encodeURIComponent(customer)
            + '&title=' + encodeURIComponent(title) + '&name=' + encodeURIComponent(file.name), {
            method: 'POST', credentials: 'same-origin', body: file,
            headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json',
                'X-CSRF-Token': getCsrfToken() || '' }
        });
        let data = null;
        try { data = await r.json(); } catch (x) { data = null; }
        res = { status: r.status, data };
    } catch (x) {
        res = { status: 0, data: null };
    }
    if (res.status !== 201) {
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return;
    }
    form.reset();
    const b = res.data.bescheid;
    byId('post-status').textContent = 'Der Bescheid „' + b.title + '“ wurde bereitgestellt. Er gilt am '
        + b.delivered_on_text + ' als bekannt gegeben.';
    showMessages('success', null, [{ text: byId('post-status').textContent }], { focus: false });
});

byId('termin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = byId('termin-form');
    clearMessages();
    clearFieldErrors(form);
    const res = await api('POST', '/api/v1/staff/termine', {
        customer: Number(customer), date: isoDate(byId('t-date').value), time: isoTime(byId('t-time').value),
        place: byId('t-place').value.trim(), contact: byId('t-contact').value.trim()
    });
    if (res.status !== 201) {
        if (!commonFailure(res)) fieldErrors(res);
        return;
    }
    form.reset();
    byId('post-status').textContent = 'Der Termin am ' + res.data.termin.date_text + ' um '
        + res.data.termin.time + ' Uhr wurde eingetragen.';
    showMessages('success', null, [{ text: byId('post-status').textContent }], { focus: false });
});
