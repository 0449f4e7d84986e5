/* Running targets in rounds and judging every test. */
#ifndef PLK_POOL_SCHEDULE_H
#define PLK_POOL_SCHEDULE_H

#include "config/config.h"
#include "base/error.h"
#include "report/console.h"
#include "base/result.h"

/* What the scheduler did, beside the results. */
typedef struct plk_run_info {
    size_t files;         /* test files and callables the targets name */
    size_t selected;      /* of them, those of this shard */
    unsigned shard_index; /* 1-based; 0 without sharding */
    unsigned shard_total;
    int anomaly; /* a worker exited badly after reporting all */
} plk_run_info;

/* Run every test of cfg's targets (the interpreter must be initialised)
 * and fill out and info. Each test file runs in a worker process forked
 * from this one, unless PYLEAK_CI_NO_FORK is set. Per-test problems land
 * in out; a non-zero return means the run itself could not go on (bad
 * target: PLK_EUSAGE/PLK_ENOTFOUND; harness trouble: PLK_EINTERNAL;
 * Ctrl-C or SIGTERM: PLK_EINTR, out still valid). Shards come from
 * cfg, else from GitLab's CI_NODE_INDEX/CI_NODE_TOTAL. */
int plk_run(plk_run_result *out, const plk_config *cfg, plk_console *con,
            plk_run_info *info, plk_error *err);

#endif
