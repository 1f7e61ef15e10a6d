// Every statement of the statement table (the lists mod_jobcenter/
// jc_sql_*.h, see jc_sql.h) is prepared on the database in use by
// build/jc-sql-check (tools/jc-sql-check.c), which compares each
// statement's result columns with the list declared next to its SQL:
// count and names in order; writes (JC_EXEC) return no columns. The
// callers read columns by those names (JC_COL_<ID>_<COL>), so a reordered
// or renamed column fails here instead of at run time. Issue 16.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { useEnv, logTest, DB_KIND, TOP } from '../lib/env.mjs';
import { readStatements } from '../lib/sqlstmts.mjs';
import { run } from '../lib/util.mjs';
import { WORKER } from '../lib/worker.mjs';

const TOOL = path.join(TOP, 'build', 'jc-sql-check');

describe(`statement columns (${DB_KIND})`, () => {
    const h = useEnv();

    test('every statement prepares and returns the columns declared next to its SQL', async () => {
        const env = h.env;
        const stmts = readStatements();
        assert.ok(stmts.length > 150, `only ${stmts.length} statements parsed`);
        assert.ok(stmts.filter((s) => s.cols).length > 100, 'too few statements with columns');
        // SQLite: opened read-only as the workers' user (no root-owned
        // -shm); PostgreSQL: the environment's database as role jc
        const args = DB_KIND === 'pgsql'
            ? ['pgsql', `host=${env.pg.host} port=${env.pg.port} dbname=${env.pg.dbname} user=jc`]
            : ['sqlite3', env.sqliteFile];
        const ids = process.getuid() === 0 && DB_KIND !== 'pgsql' ? { uid: WORKER.uid, gid: WORKER.gid } : {};
        const r = await run(TOOL, args, { check: false, timeoutMs: 60000, ...ids });
        assert.equal(r.code, 0, `jc-sql-check ${args[0]}:\n${r.stdout}${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^${stmts.length} statements checked on ${args[0]}: ok$`, 'm'));
    });

    logTest();
});
