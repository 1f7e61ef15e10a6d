// Issue 20: PgBouncer (Debian 12's 1.18) in TRANSACTION pooling in front
// of PostgreSQL, with `JobcenterPgStatements unnamed` (docs/operations.md,
// "PgBouncer"; docs/internals.md, "PostgreSQL without named statements").
//
// In unnamed mode mod_dbd prepares nothing and jc_db sends every statement
// of jc_sql.c as one PQexecParams of the unnamed statement: nothing is left
// on a server connection after a transaction, so PgBouncer may hand each
// transaction (each statement outside BEGIN/COMMIT) to any of its server
// connections. Here the pool has 5 server connections and Apache runs two
// children with DBDMax 25 (up to 50 client connections, 10x the pool):
//   - a journey through it: staff with TOTP creates a customer; a citizen
//     registers, confirms by mail, logs in, sets up TOTP, is bound to the
//     customer, turns on the Online-Kommunikation, uploads a file, submits
//     it (receipt PDF), writes a message (one transaction of several
//     statements);
//   - a burst: 2000 GET /me (session cache off: each one reads the
//     database) with 120 new upload drafts (autocommit writes) and 40
//     messages (transactions) at the same time, 24 at once;
//   - every answer as expected (no 503, no 500), PgBouncer's admin console
//     shows pool_mode transaction, at most 5 server connections while more
//     client connections than that were served, and as many transactions
//     as requests; PostgreSQL never sees more than the 5 backends.
// The same with named statements (JobcenterPgStatements prepared, the
// default) fails: tests/http/pgbouncer.test.mjs, second part, shows the
// "prepared statement ... already exists / does not exist" errors and the
// 503s; JC_PGB_TX_STATEMENTS=prepared runs this file in that mode too (it
// then fails), to compare.
// PostgreSQL only: on SQLite there is no PgBouncer, nothing runs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { clusterFromEnv } from '../lib/pg.mjs';
import { startPgBouncer } from '../lib/pgbouncer.mjs';
import { run, nowSec, sleep } from '../lib/util.mjs';
import { authenticatedCitizen } from '../lib/fixtures.mjs';
import { activateOnline, samples, download } from '../lib/uploads.mjs';
import { addJobcenter, addStaff, loginFull, createCustomer, ADMIN } from '../lib/staff.mjs';

const PG = DB_KIND === 'pgsql';
const STATEMENTS = process.env.JC_PGB_TX_STATEMENTS || 'unnamed';
const POOL = 5;
const TWO_CHILDREN = 'ServerLimit 2\nStartServers 2\nMaxRequestWorkers 50\nThreadsPerChild 25\n'
    + 'MinSpareThreads 5\nMaxSpareThreads 50\nDBDMax 25\n';

// PgBouncer's admin console (simple query protocol only: psql -c): the
// rows of a SHOW command as objects
async function show(port, what) {
    const r = await run('psql', ['-X', '-A', '-F', '\t', '-P', 'footer=off', '-h', '127.0.0.1', '-p', String(port),
        '-U', 'jc', '-d', 'pgbouncer', '-c', `SHOW ${what}`], { timeoutMs: 10000 });
    const [head, ...lines] = r.stdout.trim().split('\n');
    const cols = head.split('\t');
    return lines.filter((l) => l).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [cols[i], v])));
}

describe(`PgBouncer 1.18, pool_mode transaction, pool ${POOL}, JobcenterPgStatements ${STATEMENTS}`,
    { skip: PG ? false : 'PostgreSQL only: PgBouncer pools PostgreSQL connections (nothing to test on SQLite)' }, () => {
    const pgb = {};
    // before useEnv's hook: PgBouncer listens when Apache starts
    before(async () => {
        const c = clusterFromEnv();
        pgb.b = await startPgBouncer({
            host: c.host, port: c.port, mode: 'transaction', poolSize: POOL,
            settings: { admin_users: 'jc' }
        });
    });
    const h = useEnv({
        pgParams: (pg) => `host=127.0.0.1 port=${pgb.b.port} dbname=${pg.dbname} user=jc`,
        pgStatements: STATEMENTS,
        // every session check reads the database (no per-child copy)
        sets: ['JobcenterSessionCacheTTL 0'],
        extra: TWO_CHILDREN,
        waitReady: STATEMENTS === 'unnamed'
    });
    after(async () => {
        if (h.env) await h.env.stop();
        if (pgb.b) await pgb.b.stop();
    });
    const s = {};
    const db = () => h.env.pg.dbname;

    test('set-up: Apache runs with JobcenterPgStatements, PgBouncer with pool_mode transaction', async () => {
        const conf = fs.readFileSync(h.env.conf, 'utf8');
        assert.match(conf, new RegExp(`^JobcenterPgStatements ${STATEMENTS}$`, 'm'));
        const cfg = Object.fromEntries((await show(pgb.b.port, 'CONFIG')).map((r) => [r.key, r.value]));
        assert.equal(cfg.pool_mode, 'transaction');
        assert.equal(cfg.default_pool_size, String(POOL));
    });

    test('journey: staff with TOTP, a citizen registers, confirms, logs in with TOTP, uploads, submits, writes', async () => {
        const env = h.env;
        await addJobcenter(env, 'Jobcenter Transaktion', ['71498']);
        const staff = await addStaff(env, 'Jobcenter Transaktion', { tag: 'pgbtx' });
        const sb = await loginFull(env, staff);
        const cust = await createCustomer(sb, { postcode: '71498' });
        assert.ok(cust.id > 0);

        const u = await authenticatedCitizen(env, 'pgbtx');
        await env.db.exec(`UPDATE customer SET account_id = ${u.id}, bound_at = ${nowSec()} WHERE id = ${cust.id}`);
        await activateOnline(u.c);
        const c = u.c;
        let r = await c.post('/api/v1/uploads/drafts', { area: 'geldleistung' }, { csrf: true });
        assert.equal(r.status, 201, r.text);
        const draft = r.json.draft;
        const pdf = samples.pdf(20000);
        r = await c.post(`/api/v1/uploads/files?draft=${draft}&name=Kontoauszug.pdf`, null,
            { raw: pdf, contentType: 'application/pdf', csrf: true });
        assert.equal(r.status, 201, r.text);
        r = await c.post('/api/v1/uploads/submit',
            { draft, message: 'Mein Kontoauszug', idempotency_key: crypto.randomUUID() }, { csrf: true });
        assert.equal(r.status, 201, r.text);
        const receipt = await download(c, r.json.receipt);
        assert.equal(receipt.status, 200);
        assert.equal(receipt.buf.subarray(0, 5).toString('latin1'), '%PDF-');
        r = await c.post('/api/v1/messages', {
            anliegen: 'kopien', subject: 'Kopie meines Bescheids', text: 'Bitte senden Sie mir eine Kopie.',
            ack: true, idempotency_key: crypto.randomUUID()
        }, { csrf: true });
        assert.equal(r.status, 201, r.text);
        r = await c.get('/api/v1/messages');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.conversations.length, 1, r.text);
        const [f] = await env.db.query(`SELECT count(*) AS n FROM upload_file WHERE account_id = ${u.id}`);
        assert.equal(Number(f.n), 1);
        s.citizens = [u];
        s.jcName = 'Jobcenter Transaktion';
        s.custPostcode = '71498';
        s.sb = sb;
    });

    test('jobcenter-admin --pg-statements unnamed works through the same PgBouncer', { skip: STATEMENTS !== 'unnamed' }, async () => {
        const r = await run(ADMIN, ['--pgsql', `host=127.0.0.1 port=${pgb.b.port} dbname=${db()} user=jc`,
            '--pg-statements', 'unnamed', 'jobcenter-list'], { check: false, timeoutMs: 30000 });
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /Jobcenter Transaktion/);
    });

    test(`burst: 2000 GET /me + 120 drafts + 40 messages, 24 at once: no 503; at most ${POOL} server connections`, async () => {
        const env = h.env;
        assert.ok(s.citizens, 'the journey did not run');
        // three more citizens with a profile of the same jobcenter
        for (let i = 0; i < 3; i++) {
            const u = await authenticatedCitizen(env, `pgbtx${i}`);
            const cust = await createCustomer(s.sb, { postcode: s.custPostcode });
            await env.db.exec(`UPDATE customer SET account_id = ${u.id}, bound_at = ${nowSec()} WHERE id = ${cust.id}`);
            await activateOnline(u.c);
            s.citizens.push(u);
        }
        const before = (await show(pgb.b.port, 'STATS')).find((r) => r.database === db());
        const xact0 = before ? Number(before.total_xact_count) : 0;

        // PgBouncer's view, sampled while the burst runs
        const peak = { cl: 0, sv: 0, waiting: 0 };
        let sampling = true;
        const sampler = (async () => {
            while (sampling) {
                const p = (await show(pgb.b.port, 'POOLS')).find((r) => r.database === db());
                if (p) {
                    assert.equal(p.pool_mode, 'transaction');
                    peak.cl = Math.max(peak.cl, Number(p.cl_active) + Number(p.cl_waiting));
                    peak.waiting = Math.max(peak.waiting, Number(p.cl_waiting));
                    peak.sv = Math.max(peak.sv, Number(p.sv_active) + Number(p.sv_idle) + Number(p.sv_used)
                        + Number(p.sv_tested) + Number(p.sv_login));
                }
                await sleep(100);
            }
        })();

        const counts = {};
        const count = (k) => { counts[k] = (counts[k] || 0) + 1; };
        const fail = (e) => `fetch error: ${(e.cause && (e.cause.code || e.cause.message)) || e.message}`;
        const jobs = [];
        for (let i = 0; i < 2000; i++) jobs.push(['me', i]);
        for (let i = 0; i < 120; i++) jobs.splice(i * 16 + 3, 0, ['draft', i]);
        for (let i = 0; i < 40; i++) jobs.splice(i * 50 + 7, 0, ['message', i]);
        let next = 0;
        await Promise.all(Array.from({ length: 24 }, async (_, w) => {
            const c = s.citizens[w % s.citizens.length].c;
            while (next < jobs.length) {
                const [kind, i] = jobs[next++];
                let k;
                if (kind === 'me') {
                    k = await c.get('/api/v1/me', { timeoutMs: 60000 }).then((r) => r.status, fail);
                } else if (kind === 'draft') {
                    k = await c.post('/api/v1/uploads/drafts', { area: 'geldleistung' }, { csrf: true, timeoutMs: 60000 })
                        .then((r) => r.status, fail);
                } else {
                    k = await c.post('/api/v1/messages', {
                        anliegen: 'kopien', subject: `Frage ${i}`, text: 'Bitte um Rückruf.',
                        ack: true, idempotency_key: crypto.randomUUID()
                    }, { csrf: true, timeoutMs: 60000 }).then((r) => r.status, fail);
                }
                count(`${kind} ${k}`);
            }
        }));
        sampling = false;
        await sampler;
        const after = (await show(pgb.b.port, 'STATS')).find((r) => r.database === db());
        const clients = (await show(pgb.b.port, 'CLIENTS')).filter((r) => r.database === db()).length;
        const servers = (await show(pgb.b.port, 'SERVERS')).filter((r) => r.database === db()).length;
        const xacts = Number(after.total_xact_count) - xact0;
        const backends = Number(await env.db.scalar(`SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`));
        console.log(`# ${JSON.stringify(counts)}`);
        console.log(`# PgBouncer: peak ${peak.cl} clients (${peak.waiting} waiting) on ${peak.sv} server connections; `
            + `after: ${clients} client and ${servers} server connections; ${xacts} transactions, `
            + `${Number(after.total_query_count) - (before ? Number(before.total_query_count) : 0)} statements; `
            + `PostgreSQL backends of the database (this test's own included): ${backends}`);
        assert.deepEqual(counts, { 'me 200': 2000, 'draft 201': 120, 'message 201': 40 });
        assert.ok(peak.sv <= POOL && servers <= POOL, `server connections: peak ${peak.sv}, after ${servers}`);
        // multiplexed: more client connections than server connections
        assert.ok(Math.max(peak.cl, clients) > POOL, `client connections: peak ${peak.cl}, after ${clients}`);
        assert.ok(xacts >= 2160, `${xacts} transactions for 2160 requests`);
        // env.db's own connection is direct: at most the pool plus it
        assert.ok(backends <= POOL + 1, `${backends} backends`);
        // every answered write is in the database
        const ids = s.citizens.map((u) => u.id).join(', ');
        assert.ok(Number(await env.db.scalar(`SELECT count(*) FROM upload_draft WHERE account_id IN (${ids})`)) >= 120);
        assert.equal(Number(await env.db.scalar(`SELECT count(*) FROM conversation WHERE account_id IN (${ids})`)), 41);
    });
});

if (PG) logTest();
