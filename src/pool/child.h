/* The worker's side of the pool: what a forked worker does with its
 * file, and the claim table it shares with the parent and the other
 * workers of that file. Internal to src/pool. */
#ifndef PYLEAK_CHILD_H
#define PYLEAK_CHILD_H

#include <stdint.h>

#include "base/util.h"
#include "engine/engine.h"
#include "plan/discover.h"

/* Claim slots per file: groups past the last slot share it, so a file
 * with more groups than this is split at most this finely. */
#define PLK_CLAIM_SLOTS 255

/* Who runs which group of a file, in memory the parent maps shared
 * before it forks (with more than one job): a worker takes a group by
 * writing its token into the group's empty slot, atomically, so a file
 * can be shared by the worker that started it (from the first group
 * on) and helpers that start later (from the last group back). */
typedef struct claim_table {
    uint32_t ngroups;                /* written after collection */
    uint32_t slot[PLK_CLAIM_SLOTS];  /* 0: free, else the owner's token */
    uint32_t first[PLK_CLAIM_SLOTS]; /* the collected index it starts at */
} claim_table;

/* End every child process of this one (SIGKILL, then reap it). The
 * processes a worker's tests started and left running end with the
 * worker, and those of a worker that died (the parent is their
 * subreaper) with the run: a leak hunt that calls a test hundreds of
 * times must not leave hundreds of them on the CI machine, nor a CI
 * step waiting for them to close its output. */
void plk_end_children(void);

/* In the forked worker, after the parent's own descriptors and signal
 * handlers are put back: run the target tg through E (created with
 * plk_worker_events), skipping the tests in skip, taking groups from
 * claims with its mark token (NULL: the whole file; helper: from the
 * last group back), and
 * send the records on fd, with faulthandler's tracebacks on fault_fd.
 * Never returns. */
_Noreturn void plk_child_run(plk_engine *E, const plk_target *tg,
                             const plk_strindex *skip, claim_table *claims,
                             uint32_t token, int helper, int fd, int fault_fd);

#endif
