/* Result records: growth, totals and freeing. */
#include <stdlib.h>
#include <string.h>

#include "base/result.h"

const char *
plk_outcome_name(plk_outcome o)
{
    switch (o) {
    case PLK_OUTCOME_PASSED:
        return "passed";
    case PLK_OUTCOME_LEAKED:
        return "leaked";
    case PLK_OUTCOME_FAILED:
        return "failed";
    case PLK_OUTCOME_ERROR:
        return "error";
    case PLK_OUTCOME_SKIPPED:
        return "skipped";
    }
    return "?";
}

plk_suite_result *
plk_run_result_add_suite(plk_run_result *r)
{
    if (r->nsuites == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        plk_suite_result *s = realloc(r->suites, cap * sizeof(*s));
        if (s == NULL) {
            return NULL;
        }
        r->suites = s;
        r->cap = cap;
    }
    memset(&r->suites[r->nsuites], 0, sizeof(plk_suite_result));
    return &r->suites[r->nsuites++];
}

plk_test_result *
plk_suite_result_add_test(plk_suite_result *s)
{
    if (s->ntests == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        plk_test_result *t = realloc(s->tests, cap * sizeof(*t));
        if (t == NULL) {
            return NULL;
        }
        s->tests = t;
        s->cap = cap;
    }
    memset(&s->tests[s->ntests], 0, sizeof(plk_test_result));
    return &s->tests[s->ntests++];
}

static void
count(plk_totals *t, plk_outcome o)
{
    t->tests++;
    switch (o) {
    case PLK_OUTCOME_PASSED:
        t->passed++;
        break;
    case PLK_OUTCOME_LEAKED:
        t->leaked++;
        break;
    case PLK_OUTCOME_FAILED:
        t->failed++;
        break;
    case PLK_OUTCOME_ERROR:
        t->errors++;
        break;
    case PLK_OUTCOME_SKIPPED:
        t->skipped++;
        break;
    }
}

void
plk_suite_result_totals(const plk_suite_result *s, plk_totals *out)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    if (s->error_message != NULL && s->ntests == 0) {
        /* A file that failed to import counts as one error. */
        count(out, PLK_OUTCOME_ERROR);
    }
    for (i = 0; i < s->ntests; i++) {
        count(out, s->tests[i].outcome);
        out->not_repeatable +=
            (size_t)plk_test_result_not_repeatable(&s->tests[i]);
    }
}

int
plk_test_result_not_repeatable(const plk_test_result *t)
{
    return t->exc_type != NULL &&
           strcmp(t->exc_type, PLK_NOT_REPEATABLE) == 0 &&
           (t->outcome == PLK_OUTCOME_SKIPPED ||
            t->outcome == PLK_OUTCOME_FAILED);
}

void
plk_run_result_totals(const plk_run_result *r, plk_totals *out)
{
    size_t i;
    plk_totals st;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < r->nsuites; i++) {
        plk_suite_result_totals(&r->suites[i], &st);
        out->tests += st.tests;
        out->passed += st.passed;
        out->leaked += st.leaked;
        out->failed += st.failed;
        out->errors += st.errors;
        out->skipped += st.skipped;
        out->not_repeatable += st.not_repeatable;
    }
}

void
plk_test_result_free(plk_test_result *t)
{
    int m;

    if (t == NULL) {
        return;
    }
    free(t->id);
    free(t->classname);
    free(t->name);
    free(t->file);
    free(t->message);
    free(t->exc_type);
    free(t->details);
    free(t->stdout_text);
    free(t->stderr_text);
    free(t->kind);
    free(t->loc_file);
    free(t->top_site);
    free(t->diagnosis);
    free(t->note);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        free(t->metrics[m].series);
    }
    memset(t, 0, sizeof(*t));
}

void
plk_suite_result_free(plk_suite_result *s)
{
    size_t i;

    if (s == NULL) {
        return;
    }
    for (i = 0; i < s->ntests; i++) {
        plk_test_result_free(&s->tests[i]);
    }
    free(s->tests);
    free(s->name);
    free(s->file);
    free(s->timestamp);
    free(s->error_type);
    free(s->error_message);
    free(s->error_details);
    memset(s, 0, sizeof(*s));
}

void
plk_run_result_free(plk_run_result *r)
{
    size_t i;

    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->nsuites; i++) {
        plk_suite_result_free(&r->suites[i]);
    }
    free(r->suites);
    free(r->timestamp);
    memset(r, 0, sizeof(*r));
}
