/* The baseline of known leaks: reading and writing its TOML file, judging
 * a run's leaks against it, and rewriting it from a run. */
#define _GNU_SOURCE 1

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/baseline.h"
#include "base/path.h"
#include "report/summary.h"
#include "config/toml.h"
#include "base/util.h"

void
plk_baseline_free(plk_baseline *b)
{
    size_t i;

    if (b == NULL) {
        return;
    }
    for (i = 0; i < b->n; i++) {
        free(b->entries[i].test);
        free(b->entries[i].reason);
    }
    free(b->entries);
    free(b->path);
    free(b->dir);
    memset(b, 0, sizeof(*b));
}

/* Takes ownership of test and reason, also on failure. */
static int
add_entry(plk_baseline *b, char *test, plk_metric m, double per_call,
          char *reason, int line)
{
    plk_baseline_entry *e;

    if (test == NULL || reason == NULL) {
        goto nomem;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        plk_baseline_entry *grown = realloc(b->entries, cap * sizeof(*grown));

        if (grown == NULL) {
            goto nomem;
        }
        b->entries = grown;
        b->cap = cap;
    }
    e = &b->entries[b->n++];
    e->test = test;
    e->metric = m;
    e->per_call = per_call;
    e->reason = reason;
    e->line = line;
    return 0;

nomem:
    free(test);
    free(reason);
    return PLK_ENOMEM;
}

static const plk_baseline_entry *
find(const plk_baseline *b, const char *test, int metric)
{
    size_t i;

    for (i = 0; b != NULL && i < b->n; i++) {
        if (strcmp(b->entries[i].test, test) == 0 &&
            (metric < 0 || (int)b->entries[i].metric == metric)) {
            return &b->entries[i];
        }
    }
    return NULL;
}

/* -- paths ---------------------------------------------------------------- */

/* An absolute path with "." and ".." resolved by text alone: test files
 * are named as the run saw them, which may not exist any more. */
static char *
normalize(const char *path)
{
    char *cwd = NULL;
    char *full;
    char *out;
    char *save = NULL;
    char *part;
    size_t len = 0;

    if (path[0] == '/') {
        full = plk_strdup(path);
    }
    else {
        cwd = getcwd(NULL, 0);
        full = cwd ? plk_asprintf("%s/%s", cwd, path) : NULL;
        free(cwd);
    }
    if (full == NULL) {
        return NULL;
    }
    out = malloc(strlen(full) + 2);
    if (out == NULL) {
        free(full);
        return NULL;
    }
    for (part = strtok_r(full, "/", &save); part != NULL;
         part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0) {
            continue;
        }
        if (strcmp(part, "..") == 0) {
            while (len > 0 && out[len - 1] != '/') {
                len--;
            }
            if (len > 0) {
                len--;
            }
            continue;
        }
        out[len++] = '/';
        memcpy(out + len, part, strlen(part));
        len += strlen(part);
    }
    if (len == 0) {
        out[len++] = '/';
    }
    out[len] = '\0';
    free(full);
    return out;
}

char *
plk_baseline_test_id(const plk_test_result *t, const char *dir)
{
    size_t n;
    char *abs, *rel, *out;

    if (t->id == NULL) {
        return plk_strdup("");
    }
    if (t->file == NULL || dir == NULL) {
        return plk_strdup(t->id);
    }
    n = strlen(t->file);
    if (strncmp(t->id, t->file, n) != 0 ||
        (t->id[n] != '\0' && strncmp(t->id + n, "::", 2) != 0)) {
        return plk_strdup(t->id);
    }
    abs = normalize(t->file);
    rel = abs ? plk_path_relative(abs, dir) : NULL;
    out = rel ? plk_asprintf("%s%s", rel, t->id + n) : NULL;
    free(abs);
    free(rel);
    return out;
}

/* -- reading -------------------------------------------------------------- */

static int bad(plk_error *err, const char *path, int line, const char *fmt,
               ...) PLK_PRINTF(4, 5);

static int
bad(plk_error *err, const char *path, int line, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = plk_vasprintf(fmt, ap);
    va_end(ap);
    plk_error_set(err, PLK_EUSAGE, "%s:%d: %s", path, line,
                  msg ? msg : "malformed baseline");
    free(msg);
    return PLK_EUSAGE;
}

static int
read_leak(plk_baseline *b, const plk_toml_value *t, int line, plk_error *err)
{
    static const char *const fields[] = {"test", "metric", "per-call",
                                         "reason"};
    const plk_toml_value *test, *metric, *per_call, *reason;
    const plk_baseline_entry *dup;
    double v;
    size_t i, j;
    int m;

    if (t->type != PLK_TOML_TABLE) {
        return bad(err, b->path, line, "leak: expected [[leak]] tables");
    }
    for (i = 0; i < t->u.tab.n; i++) {
        for (j = 0; j < 4; j++) {
            if (strcmp(t->u.tab.items[i].key, fields[j]) == 0) {
                break;
            }
        }
        if (j == 4) {
            return bad(err, b->path, t->u.tab.items[i].line,
                       "unknown key '%s' in [[leak]] (expected test, "
                       "metric, per-call and reason)",
                       t->u.tab.items[i].key);
        }
    }
    test = plk_toml_get(t, "test");
    metric = plk_toml_get(t, "metric");
    per_call = plk_toml_get(t, "per-call");
    reason = plk_toml_get(t, "reason");
    for (j = 0; j < 4; j++) {
        const plk_toml_value *field = plk_toml_get(t, fields[j]);

        if (field == NULL) {
            return bad(err, b->path, line, "[[leak]] has no %s", fields[j]);
        }
        if (j != 2 &&
            (field->type != PLK_TOML_STRING || field->u.str.len == 0)) {
            return bad(err, b->path, field->line,
                       "%s: expected a non-empty string", fields[j]);
        }
        /* "\u0000" would cut the id or reason short here, and the file
         * --update-baseline writes from it would not read back. */
        if (j != 2 && strlen(field->u.str.s) != field->u.str.len) {
            return bad(err, b->path, field->line,
                       "%s: expected a string without NUL characters "
                       "(\\u0000)",
                       fields[j]);
        }
    }
    m = plk_metric_from_name(metric->u.str.s);
    if (m < 0) {
        return bad(err, b->path, metric->line,
                   "metric: unknown metric '%s' (expected one of refs, "
                   "blocks, objects, heap, rss, fds, threads)",
                   metric->u.str.s);
    }
    if (per_call->type == PLK_TOML_INTEGER) {
        v = (double)per_call->u.i;
    }
    else if (per_call->type == PLK_TOML_FLOAT) {
        v = per_call->u.f;
    }
    else {
        return bad(err, b->path, per_call->line,
                   "per-call: expected a number, got a %s",
                   plk_toml_type_name(per_call->type));
    }
    if (!(v >= 0) || v > 1e300) {
        return bad(err, b->path, per_call->line,
                   "per-call: expected a number >= 0");
    }
    dup = find(b, test->u.str.s, m);
    if (dup != NULL) {
        return bad(err, b->path, line,
                   "%s is listed twice for %s (also at line %d)",
                   test->u.str.s, metric->u.str.s, dup->line);
    }
    if (add_entry(b, plk_strdup(test->u.str.s), (plk_metric)m, v,
                  plk_strdup(reason->u.str.s), line) != 0) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    return 0;
}

int
plk_baseline_load(plk_baseline *out, const char *path, int missing_ok,
                  plk_error *err)
{
    plk_toml_value *root = NULL;
    const plk_toml_value *version, *leaks;
    struct stat st;
    char *slash;
    char *folder = NULL;
    size_t i;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->path = plk_strdup(path);
    slash = strrchr(path, '/');
    folder = slash == NULL   ? plk_strdup(".")
             : slash == path ? plk_strdup("/")
                             : plk_strndup(path, (size_t)(slash - path));
    if (out->path == NULL || folder == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        goto done;
    }
    out->dir = realpath(folder, NULL);
    if (out->dir == NULL) {
        rc = plk_error_set(err, PLK_EUSAGE, "baseline %s: folder %s: %s", path,
                           folder, strerror(errno));
        goto done;
    }
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && missing_ok) {
            goto done;
        }
        rc = plk_error_set(err, errno == ENOENT ? PLK_ENOTFOUND : PLK_EIO,
                           "baseline %s: %s%s", path, strerror(errno),
                           errno == ENOENT ? "; create it with "
                                             "--update-baseline"
                                           : "");
        goto done;
    }
    rc = plk_toml_parse_file(&root, path, err);
    if (rc != 0) {
        goto done;
    }
    for (i = 0; i < root->u.tab.n; i++) {
        const plk_toml_entry *e = &root->u.tab.items[i];

        if (strcmp(e->key, "version") != 0 && strcmp(e->key, "leak") != 0) {
            rc = bad(err, path, e->line,
                     "unknown key '%s' in a baseline (expected version = 1 "
                     "and [[leak]] tables)",
                     e->key);
            goto done;
        }
    }
    version = plk_toml_get(root, "version");
    if (version == NULL || version->type != PLK_TOML_INTEGER ||
        version->u.i != 1) {
        rc = bad(err, path, version ? version->line : 1,
                 "expected version = 1 (a pyleak-ci baseline written by "
                 "--update-baseline)");
        goto done;
    }
    leaks = plk_toml_get(root, "leak");
    if (leaks != NULL && leaks->type != PLK_TOML_ARRAY) {
        rc = bad(err, path, leaks->line, "leak: expected [[leak]] tables");
        goto done;
    }
    for (i = 0; leaks != NULL && i < leaks->u.arr.n; i++) {
        rc = read_leak(out, leaks->u.arr.items[i], leaks->u.arr.items[i]->line,
                       err);
        if (rc != 0) {
            goto done;
        }
    }

done:
    free(folder);
    plk_toml_free(root);
    if (rc != 0) {
        plk_baseline_free(out);
    }
    return rc;
}

/* -- judging -------------------------------------------------------------- */

static int
leaks_in(const plk_test_result *t, int m)
{
    const plk_metric_result *mr = &t->metrics[m];

    return mr->measured && mr->gating && mr->fit.verdict == PLK_VERDICT_LEAK;
}

static int
leaks_any(const plk_test_result *t)
{
    int m;

    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        if (leaks_in(t, m)) {
            return 1;
        }
    }
    return 0;
}

static int
judged(const plk_test_result *t)
{
    return t->outcome == PLK_OUTCOME_PASSED ||
           t->outcome == PLK_OUTCOME_LEAKED;
}

static void
set_note(plk_test_result *t, char *note)
{
    if (note == NULL) {
        return;
    }
    if (t->note != NULL && t->note[0] != '\0') {
        /* Keep allowances noted by the run. */
        char *both = plk_asprintf("%s; %s", t->note, note);

        if (both != NULL) {
            free(note);
            note = both;
        }
    }
    free(t->note);
    t->note = note;
}

/* "REASON" of every entry of the test, distinct, joined with "; ". */
static char *
reasons(const plk_baseline *b, const char *id)
{
    plk_buf out = {0};
    size_t i, j;

    for (i = 0; b != NULL && i < b->n; i++) {
        int seen = 0;

        if (strcmp(b->entries[i].test, id) != 0) {
            continue;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(b->entries[j].test, id) == 0 &&
                strcmp(b->entries[j].reason, b->entries[i].reason) == 0) {
                seen = 1;
            }
        }
        if (!seen) {
            plk_buf_printf(&out, "%s%s", out.len ? "; " : "",
                           b->entries[i].reason);
        }
    }
    return plk_buf_detach(&out);
}

static void
judge(const plk_baseline *b, const plk_baseline *previous, plk_test_result *t,
      const char *id, plk_baseline_stats *st)
{
    plk_buf worse = {0};
    int m;

    if (!leaks_any(t)) {
        if (find(previous, id, -1) != NULL) {
            char *why = reasons(previous, id);

            t->baseline = PLK_BASELINE_FIXED;
            set_note(t, plk_asprintf("fixed: no longer leaks (baseline: "
                                     "%s); drop it with --update-baseline",
                                     why ? why : ""));
            free(why);
            st->fixed++;
        }
        return;
    }
    if (find(b, id, -1) == NULL) {
        return; /* a new leak, of a test the baseline does not know */
    }
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const plk_baseline_entry *e;
        const char *unit = plk_metric_unit((plk_metric)m);
        char now[48], was[48];

        if (!leaks_in(t, m)) {
            continue;
        }
        e = find(b, id, m);
        plk_format_amount(now, sizeof(now), t->metrics[m].per_call, unit);
        if (e == NULL) {
            plk_buf_printf(&worse, "%s%s %s/call not in the baseline",
                           worse.len ? ", " : "",
                           plk_metric_name((plk_metric)m), now);
        }
        else if (t->metrics[m].per_call >
                 e->per_call * (1.0 + PLK_BASELINE_TOLERANCE)) {
            plk_format_amount(was, sizeof(was), e->per_call, unit);
            plk_buf_printf(&worse, "%s%s %s/call, baseline %s/call",
                           worse.len ? ", " : "",
                           plk_metric_name((plk_metric)m), now, was);
        }
    }
    if (worse.len == 0) {
        char *why = reasons(b, id);

        t->outcome = PLK_OUTCOME_PASSED;
        t->baseline = PLK_BASELINE_KNOWN;
        set_note(t, plk_asprintf("known leak: %s", why ? why : ""));
        free(why);
        st->known++;
    }
    else {
        char *msg;

        t->outcome = PLK_OUTCOME_LEAKED;
        t->baseline = PLK_BASELINE_LARGER;
        set_note(t,
                 plk_asprintf("leaks more than the baseline: %s", worse.data));
        msg = plk_asprintf("%s; more than the baseline (%s)",
                           t->message ? t->message : "leaks", worse.data);
        if (msg != NULL) {
            free(t->message);
            t->message = msg;
        }
        st->larger++;
    }
    plk_buf_free(&worse);
}

/* Every test with a verdict and its id in b's terms. */
typedef struct judged_test {
    plk_test_result *t;
    char *id;
} judged_test;

static judged_test *
collect(const plk_run_result *r, const char *dir, size_t *count)
{
    judged_test *list;
    size_t n = 0, i, j;

    for (i = 0; i < r->nsuites; i++) {
        n += r->suites[i].ntests;
    }
    list = calloc(n ? n : 1, sizeof(*list));
    if (list == NULL) {
        return NULL;
    }
    n = 0;
    for (i = 0; i < r->nsuites; i++) {
        for (j = 0; j < r->suites[i].ntests; j++) {
            plk_test_result *t = &r->suites[i].tests[j];

            if (!judged(t)) {
                continue;
            }
            list[n].t = t;
            list[n].id = plk_baseline_test_id(t, dir);
            if (list[n].id == NULL) {
                continue;
            }
            n++;
        }
    }
    *count = n;
    return list;
}

static void
free_collected(judged_test *list, size_t n)
{
    size_t i;

    for (i = 0; list != NULL && i < n; i++) {
        free(list[i].id);
    }
    free(list);
}

static int
has_verdict(const judged_test *list, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(list[i].id, id) == 0) {
            return 1;
        }
    }
    return 0;
}

void
plk_baseline_apply(const plk_baseline *b, const plk_baseline *previous,
                   plk_run_result *r, plk_baseline_stats *out)
{
    judged_test *list;
    size_t n = 0, i;

    if (previous == NULL) {
        previous = b;
    }
    list = collect(r, b->dir, &n);
    if (list == NULL) {
        return;
    }
    for (i = 0; i < n; i++) {
        judge(b, previous, list[i].t, list[i].id, out);
    }
    for (i = 0; i < previous->n; i++) {
        if (!has_verdict(list, n, previous->entries[i].test)) {
            out->unmatched++;
        }
    }
    free_collected(list, n);
}

/* -- updating and writing ------------------------------------------------- */

int
plk_baseline_update(plk_baseline *out, const plk_baseline *b,
                    const plk_run_result *r, plk_baseline_stats *st,
                    plk_error *err)
{
    judged_test *list;
    size_t n = 0, i;
    int m, rc = 0;

    memset(out, 0, sizeof(*out));
    out->path = plk_strdup(b->path);
    out->dir = plk_strdup(b->dir);
    list = collect(r, b->dir, &n);
    if (out->path == NULL || out->dir == NULL || list == NULL) {
        rc = PLK_ENOMEM;
        goto done;
    }
    /* Tests that got no verdict here (not selected, another shard,
     * failing) keep their entries: this run says nothing about them. */
    for (i = 0; i < b->n; i++) {
        const plk_baseline_entry *e = &b->entries[i];

        if (has_verdict(list, n, e->test)) {
            continue;
        }
        rc = add_entry(out, plk_strdup(e->test), e->metric, e->per_call,
                       plk_strdup(e->reason), 0);
        if (rc != 0) {
            goto done;
        }
        st->kept++;
    }
    for (i = 0; i < n; i++) {
        const plk_test_result *t = list[i].t;
        const char *id = list[i].id;

        if (find(out, id, -1) != NULL) {
            continue; /* the same id twice (parametrised duplicates) */
        }
        for (m = 0; m < PLK_METRIC__COUNT; m++) {
            const plk_baseline_entry *old = find(b, id, m);
            const plk_baseline_entry *any = find(b, id, -1);
            double v = t->metrics[m].per_call;
            double keep_lo, keep_hi;

            if (!leaks_in(t, m)) {
                if (old != NULL) {
                    st->removed++;
                }
                continue;
            }
            if (old != NULL) {
                keep_lo = old->per_call / (1.0 + PLK_BASELINE_TOLERANCE);
                keep_hi = old->per_call * (1.0 + PLK_BASELINE_TOLERANCE);
                if (v >= keep_lo && v <= keep_hi) {
                    v = old->per_call;
                }
                else {
                    st->updated++;
                }
            }
            else {
                st->added++;
            }
            rc = add_entry(out, plk_strdup(id), (plk_metric)m, v,
                           plk_strdup(old   ? old->reason
                                      : any ? any->reason
                                            : PLK_BASELINE_TODO),
                           0);
            if (rc != 0) {
                goto done;
            }
        }
    }

done:
    free_collected(list, n);
    if (rc != 0) {
        plk_baseline_free(out);
        return plk_error_set(err, rc, "out of memory");
    }
    return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
    const plk_baseline_entry *x = a;
    const plk_baseline_entry *y = b;
    int c = strcmp(x->test, y->test);

    if (c != 0) {
        return c;
    }
    return (int)x->metric - (int)y->metric;
}

/* A TOML float that reads back as written: 4 significant digits are
 * plenty for an amount judged with a 25% tolerance. */
static void
format_amount(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.4g", v);
    if (strpbrk(buf, ".en") == NULL) {
        strncat(buf, ".0", size - strlen(buf) - 1);
    }
}

int
plk_baseline_write(const plk_baseline *b, const char *path, plk_error *err)
{
    plk_baseline_entry *sorted = NULL;
    char *tmp = NULL;
    FILE *f = NULL;
    size_t i;
    int fd = -1;
    int rc = 0;

    if (b->n > 0) {
        sorted = malloc(b->n * sizeof(*sorted));
        if (sorted == NULL) {
            return plk_error_set(err, PLK_ENOMEM, "out of memory");
        }
        memcpy(sorted, b->entries, b->n * sizeof(*sorted));
        qsort(sorted, b->n, sizeof(*sorted), entry_cmp);
    }
    tmp = plk_asprintf("%s.tmpXXXXXX", path);
    if (tmp == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        goto done;
    }
    fd = mkstemp(tmp);
    if (fd >= 0) {
        /* mkstemp makes 0600; the file is meant for version control. */
        mode_t mask = umask(0);

        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        rc = plk_error_set(err, PLK_EIO, "cannot write baseline %s: %s", path,
                           strerror(errno));
        goto done;
    }
    fd = -1;
    fputs("# Known leaks, for pyleak-ci --baseline. A leak listed here "
          "passes while it\n"
          "# grows by at most 25% more per call than recorded; new or "
          "larger leaks\n"
          "# still fail. Written by --update-baseline (which keeps the "
          "reasons); review\n"
          "# changes like code, and give every leak a real reason.\n"
          "version = 1\n",
          f);
    for (i = 0; i < b->n; i++) {
        char *test = plk_toml_quote(sorted[i].test);
        char *reason = plk_toml_quote(sorted[i].reason);
        char amount[64];

        format_amount(amount, sizeof(amount), sorted[i].per_call);
        fprintf(f,
                "\n[[leak]]\ntest = %s\nmetric = \"%s\"\nper-call = %s\n"
                "reason = %s\n",
                test ? test : "\"\"", plk_metric_name(sorted[i].metric),
                amount, reason ? reason : "\"\"");
        free(test);
        free(reason);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
        rc = plk_error_set(err, PLK_EIO, "cannot write baseline %s: %s", path,
                           strerror(errno));
        goto done;
    }
    if (fclose(f) != 0) {
        f = NULL;
        rc = plk_error_set(err, PLK_EIO, "cannot write baseline %s: %s", path,
                           strerror(errno));
        goto done;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        rc = plk_error_set(err, PLK_EIO, "cannot write baseline %s: %s", path,
                           strerror(errno));
        goto done;
    }

done:
    if (f != NULL) {
        fclose(f);
    }
    if (fd >= 0) {
        close(fd);
    }
    if (rc != 0 && tmp != NULL) {
        unlink(tmp);
    }
    free(tmp);
    free(sorted);
    return rc;
}
