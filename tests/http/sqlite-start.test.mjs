// SQLite with several children starting at once (Debian's default site has
// StartServers 2; an install may have more): every child's first database
// connections open at the same moment, on a database file whose WAL index
// one of them is just setting up. mod_dbd used to prepare the whole
// statement table (~200 statements) through apr_dbd_sqlite3 on each new
// connection, without a busy handler, and a "database is locked" there
// failed the connection: "AH00632: failed to prepare SQL statements:
// database is locked" and "AH02655" at [error] in the log (found by the
// Debian package's install test). jc_db prepares its own statements on
// SQLite (natively, with the busy retries), so the module registers none
// with mod_dbd when the server's DBDriver is sqlite3.
// Each round: a fresh database and key, 4 children started at once, 64
// requests that each take a database connection, then the log. (The race
// is rare: the install test met it on Debian's stock Apache; 13 rounds of
// this file with 4 and 8 children did not, before the change. It guards
// against the lines coming back; `ROUNDS=n` runs more.)
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startEnv, DB_KIND } from '../lib/env.mjs';

const CHILDREN = 'StartServers 4\nServerLimit 4\nMaxRequestWorkers 100\nThreadsPerChild 25\n'
    + 'MinSpareThreads 25\nMaxSpareThreads 100\n';

describe('SQLite: children starting at once', { skip: DB_KIND !== 'sqlite' && 'SQLite only' }, () => {
    for (let round = 1; round <= Number(process.env.ROUNDS || 2); round++) {
        test(`round ${round}: 4 children, 64 requests at start-up, no [error] in the log`, async () => {
            const env = await startEnv({ extra: CHILDREN });
            try {
                const answers = await Promise.all(Array.from({ length: 64 }, async (_, i) => {
                    const c = env.client();
                    // a login attempt reads the account table (a connection)
                    const r = await c.post('/api/v1/login', { login: `nobody${i}@example.org`, password: 'Falsch-Passwort-1' });
                    return r.status;
                }));
                assert.ok(answers.every((s) => s === 401 || s === 429), JSON.stringify(answers));
            }
            finally {
                await env.stop();
            }
            assert.deepEqual(env.unexpectedLogLines(), []);
        });
    }
});
