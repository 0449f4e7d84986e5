/* A test's leak in words: amounts, the one-line summary, the per-metric
 * growth table. The console, the reports and the engine share them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/summary.h"
#include "base/util.h"

const char *
plk_format_amount(char *buf, size_t size, double value, const char *unit)
{
    double a = fabs(value);

    if (unit != NULL && strcmp(unit, "bytes") == 0) {
        if (a >= 1024.0 * 1024.0) {
            snprintf(buf, size, "%.1f MiB", value / (1024.0 * 1024.0));
        }
        else if (a >= 1024.0) {
            snprintf(buf, size, "%.1f KiB", value / 1024.0);
        }
        else {
            snprintf(buf, size, "%.0f B", value);
        }
    }
    else if (a != 0 && a < 0.01) {
        snprintf(buf, size, "%.2g %s", value, unit ? unit : "");
    }
    else {
        snprintf(buf, size, "%.2f %s", value, unit ? unit : "");
    }
    return buf;
}

char *
plk_leak_summary(const plk_test_result *t)
{
    plk_buf b = {0};
    const char *sep = "leaks ";
    int m;

    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const plk_metric_result *mr = &t->metrics[m];
        char amount[48];

        if (!mr->measured || !mr->gating ||
            mr->fit.verdict != PLK_VERDICT_LEAK) {
            continue;
        }
        plk_format_amount(amount, sizeof(amount), mr->per_call,
                          plk_metric_unit((plk_metric)m));
        plk_buf_printf(&b, "%s%s/call (%s)", sep, amount,
                       plk_metric_name((plk_metric)m));
        sep = ", ";
    }
    if (b.len == 0) {
        plk_buf_puts(&b, "leaks");
    }
    return plk_buf_detach(&b);
}

char *
plk_leak_details(const plk_test_result *t)
{
    plk_buf b = {0};
    int m;

    plk_buf_printf(&b,
                   "%u warm-up rounds, then %u measured rounds of %u "
                   "call%s each; growth after every round:\n",
                   t->warmup, t->rounds, t->calls, t->calls == 1 ? "" : "s");
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const plk_metric_result *mr = &t->metrics[m];
        char amount[48];
        size_t i;

        if (!mr->measured) {
            continue;
        }
        plk_format_amount(amount, sizeof(amount), mr->per_call,
                          plk_metric_unit((plk_metric)m));
        plk_buf_printf(&b,
                       "  %-8s %-10s %s/call, slope %.4g/round, "
                       "trend p=%.2g%s\n    deltas:",
                       plk_metric_name((plk_metric)m),
                       plk_verdict_name(mr->fit.verdict), amount,
                       mr->fit.slope, mr->fit.mk_p,
                       mr->gating ? "" : " (corroborating only)");
        for (i = 1; i < mr->n; i++) {
            plk_buf_printf(&b, " %lld",
                           (long long)(mr->series[i] - mr->series[i - 1]));
        }
        plk_buf_puts(&b, "\n");
    }
    return plk_buf_detach(&b);
}
