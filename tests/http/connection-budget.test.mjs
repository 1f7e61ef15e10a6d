// Issue 20, connection budget: every node may open up to DBDMax x children
// PostgreSQL connections (children = MaxRequestWorkers / ThreadsPerChild);
// with JobcenterClusterNodes nodes that must fit into the server's
// max_connections minus the reserved ones. The module reads the server's
// limit on its first background connection and warns in Apache's error log
// (JC00851, [warn], not [error]) when the budget can exceed it; with a
// fitting budget it only tells the figures (JC00852, info).
//
// PostgreSQL: a throw-away cluster of this file with max_connections 20
// (superuser_reserved_connections 3: 17 for the portal), three Apaches:
//   - the generated configuration: DBDMax 25 x 150/25 = 6 children = 150
//     -> warning naming 150 and 17;
//   - one child, DBDMax 5, JobcenterClusterNodes 3: 15 -> no warning;
//   - the same with JobcenterClusterNodes 4: 20 -> warning.
// SQLite: no such limit, no warning and no budget line.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEnv, DB_KIND } from '../lib/env.mjs';
import { startCluster } from '../lib/pg.mjs';
import { waitUntil } from '../lib/util.mjs';

const ONE_CHILD = 'ServerLimit 1\nStartServers 1\nMaxRequestWorkers 25\nThreadsPerChild 25\n'
    + 'MinSpareThreads 1\nMaxSpareThreads 25\nDBDMax 5\n';

const budgetLines = (env) => env.errorLog().split('\n').filter((l) => /JC0085[123]/.test(l));

// start an environment, wait for the budget line (PostgreSQL) or a few
// watchdog ticks (SQLite), stop it; the error log's lines about the budget
async function budgetOf(opts) {
    const env = await startEnv({ sets: ['JobcenterMailInterval 1'], ...opts });
    try {
        if (env.dbKind === 'pgsql') {
            await waitUntil(() => budgetLines(env).some((l) => /JC0085[12]/.test(l)),
                { timeoutMs: 15000, what: 'the connection budget line' });
        } else {
            // the watchdog has run (mail interval 1 s) and logged nothing
            await new Promise((r) => setTimeout(r, 3000));
        }
        assert.deepEqual(env.unexpectedLogLines(), []);
        return budgetLines(env);
    } finally {
        await env.stop();
    }
}

describe('connection budget against the server\'s max_connections', () => {
    let cluster = null;
    after(async () => { if (cluster) await cluster.stop(); });

    test('set-up: a PostgreSQL cluster with max_connections 20', { skip: DB_KIND !== 'pgsql' }, async () => {
        const base = fs.mkdtempSync(path.join(process.env.JC_TMP || os.tmpdir(), 'pg-small-'));
        cluster = await startCluster(base, { maxConnections: 20 });
    });

    test('the generated configuration (150 connections) is warned about, at [warn]', { skip: DB_KIND !== 'pgsql' }, async () => {
        const lines = await budgetOf({ db: 'pgsql', pgCluster: cluster });
        console.log(`# ${lines.join('\n# ')}`);
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0], /\[jobcenter:warn\].*JC00851/);
        assert.match(lines[0], /up to 150 PostgreSQL connections \(DBDMax 25 x 6 children x JobcenterClusterNodes 1/);
        assert.match(lines[0], /server takes 17 \(max_connections 20 - 3 reserved\)/);
    });

    test('a fitting budget (1 child x DBDMax 5 x 3 nodes = 15) is not warned about', { skip: DB_KIND !== 'pgsql' }, async () => {
        const lines = await budgetOf({ db: 'pgsql', pgCluster: cluster, extra: ONE_CHILD + 'JobcenterClusterNodes 3\n' });
        console.log(`# ${lines.join('\n# ')}`);
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0], /\[jobcenter:info\].*JC00852.*up to 15 PostgreSQL connections.*server takes 17/);
    });

    test('the same with JobcenterClusterNodes 4 (20 > 17) is warned about', { skip: DB_KIND !== 'pgsql' }, async () => {
        const lines = await budgetOf({ db: 'pgsql', pgCluster: cluster, extra: ONE_CHILD + 'JobcenterClusterNodes 4\n' });
        console.log(`# ${lines.join('\n# ')}`);
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0], /\[jobcenter:warn\].*JC00851.*up to 20 PostgreSQL connections \(DBDMax 5 x 1 children x JobcenterClusterNodes 4/);
    });

    test('SQLite: no connection limit, no budget line', { skip: DB_KIND !== 'sqlite' }, async () => {
        assert.deepEqual(await budgetOf({ db: 'sqlite' }), []);
    });
});
