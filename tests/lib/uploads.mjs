// Upload tests' helpers: sample files of each allowed type, citizens with a
// bound person profile, staff of a team, drafts, raw and multipart uploads
// (multipart through a real `curl -F` process), binary downloads, and a
// look into the upload store of an environment.
//
//   const jc = await jobcenterWithStaff(env, { name: 'Jobcenter Rems-Murr' });
//   const u = await citizenWithProfile(env, jc, 'tag');        // { c, id, cust }
//   const d = await newDraft(u.c, 'Geldleistung');             // draft id
//   const r = await uploadRaw(u.c, d, samples.pdf(), 'Bescheid.pdf');
//   const r2 = await curlUpload(env, u.c, d, [{ path, name, type }]);
//   const st = await staffOf(env, jc, 'leistung');              // { c, id }
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';
import { run, sha256hex } from './util.mjs';
import { authenticatedCitizen, createCustomer, nowSec } from './fixtures.mjs';

export const sha256 = sha256hex;

// Files whose first bytes carry the real signatures (what jc_sniff reads),
// padded with random bytes to the size asked for.
function pad(head, size) {
    const b = Buffer.alloc(Math.max(size, head.length));
    crypto.randomFillSync(b);
    head.copy(b, 0);
    return b;
}
export const samples = {
    pdf: (size = 4000) => {
        const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');
        return pad(head, size);
    },
    jpeg: (size = 3000) => pad(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), size),
    png: (size = 3000) => pad(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13,
        0x49, 0x48, 0x44, 0x52]), size),
    bmp: (size = 3000) => {
        const h = Buffer.alloc(54);
        h.write('BM', 0, 'latin1');
        h.writeUInt32LE(size, 2);
        h.writeUInt32LE(54, 10);          // pixel offset
        h.writeUInt32LE(40, 14);          // BITMAPINFOHEADER
        h.writeInt32LE(10, 18);
        h.writeInt32LE(10, 22);
        h.writeUInt16LE(1, 26);
        h.writeUInt16LE(24, 28);
        return pad(h, size);
    },
    // a real ELF executable of this machine
    exe: () => fs.readFileSync('/bin/true')
};
export const MIME = { pdf: 'application/pdf', jpeg: 'image/jpeg', png: 'image/png', bmp: 'image/bmp' };

// An authenticated citizen whose account holds a person profile (customer
// bound to the account) of jobcenter jc and (unless consent: false) has
// agreed to the Online-Kommunikation through the API.
export async function citizenWithProfile(env, jc, tag = 'upl', { consent = true } = {}) {
    const u = await authenticatedCitizen(env, tag);
    const cust = await createCustomer(env, { jobcenterId: jc.id, createdBy: jc.staff });
    await env.db.exec(`UPDATE customer SET account_id = ${u.id}, bound_at = ${nowSec()} WHERE id = ${cust.id}`);
    if (consent) await activateOnline(u.c);
    return { ...u, cust };
}

export async function activateOnline(c) {
    const r = await c.post('/api/v1/online-kommunikation/aktivieren', null, { csrf: true });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.active, true, r.text);
}

// A staff member of jc in team (leistung|but|vermittlung) with an
// authenticated session.
export async function staffOf(env, jc, team, { disabled = false } = {}) {
    const u = await authenticatedCitizen(env, `sb-${team}`);
    await env.db.exec('INSERT INTO staff (account_id, jobcenter_id, team, role, display_name, created_at, disabled_at) '
        + `VALUES (${u.id}, ${jc.id}, '${team}', 'sachbearbeitung', 'Frau ${team}', ${nowSec()}, `
        + `${disabled ? nowSec() : 'NULL'})`);
    return u;
}

export async function newDraft(c, area = 'geldleistung') {
    const r = await c.post('/api/v1/uploads/drafts', { area }, { csrf: true });
    assert.equal(r.status, 201, r.text);
    return r.json.draft;
}

// The body as it is, with a Content-Type of the client's choice (ignored by
// the server: the type is sniffed).
export function uploadRaw(c, draft, buf, name, contentType = 'application/octet-stream', opts = {}) {
    const q = `draft=${draft}${name !== undefined ? `&name=${encodeURIComponent(name)}` : ''}`;
    return c.post(`/api/v1/uploads/files?${q}`, null, { raw: buf, contentType, csrf: true, ...opts });
}

// Headers a curl process needs to act as the client c.
function curlHeaders(c) {
    return ['-H', `Cookie: ${c.jar.header()}`, '-H', `X-CSRF-Token: ${c.csrf}`, '-H', `Origin: ${c.base}`,
        '-H', 'Accept: application/json'];
}

// multipart/form-data through curl -F: files = [{ path, name?, type? }].
export async function curlUpload(env, c, draft, files, extraFields = []) {
    const args = ['-sS', '-o', '-', '-w', '\n%{http_code}', ...curlHeaders(c)];
    for (const f of extraFields) args.push('-F', f);
    for (const f of files) {
        let spec = `file=@${f.path}`;
        if (f.name) spec += `;filename=${f.name}`;
        if (f.type) spec += `;type=${f.type}`;
        args.push('-F', spec);
    }
    args.push(`${env.base}/api/v1/uploads/files?draft=${draft}`);
    const r = await run('curl', args, { timeoutMs: 60000 });
    const i = r.stdout.lastIndexOf('\n');
    const text = r.stdout.slice(0, i);
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: Number(r.stdout.slice(i + 1)), text, json, error: json && json.error ? json.error : null };
}

// GET with the client's cookies; the body as bytes.
export async function download(c, p) {
    const res = await fetch(c.base + p, { headers: { Cookie: c.jar.header(), Accept: '*/*' } });
    return { status: res.status, headers: res.headers, buf: Buffer.from(await res.arrayBuffer()) };
}

// Names in the environment's upload store.
export function storeDir(env) {
    return env.storeDir || path.join(env.apacheRoot, 'uploads');
}
export function storeList(env, sub) {
    try {
        return fs.readdirSync(path.join(storeDir(env), sub)).sort();
    } catch {
        return [];
    }
}

// Files written into a temp dir for curl.
export function writeTemp(env, name, buf) {
    const dir = path.join(env.root, 'upload-src');
    fs.mkdirSync(dir, { recursive: true });
    const p = path.join(dir, name);
    fs.writeFileSync(p, buf);
    return p;
}

export async function submit(c, draft, { message, key = crypto.randomUUID() } = {}) {
    return c.post('/api/v1/uploads/submit', { draft, message, idempotency_key: key }, { csrf: true });
}

// A multipart/form-data body: parts = [{ name, value } | { name, filename, type, data }].
export function multipart(parts) {
    const boundary = `----jc${crypto.randomBytes(8).toString('hex')}`;
    const chunks = [];
    for (const p of parts) {
        let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
        if (p.filename !== undefined) head += `; filename="${p.filename}"\r\nContent-Type: ${p.type || 'application/octet-stream'}`;
        chunks.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.value ?? '', 'utf8'),
            Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

// A staff reply with attachments: POST staff/messages/reply-files.
export function replyFiles(staff, conv, parts) {
    const m = multipart(parts);
    return staff.c.post(`/api/v1/staff/messages/reply-files?conversation=${conv}`, null,
        { raw: m.body, contentType: m.contentType, csrf: true });
}
