// The upload store reconciled with the database (issue 13): committed files
// that no row names (a child killed with SIGKILL between the rename into
// files/ and the row's commit) are removed by the reconcile of the upload
// watchdog (JobcenterStoreReconcileInterval/Grace) and by `jobcenter-admin
// store-check --repair`; rows whose file is missing are reported, never
// "repaired"; store-check without --repair changes nothing. A file whose
// row is still being written (a multipart upload whose first file is
// committed while the second still streams) is never removed, even with
// a grace period of 0, on the same node or on a second node sharing the
// store and the database; there, upload and submit on node A, the staff
// download and the receipt work on node B.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { useEnv, startEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { waitUntil, sleep, holderOf } from '../lib/util.mjs';
import { WORKER } from '../lib/worker.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import {
    samples, citizenWithProfile, staffOf, newDraft, uploadRaw, submit, download, storeList, storeDir
} from '../lib/uploads.mjs';
import { admin } from '../lib/staff.mjs';

const dead = (pid) => { try { process.kill(pid, 0); return false; } catch { return true; } };

// A multipart upload of two files to draft d on env (node) whose first file
// is complete (committed by the server: in files/, no row yet) while the
// second has only started. Returns { first (its files/ name), s (the
// socket), finish() -> the HTTP answer }.
async function stalledUpload(env, cit, d) {
    const boundary = `----jc${crypto.randomBytes(8).toString('hex')}`;
    const one = samples.pdf(50000);
    const two = samples.png(300000);
    const head = (name, type) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; `
        + `filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`);
    const h1 = head('eins.pdf', 'application/pdf');
    const h2 = head('zwei.png', 'image/png');
    const body = Buffer.concat([h1, one, Buffer.from('\r\n'), h2, two, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const cut = h1.length + one.length + 2 + h2.length + 1000;   // 1000 bytes into the second file
    const before = new Set(storeList(env, 'files'));
    const s = net.connect(env.port, '127.0.0.1');
    s.on('error', () => {});
    let answer = '';
    s.on('data', (x) => { answer += x; });
    const closed = new Promise((r) => s.on('close', r));
    await new Promise((r) => s.on('connect', r));
    s.write(`POST /api/v1/uploads/files?draft=${d} HTTP/1.1\r\nHost: 127.0.0.1\r\n`
        + `Cookie: ${cit.c.jar.header()}\r\nX-CSRF-Token: ${cit.c.csrf}\r\nOrigin: ${cit.c.base}\r\n`
        + `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n`
        + 'Connection: close\r\n\r\n');
    s.write(body.subarray(0, cut));
    const first = await waitUntil(() => storeList(env, 'files').find((n) => !before.has(n)),
        { timeoutMs: 5000, what: 'the first file committed into files/' });
    await waitUntil(() => storeList(env, 'tmp').length === 1, { timeoutMs: 5000, what: 'the second temp file' });
    return {
        first, s,
        finish: async () => {
            s.write(body.subarray(cut));
            await closed;
            return answer;
        }
    };
}

// A file in files/ under a store-given name with no row and no writer:
// what a crash between the rename and the row's commit leaves.
function plantOrphan(env, size = 12345) {
    const id = crypto.randomBytes(16).toString('hex');
    const file = path.join(storeDir(env), 'files', id);
    fs.writeFileSync(file, samples.pdf(size), { mode: 0o600 });
    // the workers' user (www-data, or the checkout's owner)
    fs.chownSync(file, WORKER.uid, WORKER.gid);
    return id;
}

// Names, sizes and mtimes of everything in the store: "nothing changed".
function snapshot(env) {
    const out = {};
    for (const sub of ['files', 'tmp']) {
        for (const n of storeList(env, sub)) {
            const st = fs.statSync(path.join(storeDir(env), sub, n));
            out[`${sub}/${n}`] = `${st.size}/${st.mtimeMs}`;
        }
    }
    return out;
}

async function rowCounts(env) {
    const o = {};
    for (const t of ['upload_file', 'upload_submission', 'upload_draft', 'bescheid']) {
        o[t] = await env.db.scalar(`SELECT count(*) FROM ${t}`);
    }
    return o;
}

// Every file the database names exists, and every committed file is named.
async function assertConsistent(env) {
    const named = new Set();
    for (const r of await env.db.query('SELECT store_id AS s FROM upload_file UNION ALL '
        + 'SELECT receipt_store_id AS s FROM upload_submission UNION ALL SELECT store_id AS s FROM bescheid')) {
        named.add(r.s);
    }
    const files = storeList(env, 'files');
    assert.deepEqual(files.filter((n) => !named.has(n)), [], 'files without a row');
    assert.deepEqual([...named].filter((n) => !files.includes(n)), [], 'rows without a file');
}

const storeCheck = (env, ...args) => admin(env, ['store-check', '--store', storeDir(env), ...args]);

// After a SIGKILL the replacement child's mod_dbd may fail its first
// prepare on SQLite ("database is locked", WAL recovery): stock mod_dbd
// lines, as in upload-crash.test.mjs.
const crashLog = DB_KIND === 'sqlite'
    ? [/AH00632: failed to prepare SQL statements: database is locked/, /AH00633: failed to initialise/,
        /AH00636: child init failed!/,
        /AH02655: Failed to acquire DBD connection from pool/]
    : [];

describe('reconcile job: kill -9 during a multipart upload', () => {
    const h = useEnv({
        sets: ['JobcenterStoreReconcileInterval 1', 'JobcenterStoreReconcileGrace 0', 'LogLevel jobcenter:info'],
        allowLog: crashLog
    });
    let cit;

    test('set-up: a citizen with a person profile', async () => {
        const jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Abgleich' });
        cit = await citizenWithProfile(h.env, jc, 'recon');
    });

    test('the first file, committed but without its row yet, survives the reconcile (grace 0) while its upload runs', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const decoy = plantOrphan(env);
        const up = await stalledUpload(env, cit, d);
        // the reconcile runs (it removes the planted orphan) ...
        await waitUntil(() => !storeList(env, 'files').includes(decoy), { timeoutMs: 20000, intervalMs: 250,
            what: 'the reconcile to remove a file without a row' });
        await sleep(6000);              // ... and runs once more (every 5 s)
        assert.ok(storeList(env, 'files').includes(up.first), 'the reconcile removed a file whose row was being written');
        const answer = await up.finish();
        assert.match(answer, /^HTTP\/1\.1 201 /, answer);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id = ${d}`), 2);
        assert.ok(storeList(env, 'files').includes(up.first));
        await assertConsistent(env);
        assert.match(env.errorLog(), new RegExp(`store reconcile: removed \\S+/files/${decoy} \\(12345 bytes\\)`));
    });

    test('kill -9 of the child after the first file was committed: the reconcile removes it; store and rows consistent', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const rows = await rowCounts(env);
        const up = await stalledUpload(env, cit, d);
        const file = path.join(storeDir(env), 'files', up.first);
        const pid = await waitUntil(() => holderOf(file), { timeoutMs: 5000, what: 'the child holding the file' });
        assert.notEqual(pid, env.apache.pid);
        process.kill(pid, 'SIGKILL');
        await waitUntil(() => dead(pid), { timeoutMs: 5000, what: 'the child to die' });
        up.s.destroy();
        await waitUntil(() => !storeList(env, 'files').includes(up.first) && storeList(env, 'tmp').length === 0,
            { timeoutMs: 30000, intervalMs: 250, what: 'the reconcile to remove the crash leftovers' });
        assert.deepEqual(await rowCounts(env), rows);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id = ${d}`), 0);
        await assertConsistent(env);
        // and the portal goes on
        const ok = await uploadRaw(cit.c, d, samples.pdf(), 'danach.pdf');
        assert.equal(ok.status, 201, ok.text);
        await assertConsistent(env);
    });

    test('a row whose file is missing is reported (warn), the row stays', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'vermittlung');
        const r = await uploadRaw(cit.c, d, samples.png(), 'weg.png');
        assert.equal(r.status, 201, r.text);
        const id = r.json.files[0].id;
        const sid = await env.db.scalar(`SELECT store_id FROM upload_file WHERE id = ${id}`);
        fs.unlinkSync(path.join(storeDir(env), 'files', sid));
        await waitUntil(() => new RegExp(`\\[jobcenter:warn\\].*store reconcile: upload_file row ${id} names store `
            + `file ${sid}, which is missing`).test(env.errorLog()), { timeoutMs: 20000, intervalMs: 250,
            what: 'the warning about the missing file' });
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE id = ${id}`), 1);
        // tidy up for the next tests: the row goes through the API
        const del = await cit.c.post('/api/v1/uploads/files/delete', { draft: d, file: id }, { csrf: true });
        assert.equal(del.status, 204, del.text);
    });
});

describe('jobcenter-admin store-check', () => {
    // the watchdog's reconcile is off here: only the command acts
    const h = useEnv({ sets: ['JobcenterStoreReconcileInterval 0'], allowLog: crashLog });
    let cit;

    test('set-up: a citizen with a submission (files and a receipt)', async () => {
        const jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Prüfung' });
        cit = await citizenWithProfile(h.env, jc, 'check');
        const d = await newDraft(cit.c, 'geldleistung');
        assert.equal((await uploadRaw(cit.c, d, samples.pdf(), 'a.pdf')).status, 201);
        const s = await submit(cit.c, d);
        assert.equal(s.status, 201, s.text);
        const r = await storeCheck(h.env, '--grace', '0');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.out['orphan files'], '0 (0 bytes)');
        assert.equal(r.out.files, '2 (0 within the grace period, 0 being written)');
    });

    test('kill -9 leftovers and a lost file: reported without --repair (nothing changes), removed with --repair', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const up = await stalledUpload(env, cit, d);
        // in flight: --repair with grace 0 leaves it alone
        let r = await storeCheck(env, '--grace', '0', '--repair');
        assert.match(r.out.files, /, 1 being written\)$/, r.stdout);
        assert.ok(storeList(env, 'files').includes(up.first));
        const file = path.join(storeDir(env), 'files', up.first);
        const size = fs.statSync(file).size;
        const pid = await waitUntil(() => holderOf(file), { timeoutMs: 5000, what: 'the child holding the file' });
        process.kill(pid, 'SIGKILL');
        await waitUntil(() => dead(pid), { timeoutMs: 5000, what: 'the child to die' });
        up.s.destroy();
        // a row loses its file (the receipt of the submission)
        const rec = await env.db.query('SELECT id, receipt_store_id AS s FROM upload_submission');
        fs.renameSync(path.join(storeDir(env), 'files', rec[0].s), path.join(storeDir(env), 'lost-receipt'));
        // the dead writer's temp file goes with the watchdog's tmp sweep
        // (every 5 s, independent of the reconcile): wait for it, so that
        // nothing else changes the store while the command runs
        await waitUntil(() => storeList(env, 'tmp').length === 0, { timeoutMs: 20000, intervalMs: 250,
            what: 'the tmp sweep' });

        const rows = await rowCounts(env);
        const snap = snapshot(env);
        r = await storeCheck(env, '--grace', '0');
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.ok(r.stdout.includes(`orphan-file\t${file}\t${size}\n`), r.stdout);
        assert.ok(r.stdout.includes(`missing-file\tupload_submission\t${rec[0].id}\t${rec[0].s}\n`), r.stdout);
        assert.equal(r.out['orphan files'], `1 (${size} bytes)`);
        assert.equal(r.out.removed, '0 (0 bytes)');
        assert.match(r.out.rows, /, without their file: 1$/);
        assert.deepEqual(snapshot(env), snap, 'store-check without --repair changed the store');
        assert.deepEqual(await rowCounts(env), rows);

        // the default grace period (1 h): young leftovers are not touched
        r = await storeCheck(env, '--repair');
        assert.equal(r.out.removed, '0 (0 bytes)', r.stdout);
        assert.deepEqual(snapshot(env), snap);

        r = await storeCheck(env, '--grace', '0', '--repair');
        assert.equal(r.code, 1, 'the missing file still makes it fail');
        assert.ok(r.stdout.includes(`orphan-file\t${file}\t${size}\tremoved\n`), r.stdout);
        assert.ok(!fs.existsSync(file));
        assert.deepEqual(storeList(env, 'tmp'), []);
        assert.deepEqual(await rowCounts(env), rows, 'rows are never repaired');

        // the receipt comes back: all consistent
        fs.renameSync(path.join(storeDir(env), 'lost-receipt'), path.join(storeDir(env), 'files', rec[0].s));
        r = await storeCheck(env, '--grace', '0');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        await assertConsistent(env);
    });

    // Linux 6.13+ stamps files with a finer clock than time() reads, so a
    // file written this instant can be a second "in the future"; here an
    // hour ahead: grace 0 still means every file, the default grace keeps it
    test('a file stamped ahead of the clock: past a grace of 0, within the default', async () => {
        const env = h.env;
        const id = plantOrphan(env, 4321);
        const file = path.join(storeDir(env), 'files', id);
        const ahead = Date.now() / 1000 + 3600;
        fs.utimesSync(file, ahead, ahead);
        let r = await storeCheck(env, '--repair');
        assert.equal(r.out.removed, '0 (0 bytes)', r.stdout);
        assert.ok(fs.existsSync(file));
        r = await storeCheck(env, '--grace', '0', '--repair');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(r.stdout.includes(`orphan-file\t${file}\t4321\tremoved\n`), r.stdout);
        assert.ok(!fs.existsSync(file));
        await assertConsistent(env);
    });

    test('usage: --store is required, --grace must be seconds', async () => {
        let r = await admin(h.env, ['store-check']);
        assert.equal(r.code, 2);
        r = await storeCheck(h.env, '--grace', 'eine');
        assert.equal(r.code, 2);
        r = await admin(h.env, ['store-check', '--store', path.join(h.env.root, 'nirgends')]);
        assert.equal(r.code, 3);
    });
});

describe('two nodes on one store and one database', () => {
    // node A: reconcile off; node B: reconcile every tick with grace 0
    const a = useEnv({ sets: ['JobcenterStoreReconcileInterval 0'] });
    const b = { env: null };
    let cit, staff;
    after(() => b.env && b.env.stop());

    test('set-up: node B shares A\'s database, store and key', async () => {
        b.env = await startEnv({
            share: a.env,
            sets: ['JobcenterStoreReconcileInterval 1', 'JobcenterStoreReconcileGrace 0', 'LogLevel jobcenter:info']
        });
        assert.equal(storeDir(b.env), storeDir(a.env));
        const jc = await jobcenterWithStaff(a.env, { name: 'Jobcenter Zwei Knoten' });
        cit = await citizenWithProfile(a.env, jc, 'nodes');
        staff = await staffOf(a.env, jc, 'leistung');
    });

    test('upload and submit on A; the staff download and the receipt on B', async () => {
        const d = await newDraft(cit.c, 'geldleistung');
        const pdf = samples.pdf(70000);
        const up = await uploadRaw(cit.c, d, pdf, 'antrag.pdf');
        assert.equal(up.status, 201, up.text);
        const s = await submit(cit.c, d);
        assert.equal(s.status, 201, s.text);
        const onB = (c) => ({ base: b.env.base, jar: c.jar });
        const dl = await download(onB(staff.c), `/api/v1/staff/uploads/file?file=${up.json.files[0].id}`);
        assert.equal(dl.status, 200);
        assert.ok(dl.buf.equals(pdf), 'node B sent other bytes');
        const rec = await download(onB(cit.c), s.json.receipt);
        assert.equal(rec.status, 200);
        assert.equal(rec.buf.subarray(0, 5).toString(), '%PDF-');
    });

    test('B\'s reconcile (grace 0) and sweeps never remove A\'s upload in flight', async () => {
        const d = await newDraft(cit.c, 'geldleistung');
        const decoy = plantOrphan(a.env, 777);
        const up = await stalledUpload(a.env, cit, d);
        await waitUntil(() => !storeList(a.env, 'files').includes(decoy), { timeoutMs: 20000, intervalMs: 250,
            what: 'B\'s reconcile to remove a file without a row' });
        assert.match(b.env.errorLog(), new RegExp(`store reconcile: removed \\S+/files/${decoy} \\(777 bytes\\)`));
        await sleep(6000);              // one more round of B's watchdog
        // and the command on "node B" too
        const r = await storeCheck(b.env, '--grace', '0', '--repair');
        assert.match(r.out.files, /, 1 being written\)$/, r.stdout);
        assert.equal(r.code, 0, r.stdout);
        assert.ok(storeList(a.env, 'files').includes(up.first), 'A\'s committed file was removed');
        assert.equal(storeList(a.env, 'tmp').length, 1, 'A\'s temp file was removed');
        const answer = await up.finish();
        assert.match(answer, /^HTTP\/1\.1 201 /, answer);
        assert.equal(await a.env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id = ${d}`), 2);
        await assertConsistent(a.env);
        const s = await submit(cit.c, d);
        assert.equal(s.status, 201, s.text);
        await sleep(6000);              // B reconciles once more: nothing to do
        await assertConsistent(a.env);
    });

    test('stop node B', async () => {
        if (b.env) await b.env.stop();
        assert.deepEqual(b.env.unexpectedLogLines(), []);
    });
});

logTest();
