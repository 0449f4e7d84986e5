/* The engine: one file's (or callable's) tests, run in rounds and judged,
 * inside an initialised interpreter. The scheduler (run.h) decides which
 * files run where; the engine reports what happens through events. */
#ifndef PYLEAK_ENGINE_H
#define PYLEAK_ENGINE_H

#include <stddef.h>

#include "config/config.h"
#include "plan/discover.h"
#include "base/error.h"
#include "base/strindex.h"
#include "base/result.h"

/* What the engine tells its caller as it goes. Any callback may be NULL.
 * The records passed are owned by the engine's caller (the suite being
 * filled) and stay valid until the suite is freed. */
typedef struct plk_engine_events {
    void *ctx;
    /* The file was collected; its tests are about to run. */
    void (*suite_start)(void *ctx, const plk_suite_result *s);
    /* One test of the file, in run order: sent for every test (skipped
     * ones too) before module setup and the first test run. t carries
     * the identity only and is valid during the call. */
    void (*test_collected)(void *ctx, const plk_suite_result *s,
                           const plk_test_result *t);
    /* Test code of s->tests[index] is about to run (again): sent before
     * the calls of every phase, so a watchdog knows whom to blame. Tests
     * screened together take turns: earlier records of the suite may
     * still be waiting for their verdicts. */
    void (*test_begin)(void *ctx, const plk_suite_result *s, size_t index);
    /* s->tests[index] has its final verdict; sent in the order of the
     * records, once every earlier record has its verdict too. */
    void (*test_done)(void *ctx, const plk_suite_result *s, size_t index);
    void (*suite_done)(void *ctx, const plk_suite_result *s);
} plk_engine_events;

typedef struct plk_engine plk_engine;

/* Load the harness and set up per-run state. The interpreter must be
 * initialised. Returns 0 or an error code with err set. */
int plk_engine_new(plk_engine **out, const plk_config *cfg,
                   const plk_engine_events *ev, plk_error *err);
void plk_engine_free(plk_engine *E);

/* Run the tests of one target (a file, possibly with a selector, or a
 * module:callable) into a new suite appended to out. Returns 0; PLK_EINTR
 * when interrupted (out stays valid); PLK_EUSAGE when the target names
 * something that is not there. */
int plk_engine_run_target(plk_engine *E, plk_run_result *out,
                          const plk_target *tg, plk_error *err);

/* Leave out tests whose ids are in ids from later runs: no record, no
 * events, no fixtures for them (a replacement worker skips what an
 * earlier one reported). ids is borrowed; NULL clears. */
void plk_engine_set_skip(plk_engine *E, const plk_strindex *ids);

/* Call tests whose ids are in ids once each, in their place, with their
 * fixtures, and measure nothing of them: their record is that of the
 * one call. The tests of a file that come before the ones a run is for,
 * when those may need what the earlier ones did. While a set is given,
 * each test is measured whole, in the file's order, before the next
 * one's first call (as under --thorough): its calls follow only the
 * tests before it. ids is borrowed; NULL clears. */
void plk_engine_set_once(plk_engine *E, const plk_strindex *ids);

/* Sharing one file's tests between processes. The file's tests fall in
 * groups, the unit screening uses (a unittest class, or the file's other
 * tests): group g of n runs only in the process whose claim(ctx, g)
 * returned 1, with its class fixtures there; setUpModule runs before the
 * first group this process takes, tearDownModule after its last. */
typedef struct plk_engine_share {
    void *ctx;
    /* The file has n groups, group g starting at collected test
     * starts[g]; said once, after collection. */
    void (*groups)(void *ctx, size_t n, const size_t *starts);
    /* 1: group g is this process's to run; 0: another one has it. */
    int (*claim)(void *ctx, size_t g);
    int backwards; /* try the groups from the last one */
} plk_engine_share;

/* Run only the groups claimed (share is copied); NULL runs them all, in
 * order, as one process alone does. */
void plk_engine_set_share(plk_engine *E, const plk_engine_share *share);

/* The run's folder of temporary folders (copied; NULL: none). Each
 * process that runs targets makes its own folder in it, named by its pid,
 * and makes it the tests' TMPDIR; the caller removes them. 0 or
 * PLK_ENOMEM. */
int plk_engine_set_tmp_root(plk_engine *E, const char *root);
/* The temporary folder of process pid (a new string), or NULL when there
 * is no root or no memory. */
char *plk_engine_tmpdir_for(const plk_engine *E, long pid);

/* 1 once Ctrl-C or SIGTERM reached the engine. */
int plk_engine_interrupted(const plk_engine *E);

/* "YYYY-MM-DDTHH:MM:SS", local time; a new string. */
char *plk_timestamp_now(void);

#endif
