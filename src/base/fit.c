/* Robust growth fits (Theil-Sen, Mann-Kendall) and the leak verdict. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/fit.h"

const char *
plk_verdict_name(plk_verdict v)
{
    switch (v) {
    case PLK_VERDICT_CLEAN:
        return "clean";
    case PLK_VERDICT_SUSPICIOUS:
        return "suspicious";
    case PLK_VERDICT_LEAK:
        return "leak";
    }
    return "?";
}

size_t
plk_fit_scratch_size(size_t n)
{
    size_t half;

    if (n < 2) {
        return 1;
    }
    /* Halve the even factor first so the product overflows only when the
     * result itself would; saturating then makes the caller's allocation
     * fail instead of handing the fit a buffer that is too small. */
    if (n % 2 == 0) {
        half = n / 2;
        if (half > (SIZE_MAX - n) / (n - 1)) {
            return SIZE_MAX;
        }
        return half * (n - 1) + n;
    }
    half = (n - 1) / 2;
    if (half > (SIZE_MAX - n) / n) {
        return SIZE_MAX;
    }
    return half * n + n;
}

static void
swap_double(double *a, double *b)
{
    double t = *a;

    *a = *b;
    *b = t;
}

static double
median_of_three(double a, double b, double c)
{
    if (a < b) {
        if (b < c) {
            return b;
        }
        return a < c ? c : a;
    }
    if (a < c) {
        return a;
    }
    return b < c ? c : b;
}

/* Quickselect with a three-way partition: the pairwise slopes of a steady
 * leak are mostly equal, and a two-way partition degrades to quadratic time
 * on runs of equal keys. Returns the k-th smallest of v[0..n-1] and leaves
 * everything below index k no larger than it. */
static double
select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0;
    size_t hi = n;

    while (hi - lo > 1) {
        double pivot =
            median_of_three(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]);
        size_t lt = lo;
        size_t i = lo;
        size_t gt = hi;

        /* Invariant: v[lo..lt) < pivot, v[lt..i) == pivot,
         * v[gt..hi) > pivot. */
        while (i < gt) {
            if (v[i] < pivot) {
                swap_double(&v[lt], &v[i]);
                lt++;
                i++;
            }
            else if (v[i] > pivot) {
                gt--;
                swap_double(&v[i], &v[gt]);
            }
            else {
                i++;
            }
        }
        if (k < lt) {
            hi = lt;
        }
        else if (k >= gt) {
            lo = gt;
        }
        else {
            return pivot;
        }
    }
    return v[k];
}

double
plk_fit_median(double *v, size_t n)
{
    size_t k;
    double upper;
    double lower;
    size_t i;

    if (n == 0) {
        return 0.0;
    }
    k = n / 2;
    upper = select_kth(v, n, k);
    if (n % 2 == 1) {
        return upper;
    }
    /* Selection left the lower half below index k, so its largest element
     * is the other middle value. */
    lower = v[0];
    for (i = 1; i < k; i++) {
        if (v[i] > lower) {
            lower = v[i];
        }
    }
    return lower + (upper - lower) / 2.0;
}

double
plk_fit_theil_sen(const int64_t *y, size_t n, double *scratch)
{
    size_t i;
    size_t j;
    size_t count = 0;

    if (n < 2) {
        return 0.0;
    }
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            /* Subtract in double: an int64 difference can overflow. */
            scratch[count++] = ((double)y[j] - (double)y[i]) / (double)(j - i);
        }
    }
    return plk_fit_median(scratch, count);
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

void
plk_fit_mann_kendall(const int64_t *y, size_t n, double *s, double *z,
                     double *p, double *scratch)
{
    long long sum = 0;
    double var;
    double ties = 0.0;
    double nd = (double)n;
    double score = 0.0;
    double pvalue = 1.0;
    size_t i;
    size_t j;

    if (n < 2) {
        goto done;
    }
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            sum += (y[j] > y[i]) - (y[j] < y[i]);
        }
    }

    /* Tied values shrink the variance of S; sorting brings each tie group
     * together so its size can be counted. */
    for (i = 0; i < n; i++) {
        scratch[i] = (double)y[i];
    }
    qsort(scratch, n, sizeof(*scratch), compare_double);
    for (i = 0; i < n; i = j) {
        double t;

        j = i + 1;
        while (j < n && scratch[j] == scratch[i]) {
            j++;
        }
        t = (double)(j - i);
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
    }
    var = (nd * (nd - 1.0) * (2.0 * nd + 5.0) - ties) / 18.0;

    /* A series with no untied pair carries no evidence either way. */
    if (var <= 0.0) {
        goto done;
    }
    /* The continuity correction moves S one step towards zero because S
     * only takes values of one parity. */
    if (sum > 0) {
        score = ((double)sum - 1.0) / sqrt(var);
    }
    else if (sum < 0) {
        score = ((double)sum + 1.0) / sqrt(var);
    }
    pvalue = plk_fit_normal_p(score);

done:
    if (s != NULL) {
        *s = (double)sum;
    }
    if (z != NULL) {
        *z = score;
    }
    if (p != NULL) {
        *p = pvalue;
    }
}

double
plk_fit_normal_p(double z)
{
    return erfc(fabs(z) / sqrt(2.0));
}

/* The shape of the growth: where the series rises by tol (at least one
 * unit) above the level of its previous rise, the longest wait between
 * rises (counting from sample 0 to the first), the rounds since the last
 * one, and the largest fall below an earlier sample. A leak rises again
 * and again, at its own pace; a cache that has filled stops rising, and
 * one that churns falls as much as it rises. */
static void
fit_shape(plk_fit *out, const int64_t *y, size_t n, double tol)
{
    double level = (double)y[0];
    double peak = (double)y[0];
    size_t last = 0;
    size_t i;

    out->rises = 0;
    out->longest_wait = 0;
    out->drawdown = 0.0;
    for (i = 1; i < n; i++) {
        double v = (double)y[i];

        if (v > level && v - level >= tol) {
            out->rises++;
            if (i - last > out->longest_wait) {
                out->longest_wait = i - last;
            }
            last = i;
            level = v;
        }
        if (v > peak) {
            peak = v;
        }
        else if (peak - v > out->drawdown) {
            out->drawdown = peak - v;
        }
    }
    out->quiet = n - 1 - last;
}

int
plk_fit_series(plk_fit *out, const int64_t *y, size_t n,
               const plk_fit_params *params, double *scratch)
{
    size_t i;
    size_t m;
    size_t steps = 0, drops = 0;
    double late;

    if (out == NULL || y == NULL || params == NULL || scratch == NULL ||
        n < 2) {
        return PLK_EUSAGE;
    }

    out->n = n;
    out->slope = plk_fit_theil_sen(y, n, scratch);
    /* The pairwise slopes are no longer needed, so the residuals reuse the
     * front of scratch. */
    for (i = 0; i < n; i++) {
        scratch[i] = (double)y[i] - out->slope * (double)i;
    }
    out->intercept = plk_fit_median(scratch, n);
    plk_fit_mann_kendall(y, n, &out->mk_s, &out->mk_z, &out->mk_p, scratch);
    out->net = y[n - 1] - y[0];
    out->all_zero = 1;
    for (i = 1; i < n; i++) {
        if (y[i] != y[i - 1]) {
            out->all_zero = 0;
        }
        if (y[i] > y[i - 1]) {
            steps++;
        }
        else if (y[i] < y[i - 1]) {
            drops++;
        }
    }

    /* The last third tells a leak that is still growing from a cache that
     * filled early and has since levelled off. */
    m = (n - 1) / 3;
    if (m < 2) {
        m = 2;
    }
    if (m > n - 1) {
        m = n - 1;
    }
    late = (double)y[n - 1] - (double)y[n - 1 - m];
    out->late_slope = late / (double)m;

    fit_shape(out, y, n, params->floor_per_round);
    out->saturated = 0;
    out->irregular = 0;
    out->persisted = 1;

    if (out->all_zero) {
        out->verdict = PLK_VERDICT_CLEAN;
    }
    else if (params->judge == PLK_JUDGE_SUSTAINED) {
        /* Descriptors and threads come in units, so no floor applies:
         * growth in two separate rounds that is still there at the end is
         * a leak. A count that also goes down (a thread that outlives its
         * join() by a moment) must show a significant trend as well. */
        int steady =
            drops == 0 || (out->mk_s > 0.0 && out->mk_p < params->alpha);

        if (out->net > 0 && steps >= 2 && late > 0.0 && steady) {
            out->verdict = PLK_VERDICT_LEAK;
        }
        else if (out->net <= 0 && late <= 0.0) {
            out->verdict = PLK_VERDICT_CLEAN;
        }
        else {
            out->verdict = PLK_VERDICT_SUSPICIOUS;
        }
    }
    else {
        double slope = out->slope;
        int growing_now =
            out->late_slope > 0.0 &&
            out->late_slope >= params->floor_per_round &&
            (slope <= 0.0 || out->late_slope >= params->late_fraction * slope);
        int trend = out->mk_s > 0.0 && out->mk_p < params->alpha &&
                    slope > 0.0 && slope >= params->floor_per_round;

        unsigned long calls = params->calls_before +
                              (unsigned long)(n - 1) * params->calls_per_round;

        /* Growth that stopped: nothing rose over the last third of the
         * rounds, a stretch at least twice the longest wait between two
         * rises before it (a leak that grows in rare steps keeps
         * rising at its own pace). Whatever the trend, a cache filled. */
        out->saturated = out->rises > 0 && out->quiet >= m &&
                         out->quiet >= 2 * out->longest_wait;
        /* Growth over the series no larger than twice its largest fall:
         * a full cache whose content churns moves up and down around a
         * level, and its rises never outrun its falls for long. */
        out->irregular = out->drawdown > 0.0 &&
                         slope * (double)(n - 1) < 2.0 * out->drawdown;
        /* A cache capped at C entries filling one per call grows like a
         * leak for C calls: steady growth proves a leak only once the
         * test has been called persist_calls times by the last sample. */
        out->persisted =
            params->persist_calls == 0 || calls >= params->persist_calls;

        /* Either sign alone is not enough: an early trend that has
         * flattened is a filled cache, and late growth without a
         * significant trend may be warm-up that has not settled yet. */
        if (out->saturated) {
            out->verdict = PLK_VERDICT_CLEAN;
        }
        else if (trend && growing_now && !out->irregular) {
            out->verdict = PLK_VERDICT_LEAK;
        }
        else if (!trend && !growing_now) {
            out->verdict = PLK_VERDICT_CLEAN;
        }
        else {
            out->verdict = PLK_VERDICT_SUSPICIOUS;
        }
    }
    return 0;
}
