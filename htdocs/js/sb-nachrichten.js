// sachbearbeitung/nachrichten.html: the messages routed to the staff
// member's team of their jobcenter (GET /api/v1/staff/messages?status=),
// with Kundennummer and name; ?id=N opens one (GET
// /api/v1/staff/messages/conversation): "Mir zuweisen", the status, the
// messages with their attachments (downloads: attachment, nosniff) and
// the reply into the citizen's Postfach, with optional attachments (sent
// as multipart/form-data to POST /api/v1/staff/messages/reply-files, through
// the server's upload pipeline). Every action is audited by the server.

import { api, errorMessage, getCsrfToken } from './api.js';
import { dateTimeDe } from './german-time.js';
import { mb } from './upload-files.js';
import { loadStaff, commonFailure } from './sb-common.js';
import { byId, show, showError, clearMessages, setFieldError, clearFieldErrors, param, focusHeading, fact } from './ui.js';

const chars = (s) => Array.from(s).length;
const when = dateTimeDe;

function listItem(c) {
    const li = document.createElement('li');
    li.className = 'conv-item';
    const a = document.createElement('a');
    a.href = 'nachrichten.html?id=' + c.id;
    a.textContent = c.subject;
    if (c.status === 'neu') a.className = 'unread';
    const meta = document.createElement('p');
    meta.className = 'msg-head';
    meta.textContent = c.customer.name + ' (' + c.customer.kundennummer + ') · ' + c.anliegen_text + ' · '
        + c.status_text + ' · ' + when(c.updated_at)
        + (c.attachments ? ' · ' + c.attachments + (c.attachments === 1 ? ' Anhang' : ' Anhänge') : '');
    li.append(a, meta);
    return li;
}

function render(c) {
    byId('conv-heading').textContent = c.subject;
    const dl = byId('conv-facts');
    dl.textContent = '';
    fact(dl, 'Kundin / Kunde', c.customer.name + ' (' + c.customer.kundennummer + ')');
    fact(dl, 'Anliegen', c.anliegen_text);
    fact(dl, 'Status', c.status_text);
    fact(dl, 'Zugewiesen', c.assigned_name || 'niemandem');
    byId('conv-status').value = c.status;
    const list = byId('msg-list');
    list.textContent = '';
    for (const m of c.messages) {
        const li = document.createElement('li');
        li.className = 'msg msg-' + m.from;
        const head = document.createElement('p');
        head.className = 'msg-head';
        head.textContent = (m.from === 'jobcenter' ? (m.staff_name || 'Jobcenter') : 'Kundin / Kunde')
            + ' · ' + when(m.created_at);
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
                const meta = document.createElement('span');
                meta.textContent = ' (' + f.mime + ', ' + mb(f.size) + ')';
                fl.append(a, meta);
                ul.appendChild(fl);
            }
            li.appendChild(ul);
        }
        list.appendChild(li);
    }
}

// POST a multipart body (the browser sets the boundary); {status, data}.
async function postForm(path, form) {
    try {
        const r = await fetch(path, {
            method: 'POST', credentials: 'same-origin', body: form,
            headers: { Accept: 'application/json', 'X-CSRF-Token': getCsrfToken() || '' }
        });
        let data = null;
        try { data = await r.json(); } catch (x) { data = null; }
        return { status: r.status, data };
    } catch (x) {
        return { status: 0, data: null };
    }
}

async function openConversation(id) {
    const res = await api('GET', '/api/v1/staff/messages/conversation?id=' + encodeURIComponent(id));
    show(byId('result-status'), false);
    if (res.status !== 200) {
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return;
    }
    render(res.data.conversation);
    show(byId('filter-form'), false);
    show(byId('conversation'), true);
    focusHeading(byId('conv-heading'));
    const note = byId('conv-status-note');
    const post = async (path, body, done) => {
        clearMessages();
        const r = body instanceof FormData ? await postForm(path, body) : await api('POST', path, body);
        if (r.status !== 200 && r.status !== 201) {
            if (!commonFailure(r)) showError(errorMessage(r), []);
            return false;
        }
        render(r.data.conversation);
        note.textContent = done;
        return true;
    };
    byId('assign').addEventListener('click', () =>
        post('/api/v1/staff/messages/assign', { conversation: Number(id) }, 'Die Nachricht ist Ihnen zugewiesen.'));
    byId('status-form').addEventListener('submit', (e) => {
        e.preventDefault();
        post('/api/v1/staff/messages/status', { conversation: Number(id), status: byId('conv-status').value },
            'Der Status wurde gespeichert.');
    });
    const text = byId('reply-text');
    const count = () => {
        const left = 1000 - chars(text.value);
        byId('reply-count').textContent = left >= 0 ? 'noch ' + left + ' Zeichen' : (-left) + ' Zeichen zu viel';
        byId('reply-count').classList.toggle('over', left < 0);
    };
    text.addEventListener('input', count);
    byId('reply-form').addEventListener('submit', async (e) => {
        e.preventDefault();
        clearFieldErrors(byId('reply-form'));
        if (!text.value.trim() || chars(text.value) > 1000) {
            const msg = text.value.trim() ? 'Die Antwort darf höchstens 1000 Zeichen lang sein.'
                : 'Bitte geben Sie eine Antwort ein.';
            setFieldError('reply-text', msg);
            showError('Bitte prüfen Sie Ihre Eingaben.', [{ field: 'reply-text', text: msg }]);
            return;
        }
        const input = byId('reply-files');
        const send = byId('reply-send');
        if (send.getAttribute('aria-busy') === 'true') return;
        let ok;
        send.setAttribute('aria-busy', 'true');
        if (input.files.length) {
            const form = new FormData();
            form.append('text', text.value);
            for (const f of input.files) form.append('file', f, f.name);
            ok = await post('/api/v1/staff/messages/reply-files?conversation=' + encodeURIComponent(id), form,
                'Ihre Antwort wurde mit ' + input.files.length
                + (input.files.length === 1 ? ' Anhang' : ' Anhängen')
                + ' in das Postfach der Kundin / des Kunden gestellt.');
        } else {
            ok = await post('/api/v1/staff/messages/reply', { conversation: Number(id), text: text.value },
                'Ihre Antwort wurde in das Postfach der Kundin / des Kunden gestellt.');
        }
        send.removeAttribute('aria-busy');
        if (ok) {
            text.value = '';
            input.value = '';
            input.dispatchEvent(new Event('change'));
            count();
        }
    });
}

async function init() {
    if (!(await loadStaff())) {
        show(byId('result-status'), false);
        return;
    }
    const id = param('id');
    if (id) {
        await openConversation(id);
        return;
    }
    const status = param('status') || '';
    byId('status').value = status;
    const res = await api('GET', '/api/v1/staff/messages' + (status ? '?status=' + encodeURIComponent(status) : ''));
    if (res.status !== 200) {
        show(byId('result-status'), false);
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return;
    }
    const list = byId('conv-list');
    for (const c of res.data.conversations) list.appendChild(listItem(c));
    let n = res.data.conversations.length;
    const say = () => {
        byId('result-status').textContent = n === 0 ? 'Es sind keine Nachrichten vorhanden.'
            : n + (n === 1 ? ' Nachricht' : ' Nachrichten') + ' für ' + res.data.team_text + '.';
    };
    say();
    // keyset pages of 200: "Weitere Nachrichten laden" while there is a next one
    let next = res.data.next;
    if (next) {
        const more = document.createElement('button');
        more.type = 'button';
        more.id = 'conv-more';
        more.textContent = 'Weitere Nachrichten laden';
        list.after(more);
        more.addEventListener('click', async () => {
            const r = await api('GET', '/api/v1/staff/messages?' + (status ? 'status=' + encodeURIComponent(status) + '&' : '')
                + 'before=' + encodeURIComponent(next));
            if (r.status !== 200) {
                if (!commonFailure(r)) showError(errorMessage(r), []);
                return;
            }
            for (const c of r.data.conversations) list.appendChild(listItem(c));
            n += r.data.conversations.length;
            say();
            next = r.data.next;
            if (!next) more.remove();
        });
    }
}

init();
