// ASVS 4.0.3 V3.3.1 (logout and expiration invalidate the session token)
// and V3.3.3 (ending the other sessions after a password change is
// effective across the application), with the session cache of issue 20:
// every Apache child keeps a copy of a session check for at most
// JobcenterSessionCacheTTL, and a node's own writes bump generation
// counters that all its children compare before using a copy.
//
// Two Apache nodes share one database (on SQLite one file), each with
// several children; an access log names the child (%P) of every probe, and
// every probe is a new TCP connection, so the children answer in turn.
// Before each revocation the victim's session is answered (200) by every
// child of both nodes, so each of them holds it in its cache. Then:
//   - logout, "end all other sessions" and a password change on node 1:
//     refused at once by every child of node 1 -- node 1 keeps copies for
//     10 s here, so only the generation counters can explain that -- and
//     by every child of node 2 (default TTL, 1 s) for every request sent
//     1 s or more after the revocation's answer;
//   - a staff member disabled with jobcenter-admin (another program on
//     the database, like another node): staff routes refused at once (the
//     staff row is read on every request), the session on both nodes for
//     every request sent 1 s or more after the tool returned;
//   - a session whose row reaches its lifetime end is never answered from
//     a copy after that second (node 1's 10 s copies included).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, startEnv, logTest } from '../lib/env.mjs';
import { Client } from '../lib/http.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import { fullLogin } from '../lib/account.mjs';
import { strongPassword } from '../lib/flows.mjs';
import { addJobcenter, addStaff, loginFull, adminOk } from '../lib/staff.mjs';
import { lit } from '../lib/db.mjs';
import { sleep, nowSec, sha256hex, waitUntil, randomId } from '../lib/util.mjs';

const BOUND_MS = 1000;         // the default JobcenterSessionCacheTTL
const LONG_TTL = 'JobcenterSessionCacheTTL 10';

// StartServers children that stay (MinSpareThreads = all their threads)
// and an access log line "<child pid> <path?query> <status>" per request
function nodeExtra(children) {
    return (env) => `StartServers ${children}\nMinSpareThreads ${children * 25}\n`
        + `MaxSpareThreads ${children * 25}\n`
        + 'LogFormat "%P %U%q %>s" jcpid\n'
        + `CustomLog "${path.join(env.root, 'apache', 'logs', 'pid.log')}" jcpid\n`;
}

// probe id -> child pid, from a node's access log
function pidsOf(env) {
    let text = '';
    try {
        text = fs.readFileSync(path.join(env.apacheRoot, 'logs', 'pid.log'), 'utf8');
    } catch { /* not yet */ }
    const m = new Map();
    for (const line of text.split('\n')) {
        const x = /^(\d+) \/api\/v1\/me\?probe=([\w-]+) /.exec(line);
        if (x) m.set(x[2], Number(x[1]));
    }
    return m;
}

let seq = 0;
// n parallel GET /me with the token, each on a new TCP connection;
// [{ id, sent (ms epoch), status, code, pid }] (pid only with pids: true)
async function probe(env, token, n, { pids = true } = {}) {
    const all = [];
    for (let i = 0; i < n; i++) {
        const id = `${process.pid}-${++seq}`;
        const c = new Client(env.base, { fresh: true });
        c.jar.set('jc_session', token);
        const sent = Date.now();
        all.push(c.get(`/api/v1/me?probe=${id}`).then((r) => ({ id, sent, status: r.status,
            code: r.error ? r.error.code : null })));
    }
    const res = await Promise.all(all);
    if (pids) {
        // the log line is written after the answer has gone out
        const m = await waitUntil(() => {
            const x = pidsOf(env);
            return res.every((r) => x.has(r.id)) ? x : null;
        }, { timeoutMs: 5000, intervalMs: 20, what: 'probe lines in pid.log' });
        for (const r of res) r.pid = m.get(r.id);
    }
    return res;
}

// Until `children` different children have answered 200 for the session
// (each then holds a copy); returns their pids.
async function warm(env, token, children) {
    const seen = new Set();
    const end = Date.now() + 10000;
    while (seen.size < children) {
        assert.ok(Date.now() < end, `only ${seen.size} of ${children} children of ${env.base} answered`);
        for (const r of await probe(env, token, 2 * children)) {
            assert.equal(r.status, 200, `warming ${env.base}: ${JSON.stringify(r)}`);
            seen.add(r.pid);
        }
    }
    return seen;
}

// Right after a revocation: every answer is 401, until `children`
// different children have given one.
async function refusedByEveryChild(env, token, children, what) {
    const seen = new Set();
    const end = Date.now() + 5000;
    while (seen.size < children) {
        assert.ok(Date.now() < end, `${what}: only ${seen.size} of ${children} children answered`);
        for (const r of await probe(env, token, 2 * children)) {
            assert.equal(r.status, 401, `${what}: child ${r.pid} still accepts the session: `
                + JSON.stringify(r));
            assert.ok(['not_authenticated', 'session_expired'].includes(r.code), JSON.stringify(r));
            seen.add(r.pid);
        }
    }
}

// Poll a node from t0 until t0 + BOUND_MS + 500 ms: every probe sent at or
// after t0 + BOUND_MS is refused, none fails otherwise; then every child
// refuses. Returns how long the node still answered 200 (ms after t0).
async function refusedWithinBound(env, token, t0, children, what) {
    const res = [];
    while (Date.now() < t0 + BOUND_MS + 500) {
        res.push(...await probe(env, token, children, { pids: false }));
        await sleep(25);
    }
    for (const r of res) {
        assert.ok(r.status === 200 || r.status === 401, `${what}: ${JSON.stringify(r)}`);
    }
    const late = res.filter((r) => r.sent >= t0 + BOUND_MS && r.status !== 401);
    assert.deepEqual(late, [], `${what}: accepted ${BOUND_MS} ms or more after the revocation`);
    await refusedByEveryChild(env, token, children, `${what} (after the bound)`);
    const ok = res.filter((r) => r.status === 200);
    return ok.length ? Math.max(...ok.map((r) => r.sent)) - t0 : -1;
}

describe('ASVS 3.3.1/3.3.3: revocation on node 1 reaches every child of node 1 at once and node 2 within 1 s', () => {
    // node 1 keeps copies 10 s: only the generation counters can end them
    const h1 = useEnv({ sets: [LONG_TTL], extra: nodeExtra(3) });
    const n2h = { env: null };
    after(() => n2h.env && n2h.env.stop());

    test('set-up: node 2 on node 1\'s database, both with several children', async () => {
        n2h.env = await startEnv({ share: h1.env, extra: nodeExtra(2) });
        // a session of node 1 works on node 2
        const u = await authenticatedCitizen(h1.env, 'rv-setup');
        const token = u.c.jar.get('jc_session');
        // at least StartServers children; on a loaded machine the MPM may
        // have started one more for a moment (the probes then warm it too)
        assert.ok((await warm(h1.env, token, 3)).size >= 3);
        assert.ok((await warm(n2h.env, token, 2)).size >= 2);
    });

    // victim session on both nodes' children, then revoke(t) on node 1
    async function revocationCase(t, victimToken, revoke, what) {
        const n1 = h1.env, n2 = n2h.env;
        await warm(n2, victimToken, 2);
        await warm(n1, victimToken, 3);
        await revoke();
        const t0 = Date.now();
        await refusedByEveryChild(n1, victimToken, 3, `${what}, node 1`);
        const lastOk = await refusedWithinBound(n2, victimToken, t0, 2, `${what}, node 2`);
        t.diagnostic(`${what}: node 2 answered 200 until ${lastOk} ms after the revocation (bound ${BOUND_MS} ms)`);
        assert.equal(Number(await n1.db.scalar(`SELECT count(*) FROM session WHERE id_hash = ${lit(sha256hex(victimToken))}`)), 0);
    }

    test('logout', async (t) => {
        const u = await authenticatedCitizen(h1.env, 'rv-logout');
        const token = u.c.jar.get('jc_session');
        await revocationCase(t, token, async () => {
            const r = await u.c.post('/api/v1/logout', {}, { csrf: true });
            assert.equal(r.status, 204, r.text);
        }, 'logout');
    });

    test('"end all other sessions"', async (t) => {
        const u = await authenticatedCitizen(h1.env, 'rv-others');
        const other = (await fullLogin(h1.env, u.email, u.password, u.secret)).client;
        const token = other.jar.get('jc_session');
        await revocationCase(t, token, async () => {
            const r = await u.c.post('/api/v1/konto/sitzungen/andere-beenden', {}, { csrf: true });
            assert.equal(r.status, 200, r.text);
            assert.deepEqual(r.json, { ended: 1 });
        }, 'end all other sessions');
        // the session that ended the others goes on, on both nodes
        const mine = u.c.jar.get('jc_session');
        for (const env of [h1.env, n2h.env]) {
            for (const r of await probe(env, mine, 4)) assert.equal(r.status, 200, JSON.stringify(r));
        }
    });

    test('password change', async (t) => {
        const u = await authenticatedCitizen(h1.env, 'rv-password');
        const other = (await fullLogin(h1.env, u.email, u.password, u.secret)).client;
        const token = other.jar.get('jc_session');
        const np = strongPassword();
        await revocationCase(t, token, async () => {
            const r = await u.c.post('/api/v1/konto/passwort',
                { current_password: u.password, password: np, password_repeat: np }, { csrf: true });
            assert.equal(r.status, 204, r.text);
        }, 'password change');
        const mine = u.c.jar.get('jc_session');
        for (const env of [h1.env, n2h.env]) {
            for (const r of await probe(env, mine, 4)) assert.equal(r.status, 200, JSON.stringify(r));
        }
    });

    test('a copy never outlives its row\'s lifetime (node 1 keeps copies 10 s)', async () => {
        const n1 = h1.env, n2 = n2h.env;
        const u = await authenticatedCitizen(n1, 'rv-expiry');
        // a session row that ends 3 s from now
        const token = crypto.randomBytes(32).toString('base64url');
        const now = nowSec();
        const exp = now + 3;
        await n1.db.exec('INSERT INTO session (id_hash, account_id, state, csrf_token, created_at, last_seen, '
            + `expires_at, verified_at) VALUES (${lit(sha256hex(token))}, ${u.id}, 6, ${lit(randomId(16))}, `
            + `${now}, ${now}, ${exp}, ${now})`);
        await warm(n1, token, 3);
        await warm(n2, token, 2);
        const res = [];
        while (Date.now() < exp * 1000 + 1500) {
            res.push(...await probe(n1, token, 3, { pids: false }), ...await probe(n2, token, 2, { pids: false }));
            await sleep(50);
        }
        const late = res.filter((r) => r.sent >= exp * 1000 && r.status !== 401);
        assert.deepEqual(late, [], 'answered after the session\'s end');
        assert.ok(res.some((r) => r.status === 200 && r.sent < exp * 1000), 'the session was in use before');
        await refusedByEveryChild(n1, token, 3, 'expired, node 1');
        await refusedByEveryChild(n2, token, 2, 'expired, node 2');
    });

    test('node 2 stops cleanly; its error.log has no unexpected lines', async () => {
        await n2h.env.stop();
        assert.deepEqual(n2h.env.unexpectedLogLines(), []);
    });
});

describe('ASVS 3.3.1: a staff member disabled by jobcenter-admin is refused on every child of both nodes within 1 s', () => {
    const h1 = useEnv({ extra: nodeExtra(2) });
    const n2h = { env: null };
    after(() => n2h.env && n2h.env.stop());

    test('staff disable', async (t) => {
        const n1 = h1.env;
        n2h.env = await startEnv({ share: n1, extra: nodeExtra(2) });
        const n2 = n2h.env;
        const jc = `Jobcenter Widerruf ${randomId(3)}`;
        await addJobcenter(n1, jc, ['71332']);
        const staff = await addStaff(n1, jc, { tag: 'rv-staff' });
        const c = await loginFull(n1, staff);
        const token = c.jar.get('jc_session');
        assert.equal((await c.get('/api/v1/staff/me')).status, 200);
        await warm(n2, token, 2);
        await warm(n1, token, 2);
        const r = await adminOk(n1, ['staff-disable', '--email', staff.email]);
        const t0 = Date.now();
        assert.match(r.stdout, /disabled/);
        // staff routes read the staff row on every request: refused at once
        for (const env of [n1, n2]) {
            for (let i = 0; i < 4; i++) {
                const x = new Client(env.base, { fresh: true });
                x.jar.set('jc_session', token);
                const s = await x.get('/api/v1/staff/me');
                assert.ok(s.status === 401 || s.status === 403, `${env.base} staff/me: ${s.status} ${s.text}`);
            }
        }
        const [a, b] = await Promise.all([
            refusedWithinBound(n1, token, t0, 2, 'staff disable, node 1'),
            refusedWithinBound(n2, token, t0, 2, 'staff disable, node 2')
        ]);
        t.diagnostic(`staff disable: /me answered 200 until ${a} ms (node 1), ${b} ms (node 2) after the tool returned`);
        await n2.stop();
        assert.deepEqual(n2.unexpectedLogLines(), []);
    });

    logTest();
});
