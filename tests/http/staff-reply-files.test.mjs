// Issue 7 gap: staff replies carry attachments. POST
// staff/messages/reply-files?conversation=N streams a multipart body (field
// "text", file parts) through the upload pipeline (sniffed type, limits,
// store); message and files are recorded in one transaction with
// staff_audit rows. The citizen sees the files in the Postfach and
// downloads them (attachment disposition, sniffed type, nosniff). Other
// teams and jobcenters get 404, refused bodies leave nothing behind.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useEnv } from '../lib/env.mjs';
import { assertError } from '../lib/flows.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile, staffOf, download, storeList, replyFiles } from '../lib/uploads.mjs';

describe('staff replies with attachments', () => {
    const h = useEnv({ sets: ['JobcenterUploadMaxFiles 3'] });
    let jcA, jcB, cit, other, lA, vA, lB, conv;
    const pdf = samples.pdf(7000);
    const png = samples.png(5000);

    before(async () => {
        const env = h.env;
        jcA = await jobcenterWithStaff(env, { name: 'Jobcenter Anhang A' });
        jcB = await jobcenterWithStaff(env, { name: 'Jobcenter Anhang B' });
        cit = await citizenWithProfile(env, jcA, 'rf');
        other = await citizenWithProfile(env, jcA, 'rf-other');
        lA = await staffOf(env, jcA, 'leistung');
        vA = await staffOf(env, jcA, 'vermittlung');
        lB = await staffOf(env, jcB, 'leistung');
        const r = await cit.c.post('/api/v1/messages', {
            anliegen: 'kopien', subject: 'Kopie bitte', text: 'Bitte senden Sie mir eine Kopie.', ack: true,
            idempotency_key: crypto.randomUUID()
        }, { csrf: true });
        assert.equal(r.status, 201, r.text);
        conv = r.json.conversation;
        assert.equal(conv.team, 'leistung');
    });

    async function state(env) {
        return {
            messages: Number(await env.db.scalar(`SELECT count(*) FROM message WHERE conversation_id = ${conv.id}`)),
            files: Number(await env.db.scalar('SELECT count(*) FROM upload_file')),
            store: storeList(env, 'files').length,
            audit: Number(await env.db.scalar("SELECT count(*) FROM staff_audit WHERE action LIKE 'message_%'"))
        };
    }

    test('refused: other team and jobcenter 404, citizen 403, disguised file 415, no text 422, no file 400; nothing stored', async () => {
        const env = h.env;
        const before = await state(env);
        const ok = [{ name: 'text', value: 'Anbei' }, { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: pdf }];
        assertError(await replyFiles(vA, conv.id, ok), 404, 'conversation_unknown');
        assertError(await replyFiles(lB, conv.id, ok), 404, 'conversation_unknown');
        assertError(await replyFiles(cit, conv.id, ok), 403, 'staff_only');
        assertError(await replyFiles(lA, 999999999, ok), 404, 'conversation_unknown');
        assertError(await replyFiles(lA, conv.id, [{ name: 'text', value: 'Anbei' },
            { name: 'file', filename: 'bescheid.pdf', type: 'application/pdf', data: samples.exe() }]),
        415, 'upload_type_not_allowed');
        const noText = await replyFiles(lA, conv.id, [{ name: 'text', value: '   ' },
            { name: 'file', filename: 'a.pdf', type: 'application/pdf', data: pdf }]);
        assertError(noText, 422, 'validation_failed');
        const missing = await replyFiles(lA, conv.id, [{ name: 'file', filename: 'a.pdf', type: 'application/pdf', data: pdf }]);
        assertError(missing, 422, 'validation_failed');
        const r = await replyFiles(lA, conv.id, [{ name: 'text', value: 'Nur Text' }]);
        assert.equal(r.status, 400, r.text);
        assert.match(r.json.error.message, /[a-zäöü]/);
        const j = await lA.c.post(`/api/v1/staff/messages/reply-files?conversation=${conv.id}`, { text: 'x' }, { csrf: true });
        assert.equal(j.status, 415, j.text);
        assert.deepEqual(await state(env), before, 'nothing recorded, nothing left in the store');
    });

    test('a reply with two files: one transaction with audit rows; the citizen sees and downloads them', async () => {
        const env = h.env;
        const before = await state(env);
        const text = 'Sehr geehrte Frau Mustermann, anbei die Kopien. Grüße 😀';
        const r = await replyFiles(lA, conv.id, [{ name: 'text', value: text },
            { name: 'file', filename: 'Kopie Bescheid.pdf', type: 'application/pdf', data: pdf },
            // the client's type does not decide: this is a PNG
            { name: 'file', filename: 'Foto.png', type: 'application/pdf', data: png }]);
        assert.equal(r.status, 201, r.text);
        const msgs = r.json.conversation.messages;
        const last = msgs[msgs.length - 1];
        assert.equal(last.from, 'jobcenter');
        assert.equal(last.body, text);
        assert.deepEqual(last.files.map((f) => [f.name, f.mime, f.size]),
            [['Kopie Bescheid.pdf', 'application/pdf', pdf.length], ['Foto.png', 'image/png', png.length]]);
        const after = await state(env);
        assert.equal(after.messages, before.messages + 1);
        assert.equal(after.files, before.files + 2);
        assert.equal(after.store, before.store + 2);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'message_file_attached' AND staff_account = ${lA.id} AND customer_id = ${cit.cust.id}`)), 2);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM staff_audit WHERE action = 'message_replied' AND staff_account = ${lA.id}`)), 1);
        const rows = await env.db.query(`SELECT sha256 FROM upload_file WHERE message_id = ${last.id} ORDER BY id`);
        assert.deepEqual(rows.map((x) => x.sha256), [sha256(pdf), sha256(png)]);

        // the citizen's Postfach
        const open = await cit.c.get(`/api/v1/messages/conversation?id=${conv.id}`);
        assert.equal(open.status, 200, open.text);
        const m = open.json.conversation.messages.find((x) => x.id === last.id);
        assert.equal(m.files.length, 2);
        for (const [i, buf, mime] of [[0, pdf, 'application/pdf'], [1, png, 'image/png']]) {
            const d = await download(cit.c, m.files[i].href);
            assert.equal(d.status, 200);
            assert.ok(d.buf.equals(buf), 'same bytes');
            assert.equal(d.headers.get('content-type'), mime);
            assert.match(d.headers.get('content-disposition'), /^attachment;/);
            assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
            // another citizen of the same jobcenter gets nothing
            assert.equal((await download(other.c, m.files[i].href)).status, 404);
        }
        // the team sees them too (download audited), another team does not
        const sf = await download(lA.c, `/api/v1/staff/messages/file?id=${m.files[0].id}`);
        assert.equal(sf.status, 200);
        assert.equal((await download(vA.c, `/api/v1/staff/messages/file?id=${m.files[0].id}`)).status, 404);
        assert.equal((await download(lB.c, `/api/v1/staff/messages/file?id=${m.files[0].id}`)).status, 404);
    });

    test('more files than JobcenterUploadMaxFiles (3): refused, nothing stored', async () => {
        const env = h.env;
        const before = await state(env);
        const parts = [{ name: 'text', value: 'Viele' }];
        for (let i = 0; i < 4; i++) parts.push({ name: 'file', filename: `d${i}.pdf`, type: 'application/pdf', data: samples.pdf(1000) });
        const r = await replyFiles(lA, conv.id, parts);
        assertError(r, 400, 'upload_too_many_files');
        assert.match(r.json.error.message, /höchstens 3 Dateien/);
        assert.deepEqual(await state(env), before);
    });
});
