// sachbearbeitung/kunde-anlegen.html: POST /api/v1/staff/customers; the
// server's field errors are shown at their fields and in the summary; on
// success the new customer's page.

import { api, errorMessage, errorCode } from './api.js';
import { byId, showError, clearMessages, setFieldError, clearFieldErrors,
         setBusy, isBusy, labelText } from './ui.js';
import { loadStaff, commonFailure, isoDate } from './sb-common.js';

const FIELDS = ['salutation', 'given_name', 'family_name', 'birth_date',
    'street', 'postcode', 'city'];
const form = byId('customer-form');

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearMessages();
    clearFieldErrors(form);
    const body = {};
    for (const f of FIELDS) body[f] = byId(f).value;
    body.birth_date = isoDate(body.birth_date);
    setBusy(form, true);
    const res = await api('POST', '/api/v1/staff/customers', body);
    setBusy(form, false);
    if (res.status === 201) {
        window.location.assign('kunde.html?id=' + encodeURIComponent(res.data.customer.id)
            + '&neu=1');
        return;
    }
    if (commonFailure(res)) return;
    if (res.status === 422 && errorCode(res) === 'validation_failed' && res.data.error.details) {
        const items = [];
        for (const d of res.data.error.details) {
            if (d.field && byId(d.field)) {
                setFieldError(d.field, d.message);
                items.push({ text: labelText(d.field) + ': ' + d.message, field: d.field });
            } else {
                items.push({ text: d.message });
            }
        }
        showError('Bitte prüfen Sie Ihre Eingaben:', items);
        return;
    }
    showError(errorMessage(res), []);
});

loadStaff();
