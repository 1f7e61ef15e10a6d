// postfach.html: the conversations with the Jobcenter (GET /api/v1/messages)
// with unread markers; ?id=N shows one conversation (GET
// /api/v1/messages/conversation, which records that the Jobcenter's
// messages were opened) and, with active Online-Kommunikation, the reply
// form (POST /api/v1/messages/reply; attachments via js/anhaenge.js; an
// idempotency key kept until accepted; the text stays on errors).

import { api, errorMessage } from './api.js';
import { dateTimeDe } from './german-time.js';
import { requirePersonProfile } from './session-guard.js';
import { requireOnline } from './online-notice.js';
import { attachments } from './anhaenge.js';
import {
    byId, show, showError, clearMessages, setFieldError, clearFieldErrors, setBusy, isBusy, param, focusHeading
} from './ui.js';

const chars = (s) => Array.from(s).length;

const when = dateTimeDe;

function newKey() {
    if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function listItem(c) {
    const li = document.createElement('li');
    li.className = 'conv-item';
    const a = document.createElement('a');
    a.href = 'postfach.html?id=' + c.id;
    a.textContent = c.subject;
    if (c.unread > 0) {
        a.className = 'unread';
        const b = document.createElement('span');
        b.className = 'badge';
        b.textContent = c.unread === 1 ? '1 neue Antwort' : c.unread + ' neue Antworten';
        li.append(a, b);
    } else {
        li.append(a);
    }
    const meta = document.createElement('p');
    meta.className = 'msg-head';
    meta.textContent = c.anliegen_text + ' · ' + when(c.updated_at);
    li.appendChild(meta);
    return li;
}

function messageItem(m) {
    const li = document.createElement('li');
    li.className = 'msg msg-' + m.from;
    const head = document.createElement('p');
    head.className = 'msg-head';
    head.textContent = (m.from === 'jobcenter' ? 'Jobcenter' : 'Sie') + ' · ' + when(m.created_at)
        + (m.unread ? ' · neu' : '');
    const body = document.createElement('p');
    body.className = 'msg-body';
    body.textContent = m.body;
    li.append(head, body);
    if (m.files.length) {
        const ul = document.createElement('ul');
        ul.className = 'msg-files';
        for (const f of m.files) {
            const fl = document.createElement('li');
            const a = document.createElement('a');
            a.href = f.href;
            a.textContent = f.name;
            a.setAttribute('download', '');
            fl.appendChild(a);
            ul.appendChild(fl);
        }
        li.appendChild(ul);
    }
    return li;
}

function render(conv) {
    byId('conv-heading').textContent = conv.subject;
    byId('conv-meta').textContent = 'Anliegen: ' + conv.anliegen_text;
    const list = byId('msg-list');
    list.textContent = '';
    for (const m of conv.messages) list.appendChild(messageItem(m));
}

async function showConversation(id) {
    const res = await api('GET', '/api/v1/messages/conversation?id=' + encodeURIComponent(id));
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data) {
        showError(errorMessage(res), []);
        return;
    }
    render(res.data.conversation);
    show(byId('conversation'), true);
    focusHeading(byId('conv-heading'));
    const online = await requireOnline(byId('online-notice'), { what: 'Nachrichten schreiben' });
    if (!online.active) return;
    const att = attachments({ input: byId('att-input'), list: byId('att-list'), status: byId('att-status'),
        drop: byId('att-drop'), area: () => 'geldleistung' });
    const text = byId('reply-text');
    const countEl = byId('reply-count');
    const count = () => {
        const left = 1000 - chars(text.value);
        countEl.textContent = left >= 0 ? 'noch ' + left + ' Zeichen' : (-left) + ' Zeichen zu viel';
        countEl.classList.toggle('over', left < 0);
    };
    text.addEventListener('input', count);
    let key = null;
    const form = byId('reply-form');
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (isBusy(form)) return;
        clearMessages();
        clearFieldErrors(form);
        if (!text.value.trim() || chars(text.value) > 1000) {
            const msg = text.value.trim() ? 'Ihre Nachricht darf höchstens 1000 Zeichen lang sein.'
                : 'Bitte geben Sie Ihre Nachricht ein.';
            setFieldError('reply-text', msg);
            showError('Bitte prüfen Sie Ihre Eingaben.', [{ field: 'reply-text', text: msg }]);
            return;
        }
        if (att.pending()) {
            showError('Bitte warten Sie, bis alle Anhänge hochgeladen sind.', []);
            return;
        }
        if (!key) key = newKey();
        setBusy(form, true);
        const body = { conversation: Number(id), text: text.value, idempotency_key: key };
        if (att.draftId()) body.draft = att.draftId();
        const r = await api('POST', '/api/v1/messages/reply', body);
        setBusy(form, false);
        if (r.status === 201 || r.status === 200) {
            key = null;
            att.reset();
            text.value = '';
            count();
            render(r.data.conversation);
            byId('reply-done').textContent = 'Ihre Nachricht wurde übermittelt.';
            return;
        }
        showError(errorMessage(r), []);
    });
    show(form, true);
}

async function init() {
    if (!(await requirePersonProfile())) return;
    const id = param('id');
    if (id) {
        await showConversation(id);
        return;
    }
    const res = await api('GET', '/api/v1/messages');
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data) {
        showError(errorMessage(res), []);
        return;
    }
    const list = byId('conv-list');
    for (const c of res.data.conversations) list.appendChild(listItem(c));
    show(byId('empty-state'), res.data.conversations.length === 0);
    show(byId('profile-content'), true);
}

init();
