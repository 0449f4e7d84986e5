/* The whole result as JSON, for machines (--json PATH). */
#ifndef PYLEAK_JSON_H
#define PYLEAK_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "base/error.h"
#include "base/result.h"
#include "base/util.h"

/* The value of the top-level "format" key. A reader checks the part
 * before the slash and refuses a major version it does not know; keys
 * are only ever added within one major version. */
#define PLK_JSON_FORMAT "pyleak-ci/1"

/* What the report says about the tool and the run besides the results. */
typedef struct plk_json_meta {
    const char *version;   /* pyleak-ci version */
    const char *python;    /* Python version of the embedded build */
    int python_debug;      /* 1 for a debug build of Python */
    const plk_config *cfg; /* settings to record; NULL: none */
} plk_json_meta;

/* Render r as one JSON document (layout in README.md, "JSON report")
 * into *out, a new string the caller frees. Returns 0 or PLK_ENOMEM. */
int plk_json_render(char **out, const plk_run_result *r,
                    const plk_json_meta *meta);

/* Render r and write it to path atomically. */
int plk_json_write(const plk_run_result *r, const plk_json_meta *meta,
                   const char *path, plk_error *err);

/* Check early (before any test runs) that path can be written. */
int plk_json_check_path(const char *path, plk_error *err);

/* Append s[0..len) to b as a quoted JSON string, as the report writes
 * every string: invalid UTF-8 becomes U+FFFD, '"', '\' and control
 * characters are escaped (\u00XX in lower case). s may be NULL (treated
 * as ""). Returns 0 or PLK_ENOMEM. */
int plk_json_quote(plk_buf *b, const char *s, size_t len);

/* Parse text, one JSON value of any kind written by the embedded Python
 * (a diagnosis), into a new jansson value the caller releases with
 * json_decref. A \u escape of a lone surrogate is read as U+FFFD and
 * \u0000 is allowed; nesting deeper than 256 is refused. extra_flags go
 * to json_loads. Returns NULL when text is NULL, not JSON, or memory ran
 * out. */
json_t *plk_json_parse(const char *text, size_t extra_flags);

/* 1 when plk_json_parse takes text, else 0. */
int plk_json_valid(const char *text);

#endif
