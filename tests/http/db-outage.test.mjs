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
            const lock = spawn('sqlite3', [env.sqliteFile], { ...wwwData(), stdio: ['pipe', 'ignore', 'pipe'] });
            let lockErr = '';
            lock.stderr.on('data', (d) => { lockErr += d; });
            const lockDone = new Promise((r) => lock.on('exit', r));
            try {
                lock.stdin.write('BEGIN EXCLUSIVE;\nINSERT INTO jc_schema VALUES (1);\n.shell sleep 4\nROLLBACK;\n');
                lock.stdin.end();
                await sleep(400);
                const r = await env.api.post('/api/v1/register', body);
                assertError(r, 503, 'service_unavailable');
                assert.match(r.headers.get('retry-after') || '', /^[1-9]\d*$/, 'Retry-After');
            } finally {
                await Promise.race([lockDone, sleep(10000)]);
                if (lock.exitCode === null) lock.kill('SIGKILL');
            }
            assert.equal(lockErr, '', lockErr);
            assert.deepEqual(await counts(env), before, 'a refused request changed the database');
            const ok = await env.api.post('/api/v1/register', body);
            assert.equal(ok.status, 202, ok.text);
            assert.equal((await accountRows(env, email)).length, 1);
        });

    test('PostgreSQL terminates the portal\'s connections: no crash, 503 or success, and service is back within 5 s',
        { skip: DB_KIND !== 'pgsql' && 'PostgreSQL only' }, async () => {
            const env = h.env;
            const cluster = clusterFromEnv() || { host: env.pg.host, port: env.pg.port };
            const user = await registerAndConfirm(env, uniqueEmail('outage'), strongPassword());
            // use the pooled connections of every server process once
            for (let i = 0; i < 8; i++) {
                const r = await env.client({ fresh: true }).post('/api/v1/email/resend', { email: uniqueEmail('warm') });
                assert.equal(r.status, 202);
            }
            await psqlAdmin(cluster, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${env.pg.dbname}'`);
            await sleep(200);

            // every request gets an answer: the documented 503 or a success.
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
            for (let i = 0; i < 6; i++) seen.push(...await pair());
            const bad = seen.filter((s) => !ok(s) && !/ 503 service_unavailable$/.test(s));
            // then the portal works again by itself: within 5 s, and from
            // then on every request succeeds
            let recovered = false;
            const after = [];
            try {
                await waitUntil(async () => (await pair()).every(ok), { timeoutMs: 5000, intervalMs: 250, what: 'recovery' });
                for (let i = 0; i < 12; i++) after.push(...await pair());
                recovered = after.every(ok);
            } catch { /* reported below */ }
            const crashes = env.errorLog().split('\n').filter((l) => /exit signal|Segmentation fault/.test(l));
            const errors = env.errorLog().split('\n').filter((l) => /\[jobcenter:error\]/.test(l)).slice(0, 3);
            assert.deepEqual({ unexpectedAnswers: bad, crashes, recovered },
                { unexpectedAnswers: [], crashes: [], recovered: true },
                `answers right after the connections were terminated: ${seen.join(', ')}\n`
                + `answers after the first success: ${after.join(', ') || 'none'}\n${errors.join('\n')}`);
        });
});

logTest();
