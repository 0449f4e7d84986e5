/* The rules of the gate: see policy.h. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "policy/policy.h"

void
plk_test_limits_none(plk_test_limits *lim)
{
    int m;

    memset(lim, 0, sizeof(*lim));
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        lim->threshold[m] = -1.0;
    }
}

int
plk_policy_gating(plk_metric m)
{
    return m != PLK_METRIC_RSS;
}

unsigned
plk_policy_calls_for(const plk_policy *p, double dt)
{
    double target = p->round_ms / 1000.0, want;

    if (dt >= target) {
        return 1;
    }
    want = ceil(target / (dt > 1e-7 ? dt : 1e-7));
    return want > (double)p->max_calls ? p->max_calls
           : want < 1.0                ? 1
                                       : (unsigned)want;
}

int
plk_policy_second_call(const plk_policy *p, double first_dt)
{
    return first_dt * PLK_SCREEN_DIVISOR < p->round_ms / 1000.0;
}

unsigned
plk_policy_screen_calls(unsigned k)
{
    unsigned ks = (k + PLK_SCREEN_DIVISOR - 1) / PLK_SCREEN_DIVISOR;
    unsigned sparse =
        (PLK_EARLY_SPARSE_CALLS + PLK_EARLY_ROUNDS - 1) / PLK_EARLY_ROUNDS;

    return ks > 1 && ks < sparse ? sparse : ks;
}

unsigned
plk_policy_early_rounds(const plk_policy *p, unsigned k)
{
    unsigned n = (PLK_EARLY_CALLS + k - 1) / (k ? k : 1);

    if (p->thorough) {
        return p->min_rounds;
    }
    return n < PLK_EARLY_ROUNDS ? PLK_EARLY_ROUNDS : n;
}

int
plk_policy_slow(const plk_policy *p, unsigned ks)
{
    return plk_policy_early_rounds(p, ks) > PLK_EARLY_ROUNDS;
}

size_t
plk_policy_split(size_t n)
{
    return n < PLK_SCREEN_SPLIT_MIN ? 0 : n / 2;
}

plk_narrow
plk_policy_narrow(int clean_first, int clean_second)
{
    if (!clean_first && !clean_second) {
        return PLK_NARROW_ALONE;
    }
    if (!clean_first) {
        return PLK_NARROW_FIRST;
    }
    return clean_second ? PLK_NARROW_DONE : PLK_NARROW_SECOND;
}

int
plk_policy_rescope(plk_outcome outcome, unsigned long calls)
{
    return (outcome == PLK_OUTCOME_FAILED || outcome == PLK_OUTCOME_ERROR) &&
           calls > 1;
}

/* -- buffers -------------------------------------------------------------- */

int
plk_rounds_reserve(plk_rounds *b, unsigned n)
{
    size_t rows, need;
    plk_sample *samples;
    int64_t *y;
    double *scratch;

    if (n <= b->cap && b->samples != NULL) {
        return 0;
    }
    rows = (size_t)n + 1;
    if (n > PLK_ROUNDS_LIMIT) {
        return PLK_ENOMEM;
    }
    need = plk_fit_scratch_size(rows);
    /* Each buffer is replaced only once all three are had, so a failure
     * leaves the old ones (and cap) as they were. */
    samples = malloc(rows * sizeof(*samples));
    y = malloc(rows * sizeof(*y));
    scratch = malloc(need * sizeof(*scratch));
    if (samples == NULL || y == NULL || scratch == NULL) {
        free(samples);
        free(y);
        free(scratch);
        return PLK_ENOMEM;
    }
    plk_rounds_free(b);
    b->samples = samples;
    b->y = y;
    b->scratch = scratch;
    b->cap = n;
    return 0;
}

void
plk_rounds_free(plk_rounds *b)
{
    free(b->samples);
    free(b->y);
    free(b->scratch);
    memset(b, 0, sizeof(*b));
}

const char *
plk_stop_name(plk_stop s)
{
    switch (s) {
    case PLK_STOP_NONE:
        return "none";
    case PLK_STOP_EARLY:
        return "early";
    case PLK_STOP_JUDGED:
        return "judged";
    case PLK_STOP_DIRTY:
        return "dirty";
    case PLK_STOP_BUDGET:
        return "budget";
    case PLK_STOP_CAP:
        return "cap";
    }
    return "?";
}

/* -- judging a series ----------------------------------------------------- */

static int
gates(const plk_measure *m, int metric)
{
    return plk_policy_gating((plk_metric)metric) &&
           !(m->lim.ungated & (1u << metric));
}

/* Fit every metric over the first nsamples samples into m->out; returns
 * the worst verdict among the gating metrics. A group is judged with
 * the floors shrunk as its calls per round are (each test's are an
 * eighth of its own), with no threshold (its calls are many tests') and
 * no persistence: a group that is not clean only costs a closer look,
 * never a verdict. A test alone sets *proven (when not NULL) to 1 when
 * a gating metric's leak has persisted over PLK_PERSIST_CALLS calls. */
static plk_verdict
judge(const plk_measure *m, size_t nsamples, int *proven)
{
    const plk_policy *p = m->p;
    const plk_sample *samples = m->buf->samples;
    int64_t *y = m->buf->y;
    plk_verdict worst = PLK_VERDICT_CLEAN;
    unsigned calls = m->k;
    int metric;

    if (proven != NULL) {
        *proven = 0;
    }
    for (metric = 0; metric < PLK_METRIC__COUNT; metric++) {
        plk_metric_result *mr = &m->out[metric];
        plk_fit_params fp;
        double threshold = p->threshold[metric];
        size_t i;

        if (!(p->available & (1u << metric))) {
            continue;
        }
        for (i = 0; i < nsamples; i++) {
            y[i] = samples[i].v[metric];
        }
        fp.judge = plk_metric_sustained((plk_metric)metric)
                       ? PLK_JUDGE_SUSTAINED
                       : PLK_JUDGE_TREND;
        fp.floor_per_round =
            p->floor[metric] / (m->group ? PLK_SCREEN_DIVISOR : 1.0);
        fp.alpha = p->alpha;
        fp.late_fraction = 0.5;
        fp.calls_per_round = calls;
        fp.calls_before = m->before;
        fp.persist_calls = m->group ? 0 : PLK_PERSIST_CALLS;
        mr->measured = 1;
        mr->gating = gates(m, metric);
        if (m->lim.threshold[metric] >= 0.0) {
            threshold = m->lim.threshold[metric];
        }
        if (m->group) {
            threshold = 0.0;
        }
        if (plk_fit_series(&mr->fit, y, nsamples, &fp, m->buf->scratch) != 0) {
            continue;
        }
        mr->per_call = mr->fit.slope / (double)(calls ? calls : 1);
        if (fp.judge == PLK_JUDGE_SUSTAINED) {
            mr->per_call = (double)mr->fit.net /
                           (double)((nsamples - 1) * (calls ? calls : 1));
        }
        if (mr->fit.verdict != PLK_VERDICT_CLEAN &&
            mr->per_call <= threshold && threshold > 0) {
            /* Allowed by the user's threshold. */
            mr->fit.verdict = PLK_VERDICT_CLEAN;
        }
        if (mr->gating && mr->fit.verdict > worst) {
            worst = mr->fit.verdict;
        }
        if (mr->gating && mr->fit.verdict == PLK_VERDICT_LEAK &&
            mr->fit.persisted && proven != NULL) {
            *proven = 1;
        }
    }
    return worst;
}

/* 1 when no gating metric moved in the last rounds of the first n + 1
 * samples: enough of them to make PLK_EARLY_ROUNDS and PLK_EARLY_CALLS
 * calls at k calls per round. The counted metrics (blocks, objects,
 * refs, descriptors, threads) must not move at all: any allocation a
 * call keeps moves them by a unit. The heap may move within a band
 * narrower than its noise floor per round (divided as in judge for a
 * group): malloc's own bookkeeping moves it by a few bytes now and
 * then, a fit would judge such a band clean all the same, and a slow
 * test should not pay rounds for it. This is the early stop. */
static int
quiet_since(const plk_measure *m, unsigned n, unsigned k)
{
    const plk_sample *samples = m->buf->samples;
    unsigned w = plk_policy_early_rounds(m->p, k), i;
    int metric;

    if (n < w) {
        return 0;
    }
    for (metric = 0; metric < PLK_METRIC__COUNT; metric++) {
        double band =
            m->p->floor[metric] / (m->group ? PLK_SCREEN_DIVISOR : 1.0);
        int64_t lo, hi;

        if (!(m->p->available & (1u << metric)) || !gates(m, metric)) {
            continue;
        }
        lo = hi = samples[n - w].v[metric];
        for (i = n - w + 1; i <= n; i++) {
            int64_t v = samples[i].v[metric];

            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (hi != lo && (double)hi - (double)lo >= band) {
            return 0;
        }
    }
    return 1;
}

/* Rounds needed at k calls per round for the calls after before to
 * reach PLK_PERSIST_CALLS. */
static unsigned long
persist_rounds(unsigned k, unsigned long before)
{
    if (before >= PLK_PERSIST_CALLS) {
        return 0;
    }
    return (PLK_PERSIST_CALLS - before + k - 1) / (k ? k : 1);
}

/* A verdict v left open after n rounds of m->k calls, with afford calls
 * left in the time budget: the rounds the series should reach next, or
 * 0 when the budget of rounds, calls per round or time is spent. Twice
 * the rounds, up to most, and for a leak that has not persisted no more
 * than it takes to reach PLK_PERSIST_CALLS; *why says which budget was
 * spent. With most rounds done, the
 * series is thinned to every other sample (as rounds of twice the
 * calls) and the next rounds have twice the calls: the calls double at
 * every step either way, so a cache that fills is seen full after at
 * most about twice the calls it takes, and a rare leak gets its calls
 * in few rounds. */
static unsigned
extend_rounds(plk_measure *m, unsigned n, plk_verdict v, double afford,
              plk_stop *why)
{
    plk_sample *samples = m->buf->samples;
    unsigned long need;
    unsigned next = m->most, step = m->k, have = n, j;

    *why = PLK_STOP_CAP;
    if (n >= m->most) {
        if (n < 2 || m->k > m->p->max_calls / 2) {
            return 0;
        }
        step = m->k * 2;
        have = n / 2;
    }
    else if (n * 2 < m->most) {
        next = n * 2;
    }
    if (v == PLK_VERDICT_LEAK) {
        need = persist_rounds(step, m->before);
        if (need < next) {
            next = (unsigned)need;
        }
    }
    if (next < m->least) {
        next = m->least;
    }
    if (next > m->most) {
        next = m->most;
    }
    if (next <= have) {
        next = have + 1;
    }
    /* What the time budget leaves: rounds of a slow test must not run
     * far past it. */
    if ((double)(next - have) * step > afford) {
        next = have + (unsigned)(afford / step);
        if (next <= have) {
            *why = PLK_STOP_BUDGET;
            return 0;
        }
    }
    if (have < n) {
        for (j = 1; j <= have; j++) {
            samples[j] = samples[2 * j];
        }
        m->have = have;
        m->k = step;
    }
    return next;
}

static int
stop(plk_measure *m, plk_verdict v, plk_stop why)
{
    m->verdict = v;
    m->stop = why;
    return 0;
}

/* A test alone whose series has reached its target. */
static int
alone_next(plk_measure *m, double elapsed)
{
    unsigned n = m->have, next;
    plk_verdict v;
    plk_stop why;
    int proven = 0;
    double afford, per_call;

    if (n < m->least) {
        /* Flat lately: stop when the whole series says clean. */
        if (quiet_since(m, n, m->k) &&
            judge(m, (size_t)n + 1, NULL) == PLK_VERDICT_CLEAN) {
            return stop(m, PLK_VERDICT_CLEAN, PLK_STOP_EARLY);
        }
        m->target = n + 1;
        return 1;
    }
    v = judge(m, (size_t)n + 1, &proven);
    /* A leak is final once it has persisted; growth that is small,
     * slowing, irregular or not yet persistent gets more calls until it
     * is clean, proven, or out of budget (then a leak that has grown
     * steadily all along stays one). */
    if (v == PLK_VERDICT_CLEAN || (v == PLK_VERDICT_LEAK && proven)) {
        return stop(m, v, PLK_STOP_JUDGED);
    }
    if (elapsed > m->p->budget_s) {
        return stop(m, v, PLK_STOP_BUDGET);
    }
    /* Calls the rest of the budget affords, at the dearer of the mean
     * and the latest round's time per call: a test whose state grows
     * gets slower with every call. */
    per_call = m->made > 0 ? elapsed / (double)m->made : 0.0;
    if (m->last_dt > per_call) {
        per_call = m->last_dt;
    }
    afford = per_call > 0.0 ? (m->p->budget_s - elapsed) / per_call
                            : (double)UINT_MAX;
    next = extend_rounds(m, n, v, afford, &why);
    if (next == 0) {
        return stop(m, v, why);
    }
    m->target = next;
    return 1;
}

/* A group whose series has reached its target. */
static int
group_next(plk_measure *m)
{
    unsigned n = m->have;
    plk_verdict v = judge(m, (size_t)n + 1, NULL);

    if (v == PLK_VERDICT_CLEAN &&
        (n >= m->least || quiet_since(m, n, m->lowest))) {
        return stop(m, v, n >= m->least ? PLK_STOP_JUDGED : PLK_STOP_EARLY);
    }
    if (n >= m->least) {
        return stop(m, v == PLK_VERDICT_CLEAN ? PLK_VERDICT_SUSPICIOUS : v,
                    PLK_STOP_DIRTY);
    }
    m->target = n + 1;
    return 1;
}

static int
next(plk_measure *m, double elapsed)
{
    if (m->have < m->target) {
        return 1;
    }
    return m->group ? group_next(m) : alone_next(m, elapsed);
}

static void
init(plk_measure *m, plk_rounds *buf, const plk_policy *p,
     plk_metric_result *out)
{
    memset(m, 0, sizeof(*m));
    m->p = p;
    m->buf = buf;
    m->out = out;
    plk_test_limits_none(&m->lim);
}

int
plk_measure_alone(plk_measure *m, plk_rounds *buf, const plk_policy *p,
                  const plk_test_limits *lim, plk_metric_result *out)
{
    init(m, buf, p, out);
    if (lim != NULL) {
        m->lim = *lim;
    }
    /* A control's rounds is a floor for the first verdict, the early
     * stop and the cap alike. */
    m->least = p->min_rounds > m->lim.rounds ? p->min_rounds : m->lim.rounds;
    m->most = p->max_rounds > m->least ? p->max_rounds : m->least;
    return plk_rounds_reserve(buf, m->most);
}

int
plk_measure_group(plk_measure *m, plk_rounds *buf, const plk_policy *p,
                  unsigned lowest, unsigned total, plk_metric_result *out)
{
    init(m, buf, p, out);
    m->group = 1;
    m->least = m->most = p->min_rounds;
    m->lowest = lowest;
    m->k = total;
    return plk_rounds_reserve(buf, m->most);
}

int
plk_measure_start(plk_measure *m, const plk_sample *first, unsigned k,
                  unsigned long before)
{
    unsigned n;

    m->buf->samples[0] = *first;
    m->have = 0;
    m->made = 0;
    m->stop = PLK_STOP_NONE;
    m->verdict = PLK_VERDICT_CLEAN;
    if (m->group) {
        n = plk_policy_early_rounds(m->p, m->lowest);
    }
    else {
        m->k = k;
        m->before = before;
        n = plk_policy_early_rounds(m->p, k);
        if (n < m->lim.rounds) {
            n = m->lim.rounds;
        }
    }
    m->target = n > m->least ? m->least : n;
    return next(m, 0.0);
}

int
plk_measure_add(plk_measure *m, const plk_sample *s, double elapsed)
{
    if (m->stop != PLK_STOP_NONE || m->have >= m->buf->cap) {
        return 0;
    }
    m->made += m->k;
    m->buf->samples[++m->have] = *s;
    if (m->k > 0 && elapsed > m->last_elapsed) {
        m->last_dt = (elapsed - m->last_elapsed) / (double)m->k;
    }
    m->last_elapsed = elapsed;
    return next(m, elapsed);
}

void
plk_measure_keep(const plk_measure *m, plk_metric_result *out)
{
    size_t nsamples = (size_t)m->have + 1;
    int metric;

    for (metric = 0; metric < PLK_METRIC__COUNT; metric++) {
        plk_metric_result *mr = &out[metric];
        size_t i;

        if (!mr->measured) {
            continue;
        }
        free(mr->series);
        mr->series = malloc(nsamples * sizeof(int64_t));
        mr->n = mr->series ? nsamples : 0;
        for (i = 0; i < mr->n; i++) {
            mr->series[i] = m->buf->samples[i].v[metric];
        }
    }
}
