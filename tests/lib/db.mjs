// Direct database access for assertions, the same API for both drivers:
//   const db = openDb({ kind: 'sqlite', file }) | openDb({ kind: 'pgsql', host, port, dbname })
//   await db.query('SELECT id, email FROM account')   -> [{id: 1, email: '…'}]
//   await db.scalar('SELECT count(*) FROM account')   -> 1 (first column of first row)
//   await db.exec('UPDATE jc_schema SET version = 999')
//   await db.text('EXPLAIN …')                         -> the client's output
// SQLite is opened as the workers' user (tests/lib/worker.mjs: www-data, or
// the checkout's owner) so that the -wal/-shm files the server uses never
// become root-owned. PostgreSQL goes over the unix socket
// as role jc. Integers come back as numbers on both drivers; NULL as null.
import fs from 'node:fs';
import { run } from './util.mjs';
import { psqlBin } from './pg.mjs';
import { WORKER } from './worker.mjs';

function sqliteDb(file) {
    // spawned directly with the workers' uid/gid (cheaper than runuser)
    const sqlite = (sql, json) => run('sqlite3', ['-bail', ...(json ? ['-json'] : []), '-cmd', '.timeout 5000',
        file, sql], { timeoutMs: 20000, ...(process.getuid() === 0 ? { uid: WORKER.uid, gid: WORKER.gid } : {}) });
    return {
        kind: 'sqlite',
        file,
        async query(sql) {
            const { stdout } = await sqlite(sql, true);
            const t = stdout.trim();
            return t ? JSON.parse(t) : [];
        },
        async exec(sql) {
            await sqlite(sql, false);
        },
        // the CLI's output as text (EXPLAIN QUERY PLAN and the like)
        async text(sql) {
            return (await sqlite(sql, false)).stdout;
        }
    };
}

// conninfo (optional): a libpq connection string used instead of host/port/
// dbname, e.g. the cluster suite's multi-host "host=A,B port=P,Q dbname=…
// target_session_attrs=read-write" (whichever server is the primary now)
function pgDb({ host, port, dbname, user = 'jc', conninfo }) {
    const target = conninfo ? ['-d', conninfo] : ['-h', host, '-p', String(port), '-U', user, '-d', dbname];
    const psql = (sql) => run(psqlBin(), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...target, '-c', sql],
        { timeoutMs: 20000 });
    return {
        kind: 'pgsql',
        dbname,
        async query(sql) {
            const wrapped = `SELECT coalesce(json_agg(t), '[]'::json) FROM (${sql.replace(/;\s*$/, '')}) t`;
            const { stdout } = await psql(wrapped);
            const rows = JSON.parse(stdout.trim() || '[]');
            // bigint/numeric come back as JSON numbers already; count(*) too
            return rows;
        },
        async exec(sql) {
            await psql(sql);
        },
        // psql's unaligned output as text (EXPLAIN and the like)
        async text(sql) {
            return (await psql(sql)).stdout;
        }
    };
}

export function openDb(spec) {
    const db = spec.kind === 'pgsql' ? pgDb(spec) : sqliteDb(spec.file);
    db.scalar = async (sql) => {
        const rows = await db.query(sql);
        if (!rows.length) return undefined;
        const v = Object.values(rows[0])[0];
        return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    };
    return db;
}

// SQL string literal
export function lit(s) {
    return `'${String(s).replace(/'/g, "''")}'`;
}
