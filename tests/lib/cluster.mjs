// The cluster suite's harness (tests/cluster/, issue 13): the layout of
// docs/operations.md in miniature, everything started here and stopped
// afterwards, every wait bounded.
//
//   HAProxy (Debian package, foreground, round-robin, one loopback port
//   below the ephemeral range)
//      |-- Apache node n1 --|   same key file, same upload store directory,
//      |-- Apache node n2 --|   one database, each its own mod_watchdog
//                 |
//   libpq multi-host conninfo "host=A,B port=a,b … target_session_attrs=read-write"
//                 |
//   PostgreSQL pga (primary) ==streaming, synchronous==> pgb (standby)
//
//   import { useCluster, clusterLogTest } from '../lib/cluster.mjs';
//   const h = useCluster({ sets: [...], smtpDelayMs: 50, allowLog: [/…/] });
//   test('…', async () => { const env = h.env; env.api.post(…) });  // through HAProxy
//   clusterLogTest();     // last test: stop everything, check both error.logs
//
// h.env looks like tests/lib/env.mjs's environment where the shared helpers
// need it (env.base, env.api, env.client(), env.mail, env.db), so
// tests/lib/flows.mjs and fixtures.mjs work through the load balancer:
//   env.base         http://127.0.0.1:<haproxy port>
//   env.nodes        [{ name: 'n1'|'n2', port, base (direct), apache, root, conf }]
//   env.db           psql over the multi-host conninfo: always the primary
//   env.pg           the PostgreSQL pair, see startPgPair()
//   env.store        the shared upload store directory
//   env.nodeOf(res)  'n1' | 'n2': which node answered (HAProxy sets X-Jc-Node)
//
// PostgreSQL runs as the postgres user (initdb, pg_basebackup, pg_ctl,
// pg_rewind through runuser, like tests/lib/pg.mjs), unix sockets only.
// fsync is off (a test cluster: a killed postmaster loses nothing the OS
// holds anyway); full_page_writes and wal_log_hints are on, pg_rewind
// needs them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run, freePort, freeStaticPort, waitUntil, sleep, isAlive } from './util.mjs';
import { startSmtp } from './smtp.mjs';
import { Apache, generateConfig, unexpectedLogLines, startReaper } from './apache.mjs';
import { openDb } from './db.mjs';
import { pgBinDir, psqlBin, createDatabase, openPath } from './pg.mjs';
import { Client } from './http.mjs';
import { WORKER } from './worker.mjs';

export const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function tmpBase() {
    const base = process.env.JC_TMP || os.tmpdir();
    fs.mkdirSync(base, { recursive: true });
    return base;
}

const asPostgres = (bin, args, opts) => run('runuser', ['-u', 'postgres', '--', bin, ...args], opts);

// ---------------------------------------------------------------- PostgreSQL

// One PostgreSQL server of the pair: its data dir, socket dir, port, name
// (its application_name as a standby: the synchronous_standby_names entry).
class PgNode {
    constructor(baseDir, name, port, bin) {
        this.name = name;
        this.dir = path.join(baseDir, name);
        this.dataDir = path.join(this.dir, 'data');
        this.host = path.join(this.dir, 'sock');
        this.port = port;
        this.bin = bin;
        this.log = path.join(this.dir, 'postgres.log');
    }

    pgctl(args, opts = {}) {
        return asPostgres(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, ...args], { timeoutMs: 40000, ...opts });
    }

    // psql as the superuser; the first column of the first row (or all rows)
    async sql(sql, { dbname = 'postgres', check = true } = {}) {
        const r = await run(psqlBin(), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.host,
            '-p', String(this.port), '-U', 'postgres', '-d', dbname, '-c', sql], { timeoutMs: 20000, check });
        return check ? r.stdout.trim() : r;
    }

    // The settings of this server, appended to postgresql.conf (later lines
    // win). Appended again after pg_rewind, which copies the source's file.
    writeConf(extra = {}) {
        const conf = {
            listen_addresses: "''",
            unix_socket_directories: `'${this.host}'`,
            port: this.port,
            cluster_name: `'${this.name}'`,
            fsync: 'off',
            full_page_writes: 'on',
            wal_log_hints: 'on',
            wal_level: 'replica',
            max_wal_senders: 5,
            wal_keep_size: "'128MB'",
            hot_standby: 'on',
            synchronous_commit: 'on',
            max_connections: 200,
            ...extra
        };
        const lines = Object.entries(conf).map(([k, v]) => `${k} = ${v}`);
        fs.appendFileSync(path.join(this.dataDir, 'postgresql.conf'),
            `\n# ---- cluster suite: ${this.name} ----\n${lines.join('\n')}\n`);
    }

    // Settings that make this server a standby of `primary`.
    standbyOf(primary) {
        this.writeConf({
            primary_conninfo: `'host=${primary.host} port=${primary.port} user=postgres application_name=${this.name}'`,
            synchronous_standby_names: "''"
        });
        fs.writeFileSync(path.join(this.dataDir, 'standby.signal'), '');
        fs.chownSync(path.join(this.dataDir, 'standby.signal'), ...pgIds());
    }

    async start() {
        await this.pgctl(['-l', this.log, '-w', '-t', '30', 'start']);
    }

    // -m immediate: the postmaster and every backend quit at once, no
    // shutdown checkpoint -- what a crash or a pulled plug leaves
    async kill() {
        await this.pgctl(['-m', 'immediate', '-w', '-t', '30', 'stop'], { check: false });
    }

    async stop() {
        if (!this.running()) return;
        const r = await this.pgctl(['-m', 'fast', '-w', '-t', '30', 'stop'], { check: false }).catch((e) => e);
        if (this.running()) {
            const pid = this.pid();
            if (pid) try { process.kill(pid, 'SIGQUIT'); } catch { /* gone */ }
            await waitUntil(() => !this.running(), { timeoutMs: 10000, what: `${this.name} stopped` })
                .catch(() => { throw new Error(`${this.name} does not stop: ${r.message || r.stderr}`); });
        }
    }

    pid() {
        try {
            const pid = Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
            return pid > 1 ? pid : null;
        } catch {
            return null;
        }
    }

    running() {
        return isAlive(this.pid());
    }

    // synchronous_standby_names, at once (ALTER SYSTEM + reload; ALTER
    // SYSTEM cannot share psql's implicit transaction with the reload)
    async setSyncStandby(name) {
        await this.sql(`ALTER SYSTEM SET synchronous_standby_names = '${name}'`);
        await this.sql('SELECT pg_reload_conf()');
    }

    async inRecovery() {
        return (await this.sql('SELECT pg_is_in_recovery()')) === 't';
    }

    logText() {
        try { return fs.readFileSync(this.log, 'utf8'); } catch { return ''; }
    }
}

let pgUid = null;
function pgIds() {
    if (!pgUid) {
        const f = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:')).split(':');
        pgUid = [Number(f[2]), Number(f[3])];
    }
    return pgUid;
}

// A primary (pga) and its synchronous streaming standby (pgb), both running.
// Returns { nodes: [pga, pgb], primary, standby, conninfo(dbname),
// failover(), rejoinAsStandby(node), stop() }; primary/standby follow the
// roles as they change.
export async function startPgPair(baseDir) {
    const bin = pgBinDir();
    fs.mkdirSync(baseDir, { recursive: true });
    const [pa, pb] = [await freePort(), await freePort()];
    const a = new PgNode(baseDir, 'pga', pa, bin);
    const b = new PgNode(baseDir, 'pgb', pb, bin);
    for (const n of [a, b]) fs.mkdirSync(n.host, { recursive: true });
    await run('chown', ['-R', 'postgres:postgres', baseDir]);
    for (const n of [a, b]) openPath(n.host);

    const pair = {
        nodes: [a, b], primary: a, standby: b, bin,
        // the portal's conninfo: both servers, libpq takes the first that
        // accepts writes; a down server fails at once (unix socket), a hung
        // one after connect_timeout
        conninfo: (dbname, user = 'jc') => `host=${a.host},${b.host} port=${a.port},${b.port} dbname=${dbname} `
            + `user=${user} target_session_attrs=read-write connect_timeout=3`,
        async stop() {
            await Promise.all([a, b].map((n) => n.stop().catch(() => {})));
        },
        waitSync: () => waitSync(pair),
        failover: (o) => failover(pair, o),
        rejoinAsStandby: () => rejoinAsStandby(pair)
    };

    await asPostgres(path.join(bin, 'initdb'), ['-D', a.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8',
        '--locale=C.UTF-8', '--no-sync'], { timeoutMs: 60000 });
    a.writeConf();
    await a.start();
    try {
        await a.sql('CREATE ROLE jc LOGIN;');
        await asPostgres(path.join(bin, 'pg_basebackup'), ['-D', b.dataDir, '-h', a.host, '-p', String(a.port),
            '-U', 'postgres', '-X', 'stream', '-c', 'fast', '--no-sync'], { timeoutMs: 60000 });
        b.standbyOf(a);
        await b.start();
        // from now on a COMMIT on the primary returns only once the standby
        // has flushed it (set only now: with no standby, it would hang)
        await a.setSyncStandby(b.name);
        await pair.waitSync();
    } catch (e) {
        await pair.stop();
        throw e;
    }
    return pair;
}

// pair.waitSync(): the standby streams and is the synchronous one
async function waitSync(pair) {
    const { primary, standby } = pair;
    await waitUntil(async () => (await primary.sql(
        `SELECT sync_state FROM pg_stat_replication WHERE application_name = '${standby.name}' AND state = 'streaming'`))
        === 'sync', { timeoutMs: 30000, intervalMs: 100, what: `${standby.name} streaming as synchronous standby` });
}

// Failover as docs/operations.md describes it: 1. the primary is gone
// (here: killed, immediate stop); 2. FENCE it before anything else: its
// data directory gets standby.signal, so a restart -- by an operator, by
// systemd, by a reboot -- brings it back read-only (in recovery), never as
// a second writable primary; 3. promote the standby. The portal needs
// nothing: libpq's read-write check finds the new primary. Returns the
// times (ms since the call) of kill, fence, promote.
async function failover(pair, { beforePromote } = {}) {
    const t0 = Date.now();
    const old = pair.primary;
    const next = pair.standby;
    await old.kill();
    assert.ok(!old.running(), `${old.name} still running after an immediate stop`);
    const tKill = Date.now() - t0;
    fs.writeFileSync(path.join(old.dataDir, 'standby.signal'), '');
    fs.chownSync(path.join(old.dataDir, 'standby.signal'), ...pgIds());
    if (beforePromote) await beforePromote({ killedAt: t0 + tKill });
    const tPromoteStart = Date.now() - t0;
    const promoteAt = Date.now();
    await next.pgctl(['-w', '-t', '30', 'promote']);
    await waitUntil(async () => !(await next.inRecovery()), { timeoutMs: 30000, what: `${next.name} promoted` });
    // alone now: no synchronous standby to wait for (else every COMMIT
    // would hang until one joins)
    await next.setSyncStandby('');
    pair.primary = next;
    pair.standby = old;
    pair.fenced = old;
    // also as absolute times (Date.now()): killedAt = the primary is gone,
    // promoteAt = the promotion was asked for
    return { tKill, tPromoteStart, tPromoted: Date.now() - t0, startAt: t0, killedAt: t0 + tKill, promoteAt };
}

// The only way back for an old primary: rewind it onto the new primary's
// timeline (pg_rewind discards what it wrote that the new primary never
// saw -- a commit in flight when it died), make it a standby, start it,
// then require it as the synchronous standby again.
async function rejoinAsStandby(pair) {
    const old = pair.standby;
    const primary = pair.primary;
    if (old.running()) await old.stop();
    // pg_rewind first runs crash recovery in single-user mode, which refuses
    // standby.signal: the fence goes for that moment (the server is down)
    fs.rmSync(path.join(old.dataDir, 'standby.signal'), { force: true });
    const rw = await asPostgres(path.join(pair.bin, 'pg_rewind'), ['--target-pgdata', old.dataDir,
        '--source-server', `host=${primary.host} port=${primary.port} user=postgres dbname=postgres`],
    { timeoutMs: 120000, check: false });
    if (rw.code !== 0) throw new Error(`pg_rewind failed (${rw.code}):\n${rw.stderr}${rw.stdout}`);
    // pg_rewind copied the source's postgresql.conf: this server's own
    // settings again, as a standby
    old.writeConf();
    old.standbyOf(primary);
    await old.start();
    pair.fenced = null;
    await primary.setSyncStandby(old.name);
    await waitSync(pair);
    return rw;
}

// ------------------------------------------------------------------ HAProxy

export const HAPROXY_BIN = fs.existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

const liveHaproxy = new Set();
process.once('exit', () => {
    for (const p of liveHaproxy) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
});

// HAProxy in the foreground (-db) with a generated config: round-robin per
// request over the nodes, no health checks (a node that is up but has no
// database answers 503 itself, which is what the tests look at), the
// answering node in X-Jc-Node.
export async function startHaproxy({ dir, port, nodes }) {
    fs.mkdirSync(dir, { recursive: true });
    const cfg = path.join(dir, 'haproxy.cfg');
    const log = path.join(dir, 'haproxy.log');
    fs.writeFileSync(cfg, `# generated by tests/lib/cluster.mjs
global
    maxconn 2000
    # no daemon: run in the foreground, stopped by its pid

defaults
    mode http
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout http-request 30s
    # never retry a request on another node (a write could run twice)
    retries 0

frontend portal
    bind 127.0.0.1:${port}
    default_backend nodes

backend nodes
    balance roundrobin
    http-response set-header X-Jc-Node %[srv_name]
${nodes.map((n) => `    server ${n.name} 127.0.0.1:${n.port}`).join('\n')}
`);
    const check = await run(HAPROXY_BIN, ['-c', '-f', cfg], { check: false });
    if (check.code !== 0) throw new Error(`haproxy -c: ${check.stderr}${check.stdout}`);
    const out = fs.openSync(log, 'a');
    const child = spawn(HAPROXY_BIN, ['-db', '-f', cfg], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    liveHaproxy.add(child.pid);
    startReaper(child.pid, cfg);
    const exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
    const hp = {
        pid: child.pid, port, cfg, log, base: `http://127.0.0.1:${port}`,
        logText: () => { try { return fs.readFileSync(log, 'utf8'); } catch { return ''; } },
        async stop() {
            if (!isAlive(child.pid) || child.exitCode !== null) { liveHaproxy.delete(child.pid); return; }
            child.kill('SIGTERM');
            const r = await Promise.race([exited, sleep(10000).then(() => null)]);
            if (!r) {
                child.kill('SIGKILL');
                await Promise.race([exited, sleep(3000)]);
            }
            liveHaproxy.delete(child.pid);
        }
    };
    try {
        await waitUntil(async () => {
            if (child.exitCode !== null) throw Object.assign(new Error(`haproxy exited: ${hp.logText()}`), { final: true });
            const res = await fetch(`${hp.base}/api/v1/password-policy`, { signal: AbortSignal.timeout(2000) });
            await res.arrayBuffer();
            return res.status === 200;
        }, { timeoutMs: 15000, intervalMs: 50, what: 'HAProxy answering', stopOn: (e) => e.final });
    } catch (e) {
        await hp.stop();
        throw e;
    }
    return hp;
}

// ------------------------------------------------------------- the cluster

// opts: sets (extra directives for both nodes), nodeSets (name => more
// directives for node 'n1'|'n2'), smtpDelayMs (slow relay),
// allowLog (RegExps of expected [error] lines, both nodes), nodes (2)
export async function startClusterEnv(opts = {}) {
    const { sets = [], nodeSets = () => [], smtpDelayMs = 0, allowLog = [], nodeCount = 2 } = opts;
    const root = fs.mkdtempSync(path.join(tmpBase(), 'cluster-'));
    openPath(root);
    const env = { root, allowLog: [...allowLog], nodes: [], stopped: false, dbKind: 'pgsql' };
    try {
        env.pg = await startPgPair(path.join(root, 'pg'));
        const dbname = await createDatabase({ host: env.pg.primary.host, port: env.pg.primary.port }, TOP);
        env.dbname = dbname;
        env.conninfo = env.pg.conninfo(dbname);
        env.db = openDb({ kind: 'pgsql', conninfo: env.conninfo });

        env.smtpPort = await freePort();
        env.mail = await startSmtp({ port: env.smtpPort, delayMs: smtpDelayMs });
        // the load balancer's address is the portal's (base URL, origin)
        env.lbPort = await freeStaticPort();
        env.base = `http://127.0.0.1:${env.lbPort}`;

        // one key file and one upload store for all nodes
        env.keyFile = path.join(root, 'secret.key');
        await run(path.join(TOP, 'build', 'jobcenter-admin'), ['gen-key', env.keyFile]);
        env.store = path.join(root, 'store');
        fs.mkdirSync(env.store);

        for (let i = 1; i <= nodeCount; i++) {
            const name = `n${i}`;
            const nroot = path.join(root, name);
            const port = await freePort();
            const args = ['--root', nroot, '--port', String(port), '--db', 'pgsql', '--pg-params', env.conninfo,
                '--mail', 'smtp', '--smtp-url', `smtp://127.0.0.1:${env.smtpPort}`, '--base-url', env.base,
                '--secret-key', env.keyFile, '--upload-store', env.store];
            for (const s of ['JobcenterMailInterval 1', 'JobcenterMailRetry 1 2', ...sets, ...nodeSets(name)]) {
                args.push('--set', s);
            }
            const conf = await generateConfig(TOP, args);
            await run('chown', ['-R', WORKER.owner, path.join(nroot, 'mail')]);
            openPath(path.join(nroot, 'logs'));
            env.nodes.push({
                name, port, root: nroot, conf, base: `http://127.0.0.1:${port}`,
                apache: new Apache({ conf, root: nroot, port })
            });
        }
        // the nodes boot together, as after a deployment
        await Promise.all(env.nodes.map((n) => n.apache.start()));
        env.nodes.forEach((n) => { n.pid = n.apache.pid; });
        env.haproxy = await startHaproxy({ dir: path.join(root, 'haproxy'), port: env.lbPort, nodes: env.nodes });
    } catch (e) {
        await stopClusterEnv(env).catch(() => {});
        throw e;
    }
    env.client = (o = {}) => new Client(env.base, o);
    env.api = env.client();
    env.nodeOf = (res) => res.headers.get('x-jc-node');
    env.stop = () => (env.stopping ||= stopClusterEnv(env));
    env.errorLog = (n) => n.apache.logText();
    return env;
}

async function stopClusterEnv(env) {
    if (env.stopped) return;
    env.stopped = true;
    if (env.haproxy) await env.haproxy.stop().catch(() => {});
    // let due mails go out first (bounded), as env.mjs does: a stop in the
    // middle of a delivery makes a child abort
    if (env.mail && env.db && env.nodes.some((n) => n.apache.isRunning())) {
        const due = 'SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= '
            + `${Math.floor(Date.now() / 1000)}`;
        await waitUntil(async () => Number(await env.db.scalar(due)) === 0, { timeoutMs: 3000, intervalMs: 100 })
            .catch(() => {});
    }
    for (const n of env.nodes) {
        try {
            const pid = Number(fs.readFileSync(n.apache.pidFile, 'utf8').trim());
            n.pidAtStop = isAlive(pid) ? pid : null;
        } catch {
            n.pidAtStop = null;
        }
    }
    await Promise.all(env.nodes.map((n) => n.apache.stop().catch(() => {})));
    if (env.mail) await env.mail.close().catch(() => {});
    if (env.pg) await env.pg.stop();
}

const handles = [];

// before/after hooks for one cluster in the current scope; h.env once up.
export function useCluster(opts = {}) {
    const h = { env: null, opts };
    handles.push(h);
    before(async () => {
        h.env = await startClusterEnv(opts);
    });
    after(async () => {
        if (h.env) await h.env.stop().catch(() => {});
    });
    return h;
}

// Last test of a file: stop every cluster of the file and fail on a killed
// Apache, an Apache main process that was restarted (a new pid: the
// failover must heal without one), or unexpected [error]/[crit]/…
// lines in any node's error.log.
export function clusterLogTest(name = `${path.basename(process.argv[1] || 'this file')}: both nodes ran without `
    + 'a restart and stop cleanly; their error.logs have no unexpected [error]/[crit]/[alert]/[emerg] lines') {
    test(name, async () => {
        assert.ok(handles.length > 0, 'no cluster in this file');
        const problems = [];
        for (const h of handles) {
            if (!h.env) { problems.push('a cluster was never started'); continue; }
            await h.env.stop();
            for (const n of h.env.nodes) {
                if (n.pidAtStop !== n.pid) {
                    problems.push(`${n.name}: main pid ${n.pidAtStop} at the end, started as ${n.pid} (restarted or died)`);
                }
                if (n.apache.killed) problems.push(`${n.name}: Apache did not stop within 15 s and was killed`);
                const bad = unexpectedLogLines(n.apache.logText(), h.env.allowLog);
                if (bad.length) {
                    const tail = n.apache.logText().trimEnd().split('\n').slice(-30).join('\n');
                    problems.push(`${n.name} ${n.apache.errorLog}:\n${bad.join('\n')}\n--- tail ---\n${tail}`);
                }
            }
        }
        assert.deepEqual(problems, [], `\n${problems.join('\n\n')}`);
    });
}

// Safety net: nothing keeps running after the file.
after(async () => {
    await Promise.all(handles.map((h) => h.env && h.env.stop().catch(() => {})));
    if (!process.env.JC_TMP && !process.env.JC_KEEP_TMP) {
        for (const h of handles) if (h.env) fs.rmSync(h.env.root, { recursive: true, force: true });
    }
});
