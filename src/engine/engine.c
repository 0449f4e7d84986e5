/* Running every test in rounds, sampling after each, and judging it. */
#define _GNU_SOURCE 1
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/contract.h"
#include "engine/diagnose.h"
#include "plan/discover.h"
#include "engine/interp.h"
#include "engine/engine.h"
#include "base/fit.h"
#include "report/summary.h"
#include "engine/sample.h"
#include "base/util.h"

#include "engine/control.h"
#include "policy/policy.h"

/* Threads that are finishing get this many waits to go away before a
 * sample is taken, each twice as long as the one before, from 1 ms (about
 * 2 s in all). Counted in attempts, with a collection between them, and
 * paid only while there are more threads than before the test. */
#define PLK_THREAD_SETTLE_ATTEMPTS 11
#define PLK_THREAD_SETTLE_SHORT 4
/* Children get at most this many of those naps (255 ms): a child still
 * running after that is not one on its way out. */
#define PLK_CHILD_SETTLE_ATTEMPTS 8

struct plk_engine {
    const plk_config *cfg;
    plk_engine_events ev;
    plk_contract *C;   /* the Python half */
    plk_policy pol;    /* the rules, from cfg */
    plk_rounds rounds; /* series buffers, reused per test */
    int patience;      /* thread settling attempts (thread_watch) */
    unsigned available;
    char *cwd;
    int interrupted;
    const plk_strindex *skip; /* ids of tests not to run (borrowed) */
    const plk_strindex *once; /* ids of tests to call once (borrowed) */
    plk_engine_share share;   /* claim NULL: this process runs it all */
    PyObject *module;         /* the file's module being run (borrowed) */
    char *tmp_root;           /* the run's folder of temporary folders */
    long tmp_pid;             /* the process whose folder is in use */
};

typedef struct plk_engine runner;

/* -- what the Python half says -------------------------------------------- */

/* Take the pending Python exception (into out when non-NULL). Returns
 * PLK_EINTR for Ctrl-C, else PLK_EPYTHON. */
static int
catch_exception(runner *R, plk_exception *out)
{
    int rc = plk_contract_exception(R->C, out);

    if (rc == PLK_EINTR) {
        R->interrupted = 1;
    }
    return rc;
}

/* Record how a call ended in t. */
static void
set_outcome(plk_test_result *t, const plk_call_result *r)
{
    switch (r->outcome) {
    case PLK_CALL_SKIPPED:
        t->outcome = PLK_OUTCOME_SKIPPED;
        break;
    case PLK_CALL_FAILED:
        t->outcome = PLK_OUTCOME_FAILED;
        break;
    default:
        t->outcome = PLK_OUTCOME_ERROR;
        break;
    }
    free(t->exc_type);
    free(t->message);
    free(t->details);
    t->exc_type = plk_strdup(r->exc_type);
    t->message = plk_strdup(r->message);
    t->details = plk_strdup(r->details);
}

char *
plk_timestamp_now(void)
{
    char buf[32];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return plk_strdup(buf);
}

/* -- events ---------------------------------------------------------------- */

static void
ev_suite_start(runner *R, const plk_suite_result *s)
{
    if (R->ev.suite_start != NULL) {
        R->ev.suite_start(R->ev.ctx, s);
    }
}

static void
ev_suite_done(runner *R, const plk_suite_result *s)
{
    if (R->ev.suite_done != NULL) {
        R->ev.suite_done(R->ev.ctx, s);
    }
}

static void
ev_test_begin(runner *R, const plk_suite_result *s, const plk_test_result *t)
{
    if (R->ev.test_begin != NULL) {
        R->ev.test_begin(R->ev.ctx, s, (size_t)(t - s->tests));
    }
}

static void
ev_test_done(runner *R, const plk_suite_result *s, const plk_test_result *t)
{
    if (R->ev.test_done != NULL) {
        R->ev.test_done(R->ev.ctx, s, (size_t)(t - s->tests));
    }
}

/* -- rounds --------------------------------------------------------------- */

/* How the threads and child processes of a test are judged settled:
 * the counts to come back to, and how many doubling naps to wait for
 * them before a sample. The patience carries over from one test or
 * group to the next within a file: threads that outlived a full wait
 * will not go while the next group of the same tests is screened
 * either. Children are waited for like threads: a test that drops a
 * Popen of a short-lived child leaves it running when its round ends
 * (rounds take milliseconds), and only a later reaping finds it gone,
 * so without a wait every round would look like one more child. */
typedef struct thread_watch {
    long long baseline;
    long long children; /* the children baseline */
    int *patience;
} thread_watch;

static long long
count_threads(void)
{
    return plk_sample_count_dir("/proc/self/task");
}

/* Sleep 2^attempt ms with the GIL released, so finishing threads run. */
static void
nap(int attempt)
{
    Py_BEGIN_ALLOW_THREADS
    usleep(1000u << attempt);
    Py_END_ALLOW_THREADS
}

/* Threads that the first calls joined may still be on their way out, so
 * the baseline is taken once the count has stopped falling. */
static void
thread_watch_init(runner *R, thread_watch *tw)
{
    long long next;
    int attempt;

    tw->patience = &R->patience;
    tw->baseline = count_threads();
    tw->children = plk_sample_children(NULL, 0);
    for (attempt = 0; attempt < 6; attempt++) {
        nap(attempt);
        next = count_threads();
        if (next >= tw->baseline) {
            break;
        }
        tw->baseline = next;
    }
}

/* Restore caches, collect, let finishing threads go, then sample: the
 * environment first, since reading it makes Python objects (freed before
 * the counts are read). */
static int
settle(runner *R, PyObject *cleaner, thread_watch *tw, plk_sample *out)
{
    long long env;
    int attempt;

    if (plk_contract_restore(cleaner) != 0 ||
        plk_contract_collect(R->C) != 0) {
        return -1;
    }
    for (attempt = 0; attempt < *tw->patience; attempt++) {
        if (count_threads() <= tw->baseline) {
            if (attempt >= PLK_CHILD_SETTLE_ATTEMPTS ||
                plk_sample_children(NULL, 0) <= tw->children) {
                break;
            }
            /* Exited children of dropped Popen objects are zombies
             * until subprocess reaps them. */
            if (plk_contract_reap_children(R->C) != 0) {
                return -1;
            }
            if (plk_sample_children(NULL, 0) <= tw->children) {
                break;
            }
        }
        nap(attempt);
        if (plk_contract_collect(R->C) != 0) {
            return -1;
        }
    }
    env = plk_contract_environment(R->C);
    if (env < 0) {
        return -1;
    }
    plk_sample_take(out);
    out->v[PLK_METRIC_ENV] = env;
    /* Threads that outlived a full wait will not go in the next round
     * either (a leak); waiting as long again would only cost time. A
     * round whose threads went while we waited restores full patience;
     * one with nothing to wait for is no evidence either way. The
     * baseline only ever comes down: a thread still leaving when it was
     * taken must not hide a later one. */
    if (out->v[PLK_METRIC_THREADS] > tw->baseline ||
        out->v[PLK_METRIC_PROCS] > tw->children) {
        *tw->patience = PLK_THREAD_SETTLE_SHORT;
    }
    else if (attempt > 0) {
        *tw->patience = PLK_THREAD_SETTLE_ATTEMPTS;
    }
    if (out->v[PLK_METRIC_THREADS] < tw->baseline) {
        tw->baseline = out->v[PLK_METRIC_THREADS];
    }
    if (out->v[PLK_METRIC_PROCS] < tw->children) {
        tw->children = out->v[PLK_METRIC_PROCS];
    }
    return 0;
}

static void
set_error_text(plk_test_result *t, const char *type, const char *message,
               char *details)
{
    t->outcome = PLK_OUTCOME_ERROR;
    free(t->exc_type);
    free(t->message);
    free(t->details);
    t->exc_type = plk_strdup(type);
    t->message = plk_strdup(message);
    t->details = details;
}

/* -- one test's phases ---------------------------------------------------- */

/* A test of the file being run, from its item to its verdict. */
typedef struct test_run {
    size_t index;   /* its record: s->tests[index] */
    PyObject *call; /* the harness's call wrapper (new reference) */
    plk_control ctl;
    unsigned k;      /* calls per round, from calibration */
    unsigned ks;     /* calls per round while screening */
    double spent;    /* seconds of the test so far */
    double first_dt; /* seconds its first call took */
    int live;        /* 1 while it still needs a verdict */
    int begun;       /* its first call was made */
    int reported;    /* test_done was sent */
    /* A test that passed its first call and failed a later one is
     * measured again with its fixtures around every call (see
     * repeat_wider); until then its verdict waits. */
    const plk_item *item;    /* as collected (borrowed) */
    int rescope;             /* 1: to be measured again so */
    unsigned long fail_call; /* the call that failed, 1-based; 0: none */
    char *fail_msg;          /* what that failure said */
    char *fail_details;
} test_run;

static plk_test_result *
rec(plk_suite_result *s, const test_run *tr)
{
    return &s->tests[tr->index];
}

/* Record why the calls of a test stopped: its own failure or skip
 * (st > 0, *res says how, cleared here), or an exception that escaped
 * the wrapper (st < 0). The test has its verdict then. Returns
 * PLK_EINTR for Ctrl-C, else 0. */
static int
record_stop(runner *R, plk_suite_result *s, test_run *tr, int st,
            plk_call_result *res)
{
    plk_test_result *t = rec(s, tr);
    plk_exception exc = {0};
    int rc;

    tr->live = 0;
    if (st > 0) {
        set_outcome(t, res);
        plk_call_result_clear(res);
        if (plk_policy_rescope(t->outcome, t->total_calls) &&
            tr->fail_call == 0) {
            /* It passed its first call: it may not be repeatable one
             * call at a time. A failing first call stays a failure. */
            tr->fail_call = t->total_calls;
            tr->fail_msg = plk_strdup(t->message ? t->message : "");
            tr->fail_details = t->details ? plk_strdup(t->details) : NULL;
            tr->rescope = 1;
        }
        return 0;
    }
    rc = catch_exception(R, &exc);
    free(exc.type);
    if (rc == PLK_EINTR) {
        set_error_text(t, "KeyboardInterrupt",
                       "interrupted before the test finished", exc.text);
        return rc;
    }
    set_error_text(t, "pyleak.HarnessError",
                   "pyleak-ci could not run this test", exc.text);
    return 0;
}

/* Call the test k times as part of a phase, telling a watchdog first. */
static int
phase_calls(runner *R, plk_suite_result *s, test_run *tr, unsigned k,
            plk_call_result *res)
{
    double t0 = plk_now();
    int st;

    ev_test_begin(R, s, rec(s, tr));
    st = plk_contract_call(tr->call, k, &rec(s, tr)->total_calls, res);
    tr->spent += plk_now() - t0;
    return st;
}

/* The first call, with its output captured for the report. */
static int
first_call(runner *R, plk_suite_result *s, test_run *tr)
{
    plk_test_result *t = rec(s, tr);
    plk_call_result res = {0};
    int st;

    /* A capture that fails to start leaves its exception to the call. */
    (void)plk_contract_begin_capture(R->C);
    tr->begun = 1;
    tr->first_dt = plk_now();
    st = phase_calls(R, s, tr, 1, &res);
    tr->first_dt = plk_now() - tr->first_dt;
    if (plk_contract_end_capture(R->C, &t->stdout_text, &t->stderr_text) !=
            0 &&
        st >= 0) {
        plk_contract_drop();
    }
    return st != 0 ? record_stop(R, s, tr, st, &res) : 0;
}

/* Calibrate: enough calls per round that a small per-call leak adds up
 * to steady growth per round. This second call is timed; the first may
 * have paid for imports. */
static int
calibrate(runner *R, plk_suite_result *s, test_run *tr)
{
    plk_call_result res = {0};
    double t0, dt;
    int st;

    /* Before the second call, so that the one-time work it moves (3.9
     * and 3.10's inline caches) happens in that call, not in a round. */
    plk_interp_prime();
    tr->k = plk_policy_calls_for(&R->pol, tr->first_dt);
    /* A first call so slow that screening would call the test once per
     * round anyway: a second call would only cost time. Its K, from the
     * first call, may be low if that call paid for imports; the warm-up
     * rounds of a test measured alone time it again. */
    if (plk_policy_second_call(&R->pol, tr->first_dt)) {
        t0 = plk_now();
        st = phase_calls(R, s, tr, 1, &res);
        dt = plk_now() - t0;
        if (st != 0) {
            return record_stop(R, s, tr, st, &res);
        }
        /* A call only ever takes longer than it needs (the machine is
         * busy, the first paid for imports): the quicker of the two is
         * the test's own time. */
        tr->k = plk_policy_calls_for(&R->pol,
                                     dt < tr->first_dt ? dt : tr->first_dt);
    }
    tr->ks = plk_policy_screen_calls(tr->k);
    rec(s, tr)->calls = tr->k;
    return 0;
}

static int
freeze_heap(runner *R, int *frozen)
{
    if (plk_contract_freeze(R->C, !*frozen) != 0) {
        return -1;
    }
    *frozen = !*frozen;
    return 0;
}

/* The limits a test's control sets, for the policy. */
static void
limits_of(const plk_control *ctl, plk_test_limits *lim)
{
    int m;

    plk_test_limits_none(lim);
    lim->rounds = ctl->rounds;
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        if (!ctl->gate[m]) {
            lim->ungated |= 1u << m;
        }
        lim->threshold[m] = ctl->threshold[m];
    }
}

/* A test measured on its own, from its warm-up to its verdict (and its
 * diagnosis when it leaks). Its first call and calibration are done.
 * The policy decides the rounds; this makes the calls and takes the
 * samples. Returns 0, or PLK_EINTR when interrupted. */
static int
measure_alone(runner *R, plk_suite_result *s, test_run *tr)
{
    const plk_config *cfg = R->cfg;
    plk_test_result *t = rec(s, tr);
    plk_call_result res = {0};
    PyObject *cleaner = NULL;
    double t0 = plk_now(), start, best = -1.0;
    double before_spent = tr->spent;
    unsigned k = tr->k, w;
    thread_watch tw;
    int rc = 0, frozen = 0, st = -1, more;
    int patience = PLK_THREAD_SETTLE_ATTEMPTS;
    plk_test_limits lim;
    plk_measure m;
    plk_sample sample;

    t->screened = 0;
    limits_of(&tr->ctl, &lim);
    if (plk_measure_alone(&m, &R->rounds, &R->pol, &lim, t->metrics) != 0) {
        set_error_text(t, "pyleak.HarnessError",
                       "out of memory for the rounds of this test", NULL);
        tr->live = 0;
        goto done;
    }
    if (plk_contract_cleaner(R->C, &cleaner) != 0) {
        goto stopped;
    }
    /* A test measured alone gets full patience whatever came before (its
     * own threads may take their time), and keeps what it learns to
     * itself. */
    thread_watch_init(R, &tw);
    tw.patience = &patience;
    for (w = 0; w < cfg->warmup; w++) {
        double w0 = plk_now();

        st = phase_calls(R, s, tr, k, &res);
        if (st != 0) {
            goto stopped;
        }
        st = -1;
        /* Time the test again, warm now: the first calls may have paid
         * for imports, or been judged from one call only. The quickest
         * round is the test's own pace; a slower one was the machine's
         * (another process, a collection). */
        w0 = (plk_now() - w0) / (double)k;
        if (best < 0.0 || w0 < best) {
            best = w0;
        }
        k = plk_policy_calls_for(&R->pol, best);
        t->calls = tr->k = k;
        if (settle(R, cleaner, &tw, &sample) != 0) {
            goto stopped;
        }
        t->warmup++;
    }
    if (cfg->warmup == 0 && settle(R, cleaner, &tw, &sample) != 0) {
        goto stopped;
    }
    /* What exists now is the test's steady state; freezing it keeps the
     * collections of the measured rounds from walking the whole heap. */
    if (freeze_heap(R, &frozen) != 0) {
        goto stopped;
    }
    /* One more restore before the baseline: caches the restore replaces
     * (ctypes' type caches) were just frozen, and the copies it throws
     * away now stay in the permanent generation. Let that happen once,
     * before measuring, not in the first measured round. */
    if (settle(R, cleaner, &tw, &sample) != 0) {
        goto stopped;
    }
    /* Every call so far (first, calibration, screening, warm-up) filled
     * what the test fills: they count towards a leak's persistence. */
    start = plk_now();
    more = plk_measure_start(&m, &sample, k, t->total_calls);
    while (more) {
        st = phase_calls(R, s, tr, m.k, &res);
        if (st != 0) {
            goto stopped;
        }
        st = -1;
        if (settle(R, cleaner, &tw, &sample) != 0) {
            goto stopped;
        }
        more = plk_measure_add(&m, &sample, plk_now() - start);
    }
    t->rounds = m.have;
    t->calls = tr->k = m.k;
    plk_measure_keep(&m, t->metrics);
    tr->live = 0;
    if (m.verdict == PLK_VERDICT_LEAK) {
        t->outcome = PLK_OUTCOME_LEAKED;
        free(t->message);
        free(t->details);
        t->message = plk_leak_summary(t);
        t->details = plk_leak_details(t);
        ev_test_begin(R, s, t);
        if (plk_diagnose(R->C, tr->call, m.k, t, cfg) == PLK_EINTR) {
            R->interrupted = 1;
            rc = PLK_EINTR;
        }
    }
    else {
        t->outcome = PLK_OUTCOME_PASSED;
    }
    goto done;

stopped:
    rc = record_stop(R, s, tr, st, &res);
done:
    if (frozen && freeze_heap(R, &frozen) != 0) {
        plk_contract_drop();
    }
    plk_call_result_clear(&res);
    Py_XDECREF(cleaner);
    /* The calls of its phases added their own time already; all of this
     * measurement's time counts once. */
    tr->spent = before_spent + (plk_now() - t0);
    return rc;
}

/* -- screening ------------------------------------------------------------ */

/* Harness trouble outside any one test's calls (a restore or a
 * collection raised): Ctrl-C stops the run, anything else only the
 * screening. Returns PLK_EINTR or 0. */
static int
screen_trouble(runner *R)
{
    int rc = catch_exception(R, NULL);

    return rc == PLK_EINTR ? rc : 0;
}

/* Screen tests that share their fixtures (one class with its setUpClass,
 * or a file's functions) together: every round calls each of them ks
 * times, then one restore, collection and sample serve them all. The
 * group's series is judged with the floors only: when it is clean, so is
 * every test in it; otherwise (or when one fails on a later call and so
 * gets its verdict) *out_clean is 0 and the live ones need a closer look.
 * Returns 0, or PLK_EINTR when interrupted. */
static int
screen(runner *R, plk_suite_result *s, test_run **g, size_t n, int *out_clean)
{
    plk_call_result res = {0};
    PyObject *cleaner = NULL;
    plk_test_result grp;
    double t0 = plk_now(), own = 0.0, share;
    unsigned total = 0, lowest = 0;
    int rc = 0, frozen = 0, st, m, more;
    thread_watch tw;
    plk_measure ms;
    plk_sample sample;
    size_t j;

    *out_clean = 0;
    memset(&grp, 0, sizeof(grp));
    for (j = 0; j < n; j++) {
        own -= g[j]->spent;
        total += g[j]->ks;
        if (lowest == 0 || g[j]->ks < lowest) {
            lowest = g[j]->ks;
        }
    }
    if (plk_measure_group(&ms, &R->rounds, &R->pol, lowest, total,
                          grp.metrics) != 0) {
        goto done;
    }
    if (plk_contract_cleaner(R->C, &cleaner) != 0) {
        rc = screen_trouble(R);
        goto done;
    }
    thread_watch_init(R, &tw);
    /* No warm-up rounds: each test's first call (and its calibration
     * call, if it had one) was its warm-up. What they did not settle
     * shows as a step in the first rounds, which the early stop (flat
     * rounds in a row, not from the start) and the fit both allow for. */
    if (settle(R, cleaner, &tw, &sample) != 0 ||
        freeze_heap(R, &frozen) != 0 ||
        settle(R, cleaner, &tw, &sample) != 0) {
        rc = screen_trouble(R);
        goto done;
    }
    more = plk_measure_start(&ms, &sample, total, 0);
    while (more) {
        for (j = 0; j < n; j++) {
            st = phase_calls(R, s, g[j], g[j]->ks, &res);
            if (st != 0) {
                rc = record_stop(R, s, g[j], st, &res);
                goto done;
            }
        }
        if (settle(R, cleaner, &tw, &sample) != 0) {
            rc = screen_trouble(R);
            goto done;
        }
        more = plk_measure_add(&ms, &sample, 0.0);
    }
    if (ms.verdict != PLK_VERDICT_CLEAN) {
        goto done;
    }
    *out_clean = 1;
    plk_measure_keep(&ms, grp.metrics);
    for (j = 0; j < n; j++) {
        plk_test_result *t = rec(s, g[j]);

        t->outcome = PLK_OUTCOME_PASSED;
        t->warmup = 0;
        t->rounds = ms.have;
        t->calls = g[j]->ks;
        t->screened = (unsigned)n;
        g[j]->live = 0;
        for (m = 0; m < PLK_METRIC__COUNT; m++) {
            plk_metric_result *to = &t->metrics[m];
            const plk_metric_result *from = &grp.metrics[m];

            free(to->series);
            *to = *from;
            to->series = NULL;
            to->n = 0;
            if (from->series != NULL && from->n > 0) {
                to->series = malloc(from->n * sizeof(int64_t));
                if (to->series != NULL) {
                    memcpy(to->series, from->series,
                           from->n * sizeof(int64_t));
                    to->n = from->n;
                }
            }
        }
    }
done:
    if (frozen && freeze_heap(R, &frozen) != 0) {
        plk_contract_drop();
    }
    plk_call_result_clear(&res);
    Py_XDECREF(cleaner);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        free(grp.metrics[m].series);
    }
    /* The restores and collections served the whole group: each test
     * carries an equal share of them. */
    for (j = 0; j < n; j++) {
        own += g[j]->spent;
    }
    share = (plk_now() - t0 - own) / (double)n;
    for (j = 0; j < n; j++) {
        g[j]->spent += share;
    }
    return rc;
}

/* -- files and items ------------------------------------------------------ */

static void
fill_identity(plk_test_result *t, const plk_item *item)
{
    t->id = plk_strdup(item->id);
    t->classname = plk_strdup(item->classname);
    t->name = plk_strdup(item->name);
    t->file = plk_strdup(item->file);
    t->line = item->line;
}

/* Run a harness fixture (class_setup, module_teardown, ...). Returns 0
 * when it went well, 1 when *out holds how it did not; on an escaped
 * exception returns 0 with *rc set, or 1 with the harness trouble in
 * *out (which then the caller reports like any other). */
static int
fixture(runner *R, plk_fixture f, PyObject *arg, plk_call_result *out, int *rc)
{
    plk_exception exc = {0};
    int st = plk_contract_fixture(R->C, f, arg, out);

    if (st >= 0) {
        return st;
    }
    *rc = catch_exception(R, &exc);
    st = 0;
    if (*rc != PLK_EINTR) {
        out->outcome = PLK_CALL_ERROR;
        out->exc_type = plk_strdup("pyleak.HarnessError");
        out->message = plk_strdup(plk_contract_fixture_name(f));
        out->details = plk_strdup(exc.text ? exc.text : "");
        *rc = 0;
        st = 1;
    }
    plk_exception_clear(&exc);
    return st;
}

/* An extra error record for a fixture that failed after its tests. */
static void
add_fixture_error(plk_suite_result *s, const plk_call_result *res,
                  const char *classname, const char *name, const char *file)
{
    plk_test_result *t = plk_suite_result_add_test(s);

    if (t == NULL) {
        return;
    }
    t->classname = plk_strdup(classname);
    t->name = plk_strdup(name);
    t->file = plk_strdup(file);
    t->id = plk_asprintf("%s::%s", file ? file : "", name);
    set_outcome(t, res);
    if (t->outcome != PLK_OUTCOME_SKIPPED) {
        t->outcome = PLK_OUTCOME_ERROR;
    }
}

/* A teardown fixture, with an extra error record when it fails. */
static void
tear_down(runner *R, plk_suite_result *s, plk_fixture f, PyObject *arg,
          const char *classname, const char *name, int *rc)
{
    plk_call_result res = {0};

    if (fixture(R, f, arg, &res, rc)) {
        add_fixture_error(s, &res, classname, name, s->file);
    }
    plk_call_result_clear(&res);
}

/* The class whose setUpClass ran, and how that went. */
typedef struct class_state {
    PyObject *cls; /* its items' cls (the collection holds it);
                           * NULL: none */
    int failed;    /* its setUpClass failed, as fail says */
    plk_call_result fail;
    char *name; /* dotted class name, for a teardown error */
} class_state;

/* Close the class whose tests just finished: tearDownClass and class
 * cleanups, with an extra error record when they fail. */
static void
leave_class(runner *R, plk_suite_result *s, class_state *cs, int *rc)
{
    if (cs->cls != NULL && !cs->failed && !R->interrupted) {
        tear_down(R, s, PLK_FIXTURE_CLASS_TEARDOWN, cs->cls, cs->name,
                  "tearDownClass", rc);
    }
    plk_call_result_clear(&cs->fail);
    cs->failed = 0;
    cs->cls = NULL;
    free(cs->name);
    cs->name = NULL;
}

/* Below this many tests a group that is not clean is not split again:
 * its tests are measured alone. */

/* Keep the live tests of g[0..n) at its front; returns how many. */
static size_t
only_live(test_run **g, size_t n)
{
    size_t j, live = 0;

    for (j = 0; j < n; j++) {
        if (g[j]->live) {
            g[live++] = g[j];
        }
    }
    return live;
}

static int
alone_all(runner *R, plk_suite_result *s, test_run **g, size_t n)
{
    size_t j;
    int rc = 0;

    for (j = 0; j < n && rc == 0 && !R->interrupted; j++) {
        if (g[j]->live) {
            rc = measure_alone(R, s, g[j]);
        }
    }
    return rc;
}

/* Find the tests of a group that did not screen clean: screen each half
 * again and follow the half that is
 * not clean. A leak among many clean tests costs a few screenings of
 * shrinking groups, not a full measurement of every test. When both
 * halves are not clean, leaks are many: their tests are measured alone
 * rather than split further. Returns 0, or PLK_EINTR. */
static int
narrow(runner *R, plk_suite_result *s, test_run **g, size_t n)
{
    size_t live = only_live(g, n), half = plk_policy_split(live);
    int rc, clean_a = 0, clean_b = 0;

    if (half == 0) {
        return alone_all(R, s, g, live);
    }
    rc = screen(R, s, g, half, &clean_a);
    if (rc == 0 && !R->interrupted) {
        size_t rest = only_live(g + half, live - half);

        rc = rest >= 2 ? screen(R, s, g + half, rest, &clean_b) : 0;
        clean_b = clean_b || rest == 0;
        if (rc == 0 && rest == 1) {
            rc = alone_all(R, s, g + half, 1);
            clean_b = 1;
        }
    }
    if (rc != 0 || R->interrupted) {
        return rc;
    }
    switch (plk_policy_narrow(clean_a, clean_b)) {
    case PLK_NARROW_ALONE:
        return alone_all(R, s, g, live);
    case PLK_NARROW_FIRST:
        return narrow(R, s, g, half);
    case PLK_NARROW_SECOND:
        return narrow(R, s, g + half, live - half);
    case PLK_NARROW_DONE:
        break;
    }
    return 0;
}

/* Mark every test of a segment that has no verdict yet as interrupted. */
static void
interrupt_rest(plk_suite_result *s, test_run *trs, size_t n)
{
    size_t j;

    for (j = 0; j < n; j++) {
        if (trs[j].live) {
            set_error_text(rec(s, &trs[j]), "KeyboardInterrupt",
                           trs[j].begun
                               ? "interrupted before the test finished"
                               : "interrupted before the test ran",
                           NULL);
            trs[j].live = 0;
        }
    }
}

/* Send test_done, in the order of the tests, for those of the segment
 * that have their verdict: up to the first that is still running, so
 * that progress reads in the file's order although screening finishes
 * tests out of it. */
static void
finish(runner *R, plk_suite_result *s, test_run *trs, size_t n)
{
    size_t j;

    for (j = 0; j < n && !trs[j].live && !trs[j].rescope; j++) {
        if (!trs[j].reported) {
            rec(s, &trs[j])->time = trs[j].spent;
            trs[j].reported = 1;
            ev_test_done(R, s, rec(s, &trs[j]));
        }
    }
}

/* Read an item into its record and decide whether it runs: a malformed
 * item, a failed setUpModule (mod_fail), a skip or a bad control settle
 * it here. */
static void
prepare(runner *R, plk_suite_result *s, test_run *tr, const plk_item *item,
        const plk_call_result *mod_fail)
{
    plk_test_result *t = rec(s, tr);
    plk_error err = {0};

    fill_identity(t, item);
    if (item->malformed) {
        set_error_text(t, "pyleak.HarnessError", "malformed test item", NULL);
    }
    else if (mod_fail != NULL) {
        set_outcome(t, mod_fail);
    }
    else if (item->skip) {
        t->outcome = PLK_OUTCOME_SKIPPED;
        t->message = plk_strdup(item->skip_reason);
    }
    else if (plk_control_parse(&tr->ctl, item->control, &err) != 0) {
        set_error_text(t, "pyleak.ControlError", err.message, NULL);
    }
    else if (tr->ctl.skip != NULL) {
        t->outcome = PLK_OUTCOME_SKIPPED;
        t->message = plk_asprintf("pyleak.skip: %s", tr->ctl.skip);
    }
    else {
        if (tr->ctl.note != NULL) {
            free(t->note);
            t->note = plk_strdup(tr->ctl.note);
        }
        tr->call = item->call;
        Py_INCREF(tr->call);
        tr->live = 1;
    }
    plk_error_clear(&err);
}

/* Mute (on) or unmute the output of the calls that follow. */
static void
mute(runner *R, int on)
{
    if ((on ? plk_contract_mute(R->C) : plk_contract_unmute(R->C)) != 0) {
        plk_contract_drop();
    }
}

/* What each level of repeat_wider puts around every call. */
static const char *const rescope_what[PLK_RESCOPE_LEVELS + 1] = {
    NULL, "its class's fixtures", "its module's fixtures"};

/* A test whose first call passed and a later call failed: measure it
 * again with its class's fixtures around every call, then with its
 * module's too (harness.rescope), as it repeats under a runner that
 * repeats whole classes or modules. The first level at which it passes
 * gives its verdict. When it fails at every level it is "not
 * repeatable": a skip, or a failure with --fail-not-repeatable. Returns
 * 0 or PLK_EINTR. */
static int
repeat_wider(runner *R, plk_suite_result *s, test_run *tr)
{
    plk_test_result *t = rec(s, tr);
    char *tried = NULL;
    int level, rc = 0;

    tr->rescope = 0;
    for (level = 1; level <= PLK_RESCOPE_LEVELS && rc == 0 && !R->interrupted;
         level++) {
        plk_rescoped rs;
        int st = plk_contract_rescope(R->C, tr->item, R->module, level, &rs);

        if (st < 0) {
            rc = screen_trouble(R);
            break;
        }
        if (st == 0) {
            continue;
        }
        Py_XDECREF(tr->call);
        tr->call = rs.call;
        rs.call = NULL;
        tr->live = 1;
        /* Its fixtures make every call slower: the warm-up times it
         * again from one call per round. */
        tr->k = 1;
        /* The failure is kept in tr; what follows is a new verdict. */
        free(t->exc_type);
        free(t->message);
        free(t->details);
        t->exc_type = t->message = t->details = NULL;
        rc = measure_alone(R, s, tr);
        if (plk_contract_rescope_restore(&rs) != 0) {
            plk_contract_drop();
        }
        plk_rescoped_clear(&rs);
        if (t->outcome == PLK_OUTCOME_PASSED ||
            t->outcome == PLK_OUTCOME_LEAKED) {
            char *note = plk_asprintf(
                "%s%spassed once, failed on call %lu when repeated "
                "alone (%s); measured with %s around every call",
                t->note ? t->note : "", t->note ? "; " : "", tr->fail_call,
                tr->fail_msg, rescope_what[level]);

            free(t->note);
            t->note = note;
            free(tried);
            return rc;
        }
        free(tried);
        tried =
            plk_asprintf("Measured again with %s around every call, "
                         "it failed too: %s\n",
                         rescope_what[level], t->message ? t->message : "");
    }
    if (rc != 0 || R->interrupted) {
        free(tried);
        return rc;
    }
    t->outcome =
        R->cfg->fail_not_repeatable ? PLK_OUTCOME_FAILED : PLK_OUTCOME_SKIPPED;
    free(t->exc_type);
    free(t->message);
    free(t->details);
    t->exc_type = plk_strdup(PLK_NOT_REPEATABLE);
    t->message = plk_asprintf("not repeatable: passed once, failed on "
                              "call %lu: %s",
                              tr->fail_call, tr->fail_msg);
    t->details =
        plk_asprintf("%s%s%s", tr->fail_details ? tr->fail_details : "",
                     tried ? "\n" : "", tried ? tried : "");
    free(tried);
    return 0;
}

/* repeat_wider for every test of the segment that waits for it. */
static int
repeat_pending(runner *R, plk_suite_result *s, test_run *trs, size_t n)
{
    size_t j;
    int rc = 0;

    for (j = 0; j < n && rc == 0 && !R->interrupted; j++) {
        if (trs[j].rescope) {
            rc = repeat_wider(R, s, &trs[j]);
            finish(R, s, trs, n);
        }
    }
    return rc;
}

/* Is item's id in the set of tests called once (plk_engine_set_once)? */
static int
called_once(const runner *R, const plk_item *item)
{
    return R->once != NULL && plk_strindex_has(R->once, item->id);
}

/* --thorough, and a worker confirming failures (plk_engine_set_once):
 * each test from its first call to its verdict before the next test's
 * first call, in the file's order, so that no test runs before an
 * earlier one is judged; a test called once has just that call, in its
 * place. */
static int
one_by_one(runner *R, plk_suite_result *s, test_run *trs, size_t n)
{
    size_t j;
    int rc = 0;

    for (j = 0; j < n && rc == 0 && !R->interrupted; j++) {
        if (!trs[j].live) {
            continue;
        }
        rc = first_call(R, s, &trs[j]);
        if (called_once(R, trs[j].item)) {
            trs[j].live = 0;
            finish(R, s, trs, n);
            continue;
        }
        mute(R, 1);
        if (rc == 0 && trs[j].live) {
            rc = calibrate(R, s, &trs[j]);
        }
        if (rc == 0 && trs[j].live) {
            rc = measure_alone(R, s, &trs[j]);
        }
        mute(R, 0);
        finish(R, s, trs, n);
    }
    return rc;
}

/* Run items[0..n), which share their class cls (or have none): first
 * calls and calibration one test at a time, then the ones without a
 * control screened together, then whatever is left measured alone.
 * mod_fail: how setUpModule failed, or NULL. */
static int
run_segment(runner *R, plk_suite_result *s, const plk_item *const *items,
            size_t n, PyObject *cls, class_state *cs,
            const plk_call_result *mod_fail)
{
    size_t j, ng = 0, base = s->ntests, nlive = 0;
    test_run *trs = NULL;
    test_run **group = NULL;
    int rc = 0, muted = 0, clean = 0, slow;

    R->patience = PLK_THREAD_SETTLE_ATTEMPTS;
    trs = calloc(n, sizeof(*trs));
    group = calloc(n, sizeof(*group));
    if (trs == NULL || group == NULL) {
        rc = PLK_ENOMEM;
        goto done;
    }
    /* Records first, all of them: adding one may move the others. */
    for (j = 0; j < n; j++) {
        if (plk_suite_result_add_test(s) == NULL) {
            rc = PLK_ENOMEM;
            n = j;
            goto done;
        }
        trs[j].index = base + j;
    }
    for (j = 0; j < n; j++) {
        trs[j].item = items[j];
        prepare(R, s, &trs[j], items[j], mod_fail);
        nlive += (size_t)trs[j].live;
    }
    if (nlive > 0 && cls != NULL && cls != cs->cls) {
        /* setUpClass is the code of the class's first test too. */
        for (j = 0; j < n && !trs[j].live; j++) {
        }
        ev_test_begin(R, s, rec(s, &trs[j]));
        cs->cls = cls;
        cs->name = plk_strdup(rec(s, &trs[0])->classname);
        cs->failed = fixture(R, PLK_FIXTURE_CLASS_SETUP, cls, &cs->fail, &rc);
    }
    finish(R, s, trs, n);
    for (j = 0; j < n; j++) {
        if (!trs[j].live) {
            continue;
        }
        if (rc != 0) {
            set_error_text(rec(s, &trs[j]), "KeyboardInterrupt",
                           "interrupted in setUpClass", NULL);
            trs[j].live = 0;
        }
        else if (cs->failed && cls == cs->cls) {
            set_outcome(rec(s, &trs[j]), &cs->fail);
            trs[j].live = 0;
        }
    }
    finish(R, s, trs, n);
    if (R->cfg->thorough || R->once != NULL) {
        rc = one_by_one(R, s, trs, n);
        if (rc == 0 && !R->interrupted) {
            mute(R, 1);
            rc = repeat_pending(R, s, trs, n);
            mute(R, 0);
        }
        goto done;
    }
    for (j = 0; j < n && rc == 0; j++) {
        if (trs[j].live) {
            rc = first_call(R, s, &trs[j]);
            /* In its place among the first calls: what it leaves is
             * there for the tests after it, as under the plain runner. */
            trs[j].live = trs[j].live && !called_once(R, trs[j].item);
            finish(R, s, trs, n);
        }
    }
    /* A failing mute leaves its exception to the calls that follow. */
    (void)plk_contract_mute(R->C);
    muted = 1;
    for (j = 0; j < n && rc == 0; j++) {
        if (trs[j].live) {
            rc = calibrate(R, s, &trs[j]);
            finish(R, s, trs, n);
        }
    }
    /* Two groups: tests called once per round need more rounds before
     * their early stop (PLK_EARLY_CALLS calls) than the others, and
     * should not hold those back. */
    for (slow = 1; slow >= 0 && rc == 0; slow--) {
        ng = 0;
        for (j = 0; j < n; j++) {
            if (trs[j].live && !trs[j].ctl.present &&
                plk_policy_slow(&R->pol, trs[j].ks) == slow) {
                group[ng++] = &trs[j];
            }
        }
        if (ng == 0) {
            continue;
        }
        rc = screen(R, s, group, ng, &clean);
        if (rc == 0 && !clean && !R->interrupted) {
            rc = narrow(R, s, group, ng);
        }
        finish(R, s, trs, n);
    }
    for (j = 0; j < n && rc == 0 && !R->interrupted; j++) {
        if (trs[j].live) {
            rc = measure_alone(R, s, &trs[j]);
            finish(R, s, trs, n);
        }
    }
    if (rc == 0 && !R->interrupted) {
        rc = repeat_pending(R, s, trs, n);
    }
done:
    if (muted) {
        mute(R, 0);
    }
    if (trs == NULL) {
        free(group);
        return rc;
    }
    if (rc == PLK_EINTR || R->interrupted) {
        interrupt_rest(s, trs, n);
    }
    for (j = 0; j < n; j++) {
        /* Interrupted before it was measured again: its failure
         * stands. */
        trs[j].rescope = 0;
        if (trs[j].live) {
            /* Only trouble of pyleak-ci's own (out of memory) leaves a
             * test without a verdict. */
            set_error_text(rec(s, &trs[j]), "pyleak.HarnessError",
                           "pyleak-ci could not finish this test", NULL);
            trs[j].live = 0;
        }
    }
    finish(R, s, trs, n);
    for (j = 0; j < n; j++) {
        Py_XDECREF(trs[j].call);
        plk_control_clear(&trs[j].ctl);
        free(trs[j].fail_msg);
        free(trs[j].fail_details);
    }
    free(trs);
    free(group);
    return rc;
}

/* Tell the caller every test that is about to run, before any does. */
static void
announce(runner *R, plk_suite_result *s, const plk_collection *col)
{
    size_t i;

    for (i = 0; R->ev.test_collected && i < col->nitems; i++) {
        plk_test_result t = {0};

        fill_identity(&t, &col->items[i]);
        R->ev.test_collected(R->ev.ctx, s, &t);
        plk_test_result_free(&t);
    }
}

/* Is item's id in the skip set? */
static int
skipped(runner *R, const plk_item *item)
{
    return R->skip != NULL && plk_strindex_has(R->skip, item->id);
}

/* The items of col[lo..hi) that run here, all of them but the skipped
 * ones, into out; returns how many. */
static size_t
runnable(runner *R, const plk_collection *col, size_t lo, size_t hi,
         const plk_item **out)
{
    size_t i, n = 0;

    for (i = lo; i < hi; i++) {
        if (!skipped(R, &col->items[i])) {
            out[n++] = &col->items[i];
        }
    }
    return n;
}

/* The end of the group of tests of one class (or of none) that starts
 * at items[i]. */
static size_t
group_end(const plk_item *const *items, size_t n, size_t i)
{
    size_t j;

    for (j = i + 1; j < n && items[j]->cls == items[i]->cls; j++) {
    }
    return j;
}

/* A file's items as an array of pointers, as group_end reads them. */
static const plk_item **
item_list(const plk_collection *col)
{
    const plk_item **all = calloc(col->nitems + 1, sizeof(*all));
    size_t i;

    for (i = 0; all != NULL && i < col->nitems; i++) {
        all[i] = &col->items[i];
    }
    return all;
}

/* Another process may run some of this file's groups (see
 * plk_engine_share): run the ones this process claims, in the
 * direction it was given, with module and class fixtures around them. */
static int
run_shared(runner *R, plk_suite_result *s, const plk_collection *col)
{
    class_state cs = {0};
    plk_call_result mod_fail = {0};
    size_t n = col->nitems, i = 0, ngroups = 0, k;
    size_t *starts = calloc(n + 1, sizeof(*starts));
    const plk_item **all = item_list(col);
    const plk_item **items = calloc(n + 1, sizeof(*items));
    int rc = 0, set_up = 0, failed = 0;

    if (starts == NULL || all == NULL || items == NULL) {
        free(starts);
        free(all);
        free(items);
        return PLK_ENOMEM;
    }
    while (i < n) {
        starts[ngroups++] = i;
        i = group_end(all, n, i);
    }
    if (R->share.groups != NULL) {
        R->share.groups(R->share.ctx, ngroups, starts);
    }
    for (k = 0; k < ngroups && !R->interrupted && rc == 0; k++) {
        size_t g = R->share.backwards ? ngroups - 1 - k : k;
        size_t lo = starts[g], hi = group_end(all, n, lo);
        size_t m = runnable(R, col, lo, hi, items);

        /* A group whose tests all have records (from a worker that died
         * after them) is nobody's work. */
        if (m == 0 || !R->share.claim(R->share.ctx, g)) {
            continue;
        }
        if (!set_up) {
            set_up = 1;
            failed = fixture(R, PLK_FIXTURE_MODULE_SETUP, col->module,
                             &mod_fail, &rc);
        }
        if (rc == 0) {
            PyObject *cls = items[0]->cls;

            if (cs.cls != NULL && cls != cs.cls) {
                leave_class(R, s, &cs, &rc);
            }
            rc = run_segment(R, s, items, m, cls, &cs,
                             failed ? &mod_fail : NULL);
        }
    }
    leave_class(R, s, &cs, &rc);
    if (set_up && !failed && !R->interrupted) {
        tear_down(R, s, PLK_FIXTURE_MODULE_TEARDOWN, col->module, s->name,
                  "tearDownModule", &rc);
    }
    plk_call_result_clear(&mod_fail);
    free(starts);
    free(all);
    free(items);
    return rc;
}

static int
run_items(runner *R, plk_suite_result *s, const plk_collection *col)
{
    size_t i, j, n;
    class_state cs = {0};
    plk_call_result mod_fail = {0};
    const plk_item **items;
    int rc = 0, failed;

    announce(R, s, col);
    R->module = col->module;
    if (R->share.claim != NULL) {
        return run_shared(R, s, col);
    }
    /* The tests to run: all but those in the skip set. */
    items = calloc(col->nitems + 1, sizeof(*items));
    if (items == NULL) {
        return PLK_ENOMEM;
    }
    n = runnable(R, col, 0, col->nitems, items);
    failed = fixture(R, PLK_FIXTURE_MODULE_SETUP, col->module, &mod_fail, &rc);
    if (rc != 0) {
        free(items);
        return rc;
    }
    i = 0;
    while (i < n && !R->interrupted && rc == 0) {
        PyObject *cls = items[i]->cls;

        j = group_end(items, n, i);
        if (cs.cls != NULL && cls != cs.cls) {
            leave_class(R, s, &cs, &rc);
        }
        rc = run_segment(R, s, items + i, j - i, cls, &cs,
                         failed ? &mod_fail : NULL);
        i = j;
    }
    leave_class(R, s, &cs, &rc);
    if (!failed && !R->interrupted) {
        tear_down(R, s, PLK_FIXTURE_MODULE_TEARDOWN, col->module, s->name,
                  "tearDownModule", &rc);
    }
    plk_call_result_clear(&mod_fail);
    free(items);
    return rc;
}

/* Handle what collect_file/collect_callable gave (st: theirs). */
static int
run_collected(runner *R, plk_suite_result *s, int st, plk_collection *col,
              plk_error *err)
{
    int rc = 0;

    if (st != 0) {
        plk_exception exc = {0};

        rc = catch_exception(R, &exc);
        s->error_type =
            exc.type ? exc.type : plk_strdup("pyleak.HarnessError");
        s->error_message = plk_strdup("pyleak-ci could not collect tests");
        s->error_details = exc.text;
        return rc == PLK_EINTR ? rc : 0;
    }
    switch (col->kind) {
    case PLK_COLLECT_OK:
        if (s->file == NULL) {
            char *f = plk_contract_file_of(col->module);
            s->file = f ? plk_discover_relpath(f, R->cwd) : NULL;
            free(f);
        }
        ev_suite_start(R, s);
        rc = run_items(R, s, col);
        R->module = NULL;
        break;
    case PLK_COLLECT_SKIP: {
        plk_test_result *t = plk_suite_result_add_test(s);

        ev_suite_start(R, s);
        if (t != NULL) {
            t->classname = plk_strdup(s->name);
            t->name = plk_strdup("<module>");
            t->file = plk_strdup(s->file);
            t->id = plk_strdup(s->file ? s->file : s->name);
            t->outcome = PLK_OUTCOME_SKIPPED;
            t->message = plk_strdup(col->reason);
            ev_test_done(R, s, t);
        }
        break;
    }
    case PLK_COLLECT_USAGE:
        /* The command line names something that is not there: a usage
         * error, not a test result. */
        return plk_error_set(err, PLK_EUSAGE, "%s",
                             col->error.message ? col->error.message
                                                : "bad target");
    case PLK_COLLECT_ERROR:
        s->error_type = col->error.exc_type;
        s->error_message = col->error.message;
        s->error_details = col->error.details;
        col->error.exc_type = col->error.message = NULL;
        col->error.details = NULL;
        ev_suite_start(R, s);
        break;
    }
    ev_suite_done(R, s);
    return rc;
}

static int
run_file(runner *R, plk_run_result *out, const char *path,
         const char *selector, plk_error *err)
{
    plk_suite_result *s;
    plk_collection col;
    char *module = NULL, *root = NULL;
    double t0 = plk_now();
    int rc, st;

    rc = plk_discover_module_name(&module, &root, path, err);
    if (rc != 0) {
        return rc;
    }
    s = plk_run_result_add_suite(out);
    if (s == NULL) {
        free(module);
        free(root);
        return PLK_ENOMEM;
    }
    s->name = module;
    s->file = plk_discover_relpath(path, R->cwd);
    s->timestamp = plk_timestamp_now();
    {
        char *abs = realpath(path, NULL);

        st = plk_contract_collect_file(R->C, abs ? abs : path, module, root,
                                       s->file, selector ? selector : "",
                                       R->cfg->keyword ? R->cfg->keyword : "",
                                       &col);
        free(abs);
    }
    free(root);
    rc = run_collected(R, s, st, &col, err);
    plk_collection_clear(&col);
    s->time = plk_now() - t0;
    return rc;
}

static int
run_module(runner *R, plk_run_result *out, const plk_target *tg,
           plk_error *err)
{
    plk_suite_result *s = plk_run_result_add_suite(out);
    plk_collection col;
    double t0 = plk_now();
    int rc, st;

    if (s == NULL) {
        return PLK_ENOMEM;
    }
    s->name = plk_strdup(tg->module);
    s->timestamp = plk_timestamp_now();
    st = plk_contract_collect_callable(R->C, tg->module, tg->attr, &col);
    rc = run_collected(R, s, st, &col, err);
    plk_collection_clear(&col);
    if (s->file == NULL) {
        s->file = plk_strdup(tg->module);
    }
    s->time = plk_now() - t0;
    return rc;
}

/* The rules' settings, from the run's. */
static void
policy_of(const plk_config *cfg, unsigned available, plk_policy *p)
{
    int m;

    memset(p, 0, sizeof(*p));
    p->min_rounds = cfg->min_rounds;
    p->max_rounds = cfg->max_rounds;
    p->max_calls = cfg->max_calls;
    p->round_ms = cfg->round_ms;
    p->alpha = cfg->alpha;
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        p->floor[m] = cfg->floor[m];
        p->threshold[m] = cfg->threshold[m];
    }
    p->available = available;
    p->thorough = cfg->thorough;
    p->budget_s = PLK_TEST_BUDGET_S;
}

int
plk_engine_new(plk_engine **out, const plk_config *cfg,
               const plk_engine_events *ev, plk_error *err)
{
    runner *R = calloc(1, sizeof(*R));
    int rc;

    *out = R;
    if (R == NULL) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    R->cfg = cfg;
    if (ev != NULL) {
        R->ev = *ev;
    }
    R->available = plk_sample_available();
    R->cwd = getcwd(NULL, 0);
    policy_of(cfg, R->available, &R->pol);
    if (R->cwd == NULL ||
        plk_rounds_reserve(&R->rounds, cfg->max_rounds) != 0) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory for %u rounds",
                             cfg->max_rounds);
    }
    rc = plk_contract_load(&R->C, err);
    if (rc != 0) {
        return rc;
    }
    /* SIGTERM (a CI job cancelled) stops the run like Ctrl-C: the tests
     * that finished are still reported. */
    if (plk_contract_stop_on_sigterm(R->C) != 0) {
        plk_contract_drop();
    }
    /* Random state reset before every call, unless --no-reseed. */
    if (plk_contract_set_reseed(R->C, cfg->reseed) != 0) {
        plk_contract_drop();
    }
    return 0;
}

void
plk_engine_free(plk_engine *R)
{
    if (R == NULL) {
        return;
    }
    plk_contract_free(R->C);
    plk_rounds_free(&R->rounds);
    free(R->cwd);
    free(R->tmp_root);
    free(R);
}

char *
plk_engine_tmpdir_for(const plk_engine *R, long pid)
{
    return R->tmp_root != NULL ? plk_asprintf("%s/%ld", R->tmp_root, pid)
                               : NULL;
}

int
plk_engine_set_tmp_root(plk_engine *R, const char *root)
{
    free(R->tmp_root);
    R->tmp_root = NULL;
    R->tmp_pid = 0;
    if (root != NULL && (R->tmp_root = plk_strdup(root)) == NULL) {
        return PLK_ENOMEM;
    }
    return 0;
}

/* The first target this process runs gets its own temporary folder in
 * the run's: TMPDIR of the tests, and what the tmpfiles metric counts.
 * Without one (it could not be made) the metric is not measured. */
static void
use_own_tmpdir(runner *R)
{
    char *path;

    if (R->tmp_root == NULL || R->tmp_pid == (long)getpid()) {
        return;
    }
    R->tmp_pid = (long)getpid();
    path = plk_engine_tmpdir_for(R, R->tmp_pid);
    plk_sample_set_tmpdir(NULL);
    if (path == NULL) {
        fprintf(stderr, "pyleak-ci: out of memory for the temporary folder "
                        "of the tests; tmpfiles and tmpbytes not measured\n");
    }
    else if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr,
                "pyleak-ci: cannot make %s (%s); the tests use the "
                "usual temporary folder and tmpfiles and tmpbytes are "
                "not measured\n",
                path, strerror(errno));
    }
    else if (plk_contract_use_tmpdir(R->C, path) != 0) {
        plk_contract_drop();
    }
    else {
        plk_sample_set_tmpdir(path);
    }
    free(path);
    R->available = plk_sample_available();
    policy_of(R->cfg, R->available, &R->pol);
}

int
plk_engine_run_target(plk_engine *R, plk_run_result *out, const plk_target *tg,
                      plk_error *err)
{
    use_own_tmpdir(R);
    if (tg->kind == PLK_TARGET_MODULE) {
        return run_module(R, out, tg, err);
    }
    return run_file(R, out, tg->path, tg->selector, err);
}

void
plk_engine_set_share(plk_engine *R, const plk_engine_share *share)
{
    memset(&R->share, 0, sizeof(R->share));
    if (share != NULL) {
        R->share = *share;
    }
}

void
plk_engine_set_skip(plk_engine *R, const plk_strindex *ids)
{
    R->skip = ids;
}

void
plk_engine_set_once(plk_engine *R, const plk_strindex *ids)
{
    R->once = ids;
}

int
plk_engine_interrupted(const plk_engine *R)
{
    return R->interrupted;
}
