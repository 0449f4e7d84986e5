/* The worker's side of the pool: see child.h. */
#define _GNU_SOURCE 1

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "engine/embed.h"
#include "engine/sample.h"
#include "pool/child.h"
#include "pool/record.h"
#include "pool/worker.h"

/* State of the worker process (unused in the parent). */
static struct {
    int fd;
    plk_buf buf;
    size_t sent;         /* tests of the suite before this index are sent */
    claim_table *claims; /* this file's, when it may be shared */
    uint32_t token;      /* this worker's mark in claims */
} child = {-1, {0}, 0, NULL, 0};

static void
share_groups(void *ctx, size_t n, const size_t *starts)
{
    size_t g;

    for (g = 0; g < n && g < PLK_CLAIM_SLOTS; g++) {
        child.claims->first[g] =
            starts[g] > UINT32_MAX ? UINT32_MAX : (uint32_t)starts[g];
    }
    __atomic_store_n(&child.claims->ngroups,
                     n > UINT32_MAX ? UINT32_MAX : (uint32_t)n,
                     __ATOMIC_RELEASE);
}

static int
share_claim(void *ctx, size_t g)
{
    uint32_t *slot =
        &child.claims->slot[g < PLK_CLAIM_SLOTS ? g : PLK_CLAIM_SLOTS - 1];
    uint32_t free_slot = 0;

    if (__atomic_load_n(slot, __ATOMIC_ACQUIRE) == child.token) {
        return 1;
    }
    return __atomic_compare_exchange_n(slot, &free_slot, child.token, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void
child_flush(void)
{
    size_t off = 0;

    while (off < child.buf.len) {
        ssize_t n = write(child.fd, child.buf.data + off, child.buf.len - off);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* The parent is gone: nobody is left to report to. */
            _exit(70);
        }
        off += (size_t)n;
    }
    child.buf.len = 0;
}

/* Records the engine adds without an event of their own (a failing
 * tearDownClass or tearDownModule) go out before the next test_done or
 * suite_done, so they keep their place in the file's order. */
static void
send_quiet_tests(const plk_suite_result *s, size_t upto)
{
    for (; child.sent < upto && child.sent < s->ntests; child.sent++) {
        plk_record_put_test(&child.buf, PLK_REC_TEST, &s->tests[child.sent]);
    }
}

static void
ev_suite_start(void *ctx, const plk_suite_result *s)
{
    child.sent = 0;
    plk_record_put_suite(&child.buf, PLK_REC_SUITE_START, s);
    child_flush();
}

static void
ev_test_collected(void *ctx, const plk_suite_result *s,
                  const plk_test_result *t)
{
    /* Sent at once: module setup, which comes next, may kill us. */
    plk_record_put_test(&child.buf, PLK_REC_COLLECTED, t);
    child_flush();
}

static void
ev_test_begin(void *ctx, const plk_suite_result *s, size_t index)
{
    /* No quiet tests here: while a group of tests is screened, the tests
     * before this one may still be waiting for their verdicts. They all
     * have them by the next test_done, which comes in the tests' order. */
    plk_record_put_test(&child.buf, PLK_REC_BEGIN, &s->tests[index]);
    child_flush();
}

static void
ev_test_done(void *ctx, const plk_suite_result *s, size_t index)
{
    send_quiet_tests(s, index);
    plk_record_put_test(&child.buf, PLK_REC_TEST, &s->tests[index]);
    child.sent = index + 1;
    child_flush();
}

static void
ev_suite_done(void *ctx, const plk_suite_result *s)
{
    send_quiet_tests(s, s->ntests);
    plk_record_put_suite(&child.buf, PLK_REC_SUITE_DONE, s);
    child_flush();
}

void
plk_worker_events(plk_engine_events *out)
{
    memset(out, 0, sizeof(*out));
    out->suite_start = ev_suite_start;
    out->test_collected = ev_test_collected;
    out->test_begin = ev_test_begin;
    out->test_done = ev_test_done;
    out->suite_done = ev_suite_done;
}

void
plk_end_children(void)
{
    int pids[256];
    long long n, i;

    /* 256 at a time, until none is left or no more can go. */
    while ((n = plk_sample_children(pids, 256)) > 0) {
        int gone = 0;

        for (i = 0; i < n && i < 256; i++) {
            kill((pid_t)pids[i], SIGKILL);
        }
        for (i = 0; i < n && i < 256; i++) {
            gone += waitpid((pid_t)pids[i], NULL, 0) == (pid_t)pids[i];
        }
        if (gone == 0) {
            break;
        }
    }
}

void
plk_child_run(plk_engine *E, const plk_target *tg, const plk_strindex *skip,
              claim_table *claims, uint32_t token, int helper, int fd,
              int fault_fd)
{
    plk_run_result res = {0};
    plk_error err = {0};
    int rc;

    /* Results go to the parent's stdout in file order; what a test
     * writes to descriptor 1 itself goes with the diagnostics. */
    dup2(STDERR_FILENO, STDOUT_FILENO);
    child.fd = fd;
    plk_embed_faulthandler(fault_fd);
    plk_record_put_hello(&child.buf, (int64_t)getpid());
    child_flush();
    plk_engine_set_skip(E, skip);
    if (claims != NULL) {
        plk_engine_share share = {0};

        child.claims = claims;
        child.token = token;
        share.groups = share_groups;
        share.claim = share_claim;
        share.backwards = helper;
        plk_engine_set_share(E, &share);
    }
    rc = plk_engine_run_target(E, &res, tg, &err);
    if (res.nsuites > 0) {
        /* The suite as it ended: the engine fills in some of it (import
         * trouble it could not even report as an event) after its last
         * event. */
        plk_record_put_suite(&child.buf, PLK_REC_SUITE_DONE,
                             &res.suites[res.nsuites - 1]);
    }
    if (rc != 0 && rc != PLK_EINTR) {
        plk_record_put_error(&child.buf, rc,
                             err.message ? err.message : plk_strerror(rc));
    }
    plk_record_put_end(&child.buf, rc);
    child_flush();
    plk_end_children();
    plk_embed_flush_stdio();
    plk_run_result_free(&res);
    plk_error_clear(&err);
    plk_buf_free(&child.buf);
    /* No interpreter finalisation: atexit handlers and destructors of
     * the tests would run in a process whose results are all sent. */
    _exit(0);
}
