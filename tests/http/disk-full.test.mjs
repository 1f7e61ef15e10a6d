// Disk full is a named condition (issue 14): the upload store on a full
// file system answers 507 storage_full and keeps nothing (no file, no row);
// the SQLite database on a full file system answers 503 with Retry-After,
// nothing stored, and the log names SQLITE_FULL (not the "cannot rollback"
// of the ROLLBACK after the failed COMMIT). Both come back once there is
// room again. Small tmpfs mounts under the test's temp dir (root only).
import { WORKER } from '../lib/worker.mjs';
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { run, uniqueEmail } from '../lib/util.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, citizenWithProfile, newDraft, uploadRaw, storeDir, storeList, multipart } from '../lib/uploads.mjs';
import { strongPassword, registration, assertError, counts } from '../lib/flows.mjs';

const MSG_FULL = 'Das Dokument konnte nicht gespeichert werden, weil der Speicherplatz des Jobcenters erschöpft '
    + 'ist. Es wurde nichts gespeichert. Bitte versuchen Sie es später erneut.';

async function mountTmpfs(dir, size) {
    fs.mkdirSync(dir, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
}
async function unmount(dir) {
    await run('umount', ['-l', dir], { check: false });
}

// Fill the file system of dir with root's file dir/filler until `leave`
// bytes are free (0: until ENOSPC).
function fill(dir, leave = 0) {
    const f = path.join(dir, 'filler');
    const fd = fs.openSync(f, 'a');
    const chunk = Buffer.alloc(4096, 0x5a);
    try {
        for (;;) {
            const st = fs.statfsSync(dir);
            if (leave > 0 && st.bavail * st.bsize <= leave) break;
            fs.writeSync(fd, chunk);
        }
    } catch (e) {
        if (e.code !== 'ENOSPC') throw e;
    } finally {
        fs.closeSync(fd);
    }
    return f;
}

// the env's files of a draft
const draftFiles = (env, d) => env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id = ${d}`);

describe('upload store full', () => {
    const mounted = [];
    const h = useEnv({
        // the 507 is logged at error with the cause (JC00101 … ENOSPC)
        allowLog: [/JC00101: POST \/api\/v1\/uploads\/files: storage_full \(upload store full \(ENOSPC\)/],
        beforeStart: async (env) => {
            const dir = storeDir(env);
            await mountTmpfs(dir, '2m');
            mounted.push(dir);
            await run('chown', [WORKER.owner, dir]);
        }
    });
    after(async () => {
        if (h.env) await h.env.stop();
        for (const d of mounted) await unmount(d);
    });
    let cit;

    test('set-up: a citizen with a person profile', async () => {
        const jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Voll' });
        cit = await citizenWithProfile(h.env, jc, 'full');
    });

    test('raw upload larger than the room left: 507 storage_full, German message, no file, no row', async () => {
        const env = h.env;
        const d = await newDraft(cit.c);
        const filler = fill(storeDir(env), 300 * 1024);
        try {
            const r = await uploadRaw(cit.c, d, samples.pdf(700 * 1024), 'gross.pdf', 'application/pdf');
            assertError(r, 507, 'storage_full');
            assert.equal(r.error.message, MSG_FULL);
            assert.deepEqual([storeList(env, 'tmp'), storeList(env, 'files')], [[], []], 'something was kept');
            assert.equal(Number(await draftFiles(env, d)), 0);
        } finally {
            fs.rmSync(filler);
        }
        // room again: the same upload is stored
        const ok = await uploadRaw(cit.c, d, samples.pdf(700 * 1024), 'gross.pdf', 'application/pdf');
        assert.ok(ok.status === 200 || ok.status === 201, ok.text);
        assert.equal(storeList(env, 'files').length, 1);
        assert.equal(Number(await draftFiles(env, d)), 1);
    });

    test('two files, the second does not fit: 507, the first one is removed too (nothing partial)', async () => {
        const env = h.env;
        const d = await newDraft(cit.c);
        const files = storeList(env, 'files');
        const filler = fill(storeDir(env), 400 * 1024);
        try {
            const m = multipart([
                { name: 'file', filename: 'klein.pdf', type: 'application/pdf', data: samples.pdf(100 * 1024) },
                { name: 'file', filename: 'gross.pdf', type: 'application/pdf', data: samples.pdf(600 * 1024) }
            ]);
            const r = await cit.c.post(`/api/v1/uploads/files?draft=${d}`, null,
                { raw: m.body, contentType: m.contentType, csrf: true });
            assertError(r, 507, 'storage_full');
            assert.deepEqual([storeList(env, 'tmp'), storeList(env, 'files')], [[], files], 'something was kept');
            assert.equal(Number(await draftFiles(env, d)), 0);
        } finally {
            fs.rmSync(filler);
        }
    });
});

describe('SQLite database on a full file system', () => {
    if (DB_KIND !== 'sqlite') {
        test('SQLite only (PostgreSQL manages its own storage)', { skip: true }, () => {});
        return;
    }
    const mounted = [];
    const h = useEnv({
        // the outbox and upload watchdogs meet the full database too
        allowLog: [/SQLITE_FULL|database or disk is full/],
        beforeStart: async (env) => {
            const dir = path.dirname(env.sqliteFile);
            const aside = path.join(env.root, 'db-aside');
            fs.mkdirSync(aside);
            for (const f of fs.readdirSync(dir)) fs.renameSync(path.join(dir, f), path.join(aside, f));
            await mountTmpfs(dir, '8m');
            mounted.push(dir);
            for (const f of fs.readdirSync(aside)) fs.copyFileSync(path.join(aside, f), path.join(dir, f));
            await run('chown', ['-R', WORKER.owner, dir]);
        }
    });
    after(async () => {
        if (h.env) await h.env.stop();
        for (const d of mounted) await unmount(d);
    });

    test('registration while the file system is full: 503 + Retry-After, nothing stored, SQLITE_FULL logged; '
        + 'fine again once there is room', async () => {
        const env = h.env;
        // warm-up: the server's connection, its WAL and shared memory exist
        const warm = await env.api.post('/api/v1/register', registration(uniqueEmail('warm'), strongPassword()));
        assert.equal(warm.status, 202, warm.text);
        const before = await counts(env);
        const email = uniqueEmail('full');
        const body = registration(email, strongPassword());
        const logFrom = env.errorLog().length;
        const filler = fill(path.dirname(env.sqliteFile));
        let r;
        try {
            r = await env.api.post('/api/v1/register', body);
        } finally {
            fs.rmSync(filler);
        }
        const log = env.errorLog().slice(logFrom);
        assertError(r, 503, 'service_unavailable', log);
        assert.match(r.headers.get('retry-after') || '', /^[1-9]\d*$/, 'Retry-After');
        assert.match(log, /JC00101: POST \/api\/v1\/register: service_unavailable \(SQLITE_FULL/, log);
        assert.doesNotMatch(log, /cannot rollback/);
        assert.deepEqual(await counts(env), before, 'a refused request changed the database');
        const ok = await env.api.post('/api/v1/register', body);
        assert.equal(ok.status, 202, ok.text);
    });
});

logTest();
