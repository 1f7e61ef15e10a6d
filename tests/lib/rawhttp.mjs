// Raw HTTP/1.1 over net.Socket, for requests fetch and node:http do not
// send as written: any method (TRACE), any Host header (or none), and
// slow clients that dribble a request byte by byte.
//
//   const r = await rawRequest(env.port, 'TRACE / HTTP/1.1\r\nHost: x\r\n'
//       + 'Connection: close\r\n\r\n');
//   r.status, r.headers.server, r.body
//   const s = await dribble(env.port, { head, body, first: 4096, gapMs: 2000,
//       maxMs: 50000 });
//   s.cut (the server closed the connection), s.secs, s.sent, s.status
import net from 'node:net';
import { sleep } from './util.mjs';

// Split a raw response into status, headers (lower-case names; repeated
// ones joined with ", ") and body (chunked bodies are not decoded).
export function parseResponse(raw) {
    const i = raw.indexOf('\r\n\r\n');
    const head = i < 0 ? raw : raw.slice(0, i);
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] || '');
    const headers = {};
    for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        if (c < 0) continue;
        const k = l.slice(0, c).trim().toLowerCase();
        const v = l.slice(c + 1).trim();
        headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
    return { status: m ? Number(m[1]) : null, headers, body: i < 0 ? '' : raw.slice(i + 4), raw };
}

// Send text (ending with "Connection: close" and an empty line) and read
// until the server closes; bounded by timeoutMs.
export function rawRequest(port, text, { host = '127.0.0.1', timeoutMs = 10000 } = {}) {
    return new Promise((resolve, reject) => {
        const s = net.connect(port, host);
        const chunks = [];
        const timer = setTimeout(() => {
            s.destroy();
            reject(new Error(`no complete response within ${timeoutMs} ms`));
        }, timeoutMs);
        s.on('connect', () => s.write(text));
        s.on('data', (b) => chunks.push(b));
        s.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
        });
        s.on('close', () => {
            clearTimeout(timer);
            resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
        });
    });
}

// A slow client: sends head, then `first` bytes of body at once, then one
// byte of body (a space if there is no body) every gapMs until the server
// closes the connection or maxMs have passed (then the client gives up).
// Returns { cut, secs, sent, status, response }: cut = the server closed
// the connection (or answered) first, secs = seconds from the first byte
// to that moment, sent = body bytes sent.
export async function dribble(port, { head, body = null, first = 0, gapMs = 2000, maxMs = 50000 }) {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => {
        s.once('connect', resolve);
        s.once('error', reject);
    });
    const chunks = [];
    let closed = false;
    let endAt = 0;
    s.on('data', (b) => {
        chunks.push(b);
        if (!endAt) endAt = Date.now();
    });
    s.on('close', () => {
        closed = true;
        if (!endAt) endAt = Date.now();
    });
    s.on('error', () => {});
    const start = Date.now();
    s.write(head);
    let sent = 0;
    if (body && first > 0) {
        s.write(body.subarray(0, first));
        sent = first;
    }
    while (!closed && !endAt && Date.now() - start < maxMs) {
        await sleep(gapMs);
        if (closed || endAt) break;
        s.write(body ? body.subarray(sent, sent + 1) : ' ');
        sent++;
    }
    const cut = closed || endAt > 0;
    // the rest of an answer that has begun (bounded)
    for (let i = 0; i < 50 && cut && !closed; i++) await sleep(100);
    s.destroy();
    const response = parseResponse(Buffer.concat(chunks).toString('latin1'));
    return {
        cut, secs: ((cut ? endAt : Date.now()) - start) / 1000, sent: body ? sent : 0,
        status: response.status, response
    };
}
