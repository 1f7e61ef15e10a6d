-- mod_jobcenter schema, SQLite dialect. Version 4: factor management
-- (re-authentication time), the account's Verlauf (events), jobcenters,
-- staff, customers (person profiles) and Freischaltcodes.
-- Keep the same tables and columns as sql/pgsql/004_jobcenter.sql.
-- Applied by tools/db-init.sh to databases of version 3 (one transaction).
BEGIN;
-- When the holder of this session last proved a password or a factor
-- (login, second factor, re-authentication). Changes to factors and
-- account settings need it to be recent.
ALTER TABLE session ADD COLUMN verified_at INTEGER NOT NULL DEFAULT 0;
-- What the account's session list shows (issue 5): the browser's
-- User-Agent (cut to 200 characters) and the client address at login.
ALTER TABLE session ADD COLUMN user_agent TEXT;
ALTER TABLE session ADD COLUMN client_ip TEXT;

-- The account's own history ("Verlauf"): registration, logins, factor
-- changes, Freischaltcode redeemed, ... kind is a stable English key, the
-- page shows German text for it; detail is optional plain text (never a
-- secret).
CREATE TABLE event (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account(id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX event_account ON event(account_id, at);

CREATE TABLE jobcenter (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,            -- "Jobcenter Rems-Murr"
    street         TEXT NOT NULL,
    postcode       TEXT NOT NULL,
    city           TEXT NOT NULL,
    phone          TEXT NOT NULL,
    opening_hours  TEXT NOT NULL,                   -- free text, lines separated by \n
    created_at     INTEGER NOT NULL
);
-- Postcodes a jobcenter serves (each postcode belongs to one jobcenter).
CREATE TABLE jobcenter_postcode (
    postcode      TEXT PRIMARY KEY,
    jobcenter_id  INTEGER NOT NULL REFERENCES jobcenter(id)
);
CREATE INDEX jobcenter_postcode_jc ON jobcenter_postcode(jobcenter_id);

-- Staff: an account (same login and second factor as citizens) with a
-- jobcenter, a team and a role.
--   team: 'leistung' (Leistung allgemein), 'but' (Leistung Bildung und
--         Teilhabe), 'vermittlung' (Vermittlung / Beratung)
--   role: 'sachbearbeitung' | 'admin'
CREATE TABLE staff (
    account_id    INTEGER PRIMARY KEY REFERENCES account(id),
    jobcenter_id  INTEGER NOT NULL REFERENCES jobcenter(id),
    team          TEXT NOT NULL CHECK (team IN ('leistung', 'but', 'vermittlung')),
    role          TEXT NOT NULL CHECK (role IN ('sachbearbeitung', 'admin')),
    display_name  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);
CREATE INDEX staff_jobcenter ON staff(jobcenter_id);

-- A Jobcenter's customer; bound to at most one login account, and an
-- account holds at most one person profile (both UNIQUE).
CREATE TABLE customer (
    id             INTEGER PRIMARY KEY,
    jobcenter_id   INTEGER NOT NULL REFERENCES jobcenter(id),
    kundennummer   TEXT NOT NULL UNIQUE,            -- "123A123456"
    salutation     TEXT NOT NULL DEFAULT '',        -- "Frau", "Herr" or ''
    given_name     TEXT NOT NULL,
    family_name    TEXT NOT NULL,
    birth_date     TEXT NOT NULL,                   -- YYYY-MM-DD
    street         TEXT NOT NULL,
    postcode       TEXT NOT NULL,
    city           TEXT NOT NULL,
    account_id     INTEGER UNIQUE REFERENCES account(id),
    bound_at       INTEGER,
    created_by     INTEGER NOT NULL REFERENCES account(id),
    created_at     INTEGER NOT NULL
);
CREATE INDEX customer_jobcenter ON customer(jobcenter_id, family_name);

-- Freischaltcodes: only their SHA-256 (hex) is stored. A new code voids
-- the customer's older unused ones (voided_at).
CREATE TABLE freischaltcode (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customer(id),
    code_hash    TEXT NOT NULL UNIQUE,
    created_by   INTEGER NOT NULL REFERENCES account(id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    used_by      INTEGER REFERENCES account(id),
    voided_at    INTEGER
);
CREATE INDEX freischaltcode_customer ON freischaltcode(customer_id);

-- What staff did (who, when, to which customer). Never deleted by
-- housekeeping.
CREATE TABLE staff_audit (
    id             INTEGER PRIMARY KEY,
    staff_account  INTEGER NOT NULL REFERENCES account(id),
    at             INTEGER NOT NULL,
    action         TEXT NOT NULL,                   -- stable English key
    customer_id    INTEGER REFERENCES customer(id),
    detail         TEXT
);
CREATE INDEX staff_audit_customer ON staff_audit(customer_id, at);

UPDATE jc_schema SET version = 4;
COMMIT;
