-- mod_jobcenter schema, SQLite dialect. Version 3: passkeys (WebAuthn).
-- Keep the same tables and columns as sql/pgsql/003_passkey.sql.
-- Applied by tools/db-init.sh to databases of version 2 (one transaction).
BEGIN;
-- WebAuthn user handle (user.id): 32 random bytes, base64url; set when the
-- account's first passkey is registered. SQLite cannot add a UNIQUE
-- column, hence the separate unique index.
ALTER TABLE account ADD COLUMN user_handle TEXT;
CREATE UNIQUE INDEX account_user_handle ON account(user_handle);

-- Registered passkeys. cred_id and public_key (the COSE_Key as sent by the
-- authenticator) are base64url without padding.
CREATE TABLE passkey (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES account(id),
    cred_id       TEXT NOT NULL UNIQUE,
    public_key    TEXT NOT NULL,
    alg           INTEGER NOT NULL,                 -- COSE alg: -7, -8, -257
    sign_count    INTEGER NOT NULL DEFAULT 0,
    name          TEXT,
    aaguid        TEXT,                             -- hex, 32 characters
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    flagged       INTEGER NOT NULL DEFAULT 0        -- 1: counter went back
);
CREATE INDEX passkey_account ON passkey(account_id);

-- Issued WebAuthn challenges: only their SHA-256 (hex), single use.
CREATE TABLE webauthn_challenge (
    challenge_hash  TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL,                  -- register | login | assert
    account_id      INTEGER REFERENCES account(id), -- register, assert
    session_hash    TEXT,                           -- session it is bound to
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
);
CREATE INDEX webauthn_challenge_expiry ON webauthn_challenge(expires_at);

UPDATE jc_schema SET version = 3;
COMMIT;
