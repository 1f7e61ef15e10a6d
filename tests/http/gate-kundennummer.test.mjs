// The gate passes the Kundennummer of the account's person profile to a
// proxied backend (X-Jobcenter-Kundennummer, JobcenterGateHeaders On): the
// same node echo backend as gate.test.mjs behind mod_proxy_http. Client-sent
// headers of that name never reach the backend; where JobcenterGateHeaders
// is Off nothing is passed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest } from '../lib/env.mjs';
import { jobcenterWithStaff, customerWithCode, authenticatedCitizen } from '../lib/fixtures.mjs';
import { echoBackend, PROXY_MODULES, gateLocation } from '../lib/gate.mjs';

describe('gate: X-Jobcenter-Kundennummer', () => {
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
    const spoof = { 'X-Jobcenter-Kundennummer': '999Z999999', 'x-jobcenter-user': '1' };
    let u, cust;

    test('without a person profile: no Kundennummer, a spoofed one removed', async () => {
        u = await authenticatedCitizen(h.env, 'gate-kn');
        const r = await u.c.get('/intern/a', { headers: spoof });
        assert.equal(r.status, 200, r.text);
        const got = JSON.parse(r.text).headers;
        assert.equal(got['x-jobcenter-user'], String(u.id));
        assert.equal(got['x-jobcenter-auth-level'], '2fa');
        assert.equal(got['x-jobcenter-kundennummer'], undefined);
    });

    test('with a profile: the backend gets the Kundennummer, never the spoofed value', async () => {
        const jc = await jobcenterWithStaff(h.env);
        const c = await customerWithCode(h.env, jc);
        cust = c.cust;
        const red = await u.c.post('/api/v1/freischaltcode', { code: c.grouped }, { csrf: true });
        assert.equal(red.status, 201, red.text);
        for (const headers of [{}, spoof, { 'X-JOBCENTER-KUNDENNUMMER': '999Z999999, 123A123456' }]) {
            const r = await u.c.get('/intern/b?x=1', { headers });
            assert.equal(r.status, 200, r.text);
            const got = JSON.parse(r.text);
            assert.equal(got.url, '/b?x=1');
            assert.equal(got.headers['x-jobcenter-kundennummer'], cust.kundennummer, JSON.stringify(headers));
            assert.equal(got.headers['x-jobcenter-user'], String(u.id));
        }
    });

    test('JobcenterGateHeaders Off: nothing passed, spoofed headers still removed', async () => {
        const r = await u.c.get('/ohne/c', { headers: spoof });
        assert.equal(r.status, 200, r.text);
        const got = JSON.parse(r.text).headers;
        assert.equal(got['x-jobcenter-kundennummer'], undefined);
        assert.equal(got['x-jobcenter-user'], undefined);
    });

    test('no session: the spoofed header never reaches the backend (401)', async () => {
        const r = await h.env.api.get('/intern/d', { jar: false, headers: spoof });
        assert.equal(r.status, 401, r.text);
    });
});

logTest();
