// antragsuebersicht.html: the citizen's submissions (GET
// /api/v1/uploads/submissions, newest first) with date, area, number of
// files, status ("übermittelt", "in Bearbeitung", "erledigt") and the
// receipt ("Bestätigungs-PDF anzeigen").

import { api, errorMessage } from './api.js';
import { requireFullSession } from './session-guard.js';
import { byId, show, showError, fact } from './ui.js';

async function init() {
    if (!(await requireFullSession())) return;
    const res = await api('GET', '/api/v1/uploads/submissions');
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data || !Array.isArray(res.data.submissions)) {
        showError(errorMessage(res), []);
        return;
    }
    const list = byId('sub-list');
    for (const s of res.data.submissions) {
        const li = document.createElement('li');
        li.className = 'sub-item';
        const h = document.createElement('h2');
        h.textContent = s.area_label + ' – ' + s.date;
        const dl = document.createElement('dl');
        dl.className = 'sub-facts';
        fact(dl, 'Eingereicht', s.date + ', ' + s.time + ' Uhr');
        fact(dl, 'Bereich', s.area_label);
        fact(dl, 'Jobcenter', s.jobcenter);
        fact(dl, 'Dokumente', String(s.files));
        fact(dl, 'Status', s.status_label).className = 'sub-status';
        fact(dl, 'Vorgangsnummer', s.reference);
        const a = document.createElement('a');
        a.href = s.receipt;
        a.target = '_blank';
        a.rel = 'noopener';
        a.textContent = 'Bestätigungs-PDF anzeigen';
        li.append(h, dl, a);
        list.appendChild(li);
    }
    show(byId('empty'), res.data.submissions.length === 0);
    show(byId('overview'), true);
}

init();
