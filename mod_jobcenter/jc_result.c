/* jc_result_t helpers (see jc_result.h). */
#include "jc_result.h"

void jc_result_ok(jc_result_t *res)
{
    res->status = 200;
    res->code = NULL;
    res->message = NULL;
    res->field = NULL;
    res->details = NULL;
    res->retry_after = 0;
    res->log = NULL;
    res->state = NULL;
}

int jc_result_set(jc_result_t *res, int status, const char *code,
                  const char *message, const char *field)
{
    res->status = status;
    res->code = code;
    res->message = message;
    res->field = field;
    return status;
}

void jc_result_detail(jc_result_t *res, const char *code, const char *field,
                      const char *message)
{
    json_t *d;

    if (!res->details) {
        res->details = json_array();
    }
    d = json_pack("{s:s, s:s?, s:s}", "code", code, "field", field,
                  "message", message);
    if (d) {
        json_array_append_new(res->details, d);
    }
}

int jc_result_unavailable(jc_result_t *res, const char *log)
{
    res->retry_after = 2;
    res->log = log;
    return jc_result_set(res, 503, "service_unavailable",
                         "Der Dienst ist vorübergehend ausgelastet. Bitte "
                         "versuchen Sie es in wenigen Sekunden erneut.",
                         NULL);
}

int jc_result_internal(jc_result_t *res, const char *log)
{
    res->log = log;
    return jc_result_set(res, 500, "internal_error",
                         "Es ist ein technischer Fehler aufgetreten. Bitte "
                         "versuchen Sie es später erneut.", NULL);
}
