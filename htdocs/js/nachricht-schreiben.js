// nachricht-schreiben.html: the seed's "Nachrichten schreiben" steps 3-6.
// Needs a person profile and active Online-Kommunikation (otherwise the
// page explains and links, js/online-notice.js). The Anliegen come from
// GET /api/v1/messages/anliegen (the seed's table lives once, in the
// server) as a select with the two groups as optgroups. "Ihre Nachricht"
// counts characters as the server does (code points: [...s].length) with
// the live "noch N Zeichen". Attachments go through the upload pipeline
// (js/anhaenge.js). "Absenden" posts with an idempotency key that is kept
// until the message was accepted, so a retry never sends twice; on an
// error every typed text stays in the form.

import { api, errorMessage } from './api.js';
import { requirePersonProfile } from './session-guard.js';
import { requireOnline } from './online-notice.js';
import { attachments } from './anhaenge.js';
import {
    byId, show, showError, clearMessages, setFieldError, clearFieldErrors, setBusy, isBusy, focusHeading
} from './ui.js';

const AREA_OF_TEAM = { leistung: 'geldleistung', but: 'but', vermittlung: 'vermittlung' };
let max = 1000;
let key = null;
let teams = {};
let att = null;

const chars = (s) => Array.from(s).length;

function newKey() {
    if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function count() {
    const n = chars(byId('text').value);
    const el = byId('text-count');
    const left = max - n;
    el.textContent = left >= 0 ? 'noch ' + left + ' Zeichen' : (-left) + ' Zeichen zu viel';
    el.classList.toggle('over', left < 0);
}

function fill(data) {
    max = data.text_max || 1000;
    const sel = byId('anliegen');
    for (const g of data.groups) {
        const og = document.createElement('optgroup');
        og.label = g.label;
        for (const a of g.anliegen) {
            const o = document.createElement('option');
            o.value = a.key;
            o.textContent = a.label;
            teams[a.key] = a.team;
            og.appendChild(o);
        }
        sel.appendChild(og);
    }
}

// The checks the server makes too, for immediate feedback.
function check() {
    const errs = [];
    if (!byId('anliegen').value) errs.push({ field: 'anliegen', text: 'Bitte wählen Sie ein Anliegen aus.' });
    if (!byId('subject').value.trim()) errs.push({ field: 'subject', text: 'Bitte geben Sie einen Betreff ein.' });
    const t = byId('text').value;
    if (!t.trim()) errs.push({ field: 'text', text: 'Bitte geben Sie Ihre Nachricht ein.' });
    else if (chars(t) > max) errs.push({ field: 'text', text: 'Ihre Nachricht darf höchstens ' + max + ' Zeichen lang sein.' });
    if (!byId('ack').checked) {
        errs.push({ field: 'ack', text: 'Bitte bestätigen Sie, dass Sie den Hinweis zur Datenverarbeitung nach § 67a / § 67c SGB X zur Kenntnis genommen haben.' });
    }
    return errs;
}

function showErrors(errs, title) {
    for (const e of errs) if (e.field) setFieldError(e.field, e.text);
    showError(title || 'Bitte prüfen Sie Ihre Eingaben.', errs);
}

async function submit(ev) {
    ev.preventDefault();
    const form = byId('message-form');
    if (isBusy(form)) return;
    clearMessages();
    clearFieldErrors(form);
    const errs = check();
    if (att.pending()) errs.push({ text: 'Bitte warten Sie, bis alle Anhänge hochgeladen sind.' });
    if (errs.length) {
        showErrors(errs);
        return;
    }
    if (!key) key = newKey();
    setBusy(form, true);
    const body = {
        anliegen: byId('anliegen').value,
        subject: byId('subject').value.trim(),
        text: byId('text').value,
        ack: byId('ack').checked,
        idempotency_key: key
    };
    const draft = att.draftId();
    if (draft) body.draft = draft;
    const res = await api('POST', '/api/v1/messages', body);
    setBusy(form, false);
    if (res.status === 201 || res.status === 200) {
        key = null;
        att.reset();
        show(form, false);
        show(byId('done'), true);
        focusHeading(byId('done-heading'));
        return;
    }
    const err = res.data && res.data.error;
    if (err && Array.isArray(err.details)) {
        showErrors(err.details.map((d) => ({ field: d.field, text: d.message })), err.message);
    } else {
        showError(errorMessage(res), []);
    }
}

async function init() {
    if (!(await requirePersonProfile())) return;
    const online = await requireOnline(byId('online-notice'), { what: 'Nachrichten schreiben' });
    show(byId('loading'), false);
    if (!online.active) return;
    const [a, j] = await Promise.all([api('GET', '/api/v1/messages/anliegen'), api('GET', '/api/v1/jobcenter')]);
    if (a.status !== 200 || !a.data) {
        showError(errorMessage(a), []);
        return;
    }
    fill(a.data);
    byId('jc-name').textContent = (j.data && j.data.jobcenter && j.data.jobcenter.name) || 'Ihr Jobcenter';
    att = attachments({
        input: byId('att-input'), list: byId('att-list'), status: byId('att-status'), drop: byId('att-drop'),
        area: () => AREA_OF_TEAM[teams[byId('anliegen').value]] || 'geldleistung'
    });
    byId('text').addEventListener('input', count);
    byId('message-form').addEventListener('submit', submit);
    count();
    show(byId('message-form'), true);
}

init();
