// ASVS 4.0.3 14.1.3 (server configuration hardened), against slow-client
// denial of service (slowloris): the generated configuration loads
// mod_reqtimeout with
//     RequestReadTimeout handshake=10-30,MinRate=500
//         header=20-40,MinRate=500 body=20,MinRate=1000
// so a client that dribbles its request headers or an upload body (one
// byte every 2 s, each byte well within httpd's Timeout 60) no longer holds
// a worker thread indefinitely: it is cut (408) after about 20 s. Slow but
// real uploads still pass: a 2 MiB file through curl --limit-rate 64k
// (above 3G's ~50 kB/s) and a paced upload at ~50 kB/s with a 15 s stall
// (a mobile link losing its radio). The cut upload leaves no row and no
// file in the store. Also: the site part the Debian package ships
// (gen-config.sh --site-only, debian/gen-site.sh) carries these values
// and passes `apache2 -t` inside a <VirtualHost>.
//
// The four slow clients run concurrently (about 35 s in all).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { useEnv, logTest, TOP } from '../lib/env.mjs';
import { run, sleep, waitUntil } from '../lib/util.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile, newDraft, storeList, writeTemp } from '../lib/uploads.mjs';
import { dribble, parseResponse } from '../lib/rawhttp.mjs';

// generous upper bounds: the configuration cuts after ~20 s (header) and
// ~20 s + 4 s (body: 4096 bytes at 1000 bytes/s extend the 20 s)
const HEADER_CUT_MAX_S = 45;
const BODY_CUT_MAX_S = 50;

async function draftRows(env, draft) {
    return Number(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE draft_id = ${draft}`));
}

function uploadHead(env, c, draft, name, length) {
    return `POST /api/v1/uploads/files?draft=${draft}&name=${name} HTTP/1.1\r\n`
        + `Host: 127.0.0.1:${env.port}\r\nCookie: ${c.jar.header()}\r\nX-CSRF-Token: ${c.csrf}\r\n`
        + `Origin: ${c.base}\r\nAccept: application/json\r\nContent-Type: application/pdf\r\n`
        + `Content-Length: ${length}\r\nConnection: close\r\n\r\n`;
}

// A raw upload paced like a mobile link: `slice` bytes every `everyMs`,
// with one pause of stallMs after stallAt bytes. Bounded by maxMs.
async function pacedUpload(env, c, draft, body, { slice, everyMs, stallAt, stallMs, maxMs = 120000 }) {
    const s = net.connect(env.port, '127.0.0.1');
    await new Promise((resolve, reject) => {
        s.once('connect', resolve);
        s.once('error', reject);
    });
    const chunks = [];
    let closed = false;
    s.on('data', (b) => chunks.push(b));
    s.on('close', () => { closed = true; });
    s.on('error', () => {});
    const start = Date.now();
    s.write(uploadHead(env, c, draft, 'mobil.pdf', body.length));
    let sent = 0;
    let stalled = false;
    while (sent < body.length && !closed && Date.now() - start < maxMs) {
        if (!stalled && sent >= stallAt) {
            stalled = true;
            await sleep(stallMs);
            continue;
        }
        s.write(body.subarray(sent, sent + slice));
        sent = Math.min(sent + slice, body.length);
        await sleep(everyMs);
    }
    await waitUntil(() => closed, { timeoutMs: 30000, what: 'the answer to the paced upload' }).catch(() => {});
    s.destroy();
    return { sent, secs: (Date.now() - start) / 1000, ...parseResponse(Buffer.concat(chunks).toString('latin1')) };
}

describe('slow clients are cut, slow real uploads pass', () => {
    const h = useEnv({ sets: ['JobcenterUploadMaxFiles 20'] });
    let cit;
    const drafts = [];

    before(async () => {
        const jc = await jobcenterWithStaff(h.env, { name: 'Jobcenter Rems-Murr' });
        cit = await citizenWithProfile(h.env, jc, 'slow');
        for (let i = 0; i < 3; i++) drafts.push(await newDraft(cit.c, 'geldleistung'));
    });

    describe('five slow clients at the same time', { concurrency: true }, () => {
        test('request headers dribbled (one byte every 2 s): connection cut within the header timeout', async () => {
            const env = h.env;
            const r = await dribble(env.port, {
                head: `GET /api/v1/password-policy HTTP/1.1\r\nHost: 127.0.0.1:${env.port}\r\nX-Slow: `,
                gapMs: 2000, maxMs: HEADER_CUT_MAX_S * 1000 + 5000
            });
            assert.ok(r.cut, `still connected after ${r.secs} s of one header byte every 2 s (no header timeout)`);
            assert.ok(r.secs <= HEADER_CUT_MAX_S, `cut only after ${r.secs} s`);
            // httpd answers a header timeout with 408 (or just closes)
            assert.ok(r.status === null || r.status === 408, r.response.raw.slice(0, 200));
        });

        test('upload body dribbled (4 KiB, then one byte every 2 s): 408, no row', async () => {
            const env = h.env;
            const body = samples.pdf(1024 * 1024);
            const r = await dribble(env.port, {
                head: uploadHead(env, cit.c, drafts[0], 'langsam.pdf', body.length), body, first: 4096,
                gapMs: 2000, maxMs: BODY_CUT_MAX_S * 1000 + 5000
            });
            assert.ok(r.cut, `still connected after ${r.secs} s and ${r.sent} bytes (no body timeout)`);
            assert.ok(r.secs <= BODY_CUT_MAX_S, `cut only after ${r.secs} s`);
            assert.ok(r.sent < 4096 + 40, `${r.sent} bytes sent`);
            assert.equal(r.status, 408, r.response.raw.slice(0, 300));
            assert.equal(JSON.parse(r.response.body).error.code, 'body_unreadable');
            assert.equal(await draftRows(env, drafts[0]), 0);
        });

        test('JSON body dribbled (a login, then one byte every 2 s): 408 body_unreadable',
            async () => {
                const env = h.env;
                const body = Buffer.from(JSON.stringify({ login: 'slow@example.org', password: 'x'.repeat(200) }));
                const r = await dribble(env.port, {
                    head: `POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1:${env.port}\r\nOrigin: ${env.base}\r\n`
                        + `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
                    body, first: 10, gapMs: 2000, maxMs: BODY_CUT_MAX_S * 1000 + 5000
                });
                assert.ok(r.cut, `still connected after ${r.secs} s (no body timeout)`);
                assert.ok(r.secs <= BODY_CUT_MAX_S, `cut only after ${r.secs} s`);
                assert.equal(r.status, 408, r.response.raw.slice(0, 300));
                assert.equal(JSON.parse(r.response.body).error.code, 'body_unreadable');
            });

        test('a real upload of 2 MiB through curl --limit-rate 64k (~32 s) is stored byte for byte', async () => {
            const env = h.env;
            const buf = samples.pdf(2 * 1024 * 1024);
            const file = writeTemp(env, 'langsam-64k.pdf', buf);
            const c = cit.c;
            const r = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', '--limit-rate', '64k',
                '-H', `Cookie: ${c.jar.header()}`, '-H', `X-CSRF-Token: ${c.csrf}`, '-H', `Origin: ${c.base}`,
                '-H', 'Accept: application/json', '-H', 'Content-Type: application/pdf', '--data-binary', `@${file}`,
                `${env.base}/api/v1/uploads/files?draft=${drafts[1]}&name=langsam.pdf`], { timeoutMs: 120000 });
            const i = r.stdout.lastIndexOf('\n');
            assert.equal(r.stdout.slice(i + 1), '201', r.stdout);
            const f = JSON.parse(r.stdout.slice(0, i)).files[0];
            assert.equal(f.size, buf.length);
            assert.equal(f.sha256, sha256(buf));
            const row = (await env.db.query(`SELECT size, sha256 FROM upload_file WHERE id = ${f.id}`))[0];
            assert.equal(Number(row.size), buf.length);
            assert.equal(row.sha256, sha256(buf));
        });

        test('a paced upload at ~50 kB/s (3G) with a 15 s stall after 64 KiB is stored', async () => {
            const env = h.env;
            const buf = samples.pdf(768 * 1024);
            const r = await pacedUpload(env, cit.c, drafts[2], buf,
                { slice: 10240, everyMs: 200, stallAt: 64 * 1024, stallMs: 15000 });
            assert.equal(r.sent, buf.length);
            assert.equal(r.status, 201, r.raw.slice(0, 300));
            const f = JSON.parse(r.body).files[0];
            assert.equal(f.size, buf.length);
            assert.equal(f.sha256, sha256(buf));
        });
    });

    test('the store holds exactly the two stored uploads: the cut one left no file and no temp file', async () => {
        const env = h.env;
        await waitUntil(() => storeList(env, 'tmp').length === 0, { timeoutMs: 10000, what: 'temp files removed' });
        const rows = await env.db.query('SELECT store_id FROM upload_file ORDER BY store_id');
        assert.equal(rows.length, 2);
        assert.deepEqual(storeList(env, 'files'), rows.map((r) => r.store_id).sort());
    });
});

describe('the installed site (gen-config.sh --site-only)', () => {
    const h = useEnv({});

    test('carries the hardening and passes apache2 -t inside a <VirtualHost>', async () => {
        const env = h.env;
        const site = (await run(path.join(TOP, 'tools', 'gen-config.sh'), ['--site-only', '--root',
            path.join(env.root, 'site-only'), '--port', '80', '--base-url', 'https://portal.example.org',
            '--sqlite-file', path.join(env.root, 'site.sqlite'), '--secret-key',
            path.join(env.apacheRoot, 'secret.key')])).stdout;
        for (const d of [/^RequestReadTimeout handshake=\d+-\d+,MinRate=\d+ header=20-40,MinRate=500 body=20,MinRate=1000$/m,
            /^TraceEnable Off$/m, /^ServerSignature Off$/m, /^UseCanonicalName On$/m]) {
            assert.match(site, d);
        }
        // ServerTokens is main-server only: not in the site part
        assert.doesNotMatch(site, /^\s*ServerTokens/m);
        // the environment's own main server with the site in a VirtualHost
        // (its DBD set-up left out: the main server has one already)
        const main = fs.readFileSync(env.conf, 'utf8');
        const conf = path.join(env.root, 'vhost-site.conf');
        fs.mkdirSync(path.join(env.root, 'site-only', 'uploads'), { recursive: true });
        fs.writeFileSync(conf, `${main}\n<VirtualHost 127.0.0.1:${env.port}>\nServerName https://portal.example.org\n`
            + `${site.replace(/<IfDefine !JC_NO_DBD_SETUP>[\s\S]*?<\/IfDefine>/, '')}\n</VirtualHost>\n`);
        const t = await run('apache2', ['-t', '-f', conf], { check: false });
        assert.equal(t.code, 0, `${t.stdout}${t.stderr}`);
    });
});

logTest();
