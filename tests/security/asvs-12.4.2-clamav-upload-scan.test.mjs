// ASVS 4.0.3 12.4.2 (files from untrusted sources are scanned by antivirus
// scanners so that known malicious content is neither stored nor served)
// -- uploads are streamed to a real clamd (INSTREAM) while they are stored
// (issue 18). clamd runs with a signature database this test writes
// (tests/lib/clamd.mjs: the EICAR string, and the MD5 of one whole file).
//
// Environment A (unix socket, JobcenterClamdUnavailable fail-closed,
// JobcenterClamdInfected remove, clamd's StreamMaxLength smaller than the
// module's limit on purpose):
//   - a clean file is stored as before; EICAR inside a PDF-named file is
//     refused with 422 upload_infected naming the file and the finding,
//     while the request is open; nothing is stored (no row, no file, no
//     temp file), also when it is the second file of a multipart body
//     whose first file was clean; a whole-file hash signature is found
//     through the chunked stream; a staff Bescheid is scanned too; the
//     refusal is audited (JC00330 warning with account, file, signature;
//     a Verlauf event);
//   - clamd's own size limit answer: 413, nothing stored;
//   - clamd stopped: 503 scan_unavailable with Retry-After, nothing stored;
//     clamd back: uploads work again.
// Start-up: scanning on with JobcenterUploadMaxFileSize above
// JobcenterClamdStreamMax is refused (JC00001 names both).
// Environment B (TCP, hold, quarantine):
//   - a flagged file is refused with 422 and moved into
//     <store>/quarantine (with a note), never into files/;
//   - clamd stopped: uploads are stored but held: the submission is not in
//     the staff inbox and its file cannot be downloaded by staff; clamd
//     started again: the upload watchdog releases the clean file (inbox,
//     download) and removes the flagged held one (row gone, file in the
//     quarantine, Verlauf event for the citizen, JC00333 warning).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { waitUntil } from '../lib/util.mjs';
import { assertError } from '../lib/flows.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import {
    samples, citizenWithProfile, staffOf, newDraft, uploadRaw, download, storeList, storeDir, submit,
    multipart
} from '../lib/uploads.mjs';
import { startClamd, eicarPdf, FLAGGED_PDF, SIG_EICAR, SIG_PDF_MD5 } from '../lib/clamd.mjs';

// Everything an upload could have left behind.
async function snapshot(env) {
    return {
        rows: Number(await env.db.scalar('SELECT count(*) FROM upload_file')),
        files: storeList(env, 'files'),
        tmp: storeList(env, 'tmp')
    };
}

async function events(env, accountId) {
    return Number(await env.db.scalar(
        `SELECT count(*) FROM event WHERE account_id = ${accountId} AND kind = 'upload_infected'`));
}

function postMultipart(c, draft, parts) {
    const m = multipart(parts);
    return c.post(`/api/v1/uploads/files?draft=${draft}`, null, { raw: m.body, contentType: m.contentType, csrf: true });
}

describe('clamd on a unix socket: fail-closed, remove', () => {
    let av = null;
    before(async () => {
        // clamd takes at most 512 KiB, the module 1 MiB: clamd's own size
        // limit answer is exercised (a misconfiguration the module survives)
        av = await startClamd({ streamMax: '512K' });
    });
    after(async () => { if (av) await av.stop(); });
    const h = useEnv({
        sets: ['JobcenterUploadMaxFileSize 1048576', 'JobcenterUploadMaxFiles 6'],
        extra: () => `JobcenterClamd ${av.socket}\nJobcenterClamdTimeout 5\nJobcenterClamdStreamMax 1048576\n`
            + 'JobcenterClamdUnavailable fail-closed\nJobcenterClamdInfected remove\n'
    });
    let jc, cit, draft;

    test('set-up; a clean PDF is stored as before', async () => {
        const env = h.env;
        assert.match(env.errorLog(), /JC00339: uploads are scanned by clamd at \//);
        jc = await jobcenterWithStaff(env, { name: 'Jobcenter Rems-Murr' });
        cit = await citizenWithProfile(env, jc, 'scan');
        draft = await newDraft(cit.c);
        const before = await snapshot(env);
        const r = await uploadRaw(cit.c, draft, samples.pdf(300000), 'Mietvertrag.pdf');
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.files[0].scan, undefined, 'a scanned file is not held');
        const after = await snapshot(env);
        assert.equal(after.rows, before.rows + 1);
        assert.equal(after.files.length, before.files.length + 1);
    });

    test('EICAR inside a PDF: 422 upload_infected naming file and finding; nothing stored; audited', async () => {
        const env = h.env;
        const before = await snapshot(env);
        const ev = await events(env, cit.id);
        const r = await uploadRaw(cit.c, draft, eicarPdf(200000), 'Kontoauszug März.pdf');
        assertError(r, 422, 'upload_infected');
        assert.match(r.error.message, /Kontoauszug März\.pdf/);
        assert.ok(r.error.message.includes(SIG_EICAR), r.error.message);
        assert.match(r.error.message, /Schadsoftware/);
        assert.deepEqual(await snapshot(env), before);
        assert.equal(await events(env, cit.id), ev + 1);
        // (the error log escapes bytes above 0x7f: "M\xc3\xa4rz")
        await waitUntil(() => new RegExp(`JC00330: upload refused: clamd found ${SIG_EICAR.replace(/\./g, '\\.')} `
            + `in "Kontoauszug M(ä|\\\\xc3\\\\xa4)rz\\.pdf" \\(account ${cit.id},`).test(env.errorLog()),
        { timeoutMs: 3000, what: 'the JC00330 warning' });
    });

    test('multipart: clean first file, infected second: 422, the first file is not kept either', async () => {
        const env = h.env;
        const before = await snapshot(env);
        const r = await postMultipart(cit.c, draft, [
            { name: 'file', filename: 'sauber.pdf', type: 'application/pdf', data: samples.pdf(100000) },
            { name: 'file', filename: 'anhang.pdf', type: 'application/pdf', data: eicarPdf(50000) }
        ]);
        assertError(r, 422, 'upload_infected');
        assert.match(r.error.message, /„anhang\.pdf“/);
        assert.deepEqual(await snapshot(env), before);
    });

    test('a whole-file hash signature is found through the chunked stream', async () => {
        const env = h.env;
        const before = await snapshot(env);
        const r = await uploadRaw(cit.c, draft, FLAGGED_PDF, 'hash.pdf');
        assertError(r, 422, 'upload_infected');
        assert.ok(r.error.message.includes(SIG_PDF_MD5), r.error.message);
        assert.deepEqual(await snapshot(env), before);
        // one byte more is another file: clean
        const ok = await uploadRaw(cit.c, draft, Buffer.concat([FLAGGED_PDF, Buffer.from('x')]), 'hash2.pdf');
        assert.equal(ok.status, 201, ok.text);
    });

    test('a staff Bescheid is scanned as well', async () => {
        const env = h.env;
        const lst = await staffOf(env, jc, 'leistung');
        const before = await snapshot(env);
        const bescheide = Number(await env.db.scalar('SELECT count(*) FROM bescheid'));
        const r = await lst.c.post(`/api/v1/staff/bescheide?customer=${cit.cust.id}&title=Bescheid`, null,
            { raw: eicarPdf(8000), contentType: 'application/pdf', csrf: true });
        assertError(r, 422, 'upload_infected');
        assert.deepEqual(await snapshot(env), before);
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM bescheid')), bescheide);
    });

    test("clamd's size limit (StreamMaxLength 512K < the module's 1 MiB): 413, nothing stored", async () => {
        const env = h.env;
        const before = await snapshot(env);
        const r = await uploadRaw(cit.c, draft, samples.pdf(700000), 'gross.pdf');
        assertError(r, 413, 'upload_too_large_for_scan');
        assert.match(r.error.message, /gross\.pdf/);
        assert.deepEqual(await snapshot(env), before);
    });

    test('clamd stopped: 503 scan_unavailable with Retry-After, nothing stored; clamd back: stored', async () => {
        const env = h.env;
        await av.stop();
        const before = await snapshot(env);
        const r = await uploadRaw(cit.c, draft, samples.pdf(5000), 'spaeter.pdf');
        assertError(r, 503, 'scan_unavailable');
        assert.match(r.error.message, /Virenprüfung/);
        assert.equal(r.headers.get('retry-after'), '60');
        assert.deepEqual(await snapshot(env), before);
        await av.start();
        const ok = await uploadRaw(cit.c, draft, samples.pdf(5000), 'spaeter.pdf');
        assert.equal(ok.status, 201, ok.text);
    });

    // resumable uploads (tus) complete outside the upload sink: the whole
    // file is scanned before it joins the draft, with the same answers
    test('tus: the completed file is scanned (422 naming it, nothing kept); clamd down: 503, the upload stays resumable', async () => {
        const env = h.env;
        const d = await newDraft(cit.c);
        const tus = { 'Tus-Resumable': '1.0.0' };
        const create = async (len, name) => {
            const meta = `filename ${Buffer.from(name).toString('base64')},draft ${Buffer.from(String(d)).toString('base64')}`;
            const r = await cit.c.request('POST', '/api/v1/uploads/tus', undefined,
                { csrf: true, headers: { ...tus, 'Upload-Length': String(len), 'Upload-Metadata': meta } });
            assert.equal(r.status, 201, r.text);
            return r.headers.get('location');
        };
        const patch = (loc, off, buf) => cit.c.request('PATCH', loc, undefined, {
            csrf: true, raw: buf, contentType: 'application/offset+octet-stream',
            headers: { ...tus, 'Upload-Offset': String(off) }
        });
        const tusRows = () => env.db.scalar('SELECT count(*) FROM tus_upload');
        const before = await snapshot(env);
        const ev = await events(env, cit.id);
        const bad = eicarPdf(60000);
        let loc = await create(bad.length, 'Lohnzettel.pdf');
        let r = await patch(loc, 0, bad.subarray(0, 30000));
        assert.equal(r.status, 204, r.text);
        r = await patch(loc, 30000, bad.subarray(30000));
        assertError(r, 422, 'upload_infected');
        assert.match(r.error.message, /Lohnzettel\.pdf/);
        assert.ok(r.error.message.includes(SIG_EICAR), r.error.message);
        assert.deepEqual(await snapshot(env), before, 'nothing of the flagged tus upload is kept');
        assert.equal(Number(await tusRows()), 0);
        assert.equal(await events(env, cit.id), ev + 1);
        await waitUntil(() => /JC00346: upload refused: clamd found .* \(account \d+, tus upload [0-9a-f]{32}\); file removed/
            .test(env.errorLog()), { timeoutMs: 3000, what: 'the JC00346 warning' });

        const good = samples.pdf(40000);
        loc = await create(good.length, 'Mietvertrag.pdf');
        r = await patch(loc, 0, good.subarray(0, 20000));
        assert.equal(r.status, 204, r.text);
        await av.stop();
        try {
            r = await patch(loc, 20000, good.subarray(20000));
            assertError(r, 503, 'scan_unavailable');
            assert.equal(r.headers.get('retry-after'), '60');
            // the last PATCH is not counted: the client sends it again
            const hd = await cit.c.request('HEAD', loc, undefined, { headers: tus });
            assert.equal(hd.headers.get('upload-offset'), '20000');
            assert.equal((await snapshot(env)).rows, before.rows);
        }
        finally {
            await av.start();
        }
        r = await patch(loc, 20000, good.subarray(20000));
        assert.equal(r.status, 204, r.text);
        const files = await env.db.query(`SELECT name, size FROM upload_file WHERE draft_id = ${d}`);
        assert.deepEqual(files, [{ name: 'Mietvertrag.pdf', size: good.length }]);
    });
});

describe('clamd over TCP: hold, quarantine', () => {
    let av = null;
    before(async () => { av = await startClamd({ tcp: true }); });
    after(async () => { if (av) await av.stop(); });
    const h = useEnv({
        sets: ['JobcenterUploadMaxFileSize 1048576', 'JobcenterUploadMaxFiles 6'],
        extra: () => `JobcenterClamd ${av.tcp}\nJobcenterClamdTimeout 5\nJobcenterClamdStreamMax 1048576\n`
            + 'JobcenterClamdUnavailable hold\nJobcenterClamdInfected quarantine\n'
    });
    let jc, cit, lst;
    const quarantine = () => {
        try { return fs.readdirSync(path.join(storeDir(h.env), 'quarantine')).sort(); } catch { return []; }
    };

    test('set-up', async () => {
        jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Ludwigsburg' });
        cit = await citizenWithProfile(h.env, jc, 'hold');
        lst = await staffOf(h.env, jc, 'leistung');
    });

    test('a flagged file: 422, moved into the quarantine with a note, never into files/', async () => {
        const env = h.env;
        const draft = await newDraft(cit.c);
        const before = await snapshot(env);
        const q = quarantine();
        const r = await uploadRaw(cit.c, draft, eicarPdf(30000), 'Lohnabrechnung.pdf');
        assertError(r, 422, 'upload_infected');
        assert.match(r.error.message, /Lohnabrechnung\.pdf/);
        assert.deepEqual(await snapshot(env), before);
        const added = quarantine().filter((n) => !q.includes(n));
        assert.equal(added.length, 2, `quarantine: ${added}`);
        const file = added.find((n) => /^[0-9a-f]{32}$/.test(n));
        assert.ok(file, `${added}`);
        const note = fs.readFileSync(path.join(storeDir(env), 'quarantine', `${file}.txt`), 'utf8');
        assert.match(note, /name: Lohnabrechnung\.pdf/);
        assert.ok(note.includes(`signature: ${SIG_EICAR}`), note);
        assert.match(note, new RegExp(`uploaded by: account ${cit.id},`));
        assert.ok(fs.readFileSync(path.join(storeDir(env), 'quarantine', file)).includes('EICAR-STANDARD'));
        const st = fs.statSync(path.join(storeDir(env), 'quarantine'));
        assert.equal(st.mode & 0o777, 0o700, 'the quarantine is private');
    });

    test('clamd down: stored but held (hidden from staff); clamd up: clean released, flagged removed', async () => {
        const env = h.env;
        await av.stop();
        // a clean file, submitted
        const d1 = await newDraft(cit.c);
        const r1 = await uploadRaw(cit.c, d1, samples.pdf(40000), 'Nachweis.pdf');
        assert.equal(r1.status, 201, r1.text);
        assert.equal(r1.json.files[0].scan, 'pending');
        const s1 = await submit(cit.c, d1);
        assert.equal(s1.status, 201, s1.text);
        // a flagged file, left in its draft
        const d2 = await newDraft(cit.c);
        const r2 = await uploadRaw(cit.c, d2, eicarPdf(20000), 'verdaechtig.pdf');
        assert.equal(r2.status, 201, r2.text);
        assert.equal(r2.json.files[0].scan, 'pending');
        const held = await env.db.query('SELECT id, scan_hold FROM upload_file WHERE scan_hold <> 0 ORDER BY id');
        assert.deepEqual(held.map((x) => Number(x.id)), [r1.json.files[0].id, r2.json.files[0].id]);

        // staff: the submission is not in the inbox, its file not served
        const ref = s1.json.reference;
        let inbox = await lst.c.get('/api/v1/staff/uploads');
        assert.equal(inbox.status, 200, inbox.text);
        assert.ok(!inbox.json.submissions.some((x) => x.reference === ref), 'held submission hidden');
        const no = await download(lst.c, `/api/v1/staff/uploads/file?file=${r1.json.files[0].id}`);
        assert.equal(no.status, 404);

        // clamd back: the upload watchdog (every 5 s) scans both
        const ev = await events(env, cit.id);
        const q = quarantine();
        await av.start();
        await waitUntil(async () => Number(await env.db.scalar(
            'SELECT count(*) FROM upload_file WHERE scan_hold <> 0')) === 0,
        { timeoutMs: 20000, intervalMs: 250, what: 'the watchdog to scan the held files' });
        inbox = await lst.c.get('/api/v1/staff/uploads');
        const sub = inbox.json.submissions.find((x) => x.reference === ref);
        assert.ok(sub, 'released: in the inbox');
        const dl = await download(lst.c, `/api/v1/staff/uploads/file?file=${r1.json.files[0].id}`);
        assert.equal(dl.status, 200);
        // the flagged one: row gone, file in the quarantine, citizen told
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE id = ${r2.json.files[0].id}`)), 0);
        const gone = storeList(env, 'files');
        assert.ok(quarantine().length === q.length + 2, `quarantine: ${quarantine()}`);
        assert.ok(quarantine().every((n) => !gone.includes(n.replace(/\.txt$/, ''))), 'not also in files/');
        assert.equal(await events(env, cit.id), ev + 1);
        const det = await env.db.scalar(`SELECT detail FROM event WHERE account_id = ${cit.id} `
            + "AND kind = 'upload_infected' ORDER BY id DESC LIMIT 1");
        assert.match(det, /verdaechtig\.pdf/);
        await waitUntil(() => /JC00333: held upload \d+ removed: clamd found/.test(env.errorLog())
            && /JC00332: held upload \d+ \("Nachweis\.pdf"/.test(env.errorLog()) || /JC00333/.test(env.errorLog()),
        { timeoutMs: 3000, what: 'the watchdog log lines' });
    });
});

describe('scanning on, JobcenterUploadMaxFileSize above JobcenterClamdStreamMax', () => {
    const h = useEnv({
        sets: ['JobcenterUploadMaxFileSize 1048576', 'JobcenterClamd /nonexistent/clamd.sock',
            'JobcenterClamdStreamMax 524288'],
        waitReady: false,
        allowLog: [/\[jobcenter:emerg\].*JC00001: JobcenterUploadMaxFileSize \(1048576\) is larger than JobcenterClamdStreamMax \(524288\)/,
            /\[:emerg\].*AH00020: Configuration Failed, exiting/]
    });

    test('Apache refuses to start and says why', async () => {
        const env = h.env;
        await waitUntil(() => /JC00001: JobcenterUploadMaxFileSize/.test(env.errorLog()),
            { timeoutMs: 10000, what: 'JC00001 in error.log' });
        assert.match(env.errorLog(), /Raise StreamMaxLength in clamd\.conf and JobcenterClamdStreamMax/);
        await waitUntil(() => !env.apache.isRunning(), { timeoutMs: 10000, what: 'Apache to exit' });
    });
});

logTest();
