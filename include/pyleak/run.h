/* Running targets in rounds and judging every test. */
#ifndef PYLEAK_RUN_H
#define PYLEAK_RUN_H

#include "pyleak/config.h"
#include "pyleak/error.h"
#include "pyleak/report.h"
#include "pyleak/result.h"

/* Run every test of cfg's targets (the interpreter must be initialised)
 * and fill out. Per-test problems land in out; a non-zero return means
 * the run itself could not go on (bad target: PLK_EUSAGE/PLK_ENOTFOUND;
 * harness trouble: PLK_EINTERNAL; Ctrl-C: PLK_EINTR, out still valid). */
int plk_run(plk_run_result *out, const plk_config *cfg, plk_console *con,
            plk_error *err);

#endif
