// ASVS 4.0.3 12.1.3 (file size quota and number of files per user) for
// resumable uploads (tus, issue 18). An unfinished upload holds no stored
// file yet, so without care a client could open many of them, each within
// the limits, and fill the store: here unfinished uploads count with their
// declared Upload-Length against JobcenterUploadMaxBytesPerDay and as files
// against JobcenterUploadMaxFiles of their draft, at creation, before
// anything is created. The attempts are refused (413 upload_daily_limit,
// 400 upload_too_many_files, 413 upload_too_large for one file above the
// limit) and leave nothing behind: no row, no spool file. A finished
// upload stops counting twice (its stored file counts instead), and a
// terminated one frees its share at once. POST uploads/files does not
// see the reservations, so the completion checks the day's stored bytes
// again: plain uploads plus finished resumable ones never pass the
// allowance (the upload that would is refused and removed). Also ASVS
// 4.2.1 (IDOR): an
// upload id of another account is a 404 for HEAD, PATCH and DELETE, and
// changes nothing.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { useEnv, logTest } from '../lib/env.mjs';
import { jobcenterWithStaff } from '../lib/fixtures.mjs';
import { samples, citizenWithProfile, newDraft, storeList, uploadRaw } from '../lib/uploads.mjs';

const MAX_FILE = 100000;
const PER_DAY = 250000;
const T = { 'Tus-Resumable': '1.0.0' };

function create(c, draft, length) {
    const meta = `filename ${Buffer.from('a.pdf').toString('base64')},draft ${Buffer.from(String(draft)).toString('base64')}`;
    return c.request('POST', '/api/v1/uploads/tus', undefined,
        { csrf: true, headers: { ...T, 'Upload-Length': String(length), 'Upload-Metadata': meta } });
}

describe('ASVS 12.1.3: unfinished resumable uploads count against the quotas', () => {
    const h = useEnv({ sets: [`JobcenterUploadMaxFileSize ${MAX_FILE}`, 'JobcenterUploadMaxFiles 3',
        `JobcenterUploadMaxBytesPerDay ${PER_DAY}`] });

    test('daily bytes, files per draft, file size: refused at creation, nothing left behind', async () => {
        const env = h.env;
        const jc = await jobcenterWithStaff(env, { name: `Jobcenter Quota ${crypto.randomBytes(3).toString('hex')}` });
        const u = await citizenWithProfile(env, jc, 'tus-quota');
        const intruder = await citizenWithProfile(env, jc, 'tus-intruder');
        const d1 = await newDraft(u.c, 'Geldleistung');
        const d2 = await newDraft(u.c, 'Vermittlung');
        const snapshot = async () => ({
            rows: await env.db.query(`SELECT id, upload_offset, file_id FROM tus_upload WHERE account_id = ${u.id} ORDER BY id`),
            files: Number(await env.db.scalar(`SELECT count(*) FROM upload_file WHERE account_id = ${u.id}`)),
            tmp: storeList(env, 'tmp')
        });

        // one file above the limit
        let r = await create(u.c, d1, MAX_FILE + 1);
        assert.equal(r.status, 413, r.text);
        assert.equal(r.error.code, 'upload_too_large');
        // three unfinished uploads fill draft 1 (max 3 files) and 240,000 of
        // the 250,000 bytes of the day
        const locs = [];
        for (let i = 0; i < 3; i++) {
            r = await create(u.c, d1, 80000);
            assert.equal(r.status, 201, r.text);
            locs.push(r.headers.get('location'));
        }
        const before = await snapshot();
        assert.equal(before.rows.length, 3);
        r = await create(u.c, d1, 1000);
        assert.equal(r.status, 400, r.text);
        assert.equal(r.error.code, 'upload_too_many_files');
        // another draft: still the day's allowance (10,000 left)
        r = await create(u.c, d2, 20000);
        assert.equal(r.status, 413, r.text);
        assert.equal(r.error.code, 'upload_daily_limit');
        assert.deepEqual(await snapshot(), before, 'refusals changed nothing');

        // another account cannot read, write or end them
        for (const loc of locs) {
            assert.equal((await intruder.c.request('HEAD', loc, undefined, { headers: T })).status, 404);
            const p = await intruder.c.request('PATCH', loc, undefined, { csrf: true, raw: samples.pdf(1000),
                contentType: 'application/offset+octet-stream', headers: { ...T, 'Upload-Offset': '0' } });
            assert.equal(p.status, 404, p.text);
            const d = await intruder.c.request('DELETE', loc, undefined, { csrf: true, headers: T });
            assert.equal(d.status, 404, d.text);
        }
        assert.deepEqual(await snapshot(), before, 'the other account changed nothing');

        // terminating one frees its share of both quotas at once
        r = await u.c.request('DELETE', locs[2], undefined, { csrf: true, headers: T });
        assert.equal(r.status, 204, r.text);
        r = await create(u.c, d2, 80000);
        assert.equal(r.status, 201, r.text);
        // finishing one: its stored file counts, the upload no longer
        // (80,000 stored + 80,000 + 80,000 announced: 20,000 is refused)
        const patch = (loc, buf) => u.c.request('PATCH', loc, undefined, { csrf: true, raw: buf,
            contentType: 'application/offset+octet-stream', headers: { ...T, 'Upload-Offset': '0' } });
        let p = await patch(locs[0], samples.pdf(80000));
        assert.equal(p.status, 204, p.text);
        r = await create(u.c, d2, 20000);
        assert.equal(r.status, 413, r.text);
        assert.equal(r.error.code, 'upload_daily_limit');
        // a plain upload of 95,000 (it counts stored bytes only: 80,000)
        const plain = await uploadRaw(u.c, d2, samples.pdf(95000), 'plain.pdf');
        assert.equal(plain.status, 201, plain.text);
        // 175,000 stored: finishing an 80,000 upload would pass 250,000
        const tmp = storeList(env, 'files');
        const [row] = await env.db.query(`SELECT id, spool_id FROM tus_upload WHERE token = '${locs[1].split('/').pop()}'`);
        p = await patch(locs[1], samples.pdf(80000));
        assert.equal(p.status, 413, p.text);
        assert.equal(p.error.code, 'upload_daily_limit');
        assert.equal((await env.db.query(`SELECT id FROM tus_upload WHERE id = ${Number(row.id)}`)).length, 0);
        assert.equal(storeList(env, 'tmp').includes(`${row.spool_id}.tus`), false);
        assert.deepEqual(storeList(env, 'files'), tmp, 'no file stored');
        assert.equal(Number(await env.db.scalar(`SELECT COALESCE(SUM(size), 0) FROM upload_file WHERE account_id = ${u.id}`)),
            175000);
    });

    logTest();
});
