// The Apache gate: <Location /intern/> with AuthType jobcenter, Require
// jobcenter-session and JobcenterGateHeaders On, proxied (mod_proxy_http) to
// a node backend that echoes the request headers it received. Browsers
// without a two-factor session are sent to the login page, API/XHR clients
// get 401 JSON; spoofed X-Jobcenter-* headers never reach the backend;
// Require jobcenter-role refuses a citizen with 403 and no [error] line
// (staff roles themselves: staff.test.mjs).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import { echoBackend, loadModules, gateLocation } from '../lib/gate.mjs';

describe('gate', () => {
    let be;
    before(async () => { be = await echoBackend(); });
    after(() => be && be.close());

    const h = useEnv({
        extra: () => `
${loadModules('proxy', 'proxy_http')}
${gateLocation('/intern/', be.port, { headers: true })}
${gateLocation('/staff/', be.port, { require: 'jobcenter-role sachbearbeitung', forbidden: true })}
`
    });

    const browser = { Accept: 'text/html,application/xhtml+xml' };
    let full, setupOnly;

    test('set-up: an account with TOTP (authenticated) and one in mfa_setup_required', async () => {
        const env = h.env;
        const u = await authenticatedCitizen(env, 'gate-full');
        full = { c: u.c, id: String(u.id) };

        const u2 = await registerAndConfirm(env, uniqueEmail('gate-setup'), strongPassword());
        const c2 = env.client();
        const r = await c2.post('/api/v1/login', { login: u2.email, password: u2.password });
        assert.equal(r.json.state, 'mfa_setup_required');
        setupOnly = { c: c2 };
    });

    test('no cookie, browser: 303 to the login page with the return path', async () => {
        const n = be.seen.length;
        const r = await h.env.api.get('/intern/x?a=1', { headers: browser, jar: false });
        assert.ok([302, 303].includes(r.status), `${r.status} ${r.text}`);
        assert.equal(r.headers.get('location'), '/anmeldung.html?ziel=%2Fintern%2Fx%3Fa%3D1');
        assert.equal(be.seen.length, n, 'the backend was reached');
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
        const n = be.seen.length;
        const r = await setupOnly.c.get('/intern/x', { headers: browser });
        assert.ok([302, 303].includes(r.status), `${r.status}`);
        const j = await setupOnly.c.get('/intern/x');
        assert.equal(j.status, 401);
        assert.equal(be.seen.length, n, 'the backend was reached');
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
        const n = be.seen.length;
        const r = await h.env.api.get('/intern/z', { jar: false, headers: { ...browser, 'X-Jobcenter-User': '1' } });
        assert.ok([302, 303].includes(r.status));
        assert.equal(be.seen.length, n);
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
        const n = be.seen.length;
        const r = await full.c.get('/staff/x', { headers: browser });
        assert.equal(r.status, 403, r.text);
        assert.match(r.text, /Kein Zugriff/);
        const j = await full.c.get('/staff/x');
        assert.equal(j.status, 403, j.text);
        assert.equal(j.json.error.code, 'staff_only');
        assert.equal(be.seen.length, n);
        assert.doesNotMatch(h.env.errorLog(), /AH0163[01]|\[(?:authz_core:)?error\]/);
    });
});

logTest();
