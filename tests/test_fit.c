/* Unit tests for the growth fits and the verdicts built on them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fit.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A macro rather than a function so that cmocka reports the caller's line;
 * cmocka 1.1.5 has no floating-point assertion of its own. */
#define ASSERT_NEAR(label, got, want, tol)                                    \
    do {                                                                      \
        double got_ = (got);                                                  \
        double want_ = (want);                                                \
        if (!(fabs(got_ - want_) <= (tol))) {                                 \
            fail_msg("%s: got %.17g, want %.17g", (label), got_, want_);      \
        }                                                                     \
    } while (0)

/* Scratch of exactly the advertised size, on the heap, so that the
 * sanitizers and valgrind catch a fit that writes past it. */
static double *
new_scratch(size_t n)
{
    double *scratch = malloc(plk_fit_scratch_size(n) * sizeof(double));

    assert_non_null(scratch);
    return scratch;
}

static plk_fit_params
trend_params(void)
{
    plk_fit_params params = {PLK_JUDGE_TREND, 0.25, 0.01, 0.5};

    return params;
}

static void
fit_or_fail(plk_fit *out, const int64_t *y, size_t n,
            const plk_fit_params *params)
{
    double *scratch = new_scratch(n);
    int rc = plk_fit_series(out, y, n, params, scratch);

    free(scratch);
    assert_int_equal(rc, 0);
}

/* The classic ANSI C generator: deterministic on every platform, so the
 * noise cases below always see the same series. */
static uint32_t
lcg_next(uint32_t *state)
{
    *state = (*state * 1103515245u + 12345u) & 0x7fffffffu;
    return *state;
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static void
test_fit__verdict_name(void **state)
{
    assert_string_equal(plk_verdict_name(PLK_VERDICT_CLEAN), "clean");
    assert_string_equal(plk_verdict_name(PLK_VERDICT_SUSPICIOUS),
                        "suspicious");
    assert_string_equal(plk_verdict_name(PLK_VERDICT_LEAK), "leak");
    assert_string_equal(plk_verdict_name((plk_verdict)42), "?");
}

static void
test_fit__scratch_size(void **state)
{
    static const struct {
        size_t n;
        size_t want;
    } cases[] = {
        {0, 1}, {1, 1}, {2, 3}, {3, 6}, {4, 10}, {10, 55}, {511, 130816},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        assert_int_equal(plk_fit_scratch_size(cases[i].n), cases[i].want);
    }
    /* Too large to allocate: saturate rather than wrap to a small size. */
    assert_int_equal(plk_fit_scratch_size(SIZE_MAX), SIZE_MAX);
    assert_int_equal(plk_fit_scratch_size(SIZE_MAX / 2), SIZE_MAX);
}

static void
test_fit__median(void **state)
{
    static const struct {
        const char *name;
        double v[8];
        size_t n;
        double want;
    } cases[] = {
        {"empty", {0}, 0, 0.0},
        {"single", {7}, 1, 7.0},
        {"pair", {4, 1}, 2, 2.5},
        {"odd", {5, 1, 4, 2, 3}, 5, 3.0},
        {"even", {4, 1, 3, 2}, 4, 2.5},
        {"even duplicates", {2, 9, 2, 2, 9, 9}, 6, 5.5},
        {"odd duplicates", {1, 1, 1, 0, 1}, 5, 1.0},
        {"negative", {-3, -1, -2, -10, 4, 0}, 6, -1.5},
        {"sorted", {1, 2, 3, 4, 5, 6, 7}, 7, 4.0},
        {"reversed", {8, 7, 6, 5, 4, 3, 2, 1}, 8, 4.5},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        double v[8];

        memcpy(v, cases[i].v, sizeof(v));
        ASSERT_NEAR(cases[i].name, plk_fit_median(v, cases[i].n),
                    cases[i].want, 0.0);
    }
}

/* Theil-Sen over ~510 samples asks for the median of ~130000 slopes, many
 * of them equal; compare against a full sort at that size. */
static void
test_fit__median_large(void **state)
{
    static const size_t sizes[] = {130000, 130001};
    size_t s;

    for (s = 0; s < ARRAY_LEN(sizes); s++) {
        size_t n = sizes[s];
        double *v = malloc(n * sizeof(*v));
        double *sorted = malloc(n * sizeof(*sorted));
        uint32_t seed = 7;
        double want;
        size_t i;

        assert_non_null(v);
        assert_non_null(sorted);
        for (i = 0; i < n; i++) {
            v[i] = (double)(lcg_next(&seed) % 1000) / 7.0;
        }
        memcpy(sorted, v, n * sizeof(*v));
        qsort(sorted, n, sizeof(*sorted), compare_double);
        want =
            n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        ASSERT_NEAR("random", plk_fit_median(v, n), want, 1e-12);

        /* All equal: the case a two-way partition makes quadratic. */
        for (i = 0; i < n; i++) {
            v[i] = 3.0;
        }
        ASSERT_NEAR("all equal", plk_fit_median(v, n), 3.0, 0.0);

        /* Already sorted, as the slopes of a clean series often are. */
        for (i = 0; i < n; i++) {
            v[i] = (double)i;
        }
        ASSERT_NEAR("sorted", plk_fit_median(v, n), (double)(n - 1) / 2.0,
                    0.0);
        free(v);
        free(sorted);
    }
}

static void
test_fit__theil_sen_line(void **state)
{
    static const struct {
        const char *name;
        int64_t intercept;
        int64_t slope;
        size_t n;
    } cases[] = {
        {"rising", 5, 2, 10},
        {"falling", 1000, -3, 17},
        {"flat", 42, 0, 8},
        {"two points", 0, 7, 2},
        {"large values", INT64_C(1) << 40, 4096, 50},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        int64_t y[64];
        double *scratch = new_scratch(cases[i].n);
        size_t k;

        for (k = 0; k < cases[i].n; k++) {
            y[k] = cases[i].intercept + cases[i].slope * (int64_t)k;
        }
        ASSERT_NEAR(cases[i].name, plk_fit_theil_sen(y, cases[i].n, scratch),
                    (double)cases[i].slope, 0.0);
        free(scratch);
    }
}

static void
test_fit__theil_sen_outlier(void **state)
{
    int64_t y[10];
    double *scratch = new_scratch(ARRAY_LEN(y));
    size_t k;

    for (k = 0; k < ARRAY_LEN(y); k++) {
        y[k] = 2 * (int64_t)k + 1;
    }
    /* One sample a million off moves only the 9 slopes through it, out of
     * 45; a least-squares slope would be dragged to about 1e4. */
    y[5] = 1000000;
    ASSERT_NEAR("outlier", plk_fit_theil_sen(y, ARRAY_LEN(y), scratch), 2.0,
                0.0);
    free(scratch);
}

static void
test_fit__theil_sen_short(void **state)
{
    int64_t y[1] = {99};
    double scratch[1] = {-1.0};

    ASSERT_NEAR("n=0", plk_fit_theil_sen(y, 0, scratch), 0.0, 0.0);
    ASSERT_NEAR("n=1", plk_fit_theil_sen(y, 1, scratch), 0.0, 0.0);
}

static void
test_fit__mann_kendall_increasing(void **state)
{
    int64_t y[10];
    double *scratch = new_scratch(ARRAY_LEN(y));
    double s = 0.0;
    double z = 0.0;
    double p = 0.0;
    size_t k;

    for (k = 0; k < ARRAY_LEN(y); k++) {
        y[k] = (int64_t)k;
    }
    plk_fit_mann_kendall(y, ARRAY_LEN(y), &s, &z, &p, scratch);
    /* All 45 pairs rise; var = 10 * 9 * 25 / 18 = 125. */
    ASSERT_NEAR("s", s, 45.0, 0.0);
    ASSERT_NEAR("z", z, 44.0 / sqrt(125.0), 1e-12);
    ASSERT_NEAR("p", p, 8.303070332644999e-05, 1e-12);
    free(scratch);
}

static void
test_fit__mann_kendall_decreasing(void **state)
{
    int64_t y[10];
    double *scratch = new_scratch(ARRAY_LEN(y));
    double s = 0.0;
    double z = 0.0;
    double p = 0.0;
    size_t k;

    for (k = 0; k < ARRAY_LEN(y); k++) {
        y[k] = 100 - (int64_t)k;
    }
    plk_fit_mann_kendall(y, ARRAY_LEN(y), &s, &z, &p, scratch);
    ASSERT_NEAR("s", s, -45.0, 0.0);
    ASSERT_NEAR("z", z, -44.0 / sqrt(125.0), 1e-12);
    ASSERT_NEAR("p", p, 8.303070332644999e-05, 1e-12);
    free(scratch);
}

static void
test_fit__mann_kendall_constant(void **state)
{
    int64_t y[12];
    double *scratch = new_scratch(ARRAY_LEN(y));
    double s = -1.0;
    double z = -1.0;
    double p = -1.0;
    size_t k;

    for (k = 0; k < ARRAY_LEN(y); k++) {
        y[k] = 17;
    }
    /* One tie group of all 12 cancels the whole variance. */
    plk_fit_mann_kendall(y, ARRAY_LEN(y), &s, &z, &p, scratch);
    ASSERT_NEAR("s", s, 0.0, 0.0);
    ASSERT_NEAR("z", z, 0.0, 0.0);
    ASSERT_NEAR("p", p, 1.0, 0.0);
    free(scratch);
}

static void
test_fit__mann_kendall_ties(void **state)
{
    static const struct {
        const char *name;
        int64_t y[12];
        size_t n;
        double s;
        double var;
        double p;
        /* clang-format off */
    } cases[] = {
        /* Pairs: five rise, the two 2s tie. Var = (4*3*13 - 2*1*9)/18. */
        {"one pair tied", {1, 2, 2, 3}, 4, 5.0, 138.0 / 18.0,
         0.1485617748918687},
        /* Four groups of three: var = (12*11*29 - 4*3*2*11)/18 = 198. */
        {"staircase", {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}, 12, 54.0, 198.0,
         0.00016552160560065154},
        /* Ties away from neighbours still count as one group. */
        {"scattered ties", {1, 5, 2, 5, 3, 5}, 6, 6.0,
         (6.0 * 5 * 17 - 3.0 * 2 * 11) / 18.0, 0.3140625788390452},
    };
    /* clang-format on */
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        double *scratch = new_scratch(cases[i].n);
        double s = 0.0;
        double z = 0.0;
        double p = 0.0;
        double want_z = (cases[i].s - 1.0) / sqrt(cases[i].var);

        plk_fit_mann_kendall(cases[i].y, cases[i].n, &s, &z, &p, scratch);
        ASSERT_NEAR(cases[i].name, s, cases[i].s, 0.0);
        ASSERT_NEAR(cases[i].name, z, want_z, 1e-12);
        ASSERT_NEAR(cases[i].name, p, cases[i].p, 1e-12);
        free(scratch);
    }
}

static void
test_fit__normal_p(void **state)
{
    static const struct {
        double z;
        double p;
        double tol;
    } cases[] = {
        {0.0, 1.0, 0.0},
        {1.959964, 0.05, 1e-6},
        {-1.959964, 0.05, 1e-6},
        {2.575829, 0.01, 1e-6},
        {1.0, 0.31731050786291415, 1e-12},
        {40.0, 0.0, 1e-300},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        ASSERT_NEAR("normal_p", plk_fit_normal_p(cases[i].z), cases[i].p,
                    cases[i].tol);
    }
}

static void
test_fit__series_fields(void **state)
{
    int64_t y[10];
    plk_fit_params params = trend_params();
    plk_fit fit;
    size_t k;

    for (k = 0; k < ARRAY_LEN(y); k++) {
        y[k] = 7 + 3 * (int64_t)k;
    }
    memset(&fit, 0xff, sizeof(fit));
    fit_or_fail(&fit, y, ARRAY_LEN(y), &params);
    assert_int_equal(fit.n, 10);
    ASSERT_NEAR("slope", fit.slope, 3.0, 0.0);
    ASSERT_NEAR("intercept", fit.intercept, 7.0, 0.0);
    ASSERT_NEAR("late_slope", fit.late_slope, 3.0, 0.0);
    ASSERT_NEAR("mk_s", fit.mk_s, 45.0, 0.0);
    ASSERT_NEAR("mk_z", fit.mk_z, 44.0 / sqrt(125.0), 1e-12);
    ASSERT_NEAR("mk_p", fit.mk_p, 8.303070332644999e-05, 1e-12);
    assert_int_equal(fit.net, 27);
    assert_int_equal(fit.all_zero, 0);
    assert_int_equal(fit.verdict, PLK_VERDICT_LEAK);
}

static void
fill_zeros(int64_t *y, size_t n)
{
    memset(y, 0, n * sizeof(*y));
}

static void
fill_constant(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = 4096;
    }
}

static void
fill_plus3(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = 3 * (int64_t)i;
    }
}

static void
fill_plus1(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (int64_t)i;
    }
}

/* One block leaked every third round, counted cumulatively; the phase
 * decides whether the last sample lands just before or after a step. */
static void
fill_every3(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (int64_t)(i / 3);
    }
}

static void
fill_every3_phase1(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (int64_t)((i + 1) / 3);
    }
}

static void
fill_every3_phase2(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (int64_t)((i + 2) / 3);
    }
}

/* A cache that fills over five rounds and then holds its size. */
static void
fill_bounded_cache(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = 10 * (int64_t)(i < 5 ? i : 5);
    }
}

static void
fill_early_step(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = i == 0 ? 0 : 5;
    }
}

static void
fill_decreasing(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = 100 - 4 * (int64_t)i;
    }
}

static void
fill_noise(int64_t *y, size_t n)
{
    uint32_t seed = 12345;
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (lcg_next(&seed) >> 16) & 1 ? 101 : 99;
    }
}

/* Flat for 22 of 30 rounds, then +1 a round: too few rising pairs to move
 * the median slope, but the last third is clearly growing. */
static void
fill_late_growth(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = i > 21 ? (int64_t)i - 21 : 0;
    }
}

/* +1 every fifth round: a real trend, but 0.2 a round is below the floor. */
static void
fill_below_floor(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (int64_t)(i / 5);
    }
}

static void
fill_middle_step(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = i < n / 2 ? 3 : 4;
    }
}

/* Threads that outlive their join() by a moment: the count goes up and
 * down around a level (deltas 0 1 0 -1 1 -1 1 0). */
static void
fill_oscillating(int64_t *y, size_t n)
{
    static const int64_t v[] = {0, 0, 1, 1, 0, 1, 0, 1, 1};
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = v[i % 9];
    }
}

/* A leak of one per round with one round where a descriptor was also
 * closed: the trend is still significant. */
static void
fill_leak_with_dip(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (int64_t)i - (i >= 4 ? 2 : 0);
    }
}

static void
fill_descending(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = 20 - (int64_t)i;
    }
}

/* One descriptor opened in the final round and still open. */
static void
fill_last_step(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = i + 1 == n ? 1 : 0;
    }
}

static void
fill_squares(int64_t *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        y[i] = (int64_t)(i * i);
    }
}

static void
fill_two_points(int64_t *y, size_t n)
{
    y[0] = 0;
    y[1] = 5;
}

typedef struct verdict_case {
    const char *name;
    void (*fill)(int64_t *y, size_t n);
    size_t n;
    plk_verdict want;
    double slope;
    double late_slope;
} verdict_case;

static void
check_verdicts(const verdict_case *cases, size_t count,
               const plk_fit_params *params)
{
    size_t i;

    for (i = 0; i < count; i++) {
        int64_t y[64];
        plk_fit fit;

        assert_true(cases[i].n <= ARRAY_LEN(y));
        cases[i].fill(y, cases[i].n);
        fit_or_fail(&fit, y, cases[i].n, params);
        if (fit.verdict != cases[i].want) {
            fail_msg("%s: verdict %s, want %s (slope %g, late %g, p %g)",
                     cases[i].name, plk_verdict_name(fit.verdict),
                     plk_verdict_name(cases[i].want), fit.slope,
                     fit.late_slope, fit.mk_p);
        }
        ASSERT_NEAR(cases[i].name, fit.slope, cases[i].slope, 1e-12);
        ASSERT_NEAR(cases[i].name, fit.late_slope, cases[i].late_slope, 1e-12);
    }
}

static void
test_fit__trend_verdicts(void **state)
{
    /* clang-format off */
    static const verdict_case cases[] = {
        {"all zeros", fill_zeros, 10, PLK_VERDICT_CLEAN, 0.0, 0.0},
        {"constant", fill_constant, 10, PLK_VERDICT_CLEAN, 0.0, 0.0},
        {"+3 a round", fill_plus3, 10, PLK_VERDICT_LEAK, 3.0, 3.0},
        {"every third round", fill_every3, 12, PLK_VERDICT_LEAK, 1.0 / 3,
         1.0 / 3},
        {"every third round, phase 1", fill_every3_phase1, 12,
         PLK_VERDICT_LEAK, 1.0 / 3, 1.0 / 3},
        {"every third round, phase 2", fill_every3_phase2, 12,
         PLK_VERDICT_LEAK, 1.0 / 3, 1.0 / 3},
        {"bounded cache", fill_bounded_cache, 26, PLK_VERDICT_CLEAN, 0.0,
         0.0},
        {"single early step", fill_early_step, 12, PLK_VERDICT_CLEAN, 0.0,
         0.0},
        {"decreasing", fill_decreasing, 12, PLK_VERDICT_CLEAN, -4.0, -4.0},
        {"noise", fill_noise, 40, PLK_VERDICT_CLEAN, 0.0, 2.0 / 13},
        {"growth in the last third", fill_late_growth, 30,
         PLK_VERDICT_SUSPICIOUS, 0.0, 8.0 / 9},
        {"below the floor", fill_below_floor, 20, PLK_VERDICT_CLEAN,
         2.0 / 11, 1.0 / 6},
        /* Rising every round, but five samples cannot reach p < 0.01. */
        {"too short to be significant", fill_plus1, 5,
         PLK_VERDICT_SUSPICIOUS, 1.0, 1.0},
        /* Five samples: the late window is its minimum of two rounds. */
        {"short, accelerating", fill_squares, 5, PLK_VERDICT_SUSPICIOUS,
         4.0, 6.0},
        {"two points", fill_two_points, 2, PLK_VERDICT_SUSPICIOUS, 5.0,
         5.0},
    };
    /* clang-format on */
    plk_fit_params params = trend_params();

    check_verdicts(cases, ARRAY_LEN(cases), &params);
}

static void
test_fit__sustained_verdicts(void **state)
{
    static const verdict_case cases[] = {
        {"+1 a round", fill_plus1, 10, PLK_VERDICT_LEAK, 1.0, 1.0},
        {"one step in the middle", fill_middle_step, 10,
         PLK_VERDICT_SUSPICIOUS, 0.125, 0.0},
        {"one step at the end", fill_last_step, 10, PLK_VERDICT_SUSPICIOUS,
         0.0, 1.0 / 3},
        {"zeros", fill_zeros, 10, PLK_VERDICT_CLEAN, 0.0, 0.0},
        {"descending", fill_descending, 10, PLK_VERDICT_CLEAN, -1.0, -1.0},
    };
    static const verdict_case with_drops[] = {
        {"up and down around a level", fill_oscillating, 9,
         PLK_VERDICT_SUSPICIOUS, 0.0, 0.5},
        {"leak with one dip", fill_leak_with_dip, 12, PLK_VERDICT_LEAK, 1.0,
         1.0},
    };
    /* The floor is for noisy metrics; a counted resource that only grows
     * must be judged the same whatever floor and significance are. */
    plk_fit_params params = {PLK_JUDGE_SUSTAINED, 1000.0, 1e-12, 0.5};
    /* A series that also drops needs a significant trend. */
    plk_fit_params usual = {PLK_JUDGE_SUSTAINED, 1000.0, 0.01, 0.5};

    check_verdicts(cases, ARRAY_LEN(cases), &params);
    check_verdicts(with_drops, ARRAY_LEN(with_drops), &usual);
}

/* A series given by its per-round deltas (y[0] = 0), a pattern repeated
 * to fill n rounds, judged with the usual floor. */
typedef struct growth_case {
    const char *name;
    int64_t deltas[32];
    size_t period;     /* deltas repeat with this period */
    size_t rounds;     /* n - 1 */
    size_t flat_after; /* deltas are 0 from this round on (0: never) */
    unsigned long k;   /* calls per round */
    unsigned long before;
    plk_verdict want;
    int saturated;
    int irregular;
    int persisted;
} growth_case;

static void
check_growth(const growth_case *cases, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        const growth_case *c = &cases[i];
        plk_fit_params params = trend_params();
        int64_t y[129];
        plk_fit fit;
        size_t r;

        assert_true(c->rounds < ARRAY_LEN(y) && c->period > 0 &&
                    c->period <= ARRAY_LEN(c->deltas));
        y[0] = 0;
        for (r = 1; r <= c->rounds; r++) {
            int64_t d = c->deltas[(r - 1) % c->period];

            if (c->flat_after != 0 && r > c->flat_after) {
                d = 0;
            }
            y[r] = y[r - 1] + d;
        }
        params.calls_per_round = c->k;
        params.calls_before = c->before;
        params.persist_calls = 2048;
        fit_or_fail(&fit, y, c->rounds + 1, &params);
        if (fit.verdict != c->want || fit.saturated != c->saturated ||
            fit.irregular != c->irregular || fit.persisted != c->persisted) {
            fail_msg("%s: verdict %s, want %s; saturated %d/%d, irregular "
                     "%d/%d, persisted %d/%d (slope %g, late %g, p %g, "
                     "rises %zu, wait %zu, quiet %zu, drawdown %g)",
                     c->name, plk_verdict_name(fit.verdict),
                     plk_verdict_name(c->want), fit.saturated, c->saturated,
                     fit.irregular, c->irregular, fit.persisted, c->persisted,
                     fit.slope, fit.late_slope, fit.mk_p, fit.rises,
                     fit.longest_wait, fit.quiet, fit.drawdown);
        }
    }
}

static void
test_fit__bounded_growth(void **state)
{
    /* clang-format off */
    static const growth_case cases[] = {
        /* A full lru_cache churning on random keys: the object deltas of
         * a real run, once judged a leak of 2.12 objects per call. */
        {"full cache churning",
         {0, -21, 0, 0, 0, 0, 0, 15, 0, 0, 6, 0, 0, 6, 3, 0}, 16, 16, 0,
         8, 400, PLK_VERDICT_SUSPICIOUS, 0, 1, 0},
        /* The same, called on: it keeps moving around its level. */
        {"full cache churning, longer",
         {0, -21, 0, 0, 0, 0, 0, 15, 0, 0, 6, 0, 0, 6, 3, 0,
          0, -6, 0, 0, -9, 0, 0, 0, 4, 0, -2, 0, 0, 0, 4, 0}, 32, 128, 0,
         8, 400, PLK_VERDICT_CLEAN, 1, 1, 0},
        /* An error log capped at 100 entries, two calls a round, four
         * blocks a call: full after 43 rounds, flat for the last third. */
        {"cache capped at 100, full", {4}, 1, 64, 43, 2, 10,
         PLK_VERDICT_CLEAN, 1, 0, 0},
        /* Full only 8 rounds ago: still a leak by its trend, but one
         * that has not persisted, so the test gets more calls. */
        {"cache capped at 100, just full", {4}, 1, 64, 56, 2, 10,
         PLK_VERDICT_LEAK, 0, 0, 0},
        /* The same error log, never capped: steady, but 138 calls cannot
         * tell it from a cache of 1,024 entries. */
        {"one entry per call, 138 calls", {4}, 1, 64, 0, 2, 10,
         PLK_VERDICT_LEAK, 0, 0, 0},
        {"one entry per call, 2,058 calls", {128}, 1, 64, 0, 32, 10,
         PLK_VERDICT_LEAK, 0, 0, 1},
        /* Free lists filling one size class at a time: growth falling
         * round after round, then none. */
        {"size classes filling",
         {30, 21, 15, 11, 8, 6, 4, 3, 2, 2, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0,
          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 32, 32, 0, 100, 300,
         PLK_VERDICT_CLEAN, 1, 0, 1},
        /* Still filling its last classes: slowing, so not a leak yet. */
        {"size classes, still filling",
         {30, 21, 15, 11, 8, 6, 4, 3, 2, 2, 1, 1, 1, 0, 1, 1}, 16, 16, 0,
         100, 300, PLK_VERDICT_SUSPICIOUS, 0, 0, 0},
        /* A leak every 50th call at 100 calls a round: two a round. */
        {"every 50th call, 100 calls a round", {2}, 1, 24, 0, 100, 300,
         PLK_VERDICT_LEAK, 0, 0, 1},
        /* At 25 calls a round: one step every other round. */
        {"every 50th call, 25 calls a round", {0, 1}, 2, 64, 0, 25, 500,
         PLK_VERDICT_LEAK, 0, 0, 1},
        /* At 2 calls a round one step in 25 rounds is below the floor;
         * the rounds get more calls only while the verdict is open. */
        {"every 50th call, 2 calls a round",
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          0, 0, 0, 1}, 25, 64, 0, 2, 10, PLK_VERDICT_CLEAN, 0, 0, 0},
        {"every third call, one call a round", {0, 0, 1}, 3, 63, 0, 1, 5,
         PLK_VERDICT_LEAK, 0, 0, 0},
        {"every third call, 32 calls a round", {11, 10, 11}, 3, 64, 0, 32,
         5, PLK_VERDICT_LEAK, 0, 0, 1},
        /* Growth that pauses and resumes at its own pace is a leak... */
        {"leak with plateaus", {3, 3, 3, 3, 0, 0, 0, 0}, 8, 64, 0, 100, 300,
         PLK_VERDICT_LEAK, 0, 0, 1},
        /* ...but a plateau as long as the growth before it, and twice
         * any pause, is a cache that filled. */
        {"growth then a long plateau", {3, 3, 3, 3, 0, 0, 0, 0}, 8, 64, 24,
         100, 300, PLK_VERDICT_CLEAN, 1, 0, 1},
        /* One step: the state a first call leaves behind. */
        {"one-off step, early", {0, 0, 0, 5}, 4, 40, 4, 100, 300,
         PLK_VERDICT_CLEAN, 1, 0, 1},
        /* A step halfway is significant, but needs as long again flat. */
        {"one-off step, halfway",
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}, 11, 20, 11, 100, 300,
         PLK_VERDICT_SUSPICIOUS, 0, 0, 1},
        {"one-off step, halfway, called on",
         {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}, 11, 40, 11, 100, 300,
         PLK_VERDICT_CLEAN, 1, 0, 1},
        /* A leak under churn: the growth outruns the falls. */
        {"leak under churn", {5, 5, -6, 9, 5, 3, -4, 8}, 8, 48, 0, 100,
         300, PLK_VERDICT_LEAK, 0, 0, 1},
    };
    /* clang-format on */

    check_growth(cases, ARRAY_LEN(cases));
}

static void
test_fit__usage_errors(void **state)
{
    int64_t y[4] = {0, 1, 2, 3};
    plk_fit_params params = trend_params();
    double *scratch = new_scratch(ARRAY_LEN(y));
    plk_fit fit;

    assert_int_equal(plk_fit_series(NULL, y, 4, &params, scratch), PLK_EUSAGE);
    assert_int_equal(plk_fit_series(&fit, NULL, 4, &params, scratch),
                     PLK_EUSAGE);
    assert_int_equal(plk_fit_series(&fit, y, 4, NULL, scratch), PLK_EUSAGE);
    assert_int_equal(plk_fit_series(&fit, y, 4, &params, NULL), PLK_EUSAGE);
    assert_int_equal(plk_fit_series(&fit, y, 0, &params, scratch), PLK_EUSAGE);
    assert_int_equal(plk_fit_series(&fit, y, 1, &params, scratch), PLK_EUSAGE);
    assert_int_equal(plk_fit_series(&fit, y, 4, &params, scratch), 0);
    free(scratch);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit__verdict_name),
        cmocka_unit_test(test_fit__scratch_size),
        cmocka_unit_test(test_fit__median),
        cmocka_unit_test(test_fit__median_large),
        cmocka_unit_test(test_fit__theil_sen_line),
        cmocka_unit_test(test_fit__theil_sen_outlier),
        cmocka_unit_test(test_fit__theil_sen_short),
        cmocka_unit_test(test_fit__mann_kendall_increasing),
        cmocka_unit_test(test_fit__mann_kendall_decreasing),
        cmocka_unit_test(test_fit__mann_kendall_constant),
        cmocka_unit_test(test_fit__mann_kendall_ties),
        cmocka_unit_test(test_fit__normal_p),
        cmocka_unit_test(test_fit__series_fields),
        cmocka_unit_test(test_fit__trend_verdicts),
        cmocka_unit_test(test_fit__sustained_verdicts),
        cmocka_unit_test(test_fit__bounded_growth),
        cmocka_unit_test(test_fit__usage_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
