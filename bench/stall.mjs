// bench/stall.mjs -- issue 20's two remaining figures, with the test
// harness (tests/lib): run by bench/run.sh phase `stall`, or alone:
//   node --test-reporter=dot bench/stall.mjs            (as root)
//   STALL_OUT=FILE  the summary lines (default: stdout only)
//
// 1. /me p99 while another request of the same child runs a ~1 s statement
//    (target < 10 ms), SQLite and PostgreSQL: one Apache child (ServerLimit
//    1, 25 threads); the slow request is the one of
//    tests/http/slow-statement.test.mjs (SQLite: a staff inbox page over a
//    conversation filled until the page takes >= 1 s; PostgreSQL: a staff
//    status change waiting 1.2 s for a row lock held by psql), repeated
//    STALL_ROUNDS (default 5) times while STALL_C (default 4) citizens call
//    /me back to back; the same clients without a slow request as baseline.
//    Then the same with wrk (-t1 -cSTALL_C -dSTALL_WRK_SECS, default 4 s,
//    STALL_WRK_ROUNDS rounds, default 3, against a baseline run before
//    each): the slow request runs for the whole window (SQLite: the inbox
//    page back to back; PostgreSQL: the row lock held STALL_WRK_SECS + 1.5 s,
//    the waiting write seen in pg_stat_activity before and after wrk). The
//    target is judged on wrk's figures: node's event loop serving STALL_C
//    clients beside the server on 2 vCPUs adds its own tail to the p99.
// 2. /me at -c256 (wrk -t2 -d10s) on PostgreSQL behind PgBouncer 1.18 in
//    session mode (default_pool_size 150 = DBDMax 25 x 6 children of the
//    generated configuration): non-2xx answers (target 0) and socket errors.
// 3. /me at -c256 with PostgreSQL's default max_connections 100 (a cluster
//    of its own), session cache off (every /me reads the database), the
//    generated configuration (6 children x DBDMax 25 = 150 connections):
//    directly with named statements, directly with unnamed ones, and behind
//    PgBouncer in transaction mode (default_pool_size PGB_TX_POOL, default
//    20) with unnamed ones: req/s, non-2xx (target 0 behind PgBouncer),
//    backends. And the per-statement cost of unnamed statements: /me at
//    -c32 directly, named vs unnamed, interleaved PGB_TX_ROUNDS (default 3)
//    times.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startEnv } from '../tests/lib/env.mjs';
import { startCluster, psqlBin, psqlAdmin } from '../tests/lib/pg.mjs';
import { startPgBouncer } from '../tests/lib/pgbouncer.mjs';
import { uniqueEmail, sleep, nowSec, run } from '../tests/lib/util.mjs';
import { registerAndConfirm, strongPassword } from '../tests/lib/flows.mjs';
import { addJobcenter, addStaff, loginFull, createCustomer } from '../tests/lib/staff.mjs';
import { lit } from '../tests/lib/db.mjs';

const ROUNDS = Number(process.env.STALL_ROUNDS || 5);
const C = Number(process.env.STALL_C || 4);
const HOLD_MS = 1200;
const WRK_SECS = Number(process.env.STALL_WRK_SECS || 4);
const WRK_ROUNDS = Number(process.env.STALL_WRK_ROUNDS || 3);
const lines = [];
const say = (l) => { lines.push(l); console.log(`# ${l}`); };

function pct(xs, p) {
    if (!xs.length) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);

let cluster = null;
before(async () => {
    cluster = await startCluster(fs.mkdtempSync(path.join(os.tmpdir(), 'jc-stall-pg-')));
    process.env.JC_PG_HOST = cluster.host;
    process.env.JC_PG_PORT = String(cluster.port);
});
after(async () => {
    if (cluster) {
        await cluster.stop();
        fs.rmSync(path.dirname(cluster.dataDir), { recursive: true, force: true });
    }
    if (process.env.STALL_OUT) fs.writeFileSync(process.env.STALL_OUT, lines.join('\n') + '\n');
});

async function stallFigures(db) {
    // the previous case's writes (SQLite's 8,000,000-row database) reach
    // the disk now, not during this case's windows
    await run('sync', [], { timeoutMs: 300000 });
    const env = await startEnv({
        db,
        extra: 'ServerLimit 1\nStartServers 1\nMaxRequestWorkers 25\nMinSpareThreads 1\nMaxSpareThreads 25\n'
            // the strict figure: every /me reads the database (no session
            // cache, where the module has one)
            + '<IfDirective JobcenterSessionCacheTTL>\nJobcenterSessionCacheTTL 0\n</IfDirective>\n'
    });
    try {
        await addJobcenter(env, 'Jobcenter Langsam', ['71399']);
        const staff = await addStaff(env, 'Jobcenter Langsam', { tag: 'slow' });
        const sb = await loginFull(env, staff);
        const cust = await createCustomer(sb, { postcode: '71399' });
        const [j] = await env.db.query(`SELECT id FROM jobcenter WHERE name = ${lit('Jobcenter Langsam')}`);
        const now = nowSec();
        await env.db.exec(`INSERT INTO conversation (jobcenter_id, customer_id, anliegen, team, subject,
            idempotency_key, created_at, updated_at) VALUES (${Number(j.id)}, ${Number(cust.id)},
            'sonstiges', 'leistung', 'Langes Gespräch', 'slow-1', ${now}, ${now})`);
        const conv = Number(await env.db.scalar("SELECT id FROM conversation WHERE idempotency_key = 'slow-1'"));
        const citizens = [];
        for (let i = 0; i < C; i++) {
            const pw = strongPassword();
            const u = await registerAndConfirm(env, uniqueEmail('me'), pw);
            const cl = env.client();
            assert.equal((await cl.post('/api/v1/login', { login: u.email, password: pw })).status, 200);
            citizens.push(cl);
        }
        const inbox = async () => {
            const t0 = performance.now();
            const r = await sb.get('/api/v1/staff/messages?limit=50', { timeoutMs: 60000 });
            assert.equal(r.status, 200, r.text);
            return performance.now() - t0;
        };
        let rows = 0;
        if (db === 'sqlite') {
            let want = 1000000, ms = 0;
            while (rows < 32000000) {
                for (let from = rows + 1; from <= want; from += 1000000) {
                    const to = Math.min(from + 1000000, want + 1);
                    await env.db.exec(`PRAGMA synchronous=OFF; WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL
                        SELECT i + 1 FROM n WHERE i < ${to - 1}) INSERT INTO message (conversation_id, body,
                        created_at) SELECT ${conv}, 'Nachricht ' || i, 0 FROM n`);
                }
                rows = want;
                await env.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
                ms = Math.min(await inbox(), await inbox());
                if (ms >= 1000) break;
                want *= 2;
            }
            await run('sync', [], { timeoutMs: 300000 });   // the fill's pages on disk before measuring
        }
        const slow = async (hold = HOLD_MS) => {
            const t0 = performance.now();
            if (db === 'pgsql') {
                const p = spawn(psqlBin(), ['-X', '-q', '-h', env.pg.host, '-p', String(env.pg.port), '-U', 'jc',
                    '-d', env.pg.dbname, '-c', `BEGIN; SELECT id FROM conversation WHERE id = ${conv} FOR UPDATE; `
                    + `SELECT pg_sleep(${hold / 1000}); COMMIT;`], { stdio: 'ignore' });
                const done = new Promise((res) => p.on('exit', res));
                const probe = `SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%FOR UPDATE%pg_sleep%'
                    AND state = 'active' AND pid <> pg_backend_pid()`;
                for (let i = 0; i < 100 && Number(await env.db.scalar(probe)) === 0; i++) await sleep(10);
                await sleep(20);
                const r = await sb.post('/api/v1/staff/messages/status', { conversation: conv, status: 'erledigt' },
                    { csrf: true, timeoutMs: 60000 });
                assert.equal(r.status, 200, r.text);
                await done;
            } else {
                await inbox();
            }
            return performance.now() - t0;
        };
        // /me back to back by every citizen while fn() runs (or for ms)
        const window = async (fn) => {
            let end = 0;
            const lat = [];
            const w = fn().then((ms) => { end = performance.now(); return ms; });
            await sleep(30);
            await Promise.all(citizens.map(async (c) => {
                while (!end) {
                    const a = performance.now();
                    const r = await c.get('/api/v1/me');
                    const b = performance.now();
                    assert.equal(r.status, 200, r.text);
                    if (a < (end || Infinity)) lat.push(b - a);
                }
            }));
            return { ms: await w, lat };
        };
        await window(slow);     // warm-up: every thread gets its connection
        const base = [], during = [], slowMs = [];
        for (let k = 0; k < ROUNDS; k++) {
            base.push(...(await window(() => sleep(1000).then(() => 1000))).lat);
            const w = await window(slow);
            during.push(...w.lat);
            slowMs.push(w.ms);
        }
        // The same with a C client (wrk, one thread, STALL_C connections on
        // one citizen's session): node's event loop runs STALL_C clients and
        // shares the 2 vCPUs with the server, so its p99 carries the
        // client's own delays. wrk runs WRK_SECS while the slow request runs
        // the whole time: SQLite repeats the inbox page back to back,
        // PostgreSQL holds the row lock for the whole window.
        const wrkRun = async () => {
            const r = await run('wrk', ['-t1', `-c${C}`, `-d${WRK_SECS}s`, '--timeout', '10s', '--latency',
                '-H', `Cookie: ${citizens[0].jar.header()}`, `${env.base}/api/v1/me`], { timeoutMs: 120000 });
            const o = r.stdout;
            const ms = (re) => {
                const m = o.match(re);
                if (!m) return NaN;
                return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 })[m[2]];
            };
            const n = Number((o.match(/(\d+) requests in/) || [0, NaN])[1]);
            const bad = Number((o.match(/Non-2xx or 3xx responses: (\d+)/) || [0, 0])[1]);
            assert.ok(n > 0 && bad === 0, o);
            return { n, p50: ms(/ 50%\s+([\d.]+)(us|ms|s)\b/), p99: ms(/ 99%\s+([\d.]+)(us|ms|s)\b/),
                max: ms(/Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\b/) };
        };
        const lockWaits = async () => Number(await env.db.scalar(`SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`));
        const wrkBase = [], wrkDuring = [], cover = [];
        for (let k = 0; k < WRK_ROUNDS; k++) {
            wrkBase.push(await wrkRun());
            let stop = false, busy = 0, w0 = 0;
            const spans = [];
            let loop;
            if (db === 'pgsql') {
                loop = slow(WRK_SECS * 1000 + 1500).then((ms) => spans.push(ms));
                for (let i = 0; i < 300 && !(await lockWaits()); i++) await sleep(10);
                assert.equal(await lockWaits(), 1, 'the staff write does not wait for the row lock');
            } else {
                loop = (async () => {
                    while (!stop) {
                        const a = performance.now();
                        await inbox();
                        spans.push([a, performance.now()]);
                    }
                })();
                await sleep(30);
            }
            w0 = performance.now();
            const w = await wrkRun();
            const w1 = performance.now();
            // PostgreSQL: the write waited from before w0 until after w1
            const stillWaiting = db === 'pgsql' ? await lockWaits() : 0;
            stop = true;
            await loop;
            if (db === 'pgsql') {
                assert.equal(stillWaiting, 1, 'the staff write stopped waiting before wrk ended');
                busy = w1 - w0;
                assert.ok(spans[0] >= WRK_SECS * 1000, `the write waited only ${spans[0]} ms`);
            } else {
                for (const [a, b] of spans) busy += Math.max(0, Math.min(b, w1) - Math.max(a, w0));
            }
            cover.push(busy / (w1 - w0));
            wrkDuring.push(w);
        }
        const worst = (xs, k) => Math.max(...xs.map((x) => x[k]));
        const what = db === 'sqlite' ? `staff inbox over ${rows} messages` : `staff write waiting ${HOLD_MS} ms for a row lock`;
        say(`stall ${db} (wrk -t1 -c${C} -d${WRK_SECS}s on /me, one session, ${WRK_ROUNDS} rounds; slow request running `
            + `${(100 * Math.min(...cover)).toFixed(0)}-${(100 * Math.max(...cover)).toFixed(0)} % of each window: `
            + `${db === 'sqlite' ? `${what}, back to back` : `staff write waiting ${WRK_SECS * 1000 + 1500} ms for a row lock`}): `
            + `/me during it: p50 ${wrkDuring.map((x) => f2(x.p50)).join(' ')} ms, p99 ${wrkDuring.map((x) => f2(x.p99)).join(' ')} ms, `
            + `max ${wrkDuring.map((x) => f1(x.max)).join(' ')} ms, ${wrkDuring.map((x) => x.n).join(' ')} requests `
            + `[target p99 < 10 ms: ${worst(wrkDuring, 'p99') < 10 ? 'met' : 'NOT met'} (worst round)]; baseline without it: `
            + `p50 ${wrkBase.map((x) => f2(x.p50)).join(' ')} ms, p99 ${wrkBase.map((x) => f2(x.p99)).join(' ')} ms, `
            + `${wrkBase.map((x) => x.n).join(' ')} requests`);
        const whatNode = db === 'sqlite' ? `staff inbox over ${rows} messages` : `staff write waiting ${HOLD_MS} ms for a row lock`;
        say(`stall ${db} (node clients): slow request (${whatNode}) median ${f1(pct(slowMs, 50))} ms; /me (${C} clients, one child) `
            + `during it: n ${during.length}, p50 ${f1(pct(during, 50))} ms, p99 ${f1(pct(during, 99))} ms, `
            + `max ${f1(Math.max(...during))} ms [target p99 < 10 ms: ${pct(during, 99) < 10 ? 'met' : 'NOT met'}]; `
            + `baseline without it: p50 ${f1(pct(base, 50))} ms, p99 ${f1(pct(base, 99))} ms`);
    } finally {
        await env.stop();
    }
}

// wrk on /me with c's cookie: req/s, p99, non-2xx, socket errors
async function wrkMe(env, c, conns, secs = 10) {
    const r = await run('wrk', ['-t2', `-c${conns}`, `-d${secs}s`, '--timeout', '30s', '--latency',
        '-H', `Cookie: ${c.jar.header()}`, `${env.base}/api/v1/me`], { timeoutMs: 120000 });
    const out = r.stdout;
    return {
        non2xx: Number((out.match(/Non-2xx or 3xx responses: (\d+)/) || [0, 0])[1]),
        sock: (out.match(/Socket errors: [^\n]*/) || ['Socket errors: none'])[0],
        rps: Number((out.match(/Requests\/sec:\s+([\d.]+)/) || [0, 0])[1]),
        p99: (out.match(/ 99%\s+(\S+)/) || [0, '?'])[1]
    };
}

// an environment on cluster c (directly or through PgBouncer pgb) with a
// logged-in citizen, its connections opened by a warm-up
async function meEnv(c, { statements, pgb = null }) {
    const env = await startEnv({
        db: 'pgsql', pgCluster: c, pgStatements: statements,
        pgParams: pgb ? (pg) => `host=127.0.0.1 port=${pgb.port} dbname=${pg.dbname} user=jc` : undefined,
        sets: ['JobcenterSessionCacheTTL 0'],
        // direct at -c256 PostgreSQL refuses connections beyond its limit:
        // that is what is counted here
        allowLog: [/AH00484|AH10159|AH00633|AH02655|AH00632|too many clients|JC00009|JC0010\d|JC00003|JC00005/]
    });
    const pw = strongPassword();
    const u = await registerAndConfirm(env, uniqueEmail('wrk'), pw);
    const cl = env.client();
    assert.equal((await cl.post('/api/v1/login', { login: u.email, password: pw })).status, 200);
    await wrkMe(env, cl, 64, 3);
    return { env, cl };
}

describe('issue 20 bench: no stall, PgBouncer', () => {
    test('/me p99 while a 1 s statement runs on the same child: SQLite', () => stallFigures('sqlite'));
    test('/me p99 while a 1 s statement runs on the same child: PostgreSQL', () => stallFigures('pgsql'));

    test('/me at -c256 on PostgreSQL behind PgBouncer (session mode)', async () => {
        const pgb = await startPgBouncer({ host: cluster.host, port: cluster.port, mode: 'session', poolSize: 150 });
        let env = null;
        try {
            env = await startEnv({
                db: 'pgsql', pgParams: (pg) => `host=127.0.0.1 port=${pgb.port} dbname=${pg.dbname} user=jc`,
                allowLog: [/AH00484|AH10159/]
            });
            const pw = strongPassword();
            const u = await registerAndConfirm(env, uniqueEmail('wrk'), pw);
            const c = env.client();
            assert.equal((await c.post('/api/v1/login', { login: u.email, password: pw })).status, 200);
            await run('wrk', ['-t2', '-c64', '-d3s', '-H', `Cookie: ${c.jar.header()}`, `${env.base}/api/v1/me`],
                { timeoutMs: 60000 });  // warm-up: the children open their connections
            const r = await run('wrk', ['-t2', '-c256', '-d10s', '--timeout', '30s', '--latency',
                '-H', `Cookie: ${c.jar.header()}`, `${env.base}/api/v1/me`], { timeoutMs: 120000 });
            const out = r.stdout;
            const non2xx = Number((out.match(/Non-2xx or 3xx responses: (\d+)/) || [0, 0])[1]);
            const sock = (out.match(/Socket errors: [^\n]*/) || ['Socket errors: none'])[0];
            const rps = (out.match(/Requests\/sec:\s+([\d.]+)/) || [0, '?'])[1];
            const p99 = (out.match(/ 99%\s+(\S+)/) || [0, '?'])[1];
            const backends = Number(await env.db.scalar(`SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()`));
            say(`pgbouncer session: /me wrk -t2 -c256 -d10s: ${rps} req/s, p99 ${p99}, non-2xx ${non2xx} `
                + `[target 0: ${non2xx === 0 ? 'met' : 'NOT met'}], ${sock}; PostgreSQL backends of the portal ${backends} `
                + '(pool 150)');
        } finally {
            if (env) await env.stop();
            await pgb.stop();
        }
    });

    test('/me at -c256, max_connections 100: direct (named, unnamed) and PgBouncer transaction mode (unnamed)', async () => {
        const pool = Number(process.env.PGB_TX_POOL || 20);
        const rounds = Number(process.env.PGB_TX_ROUNDS || 3);
        const c = await startCluster(fs.mkdtempSync(path.join(os.tmpdir(), 'jc-pgbtx-pg-')), { maxConnections: 100 });
        const pgb = await startPgBouncer({ host: c.host, port: c.port, mode: 'transaction', poolSize: pool,
            maxClientConn: 1000 });
        // as the superuser: the portal may hold every other slot
        const backends = async (env) => Number((await psqlAdmin(c, `SELECT count(*) FROM pg_stat_activity
            WHERE datname = '${env.pg.dbname}' AND backend_type = 'client backend'`)).stdout.match(/^\s*(\d+)\s*$/m)[1]);
        const fmt = (w) => `${w.rps.toFixed(0)} req/s, p99 ${w.p99}, non-2xx ${w.non2xx}, ${w.sock}`;
        try {
            // the per-statement cost: named vs unnamed directly, at -c32
            // (well within the connection limit), interleaved
            const named = await meEnv(c, { statements: 'prepared' });
            const unnamed = await meEnv(c, { statements: 'unnamed' });
            const r32 = { prepared: [], unnamed: [] };
            try {
                for (let k = 0; k < rounds; k++) {
                    r32.prepared.push((await wrkMe(named.env, named.cl, 32)).rps);
                    r32.unnamed.push((await wrkMe(unnamed.env, unnamed.cl, 32)).rps);
                }
                // the same statement alone, server side: pgbench on the session
                // check's SELECT (jc_sess_get) with a real session, one client,
                // -M prepared (named, parsed and planned once) vs -M extended
                // (unnamed, PQexecParams: what JobcenterPgStatements unnamed
                // sends), interleaved; as the superuser (the two Apaches
                // may hold every other connection slot)
                const hash = (await psqlAdmin(c, "SELECT 'H:' || id_hash FROM session LIMIT 1", named.env.pg.dbname))
                    .stdout.match(/H:(\S+)/)[1];
                const script = path.join(named.env.root, 'sess_get.sql');
                fs.writeFileSync(script, 'SELECT s.account_id, s.state, s.csrf_token, s.last_seen, s.expires_at, a.email, '
                    + 'a.username, a.email_confirmed_at, a.created_at, s.verified_at FROM session s '
                    + 'JOIN account a ON a.id = s.account_id WHERE s.id_hash = :h;\n');
                fs.chmodSync(path.dirname(script), 0o755);
                fs.chmodSync(script, 0o644);
                const pgbench = async (mode) => {
                    const r = await run(path.join(path.dirname(psqlBin()), 'pgbench'), ['-n', '-M', mode, '-c', '1', '-j', '1',
                        '-T', '5', '-f', script, '-D', `h=${hash}`, '-h', c.host, '-p', String(c.port), '-U', 'postgres',
                        named.env.pg.dbname], { timeoutMs: 60000 });
                    return Number((r.stdout.match(/latency average = ([\d.]+) ms/) || [0, NaN])[1]) * 1000;
                };
                const us = { prepared: [], extended: [] };
                for (let k = 0; k < rounds; k++) {
                    us.prepared.push(await pgbench('prepared'));
                    us.extended.push(await pgbench('extended'));
                }
                say(`pg statements: jc_sess_get alone (pgbench, 1 client, 5 s, median of ${rounds}): named (-M prepared) `
                    + `${pct(us.prepared, 50).toFixed(1)} us, unnamed (-M extended) ${pct(us.extended, 50).toFixed(1)} us `
                    + `per statement incl. the round trip (+${(pct(us.extended, 50) - pct(us.prepared, 50)).toFixed(1)} us); `
                    + `runs: ${us.prepared.map((x) => x.toFixed(1)).join(' ')} / ${us.extended.map((x) => x.toFixed(1)).join(' ')}`);
            } finally {
                await named.env.stop();
                await unnamed.env.stop();
            }
            const med = (xs) => pct(xs, 50);
            say(`pg statements: /me -c32 direct, session cache off, median of ${rounds}: named ${med(r32.prepared).toFixed(0)} `
                + `req/s, unnamed ${med(r32.unnamed).toFixed(0)} req/s (unnamed/named `
                + `${(med(r32.unnamed) / med(r32.prepared)).toFixed(2)}); runs: named ${r32.prepared.map((x) => x.toFixed(0)).join(' ')}, `
                + `unnamed ${r32.unnamed.map((x) => x.toFixed(0)).join(' ')}`);

            for (const [name, opts] of [['direct named', { statements: 'prepared' }],
                ['direct unnamed', { statements: 'unnamed' }],
                [`pgbouncer transaction (pool ${pool}) unnamed`, { statements: 'unnamed', pgb }]]) {
                const e = await meEnv(c, opts);
                try {
                    const w = await wrkMe(e.env, e.cl, 256);
                    const b = await backends(e.env);
                    const target = opts.pgb ? ` [target 0: ${w.non2xx === 0 ? 'met' : 'NOT met'}]` : '';
                    say(`max_connections 100, /me wrk -t2 -c256 -d10s, session cache off, ${name}: ${fmt(w)}${target}; `
                        + `PostgreSQL backends afterwards ${b}`);
                } finally {
                    await e.env.stop();
                }
            }
        } finally {
            await pgb.stop();
            await c.stop();
            fs.rmSync(path.dirname(c.dataDir), { recursive: true, force: true });
        }
    });
});
