/* Fuzz target: the baseline reader (report/baseline.c), the input being
 * the file's text.
 *
 * A baseline that loads must hold entries pyleak-ci can judge with (a
 * test id, a known metric, a finite amount >= 0, a reason, the line of
 * its [[leak]]), and must survive --update-baseline's writer: written
 * back and read again it gives the same entries, the amounts to the 4
 * digits the writer keeps. A failure must name the file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/baseline.h"

#include "fuzz.h"

static int
entry_cmp(const void *a, const void *b)
{
    const plk_baseline_entry *x = a;
    const plk_baseline_entry *y = b;
    int c = strcmp(x->test, y->test);

    return c != 0 ? c : (int)x->metric - (int)y->metric;
}

static void
check_entries(const plk_baseline *b, int lines)
{
    size_t i;

    FUZZ_CHECK(b->n <= b->cap, "count past capacity");
    FUZZ_CHECK(b->dir != NULL && b->dir[0] == '/', "folder not absolute");
    for (i = 0; i < b->n; i++) {
        const plk_baseline_entry *e = &b->entries[i];

        FUZZ_CHECK(e->test != NULL && e->reason != NULL,
                   "entry %zu without test or reason", i);
        FUZZ_CHECK((int)e->metric >= 0 && e->metric < PLK_METRIC__COUNT,
                   "entry %zu: metric %d", i, (int)e->metric);
        FUZZ_CHECK(isfinite(e->per_call) && e->per_call >= 0,
                   "entry %zu: per-call %g", i, e->per_call);
        FUZZ_CHECK(e->line >= 1 && e->line <= lines,
                   "entry %zu at line %d of %d", i, e->line, lines);
    }
}

/* --update-baseline writes what it read; the file must read back. */
static void
check_round_trip(const plk_baseline *b)
{
    const char *path = fuzz_write_file("written.toml", NULL, 0);
    plk_baseline again = {0};
    plk_baseline_entry *sorted = NULL;
    plk_error err = {0};
    size_t i;
    int rc;

    rc = plk_baseline_write(b, path, &err);
    FUZZ_CHECK(rc == 0, "cannot write the baseline back: %s", err.message);
    rc = plk_baseline_load(&again, path, 0, &err);
    FUZZ_CHECK(rc == 0, "the written baseline does not load: %s", err.message);
    FUZZ_CHECK(again.n == b->n, "%zu entries written, %zu read back", b->n,
               again.n);
    if (b->n > 0) {
        sorted = malloc(b->n * sizeof(*sorted));
        FUZZ_CHECK(sorted != NULL, "out of memory");
        memcpy(sorted, b->entries, b->n * sizeof(*sorted));
        qsort(sorted, b->n, sizeof(*sorted), entry_cmp);
    }
    for (i = 0; i < b->n; i++) {
        const plk_baseline_entry *x = &sorted[i];
        const plk_baseline_entry *y = &again.entries[i];
        double tol = 1e-3 * x->per_call;

        FUZZ_CHECK(strcmp(x->test, y->test) == 0 && x->metric == y->metric,
                   "entry %zu reads back as another test or metric", i);
        FUZZ_CHECK(strcmp(x->reason, y->reason) == 0,
                   "entry %zu: the reason reads back differently", i);
        FUZZ_CHECK(fabs(x->per_call - y->per_call) <= tol,
                   "entry %zu: per-call %.17g reads back as %.17g", i,
                   x->per_call, y->per_call);
    }
    free(sorted);
    plk_baseline_free(&again);
    plk_error_clear(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("baseline.toml", data, size);
    plk_baseline b;
    plk_error err = {0};
    int lines = 1;
    size_t i;
    int rc;

    for (i = 0; i < size; i++) {
        lines += data[i] == '\n';
    }
    rc = plk_baseline_load(&b, path, 0, &err);
    if (rc == 0) {
        check_entries(&b, lines);
        check_round_trip(&b);
    }
    else {
        FUZZ_CHECK(rc == PLK_EUSAGE || rc == PLK_ENOMEM, "rc %d: %s", rc,
                   err.message);
        FUZZ_CHECK(err.message != NULL && strstr(err.message, path) != NULL,
                   "message does not name the file: %s", err.message);
        FUZZ_CHECK(b.entries == NULL && b.n == 0,
                   "entries left behind on failure");
    }
    plk_baseline_free(&b);
    plk_error_clear(&err);
    return 0;
}
