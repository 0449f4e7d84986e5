/* Growth fits over a metric's series of samples, and the verdict. */
#ifndef PYLEAK_FIT_H
#define PYLEAK_FIT_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PLK_VERDICT_CLEAN,
    PLK_VERDICT_SUSPICIOUS,
    PLK_VERDICT_LEAK
} plk_verdict;

const char *plk_verdict_name(plk_verdict v);

/* How a metric's series is judged. */
typedef enum {
    /* Steady growth: significant monotonic trend, robust slope above the
     * floor, and still growing over the last third. */
    PLK_JUDGE_TREND,
    /* Counted resources (descriptors, threads): any change that persists
     * to the end of the series is a leak. */
    PLK_JUDGE_SUSTAINED
} plk_judge;

typedef struct plk_fit_params {
    plk_judge judge;
    /* Growth per round below which a trend is noise, in metric units. */
    double floor_per_round;
    /* Significance level of the Mann-Kendall test (two-sided p-value). */
    double alpha;
    /* The late part of the series must still grow at least this fraction
     * of the overall slope (plateau check). */
    double late_fraction;
    /* Persistence (trend judge): a bounded cache that fills one entry per
     * call looks like a leak until it is full, so growth only proves a
     * leak once the test has been called persist_calls times in all by
     * the last sample: calls_before calls before the first sample, then
     * calls_per_round per round. persist_calls 0: no such proof asked. */
    unsigned long calls_per_round;
    unsigned long calls_before;
    unsigned long persist_calls;
} plk_fit_params;

typedef struct plk_fit {
    size_t n;          /* number of samples fitted */
    double slope;      /* Theil-Sen slope, units per round */
    double intercept;  /* median of y - slope * x */
    double late_slope; /* growth per round over the last third */
    double mk_s;       /* Mann-Kendall S */
    double mk_z;       /* normal score of S, continuity-corrected */
    double mk_p;       /* two-sided p-value */
    int64_t net;       /* y[n-1] - y[0] */
    int all_zero;      /* every delta is zero */
    /* Rises: rounds where the series first reaches the floor above the
     * level of the rise before (sample 0 to start with). */
    size_t rises;        /* how many */
    size_t longest_wait; /* most rounds from one rise (or 0) to the next */
    size_t quiet;        /* rounds since the last rise (or since 0) */
    double drawdown;     /* largest fall below an earlier sample */
    int saturated;       /* growth that stopped: see plk_fit_series */
    int irregular;       /* growth no larger than the falls around it */
    int persisted;       /* the series reaches params->persist_calls */
    plk_verdict verdict;
} plk_fit;

/* Scratch doubles plk_fit_series needs for n samples. */
size_t plk_fit_scratch_size(size_t n);

/* Fit y[0..n-1] (one sample per round, rounds equally spaced) and judge it
 * with params. With the trend judge, growth that stopped (saturated) is
 * clean whatever the trend; growth no larger than twice the largest fall
 * (irregular: a full cache churning) is at most suspicious; a leak that
 * has not persisted has persisted == 0, and more calls may clear it.
 * scratch must hold plk_fit_scratch_size(n) doubles; the fit allocates
 * nothing. Returns 0, or PLK_EUSAGE when n < 2 or an argument is
 * NULL. */
int plk_fit_series(plk_fit *out, const int64_t *y, size_t n,
                   const plk_fit_params *params, double *scratch);

/* Building blocks, exposed for tests. */
/* Theil-Sen slope of y over x = 0..n-1 (median pairwise slope). */
double plk_fit_theil_sen(const int64_t *y, size_t n, double *scratch);
/* Mann-Kendall S, variance with the tie correction, z and p. */
void plk_fit_mann_kendall(const int64_t *y, size_t n, double *s, double *z,
                          double *p, double *scratch);
/* Two-sided p-value of a standard normal score. */
double plk_fit_normal_p(double z);
/* Median of v[0..n-1]; reorders v. */
double plk_fit_median(double *v, size_t n);

#endif
