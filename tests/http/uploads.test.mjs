// Document uploads over HTTP ("Dokumente hochladen", issue 6): each allowed
// type as a raw body and as multipart/form-data from a real curl process,
// disguised files refused, the size limit enforced before the body is read
// (headers only -> 413) and for chunked bodies, a client that aborts
// mid-body leaves nothing, submit (message rules, idempotency key, routing),
// the receipt PDF read back with pdftotext against sha256sum, receipt
// verification, the Antragsübersicht, and the staff side (inbox of the
// routed team of the own jobcenter only, download headers, status + audit).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { run, sleep, waitUntil } from '../lib/util.mjs';
import { assertError } from '../lib/flows.mjs';
import { jobcenterWithStaff, authenticatedCitizen } from '../lib/fixtures.mjs';
import {
    samples, MIME, sha256, citizenWithProfile, staffOf, newDraft, uploadRaw, curlUpload, download,
    storeList, writeTemp, submit, activateOnline
} from '../lib/uploads.mjs';

const MAX_FILE = 200000;

// Send raw bytes on a socket; resolves the whole response text when the
// server closes (or after timeoutMs).
function rawHttp(env, head, { body = null, endAfterHead = false, timeoutMs = 8000 } = {}) {
    return new Promise((resolve, reject) => {
        const s = net.connect(env.port, '127.0.0.1');
        let out = '';
        let firstAt = null;
        const t = setTimeout(() => { s.destroy(); resolve({ out, firstAt, timedOut: true }); }, timeoutMs);
        s.on('data', (d) => { if (firstAt === null) firstAt = Date.now(); out += d.toString('latin1'); });
        s.on('close', () => { clearTimeout(t); resolve({ out, firstAt, timedOut: false }); });
        s.on('error', (e) => { clearTimeout(t); if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resolve({ out, firstAt }); else reject(e); });
        s.write(head);
        if (body) s.write(body);
        if (endAfterHead) s.end();
    });
}

function headFor(env, c, draftId, extra) {
    return `POST /api/v1/uploads/files?draft=${draftId}&name=x.pdf HTTP/1.1\r\nHost: 127.0.0.1:${env.port}\r\n`
        + `Cookie: ${c.jar.header()}\r\nX-CSRF-Token: ${c.csrf}\r\nOrigin: ${c.base}\r\n`
        + `Accept: application/json\r\nContent-Type: application/pdf\r\n${extra}\r\n`;
}

async function fileRows(env, accountId) {
    return Number(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE account_id = ${accountId}`));
}

describe('uploads', () => {
    const h = useEnv({
        sets: [`JobcenterUploadMaxFileSize ${MAX_FILE}`, 'JobcenterUploadMaxFiles 6',
            'JobcenterUploadMaxBytesPerDay 3000000']
    });
    let jcA, jcB, cit, other;

    test('set-up: two jobcenters, a citizen with a person profile in A', async () => {
        const env = h.env;
        jcA = await jobcenterWithStaff(env, { name: 'Jobcenter Rems-Murr' });
        jcB = await jobcenterWithStaff(env, { name: 'Jobcenter Stuttgart' });
        cit = await citizenWithProfile(env, jcA, 'upl');
        const ctx = await cit.c.get('/api/v1/uploads/context');
        assert.equal(ctx.status, 200, ctx.text);
        assert.equal(ctx.json.jobcenter, 'Jobcenter Rems-Murr');
        assert.deepEqual(ctx.json.areas.map((a) => a.label), ['Geldleistung', 'Vermittlung', 'Bildung und Teilhabe']);
        assert.equal(ctx.json.limits.max_file_bytes, MAX_FILE);
        assert.equal(ctx.json.limits.max_files, 6);
    });

    test('without a person profile: 403 profile_required, no draft', async () => {
        other = await authenticatedCitizen(h.env, 'noprofile');
        assertError(await other.c.get('/api/v1/uploads/context'), 403, 'profile_required');
        assertError(await other.c.post('/api/v1/uploads/drafts', { area: 'geldleistung' }, { csrf: true }),
            403, 'profile_required');
        assert.equal(await h.env.db.scalar(`SELECT count(*) FROM upload_draft WHERE account_id = ${other.id}`), 0);
    });

    test('consent gate: without active Online-Kommunikation every upload route answers 403 with the explanation; after consenting it works', async () => {
        const env = h.env;
        const u = await citizenWithProfile(env, jcA, 'noconsent', { consent: false });
        const r = await u.c.get('/api/v1/uploads/context');
        assertError(r, 403, 'online_kommunikation_inactive');
        assert.match(r.error.message, /stimmen Sie bitte zuerst der Online-Kommunikation zu/);
        assert.match(r.error.message, /Ohne Ihre explizite Einwilligung stellen wir Ihnen aktiv keine persönlichen Inhalte/);
        assertError(await u.c.post('/api/v1/uploads/drafts', { area: 'geldleistung' }, { csrf: true }),
            403, 'online_kommunikation_inactive');
        // a draft from before a withdrawal takes no files and cannot be sent
        await activateOnline(u.c);
        const d = await newDraft(u.c, 'geldleistung');
        assert.equal((await uploadRaw(u.c, d, samples.pdf(), 'a.pdf')).status, 201);
        // a requested deactivation has taken effect
        await env.db.exec(`UPDATE online_consent SET deactivation_requested_at = ${Math.floor(Date.now() / 1000) - 10}, `
            + `deactivation_effective_at = ${Math.floor(Date.now() / 1000) - 1} WHERE account_id = ${u.id}`);
        assertError(await uploadRaw(u.c, d, samples.pdf(), 'b.pdf'), 403, 'online_kommunikation_inactive');
        assertError(await submit(u.c, d), 403, 'online_kommunikation_inactive');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE account_id = ${u.id}`), 1);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_submission WHERE account_id = ${u.id}`), 0);
        await activateOnline(u.c);
        assert.equal((await submit(u.c, d)).status, 201);
    });

    test('not signed in: 401; unknown area: 400; another account\'s draft: 404', async () => {
        const env = h.env;
        const anon = env.client();
        assertError(await anon.post('/api/v1/uploads/drafts', { area: 'geldleistung' }), 401, 'not_authenticated');
        assertError(await cit.c.post('/api/v1/uploads/drafts', { area: 'Sonstiges' }, { csrf: true }), 400, 'area_invalid');
        const d = await newDraft(cit.c, 'Vermittlung');
        const r = await uploadRaw(other.c, d, samples.pdf(), 'a.pdf');
        assert.ok([403, 404].includes(r.status), r.text);
    });

    test('each allowed type as a raw body: stored with the sniffed type and its SHA-256 (client type ignored)', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        for (const [kind, wrongType] of [['pdf', 'text/plain'], ['jpeg', 'application/pdf'], ['png', 'image/jpeg'],
            ['bmp', 'application/octet-stream']]) {
            const buf = samples[kind]();
            const r = await uploadRaw(cit.c, d, buf, `Scan ${kind}.${kind}`, wrongType);
            assert.equal(r.status, 201, `${kind}: ${r.text}`);
            const f = r.json.files[0];
            assert.equal(f.type, MIME[kind], kind);
            assert.equal(f.size, buf.length);
            assert.equal(f.sha256, sha256(buf));
            assert.equal(f.name, `Scan ${kind}.${kind}`);
            const row = (await env.db.query(`SELECT store_id, mime, size, sha256 FROM upload_file WHERE id = ${f.id}`))[0];
            assert.equal(row.mime, MIME[kind]);
            const onDisk = fs.readFileSync(path.join(env.apacheRoot, 'uploads', 'files', row.store_id));
            assert.ok(onDisk.equals(buf), `${kind}: stored bytes differ`);
        }
        assert.deepEqual(storeList(env, 'tmp'), [], 'temp files left');
    });

    test('each allowed type as multipart/form-data from curl -F (also two files in one body)', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'but');
        for (const kind of ['pdf', 'jpeg', 'png', 'bmp']) {
            const buf = samples[kind](5000);
            const p = writeTemp(env, `doc-${kind}.bin`, buf);
            const r = await curlUpload(env, cit.c, d, [{ path: p, name: `Beleg ä ${kind}.dat`, type: 'text/html' }],
                ['note=hallo']);
            assert.equal(r.status, 201, `${kind}: ${r.text}`);
            assert.equal(r.json.files.length, 1);
            assert.equal(r.json.files[0].type, MIME[kind]);
            assert.equal(r.json.files[0].sha256, sha256(buf));
            assert.equal(r.json.files[0].name, `Beleg ä ${kind}.dat`);
        }
        const d2 = await newDraft(cit.c, 'but');
        const a = writeTemp(env, 'a.pdf', samples.pdf(7000));
        const b = writeTemp(env, 'b.png', samples.png(9000));
        const r = await curlUpload(env, cit.c, d2, [{ path: a }, { path: b, name: '../../etc/passwd' }]);
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(r.json.files.map((f) => f.type), ['application/pdf', 'image/png']);
        assert.equal(r.json.files[1].name, 'passwd', 'path components are dropped');
        assert.deepEqual(storeList(env, 'tmp'), []);
    });

    test('a renamed executable is refused (415, German message), raw and multipart; nothing stored', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const rows = await fileRows(env, cit.id);
        const files = storeList(env, 'files').length;
        const r = await uploadRaw(cit.c, d, samples.exe(), 'Bescheid.pdf', 'application/pdf');
        assertError(r, 415, 'upload_type_not_allowed');
        assert.match(r.error.message, /Dateityp ist nicht erlaubt.*PDF, JPEG, PNG oder BMP/);
        const p = writeTemp(env, 'Lohnabrechnung.pdf', samples.exe());
        const m = await curlUpload(env, cit.c, d, [{ path: writeTemp(env, 'ok.pdf', samples.pdf()) },
            { path: p, type: 'application/pdf' }]);
        assert.equal(m.status, 415, m.text);
        assert.equal(m.error.code, 'upload_type_not_allowed');
        assert.equal(await fileRows(env, cit.id), rows, 'a row was written');
        assert.equal(storeList(env, 'files').length, files, 'a file was kept (also the good first part)');
        assert.deepEqual(storeList(env, 'tmp'), []);
    });

    test('limit + 1 byte: 413 from the headers alone (no body sent, no 100 Continue); exactly the limit passes', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const t0 = Date.now();
        const res = await rawHttp(env, headFor(env, cit.c, d, `Content-Length: ${MAX_FILE + 1}\r\nExpect: 100-continue\r\n`),
            { timeoutMs: 5000 });
        assert.ok(!res.timedOut, `no answer without a body: ${res.out}`);
        assert.match(res.out, /^HTTP\/1\.1 413 /, res.out);
        assert.doesNotMatch(res.out, /100 Continue/);
        assert.match(res.out, /upload_too_large/);
        assert.match(res.out, /Die Datei ist zu gro/);
        assert.ok(Date.now() - t0 < 4000);
        // without Expect too
        const res2 = await rawHttp(env, headFor(env, cit.c, d, `Content-Length: ${MAX_FILE + 1}\r\n`), { timeoutMs: 5000 });
        assert.match(res2.out, /^HTTP\/1\.1 413 /, res2.out);
        const ok = await uploadRaw(cit.c, d, samples.pdf(MAX_FILE), 'genau.pdf');
        assert.equal(ok.status, 201, ok.text);
        assert.equal(ok.json.files[0].size, MAX_FILE);
    });

    test('a chunked body over the limit is cut with 413; nothing stored', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const rows = await fileRows(env, cit.id);
        const files = storeList(env, 'files').length;
        const big = samples.pdf(MAX_FILE + 50000);
        const r = await new Promise((resolve, reject) => {
            const req = http.request({ host: '127.0.0.1', port: env.port, method: 'POST',
                path: `/api/v1/uploads/files?draft=${d}&name=gross.pdf`,
                headers: { Cookie: cit.c.jar.header(), 'X-CSRF-Token': cit.c.csrf, Origin: cit.c.base,
                    'Content-Type': 'application/pdf', 'Transfer-Encoding': 'chunked' } }, (res) => {
                let t = '';
                res.on('data', (x) => { t += x; });
                res.on('end', () => resolve({ status: res.statusCode, text: t }));
            });
            req.on('error', (e) => (e.code === 'EPIPE' || e.code === 'ECONNRESET') ? resolve({ status: 0, text: String(e) }) : reject(e));
            for (let i = 0; i < big.length; i += 16384) req.write(big.subarray(i, i + 16384));
            req.end();
        });
        assert.equal(r.status, 413, r.text);
        assert.match(r.text, /upload_too_large/);
        assert.equal(await fileRows(env, cit.id), rows);
        assert.equal(storeList(env, 'files').length, files);
        assert.deepEqual(storeList(env, 'tmp'), []);
    });

    test('a client that aborts mid-body leaves no row, no file and no temp file', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const rows = await fileRows(env, cit.id);
        const files = storeList(env, 'files').length;
        const body = samples.pdf(150000);
        const s = net.connect(env.port, '127.0.0.1');
        await new Promise((r) => s.on('connect', r));
        s.write(headFor(env, cit.c, d, `Content-Length: ${body.length}\r\n`));
        s.write(body.subarray(0, 70000));
        await waitUntil(() => storeList(env, 'tmp').length === 1, { timeoutMs: 5000, what: 'the temp file' });
        s.destroy();
        await waitUntil(() => storeList(env, 'tmp').length === 0, { timeoutMs: 5000, what: 'temp file removed' });
        await sleep(200);
        assert.equal(await fileRows(env, cit.id), rows);
        assert.equal(storeList(env, 'files').length, files);
    });

    test('remove a file from a draft: row and stored file gone; other drafts\' files cannot be removed', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const r = await uploadRaw(cit.c, d, samples.png(), 'weg.png');
        const f = r.json.files[0];
        const sid = await env.db.scalar(`SELECT store_id FROM upload_file WHERE id = ${f.id}`);
        assertError(await other.c.post('/api/v1/uploads/files/delete', { draft: d, file: f.id }, { csrf: true }), 404, 'not_found');
        const del = await cit.c.post('/api/v1/uploads/files/delete', { draft: d, file: f.id }, { csrf: true });
        assert.equal(del.status, 204, del.text);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE id = ${f.id}`), 0);
        assert.ok(!storeList(env, 'files').includes(sid));
    });

    let sub, subFiles, subMessage;
    test('submit: message over 1000 characters refused; 1000 characters with umlauts and emoji pass; routed to leistung of the customer\'s jobcenter', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'Geldleistung');
        subFiles = [samples.pdf(6000), samples.jpeg(4000)];
        const paths = subFiles.map((b, i) => writeTemp(env, `submit-${i}`, b));
        const r1 = await curlUpload(env, cit.c, d, [{ path: paths[0], name: 'Kontoauszug März.pdf' },
            { path: paths[1], name: 'Mietvertrag.jpg' }]);
        assert.equal(r1.status, 201, r1.text);
        assertError(await submit(cit.c, d, { message: 'ä'.repeat(1001) }), 400, 'message_too_long');
        assertError(await submit(cit.c, d, { message: 'x', key: 'kurz' }), 400, 'idempotency_key_invalid');
        subMessage = `${'ü'.repeat(997)}😀€ß`;
        assert.equal([...subMessage].length, 1000);
        const key = 'key-submit-0001';
        const r = await submit(cit.c, d, { message: subMessage, key });
        assert.equal(r.status, 201, r.text);
        sub = r.json;
        assert.equal(sub.jobcenter, 'Jobcenter Rems-Murr');
        assert.equal(sub.files, 2);
        assert.match(sub.confirmation, /^Ihre Dokumente wurden am \d\d\.\d\d\.\d{4} an Jobcenter Rems-Murr übermittelt\. Ihre Dokumente werden schnellstmöglich geprüft und bearbeitet\.$/);
        const row = (await env.db.query(`SELECT team, area, status, jobcenter_id, message, verify_hash FROM upload_submission WHERE id = ${sub.submission}`))[0];
        assert.equal(row.team, 'leistung');
        assert.equal(row.area, 'geldleistung');
        assert.equal(row.status, 'uebermittelt');
        assert.equal(row.jobcenter_id, jcA.id);
        assert.equal(row.message, subMessage);
        assert.match(row.verify_hash, /^[0-9a-f]{64}$/);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_draft WHERE id = ${d}`), 0, 'draft kept');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE submission_id = ${sub.submission}`), 2);

        // the same key again: the same submission, nothing new
        const again = await submit(cit.c, d, { message: 'anders', key });
        assert.equal(again.status, 200, again.text);
        assert.equal(again.json.submission, sub.submission);
        assert.equal(again.json.reference, sub.reference);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_submission WHERE account_id = ${cit.id}`), 1);
    });

    test('Vermittlung -> vermittlung, Bildung und Teilhabe -> but; a draft without files cannot be submitted', async () => {
        const env = h.env;
        for (const [area, team] of [['Vermittlung', 'vermittlung'], ['Bildung und Teilhabe', 'but']]) {
            const d = await newDraft(cit.c, area);
            assertError(await submit(cit.c, d), 400, 'upload_no_file');
            assert.equal((await uploadRaw(cit.c, d, samples.png(), 'x.png')).status, 201);
            const r = await submit(cit.c, d);
            assert.equal(r.status, 201, r.text);
            assert.equal(await env.db.scalar(`SELECT team FROM upload_submission WHERE id = ${r.json.submission}`), team);
        }
    });

    test('receipt PDF (inline) holds reference, files and their SHA-256 as sha256sum computes them', async () => {
        const env = h.env;
        const r = await download(cit.c, sub.receipt);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/pdf');
        assert.match(r.headers.get('content-disposition'), /^inline; filename="Bestaetigung-/);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(r.buf.subarray(0, 5).toString(), '%PDF-');
        const pdf = writeTemp(env, 'receipt.pdf', r.buf);
        const { stdout: text } = await run('pdftotext', ['-layout', pdf, '-']);
        assert.match(text, new RegExp(sub.reference));
        assert.match(text, /Jobcenter Rems-Murr/);
        assert.match(text, /Geldleistung/);
        assert.match(text, /Kontoauszug März\.pdf/);
        assert.match(text, /Mietvertrag\.jpg/);
        for (const [i] of subFiles.entries()) {
            const { stdout } = await run('sha256sum', [writeTemp(env, `check-${i}`, subFiles[i])]);
            const hex = stdout.split(/\s+/)[0];
            assert.ok(text.split(/\s+/).includes(hex), `hash ${hex} not on the receipt:\n${text}`);
        }
        // somebody else's receipt: 404
        assertError(await other.c.get(sub.receipt), 404, 'not_found');
        const code = /Prüfcode:?\s*([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})/.exec(text);
        assert.ok(code, `no Prüfcode in:\n${text}`);
        sub.code = code[1];
    });

    test('receipt verification (public): reference + code show what was received; a wrong code: 404', async () => {
        const anon = h.env.client();
        const ok = await anon.post('/api/v1/receipts/verify', { reference: sub.reference, code: sub.code.toLowerCase().replace(/-/g, ' ') });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(ok.json.reference, sub.reference);
        assert.equal(ok.json.jobcenter, 'Jobcenter Rems-Murr');
        assert.deepEqual(ok.json.file_list.map((f) => f.sha256), subFiles.map(sha256));
        assert.equal(ok.json.message, undefined, 'the message is not shown');
        const wrong = sub.code.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'));
        assertError(await anon.post('/api/v1/receipts/verify', { reference: sub.reference, code: wrong }), 404, 'receipt_unknown');
        assertError(await anon.post('/api/v1/receipts/verify', { reference: '2099-XXXX-XXXX', code: sub.code }), 404, 'receipt_unknown');
    });

    test('Antragsübersicht: the citizen\'s submissions with date, area, number of files, status', async () => {
        const r = await cit.c.get('/api/v1/uploads/submissions');
        assert.equal(r.status, 200, r.text);
        const s = r.json.submissions.find((x) => x.id === sub.submission);
        assert.ok(s, r.text);
        assert.equal(s.area_label, 'Geldleistung');
        assert.equal(s.files, 2);
        assert.equal(s.status_label, 'übermittelt');
        assert.match(s.date, /^\d\d\.\d\d\.\d{4}$/);
        assert.equal(r.json.submissions.length, 3);
        const o = await other.c.get('/api/v1/uploads/submissions');
        assert.deepEqual(o.json.submissions, []);
    });

    test('staff: the routed team of the own jobcenter sees it and downloads files with attachment, sniffed type, nosniff; other teams and jobcenters do not', async () => {
        const env = h.env;
        const lA = await staffOf(env, jcA, 'leistung');
        const vA = await staffOf(env, jcA, 'vermittlung');
        const lB = await staffOf(env, jcB, 'leistung');
        const off = await staffOf(env, jcA, 'leistung', { disabled: true });
        const inbox = await lA.c.get('/api/v1/staff/uploads');
        assert.equal(inbox.status, 200, inbox.text);
        assert.equal(inbox.json.team, 'Leistung allgemein');
        const s = inbox.json.submissions.find((x) => x.reference === sub.reference);
        assert.ok(s, inbox.text);
        assert.equal(s.kundennummer, cit.cust.kundennummer);
        assert.equal(s.message, subMessage);
        assert.ok(inbox.json.submissions.every((x) => x.area === 'geldleistung'), 'only Geldleistung goes to leistung');
        assert.equal(inbox.json.submissions.filter((x) => x.kundennummer === cit.cust.kundennummer).length, 1);
        const v = await vA.c.get('/api/v1/staff/uploads');
        assert.equal(v.json.submissions.length, 1);
        assert.equal(v.json.submissions[0].area, 'vermittlung');
        const b = await lB.c.get('/api/v1/staff/uploads');
        assert.deepEqual(b.json.submissions, [], 'another jobcenter sees it');
        assertError(await off.c.get('/api/v1/staff/uploads'), 403, 'staff_only');
        assertError(await cit.c.get('/api/v1/staff/uploads'), 403, 'staff_only');

        const f = s.file_list[0];
        const dl = await download(lA.c, `/api/v1/staff/uploads/file?file=${f.id}`);
        assert.equal(dl.status, 200);
        assert.equal(dl.headers.get('content-type'), 'application/pdf');
        assert.equal(dl.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(dl.headers.get('content-disposition'),
            'attachment; filename="Kontoauszug M__rz.pdf"; filename*=UTF-8\'\'Kontoauszug%20M%C3%A4rz.pdf');
        assert.ok(dl.buf.equals(subFiles[0]));
        const jpg = await download(lA.c, `/api/v1/staff/uploads/file?file=${s.file_list[1].id}`);
        assert.equal(jpg.headers.get('content-type'), 'image/jpeg');
        for (const x of [vA, lB]) {
            const no = await download(x.c, `/api/v1/staff/uploads/file?file=${f.id}`);
            assert.equal(no.status, 404);
        }
        assert.equal((await download(cit.c, `/api/v1/staff/uploads/file?file=${f.id}`)).status, 403);
    });

    test('staff set the status (audit row); the Antragsübersicht shows it; other teams cannot', async () => {
        const env = h.env;
        const lA = await staffOf(env, jcA, 'leistung');
        const vA = await staffOf(env, jcA, 'vermittlung');
        assertError(await vA.c.post('/api/v1/staff/uploads/status', { submission: sub.submission, status: 'erledigt' },
            { csrf: true }), 404, 'not_found');
        assertError(await lA.c.post('/api/v1/staff/uploads/status', { submission: sub.submission, status: 'fertig' },
            { csrf: true }), 400, 'status_invalid');
        const r = await lA.c.post('/api/v1/staff/uploads/status', { submission: sub.submission, status: 'in_bearbeitung' },
            { csrf: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.status_label, 'in Bearbeitung');
        const audit = await env.db.query(`SELECT staff_account, action, customer_id, detail FROM staff_audit WHERE action = 'upload_status'`);
        assert.equal(audit.length, 1);
        assert.equal(audit[0].staff_account, lA.id);
        assert.equal(audit[0].customer_id, cit.cust.id);
        assert.match(audit[0].detail, /uebermittelt -> in_bearbeitung/);
        const list = await cit.c.get('/api/v1/uploads/submissions');
        assert.equal(list.json.submissions.find((x) => x.id === sub.submission).status_label, 'in Bearbeitung');
    });

    test('daily limit: an upload over what is left today is refused before the body (413 upload_daily_limit)', async () => {
        const env = h.env;
        const used = Number(await env.db.scalar(`SELECT COALESCE(SUM(size), 0) FROM upload_file WHERE account_id = ${cit.id}`));
        // pretend the account uploaded most of its allowance already
        const d = await newDraft(cit.c, 'geldleistung');
        await env.db.exec(`UPDATE upload_file SET size = size + ${3000000 - used - 1000} WHERE id = `
            + `(SELECT max(id) FROM upload_file WHERE account_id = ${cit.id})`);
        const res = await rawHttp(env, headFor(env, cit.c, d, 'Content-Length: 5000\r\n'), { timeoutMs: 5000 });
        assert.match(res.out, /^HTTP\/1\.1 413 /, res.out);
        assert.match(res.out, /upload_daily_limit/);
        const small = await uploadRaw(cit.c, d, samples.pdf(900), 'klein.pdf');
        assert.equal(small.status, 201, small.text);
    });

    logTest();
});
