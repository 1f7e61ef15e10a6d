/* PostgreSQL connections that died while they sat in mod_dbd's pool
 * (see jc_db.h, jc_db_revive).
 *
 * When the server ends a backend (a restart, a failover, an admin's
 * pg_terminate_backend), it sends a FATAL message and closes the socket.
 * libpq notices that only when the connection is next used: PQstatus()
 * stays CONNECTION_OK until a statement fails, and mod_dbd's check on
 * acquire (apr_dbd_check_conn -> PQstatus) therefore passes a dead
 * connection to the request, which then answers 503. A pooled connection
 * is idle (no statement in flight, no LISTEN), so anything readable on its
 * socket - the FATAL message or end-of-file - means the server is done
 * with it; one non-blocking peek tells, and the connection is reset
 * (PQreset: same conninfo) and its statements prepared again before the
 * request sees it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <libpq-fe.h>

#include "jc_db.h"

/* 1 if the idle connection's socket has data or end-of-file waiting. */
static int pg_closed_by_server(PGconn *conn)
{
    char b;
    ssize_t n;
    int fd = PQsocket(conn);

    if (fd < 0) {
        return 1;
    }
    do {
        n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    return 1;
}

int jc_db_revive(jc_db_t *db)
{
    PGconn *conn;

    if (!db->driver || !db->handle
        || strcmp(apr_dbd_name(db->driver), "pgsql") != 0) {
        return 0;
    }
    conn = apr_dbd_native_handle(db->driver, db->handle);
    if (!conn || (PQstatus(conn) == CONNECTION_OK
                  && (PQtransactionStatus(conn) != PQTRANS_IDLE
                      || !pg_closed_by_server(conn)))) {
        return 0;
    }
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(db->errbuf, sizeof(db->errbuf), "reconnect failed: %s",
                 PQerrorMessage(conn));
        db->last_error = db->errbuf;
        return -1;
    }
    return jc_db_reprepare(db) == JC_DB_OK ? 1 : -1;
}
