// "Nachrichten-Anhänge": files for a message go through the upload
// pipeline (docs/api.md "Uploads"): on the first file an upload draft is
// created (POST /api/v1/uploads/drafts), each file is sent as the raw body
// to /api/v1/uploads/files?draft=&name= (XHR for the progress bar), and a
// removed file is deleted from the draft. Sending the message passes the
// draft id; the server moves its files to the message.
//
//   const att = attachments({ input, list, status, area: () => 'geldleistung', drop: el });
//   att.draftId()   // null without files
//   att.pending()   // true while a file is still uploading
//   att.reset()     // after sending

import { api, errorMessage } from './api.js';
import { fileItem, markFailed, sendFile } from './upload-files.js';
import { dropArea } from './drop-area.js';

export function attachments({ input, list, status, area, drop: dropEl = null }) {
    let draft = null;
    let files = [];

    async function ensureDraft() {
        if (draft) return draft;
        const res = await api('POST', '/api/v1/uploads/drafts', { area: area() });
        if (res.status !== 201) throw new Error(errorMessage(res));
        draft = res.data.draft;
        return draft;
    }

    function failed(f, text) {
        markFailed(f, text, status);
    }

    function upload(f, file) {
        sendFile(f, file, draft, {
            status,
            fail: failed,
            refusedText: () => 'Die Datei konnte nicht hochgeladen werden.',
            unreachableText: 'Der Server ist nicht erreichbar. Bitte versuchen Sie es später erneut.'
        });
    }

    async function add(fileList) {
        for (const file of Array.from(fileList)) {
            const f = { name: file.name, size: file.size, done: false, failed: false };
            files.push(f);
            list.appendChild(fileItem(f, drop));
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
    dropArea(dropEl, (fl) => add(fl));

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
