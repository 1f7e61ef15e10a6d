// One Apache instance per test environment, configured by tools/gen-config.sh
// (never by hand), started with `apache2 -f CONF -k start` and stopped with
// `-k stop`; every wait is bounded and a stuck server is killed by pid.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, sleep, isAlive, waitUntil } from './util.mjs';
import { sanitizerReports } from './sanitizer.mjs';

const LIB = path.dirname(fileURLToPath(import.meta.url));

// JC_ASAN=1: every Apache of the run loads build/asan/mod_jobcenter.so
// (`make asan`: ASan+UBSan; gen-config.sh reads JC_MODULE_SO) and is started
// through apache-asan.sh, which preloads the sanitizer runtime and sends
// reports to files SERVERROOT/asan/report.PID (see sanitizerReports).
export const ASAN = process.env.JC_ASAN === '1';
if (ASAN && !process.env.JC_MODULE_SO) {
    process.env.JC_MODULE_SO = path.resolve(LIB, '..', '..', 'build', 'asan', 'mod_jobcenter.so');
}
export const APACHE_BIN = ASAN ? path.join(LIB, 'apache-asan.sh')
    : fs.existsSync('/usr/sbin/apache2') ? '/usr/sbin/apache2' : 'apache2';

export { sanitizerReports };

// Every Apache main pid started by this process: killed on exit if still up.
const live = new Set();

function childrenOf(pid) {
    const out = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid === pid) out.push(Number(d));
        } catch { /* gone */ }
    }
    return out;
}

function killTree(pid, signal = 'SIGKILL') {
    for (const c of childrenOf(pid)) {
        try { process.kill(c, signal); } catch { /* gone */ }
    }
    try { process.kill(pid, signal); } catch { /* gone */ }
}

function emergencyStop() {
    for (const pid of live) killTree(pid, 'SIGKILL');
    live.clear();
}
process.once('exit', emergencyStop);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
        emergencyStop();
        process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
}

// A process crash of node (an error thrown outside a test, SIGKILL on a
// timeout) skips 'exit' handlers. A tiny detached shell therefore watches
// this process and sends SIGTERM to the server once it is gone; it ends by
// itself as soon as the server has stopped. The pid is only signalled while
// its command line still names our configuration file.
const REAPER = `
while kill -0 "$1" 2>/dev/null; do
    kill -0 "$2" 2>/dev/null || exit 0
    sleep 0.5
done
if tr '\\0' ' ' < "/proc/$2/cmdline" 2>/dev/null | grep -qF -- "$3"; then
    kill -TERM "$2" 2>/dev/null
fi`;
export function startReaper(pid, conf) {
    try {
        const child = spawn('/bin/sh', ['-c', REAPER, 'jc-test-reaper', String(process.pid), String(pid), conf],
            { detached: true, stdio: 'ignore' });
        child.unref();
    } catch { /* best effort */ }
}

// Run tools/gen-config.sh; returns the path of httpd.conf.
export async function generateConfig(topDir, args) {
    const { stdout } = await run(path.join(topDir, 'tools', 'gen-config.sh'), args, { timeoutMs: 20000 });
    return stdout.trim().split('\n').pop();
}

function readPid(pidFile) {
    try {
        const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
        return pid > 1 ? pid : null;
    } catch {
        return null;
    }
}

export class Apache {
    // tz: the TZ Apache runs in. Default UTC, deliberately not German time:
    // the portal shows German time whatever the server's zone is, and every
    // test that reads a date or time checks that on the way.
    constructor({ conf, root, port, tz = 'UTC' }) {
        this.conf = conf;
        this.tz = tz;
        this.root = root;
        this.port = port;
        this.pidFile = path.join(root, 'run', 'httpd.pid');
        this.errorLog = path.join(root, 'logs', 'error.log');
        this.pid = null;
        this.stopped = false;
        this.killed = false;
    }

    // Start; with waitReady (default) resolve once GET readyPath answers.
    async start({ waitReady = true, readyPath = '/api/v1/password-policy', timeoutMs = 20000 } = {}) {
        const t = await run(APACHE_BIN, ['-f', this.conf, '-k', 'start'],
            { timeoutMs: 20000, check: false, env: { ...process.env, TZ: this.tz } });
        // the pid file appears once the daemonized parent is up (or never,
        // when it dies early: then only the log tells)
        try {
            // a configuration refused after daemonizing shows only in the log
            this.pid = await waitUntil(() => {
                const pid = readPid(this.pidFile);
                if (pid) return pid;
                if (t.code !== 0 || /AH00016|\[(?:[\w.-]+:)?emerg\]/.test(this.logText())) {
                    throw Object.assign(new Error('start-up failed'), { final: true });
                }
                return null;
            }, { timeoutMs: 5000, intervalMs: 20, what: 'httpd.pid', stopOn: (e) => e.final });
            live.add(this.pid);
            startReaper(this.pid, this.conf);
        } catch (e) {
            if (waitReady) {
                throw new Error(`apache2 -k start (exit ${t.code}) left no pid file: ${t.stderr}\n${this.logText()}`);
            }
        }
        if (!waitReady) return;
        const url = `http://127.0.0.1:${this.port}${readyPath}`;
        const end = Date.now() + timeoutMs;
        for (;;) {
            try {
                const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
                await res.arrayBuffer();
                if (res.status === 200) return;
            } catch { /* not yet */ }
            if (!isAlive(this.pid)) {
                throw new Error(`Apache (pid ${this.pid}) exited during start-up:\n${this.logText()}`);
            }
            if (Date.now() >= end) {
                throw new Error(`Apache did not answer ${url} within ${timeoutMs} ms:\n${this.logText()}`);
            }
            await sleep(50);
        }
    }

    // Graceful stop, then bounded wait; SIGKILL by pid as the last resort.
    async stop({ timeoutMs = 15000 } = {}) {
        if (this.stopped) return;
        this.stopped = true;
        const pid = this.pid || readPid(this.pidFile);
        if (!pid || !isAlive(pid)) {
            live.delete(pid);
            return;
        }
        await run(APACHE_BIN, ['-f', this.conf, '-k', 'stop'], { timeoutMs: 10000, check: false })
            .catch(() => process.kill(pid, 'SIGTERM'));
        const end = Date.now() + timeoutMs;
        while (isAlive(pid) && Date.now() < end) await sleep(50);
        if (isAlive(pid)) {
            this.killed = true;
            killTree(pid, 'SIGKILL');
            await sleep(200);
        }
        live.delete(pid);
    }

    isRunning() {
        return isAlive(this.pid);
    }

    logText() {
        try {
            return fs.readFileSync(this.errorLog, 'utf8');
        } catch {
            return '';
        }
    }
}

// Lines of an Apache error log at level error or worse, and crashed
// children (logged at notice: "AH00052: child pid N exit signal
// Segmentation fault"), that match none of the allowed patterns.
const BAD_LEVEL = /\] \[(?:[\w.-]+:)?(error|crit|alert|emerg)\] /;
const CRASH = /AH0005[12]: child pid \d+ exit signal/;
export function unexpectedLogLines(text, allowed = []) {
    return text.split('\n').filter((l) => (BAD_LEVEL.test(l) || CRASH.test(l)) && !allowed.some((re) => re.test(l)));
}
