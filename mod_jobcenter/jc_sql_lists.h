/* Every statement list, in statement id order. An X-macro include (no
 * include guard): the includer defines JC_EXEC / JC_SELECT /
 * JC_SELECT_AS first (see jc_sql.h). Core. */
#include "jc_sql_login.h"
#include "jc_sql_upload.h"
#include "jc_sql_staff.h"
#include "jc_sql_konto.h"
