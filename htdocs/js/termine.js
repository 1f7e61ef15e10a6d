// termine.html: the appointments the Jobcenter posted (GET /api/v1/termine):
// date, time, place or phone, contact. "Termin verschieben" asks for a new
// appointment (POST /api/v1/termine/verschieben): a message with the
// Anliegen "Terminanfrage" to the team that posted it (needs active
// Online-Kommunikation, as every message).

import { api, errorMessage } from './api.js';
import { showProfileList } from './session-guard.js';
import { byId, showError, clearMessages, fact } from './ui.js';

function newKey() {
    if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function item(t) {
    const li = document.createElement('li');
    li.className = 'doc-item';
    const h = document.createElement('h2');
    h.textContent = t.date_text + ', ' + t.time + ' Uhr';
    const dl = document.createElement('dl');
    dl.className = 'sub-facts';
    fact(dl, 'Ort / Telefon', t.place);
    fact(dl, 'Ansprechperson', t.contact);
    fact(dl, 'Bereich', t.team_text);
    li.append(h, dl);
    if (t.reschedule_conversation) {
        const p = document.createElement('p');
        p.textContent = 'Sie haben um einen neuen Termin gebeten.';
        li.appendChild(p);
        return li;
    }
    const form = document.createElement('form');
    form.className = 'field';
    const id = 'reason-' + t.id;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = 'Grund (freiwillig)';
    const ta = document.createElement('textarea');
    ta.id = id;
    ta.rows = 3;
    const b = document.createElement('button');
    b.type = 'submit';
    b.className = 'button button-secondary';
    b.textContent = 'Termin verschieben';
    form.append(label, ta, b);
    let key = null;
    form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearMessages();
        if (!key) key = newKey();
        const res = await api('POST', '/api/v1/termine/verschieben',
            { termin: t.id, text: ta.value, idempotency_key: key });
        if (res.status !== 201 && res.status !== 200) {
            showError(errorMessage(res), []);
            return;
        }
        form.remove();
        const p = document.createElement('p');
        p.textContent = 'Sie haben um einen neuen Termin gebeten.';
        li.appendChild(p);
        byId('doc-status').textContent = 'Ihre Nachricht wurde übermittelt.';
    });
    li.appendChild(form);
    return li;
}

showProfileList('/api/v1/termine', 'termine', item);
