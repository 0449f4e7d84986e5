/* The baseline: a reviewed list of known leaks, so a suite can adopt the
 * gate and fail only on new or larger leaks. */
#ifndef PYLEAK_BASELINE_H
#define PYLEAK_BASELINE_H

#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "base/metric.h"
#include "base/result.h"

/* A known leak stays known while it grows by at most this fraction more
 * per call than recorded: measured growth per call varies a little from
 * run to run, and a leak that really got worse grows by far more. */
#define PLK_BASELINE_TOLERANCE 0.25

#define PLK_BASELINE_TODO "TODO: explain why this leak is accepted"

typedef struct plk_baseline_entry {
    char *test; /* test id, its path relative to the file's folder */
    plk_metric metric;
    double per_call; /* recorded growth per call, in the metric's unit */
    char *reason;
    int line; /* of its [[leak]] header; 0 when made by a run */
} plk_baseline_entry;

typedef struct plk_baseline {
    char *path; /* as given */
    char *dir;  /* absolute folder of the file: ids are relative */
    plk_baseline_entry *entries;
    size_t n, cap;
} plk_baseline;

/* What applying or updating a baseline did, for the console. */
typedef struct plk_baseline_stats {
    size_t known;     /* leaking tests that passed as known leaks */
    size_t larger;    /* baselined tests that leak more, or more metrics */
    size_t fixed;     /* baselined tests that no longer leak */
    size_t unmatched; /* entries naming no test that got a verdict */
    size_t added, updated, removed, kept; /* by plk_baseline_update */
} plk_baseline_stats;

/* Read the file at path. A missing file is PLK_ENOTFOUND unless
 * missing_ok (then *out is empty, ready to be written). A malformed
 * file is PLK_EUSAGE naming file, line and what is wrong. */
int plk_baseline_load(plk_baseline *out, const char *path, int missing_ok,
                      plk_error *err);
void plk_baseline_free(plk_baseline *b);

/* Judge every test that got a verdict (passed or leaked) against b:
 * a leak within the recorded growth passes (baseline KNOWN, note
 * "known leak: REASON"); more growth or a metric not recorded still
 * leaks (LARGER, noted, the message says by how much); a test recorded
 * in `previous` (b when NULL) that no longer leaks is FIXED. Tests
 * without entries are left alone. */
void plk_baseline_apply(const plk_baseline *b, const plk_baseline *previous,
                        plk_run_result *r, plk_baseline_stats *out);

/* The baseline after this run, into *out: entries of tests without a
 * verdict kept, every current leak recorded (reasons kept; the number
 * kept while within the tolerance, so reruns do not churn the file),
 * entries of tests that no longer leak dropped. */
int plk_baseline_update(plk_baseline *out, const plk_baseline *b,
                        const plk_run_result *r, plk_baseline_stats *stats,
                        plk_error *err);

/* Write b, sorted by test id then metric, atomically. */
int plk_baseline_write(const plk_baseline *b, const char *path,
                       plk_error *err);

/* The id a test has in a baseline stored in folder dir (absolute):
 * "tests/test_x.py::name" with the path made relative to dir. */
char *plk_baseline_test_id(const plk_test_result *t, const char *dir);

#endif
