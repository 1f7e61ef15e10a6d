// The Konto data export (DSGVO Art. 15) with the records of issues 6 and 7:
// the citizen's conversations (subject, Anliegen, messages with time and
// author side, attachment names/sizes, no file contents), Bescheide and
// Termine metadata, and upload submissions (reference, area, date, status,
// file names/sizes/SHA-256). No hash of a secret (receipt verification
// code), no store ids, no file bytes, nothing of another citizen.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useEnv } from '../lib/env.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import {
    samples, sha256, citizenWithProfile, staffOf, newDraft, uploadRaw, submit, replyFiles
} from '../lib/uploads.mjs';

describe('Konto export with messages, Bescheide, Termine and uploads', () => {
    const h = useEnv();

    test('everything of the citizen is in the export, no secret and no file content', async () => {
        const env = h.env;
        const jc = await jobcenterWithStaff(env, { name: 'Jobcenter Auskunft' });
        const cit = await citizenWithProfile(env, jc, 'export-rec');
        const other = await citizenWithProfile(env, jc, 'export-other');
        const lA = await staffOf(env, jc, 'leistung');
        const vA = await staffOf(env, jc, 'vermittlung');

        // a message with an attachment, a staff reply with one
        const att = samples.pdf(4321);
        const d = await newDraft(cit.c, 'geldleistung');
        assert.equal((await uploadRaw(cit.c, d, att, 'Mietvertrag.pdf')).status, 201);
        const m = await cit.c.post('/api/v1/messages', {
            anliegen: 'kopien', subject: 'Kopie meines Bescheids', text: 'Bitte eine Kopie. Grüße 😀', ack: true,
            idempotency_key: crypto.randomUUID(), draft: d
        }, { csrf: true });
        assert.equal(m.status, 201, m.text);
        const conv = m.json.conversation;
        const png = samples.png(2345);
        const rep = await replyFiles(lA, conv.id, [{ name: 'text', value: 'Anbei die Kopie.' },
            { name: 'file', filename: 'Kopie.png', type: 'image/png', data: png }]);
        assert.equal(rep.status, 201, rep.text);
        // someone else's message stays out
        const om = await other.c.post('/api/v1/messages', {
            anliegen: 'kopien', subject: 'Fremder Betreff', text: 'Fremder Text', ack: true,
            idempotency_key: crypto.randomUUID()
        }, { csrf: true });
        assert.equal(om.status, 201, om.text);

        // a Bescheid and a Termin
        const bpdf = samples.pdf(5555);
        const b = await lA.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=${encodeURIComponent('Bewilligungsbescheid')}`,
            null, { raw: bpdf, contentType: 'application/pdf', csrf: true });
        assert.equal(b.status, 201, b.text);
        const day = new Date(Date.now() + 10 * 86400000);
        const iso = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
        const t = await vA.c.post('/api/v1/staff/termine', { customer: cit.cust.id, date: iso, time: '09:30',
            place: 'Raum 2.14', contact: 'Herr Beispiel' }, { csrf: true });
        assert.equal(t.status, 201, t.text);

        // an upload submission with two files
        const up1 = samples.jpeg(3333);
        const up2 = samples.pdf(4444);
        const d2 = await newDraft(cit.c, 'vermittlung');
        assert.equal((await uploadRaw(cit.c, d2, up1, 'Lebenslauf.jpg')).status, 201);
        assert.equal((await uploadRaw(cit.c, d2, up2, 'Zeugnis.pdf')).status, 201);
        const sub = await submit(cit.c, d2, { message: 'Meine Bewerbungsunterlagen' });
        assert.equal(sub.status, 201, sub.text);

        const r = await cit.c.get('/api/v1/konto/export');
        assert.equal(r.status, 200, r.text);
        const x = JSON.parse(r.text);

        // conversations
        assert.equal(x.nachrichten.length, 1, 'only the own conversation');
        const c = x.nachrichten[0];
        assert.equal(c.subject, 'Kopie meines Bescheids');
        assert.equal(c.anliegen, 'Anforderung Kopien');
        assert.equal(c.anliegen_key, 'kopien');
        assert.equal(c.team, 'Leistung allgemein');
        assert.ok(c.created_at > 0 && c.updated_at >= c.created_at);
        assert.deepEqual(c.messages.map((y) => [y.from, y.text]),
            [['kunde', 'Bitte eine Kopie. Grüße 😀'], ['jobcenter', 'Anbei die Kopie.']]);
        assert.ok(c.messages.every((y) => y.at > 0));
        assert.deepEqual(c.messages[0].attachments, [{ name: 'Mietvertrag.pdf', mime: 'application/pdf', size: att.length }]);
        assert.deepEqual(c.messages[1].attachments, [{ name: 'Kopie.png', mime: 'image/png', size: png.length }]);
        assert.ok(!r.text.includes('Fremder'), 'nothing of another citizen');

        // Bescheide, Termine
        assert.equal(x.bescheide.length, 1);
        assert.equal(x.bescheide[0].title, 'Bewilligungsbescheid');
        assert.equal(x.bescheide[0].size, bpdf.length);
        assert.equal(x.bescheide[0].delivered_on, b.json.bescheid.delivered_on);
        assert.equal(x.bescheide[0].provided_at, b.json.bescheid.provided_at);
        assert.equal(x.bescheide[0].opened_at, null);
        assert.equal(x.termine.length, 1);
        assert.deepEqual([x.termine[0].date, x.termine[0].time, x.termine[0].place, x.termine[0].contact, x.termine[0].team],
            [iso, '09:30', 'Raum 2.14', 'Herr Beispiel', 'Vermittlung / Beratung']);

        // upload submissions
        const [row] = await env.db.query(`SELECT reference, verify_hash, receipt_store_id, submitted_at FROM upload_submission WHERE account_id = ${cit.id}`);
        assert.equal(x.uploads.length, 1);
        const u = x.uploads[0];
        assert.equal(u.reference, row.reference);
        assert.equal(u.area, 'vermittlung');
        assert.equal(u.status, 'uebermittelt');
        assert.equal(u.submitted_at, Number(row.submitted_at));
        assert.equal(u.message, 'Meine Bewerbungsunterlagen');
        assert.deepEqual(u.files.map((f) => [f.name, f.size, f.sha256]),
            [['Lebenslauf.jpg', up1.length, sha256(up1)], ['Zeugnis.pdf', up2.length, sha256(up2)]]);

        // no secret hash, no store ids, no file bytes
        const storeIds = (await env.db.query('SELECT store_id FROM upload_file')).map((y) => y.store_id);
        storeIds.push((await env.db.query('SELECT store_id FROM bescheid'))[0].store_id, row.receipt_store_id);
        for (const s of [row.verify_hash, ...storeIds]) assert.ok(!r.text.includes(s), `export holds ${s}`);
        for (const buf of [att, png, bpdf, up1, up2]) {
            assert.ok(!r.text.includes(buf.toString('base64').slice(0, 40)), 'no file content (base64)');
            assert.ok(!r.text.includes(buf.subarray(100, 140).toString('hex')), 'no file content (hex)');
        }
        for (const k of ['verify', 'store_id', 'password_hash', 'secret', 'token']) {
            assert.ok(!new RegExp(`"[a-z_]*${k}[a-z_]*":`).test(r.text), `key with ${k}`);
        }
    });
});
