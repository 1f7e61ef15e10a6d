// eservices-freischalten.html (seed step 13): the Freischaltcode from the
// letter. /link/freischaltcode (the QR link) sends the browser here with
// the checked code in the fragment (#code=XXXX-XXXX-XXXX); it is kept in
// this browser (fsc-pending.js) and the fragment removed, then a login
// (with ?ziel= back here) or a registration may come first. POST
// /api/v1/freischaltcode; on success the profile is created and selected
// and the start page shows it.

import { api, errorMessage, errorCode } from './api.js';
import { requireFullSession, loadProfile, selectProfile } from './session-guard.js';
import { keepCode, pendingCode, dropCode, normalizeCode } from './fsc-pending.js';
import {
    byId, show, showError, clearMessages, setFieldError, clearFieldErrors,
    setBusy, isBusy, labelText
} from './ui.js';

const MSG_MALFORMED = 'Der Freischaltcode besteht aus Zahlen und Großbuchstaben, '
    + 'zum Beispiel: HET2-2X8A-UXAS.';
// answers after which the kept code is of no use any more
const CODE_SPENT = ['fsc_invalid', 'fsc_expired', 'fsc_voided', 'customer_bound',
                    'profile_exists', 'profile_linked'];

const form = byId('fsc-form');
const input = byId('fsc_code');

// 1. the code of the QR link, before anything can leave the page
let linkMalformed = false;
{
    const hash = window.location.hash || '';
    if (hash.startsWith('#code=')) {
        keepCode(decodeURIComponent(hash.slice(6)));
    } else if (hash === '#code-ungueltig') {
        linkMalformed = true;
    }
    if (hash) {
        window.history.replaceState(null, '', window.location.pathname);
    }
}

function fieldError(text) {
    setFieldError('fsc_code', text);
    showError('Bitte prüfen Sie Ihre Eingaben.', [
        { field: 'fsc_code', text: labelText('fsc_code') + ': ' + text }]);
}

async function init() {
    const me = await requireFullSession();
    if (!me) return;
    const p = await loadProfile();
    if (!p) return;
    show(byId('loading'), false);
    if (p.profile) {
        dropCode();
        show(byId('fsc-has-profile'), true);
        return;
    }
    show(byId('fsc-section'), true);
    const kept = pendingCode();
    if (kept) {
        input.value = kept;
        show(byId('fsc-prefilled'), true);
    }
    if (linkMalformed) {
        fieldError(MSG_MALFORMED);
        return;
    }
    input.focus();
}

form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (isBusy(form)) return;
    clearFieldErrors(form);
    clearMessages();
    const value = input.value.trim();
    if (!value) {
        fieldError('Bitte geben Sie den Freischaltcode ein.');
        return;
    }
    if (!normalizeCode(value)) {
        fieldError(MSG_MALFORMED);
        return;
    }
    setBusy(form, true);
    const res = await api('POST', '/api/v1/freischaltcode', { code: value });
    if (res.status === 201) {
        dropCode();
        selectProfile('person');
        window.location.replace('start.html?freigeschaltet=1');
        return;
    }
    setBusy(form, false);
    if (res.status === 401) {
        window.location.replace('anmeldung.html?ziel='
            + encodeURIComponent(window.location.pathname));
        return;
    }
    const code = errorCode(res);
    if (CODE_SPENT.includes(code)) dropCode();
    if (res.status === 422 || res.status === 404 || res.status === 410
        || res.status === 409) {
        fieldError(errorMessage(res));
        return;
    }
    // 429 (with the wait), 503, network: the API's German message
    showError(errorMessage(res), []);
});

init();
