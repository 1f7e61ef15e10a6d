// Large uploads over HTTP: files above 1 MiB go through the upload
// pipeline of jc_upload_store.c (a hashing and a writing thread, the writer
// with O_DIRECT; JobcenterUploadDirectIO Off: normal writes). For both
// settings: raw bodies and curl -F multipart bodies whose sizes are not
// multiples of the block size arrive byte for byte with the SHA-256 that
// node computes, the staff download returns the same bytes, and a client
// that aborts after the pipeline started leaves no row, no file and no
// temp file. Also: the directive is refused inside a <VirtualHost>.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import { run, sleep, waitUntil } from '../lib/util.mjs';
import { APACHE_BIN } from '../lib/apache.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import {
    samples, sha256, citizenWithProfile, newDraft, uploadRaw, curlUpload, storeDir, storeList, writeTemp
} from '../lib/uploads.mjs';

const MAX_FILE = 24 * 1024 * 1024;

async function fileRows(env, accountId) {
    return Number(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE account_id = ${accountId}`));
}

async function storedBytes(env, fileId) {
    const row = (await env.db.query(`SELECT store_id, size, sha256 FROM upload_file WHERE id = ${fileId}`))[0];
    return { row, bytes: fs.readFileSync(path.join(storeDir(env), 'files', row.store_id)) };
}

function suite(direct) {
    describe(`large uploads, JobcenterUploadDirectIO ${direct}`, () => {
        const h = useEnv({
            sets: [`JobcenterUploadMaxFileSize ${MAX_FILE}`, 'JobcenterUploadMaxFiles 10',
                'JobcenterUploadMaxBytesPerDay 400000000', `JobcenterUploadDirectIO ${direct}`],
            extra: '<Location /api/v1/>\n    LimitRequestBody 0\n</Location>\n'
        });
        let cit;

        test('set-up: a citizen with a person profile', async () => {
            const jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
            cit = await citizenWithProfile(h.env, jc, `big${direct}`);
        });

        test('raw bodies of 1 MiB + 1, 9 MiB + 4097 and 20 MiB - 3 bytes: stored byte for byte, SHA-256 as node computes it', async () => {
            const env = h.env;
            const d = await newDraft(cit.c, 'geldleistung');
            for (const size of [1024 * 1024 + 1, 9 * 1024 * 1024 + 4097, 20 * 1024 * 1024 - 3]) {
                const buf = samples.pdf(size);
                const r = await uploadRaw(cit.c, d, buf, `gross-${size}.pdf`, 'application/pdf', { timeoutMs: 60000 });
                assert.equal(r.status, 201, r.text);
                const f = r.json.files[r.json.files.length - 1];
                assert.equal(f.size, size);
                assert.equal(f.sha256, sha256(buf));
                const { row, bytes } = await storedBytes(env, f.id);
                assert.equal(Number(row.size), size);
                assert.equal(row.sha256, sha256(buf));
                assert.ok(bytes.equals(buf), `${size}: stored bytes differ`);
            }
            assert.deepEqual(storeList(env, 'tmp'), []);
        });

        test('multipart (curl -F) with two large files: both stored byte for byte', async () => {
            const env = h.env;
            const d = await newDraft(cit.c, 'vermittlung');
            const a = samples.jpeg(5 * 1024 * 1024 + 3);
            const b = samples.png(3 * 1024 * 1024 + 777);
            const r = await curlUpload(env, cit.c, d, [
                { path: writeTemp(env, `a${direct}.jpg`, a), name: 'foto.jpg' },
                { path: writeTemp(env, `b${direct}.png`, b), name: 'scan.png' }]);
            assert.equal(r.status, 201, r.text);
            const byName = Object.fromEntries(r.json.files.map((f) => [f.name, f]));
            for (const [name, buf, mime] of [['foto.jpg', a, 'image/jpeg'], ['scan.png', b, 'image/png']]) {
                assert.equal(byName[name].size, buf.length);
                assert.equal(byName[name].sha256, sha256(buf));
                assert.equal(byName[name].type, mime);
                const { bytes } = await storedBytes(env, byName[name].id);
                assert.ok(bytes.equals(buf), `${name}: stored bytes differ`);
            }
            assert.deepEqual(storeList(env, 'tmp'), []);
        });

        test('a client that aborts after 6 MiB of 12 MiB (pipeline running) leaves no row, no file, no temp file', async () => {
            const env = h.env;
            const d = await newDraft(cit.c, 'geldleistung');
            const rows = await fileRows(env, cit.id);
            const files = storeList(env, 'files').length;
            const body = samples.pdf(12 * 1024 * 1024);
            const s = net.connect(env.port, '127.0.0.1');
            await new Promise((r) => s.on('connect', r));
            s.write(`POST /api/v1/uploads/files?draft=${d}&name=x.pdf HTTP/1.1\r\nHost: 127.0.0.1:${env.port}\r\n`
                + `Cookie: ${cit.c.jar.header()}\r\nX-CSRF-Token: ${cit.c.csrf}\r\nOrigin: ${cit.c.base}\r\n`
                + `Accept: application/json\r\nContent-Type: application/pdf\r\nContent-Length: ${body.length}\r\n\r\n`);
            await new Promise((r) => s.write(body.subarray(0, 6 * 1024 * 1024), r));
            const tmp = path.join(storeDir(env), 'tmp');
            await waitUntil(() => {
                const t = storeList(env, 'tmp');
                return t.length === 1 && fs.statSync(path.join(tmp, t[0])).size > 2 * 1024 * 1024;
            }, { timeoutMs: 10000, what: 'more than 2 MiB in the temp file' });
            s.destroy();
            await waitUntil(() => storeList(env, 'tmp').length === 0, { timeoutMs: 10000, what: 'temp file removed' });
            await sleep(200);
            assert.equal(await fileRows(env, cit.id), rows);
            assert.equal(storeList(env, 'files').length, files);
        });
    });
}

suite('On');
suite('Off');

describe('JobcenterUploadDirectIO in a <VirtualHost>', () => {
    const h = useEnv({});

    test('refused by the configuration check (main server only)', async () => {
        const env = h.env;
        const conf = path.join(env.root, 'vhost-directio.conf');
        const main = fs.readFileSync(env.conf, 'utf8');
        fs.writeFileSync(conf, `${main}\n<VirtualHost 127.0.0.1:${env.port}>\n    JobcenterUploadDirectIO Off\n</VirtualHost>\n`);
        const r = await run(APACHE_BIN, ['-t', '-f', conf], { timeoutMs: 20000, check: false });
        assert.notEqual(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /JobcenterUploadDirectIO cannot occur within <VirtualHost> section/);
    });
});

logTest();
