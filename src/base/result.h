/* What a run found: per test, per file, for the whole run. */
#ifndef PYLEAK_RESULT_H
#define PYLEAK_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "base/fit.h"
#include "base/metric.h"

typedef enum {
    PLK_OUTCOME_PASSED, /* ran every round, no leak */
    PLK_OUTCOME_LEAKED, /* at least one gating metric leaks */
    PLK_OUTCOME_FAILED, /* the test itself raised */
    PLK_OUTCOME_ERROR,  /* collection, fixture or harness trouble */
    PLK_OUTCOME_SKIPPED
} plk_outcome;

const char *plk_outcome_name(plk_outcome o);

typedef enum {
    PLK_BASELINE_NONE,   /* no baseline, or the test is not in it */
    PLK_BASELINE_KNOWN,  /* leaks no more than the baseline allows */
    PLK_BASELINE_LARGER, /* in the baseline but leaks more */
    PLK_BASELINE_FIXED   /* in the baseline and no longer leaks */
} plk_baseline_state;

typedef struct plk_metric_result {
    int measured; /* 0 when this build lacks the metric */
    int gating;   /* 1 when its verdict can fail the test */
    plk_fit fit;
    double per_call; /* fit.slope / calls per round */
    int64_t *series; /* samples, baseline first; owned */
    size_t n;        /* samples in series */
} plk_metric_result;

typedef struct plk_test_result {
    char *id;        /* "tests/test_x.py::Class::name" */
    char *classname; /* dotted: "tests.test_x.Class" */
    char *name;      /* "name" */
    char *file;      /* path relative to the working directory */
    long line;       /* 1-based, 0 when unknown */
    plk_outcome outcome;
    double time;       /* seconds spent on the test, all rounds */
    char *message;     /* one-line summary (failure, error, skip, leak) */
    char *exc_type;    /* exception type for failures and errors */
    char *details;     /* traceback, or the leak report */
    char *stdout_text; /* captured stdout of the first call */
    char *stderr_text; /* captured stderr (and warnings) of the first call */
    unsigned warmup;   /* warm-up rounds */
    unsigned rounds;   /* measured rounds */
    unsigned calls;    /* calls per round */
    unsigned screened; /* size of the group it was screened clean with,
                        * 0 when measured alone */
    unsigned long total_calls; /* calls of the test in all, the first
                                * included (not those of a diagnosis) */
    plk_metric_result metrics[PLK_METRIC__COUNT];
    /* Diagnosis of a leak (NULL/0 when there is none). */
    char *kind;     /* "python-held", "native-ref", "native-alloc", "fd",
                       * "thread", "process", "tmpfile", "env",
                       * "asyncio-task"; several joined with ',' */
    char *loc_file; /* the leak's location: first frame in user code */
    long loc_line;
    char *top_site;       /* "path:line: source" of the top allocation site */
    char *diagnosis;      /* the whole diagnosis as a JSON object text */
    double diagnose_time; /* seconds spent diagnosing */
    /* Per-test control and baseline. */
    char *note; /* allowances and baseline state, for reports */
    plk_baseline_state baseline;
} plk_test_result;

typedef struct plk_suite_result {
    char *name; /* dotted module name */
    char *file; /* relative path */
    double time;
    char *timestamp; /* YYYY-MM-DDTHH:MM:SS, local time at start */
    /* Set when the file could not be imported or collected. */
    char *error_type;
    char *error_message;
    char *error_details;
    plk_test_result *tests;
    size_t ntests;
    size_t cap;
} plk_suite_result;

typedef struct plk_run_result {
    plk_suite_result *suites;
    size_t nsuites;
    size_t cap;
    double time;
    char *timestamp;
    int interrupted;
} plk_run_result;

typedef struct plk_totals {
    size_t tests, passed, leaked, failed, errors, skipped;
    /* Of those skipped or failed: tests that passed once and failed
     * when repeated (exc_type PLK_NOT_REPEATABLE). */
    size_t not_repeatable;
} plk_totals;

/* The exc_type of a test that passed its first call and failed when
 * repeated, even with its class or module fixtures around every call. */
#define PLK_NOT_REPEATABLE "pyleak.NotRepeatable"

int plk_test_result_not_repeatable(const plk_test_result *t);

/* Append an empty record and return it (NULL when out of memory). */
plk_suite_result *plk_run_result_add_suite(plk_run_result *r);
plk_test_result *plk_suite_result_add_test(plk_suite_result *s);

void plk_run_result_totals(const plk_run_result *r, plk_totals *out);
void plk_suite_result_totals(const plk_suite_result *s, plk_totals *out);

void plk_test_result_free(plk_test_result *t);
void plk_suite_result_free(plk_suite_result *s);
void plk_run_result_free(plk_run_result *r);

#endif
