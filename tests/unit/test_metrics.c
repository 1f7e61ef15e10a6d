/* jc_metrics and jc_audit: counters in anonymous shared memory incremented
 * by several forked processes with several threads each lose nothing; the
 * Prometheus text has HELP/TYPE before every family and one sample per
 * counter; 503 causes; the audit line is one JSON object with the fixed
 * keys, UTC milliseconds and an ASCII-only, truncated login name. */
#define _DEFAULT_SOURCE 1
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_shm.h>
#include <apr_thread_proc.h>

#include "jc_metrics.h"
#include "jc_audit.h"
#include "unit_fixture.h"

#define PROCS 4
#define THREADS 4
#define ROUNDS 20000

static void *APR_THREAD_FUNC bump(apr_thread_t *t, void *data)
{
    int i;

    (void)data;
    for (i = 0; i < ROUNDS; i++) {
        jc_metrics_inc(JC_M_LOGIN_OK);
        jc_metrics_add(JC_M_UPLOAD_BYTES, 3);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void test_shared_counters(void **state)
{
    apr_shm_t *shm = NULL;
    pid_t pids[PROCS];
    int i, st;

    (void)state;
    assert_int_equal(apr_shm_create(&shm, jc_metrics_size(), NULL, pool),
                     APR_SUCCESS);
    jc_metrics_attach(apr_shm_baseaddr_get(shm), 1, 1700000000);
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            apr_pool_t *cp;
            apr_thread_t *th[THREADS];
            apr_status_t rv;
            int k;

            apr_pool_create(&cp, NULL);
            for (k = 0; k < THREADS; k++) {
                apr_thread_create(&th[k], NULL, bump, NULL, cp);
            }
            for (k = 0; k < THREADS; k++) {
                apr_thread_join(&rv, th[k]);
            }
            _exit(0);
        }
    }
    for (i = 0; i < PROCS; i++) {
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_true(jc_metrics_get(JC_M_LOGIN_OK)
                == (apr_uint64_t)PROCS * THREADS * ROUNDS);
    assert_true(jc_metrics_get(JC_M_UPLOAD_BYTES)
                == (apr_uint64_t)PROCS * THREADS * ROUNDS * 3);
    /* a restart keeps them */
    jc_metrics_attach(apr_shm_baseaddr_get(shm), 0, 0);
    assert_true(jc_metrics_get(JC_M_LOGIN_OK)
                == (apr_uint64_t)PROCS * THREADS * ROUNDS);
    jc_metrics_attach(NULL, 0, 0);
    jc_metrics_inc(JC_M_LOGIN_OK);      /* no-op, no crash */
    assert_true(jc_metrics_get(JC_M_LOGIN_OK) == 0);
}

static void test_prometheus(void **state)
{
    static char mem[4096];
    jc_metrics_cluster_t cl = { 1, 2, 30, 1, 400 };
    const char *txt;

    (void)state;
    assert_true(jc_metrics_size() <= sizeof(mem));
    jc_metrics_attach(mem, 1, 1700000000);
    jc_metrics_inc(JC_M_LOGIN_FAILED);
    jc_metrics_inc(JC_M_503_OVERLOAD);
    txt = jc_metrics_prometheus(&cl, pool);
    assert_non_null(strstr(txt, "# HELP jobcenter_logins_total "));
    assert_non_null(strstr(txt, "# TYPE jobcenter_logins_total counter\n"
                            "jobcenter_logins_total{result=\"ok\"} 0\n"
                            "jobcenter_logins_total{result=\"failed\"} 1\n"));
    /* one HELP/TYPE per family */
    assert_null(strstr(strstr(txt, "# TYPE jobcenter_logins_total") + 1,
                       "# TYPE jobcenter_logins_total"));
    assert_non_null(strstr(txt, "jobcenter_unavailable_total{cause="
                            "\"overload\"} 1\n"));
    assert_non_null(strstr(txt, "# TYPE jobcenter_mail_queue gauge\n"
                            "jobcenter_mail_queue 2\n"));
    assert_non_null(strstr(txt, "jobcenter_mail_parked_oldest_age_seconds "
                            "400\n"));
    assert_non_null(strstr(txt, "jobcenter_database_up 1\n"));
    cl.ok = 0;
    txt = jc_metrics_prometheus(&cl, pool);
    assert_non_null(strstr(txt, "jobcenter_database_up 0\n"));
    assert_null(strstr(txt, "jobcenter_mail_queue"));
    txt = jc_metrics_status(0, pool);
    assert_non_null(strstr(txt, "JobcenterLoginsFailed: 1\n"));
    txt = jc_metrics_status(1, pool);
    assert_non_null(strstr(txt, "<h2>mod_jobcenter</h2>"));
    jc_metrics_attach(NULL, 0, 0);
}

static void test_503_cause(void **state)
{
    (void)state;
    assert_int_equal(jc_metrics_503_cause("service_busy", NULL),
                     JC_M_503_OVERLOAD);
    assert_int_equal(jc_metrics_503_cause("service_unavailable",
                                          "no database connection"),
                     JC_M_503_DB_DOWN);
    assert_int_equal(jc_metrics_503_cause("service_unavailable",
                     "(7) server closed the connection unexpectedly"),
                     JC_M_503_DB_DOWN);
    assert_int_equal(jc_metrics_503_cause("service_unavailable",
                     "SQLITE_FULL (13) ...: the file system of the database "
                     "is full"), JC_M_503_DISK_FULL);
    assert_int_equal(jc_metrics_503_cause("service_unavailable",
                                          "(5) database is locked"),
                     JC_M_503_DB_BUSY);
    assert_int_equal(jc_metrics_503_cause(NULL, NULL), JC_M_503_DB_BUSY);
}

static void test_audit_line(void **state)
{
    jc_audit_rec_t a;
    apr_array_header_t *ev = apr_array_make(pool, 2, sizeof(const char *));
    char name[300];
    const char *line;
    apr_size_t len;
    json_t *o;
    json_error_t err;
    size_t i;

    (void)state;
    memset(&a, 0, sizeof(a));
    /* 2026-12-07 06:44:08.123 UTC */
    a.ts = apr_time_from_sec(1796625848) + 123456;
    a.node = "web1";
    a.actor_type = "staff";
    a.actor_id = 42;
    a.action = "POST staff/customers/*/freischaltcode";
    a.target_type = "customer";
    a.target_id = 1234;
    a.result = jc_audit_result(201);
    a.status = 201;
    APR_ARRAY_PUSH(ev, const char *) = "registered";
    a.events = ev;
    a.request_id = "abc";
    a.client_ip = "10.0.0.7";
    line = jc_audit_line(&a, &len, pool);
    assert_non_null(line);
    assert_int_equal(strlen(line), len);
    assert_int_equal(line[len - 1], '\n');
    assert_null(memchr(line, '\n', len - 1));
    assert_string_equal(line,
        "{\"ts\":\"2026-12-07T06:44:08.123Z\",\"node\":\"web1\","
        "\"actor\":{\"type\":\"staff\",\"id\":42},"
        "\"action\":\"POST staff/customers/*/freischaltcode\","
        "\"target\":{\"type\":\"customer\",\"id\":1234},\"result\":\"ok\","
        "\"status\":201,\"events\":[\"registered\"],\"request_id\":\"abc\","
        "\"client_ip\":\"10.0.0.7\"}\n");
    /* a refused login: the name, cut at a character boundary, ASCII */
    memset(&a, 0, sizeof(a));
    for (i = 0; i + 2 < sizeof(name) - 1; i += 2) {
        memcpy(name + i, "\xc3\xa4", 2);     /* ä */
    }
    name[i] = '\0';
    a.action = "POST login";
    a.target_type = "login";
    a.target_name = name;
    a.result = jc_audit_result(401);
    a.status = 401;
    a.error = "invalid_credentials";
    line = jc_audit_line(&a, &len, pool);
    for (i = 0; i < len; i++) {
        assert_true((unsigned char)line[i] < 0x80);
    }
    o = json_loads(line, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "result")),
                        "denied");
    assert_true(json_is_null(json_object_get(json_object_get(o, "actor"),
                                             "id")));
    assert_int_equal(strlen(json_string_value(json_object_get(
        json_object_get(o, "target"), "name"))), 128);
    json_decref(o);
    assert_string_equal(jc_audit_result(204), "ok");
    assert_string_equal(jc_audit_result(429), "denied");
    assert_string_equal(jc_audit_result(422), "failed");
    assert_string_equal(jc_audit_result(503), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_counters),
        cmocka_unit_test(test_prometheus),
        cmocka_unit_test(test_503_cause),
        cmocka_unit_test(test_audit_line),
    };

    return cmocka_run_group_tests(tests, unit_group_setup,
                                  unit_group_teardown);
}
