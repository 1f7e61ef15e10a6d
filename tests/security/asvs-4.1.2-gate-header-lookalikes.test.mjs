// ASVS 4.0.3 V4.1.2: the attributes access control relies on cannot be set
// by the client. A backend behind the gate trusts X-Jobcenter-User,
// -Auth-Level and -Kundennummer. Many backend stacks (CGI/FastCGI, PHP,
// WSGI, Rack, nginx with underscores_in_headers) fold '_' into '-' and
// ignore case, so X_Jobcenter_User arrives there as X-Jobcenter-User. The
// gate removes every request header whose name, lower-cased with each
// separator read as '-', starts with "x-jobcenter-", then sets its own.
// The echo backend behind mod_proxy_http reports the header lines exactly
// as they arrived.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import { echoBackend, rawGet, folded, PROXY_MODULES, gateLocation } from '../lib/gate.mjs';

// spellings of the gate's own headers and of other X-Jobcenter-* names
const SPELLINGS = [
    'X-Jobcenter-User', 'x-jobcenter-user', 'X-JOBCENTER-USER',
    'X_Jobcenter_User', 'x_jobcenter_user', 'X_JOBCENTER_USER',
    'x-jobcenter_user', 'X_Jobcenter-User', 'X-Jobcenter_User', 'X_JOBCENTER-USER',
    'x.jobcenter.user', 'X-Jobcenter.User',
    'X-Jobcenter-Auth-Level', 'X_Jobcenter_Auth_Level', 'x-jobcenter-auth_level', 'X-JOBCENTER_AUTH-LEVEL',
    'X-Jobcenter-Kundennummer', 'X_Jobcenter_Kundennummer', 'x-jobcenter_kundennummer',
    'X-Jobcenter-Rolle', 'X_Jobcenter_Staff', 'x_jobcenter_'
];
const spoofed = (i) => `spoof-${i}`;
const lookalikes = (raw) => raw.filter(([k]) => folded(k).startsWith('x-jobcenter-'));

describe('ASVS 4.1.2: gate header look-alikes never reach a backend', () => {
    let be;
    before(async () => { be = await echoBackend(); });
    after(() => be && be.close());

    const h = useEnv({
        extra: () => `
${PROXY_MODULES}
${gateLocation('/intern/', be.port, { headers: true })}
${gateLocation('/ohne/', be.port)}
`
    });

    let u;
    const lines = () => [
        ...SPELLINGS.map((k, i) => [k, spoofed(i)]),
        ['X_Other_Header', 'bleibt'],
        ['Cookie', `jc_session=${u.c.jar.get('jc_session')}`]
    ];

    test('set-up: an authenticated citizen', async () => {
        u = await authenticatedCitizen(h.env, 'gate-la');
        assert.ok(u.c.jar.get('jc_session'));
    });

    test('JobcenterGateHeaders On: every spelling removed, the backend sees only the gate\'s own values', async () => {
        const n = be.seen.length;
        const r = await rawGet(h.env, '/intern/pruefen', lines());
        assert.equal(r.status, 200, r.text);
        assert.equal(be.seen.length, n + 1);
        const raw = r.json.raw;
        const la = lookalikes(raw);
        assert.deepEqual(la.map(([k, v]) => [k.toLowerCase(), v]).sort(),
            [['x-jobcenter-auth-level', '2fa'], ['x-jobcenter-user', String(u.id)]],
            `the backend received: ${JSON.stringify(la)}`);
        for (const [k, v] of raw) {
            assert.doesNotMatch(v, /spoof-/, `${k}: ${v}`);
        }
        // a header with '_' that is not the gate's is passed on unchanged
        // (mod_proxy_http forwards underscores: the look-alikes did arrive
        // before this rule)
        assert.deepEqual(raw.filter(([k]) => k === 'X_Other_Header'), [['X_Other_Header', 'bleibt']]);
    });

    test('JobcenterGateHeaders Off: no X-Jobcenter-* look-alike at all', async () => {
        const r = await rawGet(h.env, '/ohne/pruefen', lines());
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(lookalikes(r.json.raw), [], JSON.stringify(r.json.raw));
    });

    test('without a session nothing reaches the backend (401), with look-alikes or without', async () => {
        const n = be.seen.length;
        const r = await rawGet(h.env, '/intern/pruefen', [...SPELLINGS.map((k, i) => [k, spoofed(i)]),
            ['Accept', 'application/json']]);
        assert.equal(r.status, 401, r.text);
        assert.equal(JSON.parse(r.text).error.code, 'not_authenticated');
        assert.equal(be.seen.length, n, 'the backend was reached');
    });

    test('the session itself is unchanged: still authenticated for the same account', async () => {
        const me = await u.c.get('/api/v1/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.session.state, 'authenticated');
        assert.equal(me.json.account.id, u.id);
    });
});

logTest();
