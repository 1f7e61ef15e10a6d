// tools/db-init.sh upgrades an existing database: a database of schema
// version 1 (with an account in it) gets sql/<dialect>/002_totp.sql and
// 003_passkey.sql, 004_jobcenter.sql and 005_online.sql, keeps its data, and the module then serves it; a second
// run changes nothing.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { useEnv, logTest, TOP } from '../lib/env.mjs';
import { run, uniqueEmail, schemaVersion } from '../lib/util.mjs';
import { psqlBin } from '../lib/pg.mjs';
import { strongPassword, registerAndConfirm } from '../lib/flows.mjs';

// db-init.sh for this environment's database, as the database's owner
function dbInit(env) {
    if (env.dbKind === 'sqlite') {
        const st = fs.statSync(env.sqliteFile);
        return run(path.join(TOP, 'tools', 'db-init.sh'), ['sqlite', env.sqliteFile],
            { uid: st.uid, gid: st.gid, timeoutMs: 30000 });
    }
    const binDir = path.dirname(psqlBin());
    return run(path.join(TOP, 'tools', 'db-init.sh'),
        ['pgsql', '-h', env.pg.host, '-p', String(env.pg.port), '-U', 'jc', '-d', env.pg.dbname],
        { timeoutMs: 30000, env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` } });
}

describe('db-init.sh upgrades a version 1 database', () => {
    let upgrade = null;
    const h = useEnv({
        beforeStart: async (env) => {
            // turn the fresh database back into version 1, with an account
            for (const i of ['session_last_seen', 'email_token_expiry', 'login_throttle_last', 'account_unconfirmed'])
                await env.db.exec(`DROP INDEX ${i}`);
            await env.db.exec('DROP TABLE job_lease');
            await env.db.exec('DROP INDEX mail_outbox_parked');
            for (const c of ['claim_owner', 'claim_until', 'parked_at'])
                await env.db.exec(`ALTER TABLE mail_outbox DROP COLUMN ${c}`);
            for (const t of ['online_consent_history', 'online_consent'])
                await env.db.exec(`DROP TABLE ${t}`);
            for (const t of ['tus_upload', 'termin', 'bescheid', 'upload_file', 'message', 'conversation',
                'upload_submission', 'upload_draft',
                'staff_audit', 'freischaltcode', 'customer', 'staff',
                'jobcenter_postcode', 'jobcenter', 'event'])
                await env.db.exec(`DROP TABLE ${t}`);
            for (const c of ['verified_at', 'user_agent', 'client_ip'])
                await env.db.exec(`ALTER TABLE session DROP COLUMN ${c}`);
            await env.db.exec('DROP TABLE webauthn_challenge');
            await env.db.exec('DROP TABLE passkey');
            await env.db.exec('DROP INDEX account_user_handle');
            await env.db.exec('ALTER TABLE account DROP COLUMN onetime_expires_at');
            await env.db.exec('ALTER TABLE account DROP COLUMN user_handle');
            await env.db.exec('DROP TABLE totp_factor');
            await env.db.exec('UPDATE jc_schema SET version = 1');
            await env.db.exec("INSERT INTO account (email, password_hash, email_confirmed_at, created_at, updated_at) "
                + "VALUES ('old@example.org', 'x', 1, 1, 1)");
            upgrade = await dbInit(env);
        }
    });

    test('version 1 -> latest: totp_factor, passkey, webauthn_challenge, jobcenter, online_consent, upload and message tables created, data kept, one line on stderr', async () => {
        const env = h.env;
        assert.ok(upgrade, 'db-init did not run');
        assert.match(upgrade.stderr, new RegExp(`schema upgraded from version 1 to ${schemaVersion()}\\b`), upgrade.stderr);
        assert.equal(await env.db.scalar('SELECT version FROM jc_schema'), schemaVersion());
        assert.equal(await env.db.scalar('SELECT count(*) FROM jc_schema'), 1);
        assert.equal(await env.db.scalar("SELECT count(*) FROM account WHERE email = 'old@example.org'"), 1);
        assert.equal(await env.db.scalar('SELECT count(*) FROM totp_factor'), 0);
        assert.equal(await env.db.scalar('SELECT count(*) FROM passkey'), 0);
        assert.equal(await env.db.scalar('SELECT count(*) FROM webauthn_challenge'), 0);
        assert.equal(await env.db.scalar("SELECT count(*) FROM account WHERE user_handle IS NULL"), 1);
        assert.equal(await env.db.scalar('SELECT count(*) FROM account WHERE onetime_expires_at IS NULL'), 1);
        for (const t of ['event', 'jobcenter', 'jobcenter_postcode', 'staff', 'customer',
            'freischaltcode', 'staff_audit', 'online_consent', 'online_consent_history',
            'upload_draft', 'upload_file', 'upload_submission', 'conversation', 'message',
            'bescheid', 'termin'])
            assert.equal(await env.db.scalar(`SELECT count(*) FROM ${t}`), 0, t);
        assert.equal(await env.db.scalar('SELECT count(*) FROM session WHERE verified_at = 0'), 0);
        assert.equal(await env.db.scalar('SELECT count(*) FROM upload_file WHERE message_id IS NOT NULL'), 0);
        // 009: outbox claims and parking, job leases
        // (the started module's watchdog may hold its job leases already)
        assert.equal(await env.db.scalar('SELECT count(*) FROM job_lease WHERE name NOT IN '
            + "('online_deactivations', 'bescheid_reminders', 'purge')"), 0);
        assert.equal(await env.db.scalar('SELECT count(*) FROM mail_outbox WHERE parked_at IS NOT NULL'), 0);
        // 010: the customer search key and the indexes of issue 19
        assert.equal(await env.db.scalar("SELECT count(*) FROM customer WHERE name_key <> ''"), 0);
        const idx = env.db.kind === 'sqlite'
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
            : 'SELECT count(*) FROM pg_indexes WHERE indexname IN ';
        assert.equal(await env.db.scalar(idx + "('session_last_seen', 'email_token_expiry', 'login_throttle_last', "
            + "'account_unconfirmed', 'customer_name', 'customer_postcode', 'conversation_team', "
            + "'conversation_inbox', 'freischaltcode_used_by', 'webauthn_challenge_account', "
            + "'freischaltcode_created_by', 'message_staff', 'conversation_assigned', 'customer_created_by', "
            + "'staff_audit_staff', 'bescheid_posted_by', 'termin_posted_by', 'upload_submission_status_by')"), 18);
    });

    test('the module serves the upgraded database (login, TOTP set-up)', async () => {
        const env = h.env;
        const user = await registerAndConfirm(env, uniqueEmail('migrated'), strongPassword());
        const c = env.client();
        const r = await c.post('/api/v1/login', { login: user.email, password: user.password });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'mfa_setup_required');
        const s = await c.post('/api/v1/mfa/totp/setup', {}, { csrf: true });
        assert.equal(s.status, 200, s.text);
        assert.equal(await env.db.scalar('SELECT count(*) FROM totp_factor'), 1);
    });

    test('a second run changes nothing', async () => {
        const env = h.env;
        const again = await dbInit(env);
        assert.match(again.stderr, new RegExp(`schema is at version ${schemaVersion()}, nothing to do`), again.stderr);
        assert.equal(await env.db.scalar('SELECT version FROM jc_schema'), schemaVersion());
        assert.equal(await env.db.scalar('SELECT count(*) FROM totp_factor'), 1);
    });
});

logTest();
