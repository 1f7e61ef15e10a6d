// Issue 20: PgBouncer (Debian 12's package, 1.18) between the portal and
// PostgreSQL. docs/operations.md, "PgBouncer".
//
// Session pooling (what works with 1.18): every mod_dbd connection gets
// its own server connection for its whole life, so the statements mod_dbd
// prepares on it stay there. PgBouncer caps the server connections at
// default_pool_size; it does not multiplex, so the pool must hold every
// connection the nodes can open (DBDMax x children x nodes). Here: two
// children x DBDMax 25 = 50, default_pool_size 50; a whole journey (staff
// with TOTP, customer, citizen registration and login) and 2000 concurrent
// /me (20 at once: below one child's 25 workers, where mpm_event closes
// kept-alive connections) through it: no 503, and PostgreSQL never sees
// more than the pool's 50 backends of the portal.
//
// Transaction pooling with 1.18 (what does not work, shown here so that
// the reason stays checked): apr_dbd_pgsql names every statement
// (PQprepare "jc_..."), mod_dbd prepares all of them on each new
// connection, one protocol round trip ("transaction") each, and PgBouncer
// hands each round trip to whichever server connection is free. The
// prepares of a second client connection land on server connections that
// already hold that name ("prepared statement ... already exists"), so
// mod_dbd drops the connection (AH00632) and the API answers 503; a
// statement that did prepare runs later on another server connection
// ("does not exist"). PgBouncer >= 1.21 tracks protocol-level prepared
// statements (max_prepared_statements); 1.18 does not. The module's way
// past it, JobcenterPgStatements unnamed: pgbouncer-transaction.test.mjs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { clusterFromEnv } from '../lib/pg.mjs';
import { startPgBouncer } from '../lib/pgbouncer.mjs';
import { uniqueEmail } from '../lib/util.mjs';
import { registerAndConfirm, strongPassword } from '../lib/flows.mjs';
import { addJobcenter, addStaff, loginFull, createCustomer } from '../lib/staff.mjs';

const PG = DB_KIND === 'pgsql';
const TWO_CHILDREN = 'ServerLimit 2\nStartServers 2\nMaxRequestWorkers 50\nThreadsPerChild 25\n'
    + 'MinSpareThreads 5\nMaxSpareThreads 50\nDBDMax 25\n';

// n GET /me with c at once on the given clients; the status counts
async function meBurst(clients, n, c) {
    const counts = {};
    let next = 0;
    await Promise.all(Array.from({ length: c }, async (_, w) => {
        const cl = clients[w % clients.length];
        while (next < n) {
            next++;
            // a failed fetch is counted by its cause (a client-side socket
            // error is no 503, but the test wants to see every one)
            const k = await cl.get('/api/v1/me', { timeoutMs: 60000 }).then((r) => r.status,
                (e) => `fetch error: ${(e.cause && (e.cause.code || e.cause.message)) || e.message}`);
            counts[k] = (counts[k] || 0) + 1;
        }
    }));
    return counts;
}

describe('PgBouncer 1.18 in session mode: a journey and 2000 concurrent /me, no 503', { skip: !PG }, () => {
    const pgb = {};
    // registered before useEnv's hook: PgBouncer listens when Apache starts
    before(async () => {
        const c = clusterFromEnv();
        pgb.b = await startPgBouncer({ host: c.host, port: c.port, mode: 'session', poolSize: 50 });
    });
    const h = useEnv({
        pgParams: (pg) => `host=127.0.0.1 port=${pgb.b.port} dbname=${pg.dbname} user=jc`,
        extra: TWO_CHILDREN
    });
    // Apache first (its children hold connections to PgBouncer)
    after(async () => {
        if (h.env) await h.env.stop();
        if (pgb.b) await pgb.b.stop();
    });
    const s = {};

    test('journey through PgBouncer: staff with TOTP creates a customer, a citizen registers and logs in', async () => {
        const env = h.env;
        await addJobcenter(env, 'Jobcenter Bouncer', ['71499']);
        const staff = await addStaff(env, 'Jobcenter Bouncer', { tag: 'pgb' });
        const sb = await loginFull(env, staff);
        const cust = await createCustomer(sb, { postcode: '71499' });
        assert.ok(cust.id > 0);
        s.clients = [];
        for (let i = 0; i < 4; i++) {
            const pw = strongPassword();
            const u = await registerAndConfirm(env, uniqueEmail('pgb'), pw);
            const c = env.client();
            const r = await c.post('/api/v1/login', { login: u.email, password: pw });
            assert.equal(r.status, 200, r.text);
            const me = await c.get('/api/v1/me');
            assert.equal(me.status, 200, me.text);
            s.clients.push(c);
        }
    });

    test('2000 GET /me, 20 at once: all 200, no 503; PostgreSQL sees at most the pool', async () => {
        const env = h.env;
        const counts = await meBurst(s.clients, 2000, 20).catch((e) => {
            console.log(pgb.b.logText().split('\n').slice(-30).map((l) => `# pgbouncer: ${l}`).join('\n'));
            throw e;
        });
        console.log(`# /me through PgBouncer (session): ${JSON.stringify(counts)}`);
        assert.deepEqual(counts, { 200: 2000 });
        const backends = Number(await env.db.scalar(`SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()`));
        console.log(`# backends of the portal's database: ${backends}`);
        assert.ok(backends <= 50, `${backends} backends behind a pool of 50`);
    });
});

describe('PgBouncer 1.18 in transaction mode breaks apr_dbd_pgsql\'s named statements', { skip: !PG }, () => {
    const pgb = {};
    before(async () => {
        const c = clusterFromEnv();
        pgb.b = await startPgBouncer({ host: c.host, port: c.port, mode: 'transaction', poolSize: 5 });
    });
    const h = useEnv({
        pgParams: (pg) => `host=127.0.0.1 port=${pgb.b.port} dbname=${pg.dbname} user=jc`,
        extra: 'ServerLimit 1\nStartServers 1\nMaxRequestWorkers 25\nThreadsPerChild 25\nMinSpareThreads 1\nMaxSpareThreads 25\nDBDMax 25\n',
        // named statements, whatever JC_PG_STATEMENTS says: what this
        // block shows is why they fail (unnamed ones do not:
        // pgbouncer-transaction.test.mjs)
        pgStatements: 'prepared',
        waitReady: false,
        // what this block shows: mod_dbd cannot prepare, requests fail
        allowLog: [/AH00632|AH02655|AH00633|AH00484|JC0010\d|JC00003|JC00005|JC00206|JC00205|prepared statement/]
    });
    after(async () => {
        if (h.env) await h.env.stop();
        if (pgb.b) await pgb.b.stop();
    });

    test('concurrent requests: prepares collide ("already exists") or miss ("does not exist"), 503s', async () => {
        const env = h.env;
        const clients = Array.from({ length: 8 }, () => env.client());
        const counts = {};
        await Promise.all(clients.map(async (c) => {
            for (let i = 0; i < 10; i++) {
                const r = await c.get('/api/v1/password-policy');
                const m = await c.post('/api/v1/login', { login: 'niemand@example.org', password: 'falsch-falsch-1' });
                counts[r.status] = (counts[r.status] || 0) + 1;
                counts[`login ${m.status}`] = (counts[`login ${m.status}`] || 0) + 1;
            }
        }));
        const log = env.errorLog();
        const why = (log.match(/prepared statement "[^"]+" (?:already exists|does not exist)/g) || []);
        console.log(`# transaction mode: ${JSON.stringify(counts)}; ${why.length} log lines like: ${why.slice(0, 2).join('; ')}`);
        assert.ok(why.length > 0, 'no prepared statement collided: transaction pooling worked?');
        assert.ok(Object.keys(counts).some((k) => /503/.test(k)), JSON.stringify(counts));
    });
});

// PostgreSQL only: on SQLite no environment is started
if (PG) logTest();
