/* Console output: progress while tests run, then leaks and a summary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/console.h"
#include "report/summary.h"
#include "base/sanitize.h"
#include "base/util.h"

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD "\033[1m"
#define C_RESET "\033[0m"

void
plk_console_init(plk_console *c, FILE *out, int color, int verbose, int quiet)
{
    memset(c, 0, sizeof(*c));
    c->out = out;
    c->color = color;
    c->verbose = verbose;
    c->quiet = quiet;
}

static const char *
col(const plk_console *c, const char *code)
{
    return c->color ? code : "";
}

/* Print user-controlled text without letting it drive the terminal. */
static void
put_safe(FILE *out, const char *s, int oneline)
{
    char *clean = plk_sanitize_str(s ? s : "", oneline);

    fputs(clean ? clean : "", out);
    free(clean);
}

void
plk_console_suite_start(plk_console *c, const plk_suite_result *s)
{
    if (c->quiet || c->verbose) {
        return;
    }
    put_safe(c->out, s->file ? s->file : s->name, 1);
    fputs(" ", c->out);
    c->line_open = 1;
    fflush(c->out);
}

static const char *
outcome_word(const plk_console *c, plk_outcome o, const char **color)
{
    switch (o) {
    case PLK_OUTCOME_PASSED:
        *color = col(c, C_GREEN);
        return "PASSED";
    case PLK_OUTCOME_LEAKED:
        *color = col(c, C_RED);
        return "LEAKED";
    case PLK_OUTCOME_FAILED:
        *color = col(c, C_RED);
        return "FAILED";
    case PLK_OUTCOME_ERROR:
        *color = col(c, C_RED);
        return "ERROR";
    case PLK_OUTCOME_SKIPPED:
        *color = col(c, C_YELLOW);
        return "SKIPPED";
    }
    *color = "";
    return "?";
}

void
plk_console_test_done(plk_console *c, const plk_test_result *t)
{
    static const char marks[] = {'.', 'L', 'F', 'E', 's'};
    const char *color;
    const char *word = outcome_word(c, t->outcome, &color);

    if (c->quiet) {
        return;
    }
    if (c->verbose) {
        put_safe(c->out, t->id, 1);
        fprintf(c->out, " %s%s%s", color, word, col(c, C_RESET));
        if (t->rounds > 0) {
            fprintf(c->out, " (%u+%u rounds x %u calls, %.2fs)", t->warmup,
                    t->rounds, t->calls, t->time);
        }
        if (t->outcome != PLK_OUTCOME_PASSED && t->message != NULL) {
            fputs(": ", c->out);
            put_safe(c->out, t->message, 1);
        }
        fputc('\n', c->out);
    }
    else {
        fprintf(c->out, "%s%c%s", color, marks[t->outcome], col(c, C_RESET));
    }
    fflush(c->out);
}

void
plk_console_suite_done(plk_console *c, const plk_suite_result *s)
{
    if (c->quiet) {
        return;
    }
    if (s->error_message != NULL) {
        if (c->verbose) {
            put_safe(c->out, s->file ? s->file : s->name, 1);
            fputc(' ', c->out);
        }
        fprintf(c->out, "%sE%s", col(c, C_RED), col(c, C_RESET));
    }
    if (c->line_open || s->error_message != NULL) {
        fputc('\n', c->out);
    }
    c->line_open = 0;
    fflush(c->out);
}

static void
section(plk_console *c, const char *title)
{
    fprintf(c->out, "\n%s== %s ==%s\n", col(c, C_BOLD), title,
            col(c, C_RESET));
}

static size_t
baseline_count(const plk_run_result *r, plk_baseline_state state)
{
    size_t i, j, n = 0;

    for (i = 0; i < r->nsuites; i++) {
        for (j = 0; j < r->suites[i].ntests; j++) {
            n += r->suites[i].tests[j].baseline == state;
        }
    }
    return n;
}

/* Known leaks that passed and baselined tests that no longer leak, so
 * the baseline can shrink. Returns 1 when there was any. */
static int
baseline_section(plk_console *c, const plk_run_result *r)
{
    size_t i, j;
    int any = 0;

    for (i = 0; i < r->nsuites; i++) {
        for (j = 0; j < r->suites[i].ntests; j++) {
            const plk_test_result *t = &r->suites[i].tests[j];
            int fixed = t->baseline == PLK_BASELINE_FIXED;

            if (t->baseline != PLK_BASELINE_KNOWN && !fixed) {
                continue;
            }
            if (!any++) {
                section(c, "baseline");
            }
            fprintf(c->out, "%s%s%s ", col(c, fixed ? C_GREEN : C_YELLOW),
                    fixed ? "FIXED" : "KNOWN", col(c, C_RESET));
            put_safe(c->out, t->id, 1);
            fputs(": ", c->out);
            if (!fixed && t->message != NULL) {
                put_safe(c->out, t->message, 1);
                fputs("; ", c->out);
            }
            put_safe(c->out, t->note, 1);
            fputc('\n', c->out);
        }
    }
    return any;
}

void
plk_console_summary(plk_console *c, const plk_run_result *r)
{
    plk_totals tot;
    size_t i, j;
    size_t known = 0, fixed = 0, nr_skipped;
    size_t hidden = 0; /* reports whose detail the console left out */
    int any = 0;
    const char *sep = "";

    plk_run_result_totals(r, &tot);
    /* Failures and errors first, with their tracebacks. */
    for (i = 0; i < r->nsuites; i++) {
        const plk_suite_result *s = &r->suites[i];

        if (s->error_message != NULL) {
            if (!any++) {
                section(c, "failures and errors");
            }
            fprintf(c->out, "%sERROR%s ", col(c, C_RED), col(c, C_RESET));
            put_safe(c->out, s->file ? s->file : s->name, 1);
            fputs(": ", c->out);
            put_safe(c->out, s->error_message, 1);
            fputc('\n', c->out);
            if (c->verbose && s->error_details && *s->error_details) {
                put_safe(c->out, s->error_details, 0);
            }
            hidden += s->error_details != NULL && *s->error_details;
        }
        for (j = 0; j < s->ntests; j++) {
            const plk_test_result *t = &s->tests[j];
            const char *color;
            const char *word;

            if (t->outcome != PLK_OUTCOME_FAILED &&
                t->outcome != PLK_OUTCOME_ERROR) {
                continue;
            }
            if (!any++) {
                section(c, "failures and errors");
            }
            word = outcome_word(c, t->outcome, &color);
            fprintf(c->out, "%s%s%s ", color, word, col(c, C_RESET));
            put_safe(c->out, t->id, 1);
            if (!c->verbose && t->line > 0) {
                fprintf(c->out, " (line %ld)", t->line);
            }
            fputs(": ", c->out);
            put_safe(c->out, t->message, 1);
            fputc('\n', c->out);
            if (c->verbose && t->details && *t->details) {
                put_safe(c->out, t->details, 0);
            }
            hidden += t->details != NULL && *t->details;
        }
    }
    if (tot.leaked > 0) {
        section(c, "leaks");
        for (i = 0; i < r->nsuites; i++) {
            for (j = 0; j < r->suites[i].ntests; j++) {
                const plk_test_result *t = &r->suites[i].tests[j];

                if (t->outcome != PLK_OUTCOME_LEAKED) {
                    continue;
                }
                fprintf(c->out, "%sLEAK%s ", col(c, C_RED), col(c, C_RESET));
                if (t->kind != NULL && *t->kind) {
                    put_safe(c->out, t->kind, 1);
                    fputc(' ', c->out);
                }
                put_safe(c->out, t->id, 1);
                if (t->line > 0) {
                    fprintf(c->out, " (line %ld)", t->line);
                }
                fputs(": ", c->out);
                put_safe(c->out, t->message, 1);
                fputc('\n', c->out);
                if (c->verbose && t->details && *t->details) {
                    put_safe(c->out, t->details, 0);
                }
                hidden += t->details != NULL && *t->details;
            }
        }
    }
    if (tot.not_repeatable > 0) {
        /* Those that fail the run are among the failures above. */
        int head = 0;

        for (i = 0; i < r->nsuites; i++) {
            for (j = 0; j < r->suites[i].ntests; j++) {
                const plk_test_result *t = &r->suites[i].tests[j];

                if (t->outcome != PLK_OUTCOME_SKIPPED ||
                    !plk_test_result_not_repeatable(t)) {
                    continue;
                }
                if (!head++) {
                    section(c, "not repeatable");
                }
                fprintf(c->out, "%sNOT REPEATABLE%s ", col(c, C_YELLOW),
                        col(c, C_RESET));
                put_safe(c->out, t->id, 1);
                fputs(": ", c->out);
                put_safe(c->out, t->message, 1);
                fputc('\n', c->out);
            }
        }
    }
    /* One line per problem keeps a run readable; the fit, the
     * diagnosis and the tracebacks are one -v (or one report) away. */
    if (hidden > 0 && !c->verbose) {
        fprintf(c->out,
                "(tracebacks, growth per round and diagnoses: run with "
                "-v, or see the --junit-xml, --json or --html report)\n");
    }
    if (baseline_section(c, r)) {
        known = baseline_count(r, PLK_BASELINE_KNOWN);
        fixed = baseline_count(r, PLK_BASELINE_FIXED);
    }
    fputc('\n', c->out);
    fputs(col(c, (tot.leaked || tot.failed || tot.errors) ? C_RED : C_GREEN),
          c->out);
    fputs("== ", c->out);
#define PART(n, word)                                                         \
    if ((n) > 0) {                                                            \
        fprintf(c->out, "%s%zu %s", sep, (size_t)(n), word);                  \
        sep = ", ";                                                           \
    }
    PART(tot.leaked, "leaked");
    PART(tot.failed, "failed");
    PART(tot.errors, tot.errors == 1 ? "error" : "errors");
    PART(tot.passed, "passed");
    /* Not repeatable tests are skips (or failures) of their own kind. */
    nr_skipped = 0;
    for (i = 0; i < r->nsuites; i++) {
        for (j = 0; j < r->suites[i].ntests; j++) {
            const plk_test_result *t = &r->suites[i].tests[j];

            nr_skipped += t->outcome == PLK_OUTCOME_SKIPPED &&
                          plk_test_result_not_repeatable(t);
        }
    }
    PART(tot.skipped - nr_skipped, "skipped");
    PART(nr_skipped, "not repeatable");
    PART(known, known == 1 ? "known leak" : "known leaks");
    PART(fixed, "fixed");
#undef PART
    if (tot.tests == 0) {
        fputs("no tests collected", c->out);
    }
    fprintf(c->out, " in %.2fs%s ==%s\n", r->time,
            r->interrupted ? " (interrupted)" : "", col(c, C_RESET));
    fflush(c->out);
}
