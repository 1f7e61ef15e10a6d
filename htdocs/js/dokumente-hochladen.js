// dokumente-hochladen.html: the seed's "Dokumente hochladen" (steps 2-6).
// 1. choose the area (POST /api/v1/uploads/drafts),
// 2. add files: each one is sent resumably with tus-js-client (tus 1.0.0,
//    /api/v1/uploads/tus; resumed after a broken connection or offline),
//    with a progress bar and a remove button,
// 3. "Weiter zum nächsten Schritt": optional message (at most 1000
//    characters, counted as characters), "Absenden" ("N Dokument(e) an
//    Jobcenter X") with an idempotency key (a retried click sends the same),
// 4. the confirmation with "Bestätigungs-PDF anzeigen",
//    "Antragsübersicht einsehen" and "Fertig".

import { dropArea } from './drop-area.js';
import { api, errorMessage, errorCode } from './api.js';
import { fileItem, markFailed, mb, sendFileResumable } from './upload-files.js';
import { requireFullSession } from './session-guard.js';
import { byId, show, showError, clearMessages } from './ui.js';
import { renderNotice } from './online-notice.js';

const MSG_MAX = 1000;
const state = {
    ctx: null,          // GET uploads/context
    draft: null,        // POST uploads/drafts answer
    files: [],          // {key, name, size, id?, xhr?, el, done, failed}
    key: null,          // idempotency key of the submit
    seq: 0
};

function chars(s) {
    return Array.from(s).length;
}

function step(id) {
    for (const s of ['step-area', 'step-files', 'step-message', 'step-done', 'gate']) {
        show(byId(s), s === id);
    }
}

function newKey() {
    if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function gate(text, href, label) {
    byId('gate-text').textContent = text;
    const a = byId('gate-link');
    a.href = href;
    a.textContent = label;
    step('gate');
}

function docLabel(n) {
    return n + (n === 1 ? ' Dokument' : ' Dokumente') + ' an ' + state.ctx.jobcenter;
}

function uploaded() {
    return state.files.filter((f) => f.done && !f.failed);
}

function refresh() {
    const pending = state.files.some((f) => !f.done);
    const n = uploaded().length;
    byId('to-message').disabled = pending || n === 0;
    byId('send-detail').textContent = docLabel(n);
    const max = state.ctx.limits.max_files;
    byId('file-input').disabled = n >= max;
}

// ---- step 1 ----------------------------------------------------------------

async function chooseArea(area) {
    clearMessages();
    const res = await api('POST', '/api/v1/uploads/drafts', { area: area.key });
    if (res.status !== 201) {
        showError(errorMessage(res), []);
        return;
    }
    state.draft = res.data;
    state.files = [];
    state.key = newKey();
    byId('file-list').textContent = '';
    for (const el of document.querySelectorAll('.area-name')) el.textContent = area.label;
    refresh();
    step('step-files');
    byId('files-heading').focus();
}

// ---- step 2 ----------------------------------------------------------------

function fail(f, text) {
    markFailed(f, text, byId('file-status'));
    refresh();
}

function send(f, file) {
    sendFileResumable(f, file, state.draft.draft, {
        status: byId('file-status'),
        done: refresh,
        fail,
        refusedText: (xhr) => 'Die Datei konnte nicht hochgeladen werden (HTTP ' + xhr.status + ').',
        unreachableText: 'Die Verbindung wurde unterbrochen. Bitte versuchen Sie es erneut.'
    });
}

function addFiles(list) {
    clearMessages();
    const limits = state.ctx.limits;
    for (const file of Array.from(list)) {
        const f = { key: ++state.seq, name: file.name || 'Dokument', size: file.size, done: false, failed: false };
        state.files.push(f);
        byId('file-list').appendChild(fileItem(f, removeFile));
        if (file.size > limits.max_file_bytes) {
            fail(f, 'Die Datei ist zu groß. Erlaubt sind höchstens ' + mb(limits.max_file_bytes) + '.');
            continue;
        }
        if (uploaded().length + state.files.filter((x) => !x.done).length > limits.max_files) {
            fail(f, 'Es können höchstens ' + limits.max_files + ' Dateien je Sendung hochgeladen werden.');
            continue;
        }
        send(f, file);
    }
    refresh();
}

async function removeFile(f) {
    if (f.xhr) {
        f.xhr.abort();      // the server removes the partial file
        f.xhr = null;
    }
    if (f.id) {
        const res = await api('POST', '/api/v1/uploads/files/delete', { draft: state.draft.draft, file: f.id });
        if (res.status !== 204) {
            showError(errorMessage(res), []);
            return;
        }
    }
    state.files = state.files.filter((x) => x !== f);
    f.el.li.remove();
    byId('file-status').textContent = f.name + ' wurde entfernt.';
    refresh();
}

// ---- step 3 ----------------------------------------------------------------

function count() {
    const left = MSG_MAX - chars(byId('message').value);
    const el = byId('message-count');
    el.textContent = left >= 0 ? 'noch ' + left + ' Zeichen' : (-left) + ' Zeichen zu viel';
    el.classList.toggle('over', left < 0);
    return left;
}

async function submit() {
    clearMessages();
    if (count() < 0) {
        showError('Die Nachricht ist zu lang. Erlaubt sind höchstens 1000 Zeichen.', [{ text: 'Nachricht kürzen', field: 'message' }]);
        return;
    }
    const button = byId('send');
    button.disabled = true;
    const res = await api('POST', '/api/v1/uploads/submit', {
        draft: state.draft.draft, message: byId('message').value, idempotency_key: state.key
    });
    button.disabled = false;
    if (res.status !== 201 && res.status !== 200) {
        showError(errorMessage(res), []);
        return;
    }
    byId('confirmation').textContent = res.data.confirmation;
    byId('reference').textContent = res.data.reference;
    byId('receipt-link').href = res.data.receipt;
    step('step-done');
    byId('done-heading').focus();
}

// ---- start -----------------------------------------------------------------

async function init() {
    if (!(await requireFullSession())) return;
    const res = await api('GET', '/api/v1/uploads/context');
    show(byId('loading'), false);
    if (res.status !== 200) {
        const code = errorCode(res);
        if (code === 'profile_required') {
            gate(errorMessage(res), 'eservices-freischalten.html', 'eServices freischalten');
        } else if (code === 'online_kommunikation_inactive') {
            // the seed's explanation and the way to the consent
            renderNotice(byId('online-notice'), { what: 'Dokumente hochladen' });
        } else {
            showError(errorMessage(res), []);
        }
        return;
    }
    state.ctx = res.data;
    for (const el of document.querySelectorAll('.jc-name')) el.textContent = state.ctx.jobcenter;
    byId('max-size').textContent = mb(state.ctx.limits.max_file_bytes);
    byId('max-files').textContent = String(state.ctx.limits.max_files);
    byId('file-input').accept = state.ctx.limits.accept;
    // the camera where the device offers one (phones, tablets)
    if (window.matchMedia && window.matchMedia('(pointer: coarse)').matches) {
        show(byId('camera-label'), true);
        show(byId('camera-input'), true);
    }
    const list = byId('area-list');
    for (const a of state.ctx.areas) {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'button button-secondary';
        b.textContent = a.label;
        b.addEventListener('click', () => chooseArea(a));
        li.appendChild(b);
        list.appendChild(li);
    }
    byId('file-input').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });
    dropArea(byId('file-drop'), (files) => addFiles(files));
    byId('camera-input').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });
    byId('to-message').addEventListener('click', () => {
        refresh();
        count();
        step('step-message');
        byId('message').focus();
    });
    byId('back-to-files').addEventListener('click', () => step('step-files'));
    byId('message').addEventListener('input', count);
    byId('send').addEventListener('click', submit);
    step('step-area');
}

init();
