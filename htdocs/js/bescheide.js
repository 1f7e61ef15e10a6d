// bescheide.html: the Bescheide the Jobcenter provided (GET
// /api/v1/bescheide): title, when provided, the day it counts as delivered
// (computed by the server, § 37 (2a) SGB X), whether it was opened. The
// link downloads the PDF (GET /api/v1/bescheide/file?id=), which records
// the first opening.

import { showProfileList } from './session-guard.js';
import { byId, fact } from './ui.js';
import { dateDe } from './german-time.js';



function item(b) {
    const li = document.createElement('li');
    li.className = 'doc-item';
    const h = document.createElement('h2');
    h.textContent = b.title;
    if (!b.opened_at) {
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.textContent = 'neu';
        h.appendChild(badge);
    }
    const dl = document.createElement('dl');
    dl.className = 'sub-facts';
    fact(dl, 'Bereitgestellt am', dateDe(b.provided_at));
    fact(dl, 'Gilt als bekannt gegeben am', b.delivered_on_text);
    const opened = fact(dl, 'Geöffnet', b.opened_at ? dateDe(b.opened_at) : 'noch nicht geöffnet');
    const a = document.createElement('a');
    a.href = b.href;
    a.textContent = 'Bescheid öffnen (PDF)';
    a.setAttribute('download', '');
    a.addEventListener('click', () => {
        opened.textContent = dateDe(Date.now() / 1000);
        byId('doc-status').textContent = b.title + ' wird heruntergeladen.';
    });
    li.append(h, dl, a);
    return li;
}

showProfileList('/api/v1/bescheide', 'bescheide', item);
