// A throw-away PgBouncer (Debian's pgbouncer package) in front of the
// run's PostgreSQL cluster: listens on a static loopback port below the
// ephemeral range (freeStaticPort), forwards every database name to the
// same name on the cluster (the "*" fallback entry), trust auth for the
// role jc, runs in the foreground as the postgres user (PgBouncer refuses
// root) and is stopped by its pid.
//
//   const pgb = await startPgBouncer({ host, port, mode: 'session', poolSize: 40 });
//   ... DBDParams host=127.0.0.1 port=${pgb.port} dbname=... user=jc
//   await pgb.stop();
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { run, freeStaticPort, waitUntil } from './util.mjs';
import { openPath } from './pg.mjs';

export async function startPgBouncer({ host, port, mode = 'session', poolSize = 20, maxClientConn = 500,
    settings = {} }) {
    const dir = fs.mkdtempSync(path.join(process.env.JC_TMP || os.tmpdir(), 'pgbouncer-'));
    openPath(dir);
    const listen = await freeStaticPort();
    const conf = path.join(dir, 'pgbouncer.ini');
    const log = path.join(dir, 'pgbouncer.log');
    fs.writeFileSync(path.join(dir, 'userlist.txt'), '"jc" ""\n');
    const extra = Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join('');
    fs.writeFileSync(conf, `[databases]
* = host=${host} port=${port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${listen}
unix_socket_dir =
auth_type = trust
auth_file = ${path.join(dir, 'userlist.txt')}
pool_mode = ${mode}
default_pool_size = ${poolSize}
max_client_conn = ${maxClientConn}
logfile = ${log}
pidfile = ${path.join(dir, 'pgbouncer.pid')}
${extra}`);
    await run('chown', ['-R', 'postgres:postgres', dir]);
    const child = spawn('runuser', ['-u', 'postgres', '--', 'pgbouncer', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    let exited = false;
    child.on('exit', () => { exited = true; });
    const pgb = {
        port: listen, dir, conf, pid: child.pid,
        logText: () => { try { return fs.readFileSync(log, 'utf8'); } catch { return ''; } },
        async stop() {
            if (exited) return;
            // the pgbouncer process itself, by the pid in its pid file
            // (SIGTERM: immediate shutdown); runuser then exits too
            let pid = 0;
            try { pid = Number(fs.readFileSync(path.join(dir, 'pgbouncer.pid'), 'utf8').trim()); } catch { /* none */ }
            if (pid > 1) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
            else child.kill('SIGTERM');
            await waitUntil(() => exited, { timeoutMs: 10000, what: 'pgbouncer to exit' })
                .catch(() => { if (pid > 1) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } });
        }
    };
    try {
        await waitUntil(() => {
            if (exited) throw new Error(`pgbouncer exited: ${stderr}\n${pgb.logText()}`);
            return new Promise((resolve) => {
                const s = net.connect(listen, '127.0.0.1');
                s.once('connect', () => { s.destroy(); resolve(true); });
                s.once('error', () => resolve(false));
            });
        }, { timeoutMs: 10000, what: 'pgbouncer to listen' });
    } catch (e) {
        await pgb.stop();
        throw e;
    }
    return pgb;
}
