-- mod_jobcenter schema, SQLite dialect. Version 1.
-- Keep the same tables and columns as sql/pgsql/001_init.sql.
-- Times are UTC epoch seconds (INTEGER). Applied by tools/db-init.sh, which
-- also switches the database to WAL once (never from DBDInitSQL).
BEGIN;
CREATE TABLE jc_schema (
    version     INTEGER NOT NULL
);

CREATE TABLE account (
    id                        INTEGER PRIMARY KEY,
    email                     TEXT UNIQUE,          -- lower-case; NULL for letter-only accounts
    username                  TEXT UNIQUE,          -- e.g. one-time "ba-514466234"
    password_hash             TEXT NOT NULL,        -- Argon2id PHC string
    email_confirmed_at        INTEGER,
    terms_accepted_at         INTEGER,
    email_consent_at          INTEGER,
    password_change_required  INTEGER NOT NULL DEFAULT 0,
    failed_logins             INTEGER NOT NULL DEFAULT 0,
    login_blocked_until       INTEGER NOT NULL DEFAULT 0,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
);

CREATE TABLE email_token (
    token_hash   TEXT PRIMARY KEY,                  -- SHA-256 hex of the link token
    account_id   INTEGER NOT NULL REFERENCES account(id),
    email        TEXT NOT NULL,
    purpose      TEXT NOT NULL,                     -- 'confirm'
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX email_token_account ON email_token(account_id);

CREATE TABLE session (
    id_hash      TEXT PRIMARY KEY,                  -- SHA-256 hex of the cookie token
    account_id   INTEGER NOT NULL REFERENCES account(id),
    state        INTEGER NOT NULL,                  -- jc_sess_state_e
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL                   -- absolute lifetime end
);
CREATE INDEX session_account ON session(account_id);
CREATE INDEX session_expiry ON session(expires_at);

CREATE TABLE login_throttle (
    client_key    TEXT PRIMARY KEY,                 -- client address
    failures      INTEGER NOT NULL,
    last_failure  INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL
);

CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    rcpt             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    message          TEXT NOT NULL,                 -- full RFC 5322 message
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    sent_at          INTEGER,
    last_error       TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(sent_at, next_attempt_at);

INSERT INTO jc_schema (version) VALUES (1);
COMMIT;
