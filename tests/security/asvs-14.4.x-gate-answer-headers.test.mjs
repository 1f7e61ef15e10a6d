// ASVS 4.0.3 V14.4.3 (Content-Security-Policy), 14.4.4 (nosniff), 14.4.6
// (Referrer-Policy), 14.4.7 (not framed: frame-ancestors, X-Frame-Options):
// the gate's own answers on a Location outside the portal's htdocs (so no
// "Header always set" of the site applies) carry these headers themselves:
// the German 403 page of Require jobcenter-role, its JSON twin, the 401 JSON
// and the 303 to the login page. A backend's own answers pass unchanged
// (the gate adds nothing to them).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import { echoBackend, PROXY_MODULES, gateLocation } from '../lib/gate.mjs';

function assertSafe(r, what) {
    const csp = r.headers.get('content-security-policy');
    assert.ok(csp, `${what}: no Content-Security-Policy`);
    const dirs = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0]).map(([k, ...v]) => [k, v.join(' ')]));
    assert.equal(dirs['default-src'], "'none'", `${what}: ${csp}`);
    assert.equal(dirs['frame-ancestors'], "'none'", `${what}: ${csp}`);
    assert.equal(dirs['base-uri'], "'none'", `${what}: ${csp}`);
    assert.ok(!/unsafe|\*|data:|http/.test(csp), `${what}: ${csp}`);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', what);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', what);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(r.headers.get('cache-control'), 'no-store', what);
    return dirs;
}

describe('ASVS 14.4: the gate\'s own answers carry the security headers', () => {
    let be;
    before(async () => { be = await echoBackend(); });
    after(() => be && be.close());

    const h = useEnv({
        extra: () => `
${PROXY_MODULES}
${gateLocation('/intern/', be.port)}
${gateLocation('/staff/', be.port, { require: 'jobcenter-role sachbearbeitung' })}
`
    });
    const browser = { Accept: 'text/html,application/xhtml+xml' };
    let u;

    test('403 page (citizen on a staff Location): CSP, X-Frame-Options, Referrer-Policy, nosniff; the backend not reached', async () => {
        u = await authenticatedCitizen(h.env, 'gate-hd');
        const n = be.seen.length;
        const r = await u.c.get('/staff/fall/1', { headers: browser });
        assert.equal(r.status, 403, r.text);
        assert.match(r.text, /Kein Zugriff/);
        const dirs = assertSafe(r, '403 page');
        // the page's only resource, its stylesheet, is allowed
        assert.match(r.text, /<link rel="stylesheet" href="\/css\/portal\.css">/);
        assert.equal(dirs['style-src'], "'self'");
        assert.equal((r.text.match(/<(?:script|img|iframe|form)\b/g) || []).length, 0);
        const j = await u.c.get('/staff/fall/1');
        assert.equal(j.status, 403, j.text);
        assert.equal(j.json.error.code, 'staff_only');
        assertSafe(j, '403 JSON');
        assert.equal(be.seen.length, n, 'the backend was reached');
    });

    test('401 JSON and 303 to the login page (no session) carry them too', async () => {
        const n = be.seen.length;
        const j = await h.env.api.get('/intern/x', { jar: false });
        assert.equal(j.status, 401, j.text);
        assertSafe(j, '401 JSON');
        const r = await h.env.api.get('/intern/x', { jar: false, headers: browser });
        assert.equal(r.status, 303, r.text);
        assert.equal(r.headers.get('location'), '/anmeldung.html?ziel=%2Fintern%2Fx');
        assertSafe(r, '303');
        assert.equal(be.seen.length, n, 'the backend was reached');
    });

    test('a backend\'s own answer passes unchanged: the gate adds none of these headers', async () => {
        const r = await u.c.get('/intern/x', { headers: browser });
        assert.equal(r.status, 200, r.text);
        for (const k of ['content-security-policy', 'x-frame-options', 'referrer-policy']) {
            assert.equal(r.headers.get(k), null, k);
        }
        const me = await u.c.get('/api/v1/me');
        assert.equal(me.json.session.state, 'authenticated');
    });
});

logTest();
