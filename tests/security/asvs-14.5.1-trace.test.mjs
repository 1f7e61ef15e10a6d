// ASVS 4.0.3 14.5.1: the server accepts only the HTTP methods the
// application uses. TRACE (httpd's default: TraceEnable On) would echo the
// request back, the HttpOnly session cookie included, to any script that
// can send it (cross-site tracing). The generated configuration sets
// TraceEnable Off: 405 for the static pages, the API and the staff pages,
// without the cookie in the answer; the session stays valid and unchanged.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import { rawRequest } from '../lib/rawhttp.mjs';

describe('TRACE', () => {
    const h = useEnv({});
    let cit;

    test('set-up: an authenticated citizen', async () => {
        cit = await authenticatedCitizen(h.env, 'trace');
    });

    for (const path of ['/', '/index.html', '/api/v1/me', '/api/v1/password-policy', '/sachbearbeitung/', '/link/freischaltcode']) {
        test(`TRACE ${path} with the session cookie: 405, the cookie is not echoed, the session unchanged`, async () => {
            const env = h.env;
            const cookie = cit.c.jar.header();
            const before = await env.db.query(`SELECT id_hash, state, last_seen, expires_at FROM session WHERE account_id = ${cit.id} ORDER BY id_hash`);
            const r = await rawRequest(env.port, `TRACE ${path} HTTP/1.1\r\nHost: 127.0.0.1:${env.port}\r\n`
                + `Cookie: ${cookie}\r\nX-Echo-Probe: trace-probe\r\nConnection: close\r\n\r\n`);
            assert.equal(r.status, 405, r.raw.slice(0, 300));
            for (const pair of cookie.split('; ')) {
                assert.ok(!r.raw.includes(pair.slice(pair.indexOf('=') + 1)), `the cookie ${pair.split('=')[0]} came back`);
            }
            assert.ok(!r.raw.includes('trace-probe'), 'the request was echoed');
            assert.notEqual(r.headers['content-type'], 'message/http');
            const after = await env.db.query(`SELECT id_hash, state, last_seen, expires_at FROM session WHERE account_id = ${cit.id} ORDER BY id_hash`);
            assert.deepEqual(after, before);
            const me = await cit.c.get('/api/v1/me');
            assert.equal(me.status, 200, me.text);
            assert.equal(me.json.session.state, 'authenticated');
        });
    }
});

logTest();
