// A child that exits while its background work holds a database connection.
//
// mod_dbd keeps a child's connections in an apr_reslist in a subpool of the
// child's pool. APR destroys subpools before the pool's own cleanups, and
// mod_watchdog joins its threads only in those cleanups: a watchdog thread
// still holding a connection made the exiting child abort in
// apr_reslist.c ("reslist_cleanup: Assertion `rl->ntotal == 0' failed",
// then "AH00052: child pid … exit signal Aborted"). Seen at a stop right
// after the first round of background jobs started. The module now waits
// (a pre-cleanup of the child's pool, bounded) until its background work
// has given its connections back, and opens no new one once the child
// exits (mod_jobcenter.c: jc_dbd_open_wait / jc_dbd_release).
//
// To stop Apache while the outbox holds a connection, the test queues a
// due mail and then holds the lock its claim needs (SQLite: the write lock
// from a sqlite3 process; PostgreSQL: LOCK TABLE mail_outbox from psql), so
// the claim waits inside the module with the connection in hand; then it
// stops Apache gracefully.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { useEnv, logTest, DB_KIND } from '../lib/env.mjs';
import { sleep, waitUntil } from '../lib/util.mjs';
import { psqlBin } from '../lib/pg.mjs';
import { WORKER } from '../lib/worker.mjs';

// a process holding the lock the outbox claim needs; resolves once held
async function holdClaimLock(env) {
    const now = Math.floor(Date.now() / 1000);
    const insert = 'INSERT INTO mail_outbox (rcpt, subject, message, created_at, next_attempt_at) VALUES '
        + `('exit@example.org', 'Test', 'Subject: Test\r\n\r\nTest\r\n', ${now}, ${now})`;
    let p;
    let script;
    if (DB_KIND === 'sqlite') {
        p = spawn('sqlite3', [env.sqliteFile], { uid: WORKER.uid, gid: WORKER.gid, stdio: ['pipe', 'pipe', 'pipe'] });
        script = `${insert};\nBEGIN IMMEDIATE;\nSELECT 'locked';\n.shell sleep 20\nROLLBACK;\n`;
    } else {
        p = spawn(psqlBin(), ['-X', '-q', '-At', '-h', env.pg.host, '-p', String(env.pg.port), '-U', 'postgres',
            '-d', env.pg.dbname], { stdio: ['pipe', 'pipe', 'pipe'] });
        script = `${insert};\nBEGIN;\nLOCK TABLE mail_outbox IN EXCLUSIVE MODE;\nSELECT 'locked';\n`
            + 'SELECT pg_sleep(6);\nROLLBACK;\n';
    }
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const done = new Promise((r) => p.on('exit', r));
    p.stdin.end(script);
    await waitUntil(() => out.includes('locked') || err, { timeoutMs: 10000, intervalMs: 10, what: 'the lock' });
    assert.equal(err, '', err);
    return { end: async () => { if (p.exitCode === null) p.kill('SIGKILL'); await Promise.race([done, sleep(5000)]); } };
}

describe('a child exits while its background work holds a database connection', () => {
    // the outbox's refused claim is logged; the child must not die
    const h = useEnv({ allowLog: [/JC0020\d/, /\[dbd:error\]/] });

    test('graceful stop while the outbox waits for a lock with a connection in hand: no child aborts', async () => {
        const env = h.env;
        // the watchdog runs (its first round is over) before the lock
        await sleep(3000);
        const lock = await holdClaimLock(env);
        let stopped;
        try {
            // the next tick (every 2 s) finds the due mail and waits for the lock
            await sleep(2500);
            stopped = env.apache.stop();
            await stopped;
        } finally {
            await lock.end();
        }
        assert.equal(env.apache.killed, false, 'Apache had to be killed');
        const crashes = env.errorLog().split('\n').filter((l) => /exit signal|Assertion|reslist/.test(l));
        assert.deepEqual(crashes, [], 'a child died at exit');
    });
});

logTest();
