// belegpruefung.html (public): reference number + verification code from a
// receipt -> POST /api/v1/receipts/verify -> jobcenter, date, area, status
// and each file's name, size and SHA-256. The code is 60 random bits and
// only its hash is stored; the answer shows nothing the receipt itself
// does not (not the message). ?ref= pre-fills the reference.

import { api, errorMessage } from './api.js';
import { byId, show, showError, clearMessages, param, fact } from './ui.js';

async function verify(e) {
    e.preventDefault();
    clearMessages();
    show(byId('result'), false);
    const reference = byId('reference').value.trim();
    const code = byId('code').value.trim();
    if (!reference || !code) {
        showError('Bitte geben Sie die Vorgangsnummer und den Prüfcode ein.', []);
        return;
    }
    const res = await api('POST', '/api/v1/receipts/verify', { reference, code });
    if (res.status !== 200 || !res.data) {
        showError(errorMessage(res), []);
        return;
    }
    const d = res.data;
    const dl = byId('result-facts');
    dl.textContent = '';
    fact(dl, 'Jobcenter', d.jobcenter);
    fact(dl, 'Eingegangen am', d.date + ', ' + d.time + ' Uhr');
    fact(dl, 'Vorgangsnummer', d.reference);
    fact(dl, 'Bereich', d.area_label);
    fact(dl, 'Status', d.status_label);
    const ul = byId('result-files');
    ul.textContent = '';
    for (const f of d.file_list) {
        const li = document.createElement('li');
        li.className = 'sub-item';
        const name = document.createElement('strong');
        name.textContent = f.name;
        const size = document.createElement('p');
        size.textContent = f.size.toLocaleString('de-DE') + ' Bytes';
        const hash = document.createElement('p');
        hash.className = 'hash';
        hash.textContent = 'SHA-256: ' + f.sha256;
        li.append(name, size, hash);
        ul.appendChild(li);
    }
    show(byId('result'), true);
    byId('result-heading').focus();
}

const ref = param('ref');
if (ref) byId('reference').value = ref;
byId('verify-form').addEventListener('submit', verify);
