/* Unit tests for the rules of the gate: series in, decisions out.
 *
 * A simulated test is a pattern: the value of one metric after a given
 * number of calls. The driver below plays the engine's part (a round of
 * m.k calls, a sample, plk_measure_add) and records what the policy
 * decided: the verdict, why it stopped, the rounds and the calls per
 * round it ended with. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "policy/policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The defaults of a run: pyleak-ci's own, every metric of a release
 * build available (refs needs a debug build). */
static plk_policy
defaults(void)
{
    plk_policy p;

    memset(&p, 0, sizeof(p));
    p.min_rounds = 8;
    p.max_rounds = 64;
    p.max_calls = 100;
    p.round_ms = 2.0;
    p.alpha = 0.01;
    p.floor[PLK_METRIC_REFS] = 0.25;
    p.floor[PLK_METRIC_BLOCKS] = 0.25;
    p.floor[PLK_METRIC_OBJECTS] = 0.25;
    p.floor[PLK_METRIC_HEAP] = 256;
    p.floor[PLK_METRIC_RSS] = 262144;
    p.floor[PLK_METRIC_FDS] = 0.5;
    p.floor[PLK_METRIC_THREADS] = 0.5;
    p.floor[PLK_METRIC_PROCS] = 0.5;
    p.floor[PLK_METRIC_TMPFILES] = 0.25;
    p.floor[PLK_METRIC_TMPBYTES] = 4096;
    p.floor[PLK_METRIC_ENV] = 0.25;
    p.available = ((1u << PLK_METRIC__COUNT) - 1) & ~(1u << PLK_METRIC_REFS);
    p.budget_s = PLK_TEST_BUDGET_S;
    return p;
}

/* -- patterns: a metric's value after c calls ----------------------------- */

static int64_t
flat(unsigned long c)
{
    (void)c;
    return 1000;
}

static int64_t
every_call(unsigned long c)
{
    return (int64_t)c;
}

static int64_t
every_third(unsigned long c)
{
    return (int64_t)(c / 3);
}

static int64_t
every_50th(unsigned long c)
{
    return (int64_t)(c / 50);
}

static int64_t
cache_100(unsigned long c)
{
    return (int64_t)(c < 100 ? c : 100);
}

static int64_t
cache_1024(unsigned long c)
{
    return (int64_t)(c < 1024 ? c : 1024);
}

/* Grows for its first 300 calls, then never again. */
static int64_t
plateau(unsigned long c)
{
    return (int64_t)(c < 300 ? c : 300);
}

/* A one-off step: 500 more once the test has been called 150 times. */
static int64_t
one_step(unsigned long c)
{
    return c >= 150 ? 500 : 0;
}

/* A full LRU churning: per-round changes of both signs that add up to
 * nothing, never three rounds flat (so no early stop). */
static int64_t
churn(unsigned long c)
{
    static const int d[] = {4,  -21, 7, 0,  9, -3, 0, 15,
                            -6, 2,   6, -8, 0, 6,  3, -14};
    int64_t v = 100;
    unsigned long r, rounds = c / 100;

    for (r = 0; r < rounds; r++) {
        v += d[r % ARRAY_LEN(d)];
    }
    return v;
}

/* Heap jitter: malloc's bookkeeping moves a few bytes now and then. */
static int64_t
jitter(unsigned long c)
{
    return 4096 + (int64_t)((c / 37) % 3) * 16;
}

/* A descriptor opened once, while the first measured rounds ran, and
 * closed again (a thread finishing late). */
static int64_t
fd_blip(unsigned long c)
{
    return c >= 110 && c < 220 ? 6 : 5;
}

typedef struct sim_case {
    const char *name;
    plk_metric metric;
    int64_t (*pattern)(unsigned long calls);
    unsigned k;           /* calibrated calls per round */
    unsigned long before; /* calls before the first measured sample */
    double sec_per_call;
    int thorough;
    unsigned rounds;  /* a control's rounds */
    unsigned ungated; /* a control's allowances */
    double threshold; /* a control's per-call threshold (0: none) */
    /* What the policy must decide. */
    plk_verdict verdict;
    plk_stop stop;
    unsigned want_rounds; /* 0: any */
    unsigned want_k;      /* 0: any */
} sim_case;

typedef struct sim_out {
    plk_verdict verdict;
    plk_stop stop;
    unsigned rounds, k;
    unsigned long calls; /* measured calls made */
    double per_call;     /* the driven metric's growth per call */
    int gating;
} sim_out;

/* Play the engine: the first sample after c->before calls, then rounds
 * of m.k calls until the policy stops. */
static sim_out
drive(const sim_case *c)
{
    plk_policy p = defaults();
    plk_metric_result out[PLK_METRIC__COUNT];
    plk_rounds buf = {0};
    plk_test_limits lim;
    plk_measure m;
    plk_sample s;
    sim_out r;
    unsigned long calls = c->before, guard = 0;
    int more, metric;

    memset(out, 0, sizeof(out));
    p.thorough = c->thorough;
    plk_test_limits_none(&lim);
    lim.rounds = c->rounds;
    lim.ungated = c->ungated;
    if (c->threshold > 0) {
        lim.threshold[c->metric] = c->threshold;
    }
    assert_int_equal(plk_measure_alone(&m, &buf, &p, &lim, out), 0);
    memset(&s, 0, sizeof(s));
    s.v[c->metric] = c->pattern(calls);
    more = plk_measure_start(&m, &s, c->k, c->before);
    while (more) {
        calls += m.k;
        s.v[c->metric] = c->pattern(calls);
        more = plk_measure_add(&m, &s,
                               (double)(calls - c->before) * c->sec_per_call);
        assert_true(++guard < 100000);
    }
    plk_measure_keep(&m, out);
    r.verdict = m.verdict;
    r.stop = m.stop;
    r.rounds = m.have;
    r.k = m.k;
    r.calls = calls - c->before;
    r.per_call = out[c->metric].per_call;
    r.gating = out[c->metric].gating;
    /* The series kept is the series judged: one sample per round and
     * the first, for every metric measured. */
    for (metric = 0; metric < PLK_METRIC__COUNT; metric++) {
        if (p.available & (1u << metric)) {
            assert_int_equal(out[metric].measured, 1);
            assert_int_equal(out[metric].n, (size_t)m.have + 1);
        }
        free(out[metric].series);
    }
    plk_rounds_free(&buf);
    return r;
}

/* clang-format off */
static const sim_case alone_cases[] = {
    /* Flat from the start: three rounds, or four calls when the test is
     * called once per round. */
    {"flat", PLK_METRIC_BLOCKS, flat, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 3, 100},
    {"flat, slow", PLK_METRIC_BLOCKS, flat, 1, 2, 0.5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 4, 1},
    {"flat, two per round", PLK_METRIC_OBJECTS, flat, 2, 2, 0.01, 0, 0, 0,
     0, PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 3, 2},
    /* --thorough: no early stop, --min-rounds rounds. */
    {"flat, thorough", PLK_METRIC_BLOCKS, flat, 100, 2, 1e-5, 1, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 8, 100},
    /* A control's rounds are a floor for the early stop too. */
    {"flat, control rounds", PLK_METRIC_BLOCKS, flat, 100, 2, 1e-5, 0, 20,
     0, 0, PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 20, 100},
    /* Heap jitter narrower than the heap's floor does not hold the early
     * stop back. */
    {"heap jitter", PLK_METRIC_HEAP, jitter, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 3, 100},
    /* One kept allocation per call: a leak once 2,048 calls are made
     * (8 rounds, then 16, then the 21 that reach 2,048). */
    {"every call", PLK_METRIC_BLOCKS, every_call, 100, 2, 1e-5, 0, 0, 0,
     0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 21, 100},
    /* Every third call, for a test called once per round: the rounds
     * double to --max-rounds, then the calls per round do. */
    {"every third call, slow", PLK_METRIC_OBJECTS, every_third, 1, 2, 1e-3,
     0, 0, 0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 0, 0},
    {"every third call", PLK_METRIC_OBJECTS, every_third, 100, 2, 1e-5, 0,
     0, 0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 21, 100},
    {"every 50th call", PLK_METRIC_BLOCKS, every_50th, 100, 2, 1e-5, 0, 0,
     0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 21, 100},
    /* Bounded caches that fill one entry per call are clean once full,
     * at up to 1,024 entries. */
    {"cache of 100", PLK_METRIC_OBJECTS, cache_100, 1, 2, 1e-3, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 0, 0},
    {"cache of 100, fast", PLK_METRIC_OBJECTS, cache_100, 100, 2, 1e-5, 0,
     0, 0, 0, PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 0, 100},
    {"cache of 1024", PLK_METRIC_OBJECTS, cache_1024, 100, 2, 1e-5, 0, 0,
     0, 0, PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 0, 0},
    {"cache of 1024, slow", PLK_METRIC_OBJECTS, cache_1024, 1, 2, 1e-3, 0,
     0, 0, 0, PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 0, 0},
    {"plateau", PLK_METRIC_HEAP, plateau, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 0, 100},
    {"one-off step", PLK_METRIC_BLOCKS, one_step, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 0, 100},
    /* A full cache that churns is never a leak: at most suspicious, and
     * then the rounds and calls per round run to their caps. */
    {"churning LRU", PLK_METRIC_OBJECTS, churn, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 0, 0},
    /* Descriptors and threads: a sustained change is a leak, a change
     * undone is not. */
    {"fd per call", PLK_METRIC_FDS, every_call, 1, 2, 1e-3, 0, 0, 0, 0,
     PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 0, 0},
    {"fd blip", PLK_METRIC_FDS, fd_blip, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 6, 100},
    {"thread every 50th call", PLK_METRIC_THREADS, every_50th, 100, 2,
     1e-5, 0, 0, 0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 0, 0},
    /* What is not memory. Child processes are judged as descriptors are;
     * temporary files and the environment on a trend, as memory is.
     * Growth that goes on is a leak; a change undone, a one-off step, or
     * a cache folder that stops growing is not. */
    {"process per call, slow", PLK_METRIC_PROCS, every_call, 1, 2, 1e-3, 0,
     0, 0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 0, 0},
    {"process blip", PLK_METRIC_PROCS, fd_blip, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 6, 100},
    {"temp file per call", PLK_METRIC_TMPFILES, every_call, 100, 2, 1e-5, 0,
     0, 0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 0, 0},
    {"temp file every 50th call", PLK_METRIC_TMPFILES, every_50th, 100, 2,
     1e-5, 0, 0, 0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 0, 0},
    {"temp cache of 100", PLK_METRIC_TMPFILES, cache_100, 1, 2, 1e-3, 0, 0,
     0, 0, PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 0, 0},
    {"env one-off step", PLK_METRIC_ENV, one_step, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 0, 100},
    {"env entry per call", PLK_METRIC_ENV, every_call, 1, 2, 1e-3, 0, 0, 0,
     0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 0, 0},
    /* Resident memory never fails a test alone. */
    {"rss only", PLK_METRIC_RSS, every_call, 100, 2, 1e-5, 0, 0, 0, 0,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 3, 100},
    /* A control that takes the metric out, or allows its growth. */
    {"ungated", PLK_METRIC_OBJECTS, every_call, 100, 2, 1e-5, 0, 0,
     1u << PLK_METRIC_OBJECTS, 0, PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 3,
     100},
    {"allowed growth", PLK_METRIC_OBJECTS, every_call, 100, 2, 1e-5, 0, 0,
     0, 1.5, PLK_VERDICT_CLEAN, PLK_STOP_JUDGED, 8, 100},
    {"growth above allowance", PLK_METRIC_OBJECTS, every_call, 100, 2, 1e-5,
     0, 0, 0, 0.5, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 21, 100},
    /* A slow test that has not proven its leak when the budget is spent
     * keeps the leak it has grown all along: 2 s per call, 8 rounds, 16,
     * then the 14 that 60 s leave. */
    {"slow leak, budget", PLK_METRIC_BLOCKS, every_call, 1, 2, 2.0, 0, 0, 0,
     0, PLK_VERDICT_LEAK, PLK_STOP_BUDGET, 30, 1},
    /* Calls made before the measured rounds count towards persistence. */
    {"every call, 2,000 before", PLK_METRIC_BLOCKS, every_call, 100, 2000,
     1e-5, 0, 0, 0, 0, PLK_VERDICT_LEAK, PLK_STOP_JUDGED, 8, 100},
};
/* clang-format on */

static void
test_alone_table(void **state)
{
    size_t i, bad = 0;

    (void)state;
    for (i = 0; i < ARRAY_LEN(alone_cases); i++) {
        const sim_case *c = &alone_cases[i];
        sim_out r = drive(c);

        if (r.verdict != c->verdict || r.stop != c->stop ||
            (c->want_rounds && r.rounds != c->want_rounds) ||
            (c->want_k && r.k != c->want_k)) {
            bad++;
            print_error("%s: got %s/%s after %u rounds of %u calls (%lu "
                        "calls, %.3g per call); want %s/%s, %u rounds of %u\n",
                        c->name, plk_verdict_name(r.verdict),
                        plk_stop_name(r.stop), r.rounds, r.k, r.calls,
                        r.per_call, plk_verdict_name(c->verdict),
                        plk_stop_name(c->stop), c->want_rounds, c->want_k);
        }
        if (r.gating != !(c->metric == PLK_METRIC_RSS || c->ungated)) {
            bad++;
            print_error("%s: gating %d\n", c->name, r.gating);
        }
    }
    assert_int_equal(bad, 0);
}

/* A leak every third call of a test called once per round: the rounds
 * double up to --max-rounds (8, 16, 32, 64), then the series is thinned
 * and the calls per round double, until 2,048 calls in all prove it. The
 * growth per call is the leak's own. */
static void
test_doubling_to_persistence(void **state)
{
    /* clang-format off */
    const sim_case c = {"every third", PLK_METRIC_OBJECTS, every_third, 1,
                        2, 1e-3, 0, 0, 0, 0, 0, 0, 0, 0};
    /* clang-format on */
    sim_out r = drive(&c);

    (void)state;
    assert_int_equal(r.verdict, PLK_VERDICT_LEAK);
    assert_int_equal(r.stop, PLK_STOP_JUDGED);
    assert_true(r.k > 1);
    assert_true(r.rounds <= 64);
    assert_true(r.calls + c.before >= PLK_PERSIST_CALLS);
    assert_true(r.per_call > 0.3 && r.per_call < 0.37);
}

/* A series that stays suspicious (it grows, but never past the one fall
 * before it: irregular) runs the rounds to --max-rounds and the calls
 * per round as far as they double within --max-calls (1 to 64 of 100),
 * then stops without a leak. */
static int64_t
fell_once(unsigned long c)
{
    return c <= 2 ? 1000000 : (int64_t)c;
}

static void
test_doubling_to_cap(void **state)
{
    /* clang-format off */
    const sim_case c = {"fell once", PLK_METRIC_OBJECTS, fell_once, 1, 2,
                        1e-6, 0, 0, 0, 0, 0, 0, 0, 0};
    /* clang-format on */
    sim_out r = drive(&c);

    (void)state;
    assert_int_equal(r.verdict, PLK_VERDICT_SUSPICIOUS);
    assert_int_equal(r.stop, PLK_STOP_CAP);
    assert_int_equal(r.k, 64);
    assert_int_equal(r.rounds, 64);
}

/* The time budget bounds a slow test's rounds: a leak at 0.5 s per call
 * never runs far past 60 s of measured calls. */
static void
test_budget_bounds_rounds(void **state)
{
    /* clang-format off */
    const sim_case c = {"slow", PLK_METRIC_BLOCKS, every_call, 1, 2, 0.5, 0,
                        0, 0, 0, 0, 0, 0, 0};
    /* clang-format on */
    sim_out r = drive(&c);

    (void)state;
    assert_int_equal(r.verdict, PLK_VERDICT_LEAK);
    assert_int_equal(r.stop, PLK_STOP_BUDGET);
    assert_true((double)r.calls * 0.5 <= PLK_TEST_BUDGET_S + 0.5);
}

/* A test whose state grows gets slower with every call (a list it
 * appends to and walks): call c takes 2 ms + 0.25 ms * c. The budget
 * must hold at the pace of the latest calls, not of the mean. */
static void
test_budget_holds_when_calls_slow_down(void **state)
{
    plk_policy p = defaults();
    plk_metric_result out[PLK_METRIC__COUNT];
    plk_rounds buf = {0};
    plk_measure m;
    plk_sample s;
    unsigned long calls = 0, i, guard = 0;
    double elapsed = 0.0, last_call = 0.0;
    int more, metric;

    (void)state;
    memset(out, 0, sizeof(out));
    assert_int_equal(plk_measure_alone(&m, &buf, &p, NULL, out), 0);
    memset(&s, 0, sizeof(s));
    s.v[PLK_METRIC_BLOCKS] = every_call(calls);
    more = plk_measure_start(&m, &s, 1, 0);
    while (more) {
        for (i = 0; i < m.k; i++) {
            last_call = 0.002 + 0.00025 * (double)calls++;
            elapsed += last_call;
        }
        s.v[PLK_METRIC_BLOCKS] = every_call(calls);
        more = plk_measure_add(&m, &s, elapsed);
        assert_true(++guard < 100000);
    }
    assert_int_equal(m.verdict, PLK_VERDICT_LEAK);
    assert_int_equal(m.stop, PLK_STOP_BUDGET);
    /* The pace keeps rising within the rounds the budget was judged to
     * afford: a little past it, never far. */
    assert_true(elapsed <= 1.1 * PLK_TEST_BUDGET_S);
    assert_true(last_call > 0.1);
    for (metric = 0; metric < PLK_METRIC__COUNT; metric++) {
        free(out[metric].series);
    }
    plk_rounds_free(&buf);
}

/* -- groups --------------------------------------------------------------- */

typedef struct group_case {
    const char *name;
    int64_t (*pattern)(unsigned long calls); /* of the group's calls */
    plk_metric metric;
    unsigned lowest, total;
    plk_verdict verdict;
    plk_stop stop;
    unsigned want_rounds;
} group_case;

/* clang-format off */
static const group_case group_cases[] = {
    {"clean group", flat, PLK_METRIC_BLOCKS, 13, 100, PLK_VERDICT_CLEAN,
     PLK_STOP_EARLY, 3},
    /* Tests screened once per round need four rounds for four calls. */
    {"clean slow group", flat, PLK_METRIC_BLOCKS, 1, 3, PLK_VERDICT_CLEAN,
     PLK_STOP_EARLY, 4},
    /* One block per round among 100 calls is below a test's floor but
     * not a group's: a closer look. */
    {"leak among many", every_call, PLK_METRIC_BLOCKS, 13, 100,
     PLK_VERDICT_LEAK, PLK_STOP_DIRTY, 8},
    {"one-off step", one_step, PLK_METRIC_OBJECTS, 13, 100,
     PLK_VERDICT_CLEAN, PLK_STOP_EARLY, 0},
    /* Thresholds never apply to a group, nor does resident memory. */
    {"rss", every_call, PLK_METRIC_RSS, 13, 100, PLK_VERDICT_CLEAN,
     PLK_STOP_EARLY, 3},
};
/* clang-format on */

static void
test_group_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(group_cases); i++) {
        const group_case *c = &group_cases[i];
        plk_policy p = defaults();
        plk_metric_result out[PLK_METRIC__COUNT];
        plk_rounds buf = {0};
        plk_measure m;
        plk_sample s;
        unsigned long calls = 0;
        int more, metric;

        p.threshold[c->metric] = 1e9;
        memset(out, 0, sizeof(out));
        memset(&s, 0, sizeof(s));
        assert_int_equal(
            plk_measure_group(&m, &buf, &p, c->lowest, c->total, out), 0);
        s.v[c->metric] = c->pattern(calls);
        more = plk_measure_start(&m, &s, 0, 0);
        while (more) {
            assert_int_equal(m.k, c->total);
            calls += m.k;
            s.v[c->metric] = c->pattern(calls);
            more = plk_measure_add(&m, &s, 0.0);
        }
        if (m.verdict != c->verdict || m.stop != c->stop ||
            (c->want_rounds && m.have != c->want_rounds)) {
            fail_msg("%s: got %s/%s after %u rounds; want %s/%s, %u", c->name,
                     plk_verdict_name(m.verdict), plk_stop_name(m.stop),
                     m.have, plk_verdict_name(c->verdict),
                     plk_stop_name(c->stop), c->want_rounds);
        }
        /* A group never calls more rounds than --min-rounds. */
        assert_true(m.have <= p.min_rounds);
        for (metric = 0; metric < PLK_METRIC__COUNT; metric++) {
            free(out[metric].series);
        }
        plk_rounds_free(&buf);
    }
}

/* -- the small rules ------------------------------------------------------ */

static void
test_calls_for(void **state)
{
    static const struct {
        double dt;
        unsigned want;
        /* clang-format off */
    } rows[] = {
        {0.0, 100},     /* instant: the cap */
        {1e-9, 100},
        {1e-5, 100},    /* 200 wanted, capped */
        {4e-5, 50},
        {1e-3, 2},
        {0.0015, 2},
        {0.002, 1},     /* a round's length: once */
        {5.0, 1},
    };
    /* clang-format on */
    plk_policy p = defaults();
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(rows); i++) {
        unsigned got = plk_policy_calls_for(&p, rows[i].dt);

        if (got != rows[i].want) {
            fail_msg("calls_for(%g): got %u, want %u", rows[i].dt, got,
                     rows[i].want);
        }
    }
}

static void
test_second_call(void **state)
{
    plk_policy p = defaults();

    (void)state;
    /* Screening calls a test an eighth of its calls: one whose first
     * call took an eighth of a round or more is called once anyway. */
    assert_int_equal(plk_policy_second_call(&p, 1e-5), 1);
    assert_int_equal(plk_policy_second_call(&p, 0.00024), 1);
    assert_int_equal(plk_policy_second_call(&p, 0.00025), 0);
    assert_int_equal(plk_policy_second_call(&p, 1.0), 0);
}

static void
test_screen_calls(void **state)
{
    static const unsigned rows[][2] = {
        {1, 1},    {2, 1},      {8, 1}, /* once per round */
        {9, 22},   {100, 22},           /* at least a third of 64 */
        {200, 25}, {1000, 125},
    };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(rows); i++) {
        if (plk_policy_screen_calls(rows[i][0]) != rows[i][1]) {
            fail_msg("screen_calls(%u): got %u, want %u", rows[i][0],
                     plk_policy_screen_calls(rows[i][0]), rows[i][1]);
        }
    }
}

static void
test_early_rounds(void **state)
{
    plk_policy p = defaults();

    (void)state;
    assert_int_equal(plk_policy_early_rounds(&p, 1), 4);
    assert_int_equal(plk_policy_early_rounds(&p, 2), 3);
    assert_int_equal(plk_policy_early_rounds(&p, 100), 3);
    /* k 0 does not happen; it must not divide by zero either. */
    assert_true(plk_policy_early_rounds(&p, 0) >= PLK_EARLY_ROUNDS);
    assert_int_equal(plk_policy_slow(&p, 1), 1);
    assert_int_equal(plk_policy_slow(&p, 2), 0);
    p.thorough = 1;
    assert_int_equal(plk_policy_early_rounds(&p, 100), 8);
}

static void
test_narrowing(void **state)
{
    (void)state;
    assert_int_equal(plk_policy_split(0), 0);
    assert_int_equal(plk_policy_split(3), 0);
    assert_int_equal(plk_policy_split(4), 2);
    assert_int_equal(plk_policy_split(5), 2);
    assert_int_equal(plk_policy_split(5000), 2500);
    assert_int_equal(plk_policy_narrow(1, 1), PLK_NARROW_DONE);
    assert_int_equal(plk_policy_narrow(0, 1), PLK_NARROW_FIRST);
    assert_int_equal(plk_policy_narrow(1, 0), PLK_NARROW_SECOND);
    assert_int_equal(plk_policy_narrow(0, 0), PLK_NARROW_ALONE);
}

static void
test_rescope(void **state)
{
    (void)state;
    /* A failure on the first call stays a failure. */
    assert_int_equal(plk_policy_rescope(PLK_OUTCOME_FAILED, 1), 0);
    assert_int_equal(plk_policy_rescope(PLK_OUTCOME_ERROR, 1), 0);
    assert_int_equal(plk_policy_rescope(PLK_OUTCOME_FAILED, 2), 1);
    assert_int_equal(plk_policy_rescope(PLK_OUTCOME_ERROR, 40), 1);
    assert_int_equal(plk_policy_rescope(PLK_OUTCOME_SKIPPED, 40), 0);
    assert_int_equal(plk_policy_rescope(PLK_OUTCOME_PASSED, 40), 0);
}

/* No room for a series is an error of the measurement's start, before
 * any sample, never a clean verdict; the buffers stay usable. */
static void
test_no_room(void **state)
{
    plk_policy p = defaults();
    plk_metric_result out[PLK_METRIC__COUNT];
    plk_rounds buf = {0};
    plk_test_limits lim;
    plk_measure m;

    (void)state;
    memset(out, 0, sizeof(out));
    assert_int_equal(plk_rounds_reserve(&buf, 64), 0);
    plk_test_limits_none(&lim);
    lim.rounds = PLK_ROUNDS_LIMIT + 1;
    assert_int_equal(plk_measure_alone(&m, &buf, &p, &lim, out), PLK_ENOMEM);
    assert_int_equal(buf.cap, 64);
    assert_non_null(buf.samples);
    lim.rounds = 0;
    assert_int_equal(plk_measure_alone(&m, &buf, &p, &lim, out), 0);
    plk_rounds_free(&buf);
    assert_null(buf.samples);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alone_table),
        cmocka_unit_test(test_doubling_to_persistence),
        cmocka_unit_test(test_doubling_to_cap),
        cmocka_unit_test(test_budget_bounds_rounds),
        cmocka_unit_test(test_budget_holds_when_calls_slow_down),
        cmocka_unit_test(test_group_table),
        cmocka_unit_test(test_calls_for),
        cmocka_unit_test(test_second_call),
        cmocka_unit_test(test_screen_calls),
        cmocka_unit_test(test_early_rounds),
        cmocka_unit_test(test_narrowing),
        cmocka_unit_test(test_rescope),
        cmocka_unit_test(test_no_room),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
