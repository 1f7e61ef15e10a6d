// sachbearbeitung/index.html: the customers of the staff member's own
// jobcenter, searched by name or Kundennummer (GET /api/v1/staff/customers
// ?q=&page=), 50 per page.

import { api, errorMessage } from './api.js';
import { byId, show, param, showError } from './ui.js';
import { loadStaff, commonFailure, dateDe, fullName } from './sb-common.js';

const PER_PAGE = 50;

function pageUrl(q, page) {
    const u = new URLSearchParams();
    if (q) u.set('q', q);
    if (page > 1) u.set('seite', String(page));
    const s = u.toString();
    return 'index.html' + (s ? '?' + s : '');
}

async function load() {
    const q = (param('q') || '').trim();
    let page = parseInt(param('seite') || '1', 10);
    if (!(page >= 1)) page = 1;
    byId('q').value = q;
    if (!(await loadStaff())) {
        byId('result-status').textContent = '';
        return;
    }
    const res = await api('GET', '/api/v1/staff/customers?q=' + encodeURIComponent(q)
        + '&page=' + page + '&per_page=' + PER_PAGE);
    const status = byId('result-status');
    if (res.status !== 200) {
        status.textContent = '';
        if (!commonFailure(res)) showError(errorMessage(res), []);
        return;
    }
    const list = byId('customer-list');
    list.textContent = '';
    for (const c of res.data.customers) {
        const li = document.createElement('li');
        const a = document.createElement('a');
        a.href = 'kunde.html?id=' + encodeURIComponent(c.id);
        a.textContent = c.family_name + ', ' + c.given_name;
        li.appendChild(a);
        const meta = document.createElement('span');
        meta.className = 'meta';
        meta.textContent = 'Kundennummer ' + c.kundennummer + ' · geboren am '
            + dateDe(c.birth_date) + ' · ' + c.postcode + ' ' + c.city
            + (c.bound ? ' · eServices freigeschaltet' : '');
        li.appendChild(meta);
        li.title = fullName(c);
        list.appendChild(li);
    }
    const total = res.data.total;
    const pages = Math.max(1, Math.ceil(total / PER_PAGE));
    if (total === 0) {
        status.textContent = q ? 'Keine Treffer für „' + q + '“.'
            : 'Ihr Jobcenter hat noch keine Kundinnen und Kunden angelegt.';
    } else {
        // the server counts up to 1000 ("total_more": more than that)
        status.textContent = res.data.total_more
            ? 'Mehr als ' + total.toLocaleString('de-DE') + ' Kundinnen und Kunden gefunden. '
                + 'Bitte suchen Sie genauer (Nachname Vorname, Kundennummer oder Postleitzahl).'
            : total === 1 ? '1 Kundin / Kunde gefunden.'
                : total + ' Kundinnen und Kunden gefunden.';
    }
    show(byId('pager'), pages > 1);
    byId('page-info').textContent = 'Seite ' + page + ' von ' + pages;
    const prev = byId('page-prev');
    const next = byId('page-next');
    show(prev, page > 1);
    show(next, page < pages);
    prev.href = pageUrl(q, page - 1);
    next.href = pageUrl(q, page + 1);
}

load();
