// ASVS 4.0.3 12.1.1 (file size) -- small files through every path whose
// output depends on a file's size. Security issue finding 2: a draft that
// held a file under 1000 bytes crashed the Apache child at submit, because
// the receipt PDF formatted the size with apr_psprintf("%llu") (APR's
// formatter has no `ll`: the following %s read the size as a pointer).
//
// Sizes: 0 and 1 byte, each allowed type one byte below its signature and
// at its smallest (JPEG 3, PDF 5, PNG 8, BMP 18 bytes), 999, 1000 and 1024
// bytes. Paths: upload (raw body and multipart), submit, the receipt PDF
// (read back with pdftotext: "3 Bytes", "999 Bytes", "1,0 kB (1.000
// Bytes)", ...), the public receipt check, the staff download of the
// submitted files, message attachments (citizen and staff download), staff
// replies with files, Bescheide and the Konto export. Refused files leave
// nothing behind (no row, no stored file, no temp file), and no child
// crashed: error.log has no "exit signal" notice. (One byte cannot be
// uploaded: no allowed type fits in one byte; the singular "1 Byte" of the
// receipt is checked by tests/unit/letters-reader.sh.)
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useEnv, logTest } from '../lib/env.mjs';
import { run } from '../lib/util.mjs';
import { assertError } from '../lib/flows.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import {
    samples, MIME, sha256, citizenWithProfile, staffOf, newDraft, uploadRaw, curlUpload, download,
    storeList, writeTemp, submit, replyFiles
} from '../lib/uploads.mjs';

// The first bytes jc_sniff needs for each type; the rest of a file is
// random. BMP: "BM", file size field 0, pixel offset 54, DIB header 40.
const SIG = {
    jpeg: Buffer.from([0xff, 0xd8, 0xff]),
    pdf: Buffer.from('%PDF-', 'latin1'),
    png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    bmp: (() => {
        const b = Buffer.alloc(18);
        b.write('BM', 0, 'latin1');
        b.writeUInt32LE(54, 10);
        b.writeUInt32LE(40, 14);
        return b;
    })()
};
const EXT = { jpeg: 'jpg', pdf: 'pdf', png: 'png', bmp: 'bmp' };

// A file of exactly `size` bytes starting with the signature of kind (cut
// short when size is below its length).
function typed(kind, size) {
    const b = crypto.randomBytes(size);
    SIG[kind].copy(b, 0, 0, Math.min(size, SIG[kind].length));
    return b;
}

// The accepted small files: each type at its smallest, and 999, 1000, 1024
// bytes of each type (a different type per size in the submissions).
const SMALLEST = Object.keys(SIG).map((kind) => ({ kind, size: SIG[kind].length }));
const EDGE = [999, 1000, 1024];

// What the receipt shows (jc_pdf.c jc_pdf_size_de): below 1000 bytes the
// number, from 1000 decimal kB with one decimal and the grouped byte count.
function sizeDe(n) {
    if (n < 1000) return `${n} ${n === 1 ? 'Byte' : 'Bytes'}`;
    const kb = (n / 1000).toFixed(1).replace('.', ',');
    return `${kb} kB (${n.toLocaleString('de-DE')} Bytes)`;
}

async function state(env, accountId) {
    return {
        rows: Number(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE account_id = ${accountId}`)),
        store: storeList(env, 'files').length,
        tmp: storeList(env, 'tmp').length
    };
}

// "exit signal Segmentation fault" (AH00052, logged at notice) and friends
function crashLines(env) {
    return env.errorLog().split('\n').filter((l) => /exit signal|Segmentation fault|AH0005[12]/.test(l));
}

describe('small files (0, 1, 999, 1000, 1024 bytes and each type at its smallest)', () => {
    const h = useEnv({ sets: ['JobcenterUploadMaxFiles 16'] });
    let jc, cit, other, lA, vA;

    before(async () => {
        const env = h.env;
        jc = await jobcenterWithStaff(env, { name: 'Jobcenter Kleinstdatei' });
        cit = await citizenWithProfile(env, jc, 'small');
        other = await citizenWithProfile(env, jc, 'small-other');
        lA = await staffOf(env, jc, 'leistung');
        vA = await staffOf(env, jc, 'vermittlung');
    });

    test('0 bytes: 400 upload_empty with a German message (raw body and multipart); nothing stored', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const before = await state(env, cit.id);
        const r = await uploadRaw(cit.c, d, Buffer.alloc(0), 'leer.pdf', 'application/pdf');
        assertError(r, 400, 'upload_empty');
        assert.equal(r.error.message, 'Die Datei ist leer. Bitte wählen Sie eine andere Datei.');
        const m = await curlUpload(env, cit.c, d, [{ path: writeTemp(env, 'leer.pdf', Buffer.alloc(0)),
            type: 'application/pdf' }]);
        assert.equal(m.status, 400, m.text);
        assert.equal(m.error.code, 'upload_empty');
        assert.match(m.error.message, /Die Datei ist leer/);
        // an empty file next to a good one refuses the whole body
        const m2 = await curlUpload(env, cit.c, d, [{ path: writeTemp(env, 'gut.pdf', typed('pdf', 999)) },
            { path: writeTemp(env, 'leer2.pdf', Buffer.alloc(0)) }]);
        assert.equal(m2.status, 400, m2.text);
        assert.equal(m2.error.code, 'upload_empty');
        assert.deepEqual(await state(env, cit.id), before, 'a row or a file was left');
        assertError(await submit(cit.c, d), 400, 'upload_no_file');
    });

    test('1 byte, 2 bytes and each type one byte below its signature: 415 upload_type_not_allowed (German); nothing stored', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const before = await state(env, cit.id);
        const cases = [['1 byte 0xff', Buffer.from([0xff])], ['1 byte "%"', Buffer.from('%')],
            ['1 byte "B"', Buffer.from('B')], ['2 bytes FF D8', Buffer.from([0xff, 0xd8])]];
        for (const kind of Object.keys(SIG)) cases.push([`${kind} cut to ${SIG[kind].length - 1} bytes`,
            typed(kind, SIG[kind].length - 1)]);
        for (const [what, buf] of cases) {
            const r = await uploadRaw(cit.c, d, buf, 'winzig.pdf', 'application/pdf');
            assertError(r, 415, 'upload_type_not_allowed', what);
            assert.match(r.error.message, /Dieser Dateityp ist nicht erlaubt.*PDF, JPEG, PNG oder BMP/, what);
            const m = await curlUpload(env, cit.c, d, [{ path: writeTemp(env, 'winzig.bin', buf), type: 'image/jpeg' }]);
            assert.equal(m.status, 415, `${what}: ${m.text}`);
            assert.equal(m.error.code, 'upload_type_not_allowed', what);
        }
        assert.deepEqual(await state(env, cit.id), before, 'a row or a file was left');
    });

    // kind/size -> { buf, id, name } of the files of the submission
    const subFiles = [];
    let sub;
    test('each type at its smallest and at 999, 1000, 1024 bytes: 201, stored byte for byte (raw and multipart)', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const list = [...SMALLEST, ...EDGE.map((size, i) => ({ kind: ['pdf', 'jpeg', 'png'][i], size })),
            { kind: 'bmp', size: 1000 }];
        for (const [i, { kind, size }] of list.entries()) {
            const buf = typed(kind, size);
            const name = `klein-${size}.${EXT[kind]}`;
            // alternately raw and multipart
            const r = i % 2 === 0
                ? await uploadRaw(cit.c, d, buf, name)
                : await curlUpload(env, cit.c, d, [{ path: writeTemp(env, `src-${i}`, buf), name }]);
            assert.equal(r.status, 201, `${name}: ${r.text}`);
            const f = r.json.files[0];
            assert.deepEqual([f.name, f.type, f.size, f.sha256], [name, MIME[kind], size, sha256(buf)], name);
            const row = (await env.db.query(`SELECT size, sha256, mime FROM upload_file WHERE id = ${f.id}`))[0];
            assert.deepEqual([Number(row.size), row.sha256, row.mime], [size, sha256(buf), MIME[kind]], name);
            subFiles.push({ kind, size, buf, name, id: f.id });
        }
        assert.equal(storeList(env, 'tmp').length, 0, 'temp files left');

        // submit: the receipt PDF is drawn here (the old code crashed the
        // child for every size below 1000)
        const r = await submit(cit.c, d, { message: 'Kleine Dateien' });
        assert.equal(r.status, 201, r.text);
        sub = r.json;
        assert.equal(sub.files, subFiles.length);
        assert.deepEqual(crashLines(env), [], 'a child crashed');
    });

    test('the receipt PDF shows every small size in German format next to the file and its SHA-256', async () => {
        const env = h.env;
        const r = await download(cit.c, sub.receipt);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/pdf');
        const { stdout } = await run('pdftotext', ['-layout', '-enc', 'UTF-8', writeTemp(env, 'quittung.pdf', r.buf), '-']);
        const lines = stdout.split('\n');
        for (const [i, f] of subFiles.entries()) {
            // the file's rows: from its name to its SHA-256 line
            const at = lines.findIndex((l) => l.includes(f.name));
            assert.ok(at >= 0, `${f.name} not on the receipt:\n${stdout}`);
            const end = lines.findIndex((l, k) => k > at && l.includes('SHA-256:'));
            assert.ok(end > at, `no SHA-256 line after ${f.name}:\n${stdout}`);
            const block = lines.slice(at, end + 1).join(' ').replace(/\s+/g, ' ').trim();
            assert.ok(block.startsWith(`${i + 1} ${f.name} `), `row number of ${f.name}: ${block}`);
            const want = sizeDe(f.size);
            assert.ok(block.includes(` ${want} SHA-256: ${sha256(f.buf)}`), `${f.name}: want "${want}" in: ${block}`);
        }
        // the exact strings the brief names
        const flat = stdout.replace(/\s+/g, ' ');
        for (const s of ['3 Bytes', '5 Bytes', '8 Bytes', '18 Bytes', '999 Bytes', '1,0 kB (1.000 Bytes)',
            '1,0 kB (1.024 Bytes)']) {
            assert.ok(flat.includes(s), `"${s}" not on the receipt:\n${stdout}`);
        }
        assert.ok(!/\d+ Byte\b/.test(flat.replace(/\b1 Byte\b/g, '')), 'a plural size written as "Byte"');
    });

    test('the public receipt check lists the exact sizes', async () => {
        const env = h.env;
        const r = await download(cit.c, sub.receipt);
        const { stdout } = await run('pdftotext', [writeTemp(env, 'quittung2.pdf', r.buf), '-']);
        const code = /Prüfcode:?\s*([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})/.exec(stdout);
        assert.ok(code, stdout);
        const v = await env.client().post('/api/v1/receipts/verify', { reference: sub.reference, code: code[1] });
        assert.equal(v.status, 200, v.text);
        assert.deepEqual(v.json.file_list.map((f) => [f.name, f.size, f.sha256]),
            subFiles.map((f) => [f.name, f.size, sha256(f.buf)]));
    });

    test('staff download of each submitted small file: the same bytes, Content-Length and sniffed type', async () => {
        const inbox = await lA.c.get('/api/v1/staff/uploads');
        assert.equal(inbox.status, 200, inbox.text);
        const s = inbox.json.submissions.find((x) => x.reference === sub.reference);
        assert.ok(s, inbox.text);
        assert.deepEqual(s.file_list.map((f) => f.size), subFiles.map((f) => f.size));
        for (const f of subFiles) {
            const dl = await download(lA.c, `/api/v1/staff/uploads/file?file=${f.id}`);
            assert.equal(dl.status, 200, f.name);
            assert.ok(dl.buf.equals(f.buf), `${f.name}: bytes differ (${dl.buf.length} of ${f.size})`);
            assert.equal(dl.headers.get('content-length'), String(f.size), f.name);
            assert.equal(dl.headers.get('content-type'), MIME[f.kind], f.name);
            assert.equal((await download(vA.c, `/api/v1/staff/uploads/file?file=${f.id}`)).status, 404);
        }
    });

    const msgFiles = [];
    let conv;
    test('message attachments of 3, 5, 999, 1000 and 1024 bytes: sent, listed with their sizes, downloaded byte for byte (citizen and staff)', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        for (const [kind, size] of [['jpeg', 3], ['pdf', 5], ['png', 999], ['pdf', 1000], ['jpeg', 1024]]) {
            const buf = typed(kind, size);
            const name = `Anhang-${size}.${EXT[kind]}`;
            const r = await uploadRaw(cit.c, d, buf, name);
            assert.equal(r.status, 201, `${name}: ${r.text}`);
            msgFiles.push({ kind, size, buf, name });
        }
        const m = await cit.c.post('/api/v1/messages', {
            anliegen: 'kopien', subject: 'Kleine Anhänge', text: 'Anbei kleine Dateien.', ack: true,
            idempotency_key: crypto.randomUUID(), draft: d
        }, { csrf: true });
        assert.equal(m.status, 201, m.text);
        conv = m.json.conversation;
        const fl = conv.messages[0].files;
        assert.deepEqual(fl.map((f) => [f.name, f.mime, f.size]), msgFiles.map((f) => [f.name, MIME[f.kind], f.size]));
        const staffConv = await lA.c.get(`/api/v1/staff/messages/conversation?id=${conv.id}`);
        assert.equal(staffConv.status, 200, staffConv.text);
        const sfl = staffConv.json.conversation.messages[0].files;
        for (const [i, f] of msgFiles.entries()) {
            const own = await download(cit.c, fl[i].href);
            assert.equal(own.status, 200, f.name);
            assert.ok(own.buf.equals(f.buf), `${f.name}: citizen download differs`);
            assert.equal(own.headers.get('content-length'), String(f.size));
            assert.equal((await download(other.c, fl[i].href)).status, 404);
            const st = await download(lA.c, sfl[i].href);
            assert.equal(st.status, 200, f.name);
            assert.ok(st.buf.equals(f.buf), `${f.name}: staff download differs`);
            assert.equal(st.headers.get('content-type'), MIME[f.kind]);
        }
        assert.deepEqual(crashLines(env), []);
    });

    const replyFilesSent = [];
    test('staff reply with files: 0 bytes 400 upload_empty, 1 byte 415; 3, 999, 1000 and 1024-byte files reach the citizen byte for byte', async () => {
        const env = h.env;
        const before = await state(env, cit.id);
        const msgs = Number(await env.db.scalar(`SELECT count(*) FROM message WHERE conversation_id = ${conv.id}`));
        const files0 = Number(await env.db.scalar('SELECT count(*) FROM upload_file'));
        const empty = await replyFiles(lA, conv.id, [{ name: 'text', value: 'Leer' },
            { name: 'file', filename: 'leer.pdf', type: 'application/pdf', data: Buffer.alloc(0) }]);
        assertError(empty, 400, 'upload_empty');
        assert.match(empty.error.message, /Die Datei ist leer/);
        const one = await replyFiles(lA, conv.id, [{ name: 'text', value: 'Ein Byte' },
            { name: 'file', filename: 'ein.pdf', type: 'application/pdf', data: Buffer.from('%') }]);
        assertError(one, 415, 'upload_type_not_allowed');
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM message WHERE conversation_id = ${conv.id}`)), msgs);
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM upload_file')), files0);
        assert.deepEqual(await state(env, cit.id), before);

        const parts = [{ name: 'text', value: 'Anbei kleine Kopien.' }];
        for (const [kind, size] of [['jpeg', 3], ['pdf', 999], ['png', 1000], ['bmp', 1024]]) {
            const buf = kind === 'bmp' ? samples.bmp(size) : typed(kind, size);
            assert.equal(buf.length, size);
            const name = `Kopie-${size}.${EXT[kind]}`;
            parts.push({ name: 'file', filename: name, type: 'application/octet-stream', data: buf });
            replyFilesSent.push({ kind, size, buf, name });
        }
        const r = await replyFiles(lA, conv.id, parts);
        assert.equal(r.status, 201, r.text);
        const last = r.json.conversation.messages.at(-1);
        assert.deepEqual(last.files.map((f) => [f.name, f.mime, f.size]),
            replyFilesSent.map((f) => [f.name, MIME[f.kind], f.size]));
        const open = await cit.c.get(`/api/v1/messages/conversation?id=${conv.id}`);
        const m = open.json.conversation.messages.find((x) => x.id === last.id);
        for (const [i, f] of replyFilesSent.entries()) {
            const dl = await download(cit.c, m.files[i].href);
            assert.equal(dl.status, 200, f.name);
            assert.ok(dl.buf.equals(f.buf), `${f.name}: bytes differ`);
            assert.equal(dl.headers.get('content-length'), String(f.size));
        }
        assert.deepEqual(crashLines(env), []);
    });

    const bescheide = [];
    test('Bescheide: PDFs of 5, 999, 1000 and 1024 bytes listed with their sizes and downloaded byte for byte; 0 and 4 bytes refused', async () => {
        const env = h.env;
        const post = (buf, title) => lA.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=${encodeURIComponent(title)}`,
            null, { raw: buf, contentType: 'application/pdf', csrf: true });
        assertError(await post(Buffer.alloc(0), 'Leer'), 400, 'upload_empty');
        assertError(await post(typed('pdf', 4), 'Vier Bytes'), 415, 'upload_type_not_allowed');
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM bescheid')), 0);
        for (const size of [5, 999, 1000, 1024]) {
            const buf = typed('pdf', size);
            const r = await post(buf, `Bescheid ${size}`);
            assert.equal(r.status, 201, r.text);
            bescheide.push({ size, buf, title: `Bescheid ${size}` });
        }
        const l = await cit.c.get('/api/v1/bescheide');
        assert.equal(l.status, 200, l.text);
        for (const b of bescheide) {
            const x = l.json.bescheide.find((y) => y.title === b.title);
            assert.ok(x, l.text);
            assert.equal(x.size, b.size);
            const dl = await download(cit.c, x.href);
            assert.equal(dl.status, 200);
            assert.ok(dl.buf.equals(b.buf), `${b.title}: bytes differ`);
        }
    });

    test('the Konto export lists the submitted files, the attachments and the Bescheide with their exact sizes', async () => {
        const r = await cit.c.get('/api/v1/konto/export');
        assert.equal(r.status, 200, r.text);
        const x = JSON.parse(r.text);
        const u = x.uploads.find((y) => y.reference === sub.reference);
        assert.ok(u, r.text);
        assert.deepEqual(u.files.map((f) => [f.name, f.size, f.sha256]),
            subFiles.map((f) => [f.name, f.size, sha256(f.buf)]));
        const c = x.nachrichten.find((y) => y.subject === 'Kleine Anhänge');
        assert.ok(c, r.text);
        assert.deepEqual(c.messages[0].attachments, msgFiles.map((f) => ({ name: f.name, mime: MIME[f.kind], size: f.size })));
        assert.deepEqual(c.messages.at(-1).attachments,
            replyFilesSent.map((f) => ({ name: f.name, mime: MIME[f.kind], size: f.size })));
        assert.deepEqual(bescheide.map((b) => x.bescheide.find((y) => y.title === b.title)?.size),
            bescheide.map((b) => b.size));
    });

    test('no Apache child crashed: error.log (read after the stop) has no "exit signal" / Segmentation fault notice', async () => {
        const env = h.env;
        await env.stop();
        const log = env.errorLog();
        assert.ok(log.length > 0, 'no error.log');
        assert.deepEqual(crashLines(env), [], `a child crashed:\n${log.split('\n').slice(-30).join('\n')}`);
    });

    logTest();
});
