// Concurrent uploads share their flushes (issue 18) and stay durable.
// 24 uploads at once go to one child (StartServers 1, 25 threads). All
// land: 201 with their SHA-256, one row each, the file in files/ with its
// bytes. Durable in the sense that the code path answers each upload only
// after the fsyncs that cover it, read from an strace of the server taken
// during the batch (a test cannot pull the power):
//   - an fsync of the upload's file (under its temp name tmp/<x>.part or,
//     once renamed, files/<id>) that began after its last write ended
//     before the response (HTTP/1.1 201 written by the thread that did
//     the rename tmp/<x>.part -> files/<id>);
//   - an fsync of the directory files/ that STARTED after the rename had
//     returned ENDED before the response (one fsync of a directory makes
//     every entry renamed into it before the call durable);
//   - on SQLite, an fdatasync/fsync of the database's -wal file (the
//     row's COMMIT) started after that directory fsync and ended before
//     the response (PostgreSQL commits in its own server);
//   - fewer directory fsyncs than uploads: they were shared (the code
//     before issue 18 made one per upload: this assertion failed there).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { sleep, waitUntil } from '../lib/util.mjs';
import { startStrace, parseStrace } from '../lib/strace.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile, newDraft, storeDir, storeList } from '../lib/uploads.mjs';

const N = 24;
const SIZE = 150000;

describe('upload group commit', () => {
    const h = useEnv({ sets: ['JobcenterUploadMaxFiles 50'] });
    let cit;

    test('set-up: a citizen with a person profile', async () => {
        const jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Gruppe' });
        cit = await citizenWithProfile(h.env, jc, 'grp');
    });

    test(`${N} concurrent uploads: all land; each is answered only after its file's fsync, a directory fsync `
        + 'that began after its rename and (SQLite) the WAL sync of its row; directory fsyncs are shared', async () => {
        const env = h.env;
        const d = await newDraft(cit.c, 'geldleistung');
        const files = storeList(env, 'files').length;
        const bodies = Array.from({ length: N }, () => samples.pdf(SIZE));
        const trace = path.join(env.root, 'strace.txt');
        // warm: the child has its database connection and statements
        await cit.c.get('/api/v1/uploads/context');
        // every body but its last byte on its own connection; once all of
        // them are in temp files, the last bytes at once: the commits run
        // together (strace slows the server down, and bodies that finish
        // one after the other would share nothing)
        const st = await startStrace(env, trace,
            'trace=rename,renameat,renameat2,fsync,fdatasync,write,writev,pwrite64,sendfile');
        let res;
        try {
            const socks = [];
            for (const [i, b] of bodies.entries()) {
                const s = net.connect(env.port, '127.0.0.1');
                s.on('error', () => {});
                await new Promise((r) => s.on('connect', r));
                let out = '';
                s.on('data', (x) => { out += x.toString('latin1'); });
                const closed = new Promise((r) => s.on('close', () => r(out)));
                s.write(`POST /api/v1/uploads/files?draft=${d}&name=g${i}.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n`
                    + `Cookie: ${cit.c.jar.header()}\r\nX-CSRF-Token: ${cit.c.csrf}\r\nOrigin: ${cit.c.base}\r\n`
                    + `Accept: application/json\r\nContent-Type: application/pdf\r\nConnection: close\r\n`
                    + `Content-Length: ${b.length}\r\n\r\n`);
                s.write(b.subarray(0, b.length - 1));
                socks.push({ s, closed });
            }
            await waitUntil(() => {
                const parts = storeList(env, 'tmp');
                return parts.length === N && parts.every((f) => {
                    try { return fs.statSync(path.join(storeDir(env), 'tmp', f)).size === SIZE - 1; } catch { return false; }
                });
            }, { timeoutMs: 20000, intervalMs: 20, what: `${N} temp files with all but the last byte` });
            for (const [i, x] of socks.entries()) x.s.write(bodies[i].subarray(SIZE - 1));
            res = await Promise.all(socks.map(async (x) => {
                const text = await Promise.race([x.closed, sleep(30000).then(() => 'timeout')]);
                const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
                const body = text.slice(text.indexOf('\r\n\r\n') + 4);
                let json = null;
                try { json = JSON.parse(body); } catch { /* not JSON */ }
                return { status, text, json };
            }));
        } finally {
            await st.stop();
        }
        // all landed
        for (const [i, r] of res.entries()) {
            assert.equal(r.status, 201, r.text);
            assert.equal(r.json.files[0].sha256, sha256(bodies[i]));
        }
        const rows = await env.db.query(`SELECT name, store_id, sha256, size FROM upload_file WHERE draft_id = ${d}`);
        assert.equal(rows.length, N);
        assert.equal(storeList(env, 'files').length, files + N);
        const byStore = new Map();
        for (const row of rows) {
            const i = Number(/^g(\d+)\.pdf$/.exec(row.name)[1]);
            assert.equal(row.sha256, sha256(bodies[i]));
            assert.ok(fs.readFileSync(path.join(storeDir(env), 'files', row.store_id)).equals(bodies[i]));
            byStore.set(row.store_id, i);
        }

        // the trace
        const calls = parseStrace(fs.readFileSync(trace, 'utf8'));
        const filesDir = fs.realpathSync(path.join(storeDir(env), 'files'));
        const dirSyncs = calls.filter((c) => (c.name === 'fsync' || c.name === 'fdatasync') && c.ret === '0'
            && c.args === `${/^\d+/.exec(c.args)?.[0]}<${filesDir}>`);
        const walSyncs = calls.filter((c) => (c.name === 'fsync' || c.name === 'fdatasync') && c.ret === '0'
            && /-wal>$/.test(c.args));
        const renames = calls.filter((c) => c.name.startsWith('rename') && c.ret === '0'
            && c.args.includes(`${filesDir}/`));
        let checked = 0;
        for (const rn of renames) {
            const id = /\/files\/([0-9a-f]{32})"/.exec(rn.args)?.[1];
            if (!byStore.has(id)) continue;
            // the response: the first "HTTP/1.1 201" the same thread writes after the rename
            const resp = calls.find((c) => c.tid === rn.tid && c.start >= rn.end
                && /^(write|writev|sendfile)$/.test(c.name) && c.args.includes('HTTP/1.1 201'));
            assert.ok(resp, `upload ${byStore.get(id)} (${id}): no 201 written by thread ${rn.tid} after its rename`);
            // the file's fsync (under its temp name or, renamed first, under
            // files/<id>) after its last write and before the response
            const tmpPath = /^"([^"]+)"/.exec(rn.args)[1];
            const isFile = (c) => c.args.includes(`<${tmpPath}>`) || c.args.includes(`<${filesDir}/${id}>`);
            const lastWrite = Math.max(...calls.filter((c) => /^(write|writev|pwrite64)$/.test(c.name) && isFile(c))
                .map((c) => c.end));
            assert.ok(lastWrite > 0, `upload ${byStore.get(id)}: its writes are not in the trace`);
            const fileSync = calls.find((c) => c.tid === rn.tid && (c.name === 'fsync' || c.name === 'fdatasync')
                && c.ret === '0' && isFile(c) && c.start >= lastWrite && c.end <= resp.start);
            assert.ok(fileSync, `upload ${byStore.get(id)}: no fsync of its file between its last write and its response`);
            const dirs = dirSyncs.filter((c) => c.start >= rn.end && c.end <= resp.start);
            assert.ok(dirs.length > 0, `upload ${byStore.get(id)}: no fsync of files/ that began after its rename `
                + `(${rn.end}) and ended before its response (${resp.start})`);
            if (DB_KIND === 'sqlite') {
                const firstDir = Math.min(...dirs.map((c) => c.end));
                assert.ok(walSyncs.some((c) => c.start >= firstDir && c.end <= resp.start),
                    `upload ${byStore.get(id)}: no WAL sync between its directory fsync and its response`);
            }
            checked++;
        }
        assert.equal(checked, N, `renames of the ${N} uploads found in the trace: ${checked}`);
        const used = dirSyncs.filter((c) => c.start >= Math.min(...renames.map((r) => r.start)));
        console.log(`# ${N} uploads: ${used.length} fsyncs of files/, ${walSyncs.length} WAL syncs (${DB_KIND})`);
        assert.ok(used.length < N, `${used.length} fsyncs of files/ for ${N} uploads: not shared`);
    });
});

logTest();
