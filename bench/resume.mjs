// bench/resume.mjs -- issue 18's resumable-upload figure, with the test
// harness (tests/lib): run by bench/run.sh phase `resume`, or alone:
//   node --test-reporter=dot bench/resume.mjs            (as root)
//   RESUME_MIB (default 50), RESUME_DROPS (default 5), RESUME_OUT=FILE (the
//   summary lines; default: stdout only)
//
// tus-js-client (npm, the client the tests use) uploads a RESUME_MIB file
// to POST/PATCH /api/v1/uploads/tus through a TCP proxy on a loopback port
// (tests/lib/tusproxy.mjs) that drops the link RESUME_DROPS times, evenly
// spread over the file (at 1/(n+1), 2/(n+1), ...). The proxy counts every
// byte the client sends (request lines, headers, bodies of every request,
// also of requests the server refused); the figure is that total / the
// file size (target <= 1.1). Two kinds of drop:
//   fin  what crossed the link before the drop reaches the server (the
//        server sees the body end early), the client's connection is reset
//   rst  both sides are reset: bytes still in the socket buffers between
//        proxy and server are lost as well (the worst case)
// plus a run without drops (the protocol's own overhead). SQLite; the
// stored document's SHA-256 is checked after every run.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import crypto from 'node:crypto';
import * as tus from 'tus-js-client';
import { startEnv } from '../tests/lib/env.mjs';
import { cuttingProxy } from '../tests/lib/tusproxy.mjs';
import { jobcenterWithStaff } from '../tests/lib/fixtures.mjs';
import { samples, sha256, citizenWithProfile, newDraft } from '../tests/lib/uploads.mjs';

const MIB = Number(process.env.RESUME_MIB || 50);
const DROPS = Number(process.env.RESUME_DROPS || 5);
const SIZE = MIB * 1024 * 1024;
const lines = [];
const say = (l) => { lines.push(l); console.log(`# ${l}`); };

function upload(base, c, buf, draft) {
    return new Promise((resolve, reject) => {
        const up = new tus.Upload(buf, {
            endpoint: `${base}/api/v1/uploads/tus`,
            headers: { Cookie: c.jar.header(), 'X-CSRF-Token': c.csrf, Origin: c.base },
            metadata: { filename: 'bench.pdf', draft: String(draft) },
            retryDelays: [0, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000],
            onSuccess: () => resolve(up),
            onError: reject
        });
        up.start();
    });
}

describe(`resumable upload: ${MIB} MiB over a link that drops ${DROPS} times`, () => {
    let env, cit, buf;

    before(async () => {
        env = await startEnv({ db: 'sqlite', sets: [`JobcenterUploadMaxFileSize ${SIZE + 1024 * 1024}`,
            'JobcenterUploadMaxFiles 20', `JobcenterUploadMaxBytesPerDay ${20 * SIZE}`] });
        const jc = await jobcenterWithStaff(env, { name: `Jobcenter Bench ${crypto.randomBytes(3).toString('hex')}` });
        cit = await citizenWithProfile(env, jc, 'bench-resume');
        buf = samples.pdf(SIZE);
    });
    after(async () => {
        if (env) await env.stop();
        if (process.env.RESUME_OUT) fs.writeFileSync(process.env.RESUME_OUT, lines.join('\n') + '\n');
    });

    for (const [mode, drops] of [['none', 0], ['fin', DROPS], ['rst', DROPS]]) {
        test(`${mode}: ${drops} drops`, async () => {
            const cuts = Array.from({ length: drops }, (_, i) => Math.floor(((i + 1) / (drops + 1)) * SIZE));
            const proxy = await cuttingProxy(env.port, { cuts, mode: mode === 'none' ? 'fin' : mode });
            const draft = await newDraft(cit.c, 'geldleistung');
            const t0 = performance.now();
            try {
                const up = await upload(`http://127.0.0.1:${proxy.port}`, cit.c, buf, draft);
                const secs = (performance.now() - t0) / 1000;
                const tok = new URL(up.url).pathname.split('/').pop();
                const [row] = await env.db.query(`SELECT f.sha256 FROM tus_upload t JOIN upload_file f `
                    + `ON f.id = t.file_id WHERE t.token = '${tok}'`);
                assert.equal(row.sha256, sha256(buf), 'stored SHA-256');
                assert.equal(proxy.cutsDone(), drops);
                const ratio = proxy.sent() / SIZE;
                say(`resume ${mode.padEnd(4)} ${MIB} MiB, ${drops} drops: sent ${proxy.sent()} bytes = `
                    + `${ratio.toFixed(4)} x the file, ${secs.toFixed(2)} s; target <= 1.10: `
                    + `${ratio <= 1.1 ? 'met' : 'NOT met'}`);
            } finally {
                await proxy.close();
            }
        });
    }
});
