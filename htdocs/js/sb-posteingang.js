// sachbearbeitung/posteingang.html: the submissions routed to the staff
// member's team of their jobcenter (GET /api/v1/staff/uploads), each with
// the customer, date, area, message, files (download: attachment with
// the cleaned name and the sniffed type) and the status, which staff set
// (POST /api/v1/staff/uploads/status; audited).

import { api, errorMessage } from './api.js';
import { byId, show, showError, clearMessages, fact } from './ui.js';
import { loadStaff, commonFailure } from './sb-common.js';
import { mb } from './upload-files.js';

const STATUSES = [['uebermittelt', 'übermittelt'], ['in_bearbeitung', 'in Bearbeitung'], ['erledigt', 'erledigt']];

function item(s) {
    const li = document.createElement('li');
    li.className = 'sub-item';
    const h = document.createElement('h2');
    h.textContent = s.customer + ' (' + s.kundennummer + ')';
    const dl = document.createElement('dl');
    dl.className = 'sub-facts';
    fact(dl, 'Eingegangen', s.date + ', ' + s.time + ' Uhr');
    fact(dl, 'Bereich', s.area_label);
    fact(dl, 'Vorgangsnummer', s.reference);
    const st = fact(dl, 'Status', s.status_label);
    if (s.message) fact(dl, 'Nachricht', s.message);
    const files = document.createElement('ul');
    for (const f of s.file_list) {
        const fl = document.createElement('li');
        const a = document.createElement('a');
        a.href = '/api/v1/staff/uploads/file?file=' + f.id;
        a.textContent = f.name;
        a.setAttribute('download', '');
        const meta = document.createElement('span');
        meta.textContent = ' (' + f.type + ', ' + mb(f.size) + ')';
        fl.append(a, meta);
        files.appendChild(fl);
    }
    const form = document.createElement('form');
    form.className = 'status-form';
    const id = 'status-' + s.id;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = 'Status ändern';
    const sel = document.createElement('select');
    sel.id = id;
    for (const [k, v] of STATUSES) {
        const o = document.createElement('option');
        o.value = k;
        o.textContent = v;
        o.selected = k === s.status;
        sel.appendChild(o);
    }
    const b = document.createElement('button');
    b.type = 'submit';
    b.className = 'button button-secondary';
    b.textContent = 'Status speichern';
    form.append(label, sel, b);
    form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearMessages();
        const res = await api('POST', '/api/v1/staff/uploads/status', { submission: s.id, status: sel.value });
        if (res.status !== 200) {
            if (!commonFailure(res)) showError(errorMessage(res), []);
            return;
        }
        st.textContent = res.data.status_label;
        byId('status-note').textContent = 'Status von ' + s.reference + ': ' + res.data.status_label;
    });
    li.append(h, dl, files, form);
    return li;
}

async function init() {
    if (!(await loadStaff())) {
        show(byId('loading'), false);
        return;
    }
    const res = await api('GET', '/api/v1/staff/uploads');
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data) {
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return;
    }
    byId('team').textContent = res.data.team;
    show(byId('team-line'), true);
    const list = byId('inbox-list');
    for (const s of res.data.submissions) list.appendChild(item(s));
    show(byId('empty'), res.data.submissions.length === 0);
    show(byId('inbox'), true);
}

init();
