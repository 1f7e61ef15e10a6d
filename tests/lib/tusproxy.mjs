// A TCP proxy on a loopback port in front of the server that plays a link
// which drops: it counts the bytes clients send and, each time the count
// crosses the next of `cuts` (bytes), cuts every connection at that byte
// -- what crossed the link before the cut reaches the server (FIN), the
// client's connection is reset. Used by tests/http/tus.test.mjs,
// tests/browser/tus-resume.test.mjs and bench/resume.mjs.
//
//   const p = await cuttingProxy(env.port, { cuts: [1e6, 3e6] });
//   mode 'rst': the server's side is reset too, so bytes still in flight
//   (socket buffers between proxy and server) are lost, the worst case.
//   ... p.sent(), p.cutsDone(); p.arm() restarts the count (cuts count
//   from there); onCut() (async) runs before each cut, with the client's
//   data held back; await p.close();
import net from 'node:net';
import { freePort } from './util.mjs';

export async function cuttingProxy(target, { port, cuts = [], onCut = null, armed = true, mode = 'fin' } = {}) {
    const listen = port || await freePort();
    let sent = 0;
    let todo = [...cuts].sort((a, b) => a - b);
    let done = 0;
    let on = armed;
    let conns = 0;
    const events = [];      // what happened, per connection (for failures)
    const server = net.createServer((cs) => {
        const ss = net.connect(target, '127.0.0.1');
        let cut = false;
        let mine = 0;
        const id = ++conns;
        const note = (m) => { if (events.length < 2000) events.push(`${id}: ${m}`); };
        cs.on('data', (d) => {
            mine += d.length;
            const head = d.subarray(0, 16).toString('latin1');
            if (/^[A-Z]+ \//.test(head)) note(`> ${head.split(' ')[0]} at ${sent}`);
        });
        ss.on('data', (d) => { if (d.subarray(0, 5).toString('latin1') === 'HTTP/') note(`< ${d.subarray(9, 12)}`); });
        cs.on('close', () => note(`closed after ${mine} bytes${cut ? ' (cut)' : ''}`));
        const kill = () => { cs.destroy(); if (!cut) ss.destroy(); };
        const forward = (d) => {
            sent += d.length;
            if (!ss.write(d)) { cs.pause(); ss.once('drain', () => cs.resume()); }
        };
        cs.on('data', (d) => {
            if (cut) return;
            if (!on) { forward(d); return; }
            if (todo.length && sent + d.length >= todo[0]) {
                cut = true;
                const keep = todo.shift() - sent;
                sent += keep;
                done++;
                cs.pause();
                Promise.resolve(onCut ? onCut() : null).finally(() => {
                    if (mode === 'rst') {
                        ss.write(d.subarray(0, keep));
                        ss.resetAndDestroy();
                    } else {
                        ss.end(d.subarray(0, keep));
                    }
                    cs.destroy();
                });
                return;
            }
            forward(d);
        });
        ss.on('data', (d) => { if (!cs.destroyed) cs.write(d); });
        cs.on('error', kill);
        ss.on('error', kill);
        cs.on('close', kill);
        ss.on('close', () => cs.destroy());
    });
    await new Promise((res) => server.listen(listen, '127.0.0.1', res));
    return {
        port: listen,
        sent: () => sent,
        cutsDone: () => done,
        events: () => events.slice(),
        arm: (newCuts) => { sent = 0; done = 0; on = true; if (newCuts) todo = [...newCuts].sort((a, b) => a - b); },
        close: () => new Promise((res) => { server.close(res); })
    };
}
