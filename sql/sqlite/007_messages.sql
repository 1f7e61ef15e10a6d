-- mod_jobcenter schema, SQLite dialect. Version 7: messages routed by
-- Anliegen (conversations with the Jobcenter), Bescheide and Termine.
-- Keep the same tables and columns as sql/pgsql/007_messages.sql.
-- Applied by tools/db-init.sh (one transaction).
BEGIN;
-- A conversation between a customer and a team of their jobcenter,
-- opened by the citizen's first message. anliegen is the stable key of the
-- seed's Anliegen table (jc_message.c), team the team it routes to.
-- A retried send with the same idempotency key finds the first one.
-- account_id: the citizen's login account; NULL once that account was
-- deleted (the conversation stays with the customer, like the customer).
--   status: 'neu' | 'in_bearbeitung' | 'erledigt'
CREATE TABLE conversation (
    id               INTEGER PRIMARY KEY,
    jobcenter_id     INTEGER NOT NULL REFERENCES jobcenter(id),
    customer_id      INTEGER NOT NULL REFERENCES customer(id),
    account_id       INTEGER REFERENCES account(id),
    anliegen         TEXT NOT NULL,
    team             TEXT NOT NULL CHECK (team IN ('leistung', 'but', 'vermittlung')),
    subject          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'neu'
                     CHECK (status IN ('neu', 'in_bearbeitung', 'erledigt')),
    assigned_to      INTEGER REFERENCES account(id),
    idempotency_key  TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (account_id, idempotency_key)
);
CREATE INDEX conversation_inbox ON conversation(jobcenter_id, team, status, updated_at);
CREATE INDEX conversation_account ON conversation(account_id, updated_at);

-- One message of a conversation: from the citizen (staff_account NULL) or
-- from staff. read_at: when the citizen opened a staff message (NULL =
-- unread); citizen messages are read by staff through the status.
CREATE TABLE message (
    id               INTEGER PRIMARY KEY,
    conversation_id  INTEGER NOT NULL REFERENCES conversation(id),
    staff_account    INTEGER REFERENCES account(id),
    body             TEXT NOT NULL,
    idempotency_key  TEXT,
    created_at       INTEGER NOT NULL,
    read_at          INTEGER,
    UNIQUE (conversation_id, idempotency_key)
);
CREATE INDEX message_conversation ON message(conversation_id, id);

-- Attachments are upload files (issue 6's pipeline) moved from a draft to
-- a message when it is sent.
ALTER TABLE upload_file ADD COLUMN message_id INTEGER REFERENCES message(id);
CREATE INDEX upload_file_message ON upload_file(message_id);

-- A Bescheid (PDF) posted by staff. The file lives in the upload store
-- (store_id); delivered_on is the day it counts as delivered (YYYY-MM-DD,
-- jc_msg_delivery_day). opened_at: first download by the citizen;
-- reminder_at: when the reminder mail for an unopened Bescheid was queued.
CREATE TABLE bescheid (
    id             INTEGER PRIMARY KEY,
    jobcenter_id   INTEGER NOT NULL REFERENCES jobcenter(id),
    customer_id    INTEGER NOT NULL REFERENCES customer(id),
    title          TEXT NOT NULL,
    store_id       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    posted_by      INTEGER NOT NULL REFERENCES account(id),
    provided_at    INTEGER NOT NULL,
    delivered_on   TEXT NOT NULL,
    opened_at      INTEGER,
    reminder_at    INTEGER
);
CREATE INDEX bescheid_customer ON bescheid(customer_id, provided_at);
CREATE INDEX bescheid_unopened ON bescheid(opened_at, reminder_at, provided_at);

-- An appointment posted by staff: local date and time, place or phone,
-- contact person. reschedule_conversation: the conversation opened when
-- the citizen asked to move it.
CREATE TABLE termin (
    id                       INTEGER PRIMARY KEY,
    jobcenter_id             INTEGER NOT NULL REFERENCES jobcenter(id),
    customer_id              INTEGER NOT NULL REFERENCES customer(id),
    team                     TEXT NOT NULL CHECK (team IN ('leistung', 'but', 'vermittlung')),
    termin_date              TEXT NOT NULL,
    termin_time              TEXT NOT NULL,
    place                    TEXT NOT NULL,
    contact                  TEXT NOT NULL,
    posted_by                INTEGER NOT NULL REFERENCES account(id),
    created_at               INTEGER NOT NULL,
    seen_at                  INTEGER,
    reschedule_conversation  INTEGER REFERENCES conversation(id)
);
CREATE INDEX termin_customer ON termin(customer_id, termin_date);

UPDATE jc_schema SET version = 7;
COMMIT;
