// The database misbehaves: docs/api.md promises "503 service_unavailable —
// database busy or unreachable (Retry-After set); nothing was changed", and
// the portal has to come back by itself once the database is fine again.
// SQLite: another process holds the write lock for a few seconds.
// PostgreSQL: the server terminates every connection of the portal (what a
// restart, failover or an admin's pg_terminate_backend does).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { WORKER } from '../lib/worker.mjs';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { uniqueEmail, sleep, waitUntil } from '../lib/util.mjs';
import { psqlAdmin, clusterFromEnv } from '../lib/pg.mjs';
import { strongPassword, registration, assertError, accountRows, counts, registerAndConfirm } from '../lib/flows.mjs';

// the workers' user (www-data, or the checkout's owner: tests/lib/worker.mjs)
function wwwData() {
    return { uid: WORKER.uid, gid: WORKER.gid };
}

// one request; a dropped connection (crashed child) becomes status 0
async function attempt(fn) {
    try {
        return await fn();
    } catch (e) {
        return { status: 0, text: `no answer: ${(e.cause && e.cause.message) || e.message}`, error: null };
    }
}

describe('database outage', () => {
    const h = useEnv({
        // mod_dbd reports lost connections itself; those lines are expected
        allowLog: [/\[dbd:error\]/]
    });

    test('SQLite write lock held elsewhere: 503 service_unavailable + Retry-After, nothing stored, then fine again',
        { skip: DB_KIND !== 'sqlite' && 'SQLite only (PostgreSQL: see the next test)' }, async () => {
            const env = h.env;
            const email = uniqueEmail('locked');
            const body = registration(email, strongPassword());
            const before = await counts(env);
            // the lock is held far longer than the module waits (~3.3 s),
            // taken before the request is sent, and ended after its answer
            const lock = spawn('sqlite3', [env.sqliteFile], { ...wwwData(), stdio: ['pipe', 'pipe', 'pipe'] });
            let lockErr = '';
            let lockOut = '';
            lock.stderr.on('data', (d) => { lockErr += d; });
            lock.stdout.on('data', (d) => { lockOut += d; });
            const lockDone = new Promise((r) => lock.on('exit', r));
            try {
                lock.stdin.write("BEGIN EXCLUSIVE;\nINSERT INTO jc_schema VALUES (1);\nSELECT 'locked';\n.shell sleep 15\nROLLBACK;\n");
                lock.stdin.end();
                await waitUntil(() => lockOut.includes('locked') || lockErr, { timeoutMs: 10000, intervalMs: 10, what: 'the write lock' });
                assert.equal(lockErr, '', lockErr);
                const r = await env.api.post('/api/v1/register', body);
                assertError(r, 503, 'service_unavailable');
                assert.match(r.headers.get('retry-after') || '', /^[1-9]\d*$/, 'Retry-After');
            } finally {
                // a killed writer's transaction never committed
                if (lock.exitCode === null) lock.kill('SIGKILL');
                await Promise.race([lockDone, sleep(10000)]);
            }
            assert.equal(lockErr, '', lockErr);
            assert.deepEqual(await counts(env), before, 'a refused request changed the database');
            const ok = await env.api.post('/api/v1/register', body);
            assert.equal(ok.status, 202, ok.text);
            assert.equal((await accountRows(env, email)).length, 1);
        });

    // The server ends every backend of the portal while the connections sit
    // idle in mod_dbd's pools. Before the fix, libpq still called them
    // CONNECTION_OK, mod_dbd handed them out and each one cost a request a
    // 503; now each is reopened before use (jc_db_revive) and no request
    // notices.
    test('PostgreSQL terminates the portal\'s idle connections: they are reopened before use, no request fails, no crash',
        { skip: DB_KIND !== 'pgsql' && 'PostgreSQL only' }, async () => {
            const env = h.env;
            const cluster = clusterFromEnv() || { host: env.pg.host, port: env.pg.port };
            const user = await registerAndConfirm(env, uniqueEmail('outage'), strongPassword());
            // fill the pools: parallel requests on fresh TCP connections
            for (let round = 0; round < 2; round++) {
                const rs = await Promise.all(Array.from({ length: 8 }, () =>
                    env.client({ fresh: true }).post('/api/v1/email/resend', { email: uniqueEmail('warm') })));
                assert.deepEqual(rs.map((r) => r.status), rs.map(() => 202));
            }
            // pg_terminate_backend(pid, timeout) returns once each backend is gone
            const out = await psqlAdmin(cluster, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE datname = '${env.pg.dbname}' AND pid <> pg_backend_pid()`);
            const text = typeof out === 'string' ? out : out.stdout;
            const terminated = Number((text.match(/^\s*(\d+)\s*$/m) || [])[1]);
            assert.ok(terminated >= 1, `no connection of the portal was terminated: ${out}`);

            // Fresh TCP connections, so that every server process is asked.
            const fresh = () => env.client({ fresh: true });
            const pair = async () => {
                const resend = await attempt(() => fresh().post('/api/v1/email/resend', { email: uniqueEmail('gone') }));
                const login = await attempt(() => fresh().post('/api/v1/login',
                    { login: user.email, password: user.password }));
                return [`resend ${resend.status}${resend.error ? ' ' + resend.error.code : ''}`,
                    `login ${login.status}${login.error ? ' ' + login.error.code : ''}`];
            };
            const ok = (s) => /^resend 202$|^login 200$/.test(s);
            const seen = [];
            for (let i = 0; i < 12; i++) seen.push(...await pair());
            const bad = seen.filter((s) => !ok(s));
            const crashes = env.errorLog().split('\n').filter((l) => /exit signal|Segmentation fault/.test(l));
            const reopened = env.errorLog().split('\n').filter((l) => /JC00008/.test(l)).length;
            assert.deepEqual({ unexpectedAnswers: bad, crashes },
                { unexpectedAnswers: [], crashes: [] },
                `${terminated} connection(s) terminated; answers afterwards: ${seen.join(', ')}`);
            console.log(`# ${terminated} connection(s) terminated, ${reopened} reopened before use (JC00008), `
                + `${seen.length} requests afterwards, all answered`);
        });

    test('PostgreSQL unreachable: 503 service_unavailable + Retry-After, nothing stored; back by itself once it is up',
        { skip: DB_KIND !== 'pgsql' && 'PostgreSQL only' }, async () => {
            const env = h.env;
            const cluster = clusterFromEnv() || { host: env.pg.host, port: env.pg.port };
            const email = uniqueEmail('down');
            const body = registration(email, strongPassword());
            // no new connections to the portal's database, and the open ones ended
            await psqlAdmin(cluster, `ALTER DATABASE "${env.pg.dbname}" ALLOW_CONNECTIONS false`);
            try {
                await psqlAdmin(cluster, `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = '${env.pg.dbname}' AND pid <> pg_backend_pid()`);
                const r = await attempt(() => env.client({ fresh: true }).post('/api/v1/register', body));
                assertError(r, 503, 'service_unavailable');
                assert.match(r.headers.get('retry-after') || '', /^[1-9]\d*$/, 'Retry-After');
            } finally {
                await psqlAdmin(cluster, `ALTER DATABASE "${env.pg.dbname}" ALLOW_CONNECTIONS true`);
            }
            assert.equal((await accountRows(env, email)).length, 0, 'a refused registration was stored');
            let last = null;
            await waitUntil(async () => {
                last = await attempt(() => env.client({ fresh: true }).post('/api/v1/register', body));
                return last.status === 202;
            }, { timeoutMs: 10000, intervalMs: 250, what: `registration once the database is back (last: ${last && last.status})` });
            assert.equal((await accountRows(env, email)).length, 1);
        });
});

logTest();
