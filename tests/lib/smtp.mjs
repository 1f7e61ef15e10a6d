// In-process SMTP sink (npm smtp-server) on 127.0.0.1 that keeps every
// received message, parsed: headers (unfolded, RFC 2047 words decoded),
// body decoded (base64 / quoted-printable) to UTF-8.
//
//   const mail = await startSmtp({ port });        // port 0 = any free one
//   const m = await mail.waitFor('a@example.org', { subject: 'Bestätigung …', timeoutMs: 20000 });
//   m.body, m.headers['content-type'], confirmLink(m)
//   await mail.close();
import { SMTPServer } from 'smtp-server';
import { sleep } from './util.mjs';

function decodeWords(value) {
    // RFC 2047 encoded-words; whitespace between adjacent words is dropped.
    return value
        .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
        .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset, enc, text) => {
            let buf;
            if (enc.toUpperCase() === 'B') {
                buf = Buffer.from(text, 'base64');
            } else {
                buf = Buffer.from(text.replace(/_/g, ' ')
                    .replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
            }
            return new TextDecoder(charset.toLowerCase()).decode(buf);
        });
}

function decodeQP(text) {
    const soft = text.replace(/=\r?\n/g, '');
    const bytes = [];
    for (let i = 0; i < soft.length; i++) {
        if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
            bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
            i += 2;
        } else {
            bytes.push(...Buffer.from(soft[i], 'utf8'));
        }
    }
    return Buffer.from(bytes).toString('utf8');
}

// Parse one RFC 5322 message (single part, as the module sends them).
export function parseMessage(raw) {
    const text = Buffer.isBuffer(raw) ? raw.toString('latin1') : raw;
    const sep = text.search(/\r?\n\r?\n/);
    const head = sep < 0 ? text : text.slice(0, sep);
    const rawBody = sep < 0 ? '' : text.slice(sep).replace(/^\r?\n\r?\n/, '');
    const headers = {};
    const headerList = [];
    for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = decodeWords(line.slice(i + 1).trim());
        headerList.push([name, value]);
        if (!(name in headers)) headers[name] = value;
    }
    const cte = (headers['content-transfer-encoding'] || '7bit').toLowerCase();
    let body;
    if (cte === 'base64') {
        body = Buffer.from(rawBody.replace(/[\r\n\s]/g, ''), 'base64').toString('utf8');
    } else if (cte === 'quoted-printable') {
        body = decodeQP(rawBody);
    } else {
        body = Buffer.from(rawBody, 'latin1').toString('utf8');
    }
    return { headers, headerList, subject: headers.subject || '', body, rawBody, raw: text };
}

// The confirmation link (absolute URL) of a mail body, or null.
export function confirmLink(msgOrBody) {
    const body = typeof msgOrBody === 'string' ? msgOrBody : msgOrBody.body;
    const m = /(https?:\/\/[^\s<>"]+\/email-bestaetigen\.html\?token=[A-Za-z0-9_-]+)/.exec(body);
    return m ? m[1] : null;
}

// The token of a confirmation link / mail, or null.
export function confirmToken(msgOrBody) {
    const link = confirmLink(msgOrBody);
    return link ? new URL(link).searchParams.get('token') : null;
}

// delayMs: answer each message only after that long (a slow relay)
// rejectRcpt: (address) => null | { code, message }: refuse RCPT TO with
//             that reply (e.g. 550); settable later as sink.rejectRcpt
export async function startSmtp({ port = 0, host = '127.0.0.1', delayMs = 0, rejectRcpt = null } = {}) {
    const messages = [];
    const rejected = [];
    let sink = null;
    const server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        // strict mode refuses addresses over 253 characters with 501; RFC
        // 5321's 256-octet path allows 254, the module's maximum
        lenientAddressParsing: true,
        logger: false,
        banner: 'jobcenter test sink',
        size: 10 * 1024 * 1024,
        onRcptTo(address, session, callback) {
            const r = sink && sink.rejectRcpt ? sink.rejectRcpt(address.address) : null;
            if (!r) return callback();
            rejected.push({ rcpt: address.address.toLowerCase(), code: r.code, at: Date.now() });
            const err = new Error(r.message || 'Recipient rejected');
            err.responseCode = r.code;
            return callback(err);
        },
        onData(stream, session, callback) {
            const chunks = [];
            stream.on('data', (c) => chunks.push(c));
            stream.on('error', callback);
            stream.on('end', () => {
                const raw = Buffer.concat(chunks);
                const parsed = parseMessage(raw);
                const accept = () => {
                    // kept once accepted (250), as a real relay would
                    messages.push({
                        ...parsed,
                        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                        rcpt: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
                        receivedAt: Date.now()
                    });
                    callback();
                };
                if (delayMs) setTimeout(accept, delayMs);
                else accept();
            });
        }
    });
    // smtp-server emits 'error' e.g. on aborted connections; never crash on it
    server.on('error', () => {});
    await new Promise((resolve, reject) => {
        const onErr = (e) => reject(e);
        server.server.once('error', onErr);
        server.listen(port, host, () => {
            server.server.removeListener('error', onErr);
            resolve();
        });
    });
    const actualPort = server.server.address().port;
    let closed = false;

    const matches = (m, rcpt, subject) =>
        (!rcpt || m.rcpt.includes(rcpt.toLowerCase()))
        && (subject === undefined || m.subject === subject);

    sink = {
        port: actualPort,
        messages,
        // RCPT TO refusals so far: { rcpt, code, at }
        rejected,
        rejectRcpt,
        // number of messages so far (use as `since` for waitFor)
        mark() {
            return messages.length;
        },
        find(rcpt, { subject, since = 0 } = {}) {
            return messages.slice(since).filter((m) => matches(m, rcpt, subject));
        },
        async waitFor(rcpt, { subject, since = 0, timeoutMs = 20000 } = {}) {
            const end = Date.now() + timeoutMs;
            for (;;) {
                const hit = messages.slice(since).find((m) => matches(m, rcpt, subject));
                if (hit) return hit;
                if (Date.now() >= end) {
                    const seen = messages.map((m) => `${m.rcpt.join(',')}: ${m.subject}`).join('; ') || 'none';
                    throw new Error(`no mail to ${rcpt}${subject ? ` with subject "${subject}"` : ''} within ${timeoutMs} ms (received: ${seen})`);
                }
                await sleep(50);
            }
        },
        async close() {
            if (closed) return;
            closed = true;
            await Promise.race([
                new Promise((r) => server.close(r)),
                sleep(3000)
            ]);
        }
    };
    return sink;
}
