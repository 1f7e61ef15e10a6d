// Throw-away PostgreSQL cluster for the tests: initdb into a temp dir as the
// postgres user, unix socket only (listen_addresses=''), trust auth, stopped
// with pg_ctl -m fast and removed at the end. Each environment then gets its
// own database (CREATE DATABASE jc_<random> OWNER jc) with the schema.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, freePort, randomId } from './util.mjs';

const PG_ROOT = '/usr/lib/postgresql';

export function pgBinDir() {
    if (process.env.JC_PG_BIN) return process.env.JC_PG_BIN;
    let versions = [];
    try {
        versions = fs.readdirSync(PG_ROOT)
            .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(PG_ROOT, v, 'bin', 'initdb')))
            .sort((a, b) => Number(b) - Number(a));
    } catch { /* none */ }
    if (!versions.length) throw new Error(`no PostgreSQL server under ${PG_ROOT}/<version>/bin (apt-get install postgresql)`);
    return path.join(PG_ROOT, versions[0], 'bin');
}

// chmod 755 dir and its parents below the system temp dir (www-data must
// reach the sockets, the database and the logs). Directories outside the
// temp dir are never touched.
export function openPath(dir) {
    const top = path.resolve(os.tmpdir());
    let d = path.resolve(dir);
    while (d === path.resolve(dir) || d.startsWith(top + path.sep)) {
        try {
            const st = fs.statSync(d);
            if ((st.mode & 0o055) !== 0o055) fs.chmodSync(d, (st.mode & 0o7777) | 0o755);
        } catch { /* gone */ }
        const up = path.dirname(d);
        if (up === d || up === top) break;
        d = up;
    }
}

const asPostgres = (bin, args, opts) => run('runuser', ['-u', 'postgres', '--', bin, ...args], opts);

// Start a cluster under baseDir (created, chowned to postgres). Returns
// { host (socket dir), port, bin, dataDir, stop() }. Options:
//   maxConnections  the server's max_connections (default 200)
//   settings        more server settings, { name: value } (-c name=value)
export async function startCluster(baseDir, { maxConnections = 200, settings = {} } = {}) {
    const bin = pgBinDir();
    fs.mkdirSync(baseDir, { recursive: true });
    const dataDir = path.join(baseDir, 'data');
    const sockDir = path.join(baseDir, 'sock');
    fs.mkdirSync(sockDir, { recursive: true });
    openPath(sockDir);
    await run('chown', ['-R', 'postgres:postgres', baseDir]);
    await asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8',
        '--locale=C.UTF-8', '--no-sync'], { timeoutMs: 60000 });
    const port = await freePort();
    const cluster = {
        host: sockDir, port, bin, dataDir, running: false,
        async stop() {
            if (!cluster.running) return;
            cluster.running = false;
            try {
                await asPostgres(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'],
                    { timeoutMs: 40000 });
            } catch (e) {
                // last resort: the postmaster pid, by pid
                try {
                    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
                    if (pid > 1) process.kill(pid, 'SIGQUIT');
                } catch { /* gone */ }
            }
        }
    };
    // fsync off etc.: a throw-away cluster, speed matters more than durability
    const opts = `-c listen_addresses='' -k ${sockDir} -p ${port} -c fsync=off -c synchronous_commit=off `
        + `-c full_page_writes=off -c max_connections=${Number(maxConnections)}`
        + Object.entries(settings).map(([k, v]) => ` -c ${k}=${v}`).join('');
    await asPostgres(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', path.join(baseDir, 'postgres.log'),
        '-o', opts, '-w', '-t', '30', 'start'], { timeoutMs: 40000 });
    cluster.running = true;
    try {
        await psqlAdmin(cluster, 'CREATE ROLE jc LOGIN;');
    } catch (e) {
        await cluster.stop();
        throw e;
    }
    return cluster;
}

// Describe a running cluster from the environment (set by tests/run.mjs).
export function clusterFromEnv() {
    if (!process.env.JC_PG_HOST || !process.env.JC_PG_PORT) return null;
    return { host: process.env.JC_PG_HOST, port: Number(process.env.JC_PG_PORT), stop: async () => {} };
}

// the server's own psql binary: Debian's /usr/bin/psql is a Perl wrapper
// (pg_wrapper) that costs ~25 ms per call
export function psqlBin() {
    try {
        const p = path.join(pgBinDir(), 'psql');
        if (fs.existsSync(p)) return p;
    } catch { /* none */ }
    return 'psql';
}

export function psqlAdmin(cluster, sql, dbname = 'postgres') {
    return run(psqlBin(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', cluster.host, '-p', String(cluster.port),
        '-U', 'postgres', '-d', dbname, '-c', sql], { timeoutMs: 30000 });
}

// A fresh database owned by jc with the schema from sql/pgsql applied.
export async function createDatabase(cluster, topDir) {
    const name = `jc_${randomId(6)}`;
    await psqlAdmin(cluster, `CREATE DATABASE ${name} OWNER jc;`);
    // db-init.sh calls `psql`: put the server's binary dir first in PATH
    // (skips Debian's Perl wrapper)
    const binDir = path.dirname(psqlBin());
    await run(path.join(topDir, 'tools', 'db-init.sh'),
        ['pgsql', '-h', cluster.host, '-p', String(cluster.port), '-U', 'jc', '-d', name],
        { timeoutMs: 30000, env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` } });
    return name;
}
