// jobcenter.html, "Mir zugeordnetes Jobcenter anzeigen": name, address,
// phone and opening hours of the person profile's Jobcenter (GET
// /api/v1/jobcenter); without a profile the way to "eServices freischalten".

import { api, errorMessage } from './api.js';
import { requireFullSession } from './session-guard.js';
import { byId, show, showError } from './ui.js';

async function init() {
    if (!(await requireFullSession())) return;
    const res = await api('GET', '/api/v1/jobcenter');
    show(byId('loading'), false);
    if (res.status !== 200 || !res.data) {
        showError(errorMessage(res), []);
        return;
    }
    const jc = res.data.jobcenter;
    if (!jc) {
        show(byId('no-profile'), true);
        return;
    }
    byId('jc-name').textContent = jc.name;
    byId('jc-street').textContent = jc.street;
    byId('jc-city').textContent = jc.postcode + ' ' + jc.city;
    const phone = byId('jc-phone');
    phone.textContent = jc.phone;
    phone.href = 'tel:' + jc.phone.replace(/[^0-9+]/g, '');
    const hours = byId('jc-hours');
    for (const line of jc.opening_hours || []) {
        const li = document.createElement('li');
        li.textContent = line;
        hours.appendChild(li);
    }
    show(byId('jobcenter'), true);
}

init();
