/* Client file names for display. The cleaned name is shown to citizens
 * and staff and written into receipts; it is never used as a path (the
 * upload store names files by a random id). Core: no httpd headers. */
#ifndef JC_FILENAME_H
#define JC_FILENAME_H

#include <apr_pools.h>

#define JC_FILENAME_MAX 255          /* bytes, cut at a character boundary */
#define JC_FILENAME_DEFAULT "Dokument"

/* name cleaned for display, in p: the last path component (after the last
 * '/' or '\\'), without invalid UTF-8, C0/C1 controls, DEL, bidi controls
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), U+2028/9 and
 * U+FEFF; leading and trailing white space trimmed; at most 255 bytes;
 * "Dokument" if nothing is left (also for NULL, "." and ".."). */
const char *jc_filename_clean(const char *name, apr_pool_t *p);

/* The display name for a part: filename* (already decoded) if present,
 * else filename, cleaned by jc_filename_clean. */
const char *jc_filename_display(const char *filename_star,
                                const char *filename, apr_pool_t *p);

#endif
