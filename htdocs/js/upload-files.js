// One file of an upload draft, shared by dokumente-hochladen.js (the
// "Dokumente hochladen" steps) and anhaenge.js (a message's attachments):
// the list item with name, "Entfernen", progress bar and size; the failed
// state; the upload itself as the raw request body with XHR (so the
// browser reports progress) to /api/v1/uploads/files?draft=&name=.
// f is the page's record of the file: {name, size, done, failed, id?,
// xhr?, el?}.

import { getCsrfToken, noteActivity } from './api.js';

// A size as people read it: "850 Bytes", "48 kB", "1,2 MB", "12 MB".
export function mb(bytes) {
    if (bytes < 1000) return bytes.toLocaleString('de-DE') + ' Bytes';
    if (bytes < 999500) return Math.max(1, Math.round(bytes / 1000)).toLocaleString('de-DE') + ' kB';
    const v = bytes / 1000000;
    return (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10).toLocaleString('de-DE') + ' MB';
}

// The list item of f (also kept in f.el); onRemove(f) on "Entfernen".
export function fileItem(f, onRemove) {
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
    remove.addEventListener('click', () => onRemove(f));
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

// f failed with text: shown at the file and announced in status (the
// aria-live element).
export function markFailed(f, text, status) {
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

// Upload file (the File) as f into draft (its id). On success f.id,
// f.done, "hochgeladen" at the file and in status, then done(f). On a
// refusal fail(f, the server's message or refusedText(xhr)); when the
// server was not reached fail(f, unreachableText).
export function sendFile(f, file, draft, { status, done, fail, refusedText, unreachableText }) {
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
        noteActivity();
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        f.xhr = null;
        if (xhr.status === 201 && data && data.files && data.files[0]) {
            f.id = data.files[0].id;
            f.done = true;
            f.el.bar.value = 100;
            // stored while the virus scan was unreachable (scan: pending)
            f.el.meta.textContent = mb(f.size) + ' – hochgeladen'
                + (data.files[0].scan === 'pending' ? ' (Virenprüfung folgt)' : '');
            status.textContent = f.name + ' wurde hochgeladen.';
            if (done) done(f);
            return;
        }
        fail(f, (data && data.error && data.error.message) || refusedText(xhr));
    });
    xhr.addEventListener('error', () => {
        f.xhr = null;
        fail(f, unreachableText);
    });
    xhr.send(file);
}

// The same upload, resumable: the tus 1.0.0 protocol with tus-js-client
// (js/vendor/tus.min.js, loaded as a classic script before the page's
// module; MIT, see js/vendor/tus-js-client.LICENSE) against
// /api/v1/uploads/tus. A broken connection is resumed from the last byte
// the server stored: at once when the browser is still online (the
// client's retries: HEAD for the offset, then PATCH from there), else as
// soon as it is online again. Without tus-js-client (or an old browser)
// it falls back to sendFile. f.xhr.abort() ends the upload and tells the
// server to drop it (termination).
export function sendFileResumable(f, file, draft, opts) {
    const tus = window.tus;
    if (!tus || !tus.isSupported) return sendFile(f, file, draft, opts);
    const { status, done, fail, refusedText, unreachableText } = opts;
    let waiting = null;
    const resumeText = mb(f.size) + ' – Verbindung unterbrochen, die Übertragung wird fortgesetzt, '
        + 'sobald die Verbindung wieder besteht …';
    const csrf = getCsrfToken();
    const up = new tus.Upload(file, {
        endpoint: location.origin + '/api/v1/uploads/tus',
        headers: csrf ? { 'X-CSRF-Token': csrf, Accept: 'application/json' } : { Accept: 'application/json' },
        metadata: { filename: f.name, draft: String(draft) },
        // about 40 s of retries (+ up to 3 s per HEAD): a link that died
        // silently leaves the server's PATCH waiting until its body timeout
        // (RequestReadTimeout body=20) releases the upload
        retryDelays: [0, 1000, 3000, 5000, 10000, 10000, 10000],
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: true,
        onProgress: (sent, total) => {
            noteActivity();
            if (total > 0) f.el.bar.value = Math.floor((sent / total) * 100);
            if (f.el.meta.textContent !== mb(f.size) + ' – wird hochgeladen …') {
                f.el.meta.textContent = mb(f.size) + ' – wird hochgeladen …';
            }
        },
        onSuccess: (payload) => {
            noteActivity();
            f.xhr = null;
            const res = payload && payload.lastResponse;
            const id = res ? Number(res.getHeader('Jobcenter-File-Id')) : 0;
            if (!id) {
                fail(f, refusedText({ status: res ? res.getStatus() : 0 }));
                return;
            }
            f.id = id;
            f.done = true;
            f.el.bar.value = 100;
            f.el.meta.textContent = mb(f.size) + ' – hochgeladen';
            status.textContent = f.name + ' wurde hochgeladen.';
            if (done) done(f);
        },
        onError: (err) => {
            const res = err && err.originalResponse;
            const st = res ? res.getStatus() : 0;
            if (!navigator.onLine && (st === 0 || st >= 500 || st === 409 || st === 423)) {
                // offline (tus-js-client does not retry then): go on where
                // the server stopped once we are back. 409/423: the
                // browser re-sent the broken PATCH on its own while the
                // server was still storing the first one's bytes
                f.el.meta.textContent = resumeText;
                status.textContent = f.name + ': Verbindung unterbrochen.';
                waiting = () => {
                    window.removeEventListener('online', waiting);
                    waiting = null;
                    f.el.meta.textContent = mb(f.size) + ' – wird fortgesetzt …';
                    up.start();
                };
                window.addEventListener('online', waiting);
                return;
            }
            f.xhr = null;
            if (st === 0) {
                fail(f, unreachableText);
                return;
            }
            let data = null;
            try { data = JSON.parse(res.getBody()); } catch (e) { data = null; }
            fail(f, (data && data.error && data.error.message) || refusedText({ status: st }));
        }
    });
    f.xhr = {
        abort: () => {
            if (waiting) window.removeEventListener('online', waiting);
            up.abort(true).catch(() => {});
        }
    };
    up.start();
}
