/* clamd INSTREAM client (see jc_clamd.h). Plain POSIX sockets: a
 * non-blocking descriptor, poll() for every wait (bounded by the
 * timeout), sendmsg() with MSG_NOSIGNAL (a connection clamd closed, e.g.
 * at its size limit, is EPIPE, never SIGPIPE). */
#include "jc_clamd.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#define JC_CLAMD_REPLY_MAX 1024          /* longest reply kept            */
#define JC_CLAMD_FILE_BLOCK (256 * 1024) /* jc_clamd_scan_file reads      */
#define JC_CLAMD_IOV_MAX 64              /* buffers per chunk (+ header)  */

struct jc_clamd {
    apr_pool_t *pool;           /* subpool: the descriptor's cleanup      */
    int fd;                     /* the connection, -1 once closed         */
    int timeout_ms;             /* every wait                             */
    apr_off_t max_stream;       /* StreamMaxLength                        */
    apr_off_t sent;             /* data bytes sent                        */
    apr_status_t err;           /* the first send error (sticky)          */
    int too_large;              /* more than max_stream was offered       */
};

static apr_status_t fd_cleanup(void *data)
{
    jc_clamd_t *c = data;

    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    return APR_SUCCESS;
}

/* Wait until fd is ready for events; APR_TIMEUP or the poll error. */
static apr_status_t wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd pfd;
    int n;

    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    do {
        n = poll(&pfd, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    return n == 0 ? APR_TIMEUP : APR_SUCCESS;
}

/* A connected non-blocking socket to addr (unix path or host:port). */
static apr_status_t connect_to(int *out, const char *addr, int timeout_ms,
                               apr_pool_t *p)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int fd, family, err = 0;
    socklen_t elen = sizeof(err);
    apr_status_t rv;

    *out = -1;
    memset(&ss, 0, sizeof(ss));
    if (addr[0] == '/') {
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;

        if (strlen(addr) >= sizeof(un->sun_path)) {
            return APR_EINVAL;
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, addr);
        sslen = sizeof(*un);
        family = AF_UNIX;
    }
    else {
        const char *colon = strrchr(addr, ':');
        struct addrinfo hints, *ai = NULL;
        char *host;
        int gai;

        if (!colon || colon == addr || !colon[1]) {
            return APR_EINVAL;
        }
        host = apr_pstrmemdup(p, addr, (apr_size_t)(colon - addr));
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
            host[strlen(host) - 1] = '\0';
            host++;
        }
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        gai = getaddrinfo(host, colon + 1, &hints, &ai);
        if (gai != 0 || !ai || ai->ai_addrlen > sizeof(ss)) {
            if (ai) {
                freeaddrinfo(ai);
            }
            return APR_EINVAL;
        }
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        sslen = ai->ai_addrlen;
        family = ai->ai_family;
        freeaddrinfo(ai);
    }
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (connect(fd, (struct sockaddr *)&ss, sslen) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            rv = APR_FROM_OS_ERROR(errno);
            close(fd);
            return rv;
        }
        rv = wait_fd(fd, POLLOUT, timeout_ms);
        if (rv == APR_SUCCESS
            && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
            err = errno;
        }
        if (rv == APR_SUCCESS && err) {
            rv = APR_FROM_OS_ERROR(err);
        }
        if (rv != APR_SUCCESS) {
            close(fd);
            return rv;
        }
    }
    *out = fd;
    return APR_SUCCESS;
}

/* Write all of iov[0..n) (modified: consumed as it is written). */
static apr_status_t send_all(jc_clamd_t *c, struct iovec *iov, int n)
{
    while (n > 0) {
        struct msghdr mh;
        ssize_t w;
        apr_status_t rv;

        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)n;
        w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                return APR_FROM_OS_ERROR(errno);
            }
            rv = wait_fd(c->fd, POLLOUT, c->timeout_ms);
            if (rv != APR_SUCCESS) {
                return rv;
            }
            continue;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return APR_SUCCESS;
}

apr_status_t jc_clamd_open(jc_clamd_t **out, const jc_clamd_cfg_t *cfg,
                           apr_pool_t *p)
{
    static const char cmd[] = "zINSTREAM";   /* + its NUL */
    jc_clamd_t *c;
    apr_pool_t *sub;
    struct iovec iov;
    apr_status_t rv;

    *out = NULL;
    if (!cfg || !cfg->addr) {
        return APR_EINVAL;
    }
    rv = apr_pool_create(&sub, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    c = apr_pcalloc(sub, sizeof(*c));
    c->pool = sub;
    c->fd = -1;
    c->timeout_ms = (int)apr_time_as_msec(cfg->timeout);
    if (c->timeout_ms < 1) {
        c->timeout_ms = 1;
    }
    c->max_stream = cfg->max_stream;
    rv = connect_to(&c->fd, cfg->addr, c->timeout_ms, sub);
    if (rv == APR_SUCCESS) {
        apr_pool_cleanup_register(sub, c, fd_cleanup,
                                  apr_pool_cleanup_null);
        iov.iov_base = (void *)cmd;
        iov.iov_len = sizeof(cmd);
        rv = send_all(c, &iov, 1);
    }
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(sub);
        return rv;
    }
    *out = c;
    return APR_SUCCESS;
}

apr_status_t jc_clamd_sendv(jc_clamd_t *c, const struct iovec *iov, int n)
{
    struct iovec v[JC_CLAMD_IOV_MAX + 1];
    unsigned char hdr[4];
    apr_size_t len = 0;
    int i, k;

    if (c->err != APR_SUCCESS) {
        return c->err;
    }
    for (i = 0; i < n; i++) {
        len += iov[i].iov_len;
    }
    if (len == 0) {
        return APR_SUCCESS;
    }
    if (c->max_stream > 0 && c->sent + (apr_off_t)len > c->max_stream) {
        c->too_large = 1;
        c->err = APR_ENOSPC;
        return c->err;
    }
    for (i = 0; i < n; i += JC_CLAMD_IOV_MAX) {
        apr_size_t clen = 0;
        int m = n - i < JC_CLAMD_IOV_MAX ? n - i : JC_CLAMD_IOV_MAX;

        for (k = 0; k < m; k++) {
            v[k + 1] = iov[i + k];
            clen += iov[i + k].iov_len;
        }
        if (clen == 0) {
            continue;
        }
        hdr[0] = (unsigned char)(clen >> 24);
        hdr[1] = (unsigned char)(clen >> 16);
        hdr[2] = (unsigned char)(clen >> 8);
        hdr[3] = (unsigned char)clen;
        v[0].iov_base = hdr;
        v[0].iov_len = sizeof(hdr);
        c->err = send_all(c, v, m + 1);
        if (c->err != APR_SUCCESS) {
            return c->err;
        }
        c->sent += (apr_off_t)clen;
    }
    return APR_SUCCESS;
}

apr_status_t jc_clamd_send(jc_clamd_t *c, const char *buf, apr_size_t len)
{
    struct iovec v;

    v.iov_base = (void *)buf;
    v.iov_len = len;
    return jc_clamd_sendv(c, &v, 1);
}

apr_off_t jc_clamd_sent(const jc_clamd_t *c)
{
    return c->sent;
}

void jc_clamd_close(jc_clamd_t *c)
{
    if (c) {
        apr_pool_destroy(c->pool);
    }
}

jc_clamd_verdict_e jc_clamd_parse(const char *reply, apr_size_t len,
                                  const char **detail, apr_pool_t *p)
{
    const char *s;
    apr_size_t n;
    char *line;

    if (detail) {
        *detail = NULL;
    }
    /* up to the NUL or the end, without trailing newlines */
    n = 0;
    while (n < len && reply[n]) {
        n++;
    }
    while (n > 0 && (reply[n - 1] == '\n' || reply[n - 1] == '\r')) {
        n--;
    }
    line = apr_pstrmemdup(p, reply, n);
    s = line;
    if (!strncmp(s, "stream: ", 8)) {
        s += 8;
    }
    else if (!strncmp(s, "stream:", 7)) {
        s += 7;
    }
    n = strlen(s);
    if (!strcmp(s, "OK")) {
        return JC_CLAMD_CLEAN;
    }
    if (n > 6 && !strcmp(s + n - 6, " FOUND")) {
        if (detail) {
            *detail = apr_pstrmemdup(p, s, n - 6);
        }
        return JC_CLAMD_FOUND;
    }
    if (detail) {
        *detail = *line ? line : "empty reply";
    }
    if (strstr(line, "size limit exceeded")) {
        return JC_CLAMD_TOO_LARGE;
    }
    return JC_CLAMD_UNAVAILABLE;
}

jc_clamd_verdict_e jc_clamd_finish(jc_clamd_t *c, const char **detail)
{
    static const unsigned char zero[4] = { 0, 0, 0, 0 };
    char buf[JC_CLAMD_REPLY_MAX];
    apr_size_t got = 0;
    apr_status_t rv = c->err;
    jc_clamd_verdict_e v;
    struct iovec iov;
    apr_pool_t *p = apr_pool_parent_get(c->pool);

    if (detail) {
        *detail = NULL;
    }
    if (c->too_large) {
        if (detail) {
            *detail = apr_psprintf(p, "more than %" APR_OFF_T_FMT " bytes "
                                   "(StreamMaxLength)", c->max_stream);
        }
        jc_clamd_close(c);
        return JC_CLAMD_TOO_LARGE;
    }
    if (rv == APR_SUCCESS) {
        iov.iov_base = (void *)zero;
        iov.iov_len = sizeof(zero);
        rv = send_all(c, &iov, 1);
    }
    /* read the reply also after a failed send: clamd answers its size
     * limit and closes the connection while we are still sending */
    for (;;) {
        ssize_t r;
        apr_status_t wv;

        if (got == sizeof(buf) || memchr(buf, '\0', got)) {
            break;
        }
        r = recv(c->fd, buf + got, sizeof(buf) - got, 0);
        if (r > 0) {
            got += (apr_size_t)r;
            continue;
        }
        if (r == 0) {
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            if (rv == APR_SUCCESS) {
                rv = APR_FROM_OS_ERROR(errno);
            }
            break;
        }
        wv = wait_fd(c->fd, POLLIN, c->timeout_ms);
        if (wv != APR_SUCCESS) {
            rv = wv;
            break;
        }
    }
    if (got == 0) {
        if (detail) {
            *detail = rv == APR_SUCCESS ? "no reply"
                      : apr_psprintf(p, "%s (%d)", rv == APR_TIMEUP
                                     ? "timed out" : "connection failed",
                                     rv);
        }
        jc_clamd_close(c);
        return JC_CLAMD_UNAVAILABLE;
    }
    v = jc_clamd_parse(buf, got, detail, p);
    if (v != JC_CLAMD_TOO_LARGE && v != JC_CLAMD_UNAVAILABLE
        && rv != APR_SUCCESS) {
        /* a verdict although our stream broke off: not a verdict on the
         * whole file */
        v = JC_CLAMD_UNAVAILABLE;
        if (detail) {
            *detail = "stream cut off";
        }
    }
    jc_clamd_close(c);
    return v;
}

jc_clamd_verdict_e jc_clamd_scan_file(const jc_clamd_cfg_t *cfg,
                                      const char *path, const char **detail,
                                      apr_status_t *err, apr_pool_t *p)
{
    apr_file_t *f;
    jc_clamd_t *c;
    char *buf;
    apr_status_t rv;

    *err = APR_SUCCESS;
    if (detail) {
        *detail = NULL;
    }
    rv = apr_file_open(&f, path, APR_READ | APR_BINARY, 0, p);
    if (rv != APR_SUCCESS) {
        *err = rv;
        if (detail) {
            *detail = "cannot open the file";
        }
        return JC_CLAMD_UNAVAILABLE;
    }
    rv = jc_clamd_open(&c, cfg, p);
    if (rv != APR_SUCCESS) {
        apr_file_close(f);
        if (detail) {
            *detail = apr_psprintf(p, "cannot connect to %s (%d)",
                                   cfg->addr, rv);
        }
        return JC_CLAMD_UNAVAILABLE;
    }
    buf = apr_palloc(p, JC_CLAMD_FILE_BLOCK);
    for (;;) {
        apr_size_t n = JC_CLAMD_FILE_BLOCK;

        rv = apr_file_read(f, buf, &n);
        if (rv == APR_EOF || (rv == APR_SUCCESS && n == 0)) {
            break;
        }
        if (rv != APR_SUCCESS) {
            *err = rv;
            apr_file_close(f);
            jc_clamd_close(c);
            if (detail) {
                *detail = "cannot read the file";
            }
            return JC_CLAMD_UNAVAILABLE;
        }
        if (jc_clamd_send(c, buf, n) != APR_SUCCESS) {
            break;              /* the verdict tells why */
        }
    }
    apr_file_close(f);
    return jc_clamd_finish(c, detail);
}
