// ASVS 4.0.3 V5.1.4 (structured data is validated as a whole) and V13.1.5
// (requests with unexpected content types are refused with 415).
// - A NUL (%00) in a query parameter used to cut the value short before
//   validation (q=Carla%00zzz searched "Carla"): every such parameter is now
//   refused with 422 parameter_invalid before the route runs.
// - POST routes that ignore their body took Content-Type: text/plain (what
//   a cross-site form can send): they take no body or a JSON one now.
// Each case asserts the refusal and that nothing changed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useEnv, logTest } from '../lib/env.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { strongPassword, assertError, registerAndConfirm } from '../lib/flows.mjs';
import { lit } from '../lib/db.mjs';
import { addJobcenter, addStaff } from '../lib/staff.mjs';
import { mintSessions, sessionClient } from '../lib/sessions.mjs';
import { routeTable } from '../lib/routes.mjs';

describe('NUL in query parameters, non-JSON bodies on body-less POST routes', () => {
    const h = useEnv();
    const acct = {};

    test('set-up: a citizen and a staff member', async () => {
        const env = h.env;
        const u = await registerAndConfirm(env, uniqueEmail('nul'), strongPassword());
        acct.citizen = Number(await env.db.scalar(`SELECT id FROM account WHERE email = ${lit(u.email)}`));
        const jc = `Jobcenter NUL ${crypto.randomBytes(3).toString('hex')}`;
        await addJobcenter(env, jc, ['71332']);
        acct.staff = (await addStaff(env, jc, { tag: 'nul-sb' })).id;
    });

    test('%00 in a query parameter -> 422 parameter_invalid naming it; the route does not run', async () => {
        const env = h.env;
        const [st, ci] = await mintSessions(env, [{ account: acct.staff, state: 'authenticated' },
            { account: acct.citizen, state: 'authenticated' }]);
        const staff = sessionClient(env, st);
        const citizen = sessionClient(env, ci);
        const anon = env.client();
        const throttleRows = async () => Number(await env.db.scalar('SELECT count(*) FROM login_throttle'));
        const t0 = await throttleRows();
        const cases = [
            [staff, '/api/v1/staff/customers?q=Carla%00zzz', 'q'],
            [staff, '/api/v1/staff/customers?q=%00', 'q'],
            [staff, '/api/v1/staff/messages?status=%00invalid', 'status'],
            [staff, '/api/v1/staff/uploads?team=leistung&status=neu%00x', 'status'],
            [citizen, '/api/v1/messages/conversation?id=1%00', 'id'],
            [citizen, '/api/v1/uploads/receipt?draft=1%00', 'draft'],
            [anon, '/api/v1/jobcenter/suche?plz=71332%00zzz', 'plz'],
            [anon, '/api/v1/password-policy?x=%00', 'x']
        ];
        for (const [c, p, field] of cases) {
            const r = await c.get(p);
            assertError(r, 422, 'parameter_invalid', p);
            assert.equal(r.error.field, field, p);
        }
        // the NUL in the name: refused, no name to give
        const k = await staff.get('/api/v1/staff/customers?q%00x=Carla');
        assertError(k, 422, 'parameter_invalid');
        assert.equal(k.error.field, null);
        // a POST with a query: refused before its body is read
        const before = Number(await env.db.scalar('SELECT count(*) FROM upload_file'));
        const r = await staff.post('/api/v1/staff/messages/reply-files?conversation=1%00', null,
            { csrf: true, raw: Buffer.from('%PDF-1.4\n'), contentType: 'application/octet-stream' });
        assertError(r, 422, 'parameter_invalid');
        assert.equal(Number(await env.db.scalar('SELECT count(*) FROM upload_file')), before);
        // the anonymous postcode look-up was not counted
        assert.equal(await throttleRows(), t0);
        // the same requests without the NUL reach their routes
        assert.equal((await staff.get('/api/v1/staff/customers?q=Carla')).status, 200);
        assert.notEqual((await anon.get('/api/v1/jobcenter/suche?plz=71332')).status, 422);
    });

    test('every POST route that ignores its body: text/plain or an untyped body -> 415; nothing changes',
        async () => {
            const env = h.env;
            const routes = routeTable().filter((r) => r.method === 'POST' && r.body === 'JC_BODY_NONE');
            assert.ok(routes.length >= 10, `${routes.length} body-less POST routes`);
            for (const r of routes) {
                const account = r.states === 'JC_LEVEL_STAFF' ? acct.staff : acct.citizen;
                const state = r.states === 'JC_LEVEL_MFA_SETUP' || r.states === 'JC_LEVEL_MFA_REQUIRED' || r.states === 'JC_LEVEL_PUBLIC'
                    ? (r.states === 'JC_LEVEL_MFA_REQUIRED' ? 'mfa_required' : 'authenticated') : 'authenticated';
                const [s] = await mintSessions(env, [{ account, state }]);
                const c = sessionClient(env, s);
                const p = `/api/v1/${r.path.replace('*', '1')}`;
                const sessions = Number(await env.db.scalar('SELECT count(*) FROM session'));
                for (const [raw, contentType] of [['{}', 'text/plain'], ['a=b', 'application/x-www-form-urlencoded'],
                    ['{}', null]]) {
                    const res = await c.post(p, null, { csrf: true, raw, contentType });
                    assertError(res, 415, 'unsupported_media_type', `${p} ${contentType}`);
                }
                assert.equal(Number(await env.db.scalar('SELECT count(*) FROM session')), sessions, p);
                // still alive, the same state
                const me = await c.get('/api/v1/me');
                assert.equal(me.status, 200, `${p}: ${me.text}`);
            }
            // with JSON (or nothing) they still work: logout ends the session
            const [s] = await mintSessions(env, [{ account: acct.citizen, state: 'authenticated' }]);
            const c = sessionClient(env, s);
            const o = await c.post('/api/v1/logout', {}, { csrf: true });
            assert.ok(o.status === 200 || o.status === 204, o.text);
        });

    logTest();
});
