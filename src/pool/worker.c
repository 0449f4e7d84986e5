/* The parent's worker pool: fork one worker per test file from the
 * initialised parent, read their result records, replace the ones that
 * die or hang, and keep the report in file order whatever the timing.
 * What a worker does once forked is in child.c. */
#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pool/record.h"
#include "base/util.h"
#include "pool/worker.h"
#include "pool/child.h"
#include "base/strindex.h"
#include "base/utf8.h"
#include "engine/embed.h"

/* Crash and timeout tracebacks kept for the report, at most. */
#define PLK_FAULT_TEXT_MAX 32768
/* After a timeout the worker is asked for its tracebacks (SIGUSR2), then
 * killed this much later. */
#define PLK_DUMP_WAIT_S 1.0
/* A worker whose pipe closed gets this long to exit before it is
 * killed (a test may close descriptors it did not open). */
#define PLK_EOF_WAIT_S 5.0

/* -- the parent's bookkeeping --------------------------------------------- */

typedef enum { U_PENDING, U_RUNNING, U_DONE } unit_state;

typedef struct unit {
    const plk_target *tg;
    unit_state state;
    plk_suite_result suite;     /* what the parent reports for the target */
    int has_suite;              /* suite fields arrived (or were made up) */
    plk_test_result *collected; /* identities, in run order */
    size_t ncollected, capcollected;
    /* Indexes by test id: with thousands of tests in a file, each record
     * costs the parent a lookup, not a scan. */
    plk_strindex by_id;   /* id -> its places in collected */
    plk_strindex records; /* id -> one value per record so far */
    plk_strindex is_done; /* ids with a record: a new worker skips
                               * them */
    long *keys;           /* order of suite.tests (keep_collected_order) */
    uint32_t *owners;     /* token of the worker that sent each one */
    size_t capkeys;
    /* A test that fails while its file runs in two workers at once (a
     * file in the working directory both write, say) or out of the
     * file's order (a helper takes its groups from the end) may pass
     * under the plain runner, which runs the file alone and in order.
     * Such failures are confirmed: once the file's workers are done, one
     * more worker runs just those tests, in the file's order, alone. */
    plk_strindex suspect; /* ids that failed in a shared run */
    /* A test that passed its first call and failed a later one, in a
     * file with tests after it: those were screened with it, so its
     * later calls followed theirs in its process (a test that keeps
     * every descriptor it opens, or leaves the process in a state the
     * plain order never shows it). It is confirmed too. */
    plk_strindex out_of_order; /* suspect ids for that reason alone */
    plk_strindex confirm_at;   /* id -> its places in suite.tests */
    plk_strindex confirm_seen; /* id -> one value per confirming record */
    plk_strindex confirm_skip; /* collected ids the confirming worker
                                * does not run */
    plk_strindex confirm_once; /* those it calls once, unmeasured */
    uint32_t heir_token;       /* the next worker's token: a dead one's */
    int confirming;            /* the confirming worker is to run */
    int confirmed;             /* it ran (or could not start) */
    unsigned workers;          /* started for this target so far */
    unsigned nrunning;         /* its workers alive now */
    char *lost;                /* why a helper's tests may be missing */
    double t0;
    /* Console progress, to print in target order. */
    int con_started;
    size_t con_printed;
    size_t con_next; /* collected tests printed so far */
} unit;

typedef enum {
    END_NONE,
    END_TIMEOUT,   /* no progress for --timeout seconds */
    END_INTERRUPT, /* killed after Ctrl-C or SIGTERM */
    END_PIPE,      /* closed its pipe and did not exit */
    END_CORRUPT    /* sent bytes that are not records */
} end_reason;

typedef struct worker {
    pid_t pid;    /* 0: slot free */
    int fd;       /* read end of the result pipe */
    int fault_fd; /* faulthandler's output */
    size_t unit;
    unsigned char *buf;
    size_t len, cap;
    double last;               /* when the last record arrived */
    plk_test_result current;   /* the test running now (id NULL: none) */
    int collecting;            /* its COLLECTED records are the unit's */
    size_t reported;           /* tests this worker reported */
    plk_test_result last_test; /* identity of the last one */
    long last_key;             /* its place in the file (-1: none yet) */
    uint32_t token;            /* its mark in the claim table */
    int helper;                /* joined a file another worker runs */
    int confirm;               /* the worker that confirms failures */
    int got_end;
    int eof;
    double eof_at;
    end_reason reason;
    double kill_at; /* SIGKILL at this time (0: not planned) */
    char *corrupt;  /* why its records were refused */
} worker;

typedef struct pool {
    plk_engine *E;
    const plk_config *cfg;
    plk_console *con;
    unit *units;
    size_t nunits;
    size_t next_pending; /* no pending unit before this index */
    size_t con_unit;     /* next unit to print */
    worker *w;
    unsigned nw;
    unsigned running;
    claim_table *claims; /* one per unit, shared; NULL with one job */
    uint32_t next_token;
    int interrupted;
    double grace_until;
    int fatal_code;
    char *fatal_message;
    int anomaly;
    char *cwd;
    struct sigaction old_int, old_term, old_chld;
    sigset_t old_mask;
} pool;

static volatile sig_atomic_t stop_signals;
static volatile sig_atomic_t child_exited;

static void
on_stop(int sig)
{
    stop_signals++;
}

static void
on_child(int sig)
{
    child_exited = 1;
}

unsigned
plk_worker_cpus(void)
{
    cpu_set_t set;
    long n;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
        return (unsigned)CPU_COUNT(&set);
    }
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

char *
plk_worker_describe_status(int status)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        const char *descr = sigdescr_np(sig);

        return plk_asprintf("signal %d (SIG%s: %s)", sig,
                            abbrev ? abbrev : "?", descr ? descr : "?");
    }
    if (WIFEXITED(status)) {
        return plk_asprintf("status %d", WEXITSTATUS(status));
    }
    return plk_asprintf("wait status %#x", (unsigned)status);
}

static int
copy_identity(plk_test_result *out, const plk_test_result *t)
{
    out->id = plk_strdup(t->id);
    out->classname = plk_strdup(t->classname);
    out->name = plk_strdup(t->name);
    out->file = plk_strdup(t->file);
    out->line = t->line;
    return out->id || !t->id ? 0 : PLK_ENOMEM;
}

static int
is_reported(const unit *u, const char *id)
{
    return plk_strindex_has(&u->is_done, id);
}

/* The test id has a record now: a replacement worker skips it. */
static void
mark_reported(unit *u, const char *id)
{
    if (id != NULL) {
        plk_strindex_add(&u->is_done, id, 0);
    }
}

/* Index of the test id among the collected ones, or -1 (a fixture's
 * record, or a test collected by no worker). */
static long
collected_index(const unit *u, const char *id)
{
    size_t n;
    const size_t *at = plk_strindex_get(&u->by_id, id, &n);

    return n > 0 ? (long)at[0] : -1;
}

/* Like collected_index, for a file whose tests do not all have ids of
 * their own (classes made by a factory): the n-th record of an id (n
 * counts from 0) is the n-th test collected with it. */
static long
collected_nth(const unit *u, const char *id, size_t nth)
{
    size_t n;
    const size_t *at = plk_strindex_get(&u->by_id, id, &n);

    return nth < n ? (long)at[nth] : collected_index(u, id);
}

/* Where a record of w with this id was collected, the nth record of
 * that id. Tests can share an id (classes made by a factory): the one in
 * a group w claimed is it. */
static long
collected_for(const pool *P, const unit *u, const worker *w, const char *id,
              size_t nth)
{
    const claim_table *t;
    const size_t *at;
    size_t i, g = 0, n, count;
    long found = -1;

    if (P->claims == NULL || w == NULL || id == NULL) {
        return collected_nth(u, id, nth);
    }
    t = &P->claims[u - P->units];
    n = __atomic_load_n(&t->ngroups, __ATOMIC_ACQUIRE);
    if (n > PLK_CLAIM_SLOTS) {
        n = PLK_CLAIM_SLOTS;
    }
    at = plk_strindex_get(&u->by_id, id, &count);
    /* The places come in order, so the group only moves forwards. */
    for (i = 0; i < count; i++) {
        while (g + 1 < n && t->first[g + 1] <= at[i]) {
            g++;
        }
        if (n == 0 ||
            __atomic_load_n(&t->slot[g], __ATOMIC_ACQUIRE) != w->token) {
            continue;
        }
        if (found >= 0) {
            return collected_nth(u, id, nth); /* twice in its own groups */
        }
        found = (long)at[i];
    }
    return found >= 0 ? found : collected_nth(u, id, nth);
}

/* Is t the record of a failing tearDownModule (see run.c)? */
static int
is_module_teardown(const unit *u, const plk_test_result *t)
{
    return t->name != NULL && strcmp(t->name, "tearDownModule") == 0 &&
           t->classname != NULL && u->suite.name != NULL &&
           strcmp(t->classname, u->suite.name) == 0;
}

/* Is t a failure of the test itself (or "not repeatable") that a file
 * shared by workers could cause? Not the parent's made-up records (a
 * crash, a timeout, a test never run) nor skips. */
static int
is_not_repeatable(const plk_test_result *t)
{
    return t->exc_type != NULL && strcmp(t->exc_type, PLK_NOT_REPEATABLE) == 0;
}

static int
confirmable(const plk_test_result *t)
{
    if (is_not_repeatable(t)) {
        return 1;
    }
    if (t->outcome != PLK_OUTCOME_FAILED && t->outcome != PLK_OUTCOME_ERROR) {
        return 0;
    }
    return t->exc_type == NULL || strncmp(t->exc_type, "pyleak.", 7) != 0;
}

/* Move the record just appended back to its place in the order the
 * tests were collected in. Records arrive out of it when a worker dies
 * while tests screened together wait for their verdicts (the dead
 * test's record comes first, the others' from the next worker), and
 * when workers share a file (a helper runs its last groups first). A
 * record of no collected test (a fixture's) keeps its place after the
 * last test of the worker w that sent it. */
static void
keep_collected_order(const pool *P, unit *u, worker *w)
{
    size_t i = u->suite.ntests - 1, nth = 0;
    const char *id = u->suite.tests[i].id;
    long mine;

    /* The records of this id before this one. */
    if (id != NULL) {
        plk_strindex_get(&u->records, id, &nth);
        plk_strindex_add(&u->records, id, 0);
    }
    mine = collected_for(P, u, w, id, nth);

    if (u->capkeys < u->suite.ntests) {
        size_t cap = u->suite.ntests * 2;
        long *k = realloc(u->keys, cap * sizeof(*k));
        uint32_t *o = k ? realloc(u->owners, cap * sizeof(*o)) : NULL;

        if (k != NULL) {
            u->keys = k;
        }
        if (o == NULL) {
            return;
        }
        u->owners = o;
        u->capkeys = cap;
    }
    if (mine >= 0) {
        mine *= 2;
    }
    else if (is_module_teardown(u, &u->suite.tests[i])) {
        /* After every test, wherever the worker's share of them was. */
        mine = LONG_MAX / 2;
    }
    else {
        mine = w != NULL ? w->last_key + 1 : (i > 0 ? u->keys[i - 1] : 0);
    }
    u->keys[i] = mine;
    u->owners[i] = w != NULL ? w->token : 0;
    if (w != NULL) {
        /* The last, not the largest: a helper goes backwards. */
        w->last_key = mine;
    }
    while (i > u->con_printed && u->keys[i - 1] > mine) {
        plk_test_result tmp = u->suite.tests[i - 1];

        u->suite.tests[i - 1] = u->suite.tests[i];
        u->suite.tests[i] = tmp;
        uint32_t owner = u->owners[i];

        u->keys[i] = u->keys[i - 1];
        u->keys[i - 1] = mine;
        u->owners[i] = u->owners[i - 1];
        u->owners[i - 1] = owner;
        i--;
    }
}

/* Append a test record made up by the parent (a crash, a timeout, a test
 * that never ran) and take ownership of the strings passed. */
static void
add_made_up(const pool *P, unit *u, worker *w, const plk_test_result *ident,
            plk_outcome outcome, const char *exc_type, char *message,
            char *details)
{
    plk_test_result *t = plk_suite_result_add_test(&u->suite);

    if (t == NULL) {
        free(message);
        free(details);
        return;
    }
    copy_identity(t, ident);
    t->outcome = outcome;
    t->exc_type = plk_strdup(exc_type);
    t->message = message;
    t->details = details;
    mark_reported(u, t->id);
    keep_collected_order(P, u, w);
}

/* -- reading records ------------------------------------------------------ */

/* The confirming worker's record of a test replaces the record the
 * shared run made of it (the nth of its id, for ids that several tests
 * share); it says so when the verdict changed. */
static void
confirm_record(unit *u, worker *w, plk_test_result *rt)
{
    const size_t *at;
    size_t n, k;
    plk_test_result *t, old;

    if (w->current.id != NULL && rt->id != NULL &&
        strcmp(w->current.id, rt->id) == 0) {
        plk_test_result_free(&w->current);
    }
    at = plk_strindex_get(&u->confirm_at, rt->id, &n);
    plk_strindex_get(&u->confirm_seen, rt->id, &k);
    if (k >= n || plk_strindex_add(&u->confirm_seen, rt->id, 0) != 0) {
        return; /* a fixture's record: the shared run's stands */
    }
    t = &u->suite.tests[at[k]];
    old = *t;
    *t = *rt;
    memset(rt, 0, sizeof(*rt));
    if (confirmable(&old) && !confirmable(t)) {
        char *first = plk_strdup(old.message ? old.message : "failed");
        char *note;

        if (first != NULL) {
            first[strcspn(first, "\n")] = '\0';
        }
        note = plk_asprintf(
            "%s%sfailed %s (%s); run again in a new worker, after only "
            "the tests before it in the file, it %s",
            t->note ? t->note : "", t->note ? "; " : "",
            plk_strindex_has(&u->out_of_order, t->id)
                ? "after tests that come later in its file had run in its "
                  "process"
                : "while its file was shared by two workers",
            first ? first : "failed",
            t->outcome == PLK_OUTCOME_LEAKED ? "leaks" : "passes");
        free(first);
        if (note != NULL) {
            free(t->note);
            t->note = note;
        }
    }
    plk_test_result_free(&old);
}

static void
apply_record(pool *P, worker *w, plk_record *r)
{
    unit *u = &P->units[w->unit];
    plk_test_result *t;

    switch (r->type) {
    case PLK_REC_SUITE_START:
    case PLK_REC_SUITE_DONE:
        if (!u->has_suite) {
            /* The first worker's names stand; later ones agree. */
            if (r->suite.name != NULL) {
                free(u->suite.name);
                u->suite.name = r->suite.name;
                r->suite.name = NULL;
            }
            if (r->suite.file != NULL) {
                free(u->suite.file);
                u->suite.file = r->suite.file;
                r->suite.file = NULL;
            }
            free(u->suite.timestamp);
            u->suite.timestamp = r->suite.timestamp;
            r->suite.timestamp = NULL;
            u->has_suite = 1;
        }
        /* A helper's trouble with the file leaves its groups to the
         * others; the file itself is fine (its first worker said so). */
        if (r->suite.error_message != NULL && !w->helper &&
            u->suite.error_message == NULL) {
            u->suite.error_type = r->suite.error_type;
            u->suite.error_message = r->suite.error_message;
            u->suite.error_details = r->suite.error_details;
            r->suite.error_type = NULL;
            r->suite.error_message = NULL;
            r->suite.error_details = NULL;
        }
        if (r->type == PLK_REC_SUITE_DONE) {
            plk_test_result_free(&w->current);
        }
        break;
    case PLK_REC_COLLECTED:
        if (u->ncollected == 0) {
            w->collecting = 1;
        }
        if (!w->collecting) {
            break;
        }
        if (u->ncollected == u->capcollected) {
            size_t cap = u->capcollected ? u->capcollected * 2 : 16;
            plk_test_result *c = realloc(u->collected, cap * sizeof(*c));

            if (c == NULL) {
                break;
            }
            u->collected = c;
            u->capcollected = cap;
        }
        if (r->test.id != NULL &&
            plk_strindex_add(&u->by_id, r->test.id, u->ncollected) != 0) {
            break;
        }
        u->collected[u->ncollected++] = r->test;
        memset(&r->test, 0, sizeof(r->test));
        break;
    case PLK_REC_BEGIN:
        w->collecting = 0;
        plk_test_result_free(&w->current);
        w->current = r->test;
        memset(&r->test, 0, sizeof(r->test));
        break;
    case PLK_REC_TEST:
        w->collecting = 0;
        if (w->confirm) {
            confirm_record(u, w, &r->test);
            break;
        }
        if (P->claims != NULL && u->workers > 1 &&
            is_module_teardown(u, &r->test) && is_reported(u, r->test.id)) {
            /* Workers sharing a file whose tearDownModule fails in each
             * of them: one record is enough. */
            break;
        }
        t = plk_suite_result_add_test(&u->suite);
        if (t == NULL) {
            break;
        }
        *t = r->test;
        memset(&r->test, 0, sizeof(r->test));
        if (P->claims != NULL && (w->helper || u->nrunning > 1) &&
            confirmable(t) && collected_index(u, t->id) >= 0) {
            plk_strindex_add(&u->suspect, t->id, 0);
        }
        else if (is_not_repeatable(t) && collected_index(u, t->id) >= 0 &&
                 collected_index(u, t->id) + 1 < (long)u->ncollected &&
                 plk_strindex_add(&u->suspect, t->id, 0) == 0) {
            plk_strindex_add(&u->out_of_order, t->id, 0);
        }
        mark_reported(u, t->id);
        plk_test_result_free(&w->last_test);
        copy_identity(&w->last_test, t);
        keep_collected_order(P, u, w);
        w->reported++;
        if (w->current.id != NULL && t->id != NULL &&
            strcmp(w->current.id, t->id) == 0) {
            plk_test_result_free(&w->current);
        }
        break;
    case PLK_REC_ERROR:
        if (P->fatal_code == 0) {
            P->fatal_code = r->code < 0 ? (int)r->code : PLK_EINTERNAL;
            P->fatal_message = r->message;
            r->message = NULL;
        }
        break;
    case PLK_REC_END:
        w->got_end = 1;
        break;
    case PLK_REC_HELLO:
        break;
    }
}

/* Read what is there; decode whole frames. Returns 1 at end of file. */
static int
read_worker(pool *P, worker *w)
{
    for (;;) {
        ssize_t n;
        size_t at = 0;

        if (w->cap - w->len < 65536) {
            size_t cap = w->cap ? w->cap * 2 : 131072;
            unsigned char *b = realloc(w->buf, cap);

            if (b == NULL) {
                return 0;
            }
            w->buf = b;
            w->cap = cap;
        }
        n = read(w->fd, w->buf + w->len, w->cap - w->len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return 0; /* EAGAIN: all read for now */
        }
        if (n == 0) {
            return 1;
        }
        w->len += (size_t)n;
        w->last = plk_now();
        while (w->corrupt == NULL) {
            plk_record r;
            plk_error err = {0};
            long used = plk_record_decode(&r, w->buf + at, w->len - at, &err);

            if (used == 0) {
                break;
            }
            if (used < 0) {
                w->corrupt = plk_strdup(err.message);
                plk_error_clear(&err);
                break;
            }
            apply_record(P, w, &r);
            plk_record_free(&r);
            at += (size_t)used;
        }
        if (w->corrupt != NULL) {
            w->len = 0;
            if (w->reason == END_NONE) {
                w->reason = END_CORRUPT;
                kill(w->pid, SIGKILL);
            }
        }
        else if (at > 0) {
            memmove(w->buf, w->buf + at, w->len - at);
            w->len -= at;
        }
    }
}

/* -- starting workers ----------------------------------------------------- */

/* The worker process: run one target, stream the results, exit. Test
 * code runs here and only here. */
static _Noreturn void
worker_main(pool *P, unit *u, uint32_t token, int fd, int fault_fd, int helper)
{
    unsigned i;

    /* Ctrl-C and SIGTERM reach the tests as KeyboardInterrupt again, as
     * the interpreter set them up before the parent took them over. */
    sigaction(SIGINT, &P->old_int, NULL);
    sigaction(SIGTERM, &P->old_term, NULL);
    sigaction(SIGCHLD, &P->old_chld, NULL);
    sigprocmask(SIG_SETMASK, &P->old_mask, NULL);
    for (i = 0; i < P->nw; i++) {
        if (P->w[i].pid > 0) {
            close(P->w[i].fd);
            close(P->w[i].fault_fd);
        }
    }
    if (u->confirming) {
        plk_engine_set_once(P->E, &u->confirm_once);
        plk_child_run(P->E, u->tg, &u->confirm_skip, NULL, token, 0, fd,
                      fault_fd);
    }
    plk_child_run(P->E, u->tg, &u->is_done,
                  P->claims != NULL ? &P->claims[u - P->units] : NULL, token,
                  helper, fd, fault_fd);
}

static int
start_worker(pool *P, size_t ui, worker *w, int helper, plk_error *err)
{
    unit *u = &P->units[ui];
    int pfd[2];
    int mfd;
    uint32_t token;
    pid_t pid;
    pid_t parent = getpid();

    if (pipe2(pfd, O_CLOEXEC) != 0) {
        return plk_error_set(err, PLK_EIO, "cannot create a pipe: %s",
                             strerror(errno));
    }
    mfd = memfd_create("pyleak-ci-fault", MFD_CLOEXEC);
    if (mfd < 0) {
        mfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    fflush(NULL); /* or the child would print the parent's buffers */
    if (u->heir_token != 0) {
        token = u->heir_token;
    }
    else {
        if (++P->next_token == 0) {
            P->next_token = 1;
        }
        token = P->next_token;
    }
    pid = plk_embed_fork();
    if (pid == 0) {
        /* A worker must not outlive a parent that was killed (SIGKILL
         * gives the parent no chance to stop it): the kernel sends it
         * SIGKILL when the parent dies. The parent may already have
         * died between fork and prctl; then getppid() is no longer it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
            _exit(1);
        }
        close(pfd[0]);
        worker_main(P, u, token, pfd[1], mfd, helper);
    }
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        close(mfd);
        return plk_error_set(err, PLK_EIO, "cannot start a worker: %s",
                             strerror(errno));
    }
    fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->fd = pfd[0];
    w->fault_fd = mfd;
    w->unit = ui;
    w->last = plk_now();
    w->last_key = -1;
    w->token = token;
    u->heir_token = 0;
    w->confirm = u->confirming;
    /* The confirming worker's trouble with the file is a helper's: the
     * shared run's records stand. */
    w->helper = helper || w->confirm;
    u->confirming = 0;
    if (u->workers++ == 0) {
        u->t0 = w->last;
    }
    u->nrunning++;
    u->state = U_RUNNING;
    P->running++;
    return 0;
}

/* -- when a worker ends --------------------------------------------------- */

static char *
fault_text(int fd)
{
    char *buf = malloc(PLK_FAULT_TEXT_MAX + 1);
    ssize_t n;

    if (buf == NULL) {
        return NULL;
    }
    n = pread(fd, buf, PLK_FAULT_TEXT_MAX, 0);
    if (n <= 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* How the worker ended, as "was killed by signal 11 (...)". */
static char *
describe_end(const pool *P, const worker *w, int status)
{
    char *st, *out;

    switch (w->reason) {
    case END_TIMEOUT:
        return plk_asprintf("showed no progress for %g s (--timeout) and "
                            "was stopped",
                            P->cfg->timeout);
    case END_INTERRUPT:
        return plk_strdup("was stopped: the run was interrupted");
    case END_PIPE:
        return plk_strdup("closed its result pipe (a test closed "
                          "descriptors it did not open?) and was stopped");
    case END_CORRUPT:
        return plk_asprintf("sent bytes that are not result records (%s) "
                            "and was stopped",
                            w->corrupt ? w->corrupt : "?");
    case END_NONE:
        break;
    }
    st = plk_worker_describe_status(status);
    if (WIFSIGNALED(status)) {
        out = plk_asprintf("was killed by %s", st ? st : "a signal");
    }
    else {
        out = plk_asprintf("exited with %s (os._exit(), or exit() in C "
                           "code, called by the test?)",
                           st ? st : "a status");
    }
    free(st);
    return out;
}

static const char *
error_type_for(const worker *w)
{
    switch (w->reason) {
    case END_TIMEOUT:
        return "pyleak.Timeout";
    case END_INTERRUPT:
        return "KeyboardInterrupt";
    default:
        return "pyleak.WorkerCrash";
    }
}

static size_t
remaining(const unit *u)
{
    size_t i, n = 0;

    for (i = 0; i < u->ncollected; i++) {
        n += !is_reported(u, u->collected[i].id);
    }
    return n;
}

/* List every collected test that has no record yet. */
static void
fill_not_run(pool *P, unit *u, const char *why)
{
    size_t i;

    for (i = 0; i < u->ncollected; i++) {
        const plk_test_result *c = &u->collected[i];

        if (is_reported(u, c->id)) {
            continue;
        }
        if (P->interrupted) {
            add_made_up(P, u, NULL, c, PLK_OUTCOME_SKIPPED, "pyleak.NotRun",
                        plk_strdup("not run: interrupted"), NULL);
        }
        else {
            add_made_up(P, u, NULL, c, PLK_OUTCOME_ERROR, "pyleak.NotRun",
                        plk_asprintf("not run: %s", why), NULL);
        }
    }
}

static void
finish_unit(pool *P, unit *u)
{
    u->state = U_DONE;
    u->has_suite = 1;
    u->suite.time = plk_now() - u->t0;
    if (u->suite.timestamp == NULL) {
        u->suite.timestamp = plk_timestamp_now();
    }
}

/* The file's workers are done. Failures seen while it was shared get
 * one more worker (see unit.suspect) before the file is finished. */
static void
end_unit(pool *P, unit *u, size_t ui)
{
    size_t i, last = 0;
    int ok = 0;

    if (!u->confirmed && u->suspect.nentries > 0 && !P->interrupted &&
        P->fatal_code == 0) {
        u->confirmed = 1;
        for (i = 0; i < u->suite.ntests; i++) {
            const plk_test_result *t = &u->suite.tests[i];

            /* Every record of a suspect id: the confirming worker runs
             * all the tests that share it, in the same order. */
            if (plk_strindex_has(&u->suspect, t->id)) {
                ok |= plk_strindex_add(&u->confirm_at, t->id, i) == 0;
            }
        }
        for (i = 0; i < u->ncollected; i++) {
            if (plk_strindex_has(&u->confirm_at, u->collected[i].id)) {
                last = i;
            }
        }
        /* The tests before the last of them are called once each, in
         * their place (a class may need what an earlier one did, and in
         * a helper it did not run first); those after it not at all. */
        for (i = 0; ok && i < u->ncollected; i++) {
            const char *id = u->collected[i].id;

            if (id != NULL && !plk_strindex_has(&u->confirm_at, id) &&
                plk_strindex_add(i < last ? &u->confirm_once
                                          : &u->confirm_skip,
                                 id, 0) != 0) {
                ok = 0;
            }
        }
    }
    if (!ok) {
        finish_unit(P, u);
        return;
    }
    u->confirming = 1;
    u->state = U_PENDING;
    if (ui < P->next_pending) {
        P->next_pending = ui;
    }
}

/* Give back the groups a dead worker claimed: a replacement (or a
 * worker still running the file) runs what is left of them. */
static void
release_claims(pool *P, const worker *w)
{
    claim_table *t;
    size_t i;

    if (P->claims == NULL) {
        return;
    }
    t = &P->claims[w->unit];
    for (i = 0; i < PLK_CLAIM_SLOTS; i++) {
        uint32_t mine = w->token;

        __atomic_compare_exchange_n(&t->slot[i], &mine, 0, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE);
    }
}

static void
finish_worker(pool *P, worker *w, int status)
{
    unit *u = &P->units[w->unit];
    char *how = NULL, *fault = NULL;
    int replace = 0, others;

    if (!w->eof && w->corrupt == NULL) {
        read_worker(P, w); /* what it wrote before it exited */
    }
    /* Other workers alive on this file, or one about to start: the file
     * is finished by the last of them. */
    u->nrunning--;
    if (w->confirm) {
        /* Whatever it did not send, the shared run's records stand. */
        finish_unit(P, u);
        goto done;
    }
    others = u->nrunning > 0 || u->state == U_PENDING;
    if (w->got_end && w->reason == END_NONE) {
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            char *st = plk_worker_describe_status(status);

            fprintf(stderr,
                    "pyleak-ci: the worker for %s exited with %s after "
                    "reporting all its results\n",
                    u->suite.file ? u->suite.file : "?", st ? st : "?");
            free(st);
            P->anomaly = 1;
        }
        if (!others) {
            fill_not_run(P, u,
                         u->lost ? u->lost
                                 : "the worker stopped before this "
                                   "test");
            end_unit(P, u, w->unit);
        }
        goto done;
    }
    how = describe_end(P, w, status);
    fault = fault_text(w->fault_fd);
    if (w->current.id != NULL && !is_reported(u, w->current.id)) {
        /* Blame the test that was running. */
        add_made_up(P, u, w, &w->current, PLK_OUTCOME_ERROR, error_type_for(w),
                    plk_asprintf("the worker process %s while this test "
                                 "ran",
                                 how),
                    plk_strdup(fault));
        replace = 1;
    }
    else if (!u->has_suite) {
        u->suite.error_type = plk_strdup(error_type_for(w));
        u->suite.error_message = plk_asprintf(
            "cannot collect %s: the worker process %s while importing it",
            u->suite.file ? u->suite.file : "?", how);
        u->suite.error_details = plk_strdup(fault);
    }
    else if (w->reported > 0 && u->suite.ntests > 0) {
        /* Between tests: a teardown or fixture after its last one. */
        plk_test_result ident = {0};
        const plk_test_result *last = &w->last_test;

        ident.classname = last->classname;
        ident.file = last->file;
        ident.name = plk_asprintf("<after %s>", last->name ? last->name : "?");
        ident.id =
            plk_asprintf("%s::%s", last->file ? last->file : "?", ident.name);
        add_made_up(P, u, w, &ident, PLK_OUTCOME_ERROR, error_type_for(w),
                    plk_asprintf("the worker process %s after test %s "
                                 "finished, outside any test (in a "
                                 "teardown or fixture)",
                                 how, last->id ? last->id : "?"),
                    plk_strdup(fault));
        free(ident.name);
        free(ident.id);
        replace = 1;
    }
    if (!replace || P->interrupted || P->fatal_code != 0 ||
        remaining(u) == 0) {
        char *why = plk_asprintf("the worker process %s before this test "
                                 "started (in setUpModule, a fixture or "
                                 "an import?)",
                                 how);

        if (others) {
            /* The others may still run the groups this one left; what
             * none of them runs is listed when the last one ends. */
            if (u->lost == NULL) {
                u->lost = why;
                why = NULL;
            }
            free(why);
            release_claims(P, w);
            goto done;
        }
        release_claims(P, w);
        fill_not_run(P, u,
                     u->lost ? u->lost
                     : why   ? why
                             : "the worker process died");
        free(why);
        if (u->suite.ntests == 0 && u->suite.error_message == NULL) {
            /* Nothing to blame it on: the file itself is in error. */
            u->suite.error_type = plk_strdup(error_type_for(w));
            u->suite.error_message = plk_asprintf(
                "the worker process for %s %s before any test started",
                u->suite.file ? u->suite.file : "?", how);
            u->suite.error_details = plk_strdup(fault);
        }
        end_unit(P, u, w->unit);
    }
    else {
        /* A new worker imports the file again and runs the rest. It
         * inherits the dead one's token, and with it the groups it had
         * claimed: were they given back, a worker forked before the
         * crash (whose skip set lacks the test that crashed) could claim
         * them and run that test again. */
        u->heir_token = w->token;
        u->state = U_PENDING;
        if (w->unit < P->next_pending) {
            P->next_pending = w->unit;
        }
    }
done:
    free(how);
    free(fault);
    close(w->fd);
    close(w->fault_fd);
    plk_test_result_free(&w->current);
    plk_test_result_free(&w->last_test);
    free(w->buf);
    free(w->corrupt);
    memset(w, 0, sizeof(*w));
    P->running--;
}

/* -- console in target order ---------------------------------------------- */

/* Is record j of u the last one of a worker that may still send more?
 * A failing tearDownClass comes after its class's last test, so the
 * record after that test in the file's order cannot be printed yet. */
static int
record_open(const pool *P, const unit *u, size_t j)
{
    unsigned i;

    if (j >= u->capkeys || u->owners[j] == 0) {
        return 0;
    }
    for (i = 0; i < P->nw; i++) {
        const worker *w = &P->w[i];

        if (w->pid > 0 && !w->got_end && w->token == u->owners[j] &&
            w->last_key == u->keys[j]) {
            return 1;
        }
    }
    return 0;
}

static void
console_flush(pool *P)
{
    while (P->con_unit < P->nunits) {
        unit *u = &P->units[P->con_unit];

        if (!u->con_started) {
            if (!u->has_suite) {
                return;
            }
            plk_console_suite_start(P->con, &u->suite);
            u->con_started = 1;
        }
        /* A test waits for the collected tests before it, which may
         * still come (see keep_collected_order). */
        while (u->con_printed < u->suite.ntests) {
            const plk_test_result *t = &u->suite.tests[u->con_printed];
            long at = collected_index(u, t->id);

            if (u->state != U_DONE &&
                (at > (long)u->con_next ||
                 plk_strindex_has(&u->suspect, t->id) ||
                 (u->con_printed > 0 &&
                  record_open(P, u, u->con_printed - 1)))) {
                break;
            }
            if (at >= 0) {
                u->con_next = (size_t)at + 1;
            }
            plk_console_test_done(P->con, t);
            u->con_printed++;
        }
        if (u->state != U_DONE) {
            return;
        }
        plk_console_suite_done(P->con, &u->suite);
        P->con_unit++;
    }
}

/* -- the loop ------------------------------------------------------------- */

static void
signal_all(pool *P, int sig, end_reason reason)
{
    unsigned i;

    for (i = 0; i < P->nw; i++) {
        worker *w = &P->w[i];

        if (w->pid > 0) {
            if (reason != END_NONE && w->reason == END_NONE && !w->got_end) {
                w->reason = reason;
            }
            kill(w->pid, sig);
        }
    }
}

static int
next_unit(pool *P, size_t *out)
{
    size_t i;

    for (i = P->next_pending; i < P->nunits; i++) {
        if (P->units[i].state == U_PENDING) {
            P->next_pending = i + 1;
            *out = i;
            return 1;
        }
    }
    P->next_pending = P->nunits;
    return 0;
}

/* Is a worker of unit ui still importing or collecting? Its claims are
 * still to come: the table does not yet say what is left. */
static int
importing(const pool *P, size_t ui)
{
    unsigned i;

    for (i = 0; i < P->nw; i++) {
        const worker *w = &P->w[i];

        if (w->pid > 0 && w->unit == ui && w->current.id == NULL &&
            w->reported == 0) {
            return 1;
        }
    }
    return 0;
}

/* A job slot is free and no file waits to start: pick the running file
 * with the most groups nobody has claimed yet, for a helper that takes
 * them from the last one back. A file gets at most one worker per
 * unclaimed group; one whose tests are not all known yet gets none. */
static int
next_helper(pool *P, size_t *out)
{
    size_t i, best = 0;
    int found = 0;

    for (i = 0; P->claims != NULL && i < P->nunits; i++) {
        const unit *u = &P->units[i];
        const claim_table *t = &P->claims[i];
        size_t n, g, unclaimed = 0;

        if (u->state != U_RUNNING || u->ncollected == 0 || u->confirmed ||
            importing(P, i)) {
            continue;
        }
        n = __atomic_load_n(&t->ngroups, __ATOMIC_ACQUIRE);
        for (g = 0; g < n && g < PLK_CLAIM_SLOTS; g++) {
            unclaimed += __atomic_load_n(&t->slot[g], __ATOMIC_ACQUIRE) == 0;
        }
        if (unclaimed > best && u->nrunning <= unclaimed) {
            best = unclaimed;
            *out = i;
            found = 1;
        }
    }
    return found;
}

static double
min_deadline(const pool *P, double now)
{
    double next = now + 1.0;
    unsigned i;

    for (i = 0; i < P->nw; i++) {
        const worker *w = &P->w[i];

        if (w->pid <= 0) {
            continue;
        }
        if (w->eof) {
            next = now + 0.02;
        }
        if (w->kill_at > 0 && w->kill_at < next) {
            next = w->kill_at;
        }
        if (w->reason == END_NONE && !w->got_end &&
            w->last + P->cfg->timeout < next) {
            next = w->last + P->cfg->timeout;
        }
    }
    if (P->grace_until > 0 && P->grace_until < next) {
        next = P->grace_until;
    }
    return next;
}

/* What the worker's tests left in their temporary folder goes with it
 * (the run's folder is removed at the end all the same). */
static void
remove_tmpdir(const pool *P, pid_t pid)
{
    char *dir = plk_engine_tmpdir_for(P->E, (long)pid);

    if (dir != NULL && plk_remove_tree(dir) != 0) {
        fprintf(stderr,
                "pyleak-ci: could not remove all of %s (%s): the tests "
                "left files there that cannot be removed\n",
                dir, strerror(errno));
    }
    free(dir);
}

static void
check_workers(pool *P, double now)
{
    unsigned i;

    for (i = 0; i < P->nw; i++) {
        worker *w = &P->w[i];
        int status = 0;
        pid_t r;

        if (w->pid <= 0) {
            continue;
        }
        r = waitpid(w->pid, &status, WNOHANG);
        if (r == w->pid) {
            remove_tmpdir(P, w->pid);
            finish_worker(P, w, status);
            continue;
        }
        if (w->kill_at > 0 && now >= w->kill_at) {
            kill(w->pid, SIGKILL);
            w->kill_at = 0;
        }
        else if (w->eof && now - w->eof_at > PLK_EOF_WAIT_S &&
                 w->kill_at == 0) {
            if (!w->got_end && w->reason == END_NONE) {
                w->reason = END_PIPE;
            }
            kill(w->pid, SIGKILL);
        }
        else if (w->reason == END_NONE && !w->eof && !w->got_end &&
                 now - w->last > P->cfg->timeout) {
            /* Ask for every thread's traceback, then kill. */
            w->reason = END_TIMEOUT;
            kill(w->pid, SIGUSR2);
            w->kill_at = now + PLK_DUMP_WAIT_S;
        }
    }
}

static void
install_signals(pool *P)
{
    struct sigaction sa;
    sigset_t block;

    stop_signals = 0;
    child_exited = 0;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &P->old_mask);
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, &P->old_int);
    sigaction(SIGTERM, &sa, &P->old_term);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, &P->old_chld);
}

static void
restore_signals(pool *P)
{
    sigaction(SIGINT, &P->old_int, NULL);
    sigaction(SIGTERM, &P->old_term, NULL);
    sigaction(SIGCHLD, &P->old_chld, NULL);
    sigprocmask(SIG_SETMASK, &P->old_mask, NULL);
}

static void
handle_stop(pool *P, int handled, double now)
{
    if (handled == 0) {
        /* First signal: let every worker stop its test and report. */
        P->interrupted = 1;
        P->grace_until = now + PLK_WORKER_GRACE_S;
        signal_all(P, SIGINT, END_NONE);
    }
    else {
        signal_all(P, SIGKILL, END_INTERRUPT);
    }
}

static int
pool_loop(pool *P, plk_error *err)
{
    struct pollfd *fds = calloc(P->nw, sizeof(*fds));
    unsigned *fdw = calloc(P->nw, sizeof(*fdw));
    int handled = 0, rc = 0;

    if (fds == NULL || fdw == NULL) {
        free(fds);
        free(fdw);
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    for (;;) {
        double now = plk_now(), next;
        struct timespec ts;
        unsigned i, n = 0;
        size_t ui;

        while (!P->interrupted && P->fatal_code == 0 && rc == 0 &&
               P->running < P->nw && next_unit(P, &ui)) {
            for (i = 0; i < P->nw && P->w[i].pid > 0; i++) {
            }
            rc = start_worker(P, ui, &P->w[i], 0, err);
        }
        while (!P->interrupted && P->fatal_code == 0 && rc == 0 &&
               P->running < P->nw && next_helper(P, &ui)) {
            for (i = 0; i < P->nw && P->w[i].pid > 0; i++) {
            }
            rc = start_worker(P, ui, &P->w[i], 1, err);
        }
        if (rc != 0 && P->fatal_code == 0) {
            /* Could not fork: stop the others and report the error. */
            P->fatal_code = rc;
            P->fatal_message = plk_strdup(err->message);
            signal_all(P, SIGKILL, END_INTERRUPT);
        }
        console_flush(P);
        if (P->running == 0) {
            break;
        }
        for (i = 0; i < P->nw; i++) {
            if (P->w[i].pid > 0 && !P->w[i].eof) {
                fds[n].fd = P->w[i].fd;
                fds[n].events = POLLIN;
                fdw[n++] = i;
            }
        }
        next = min_deadline(P, now) - now;
        if (next < 0) {
            next = 0;
        }
        ts.tv_sec = (time_t)next;
        ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
        child_exited = 0;
        if (ppoll(fds, n, &ts, &P->old_mask) > 0) {
            for (i = 0; i < n; i++) {
                worker *w = &P->w[fdw[i]];

                if (fds[i].revents != 0 && read_worker(P, w)) {
                    w->eof = 1;
                    w->eof_at = plk_now();
                }
            }
        }
        now = plk_now();
        while (handled < stop_signals) {
            handle_stop(P, handled++, now);
        }
        if (P->grace_until > 0 && now >= P->grace_until) {
            signal_all(P, SIGKILL, END_INTERRUPT);
            P->grace_until = 0;
        }
        if (P->fatal_code != 0) {
            signal_all(P, SIGKILL, END_INTERRUPT);
        }
        check_workers(P, now);
    }
    free(fds);
    free(fdw);
    return 0;
}

int
plk_worker_run(plk_run_result *out, plk_engine *E, const plk_target *targets,
               size_t count, unsigned jobs, const plk_config *cfg,
               plk_console *con, int *out_anomaly, plk_error *err)
{
    pool P;
    size_t i, not_started = 0;
    int rc = 0;

    memset(&P, 0, sizeof(P));
    *out_anomaly = 0;
    P.E = E;
    P.cfg = cfg;
    P.con = con;
    P.nunits = count;
    P.nw = jobs < 1 ? 1 : jobs;
    P.units = calloc(count ? count : 1, sizeof(*P.units));
    if (P.nw > 1 && count > 0) {
        /* Workers of one file share its groups through this table (its
         * pages are zero: every group free). */
        void *m = mmap(NULL, count * sizeof(*P.claims), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

        if (m == MAP_FAILED) {
            rc = plk_error_set(err, PLK_ENOMEM,
                               "cannot map the workers' claim table: %s",
                               strerror(errno));
            goto done;
        }
        P.claims = m;
    }
    P.w = calloc(P.nw, sizeof(*P.w));
    P.cwd = getcwd(NULL, 0);
    if (P.units == NULL || P.w == NULL || P.cwd == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < count; i++) {
        unit *u = &P.units[i];
        const plk_target *tg = &targets[i];

        u->tg = tg;
        if (tg->kind == PLK_TARGET_MODULE) {
            u->suite.name = plk_strdup(tg->module);
            u->suite.file = plk_strdup(tg->module);
        }
        else {
            char *root = NULL;

            if (plk_discover_module_name(&u->suite.name, &root, tg->path,
                                         NULL) != 0) {
                u->suite.name = plk_strdup(tg->path);
            }
            free(root);
            u->suite.file = plk_discover_relpath(tg->path, P.cwd);
            if (!plk_utf8_valid(tg->path, strlen(tg->path))) {
                /* Module names and test ids are text; this name is not.
                 * Say so instead of failing inside the import. */
                u->suite.error_type = plk_strdup("pyleak.BadFileName");
                u->suite.error_message = plk_asprintf(
                    "cannot import %s: its name is not valid UTF-8; "
                    "rename the file",
                    u->suite.file ? u->suite.file : "?");
                u->t0 = plk_now();
                finish_unit(&P, u);
            }
        }
    }
    /* Nearly every test file imports unittest (the harness needs it for
     * TestCase files too); importing it once here lets every worker
     * share it instead of importing it again. It runs no test code. */
    plk_embed_preload("unittest");
    install_signals(&P);
    /* A Ctrl-C that came before the pool's own handlers took over, which
     * the interpreter's handler noted. */
    if (plk_embed_interrupted()) {
        P.interrupted = 1;
    }
    rc = pool_loop(&P, err);
    restore_signals(&P);
    for (i = 0; i < count; i++) {
        unit *u = &P.units[i];

        if (u->state != U_DONE) {
            not_started++;
            continue;
        }
        {
            plk_suite_result *s = plk_run_result_add_suite(out);

            if (s == NULL) {
                rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
                break;
            }
            *s = u->suite;
            memset(&u->suite, 0, sizeof(u->suite));
        }
    }
    if (P.fatal_code != 0 && rc == 0) {
        rc = plk_error_set(err, P.fatal_code, "%s",
                           P.fatal_message ? P.fatal_message
                                           : plk_strerror(P.fatal_code));
    }
    else if (P.interrupted && rc == 0) {
        if (not_started > 0) {
            fprintf(stderr,
                    "pyleak-ci: interrupted; %zu test file%s did not "
                    "start\n",
                    not_started, not_started == 1 ? "" : "s");
        }
        out->interrupted = 1;
        rc = plk_error_set(err, PLK_EINTR, "interrupted");
    }
    *out_anomaly = P.anomaly;
done:
    for (i = 0; P.units != NULL && i < count; i++) {
        size_t j;

        plk_suite_result_free(&P.units[i].suite);
        for (j = 0; j < P.units[i].ncollected; j++) {
            plk_test_result_free(&P.units[i].collected[j]);
        }
        free(P.units[i].collected);
        plk_strindex_free(&P.units[i].by_id);
        plk_strindex_free(&P.units[i].records);
        plk_strindex_free(&P.units[i].is_done);
        plk_strindex_free(&P.units[i].suspect);
        plk_strindex_free(&P.units[i].out_of_order);
        plk_strindex_free(&P.units[i].confirm_at);
        plk_strindex_free(&P.units[i].confirm_seen);
        plk_strindex_free(&P.units[i].confirm_skip);
        plk_strindex_free(&P.units[i].confirm_once);
        free(P.units[i].keys);
        free(P.units[i].owners);
        free(P.units[i].lost);
    }
    if (P.claims != NULL) {
        munmap(P.claims, count * sizeof(*P.claims));
    }
    free(P.units);
    free(P.w);
    free(P.cwd);
    free(P.fatal_message);
    return rc;
}
