// "Nachrichten-Anhänge": files for a message go through the upload
// pipeline (docs/api.md "Uploads"): on the first file an upload draft is
// created (POST /api/v1/uploads/drafts), each file is sent as the raw body
// to /api/v1/uploads/files?draft=&name= (XHR for the progress bar), and a
// removed file is deleted from the draft. Sending the message passes the
// draft id; the server moves its files to the message.
//
//   const att = attachments({ input, list, status, area: () => 'geldleistung' });
//   att.draftId()   // null without files
//   att.pending()   // true while a file is still uploading
//   att.reset()     // after sending

import { api, errorMessage, getCsrfToken } from './api.js';

function mb(bytes) {
    const v = bytes / 1000000;
    return (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10).toLocaleString('de-DE') + ' MB';
}

export function attachments({ input, list, status, area }) {
    let draft = null;
    let files = [];

    async function ensureDraft() {
        if (draft) return draft;
        const res = await api('POST', '/api/v1/uploads/drafts', { area: area() });
        if (res.status !== 201) throw new Error(errorMessage(res));
        draft = res.data.draft;
        return draft;
    }

    function item(f) {
        const li = document.createElement('li');
        li.className = 'file-item';
        const name = document.createElement('span');
        name.className = 'file-name';
        name.textContent = f.name;
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'button button-secondary file-remove';
        remove.textContent = 'Entfernen';
        remove.setAttribute('aria-label', f.name + ' entfernen');
        remove.addEventListener('click', () => drop(f));
        const bar = document.createElement('progress');
        bar.max = 100;
        bar.value = 0;
        bar.setAttribute('aria-label', 'Fortschritt ' + f.name);
        const meta = document.createElement('span');
        meta.className = 'file-meta';
        meta.textContent = mb(f.size) + ' – wird hochgeladen …';
        li.append(name, remove, bar, meta);
        f.el = { li, bar, meta };
        return li;
    }

    function failed(f, text) {
        f.done = true;
        f.failed = true;
        f.el.bar.remove();
        f.el.meta.textContent = '';
        const p = document.createElement('p');
        p.className = 'file-error';
        p.textContent = text;
        f.el.li.appendChild(p);
        status.textContent = f.name + ': ' + text;
    }

    function upload(f, file) {
        const xhr = new XMLHttpRequest();
        f.xhr = xhr;
        xhr.open('POST', '/api/v1/uploads/files?draft=' + draft + '&name=' + encodeURIComponent(f.name));
        xhr.setRequestHeader('Accept', 'application/json');
        const csrf = getCsrfToken();
        if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
        xhr.setRequestHeader('Content-Type', 'application/octet-stream');
        xhr.upload.addEventListener('progress', (e) => {
            if (e.lengthComputable) f.el.bar.value = Math.floor((e.loaded / e.total) * 100);
        });
        xhr.addEventListener('load', () => {
            let data = null;
            try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
            f.xhr = null;
            if (xhr.status === 201 && data && data.files && data.files[0]) {
                f.id = data.files[0].id;
                f.done = true;
                f.el.bar.value = 100;
                f.el.meta.textContent = mb(f.size) + ' – hochgeladen';
                status.textContent = f.name + ' wurde hochgeladen.';
            } else {
                failed(f, (data && data.error && data.error.message)
                    || 'Die Datei konnte nicht hochgeladen werden.');
            }
        });
        xhr.addEventListener('error', () => {
            f.xhr = null;
            failed(f, 'Der Server ist nicht erreichbar. Bitte versuchen Sie es später erneut.');
        });
        xhr.send(file);
    }

    async function add(fileList) {
        for (const file of Array.from(fileList)) {
            const f = { name: file.name, size: file.size, done: false, failed: false };
            files.push(f);
            list.appendChild(item(f));
            try {
                await ensureDraft();
            } catch (e) {
                failed(f, e.message);
                continue;
            }
            upload(f, file);
        }
        input.value = '';
    }

    async function drop(f) {
        if (f.xhr) f.xhr.abort();
        files = files.filter((x) => x !== f);
        f.el.li.remove();
        if (f.id && draft) {
            await api('POST', '/api/v1/uploads/files/delete', { draft, file: f.id });
        }
        status.textContent = f.name + ' wurde entfernt.';
    }

    input.addEventListener('change', () => add(input.files));

    return {
        draftId: () => (files.some((f) => f.done && !f.failed) ? draft : null),
        pending: () => files.some((f) => !f.done),
        reset() {
            draft = null;
            files = [];
            list.textContent = '';
        }
    };
}
