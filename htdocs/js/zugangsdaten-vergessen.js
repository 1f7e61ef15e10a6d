// zugangsdaten-vergessen.html: the Jobcenter serving a postcode (GET
// /api/v1/jobcenter/suche?plz=), so the visitor knows where to ask for new
// one-time credentials; general guidance when the postcode is unknown.

import { api, errorMessage } from './api.js';
import {
    byId, show, showError, clearMessages, setFieldError, clearFieldErrors,
    setBusy, isBusy
} from './ui.js';

const form = byId('plz-form');
const input = byId('plz');

function showJobcenter(jc) {
    byId('jc-name').textContent = jc.name;
    byId('jc-street').textContent = jc.street;
    byId('jc-city').textContent = jc.postcode + ' ' + jc.city;
    byId('jc-phone').textContent = jc.phone;
    const ul = byId('jc-hours');
    ul.textContent = '';
    for (const line of jc.opening_hours || []) {
        const li = document.createElement('li');
        li.textContent = line;
        ul.appendChild(li);
    }
    show(byId('jc-hours-label'), ul.children.length > 0);
    show(byId('plz-jobcenter'), true);
}

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearFieldErrors(form);
    clearMessages();
    show(byId('plz-jobcenter'), false);
    show(byId('plz-general'), false);
    const plz = input.value.trim();
    if (!/^[0-9]{5}$/.test(plz)) {
        const text = 'Bitte geben Sie eine Postleitzahl mit 5 Ziffern ein.';
        setFieldError('plz', text);
        showError('Bitte prüfen Sie Ihre Eingabe.', [{ field: 'plz', text: 'Postleitzahl: ' + text }]);
        return;
    }
    setBusy(form, true);
    const res = await api('GET', '/api/v1/jobcenter/suche?plz=' + encodeURIComponent(plz));
    setBusy(form, false);
    if (res.status === 200 && res.data && res.data.jobcenter) {
        showJobcenter(res.data.jobcenter);
        return;
    }
    if (res.status === 404) {
        show(byId('plz-general'), true);
        return;
    }
    showError(errorMessage(res), []);
});
