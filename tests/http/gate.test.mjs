// The Apache gate: <Location /intern/> with AuthType jobcenter, Require
// jobcenter-session and JobcenterGateHeaders On, proxied (mod_proxy_http) to
// a node backend that echoes the request headers it received. Browsers
// without a two-factor session are sent to the login page, API/XHR clients
// get 401 JSON; spoofed X-Jobcenter-* headers never reach the backend;
// Require jobcenter-role refuses a citizen with 403 and no [error] line
// (staff roles themselves: staff.test.mjs).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { generate } from 'otplib';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';

const MOD = '/usr/lib/apache2/modules';
const nowSec = () => Math.floor(Date.now() / 1000);

describe('gate', () => {
    let backend, backendPort;
    const seen = [];
    before(async () => {
        backend = http.createServer((req, res) => {
            seen.push({ url: req.url, headers: req.headers });
            res.setHeader('Content-Type', 'application/json');
            res.end(JSON.stringify({ url: req.url, headers: req.headers }));
        });
        await new Promise((r) => backend.listen(0, '127.0.0.1', r));
        backendPort = backend.address().port;
    });
    after(() => backend && backend.close());

    const h = useEnv({
        extra: () => `
LoadModule proxy_module ${MOD}/mod_proxy.so
LoadModule proxy_http_module ${MOD}/mod_proxy_http.so
<Location /intern/>
    AuthType jobcenter
    Require jobcenter-session
    JobcenterGateHeaders On
    ProxyPass http://127.0.0.1:${backendPort}/
</Location>
<Location /staff/>
    AuthType jobcenter
    AuthzSendForbiddenOnFailure On
    Require jobcenter-role sachbearbeitung
    ProxyPass http://127.0.0.1:${backendPort}/
</Location>
`
    });

    const browser = { Accept: 'text/html,application/xhtml+xml' };
    let full, setupOnly;

    test('set-up: an account with TOTP (authenticated) and one in mfa_setup_required', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('gate-full'), strongPassword());
        const c = env.client();
        let r = await c.post('/api/v1/login', { login: u.email, password: u.password });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'mfa_setup_required');
        const s = await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
        assert.equal(s.status, 200, s.text);
        const code = await generate({ secret: s.json.secret.replace(/\s+/g, ''), epoch: nowSec() });
        r = await c.post('/api/v1/mfa/totp/confirm', { code }, { csrf: true });
        assert.equal(r.status, 200, r.text);
        const me = await c.get('/api/v1/me');
        assert.equal(me.json.session.state, 'authenticated', me.text);
        full = { c, id: String(me.json.account.id) };

        const u2 = await registerAndConfirm(env, uniqueEmail('gate-setup'), strongPassword());
        const c2 = env.client();
        r = await c2.post('/api/v1/login', { login: u2.email, password: u2.password });
        assert.equal(r.json.state, 'mfa_setup_required');
        setupOnly = { c: c2 };
    });

    test('no cookie, browser: 303 to the login page with the return path', async () => {
        const n = seen.length;
        const r = await h.env.api.get('/intern/x?a=1', { headers: browser, jar: false });
        assert.ok([302, 303].includes(r.status), `${r.status} ${r.text}`);
        assert.equal(r.headers.get('location'), '/anmeldung.html?ziel=%2Fintern%2Fx%3Fa%3D1');
        assert.equal(seen.length, n, 'the backend was reached');
    });

    test('no cookie, JSON client: 401 not_authenticated', async () => {
        const r = await h.env.api.get('/intern/x', { jar: false });
        assert.equal(r.status, 401, r.text);
        assert.equal(r.error.code, 'not_authenticated');
        const x = await h.env.api.get('/intern/x', { jar: false,
            headers: { Accept: '*/*', 'X-Requested-With': 'XMLHttpRequest' } });
        assert.equal(x.status, 401, x.text);
    });

    test('a session in mfa_setup_required is not enough', async () => {
        const n = seen.length;
        const r = await setupOnly.c.get('/intern/x', { headers: browser });
        assert.ok([302, 303].includes(r.status), `${r.status}`);
        const j = await setupOnly.c.get('/intern/x');
        assert.equal(j.status, 401);
        assert.equal(seen.length, n, 'the backend was reached');
    });

    test('authenticated: the backend sees X-Jobcenter-User and Auth-Level, spoofed values replaced', async () => {
        const r = await full.c.get('/intern/y?b=2', { headers: { ...browser, 'X-Jobcenter-User': '1',
            'x-jobcenter-kundennummer': '4711', 'X-JOBCENTER-AUTH-LEVEL': 'none' } });
        assert.equal(r.status, 200, r.text);
        const got = JSON.parse(r.text);
        assert.equal(got.url, '/y?b=2');
        assert.equal(got.headers['x-jobcenter-user'], full.id);
        assert.equal(got.headers['x-jobcenter-auth-level'], '2fa');
        assert.equal(got.headers['x-jobcenter-kundennummer'], undefined);
    });

    test('a spoofed header without a session never reaches the backend', async () => {
        const n = seen.length;
        const r = await h.env.api.get('/intern/z', { jar: false, headers: { ...browser, 'X-Jobcenter-User': '1' } });
        assert.ok([302, 303].includes(r.status));
        assert.equal(seen.length, n);
    });

    test('a return path that is not a same-site path is not passed on (absolute-form request)', async () => {
        const url = new URL(h.env.base);
        const text = await new Promise((resolve, reject) => {
            const sock = net.connect(Number(url.port), '127.0.0.1', () => {
                sock.write(`GET http://127.0.0.1:${url.port}/intern/x HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\n`
                    + 'Accept: text/html\r\nConnection: close\r\n\r\n');
            });
            let buf = '';
            sock.on('data', (d) => { buf += d; });
            sock.on('end', () => resolve(buf));
            sock.on('error', reject);
        });
        assert.match(text, /^HTTP\/1\.1 30[23] /);
        assert.match(text, /\r\nLocation: \/anmeldung\.html\r\n/i);
    });

    test('Require jobcenter-role: a citizen gets 403 (German page / JSON), never the backend, no [error] line', async () => {
        const n = seen.length;
        const r = await full.c.get('/staff/x', { headers: browser });
        assert.equal(r.status, 403, r.text);
        assert.match(r.text, /Kein Zugriff/);
        const j = await full.c.get('/staff/x');
        assert.equal(j.status, 403, j.text);
        assert.equal(j.json.error.code, 'staff_only');
        assert.equal(seen.length, n);
        assert.doesNotMatch(h.env.errorLog(), /AH0163[01]|\[(?:authz_core:)?error\]/);
    });
});

logTest();
