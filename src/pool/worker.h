/* Worker processes: every test file runs in a process forked from the
 * parent (which initialised the interpreter and loaded the harness once),
 * so a crash, a hang or an exit in a test costs that test only. */
#ifndef PYLEAK_WORKER_H
#define PYLEAK_WORKER_H

#include <stddef.h>

#include "config/config.h"
#include "plan/discover.h"
#include "engine/engine.h"
#include "base/error.h"
#include "report/console.h"
#include "base/result.h"

/* Seconds a worker gets to stop after Ctrl-C or SIGTERM before it is
 * killed (a second signal kills at once). */
#define PLK_WORKER_GRACE_S 5.0

/* The events a worker's engine must be created with: they stream the
 * engine's results to the parent. Call before plk_engine_new. */
void plk_worker_events(plk_engine_events *out);

/* Run every target (FILE or MODULE targets) in its own worker, at most
 * jobs at a time, through E (created with plk_worker_events). Results
 * land in out and on con in target order, whatever the timing. A test
 * whose worker dies or shows no progress for cfg->timeout seconds
 * becomes an error and a new worker runs the rest of its file.
 * Returns 0; PLK_EINTR after SIGINT/SIGTERM (out holds what finished,
 * with the tests that did not run listed as skipped); or the error a
 * worker reported (a target that is not there: PLK_EUSAGE), err set.
 * *out_anomaly is set when a worker exited with a non-zero status after
 * it had reported everything (a memory checker's verdict, say). */
int plk_worker_run(plk_run_result *out, plk_engine *E,
                   const plk_target *targets, size_t count, unsigned jobs,
                   const plk_config *cfg, plk_console *con, int *out_anomaly,
                   plk_error *err);

/* Processors this process may run on (at least 1). */
unsigned plk_worker_cpus(void);

/* "signal 11 (SIGSEGV: Segmentation fault)" or "status 3" for a wait
 * status, as a new string. */
char *plk_worker_describe_status(int status);

#endif
