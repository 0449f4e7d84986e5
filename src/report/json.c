/* The whole result as JSON, for machines: a documented, versioned format. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/json.h"
#include "config/settings.h"
#include "base/metric.h"
#include "base/outfile.h"
#include "base/sanitize.h"

#define MAX_DEPTH 256

/* -- building ------------------------------------------------------------- */

/* The document is built as jansson values. Every helper that makes a
 * value may return NULL when memory runs out; set() and push() take a
 * value whatever happens to it and record the failure, so a chain of
 * them needs one check at the end. */

static void
set(json_t *obj, const char *key, json_t *v, int *failed)
{
    /* json_object_set_new releases v when it fails, and fails for a
     * NULL obj or v. */
    if (json_object_set_new(obj, key, v) != 0) {
        *failed = 1;
    }
}

static void
push(json_t *arr, json_t *v, int *failed)
{
    if (json_array_append_new(arr, v) != 0) {
        *failed = 1;
    }
}

/* Text as the report has always carried it: repaired to valid UTF-8,
 * which jansson requires, and otherwise unchanged. */
static json_t *
jstr(const char *s)
{
    char *fixed;
    size_t n;
    json_t *v;

    if (s == NULL) {
        return json_null();
    }
    fixed = plk_sanitize_utf8(s, strlen(s), &n);
    if (fixed == NULL) {
        return NULL;
    }
    v = json_stringn_nocheck(fixed, n);
    free(fixed);
    return v;
}

/* JSON has no NaN or infinity, so those become null. */
static json_t *
jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* Seconds, to the microsecond: more digits are clock noise. */
static json_t *
jtime(double v)
{
    return jnum(isfinite(v) ? round(v * 1e6) / 1e6 : v);
}

static json_t *
jint(int64_t v)
{
    return json_integer((json_int_t)v);
}

static const char *
baseline_name(plk_baseline_state b)
{
    switch (b) {
    case PLK_BASELINE_NONE:
        return "none";
    case PLK_BASELINE_KNOWN:
        return "known";
    case PLK_BASELINE_LARGER:
        return "larger";
    case PLK_BASELINE_FIXED:
        return "fixed";
    }
    return "none";
}

static json_t *
metric_json(plk_metric id, const plk_metric_result *m, int *failed)
{
    json_t *o = json_object();
    json_t *trend = json_object();
    json_t *growth = json_object();
    json_t *series = json_array();
    json_t *deltas = json_array();
    size_t i;

    set(o, "unit", jstr(plk_metric_unit(id)), failed);
    set(o, "gating", json_boolean(m->gating), failed);
    set(o, "verdict", jstr(plk_verdict_name(m->fit.verdict)), failed);
    set(o, "per_call", jnum(m->per_call), failed);
    set(o, "slope", jnum(m->fit.slope), failed);
    set(o, "intercept", jnum(m->fit.intercept), failed);
    set(o, "late_slope", jnum(m->fit.late_slope), failed);
    set(trend, "s", jnum(m->fit.mk_s), failed);
    set(trend, "z", jnum(m->fit.mk_z), failed);
    set(trend, "p", jnum(m->fit.mk_p), failed);
    set(o, "trend", trend, failed);
    set(o, "net", jint(m->fit.net), failed);
    set(o, "all_zero", json_boolean(m->fit.all_zero), failed);
    /* Why growth was or was not taken for a leak (see the README's
     * "Bounded is not a leak"). */
    set(growth, "rises", jint((int64_t)m->fit.rises), failed);
    set(growth, "longest_wait", jint((int64_t)m->fit.longest_wait), failed);
    set(growth, "quiet", jint((int64_t)m->fit.quiet), failed);
    set(growth, "drawdown", jnum(m->fit.drawdown), failed);
    set(growth, "saturated", json_boolean(m->fit.saturated), failed);
    set(growth, "irregular", json_boolean(m->fit.irregular), failed);
    set(growth, "persisted", json_boolean(m->fit.persisted), failed);
    set(o, "growth", growth, failed);
    for (i = 0; m->series != NULL && i < m->n; i++) {
        push(series, jint(m->series[i]), failed);
    }
    set(o, "series", series, failed);
    /* The growth after each round, as the other reports show it. */
    for (i = 1; m->series != NULL && i < m->n; i++) {
        push(deltas,
             jint((int64_t)((uint64_t)m->series[i] -
                            (uint64_t)m->series[i - 1])),
             failed);
    }
    set(o, "deltas", deltas, failed);
    return o;
}

static json_t *
test_json(const plk_test_result *t, int *failed)
{
    json_t *o = json_object();
    json_t *metrics = json_object();
    json_t *output = json_object();
    json_t *diagnosis;
    int m;

    set(o, "id", jstr(t->id), failed);
    set(o, "classname", jstr(t->classname), failed);
    set(o, "name", jstr(t->name), failed);
    set(o, "file", jstr(t->file), failed);
    set(o, "line", jint(t->line), failed);
    set(o, "outcome", jstr(plk_outcome_name(t->outcome)), failed);
    set(o, "time", jtime(t->time), failed);
    set(o, "message", jstr(t->message), failed);
    set(o, "exc_type", jstr(t->exc_type), failed);
    set(o, "details", jstr(t->details), failed);
    set(o, "warmup", jint(t->warmup), failed);
    set(o, "rounds", jint(t->rounds), failed);
    set(o, "calls", jint(t->calls), failed);
    set(o, "screened", jint(t->screened), failed);
    set(o, "total_calls", jint((int64_t)t->total_calls), failed);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        if (t->metrics[m].measured) {
            set(metrics, plk_metric_name((plk_metric)m),
                metric_json((plk_metric)m, &t->metrics[m], failed), failed);
        }
    }
    set(o, "metrics", metrics, failed);
    set(o, "kind", jstr(t->kind), failed);
    if (t->loc_file != NULL) {
        json_t *loc = json_object();

        set(loc, "file", jstr(t->loc_file), failed);
        set(loc, "line", jint(t->loc_line), failed);
        set(o, "location", loc, failed);
    }
    else {
        set(o, "location", json_null(), failed);
    }
    set(o, "top_site", jstr(t->top_site), failed);
    /* The diagnosis is JSON already; anything else is kept as text so
     * that one bad record cannot make the whole report unreadable. */
    diagnosis = plk_json_parse(t->diagnosis, 0);
    if (diagnosis != NULL) {
        set(o, "diagnosis", diagnosis, failed);
    }
    else {
        set(o, "diagnosis", json_null(), failed);
        if (t->diagnosis != NULL) {
            set(o, "diagnosis_text", jstr(t->diagnosis), failed);
        }
    }
    set(o, "diagnose_time", jtime(t->diagnose_time), failed);
    set(o, "note", jstr(t->note), failed);
    set(o, "baseline", jstr(baseline_name(t->baseline)), failed);
    set(output, "stdout", jstr(t->stdout_text), failed);
    set(output, "stderr", jstr(t->stderr_text), failed);
    set(o, "output", output, failed);
    return o;
}

static json_t *
suite_json(const plk_suite_result *s, int *failed)
{
    json_t *o = json_object();
    json_t *tests = json_array();
    size_t i;

    set(o, "name", jstr(s->name), failed);
    set(o, "file", jstr(s->file), failed);
    set(o, "time", jtime(s->time), failed);
    set(o, "timestamp", jstr(s->timestamp), failed);
    if (s->error_message != NULL || s->error_type != NULL) {
        json_t *error = json_object();

        set(error, "type", jstr(s->error_type), failed);
        set(error, "message", jstr(s->error_message), failed);
        set(error, "details", jstr(s->error_details), failed);
        set(o, "error", error, failed);
    }
    else {
        set(o, "error", json_null(), failed);
    }
    for (i = 0; i < s->ntests; i++) {
        push(tests, test_json(&s->tests[i], failed), failed);
    }
    set(o, "tests", tests, failed);
    return o;
}

static json_t *
per_metric_json(const double *v, int *failed)
{
    json_t *o = json_object();
    int m;

    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        set(o, plk_metric_name((plk_metric)m), jnum(v[m]), failed);
    }
    return o;
}

/* The settings the verdicts rest on: the rows of the settings table
 * that have a JSON name, in the table's order. */
static json_t *
settings_json(const plk_config *c, int *failed)
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);
        plk_value v;

        if (s->json == NULL) {
            continue;
        }
        plk_setting_get(&v, s, c);
        switch (v.kind) {
        case PLK_KIND_UINT:
            set(o, s->json, jint(v.u), failed);
            break;
        case PLK_KIND_NUMBER:
            set(o, s->json, jnum(v.d), failed);
            break;
        case PLK_KIND_BOOL:
            set(o, s->json, json_boolean(v.b), failed);
            break;
        case PLK_KIND_METRICS:
            set(o, s->json, per_metric_json(v.metrics, failed), failed);
            break;
        default:
            /* No other kind has a JSON name (test_settings checks). */
            break;
        }
    }
    return o;
}

static json_t *
run_json(const plk_run_result *r, const plk_json_meta *meta, int *failed)
{
    json_t *doc = json_object();
    json_t *tool = json_object();
    json_t *python = json_object();
    json_t *run = json_object();
    json_t *totals = json_object();
    json_t *suites = json_array();
    plk_totals tot;
    size_t i;

    plk_run_result_totals(r, &tot);
    set(doc, "format", jstr(PLK_JSON_FORMAT), failed);
    set(tool, "name", jstr("pyleak-ci"), failed);
    set(tool, "version", jstr(meta ? meta->version : NULL), failed);
    set(doc, "tool", tool, failed);
    set(python, "version", jstr(meta ? meta->python : NULL), failed);
    set(python, "debug", json_boolean(meta ? meta->python_debug : 0), failed);
    set(doc, "python", python, failed);
    set(run, "timestamp", jstr(r->timestamp), failed);
    set(run, "time", jtime(r->time), failed);
    set(run, "interrupted", json_boolean(r->interrupted), failed);
    set(totals, "tests", jint((int64_t)tot.tests), failed);
    set(totals, "passed", jint((int64_t)tot.passed), failed);
    set(totals, "leaked", jint((int64_t)tot.leaked), failed);
    set(totals, "failed", jint((int64_t)tot.failed), failed);
    set(totals, "errors", jint((int64_t)tot.errors), failed);
    set(totals, "skipped", jint((int64_t)tot.skipped), failed);
    set(totals, "not_repeatable", jint((int64_t)tot.not_repeatable), failed);
    set(run, "totals", totals, failed);
    if (meta != NULL && meta->cfg != NULL) {
        set(run, "settings", settings_json(meta->cfg, failed), failed);
    }
    set(doc, "run", run, failed);
    for (i = 0; i < r->nsuites; i++) {
        push(suites, suite_json(&r->suites[i], failed), failed);
    }
    set(doc, "suites", suites, failed);
    return doc;
}

/* -- writing -------------------------------------------------------------- */

/* jansson's dumper lays out every container the same way and spells
 * every real with one precision, so the report is written here from the
 * jansson document, in the layout it has always had: objects one member
 * per line so the file diffs and greps well; arrays of plain values,
 * and the diagnosis (which is another program's document), on one line
 * as json.dumps lays them out; numbers as below. jansson escapes the
 * strings. */

static int
append(const char *s, size_t n, void *data)
{
    return plk_buf_append(data, s, n) == 0 ? 0 : -1;
}

/* A string value as jansson escapes it, but with the hex digits of a
 * \u00XX escape in lower case, as the report has always spelled them. */
static int
put_string(plk_buf *b, const json_t *v)
{
    size_t i = b->len;

    if (json_dump_callback(v, append, b, JSON_ENCODE_ANY) != 0) {
        return PLK_ENOMEM;
    }
    for (; i < b->len; i++) {
        if (b->data[i] != '\\') {
            continue;
        }
        if (i + 5 < b->len && b->data[i + 1] == 'u') {
            size_t k;

            for (k = i + 2; k < i + 6; k++) {
                if (b->data[k] >= 'A' && b->data[k] <= 'F') {
                    b->data[k] = (char)(b->data[k] - 'A' + 'a');
                }
            }
            i += 5;
        }
        else {
            i++;
        }
    }
    return 0;
}

/* s[0..len) is valid UTF-8 (object keys are). */
static int
put_quoted(plk_buf *b, const char *s, size_t len)
{
    json_t *v = json_stringn_nocheck(s, len);
    int rc;

    if (v == NULL) {
        return PLK_ENOMEM;
    }
    rc = put_string(b, v);
    json_decref(v);
    return rc;
}

int
plk_json_quote(plk_buf *b, const char *s, size_t len)
{
    char *fixed;
    size_t n;
    int rc;

    fixed = plk_sanitize_utf8(s, s == NULL ? 0 : len, &n);
    if (fixed == NULL) {
        return PLK_ENOMEM;
    }
    rc = put_quoted(b, fixed, n);
    free(fixed);
    return rc;
}

/* A real as the shortest of %.15g and %.17g that reads back exactly,
 * which spells an integral one as an integer: the report's own numbers
 * have always been written so. In a document from elsewhere (flat), ".0"
 * is added to such a spelling, as json.dumps writes it, so that a real
 * read from there is still a real. */
static int
put_real(plk_buf *b, double v, int flat)
{
    char buf[48];

    snprintf(buf, sizeof(buf), "%.15g", v);
    if (strtod(buf, NULL) != v) {
        snprintf(buf, sizeof(buf), "%.17g", v);
    }
    if (flat && strpbrk(buf, ".eE") == NULL) {
        strcat(buf, ".0");
    }
    return plk_buf_puts(b, buf);
}

static int
put_indent(plk_buf *b, int depth)
{
    int rc = plk_buf_puts(b, "\n");
    int i;

    for (i = 0; rc == 0 && i < depth; i++) {
        rc = plk_buf_puts(b, "  ");
    }
    return rc;
}

static int put_value(plk_buf *b, json_t *v, int depth, int flat);

/* Whether an array holds no object or array: it goes on one line. */
static int
plain_array(json_t *v)
{
    size_t i;
    json_t *x;

    json_array_foreach(v, i, x)
    {
        if (json_is_object(x) || json_is_array(x)) {
            return 0;
        }
    }
    return 1;
}

static int
put_container(plk_buf *b, json_t *v, int depth, int flat)
{
    int obj = json_is_object(v);
    size_t n = obj ? json_object_size(v) : json_array_size(v);
    void *it = obj ? json_object_iter(v) : NULL;
    size_t i;
    int rc;

    if (!obj && !flat) {
        flat = plain_array(v);
    }
    rc = plk_buf_puts(b, obj ? "{" : "[");
    for (i = 0; rc == 0 && i < n; i++) {
        json_t *item;
        int inner = flat;

        if (i > 0) {
            rc = plk_buf_puts(b, flat ? ", " : ",");
        }
        if (rc == 0 && !flat) {
            rc = put_indent(b, depth + 1);
        }
        if (obj) {
            const char *key = json_object_iter_key(it);

            item = json_object_iter_value(it);
            inner = flat || strcmp(key, "diagnosis") == 0;
            if (rc == 0) {
                rc = put_quoted(b, key, json_object_iter_key_len(it));
            }
            if (rc == 0) {
                rc = plk_buf_puts(b, ": ");
            }
            it = json_object_iter_next(v, it);
        }
        else {
            item = json_array_get(v, i);
        }
        if (rc == 0) {
            rc = put_value(b, item, depth + 1, inner);
        }
    }
    if (rc == 0 && n > 0 && !flat) {
        rc = put_indent(b, depth);
    }
    if (rc == 0) {
        rc = plk_buf_puts(b, obj ? "}" : "]");
    }
    return rc;
}

static int
put_value(plk_buf *b, json_t *v, int depth, int flat)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return put_container(b, v, depth, flat);
    case JSON_STRING:
        return put_string(b, v);
    case JSON_INTEGER:
        return plk_buf_printf(b, "%" JSON_INTEGER_FORMAT,
                              json_integer_value(v));
    case JSON_REAL:
        return put_real(b, json_real_value(v), flat);
    case JSON_TRUE:
        return plk_buf_puts(b, "true");
    case JSON_FALSE:
        return plk_buf_puts(b, "false");
    case JSON_NULL:
        break;
    }
    return plk_buf_puts(b, "null");
}

int
plk_json_render(char **out, const plk_run_result *r, const plk_json_meta *meta)
{
    plk_buf b = {0};
    int failed = 0;
    json_t *doc;
    int rc;

    *out = NULL;
    doc = run_json(r, meta, &failed);
    rc = failed || doc == NULL ? PLK_ENOMEM : put_value(&b, doc, 0, 0);
    if (rc == 0) {
        rc = plk_buf_puts(&b, "\n");
    }
    json_decref(doc);
    if (rc != 0) {
        plk_buf_free(&b);
        return PLK_ENOMEM;
    }
    *out = plk_buf_detach(&b);
    return 0;
}

int
plk_json_write(const plk_run_result *r, const plk_json_meta *meta,
               const char *path, plk_error *err)
{
    char *text = NULL;
    int rc;

    if (r == NULL) {
        return plk_error_set(err, PLK_EUSAGE, "no result to write");
    }
    rc = plk_json_render(&text, r, meta);
    if (rc != 0) {
        return plk_error_set(err, rc,
                             "cannot write the JSON report %s: "
                             "out of memory",
                             path ? path : "");
    }
    rc = plk_outfile_write(path, "JSON report", text, strlen(text), err);
    free(text);
    return rc;
}

int
plk_json_check_path(const char *path, plk_error *err)
{
    return plk_outfile_check(path, "JSON report", err);
}

/* -- reading -------------------------------------------------------------- */

/* Whether v holds a value more than MAX_DEPTH levels below the top: text
 * from elsewhere has always been held to that. */
static int
too_deep(json_t *v, int depth)
{
    const char *key;
    json_t *x;
    size_t i;

    if (depth > MAX_DEPTH) {
        return 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (too_deep(x, depth + 1)) {
                return 1;
            }
        }
    }
    else if (json_is_object(v)) {
        json_object_foreach(v, key, x)
        {
            if (too_deep(x, depth + 1)) {
                return 1;
            }
        }
    }
    return 0;
}

json_t *
plk_json_parse(const char *text, size_t extra_flags)
{
    size_t len;
    char *copy;
    json_t *v;
    json_error_t e;

    if (text == NULL) {
        return NULL;
    }
    len = strlen(text);
    copy = plk_strndup(text, len);
    if (copy == NULL) {
        return NULL;
    }
    plk_sanitize_json_surrogates(copy, len);
    v = json_loadb(copy, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | extra_flags,
                   &e);
    free(copy);
    if (v != NULL && too_deep(v, 0)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

int
plk_json_valid(const char *text)
{
    json_t *v = plk_json_parse(text, 0);
    int ok = v != NULL;

    json_decref(v);
    return ok;
}
