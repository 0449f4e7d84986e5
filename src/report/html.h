/* The HTML report (--html PATH): one self-contained file to look at. */
#ifndef PYLEAK_HTML_H
#define PYLEAK_HTML_H

#include <stddef.h>

#include "config/config.h"
#include "base/error.h"
#include "base/result.h"
#include "base/util.h"

/* What the report says about the tool and the run besides the results. */
typedef struct plk_html_meta {
    const char *version;   /* pyleak-ci version */
    const char *python;    /* Python version of the embedded build */
    int python_debug;      /* 1 for a debug build of Python */
    const plk_config *cfg; /* settings (and noise floors); NULL: none */
} plk_html_meta;

/* Size of the buffer plk_html_anchor needs. */
#define PLK_HTML_ANCHOR_SIZE 96

/* The id of a test's section in the report ("leak-" or "test-" and a
 * readable part of the test id, then a hash of the whole id), the same
 * for the same test id in every run: the GitHub job summary links to
 * it. */
void plk_html_anchor(char *out, const char *prefix, const char *test_id);

/* Append text to b escaped for HTML element content and attribute
 * values: sanitised first (ANSI escapes removed, invalid UTF-8 repaired,
 * control characters shown as \xNN), then & < > " ' as references.
 * s may be NULL (""). Returns 0 or PLK_ENOMEM. */
int plk_html_escape(plk_buf *b, const char *s);

/* Append an inline SVG chart of one metric's growth over the rounds:
 * the growth since the first sample after every round, the fitted slope
 * (dashed) and the band of growth below floor per round (noise).
 * Returns 0 or PLK_ENOMEM. */
int plk_html_chart(plk_buf *b, const plk_metric_result *mr, plk_metric m,
                   double floor);

/* Render r as one HTML document into *out (the caller frees it).
 * Returns 0 or PLK_ENOMEM. */
int plk_html_render(char **out, const plk_run_result *r,
                    const plk_html_meta *meta);

/* Render r and write it to path atomically. */
int plk_html_write(const plk_run_result *r, const plk_html_meta *meta,
                   const char *path, plk_error *err);

/* Check early (before any test runs) that path can be written. */
int plk_html_check_path(const char *path, plk_error *err);

#endif
