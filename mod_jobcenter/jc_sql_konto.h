/* Statements: forgotten credentials, the "Konto" page (export, deletion),
 * one-time credentials.
 * An X-macro list (no include guard): jc_sql.h and jc_sql.c include it with
 * their own JC_EXEC / JC_SELECT / JC_SELECT_AS (see jc_sql.h). Core. */

/* forgotten credentials and the "Konto" page (jc_forgot, jc_konto) */
/* plan: hot */
JC_SELECT(RST_ACCT, "jc_rst_acct",
    "SELECT id, email_confirmed_at FROM account WHERE email = %s",
    (ID, EMAIL_CONFIRMED_AT))
/* plan: hot */
JC_SELECT_AS(JC_BY_POSTCODE, "jc_jc_by_postcode",
    "SELECT j.name, j.street, j.postcode, j.city, j.phone, "
    "j.opening_hours FROM jobcenter_postcode c "
    "JOIN jobcenter j ON j.id = c.jobcenter_id WHERE c.postcode = %s",
    JC_GET)
/* a new password also clears the login throttle of the account */
/* plan: hot */
JC_EXEC(KONTO_SET_PASSWORD, "jc_konto_set_password",
    "UPDATE account SET password_hash = %s, failed_logins = 0, "
    "login_blocked_until = 0, updated_at = %lld WHERE id = %lld")
/* plan: hot */
JC_EXEC(KONTO_SESS_DROP_OTHERS, "jc_konto_sess_drop_others",
    "DELETE FROM session WHERE account_id = %lld AND id_hash <> %s")
/* plan: hot */
JC_EXEC(KONTO_SESS_DELETE, "jc_konto_sess_delete",
    "DELETE FROM session WHERE id_hash = %s AND account_id = %lld")
/* live sessions: lifetime end after %lld 2, last use after %lld 3 */
/* plan: hot */
JC_SELECT(KONTO_SESSIONS, "jc_konto_sessions",
    "SELECT id_hash, created_at, last_seen, user_agent, client_ip, state "
    "FROM session WHERE account_id = %lld AND expires_at > %lld "
    "AND last_seen > %lld ORDER BY created_at DESC, id_hash LIMIT 200",
    (ID_HASH, CREATED_AT, LAST_SEEN, USER_AGENT, CLIENT_IP, STATE))
/* plan: hot */
JC_SELECT(KONTO_EMAIL_PENDING, "jc_konto_email_pending",
    "SELECT email, expires_at FROM email_token WHERE account_id = %lld "
    "AND purpose = 'email_change' AND used_at IS NULL "
    "AND expires_at > %lld ORDER BY created_at DESC LIMIT 1",
    (EMAIL, EXPIRES_AT))
/* plan: hot */
JC_EXEC(KONTO_EMAIL_SET, "jc_konto_email_set",
    "UPDATE account SET email = %s, email_confirmed_at = %lld, "
    "updated_at = %lld WHERE id = %lld")
/* every unused link of the account (after its address changed) */
/* plan: hot */
JC_EXEC(KONTO_TOKENS_DROP_OPEN, "jc_konto_tokens_drop_open",
    "DELETE FROM email_token WHERE account_id = %lld AND used_at IS NULL")
/* plan: hot */
JC_SELECT(KONTO_ACCOUNT, "jc_konto_account",
    "SELECT email, username, email_confirmed_at, terms_accepted_at, "
    "email_consent_at, created_at, updated_at, password_change_required "
    "FROM account WHERE id = %lld",
    (EMAIL, USERNAME, EMAIL_CONFIRMED_AT, TERMS_ACCEPTED_AT, EMAIL_CONSENT_AT,
     CREATED_AT, UPDATED_AT, PASSWORD_CHANGE_REQUIRED))
/* plan: hot */
JC_SELECT_AS(KONTO_EVENTS, "jc_konto_events",
    "SELECT at, kind, detail FROM event WHERE account_id = %lld "
    "ORDER BY at, id LIMIT 100000",
    EVENT_LIST)
/* plan: hot */
JC_SELECT(KONTO_ONLINE_HIST, "jc_konto_online_hist",
    "SELECT at, action, text_version, effective_at "
    "FROM online_consent_history WHERE account_id = %lld "
    "ORDER BY at, id LIMIT 100000",
    (AT, ACTION, TEXT_VERSION, EFFECTIVE_AT))
/* the export's records (DSGVO Art. 15): conversations, their messages
 * and attachments (names and sizes only), Bescheide, Termine, upload
 * submissions with their files; never a hash of a secret */
/* plan: hot */
JC_SELECT_AS(KONTO_X_CONVS, "jc_konto_x_convs",
    "SELECT id, anliegen, team, subject, status, created_at, updated_at "
    "FROM conversation WHERE account_id = %lld ORDER BY id",
    MSG_CONV_GET)
/* plan: hot */
JC_SELECT(KONTO_X_MSGS, "jc_konto_x_msgs",
    "SELECT m.conversation_id, m.id, m.staff_account, m.body, "
    "m.created_at FROM message m "
    "JOIN conversation c ON c.id = m.conversation_id "
    "WHERE c.account_id = %lld ORDER BY m.id",
    (CONVERSATION_ID, ID, STAFF_ACCOUNT, BODY, CREATED_AT))
/* plan: hot */
JC_SELECT(KONTO_X_MSG_FILES, "jc_konto_x_msg_files",
    "SELECT f.message_id, f.name, f.mime, f.size FROM upload_file f "
    "JOIN message m ON m.id = f.message_id "
    "JOIN conversation c ON c.id = m.conversation_id "
    "WHERE c.account_id = %lld ORDER BY f.id",
    (MESSAGE_ID, NAME, MIME, SIZE))
/* plan: hot */
JC_SELECT(KONTO_X_BESCHEIDE, "jc_konto_x_bescheide",
    "SELECT b.title, b.name, b.size, b.provided_at, b.delivered_on, "
    "b.opened_at FROM bescheid b JOIN customer cu ON cu.id = b.customer_id "
    "WHERE cu.account_id = %lld ORDER BY b.provided_at, b.id",
    (TITLE, NAME, SIZE, PROVIDED_AT, DELIVERED_ON, OPENED_AT))
/* plan: hot */
JC_SELECT(KONTO_X_TERMINE, "jc_konto_x_termine",
    "SELECT t.termin_date, t.termin_time, t.place, t.contact, t.team, "
    "t.created_at, t.seen_at FROM termin t "
    "JOIN customer cu ON cu.id = t.customer_id "
    "WHERE cu.account_id = %lld ORDER BY t.termin_date, t.termin_time, t.id",
    (TERMIN_DATE, TERMIN_TIME, PLACE, CONTACT, TEAM, CREATED_AT, SEEN_AT))
/* plan: hot */
JC_SELECT(KONTO_X_SUBS, "jc_konto_x_subs",
    "SELECT id, reference, area, submitted_at, status, status_at, message "
    "FROM upload_submission WHERE account_id = %lld ORDER BY id",
    (ID, REFERENCE, AREA, SUBMITTED_AT, STATUS, STATUS_AT, MESSAGE))
/* plan: hot */
JC_SELECT(KONTO_X_SUB_FILES, "jc_konto_x_sub_files",
    "SELECT f.submission_id, f.name, f.mime, f.size, f.sha256 "
    "FROM upload_file f JOIN upload_submission s ON s.id = f.submission_id "
    "WHERE s.account_id = %lld ORDER BY f.id",
    (SUBMISSION_ID, NAME, MIME, SIZE, SHA256))
/* deleting the login account */
/* plan: hot */
JC_SELECT(KONTO_CUST_OF, "jc_konto_cust_of",
    "SELECT id FROM customer WHERE account_id = %lld",
    (ID))
/* plan: hot */
JC_EXEC(KONTO_CUST_RELEASE, "jc_konto_cust_release",
    "UPDATE customer SET account_id = NULL, bound_at = NULL "
    "WHERE id = %lld")
/* plan: hot */
JC_EXEC(KONTO_FSC_UNLINK, "jc_konto_fsc_unlink",
    "UPDATE freischaltcode SET used_by = NULL WHERE used_by = %lld")
/* plan: hot */
JC_EXEC(KONTO_DEL_TOKENS, "jc_konto_del_tokens",
    "DELETE FROM email_token WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_DEL_EVENTS, "jc_konto_del_events",
    "DELETE FROM event WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_DEL_PASSKEYS, "jc_konto_del_passkeys",
    "DELETE FROM passkey WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_DEL_CHALLENGES, "jc_konto_del_challenges",
    "DELETE FROM webauthn_challenge WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_DEL_ONLINE_HIST, "jc_konto_del_online_hist",
    "DELETE FROM online_consent_history WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_DEL_ONLINE, "jc_konto_del_online",
    "DELETE FROM online_consent WHERE account_id = %lld")
/* conversations stay with the customer; the account's link goes */
/* plan: hot */
JC_EXEC(KONTO_CONV_UNLINK, "jc_konto_conv_unlink",
    "UPDATE conversation SET account_id = NULL WHERE account_id = %lld")
/* uploads: submitted documents stay with the customer record; a draft
 * loses its account and is made old, so the watchdog's draft purge
 * removes it with its files at its next run */
/* plan: hot */
JC_EXEC(KONTO_SUB_UNLINK, "jc_konto_sub_unlink",
    "UPDATE upload_submission SET account_id = NULL WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_FILE_UNLINK, "jc_konto_file_unlink",
    "UPDATE upload_file SET account_id = NULL WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_DRAFT_UNLINK, "jc_konto_draft_unlink",
    "UPDATE upload_draft SET account_id = NULL, created_at = 0 "
    "WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(KONTO_DEL_ACCOUNT, "jc_konto_del_account",
    "DELETE FROM account WHERE id = %lld")
/* one-time credentials ("Zugangsdaten zurücksetzen", jc_onetime.c) */
/* the customer's bound account with what the reset needs */
/* plan: hot */
JC_SELECT(ONETIME_CUST_ACCOUNT, "jc_onetime_cust_account",
    "SELECT a.id, a.email, a.email_confirmed_at, "
    "(SELECT count(*) FROM staff s WHERE s.account_id = a.id) AS staff "
    "FROM customer c JOIN account a ON a.id = c.account_id "
    "WHERE c.id = %lld AND c.jobcenter_id = %lld",
    (ID, EMAIL, EMAIL_CONFIRMED_AT, STAFF))
/* the new pair replaces the old one (password hash, username): only
 * the newest letter pair matches anything */
/* plan: hot */
JC_EXEC(ONETIME_ACCOUNT, "jc_onetime_account",
    "UPDATE account SET password_hash = %s, username = %s, "
    "password_change_required = 1, onetime_expires_at = %lld, "
    "email = NULL, email_confirmed_at = NULL, failed_logins = 0, "
    "login_blocked_until = 0, updated_at = %lld WHERE id = %lld")
/* plan: hot */
JC_EXEC(ONETIME_DROP_TOTP, "jc_onetime_drop_totp",
    "DELETE FROM totp_factor WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(ONETIME_DROP_PASSKEYS, "jc_onetime_drop_passkeys",
    "DELETE FROM passkey WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(ONETIME_DROP_CHALLENGES, "jc_onetime_drop_challenges",
    "DELETE FROM webauthn_challenge WHERE account_id = %lld")
/* plan: hot */
JC_EXEC(ONETIME_DROP_TOKENS, "jc_onetime_drop_tokens",
    "DELETE FROM email_token WHERE account_id = %lld AND used_at IS NULL")
/* plan: hot */
JC_SELECT(ONETIME_STATE, "jc_onetime_state",
    "SELECT password_hash, password_change_required, email, "
    "(SELECT count(*) FROM totp_factor t WHERE t.account_id = a.id "
    "AND t.confirmed_at IS NOT NULL) + (SELECT count(*) FROM passkey k "
    "WHERE k.account_id = a.id) AS factors FROM account a WHERE a.id = %lld",
    (PASSWORD_HASH, PASSWORD_CHANGE_REQUIRED, EMAIL, FACTORS))
/* plan: hot */
JC_EXEC(ONETIME_PASSWORD, "jc_onetime_password",
    "UPDATE account SET password_hash = %s, password_change_required = 0, "
    "onetime_expires_at = NULL, updated_at = %lld "
    "WHERE id = %lld AND password_change_required = 1")
/* plan: hot */
JC_EXEC(ONETIME_CONSENT, "jc_onetime_consent",
    "UPDATE account SET email_consent_at = %lld, updated_at = %lld "
    "WHERE id = %lld AND email IS NULL")
/* the confirmed address ends the letter flow: the one-time username
 * stops working */
/* plan: hot */
JC_EXEC(ONETIME_EMAIL, "jc_onetime_email",
    "UPDATE account SET email = %s, email_confirmed_at = %lld, "
    "username = NULL, updated_at = %lld WHERE id = %lld "
    "AND email IS NULL AND password_change_required = 0")

