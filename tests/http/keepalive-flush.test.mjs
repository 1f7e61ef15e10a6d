// A small API answer is written by the handler itself (issue 20). Without a
// flush the core output filter sets a response below its 4 KB minimum write
// aside and writes it only in write completion, after Apache has looked for
// a next request on the connection: a fast keep-alive client (wrk, a proxy
// on the same host) then never finds Apache still on its connection, and
// every request goes through the event MPM's listener thread -- a
// sequential /me took twice the time of a static file, whose file bucket
// is written at once (bench/fair.sh; context switches per request 2.3-2.9
// against the file's 1.1, 1.1 with the flush). A test cannot time that; it
// reads the order from an strace of the server: on a keep-alive connection
// the answer is written before Apache's look for a next request (a read
// that finds nothing, EAGAIN). Unflushed, that read came first.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest } from '../lib/env.mjs';
import net from 'node:net';
import { startStrace, parseStrace } from '../lib/strace.mjs';
import { createJobcenter, createStaffAccount } from '../lib/fixtures.mjs';
import { mintSessions } from '../lib/sessions.mjs';
import { PROXY_MODULES, gateLocation } from '../lib/gate.mjs';

// One request on a keep-alive connection: resolves with the first complete
// answer (by its Content-Length) and closes the connection then.
function keepAliveRequest(port, text) {
    return new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        let buf = '';
        const timer = setTimeout(() => { s.destroy(); reject(new Error('no answer within 10 s')); }, 10000);
        s.on('connect', () => s.write(text));
        s.on('data', (b) => {
            buf += b.toString('latin1');
            const end = buf.indexOf('\r\n\r\n');
            const m = end < 0 ? null : /\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end));
            if (m && buf.length >= end + 4 + Number(m[1])) {
                clearTimeout(timer);
                s.destroy();
                resolve({ status: Number(buf.slice(9, 12)), text: buf });
            }
        });
        s.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
}

describe('keep-alive: an answer is written before Apache looks for the next request', () => {
    // a Location the gate guards; it denies before the proxy would
    // connect, so the backend port is never used
    const h = useEnv({ extra: () => `\n${PROXY_MODULES}\n${gateLocation('/intern/', 9)}\n` });
    let token;

    test('set-up: a session', async () => {
        const jc = await createJobcenter(h.env);
        const id = await createStaffAccount(h.env, jc.id);
        [{ token }] = await mintSessions(h.env, [{ account: id, state: 'authenticated' }]);
    });

    const host = () => `Host: 127.0.0.1:${h.env.port}\r\n`;
    const cases = [
        ['GET /api/v1/me (200)', () => `GET /api/v1/me HTTP/1.1\r\n${host()}Cookie: jc_session=${token}\r\n`, 200],
        ['GET /api/v1/me without a session (401)', () => `GET /api/v1/me HTTP/1.1\r\n${host()}`, 401],
        ['the gate\'s own answer to a gated page without a session',
            () => `GET /intern/akte HTTP/1.1\r\n${host()}Accept: application/json\r\n`, 401]
    ];
    for (const [what, head, status] of cases) {
        test(`${what}: written before the look for a next request`, async () => {
            const req = `${head()}\r\n`;
            // the child has its connection and statements (the gate's too)
            await keepAliveRequest(h.env.port, req);
            const file = path.join(h.env.root, `strace-keepalive-${status}-${Date.now()}.txt`);
            const st = await startStrace(h.env, file, 'trace=read,readv,recvfrom,writev,write,sendmsg', { strsize: 16 });
            let res;
            try {
                res = await keepAliveRequest(h.env.port, req);
            } finally {
                await st.stop();
            }
            assert.equal(res.status, status, res.text.slice(0, 300));
            // the socket calls of the thread that read the request
            const calls = parseStrace(fs.readFileSync(file, 'utf8')).filter((c) => /^\d+<socket:/.test(c.args));
            const got = calls.findIndex((c) => /^(read|readv|recvfrom)$/.test(c.name) && c.args.includes('GET /'));
            assert.ok(got >= 0, 'the request was read');
            const mine = calls.slice(got + 1).filter((c) => c.tid === calls[got].tid);
            const answer = mine.findIndex((c) => /^(writev|write|sendmsg)$/.test(c.name) && c.args.includes('HTTP/1.1 '));
            const look = mine.findIndex((c) => /^(read|readv|recvfrom)$/.test(c.name) && c.ret === '-1');
            const seq = mine.map((c) => `${c.name}=${c.ret}`).join(' ');
            assert.ok(answer >= 0, `the answer was written by the thread that read the request: ${seq}`);
            assert.ok(look < 0 || answer < look, `the answer was written after the look for a next request: ${seq}`);
        });
    }

    logTest();
});
