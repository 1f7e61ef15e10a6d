/* Statements: jobcenters, staff, customers, Freischaltcodes,
 * Online-Kommunikation, messages, Bescheide, Termine.
 * An X-macro list (no include guard): jc_sql.h and jc_sql.c include it with
 * their own JC_EXEC / JC_SELECT / JC_SELECT_AS (see jc_sql.h). Core. */

/* jobcenters, staff, customers, Freischaltcodes (jc_staff) */
JC_SELECT(JC_INSERT, "jc_jc_insert",
    "INSERT INTO jobcenter (name, street, postcode, city, phone, "
    "opening_hours, created_at) VALUES (%s, %s, %s, %s, %s, %s, %lld) "
    "RETURNING id",
    (ID))
JC_EXEC(JC_POSTCODE_INSERT, "jc_jc_postcode_insert",
    "INSERT INTO jobcenter_postcode (postcode, jobcenter_id) "
    "VALUES (%s, %lld)")
JC_SELECT(JC_BY_NAME, "jc_jc_by_name",
    "SELECT id FROM jobcenter WHERE name = %s",
    (ID))
/* plan: hot */
JC_SELECT(JC_GET, "jc_jc_get",
    "SELECT name, street, postcode, city, phone, opening_hours "
    "FROM jobcenter WHERE id = %lld",
    (NAME, STREET, POSTCODE, CITY, PHONE, OPENING_HOURS))
JC_SELECT(JC_LIST, "jc_jc_list",
    "SELECT j.id, j.name, j.street, j.postcode, j.city, j.phone, "
    "j.opening_hours, (SELECT count(*) FROM staff s "
    "WHERE s.jobcenter_id = j.id) AS staff_count, (SELECT count(*) FROM "
    "customer c "
    "WHERE c.jobcenter_id = j.id) AS customer_count FROM jobcenter j ORDER BY "
    "j.name "
    "LIMIT 10000",
    (ID, NAME, STREET, POSTCODE, CITY, PHONE, OPENING_HOURS, STAFF_COUNT,
     CUSTOMER_COUNT))
JC_SELECT(JC_POSTCODES, "jc_jc_postcodes",
    "SELECT postcode FROM jobcenter_postcode WHERE jobcenter_id = %lld "
    "ORDER BY postcode LIMIT 10000",
    (POSTCODE))
/* plan: hot */
JC_SELECT(ACCT_ID_BY_EMAIL, "jc_acct_id_by_email",
    "SELECT id FROM account WHERE email = %s",
    (ID))
/* plan: hot */
JC_EXEC(STAFF_ACCT_ONETIME, "jc_staff_acct_onetime",
    "UPDATE account SET password_change_required = 1, "
    "onetime_expires_at = %lld, updated_at = %lld WHERE id = %lld")
/* plan: hot */
JC_EXEC(STAFF_ACCT_NEW_ONETIME, "jc_staff_acct_new_onetime",
    "UPDATE account SET password_hash = %s, password_change_required = 1, "
    "onetime_expires_at = %lld, failed_logins = 0, "
    "login_blocked_until = 0, updated_at = %lld WHERE id = %lld")
/* plan: hot */
JC_EXEC(STAFF_INSERT, "jc_staff_insert",
    "INSERT INTO staff (account_id, jobcenter_id, team, role, "
    "display_name, created_at) VALUES (%lld, %lld, %s, %s, %s, %lld)")
/* plan: hot */
JC_SELECT(STAFF_GET, "jc_staff_get",
    "SELECT s.jobcenter_id, s.team, s.role, s.display_name, "
    "s.disabled_at, j.name FROM staff s "
    "JOIN jobcenter j ON j.id = s.jobcenter_id WHERE s.account_id = %lld",
    (JOBCENTER_ID, TEAM, ROLE, DISPLAY_NAME, DISABLED_AT, NAME))
JC_SELECT(STAFF_LIST, "jc_staff_list",
    "SELECT s.account_id, a.email, s.display_name, s.team, s.role, "
    "j.name, s.created_at, s.disabled_at, t.confirmed_at FROM staff s "
    "JOIN account a ON a.id = s.account_id "
    "JOIN jobcenter j ON j.id = s.jobcenter_id "
    "LEFT JOIN totp_factor t ON t.account_id = s.account_id "
    "ORDER BY j.name, s.display_name, s.account_id LIMIT 100000",
    (ACCOUNT_ID, EMAIL, DISPLAY_NAME, TEAM, ROLE, NAME, CREATED_AT,
     DISABLED_AT, CONFIRMED_AT))
/* plan: hot */
JC_EXEC(STAFF_DISABLE, "jc_staff_disable",
    "UPDATE staff SET disabled_at = %lld "
    "WHERE account_id = %lld AND disabled_at IS NULL")
/* plan: hot */
JC_EXEC(SESS_DROP_ACCOUNT, "jc_sess_drop_account",
    "DELETE FROM session WHERE account_id = %lld")
/* plan: hot */
JC_SELECT(CUST_INSERT, "jc_cust_insert",
    "INSERT INTO customer (jobcenter_id, kundennummer, salutation, "
    "given_name, family_name, birth_date, street, postcode, city, "
    "created_by, created_at, name_key) "
    "VALUES (%lld, %s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %s) "
    "RETURNING id",
    (ID))
/* jc_cust_get, jc_cust_by_knr, jc_cust_search_*: the same columns */
/* plan: hot */
JC_SELECT(CUST_GET, "jc_cust_get",
    "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
    "family_name, birth_date, street, postcode, city, account_id, "
    "created_at FROM customer WHERE id = %lld AND jobcenter_id = %lld",
    (ID, JOBCENTER_ID, KUNDENNUMMER, SALUTATION, GIVEN_NAME, FAMILY_NAME,
     BIRTH_DATE, STREET, POSTCODE, CITY, ACCOUNT_ID, CREATED_AT))
/* one-time credentials of the bound account (staff customer page) */
/* plan: hot */
JC_SELECT(CUST_ONETIME, "jc_cust_onetime",
    "SELECT a.onetime_expires_at, a.password_change_required "
    "FROM customer c JOIN account a ON a.id = c.account_id "
    "WHERE c.id = %lld",
    (ONETIME_EXPIRES_AT, PASSWORD_CHANGE_REQUIRED))
/* plan: hot */
JC_SELECT_AS(CUST_BY_KNR, "jc_cust_by_knr",
    "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
    "family_name, birth_date, street, postcode, city, account_id, "
    "created_at FROM customer WHERE kundennummer = %s",
    CUST_GET)
/* staff search (jc_customer_search) in the caller's jobcenter: a
 * Kundennummer; a postcode; a name_key range [%s, %s) (a prefix).
 * Counts stop at JC_CUST_COUNT_MAX + 1. */
/* plan: hot */
JC_SELECT_AS(CUST_SEARCH_KNR, "jc_cust_search_knr",
    "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
    "family_name, birth_date, street, postcode, city, account_id, "
    "created_at FROM customer WHERE jobcenter_id = %lld AND kundennummer = %s",
    CUST_GET)
/* plan: hot */
JC_SELECT(CUST_COUNT_PLZ, "jc_cust_count_plz",
    "SELECT count(*) AS n FROM (SELECT 1 FROM customer WHERE jobcenter_id = "
    "%lld "
    "AND postcode = %s LIMIT 1001) x",
    (N))
/* plan: hot */
JC_SELECT_AS(CUST_SEARCH_PLZ, "jc_cust_search_plz",
    "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
    "family_name, birth_date, street, postcode, city, account_id, "
    "created_at FROM customer WHERE jobcenter_id = %lld AND postcode = %s "
    "ORDER BY name_key, id LIMIT %lld OFFSET %lld",
    CUST_GET)
/* plan: hot */
JC_SELECT(CUST_COUNT_NAME, "jc_cust_count_name",
    "SELECT count(*) AS n FROM (SELECT 1 FROM customer WHERE jobcenter_id = "
    "%lld "
    "AND name_key >= %s AND name_key < %s LIMIT 1001) x",
    (N))
/* plan: hot */
JC_SELECT_AS(CUST_SEARCH_NAME, "jc_cust_search_name",
    "SELECT id, jobcenter_id, kundennummer, salutation, given_name, "
    "family_name, birth_date, street, postcode, city, account_id, "
    "created_at FROM customer WHERE jobcenter_id = %lld AND name_key >= %s "
    "AND name_key < %s ORDER BY name_key, id LIMIT %lld OFFSET %lld",
    CUST_GET)
/* a new code makes the customer's older unused ones invalid */
/* plan: hot */
JC_EXEC(FSC_VOID, "jc_fsc_void",
    "UPDATE freischaltcode SET voided_at = %lld WHERE customer_id = %lld "
    "AND used_at IS NULL AND voided_at IS NULL")
/* plan: hot */
JC_EXEC(FSC_INSERT, "jc_fsc_insert",
    "INSERT INTO freischaltcode (customer_id, code_hash, created_by, "
    "created_at, expires_at) VALUES (%lld, %s, %lld, %lld, %lld)")
/* plan: hot */
JC_SELECT(FSC_LIST, "jc_fsc_list",
    "SELECT created_at, expires_at, used_at, voided_at FROM freischaltcode "
    "WHERE customer_id = %lld ORDER BY id DESC LIMIT 50",
    (CREATED_AT, EXPIRES_AT, USED_AT, VOIDED_AT))
/* plan: hot */
JC_EXEC(AUDIT_ADD, "jc_audit_add",
    "INSERT INTO staff_audit (staff_account, at, action, customer_id, "
    "detail) VALUES (%lld, %lld, %s, %lld, %s)")
/* Online-Kommunikation (jc_online) */
/* plan: hot */
JC_SELECT(ONLINE_GET, "jc_online_get",
    "SELECT active_since, text_version, deactivation_requested_at, "
    "deactivation_effective_at FROM online_consent WHERE account_id = %lld",
    (ACTIVE_SINCE, TEXT_VERSION, DEACTIVATION_REQUESTED_AT,
     DEACTIVATION_EFFECTIVE_AT))
/* plan: hot */
JC_SELECT(ONLINE_ACTIVE, "jc_online_active",
    "SELECT count(*) AS n FROM online_consent WHERE account_id = %lld "
    "AND active_since IS NOT NULL AND (deactivation_effective_at IS NULL "
    "OR deactivation_effective_at > %lld)",
    (N))
/* confirmed address of the account (mail target, consent rule) */
/* plan: hot */
JC_SELECT(ONLINE_EMAIL, "jc_online_email",
    "SELECT email, email_confirmed_at FROM account WHERE id = %lld",
    (EMAIL, EMAIL_CONFIRMED_AT))
/* consent: a new row, or a fresh consent that cancels a pending
 * deactivation; 0 rows when already active without one (parallel) */
/* plan: hot */
JC_EXEC(ONLINE_ACTIVATE, "jc_online_activate",
    "INSERT INTO online_consent (account_id, active_since, text_version, "
    "updated_at) VALUES (%lld, %lld, %s, %lld) "
    "ON CONFLICT (account_id) DO UPDATE SET "
    "active_since = excluded.active_since, "
    "text_version = excluded.text_version, "
    "deactivation_requested_at = NULL, deactivation_effective_at = NULL, "
    "updated_at = excluded.updated_at "
    "WHERE online_consent.active_since IS NULL "
    "OR online_consent.deactivation_requested_at IS NOT NULL")
/* only an active consent without a pending deactivation */
/* plan: hot */
JC_EXEC(ONLINE_DEACT_REQUEST, "jc_online_deact_request",
    "UPDATE online_consent SET deactivation_requested_at = %lld, "
    "deactivation_effective_at = %lld, updated_at = %lld "
    "WHERE account_id = %lld AND active_since IS NOT NULL "
    "AND deactivation_requested_at IS NULL")
/* plan: periodic */
JC_SELECT(ONLINE_DUE, "jc_online_due",
    "SELECT account_id, text_version, deactivation_effective_at "
    "FROM online_consent WHERE deactivation_effective_at <= %lld "
    "AND active_since IS NOT NULL ORDER BY deactivation_effective_at "
    "LIMIT 50",
    (ACCOUNT_ID, TEXT_VERSION, DEACTIVATION_EFFECTIVE_AT))
/* the deactivation takes effect; 0 rows when re-activated meanwhile */
/* plan: periodic */
JC_EXEC(ONLINE_DEACT_APPLY, "jc_online_deact_apply",
    "UPDATE online_consent SET active_since = NULL, "
    "deactivation_requested_at = NULL, deactivation_effective_at = NULL, "
    "updated_at = %lld WHERE account_id = %lld "
    "AND deactivation_effective_at <= %lld")
/* plan: hot */
JC_EXEC(ONLINE_HIST_ADD, "jc_online_hist_add",
    "INSERT INTO online_consent_history (account_id, at, action, "
    "text_version, effective_at) VALUES (%lld, %lld, %s, %s, %lld)")

/* messages, Bescheide, Termine (jc_message) */
/* plan: hot */
JC_SELECT(MSG_CUSTOMER_OF, "jc_msg_customer_of",
    "SELECT id, jobcenter_id FROM customer WHERE account_id = %lld",
    (ID, JOBCENTER_ID))
/* plan: hot */
JC_SELECT_AS(MSG_ACCT_MAIL, "jc_msg_acct_mail",
    "SELECT email, email_confirmed_at FROM account WHERE id = %lld",
    ONLINE_EMAIL)
/* plan: hot */
JC_SELECT(MSG_CONV_BY_KEY, "jc_msg_conv_by_key",
    "SELECT id FROM conversation "
    "WHERE account_id = %lld AND idempotency_key = %s",
    (ID))
/* plan: hot */
JC_SELECT(MSG_CONV_INSERT, "jc_msg_conv_insert",
    "INSERT INTO conversation (jobcenter_id, customer_id, account_id, "
    "anliegen, team, subject, status, idempotency_key, created_at, "
    "updated_at) VALUES (%lld, %lld, %lld, %s, %s, %s, 'neu', %s, %lld, "
    "%lld) RETURNING id",
    (ID))
/* staff_account NULL: the citizen's message */
/* plan: hot */
JC_SELECT(MSG_INSERT, "jc_msg_insert",
    "INSERT INTO message (conversation_id, staff_account, body, "
    "idempotency_key, created_at) VALUES (%lld, %lld, %s, %s, %lld) "
    "RETURNING id",
    (ID))
/* plan: hot */
JC_EXEC(MSG_MOVE_FILES, "jc_msg_move_files",
    "UPDATE upload_file SET message_id = %lld, draft_id = NULL "
    "WHERE draft_id = %lld AND account_id = %lld")
/* an attachment of a staff reply (stored by the upload sink) */
/* plan: hot */
JC_SELECT(MSG_FILE_ADD, "jc_msg_file_add",
    "INSERT INTO upload_file (account_id, message_id, store_id, name, "
    "mime, size, sha256, created_at) VALUES (%lld, %lld, %s, %s, %s, "
    "%lld, %s, %lld) RETURNING id",
    (ID))
/* plan: hot */
JC_SELECT(MSG_CONV_GET, "jc_msg_conv_get",
    "SELECT id, anliegen, team, subject, status, created_at, updated_at "
    "FROM conversation WHERE id = %lld AND account_id = %lld",
    (ID, ANLIEGEN, TEAM, SUBJECT, STATUS, CREATED_AT, UPDATED_AT))
/* plan: hot */
JC_SELECT(MSG_CONV_LIST, "jc_msg_conv_list",
    "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
    "c.updated_at, (SELECT count(*) FROM message m "
    "WHERE m.conversation_id = c.id AND m.staff_account IS NOT NULL "
    "AND m.read_at IS NULL) AS unread, (SELECT count(*) FROM message m "
    "WHERE m.conversation_id = c.id) AS messages FROM conversation c "
    "WHERE c.account_id = %lld ORDER BY c.updated_at DESC, c.id DESC "
    "LIMIT 200",
    (ID, ANLIEGEN, TEAM, SUBJECT, STATUS, CREATED_AT, UPDATED_AT, UNREAD,
     MESSAGES))
/* plan: hot */
JC_SELECT(MSG_MESSAGES, "jc_msg_messages",
    "SELECT m.id, m.staff_account, m.body, m.created_at, m.read_at, "
    "s.display_name FROM message m LEFT JOIN staff s "
    "ON s.account_id = m.staff_account WHERE m.conversation_id = %lld "
    "ORDER BY m.id LIMIT 1000",
    (ID, STAFF_ACCOUNT, BODY, CREATED_AT, READ_AT, DISPLAY_NAME))
/* plan: hot */
JC_SELECT(MSG_CONV_FILES, "jc_msg_conv_files",
    "SELECT f.id, f.message_id, f.name, f.mime, f.size FROM upload_file f "
    "JOIN message m ON m.id = f.message_id "
    "WHERE m.conversation_id = %lld ORDER BY f.id LIMIT 1000",
    (ID, MESSAGE_ID, NAME, MIME, SIZE))
/* plan: hot */
JC_EXEC(MSG_MARK_READ, "jc_msg_mark_read",
    "UPDATE message SET read_at = %lld WHERE conversation_id = %lld "
    "AND staff_account IS NOT NULL AND read_at IS NULL")
/* plan: hot */
JC_SELECT(MSG_BY_KEY, "jc_msg_by_key",
    "SELECT id FROM message "
    "WHERE conversation_id = %lld AND idempotency_key = %s",
    (ID))
/* plan: hot */
JC_EXEC(MSG_CONV_TOUCH, "jc_msg_conv_touch",
    "UPDATE conversation SET status = %s, updated_at = %lld "
    "WHERE id = %lld")
/* plan: hot */
JC_SELECT(MSG_FILE_CITIZEN, "jc_msg_file_citizen",
    "SELECT f.store_id, f.name, f.mime, f.size FROM upload_file f "
    "JOIN message m ON m.id = f.message_id "
    "JOIN conversation c ON c.id = m.conversation_id "
    "WHERE f.id = %lld AND c.account_id = %lld",
    (STORE_ID, NAME, MIME, SIZE))
/* plan: hot */
JC_SELECT(MSG_FILE_STAFF, "jc_msg_file_staff",
    "SELECT f.store_id, f.name, f.mime, f.size, c.customer_id "
    "FROM upload_file f JOIN message m ON m.id = f.message_id "
    "JOIN conversation c ON c.id = m.conversation_id "
    "WHERE f.id = %lld AND c.jobcenter_id = %lld AND c.team = %s "
    "AND f.scan_hold = 0",
    (STORE_ID, NAME, MIME, SIZE, CUSTOMER_ID))
/* staff inboxes, newest activity first, in keyset pages: rows before
 * the cursor (updated_at, id) of the previous page's last row (first
 * page: the largest values), at most %lld */
/* plan: hot */
JC_SELECT(MSG_INBOX_ALL, "jc_msg_inbox_all",
    "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
    "c.updated_at, c.assigned_to, s.display_name, cu.kundennummer, "
    "cu.given_name, cu.family_name, (SELECT count(*) FROM message m "
    "WHERE m.conversation_id = c.id) AS messages, (SELECT count(*) FROM "
    "upload_file f "
    "JOIN message m ON m.id = f.message_id "
    "WHERE m.conversation_id = c.id) AS files FROM conversation c "
    "JOIN customer cu ON cu.id = c.customer_id "
    "LEFT JOIN staff s ON s.account_id = c.assigned_to "
    "WHERE c.jobcenter_id = %lld AND c.team = %s "
    "AND (c.updated_at, c.id) < (%lld, %lld) "
    "ORDER BY c.updated_at DESC, c.id DESC LIMIT %lld",
    (ID, ANLIEGEN, TEAM, SUBJECT, STATUS, CREATED_AT, UPDATED_AT, ASSIGNED_TO,
     DISPLAY_NAME, KUNDENNUMMER, GIVEN_NAME, FAMILY_NAME, MESSAGES, FILES))
/* plan: hot */
JC_SELECT_AS(MSG_INBOX_STATUS, "jc_msg_inbox_status",
    "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
    "c.updated_at, c.assigned_to, s.display_name, cu.kundennummer, "
    "cu.given_name, cu.family_name, (SELECT count(*) FROM message m "
    "WHERE m.conversation_id = c.id) AS messages, (SELECT count(*) FROM "
    "upload_file f "
    "JOIN message m ON m.id = f.message_id "
    "WHERE m.conversation_id = c.id) AS files FROM conversation c "
    "JOIN customer cu ON cu.id = c.customer_id "
    "LEFT JOIN staff s ON s.account_id = c.assigned_to "
    "WHERE c.jobcenter_id = %lld AND c.team = %s AND c.status = %s "
    "AND (c.updated_at, c.id) < (%lld, %lld) "
    "ORDER BY c.updated_at DESC, c.id DESC LIMIT %lld",
    MSG_INBOX_ALL)
/* columns as the inbox, plus 14: account, 15: customer */
/* plan: hot */
JC_SELECT(MSG_STAFF_CONV, "jc_msg_staff_conv",
    "SELECT c.id, c.anliegen, c.team, c.subject, c.status, c.created_at, "
    "c.updated_at, c.assigned_to, s.display_name, cu.kundennummer, "
    "cu.given_name, cu.family_name, 0 AS messages, 0 AS files, c.account_id, "
    "c.customer_id "
    "FROM conversation c JOIN customer cu ON cu.id = c.customer_id "
    "LEFT JOIN staff s ON s.account_id = c.assigned_to "
    "WHERE c.id = %lld AND c.jobcenter_id = %lld AND c.team = %s",
    (ID, ANLIEGEN, TEAM, SUBJECT, STATUS, CREATED_AT, UPDATED_AT, ASSIGNED_TO,
     DISPLAY_NAME, KUNDENNUMMER, GIVEN_NAME, FAMILY_NAME, MESSAGES, FILES,
     ACCOUNT_ID, CUSTOMER_ID))
/* plan: hot */
JC_EXEC(MSG_ASSIGN, "jc_msg_assign",
    "UPDATE conversation SET assigned_to = %lld, status = CASE "
    "WHEN status = 'neu' THEN 'in_bearbeitung' ELSE status END "
    "WHERE id = %lld")
/* plan: hot */
JC_EXEC(MSG_STATUS, "jc_msg_status",
    "UPDATE conversation SET status = %s WHERE id = %lld")
/* plan: hot */
JC_SELECT(MSG_CUSTOMER_ACCT, "jc_msg_customer_acct",
    "SELECT account_id FROM customer WHERE id = %lld AND jobcenter_id = %lld",
    (ACCOUNT_ID))
/* plan: hot */
JC_SELECT(BESCHEID_INSERT, "jc_bescheid_insert",
    "INSERT INTO bescheid (jobcenter_id, customer_id, title, store_id, "
    "name, size, sha256, posted_by, provided_at, delivered_on) "
    "VALUES (%lld, %lld, %s, %s, %s, %lld, %s, %lld, %lld, %s) "
    "RETURNING id",
    (ID))
/* plan: hot */
JC_SELECT(BESCHEID_LIST, "jc_bescheid_list",
    "SELECT b.id, b.title, b.name, b.size, b.provided_at, b.delivered_on, "
    "b.opened_at FROM bescheid b JOIN customer c ON c.id = b.customer_id "
    "WHERE c.account_id = %lld ORDER BY b.provided_at DESC, b.id DESC "
    "LIMIT 200",
    (ID, TITLE, NAME, SIZE, PROVIDED_AT, DELIVERED_ON, OPENED_AT))
/* plan: hot */
JC_SELECT(BESCHEID_GET, "jc_bescheid_get",
    "SELECT b.store_id, b.name, b.size, b.opened_at FROM bescheid b "
    "JOIN customer c ON c.id = b.customer_id "
    "WHERE b.id = %lld AND c.account_id = %lld",
    (STORE_ID, NAME, SIZE, OPENED_AT))
/* plan: hot */
JC_EXEC(BESCHEID_OPEN, "jc_bescheid_open",
    "UPDATE bescheid SET opened_at = %lld "
    "WHERE id = %lld AND opened_at IS NULL")
/* plan: periodic */
JC_SELECT(BESCHEID_DUE, "jc_bescheid_due",
    "SELECT b.id, c.account_id FROM bescheid b "
    "JOIN customer c ON c.id = b.customer_id WHERE b.opened_at IS NULL "
    "AND b.reminder_at IS NULL AND b.provided_at <= %lld "
    "ORDER BY b.provided_at, b.id LIMIT 50",
    (ID, ACCOUNT_ID))
/* plan: periodic */
JC_EXEC(BESCHEID_REMINDED, "jc_bescheid_reminded",
    "UPDATE bescheid SET reminder_at = %lld "
    "WHERE id = %lld AND reminder_at IS NULL AND opened_at IS NULL")
/* plan: hot */
JC_SELECT(TERMIN_INSERT, "jc_termin_insert",
    "INSERT INTO termin (jobcenter_id, customer_id, team, termin_date, "
    "termin_time, place, contact, posted_by, created_at) "
    "VALUES (%lld, %lld, %s, %s, %s, %s, %s, %lld, %lld) RETURNING id",
    (ID))
/* plan: hot */
JC_SELECT(TERMIN_LIST, "jc_termin_list",
    "SELECT t.id, t.termin_date, t.termin_time, t.place, t.contact, "
    "t.team, t.created_at, t.reschedule_conversation FROM termin t "
    "JOIN customer c ON c.id = t.customer_id WHERE c.account_id = %lld "
    "ORDER BY t.termin_date DESC, t.termin_time DESC, t.id DESC "
    "LIMIT 200",
    (ID, TERMIN_DATE, TERMIN_TIME, PLACE, CONTACT, TEAM, CREATED_AT,
     RESCHEDULE_CONVERSATION))
/* plan: hot */
JC_SELECT(TERMIN_GET, "jc_termin_get",
    "SELECT t.id, t.termin_date, t.termin_time, t.team, "
    "t.reschedule_conversation FROM termin t "
    "JOIN customer c ON c.id = t.customer_id "
    "WHERE t.id = %lld AND c.account_id = %lld",
    (ID, TERMIN_DATE, TERMIN_TIME, TEAM, RESCHEDULE_CONVERSATION))
/* plan: hot */
JC_EXEC(TERMIN_RESCHEDULED, "jc_termin_rescheduled",
    "UPDATE termin SET reschedule_conversation = %lld "
    "WHERE id = %lld AND reschedule_conversation IS NULL")
