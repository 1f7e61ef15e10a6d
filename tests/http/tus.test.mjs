// Resumable uploads (tus 1.0.0, issue 18) with a client no one here wrote:
// tus-js-client (npm) uploads 8 MiB through a TCP proxy on a loopback port
// that cuts the connection five times mid-upload; the client resumes from
// the stored offset each time, the stored document's SHA-256 matches, and
// the bytes sent in total stay within 1.25 x the file (1.0005 x normally).
// Then the protocol's
// refusals, each checked to change nothing: a wrong offset (409), another
// account (404 for HEAD, PATCH, DELETE), a checksum mismatch (460), an
// Upload-Length above the limit (413 before any byte), a disguised type
// (415, the upload is removed), a second writer while a PATCH runs (423),
// a missing CSRF token (403); termination removes row and spool file;
// an expired upload is removed by the watchdog; a finished upload is
// submitted like any other file (receipt).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import * as tus from 'tus-js-client';
import { useEnv, logTest } from '../lib/env.mjs';
import { waitUntil } from '../lib/util.mjs';
import { cuttingProxy } from '../lib/tusproxy.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile, newDraft, storeDir, storeList, submit } from '../lib/uploads.mjs';

const MAX_FILE = 16 * 1024 * 1024;
const SIZE = 8 * 1024 * 1024;

// tus-js-client against base (the proxy or the server) as client c.
function tusUpload(base, c, buf, metadata, extra = {}) {
    return new Promise((resolve, reject) => {
        const progress = [];
        const up = new tus.Upload(buf, {
            endpoint: `${base}/api/v1/uploads/tus`,
            headers: { Cookie: c.jar.header(), 'X-CSRF-Token': c.csrf, Origin: c.base },
            metadata,
            retryDelays: [0, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000],
            onProgress: (sent, total) => progress.push([sent, total]),
            onSuccess: (p) => resolve({ up, progress, last: p && p.lastResponse }),
            onError: (e) => reject(e),
            ...extra
        });
        up.start();
    });
}

function tusHeaders(extra = {}) {
    return { 'Tus-Resumable': '1.0.0', ...extra };
}

// Create an upload with raw requests: its path.
async function create(c, draft, length, name = 'scan.pdf') {
    const meta = `filename ${Buffer.from(name).toString('base64')},draft ${Buffer.from(String(draft)).toString('base64')}`;
    const r = await c.request('POST', '/api/v1/uploads/tus', undefined,
        { csrf: true, headers: tusHeaders({ 'Upload-Length': String(length), 'Upload-Metadata': meta }) });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('tus-resumable'), '1.0.0');
    const loc = r.headers.get('location');
    assert.match(loc, /^\/api\/v1\/uploads\/tus\/[0-9a-f]{32}$/);
    return loc;
}

function patch(c, loc, offset, buf, extra = {}, opts = {}) {
    return c.request('PATCH', loc, undefined, {
        csrf: true, raw: buf, contentType: 'application/offset+octet-stream',
        headers: tusHeaders({ 'Upload-Offset': String(offset), ...extra }), ...opts
    });
}

const head = (c, loc) => c.request('HEAD', loc, undefined, { headers: tusHeaders() });

async function tusRow(env, loc) {
    const tok = loc.split('/').pop();
    const rows = await env.db.query(`SELECT id, account_id, draft_id, spool_id, length, upload_offset, file_id, `
        + `expires_at FROM tus_upload WHERE token = '${tok}'`);
    return rows[0] || null;
}

const spoolPath = (env, spool) => path.join(storeDir(env), 'tmp', `${spool}.tus`);
const spoolSize = (env, spool) => { try { return fs.statSync(spoolPath(env, spool)).size; } catch { return -1; } };

describe('resumable uploads (tus 1.0.0)', () => {
    const h = useEnv({
        sets: [`JobcenterUploadMaxFileSize ${MAX_FILE}`, 'JobcenterUploadMaxFiles 8',
            'JobcenterUploadMaxBytesPerDay 200000000']
    });
    let jc, cit, other, draft;

    test('set-up: a citizen with a person profile and a draft, another citizen', async () => {
        const env = h.env;
        jc = await jobcenterWithStaff(env, { name: `Jobcenter Tus ${crypto.randomBytes(3).toString('hex')}` });
        cit = await citizenWithProfile(env, jc, 'tus');
        other = await citizenWithProfile(env, jc, 'tus-other');
        draft = await newDraft(cit.c, 'Geldleistung');
    });

    test('the portal serves the same tus-js-client the tests use (htdocs/js/vendor, MIT licence beside it)', () => {
        const top = path.resolve(import.meta.dirname, '..', '..');
        const vendored = fs.readFileSync(path.join(top, 'htdocs/js/vendor/tus.min.js'));
        const npm = fs.readFileSync(path.join(top, 'node_modules/tus-js-client/dist/tus.min.js'));
        assert.equal(sha256(vendored), sha256(npm));
        assert.match(fs.readFileSync(path.join(top, 'htdocs/js/vendor/tus-js-client.LICENSE'), 'utf8'), /MIT License/);
        const version = JSON.parse(fs.readFileSync(path.join(top, 'node_modules/tus-js-client/package.json'))).version;
        assert.match(fs.readFileSync(path.join(top, 'htdocs/js/vendor/README.md'), 'utf8'), new RegExp(`\\| ${version} \\|`));
    });

    test('OPTIONS: version, extensions, checksum algorithms, maximum size (no session needed)', async () => {
        const c = h.env.client();
        const r = await c.request('OPTIONS', '/api/v1/uploads/tus', undefined, { origin: null });
        assert.equal(r.status, 204, r.text);
        assert.equal(r.headers.get('tus-version'), '1.0.0');
        assert.equal(r.headers.get('tus-resumable'), '1.0.0');
        assert.deepEqual(r.headers.get('tus-extension').split(','), ['creation', 'termination', 'checksum', 'expiration']);
        assert.equal(r.headers.get('tus-checksum-algorithm'), 'sha1,sha256');
        assert.equal(r.headers.get('tus-max-size'), String(MAX_FILE));
        // other methods: 405 with what the path takes
        const g = await c.get('/api/v1/uploads/tus');
        assert.equal(g.status, 405);
        assert.equal(g.headers.get('allow'), 'POST, OPTIONS');
        const p = await c.request('PUT', `/api/v1/uploads/tus/${'a'.repeat(32)}`, undefined, {});
        assert.equal(p.status, 405);
        assert.equal(p.headers.get('allow'), 'GET, HEAD, PATCH, DELETE');
    });

    test('tus-js-client: 8 MiB through a proxy that cuts the connection 5 times; resumes, SHA-256 matches, <= 1.1x sent', async () => {
        const env = h.env;
        const buf = samples.pdf(SIZE);
        const cuts = [0.12, 0.3, 0.5, 0.7, 0.88].map((f) => Math.floor(f * SIZE));
        const proxy = await cuttingProxy(env.port, { cuts });
        try {
            const base = `http://127.0.0.1:${proxy.port}`;
            const r = await tusUpload(base, cit.c, buf, { filename: 'Kontoauszug März.pdf', draft: String(draft) });
            assert.equal(proxy.cutsDone(), 5, 'the proxy cut 5 times');
            const ratio = proxy.sent() / SIZE;
            console.log(`# tus: ${SIZE} bytes, ${proxy.cutsDone()} cuts, ${proxy.sent()} bytes sent (${ratio.toFixed(4)} x)`);
            // 1.0005 x in a normal run; the bench's target (<= 1.1 at 50 MiB)
            // is checked by bench/resume.mjs. Here 1.25: on a loaded
            // machine a PATCH may be cut before its handler took the lock
            // (the bytes wait in loopback buffers), then the HEAD after the
            // cut cannot wait for it and the next PATCH is refused after
            // pushing up to ~1.5 MB (docs/internals.md, "HEAD waits")
            assert.ok(ratio <= 1.25, `sent ${ratio} x the file\n${proxy.events().join('\n')}\n`
                + env.errorLog().split('\n').filter((l) => /JC0033|JC0010[12]/.test(l)).slice(-40).join('\n'));
            const loc = new URL(r.up.url).pathname;
            const row = await tusRow(env, loc);
            assert.equal(Number(row.account_id), cit.id);
            assert.equal(Number(row.upload_offset), SIZE);
            assert.ok(Number(row.file_id) > 0);
            // the document: in the draft, SHA-256 and bytes as sent
            const f = (await env.db.query(`SELECT id, store_id, name, mime, size, sha256 FROM upload_file `
                + `WHERE id = ${Number(row.file_id)}`))[0];
            assert.equal(f.sha256, sha256(buf));
            assert.equal(Number(f.size), SIZE);
            assert.equal(f.mime, 'application/pdf');
            assert.equal(f.name, 'Kontoauszug März.pdf');
            const stored = fs.readFileSync(path.join(storeDir(env), 'files', f.store_id));
            assert.equal(sha256(stored), sha256(buf));
            assert.equal(spoolSize(env, row.spool_id), -1, 'the spool file is gone');
            assert.deepEqual(storeList(env, 'tmp').filter((n) => n.endsWith('.part')), []);
            // HEAD of the finished upload: offset = length, the file id
            const hd = await head(cit.c, loc);
            assert.equal(hd.status, 200);
            assert.equal(hd.headers.get('upload-offset'), String(SIZE));
            assert.equal(hd.headers.get('upload-length'), String(SIZE));
            assert.equal(hd.headers.get('jobcenter-file-id'), String(f.id));
            assert.equal(hd.headers.get('cache-control'), 'no-store');
            const g = await cit.c.get(loc);
            assert.equal(g.status, 200, g.text);
            assert.equal(g.json.file.sha256, sha256(buf));
            assert.equal(g.json.offset, SIZE);
        } finally {
            await proxy.close();
        }
    });

    test('wrong Upload-Offset: 409, nothing stored', async () => {
        const env = h.env;
        const loc = await create(cit.c, draft, 4000);
        const buf = samples.pdf(4000);
        let r = await patch(cit.c, loc, 100, buf.subarray(100));
        assert.equal(r.status, 409, r.text);
        assert.equal(r.error.code, 'tus_offset_mismatch');
        assert.equal(r.headers.get('upload-offset'), '0');
        const row = await tusRow(env, loc);
        assert.equal(Number(row.upload_offset), 0);
        assert.equal(spoolSize(env, row.spool_id), 0);
        r = await patch(cit.c, loc, 0, buf.subarray(0, 1000));
        assert.equal(r.status, 204, r.text);
        assert.equal(r.headers.get('upload-offset'), '1000');
        r = await patch(cit.c, loc, 0, buf.subarray(0, 1000));
        assert.equal(r.status, 409, r.text);
        r = await patch(cit.c, loc, 1000, buf.subarray(1000));
        assert.equal(r.status, 204, r.text);
        assert.equal(r.headers.get('upload-offset'), '4000');
        assert.ok(Number(r.headers.get('jobcenter-file-id')) > 0);
        const f = (await env.db.query(`SELECT sha256 FROM upload_file WHERE id = ${Number(r.headers.get('jobcenter-file-id'))}`))[0];
        assert.equal(f.sha256, sha256(buf));
        // a finished upload takes no more bytes
        r = await patch(cit.c, loc, 4000, Buffer.alloc(0));
        assert.equal(r.status, 409, r.text);
    });

    test('another account: HEAD, GET, PATCH and DELETE get 404; nothing changes', async () => {
        const env = h.env;
        const loc = await create(cit.c, draft, 3000);
        const buf = samples.pdf(3000);
        assert.equal((await patch(cit.c, loc, 0, buf.subarray(0, 1000))).status, 204);
        const before = await tusRow(env, loc);
        assert.equal((await head(other.c, loc)).status, 404);
        const g = await other.c.get(loc);
        assert.equal(g.status, 404);
        assert.equal(g.error.code, 'not_found');
        let r = await patch(other.c, loc, 1000, buf.subarray(1000));
        assert.equal(r.status, 404, r.text);
        r = await other.c.request('DELETE', loc, undefined, { csrf: true, headers: tusHeaders() });
        assert.equal(r.status, 404, r.text);
        assert.deepEqual(await tusRow(env, loc), before);
        assert.equal(spoolSize(env, before.spool_id), 1000);
        // and an unknown id is the same 404
        assert.equal((await head(cit.c, '/api/v1/uploads/tus/' + '0'.repeat(32))).status, 404);
    });

    test('Upload-Checksum: sha1 and sha256 accepted, a mismatch is 460 and drops the bytes, unknown algorithm 400', async () => {
        const env = h.env;
        const buf = samples.png(6000);
        const loc = await create(cit.c, draft, buf.length, 'foto.png');
        const b64 = (alg, b) => crypto.createHash(alg).update(b).digest('base64');
        let r = await patch(cit.c, loc, 0, buf.subarray(0, 2000), { 'Upload-Checksum': `sha1 ${b64('sha1', buf.subarray(0, 2000))}` });
        assert.equal(r.status, 204, r.text);
        r = await patch(cit.c, loc, 2000, buf.subarray(2000, 4000), { 'Upload-Checksum': `sha1 ${b64('sha1', Buffer.from('other'))}` });
        assert.equal(r.status, 460, r.text);
        assert.equal(r.error.code, 'tus_checksum_mismatch');
        let row = await tusRow(env, loc);
        assert.equal(Number(row.upload_offset), 2000);
        assert.equal(spoolSize(env, row.spool_id), 2000, 'the refused bytes are not kept');
        r = await patch(cit.c, loc, 2000, buf.subarray(2000, 4000), { 'Upload-Checksum': `md5 ${b64('md5', buf.subarray(2000, 4000))}` });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.error.code, 'tus_checksum_unsupported');
        r = await patch(cit.c, loc, 2000, buf.subarray(2000), { 'Upload-Checksum': `sha256 ${b64('sha256', buf.subarray(2000))}` });
        assert.equal(r.status, 204, r.text);
        row = await tusRow(env, loc);
        assert.ok(Number(row.file_id) > 0);
        const f = (await env.db.query(`SELECT sha256, mime FROM upload_file WHERE id = ${Number(row.file_id)}`))[0];
        assert.equal(f.sha256, sha256(buf));
        assert.equal(f.mime, 'image/png');
    });

    test('Upload-Length above the limit: 413 before any byte, nothing created; a PATCH longer than the rest: 413', async () => {
        const env = h.env;
        const n = Number(await env.db.scalar('SELECT count(*) FROM tus_upload'));
        const tmp = storeList(env, 'tmp');
        const meta = `filename ${Buffer.from('gross.pdf').toString('base64')},draft ${Buffer.from(String(draft)).toString('base64')}`;
        const r = await cit.c.request('POST', '/api/v1/uploads/tus', undefined,
            { csrf: true, headers: tusHeaders({ 'Upload-Length': String(MAX_FILE + 1), 'Upload-Metadata': meta }) });
        assert.equal(r.status, 413, r.text);
        assert.equal(r.error.code, 'upload_too_large');
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM tus_upload')), n);
        assert.deepEqual(storeList(env, 'tmp'), tmp);
        const loc = await create(cit.c, draft, 1000);
        const p = await patch(cit.c, loc, 0, samples.pdf(1001));
        assert.equal(p.status, 413, p.text);
        assert.equal(p.error.code, 'tus_length_exceeded');
        const row = await tusRow(env, loc);
        assert.equal(Number(row.upload_offset), 0);
        assert.equal(spoolSize(env, row.spool_id), 0);
        await cit.c.request('DELETE', loc, undefined, { csrf: true, headers: tusHeaders() });
    });

    test('a disguised executable: 415 on the first bytes, the upload is removed', async () => {
        const env = h.env;
        const exe = samples.exe().subarray(0, 5000);
        const loc = await create(cit.c, draft, exe.length, 'rechnung.pdf');
        const row = await tusRow(env, loc);
        const r = await patch(cit.c, loc, 0, exe);
        assert.equal(r.status, 415, r.text);
        assert.equal(r.error.code, 'upload_type_not_allowed');
        assert.equal(await tusRow(env, loc), null);
        assert.equal(spoolSize(env, row.spool_id), -1);
        assert.equal((await head(cit.c, loc)).status, 404);
    });

    test('a dropped PATCH keeps its bytes; a second writer meanwhile gets 423; without CSRF token 403; without Tus-Resumable 412', async () => {
        const env = h.env;
        const buf = samples.jpeg(300000);
        const loc = await create(cit.c, draft, buf.length, 'foto.jpg');
        const s = net.connect(env.port, '127.0.0.1');
        await new Promise((res) => s.on('connect', res));
        s.write(`PATCH ${loc} HTTP/1.1\r\nHost: 127.0.0.1:${env.port}\r\nCookie: ${cit.c.jar.header()}\r\n`
            + `X-CSRF-Token: ${cit.c.csrf}\r\nOrigin: ${cit.c.base}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n`
            + `Content-Type: application/offset+octet-stream\r\nContent-Length: ${buf.length}\r\n\r\n`);
        s.write(buf.subarray(0, 100000));
        // the first PATCH holds the lock once it writes
        const spool = (await tusRow(env, loc)).spool_id;
        await waitUntil(() => spoolSize(env, spool) === 100000, { timeoutMs: 10000, what: 'the first PATCH writing' });
        const r = await patch(cit.c, loc, 0, buf);
        assert.equal(r.status, 423, r.text);
        assert.equal(r.error.code, 'upload_locked');
        s.destroy();
        await waitUntil(async () => Number((await tusRow(env, loc)).upload_offset) === 100000, { timeoutMs: 5000 });
        const row = await tusRow(env, loc);
        assert.equal(spoolSize(env, row.spool_id), 100000);
        let p = await patch(cit.c, loc, 100000, buf.subarray(100000), {}, { csrf: null });
        assert.equal(p.status, 403, p.text);
        assert.equal(p.error.code, 'csrf_failed');
        p = await cit.c.request('PATCH', loc, undefined, { csrf: true, raw: buf.subarray(100000),
            contentType: 'application/offset+octet-stream', headers: { 'Upload-Offset': '100000' } });
        assert.equal(p.status, 412, p.text);
        assert.equal(p.headers.get('tus-version'), '1.0.0');
        assert.equal(Number((await tusRow(env, loc)).upload_offset), 100000);
        p = await patch(cit.c, loc, 100000, buf.subarray(100000));
        assert.equal(p.status, 204, p.text);
        const f = (await env.db.query(`SELECT sha256 FROM upload_file WHERE id = ${Number(p.headers.get('jobcenter-file-id'))}`))[0];
        assert.equal(f.sha256, sha256(buf), 'the hash continued across the resumption');
    });

    test('termination: DELETE removes row and spool file; HEAD then 404', async () => {
        const env = h.env;
        const loc = await create(cit.c, draft, 5000);
        assert.equal((await patch(cit.c, loc, 0, samples.pdf(5000).subarray(0, 2500))).status, 204);
        const row = await tusRow(env, loc);
        assert.equal(spoolSize(env, row.spool_id), 2500);
        const r = await cit.c.request('DELETE', loc, undefined, { csrf: true, headers: tusHeaders() });
        assert.equal(r.status, 204, r.text);
        assert.equal(await tusRow(env, loc), null);
        assert.equal(spoolSize(env, row.spool_id), -1);
        assert.equal((await head(cit.c, loc)).status, 404);
    });

    test('expiry: an unfinished upload past its draft\'s expiry is removed by the watchdog (row and spool file)', async () => {
        const env = h.env;
        const loc = await create(cit.c, draft, 5000);
        assert.equal((await patch(cit.c, loc, 0, samples.pdf(5000).subarray(0, 1000))).status, 204);
        const row = await tusRow(env, loc);
        await env.db.exec(`UPDATE tus_upload SET expires_at = 1 WHERE id = ${Number(row.id)}`);
        assert.equal((await head(cit.c, loc)).status, 404, 'expired: 404 at once');
        await waitUntil(async () => (await tusRow(env, loc)) === null && spoolSize(env, row.spool_id) === -1,
            { timeoutMs: 15000 });
    });

    test('bytes past the stored offset (a crash between write and UPDATE) are cut off by the next PATCH', async () => {
        const env = h.env;
        const buf = samples.pdf(6000);
        const loc = await create(cit.c, draft, buf.length);
        assert.equal((await patch(cit.c, loc, 0, buf.subarray(0, 2000))).status, 204);
        const row = await tusRow(env, loc);
        fs.appendFileSync(spoolPath(env, row.spool_id), Buffer.from('garbage that was never acknowledged'));
        const hd = await head(cit.c, loc);
        assert.equal(hd.headers.get('upload-offset'), '2000');
        const r = await patch(cit.c, loc, 2000, buf.subarray(2000));
        assert.equal(r.status, 204, r.text);
        const f = (await env.db.query(`SELECT sha256 FROM upload_file WHERE id = ${Number(r.headers.get('jobcenter-file-id'))}`))[0];
        assert.equal(f.sha256, sha256(buf));
    });

    test('creation refuses another account\'s draft (404) and an upload without a draft (400); nothing created', async () => {
        const env = h.env;
        const n = Number(await env.db.scalar('SELECT count(*) FROM tus_upload'));
        const tmp = storeList(env, 'tmp');
        const otherDraft = await newDraft(other.c, 'Vermittlung');
        const meta = (d) => `filename ${Buffer.from('x.pdf').toString('base64')}`
            + (d ? `,draft ${Buffer.from(String(d)).toString('base64')}` : '');
        let r = await cit.c.request('POST', '/api/v1/uploads/tus', undefined,
            { csrf: true, headers: tusHeaders({ 'Upload-Length': '1000', 'Upload-Metadata': meta(otherDraft) }) });
        assert.equal(r.status, 404, r.text);
        r = await cit.c.request('POST', '/api/v1/uploads/tus', undefined,
            { csrf: true, headers: tusHeaders({ 'Upload-Length': '1000', 'Upload-Metadata': meta(null) }) });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.error.code, 'draft_missing');
        r = await cit.c.request('POST', '/api/v1/uploads/tus', undefined,
            { csrf: true, headers: tusHeaders({ 'Upload-Metadata': meta(draft) }) });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.error.code, 'tus_length_missing');
        r = await cit.c.request('POST', '/api/v1/uploads/tus', undefined,
            { csrf: null, headers: tusHeaders({ 'Upload-Length': '1000', 'Upload-Metadata': meta(draft) }) });
        assert.equal(r.status, 403, r.text);
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM tus_upload')), n);
        assert.deepEqual(storeList(env, 'tmp'), tmp);
    });

    test('a finished upload is a file of the draft: submit gives the receipt with it', async () => {
        const env = h.env;
        const files = Number(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id = ${draft}`));
        assert.ok(files >= 4, `files in the draft: ${files}`);
        const r = await submit(cit.c, draft);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.files, files);
        const rec = await cit.c.request('GET', r.json.receipt.replace(/^\/?/, '/'), undefined, {});
        assert.equal(rec.status, 200);
    });

    test('"Konto löschen" with an unfinished upload: the account goes, the watchdog removes row and spool file', async () => {
        const env = h.env;
        const d = await newDraft(other.c, 'Geldleistung');
        const loc = await create(other.c, d, 5000);
        assert.equal((await patch(other.c, loc, 0, samples.pdf(5000).subarray(0, 1000))).status, 204);
        const row = await tusRow(env, loc);
        const r = await other.c.post('/api/v1/konto/loeschen', { password: other.password, confirm: true }, { csrf: true });
        assert.equal(r.status, 204, r.text);
        await waitUntil(async () => (await env.db.query(`SELECT id FROM tus_upload WHERE id = ${Number(row.id)}`)).length === 0
            && spoolSize(env, row.spool_id) === -1, { timeoutMs: 15000 });
    });

    logTest();
});
