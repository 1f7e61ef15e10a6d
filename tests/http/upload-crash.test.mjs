// Uploads and crashes: the Apache child that is receiving an upload is
// killed with SIGKILL mid-body; afterwards nothing partial is visible (no
// row, no file) and the temp file it left is removed by the upload
// watchdog of the next child (its writer's flock is gone). And the
// housekeeping: a draft older than 24 h is removed with its files.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { waitUntil, sleep, holderOf } from '../lib/util.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, citizenWithProfile, newDraft, uploadRaw, storeList, storeDir } from '../lib/uploads.mjs';

describe('upload crash', () => {
    // After the SIGKILL, the replacement child's mod_dbd sometimes fails
    // its child-init prepare on SQLite with "database is locked" (the
    // first connection after a crash recovers the WAL index); mod_dbd
    // opens connections again on demand and the child serves (the
    // requests after the crash below succeed). Stock mod_dbd lines, only
    // for SQLite and only in this file; with DBDMin 0 the first connection
    // is opened (and retried) by the module: AH02655 per failed attempt.
    const h = useEnv({
        sets: ['JobcenterUploadMaxFileSize 10000000'],
        allowLog: DB_KIND === 'sqlite'
            ? [/AH00632: failed to prepare SQL statements: database is locked/, /AH00633: failed to initialise/,
                /AH00636: child init failed!/,
                /AH02655: Failed to acquire DBD connection from pool/]
            : []
    });
    let cit;

    test('set-up: a citizen with a person profile', async () => {
        const jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Crash' });
        cit = await citizenWithProfile(h.env, jc, 'crash');
    });

    test('kill -9 of the child during an upload: no row, no file; the temp file is removed (bounded wait)', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const files = storeList(env, 'files').length;
        // 2.5 of 4 MB sent: past 1 MiB the upload pipeline (hashing and
        // O_DIRECT writing threads) is running when the child dies
        const body = samples.pdf(4000000);
        const s = net.connect(env.port, '127.0.0.1');
        s.on('error', () => {});
        await new Promise((r) => s.on('connect', r));
        s.write(`POST /api/v1/uploads/files?draft=${d}&name=crash.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n`
            + `Cookie: ${cit.c.jar.header()}\r\nX-CSRF-Token: ${cit.c.csrf}\r\nOrigin: ${cit.c.base}\r\n`
            + `Content-Type: application/pdf\r\nContent-Length: ${body.length}\r\n\r\n`);
        s.write(body.subarray(0, 2500000));
        await waitUntil(() => storeList(env, 'tmp').length === 1, { timeoutMs: 5000, what: 'the temp file' });
        const tmp = path.join(storeDir(env), 'tmp', storeList(env, 'tmp')[0]);
        await waitUntil(() => fs.statSync(tmp).size > 1536 * 1024, { timeoutMs: 5000,
            what: 'a slot written by the pipeline (temp file above 1.5 MiB)' });
        const pid = await waitUntil(() => holderOf(tmp), { timeoutMs: 5000, what: 'the child writing it' });
        assert.notEqual(pid, env.apache.pid, 'the parent holds the upload');
        process.kill(pid, 'SIGKILL');
        await waitUntil(() => { try { process.kill(pid, 0); return false; } catch { return true; } },
            { timeoutMs: 5000, what: 'the child to die' });
        s.destroy();
        // the temp file is still there right after the crash ...
        assert.equal(storeList(env, 'tmp').length, 1, 'nothing removed it yet (the writer is dead)');
        // ... and the watchdog of a new child removes it (runs every 5 s).
        // (The database is read only after that: a reader opening the
        // SQLite file while the new child's mod_dbd opens it races on the
        // WAL recovery the crash made necessary: AH00632 "locked".)
        await waitUntil(() => storeList(env, 'tmp').length === 0, { timeoutMs: 20000, intervalMs: 250,
            what: 'the orphaned temp file to be removed' });
        assert.equal(storeList(env, 'files').length, files);
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE account_id = ${cit.id}`), 0);
        // the server still works
        const ok = await uploadRaw(cit.c, d, samples.pdf(), 'danach.pdf');
        assert.equal(ok.status, 201, ok.text);
    });

    test('an upload in progress is not touched by the watchdog (its writer holds the lock)', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const body = samples.pdf(600000);
        const s = net.connect(env.port, '127.0.0.1');
        s.on('error', () => {});
        let answer = '';
        s.on('data', (x) => { answer += x; });
        await new Promise((r) => s.on('connect', r));
        s.write(`POST /api/v1/uploads/files?draft=${d}&name=langsam.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n`
            + `Cookie: ${cit.c.jar.header()}\r\nX-CSRF-Token: ${cit.c.csrf}\r\nOrigin: ${cit.c.base}\r\n`
            + `Content-Type: application/pdf\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        s.write(body.subarray(0, 100000));
        await waitUntil(() => storeList(env, 'tmp').length === 1, { timeoutMs: 5000, what: 'the temp file' });
        await sleep(7000);      // more than one watchdog interval and the minimum age
        assert.equal(storeList(env, 'tmp').length, 1, 'the watchdog removed a live upload');
        s.write(body.subarray(100000));
        await new Promise((r) => s.on('close', r));
        assert.match(answer, /^HTTP\/1\.1 201 /, answer);
        assert.equal(storeList(env, 'tmp').length, 0);
    });

    test('housekeeping: a draft older than 24 h is removed with its files', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'vermittlung');
        const r = await uploadRaw(cit.c, d, samples.png(), 'alt.png');
        assert.equal(r.status, 201, r.text);
        const sid = await env.db.scalar(`SELECT store_id FROM upload_file WHERE id = ${r.json.files[0].id}`);
        assert.ok(storeList(env, 'files').includes(sid));
        const keep = await newDraft(cit.c, 'vermittlung');
        await env.db.exec(`UPDATE upload_draft SET created_at = created_at - 86401 WHERE id = ${d}`);
        await waitUntil(async () => Number(await env.db.scalar(`SELECT count(*) FROM upload_draft WHERE id = ${d}`)) === 0,
            { timeoutMs: 20000, intervalMs: 250, what: 'the old draft to be removed' });
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id = ${d}`), 0);
        assert.ok(!storeList(env, 'files').includes(sid), 'its file is still in the store');
        assert.equal(await env.db.scalar(`SELECT count(*) FROM upload_draft WHERE id = ${keep}`), 1);
        // an expired draft takes no more files even before the watchdog ran
        const late = await newDraft(cit.c, 'vermittlung');
        await env.db.exec(`UPDATE upload_draft SET created_at = created_at - 86401 WHERE id = ${late}`);
        const x = await uploadRaw(cit.c, late, samples.pdf(), 'spaet.pdf');
        assert.equal(x.status, 404, x.text);
    });

    logTest();
});
