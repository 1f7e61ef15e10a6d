// strace of a test environment's Apache (tests that check what the server
// does in which order, where a test cannot observe it from outside: the
// fsyncs of an upload, the writes of a keep-alive connection). strace is
// in build.sh's PKGS_TEST.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { sleep, waitUntil, childPids } from './util.mjs';

// strace -f on the parent (children it forks later) and every child, with
// times (-ttt), durations (-T) and the paths of descriptors (-y); filter is
// strace's -e expression (e.g. 'trace=writev,fsync').
export async function startStrace(env, file, filter, { strsize = 24 } = {}) {
    const pids = [env.apache.pid, ...childPids(env.apache.pid)];
    const args = ['-f', '-ttt', '-T', '-y', '-s', String(strsize), '-o', file, '-e', filter,
        ...pids.flatMap((p) => ['-p', String(p)])];
    const p = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((r) => p.on('exit', r));
    // "Process N attached" for each pid (the children's threads too)
    await waitUntil(() => pids.every((pid) => err.includes(`Process ${pid} attached`)) || p.exitCode !== null,
        { timeoutMs: 10000, intervalMs: 50, what: `strace attached to ${pids.join(', ')}` });
    assert.equal(p.exitCode, null, `strace: ${err}`);
    await sleep(200);
    return {
        async stop() {
            p.kill('SIGINT');
            await Promise.race([exited, sleep(10000)]);
        }
    };
}

// Completed system calls: { tid, name, args, ret, start, end } (an
// "<unfinished ...>" line is joined with its "<... resumed>").
export function parseStrace(text) {
    const calls = [];
    const pending = new Map();
    for (const line of text.split('\n')) {
        const m = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/.exec(line);
        if (!m) continue;
        const tid = Number(m[1]);
        const t = Number(m[2]);
        let rest = m[3];
        const res = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
        if (res) {
            const p = pending.get(tid);
            if (!p) continue;
            pending.delete(tid);
            rest = `${p.head}${res[2]}`;
            const done = /^(\w+)\((.*)\) = (-?\d+|\?)[^<]*<(\d+\.\d+)>$/.exec(rest);
            if (done) calls.push({ tid, name: done[1], args: done[2], ret: done[3], start: p.start, end: p.start + Number(done[4]) });
            continue;
        }
        if (rest.endsWith('<unfinished ...>')) {
            pending.set(tid, { head: rest.slice(0, -'<unfinished ...>'.length).trimEnd(), start: t });
            continue;
        }
        const done = /^(\w+)\((.*)\) = (-?\d+|\?)[^<]*<(\d+\.\d+)>$/.exec(rest);
        if (done) calls.push({ tid, name: done[1], args: done[2], ret: done[3], start: t, end: t + Number(done[4]) });
    }
    return calls;
}
