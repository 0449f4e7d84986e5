/* The whole result as JSON, for machines: a documented, versioned format. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json.h"
#include "base/metric.h"
#include "base/outfile.h"
#include "base/sanitize.h"

#define MAX_DEPTH 256

/* -- writing -------------------------------------------------------------- */

/* A JSON emitter over a growing buffer. Objects are laid out one member
 * per line so the file diffs and greps well; number arrays stay on one
 * line. Any failed append sets failed, and the emitter then only counts
 * on its caller to notice at the end. */
typedef struct jw {
    plk_buf b;
    int failed;
    int depth;
    int first[32];  /* nothing written yet at this depth */
} jw;

static void
jw_puts(jw *j, const char *s)
{
    if (!j->failed && plk_buf_puts(&j->b, s) != 0) {
        j->failed = 1;
    }
}

/* Separator, line break, indentation and, inside an object, the key. */
static void
jw_key(jw *j, const char *key)
{
    int i;

    if (j->depth > 0) {
        jw_puts(j, j->first[j->depth] ? "\n" : ",\n");
        j->first[j->depth] = 0;
        for (i = 0; i < j->depth; i++) {
            jw_puts(j, "  ");
        }
    }
    if (key != NULL) {
        if (!j->failed && plk_json_quote(&j->b, key, strlen(key)) != 0) {
            j->failed = 1;
        }
        jw_puts(j, ": ");
    }
}

static void
jw_open(jw *j, const char *key, const char *bracket)
{
    jw_key(j, key);
    jw_puts(j, bracket);
    if (j->depth + 1 < (int)(sizeof(j->first) / sizeof(j->first[0]))) {
        j->depth++;
        j->first[j->depth] = 1;
    }
    else {
        j->failed = 1;
    }
}

static void
jw_close(jw *j, const char *bracket)
{
    int i;
    int empty;

    if (j->depth == 0) {
        j->failed = 1;
        return;
    }
    empty = j->first[j->depth];
    j->depth--;
    if (!empty) {
        jw_puts(j, "\n");
        for (i = 0; i < j->depth; i++) {
            jw_puts(j, "  ");
        }
    }
    jw_puts(j, bracket);
}

static void
jw_str(jw *j, const char *key, const char *value)
{
    jw_key(j, key);
    if (value == NULL) {
        jw_puts(j, "null");
    }
    else if (!j->failed &&
             plk_json_quote(&j->b, value, strlen(value)) != 0) {
        j->failed = 1;
    }
}

/* A double as the shortest of %.15g and %.17g that reads back exactly;
 * JSON has no NaN or infinity, so those become null. */
static void
jw_num_value(jw *j, double v)
{
    char buf[40];

    if (!isfinite(v)) {
        jw_puts(j, "null");
        return;
    }
    snprintf(buf, sizeof(buf), "%.15g", v);
    if (strtod(buf, NULL) != v) {
        snprintf(buf, sizeof(buf), "%.17g", v);
    }
    jw_puts(j, buf);
}

static void
jw_num(jw *j, const char *key, double v)
{
    jw_key(j, key);
    jw_num_value(j, v);
}

/* Seconds, to the microsecond: more digits are clock noise. */
static void
jw_time(jw *j, const char *key, double v)
{
    jw_num(j, key, isfinite(v) ? round(v * 1e6) / 1e6 : v);
}

static void
jw_int(jw *j, const char *key, int64_t v)
{
    char buf[32];

    jw_key(j, key);
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    jw_puts(j, buf);
}

static void
jw_bool(jw *j, const char *key, int v)
{
    jw_key(j, key);
    jw_puts(j, v ? "true" : "false");
}

int
plk_json_quote(plk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *in = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0;  /* start of bytes copied as they are */

    if (s == NULL) {
        len = 0;
    }
    if (plk_buf_append(b, "\"", 1) != 0) {
        return PLK_ENOMEM;
    }
    /* Unchanged stretches are appended in one go; only what needs
     * escaping or repair breaks a stretch. */
    while (i < len) {
        unsigned char c = in[i];
        char esc[8];
        const char *rep = NULL;
        size_t replen = 0;
        size_t skip = 1;

        if (c >= 0x80) {
            uint32_t cp;
            size_t bad = 0;
            size_t n = plk_sanitize_utf8_decode(in + i, len - i, &cp, &bad);

            if (n > 0) {
                i += n;
                continue;
            }
            rep = "\xEF\xBF\xBD";
            replen = 3;
            skip = bad;
        }
        else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            rep = esc;
            replen = 2;
        }
        else if (c < 0x20) {
            esc[0] = '\\';
            replen = 2;
            switch (c) {
            case '\n':
                esc[1] = 'n';
                break;
            case '\r':
                esc[1] = 'r';
                break;
            case '\t':
                esc[1] = 't';
                break;
            case '\b':
                esc[1] = 'b';
                break;
            case '\f':
                esc[1] = 'f';
                break;
            default:
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0xf];
                replen = 6;
                break;
            }
            rep = esc;
        }
        else {
            i++;
            continue;
        }
        if (plk_buf_append(b, s + run, i - run) != 0 ||
            plk_buf_append(b, rep, replen) != 0) {
            return PLK_ENOMEM;
        }
        i += skip;
        run = i;
    }
    if (plk_buf_append(b, s == NULL ? "" : s + run, len - run) != 0 ||
        plk_buf_append(b, "\"", 1) != 0) {
        return PLK_ENOMEM;
    }
    return 0;
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

static void
put_metric(jw *j, plk_metric id, const plk_metric_result *m)
{
    size_t i;

    jw_open(j, plk_metric_name(id), "{");
    jw_str(j, "unit", plk_metric_unit(id));
    jw_bool(j, "gating", m->gating);
    jw_str(j, "verdict", plk_verdict_name(m->fit.verdict));
    jw_num(j, "per_call", m->per_call);
    jw_num(j, "slope", m->fit.slope);
    jw_num(j, "intercept", m->fit.intercept);
    jw_num(j, "late_slope", m->fit.late_slope);
    jw_open(j, "trend", "{");
    jw_num(j, "s", m->fit.mk_s);
    jw_num(j, "z", m->fit.mk_z);
    jw_num(j, "p", m->fit.mk_p);
    jw_close(j, "}");
    jw_int(j, "net", m->fit.net);
    jw_bool(j, "all_zero", m->fit.all_zero);
    /* Why growth was or was not taken for a leak (see the README's
     * "Bounded is not a leak"). */
    jw_open(j, "growth", "{");
    jw_int(j, "rises", (int64_t)m->fit.rises);
    jw_int(j, "longest_wait", (int64_t)m->fit.longest_wait);
    jw_int(j, "quiet", (int64_t)m->fit.quiet);
    jw_num(j, "drawdown", m->fit.drawdown);
    jw_bool(j, "saturated", m->fit.saturated);
    jw_bool(j, "irregular", m->fit.irregular);
    jw_bool(j, "persisted", m->fit.persisted);
    jw_close(j, "}");
    jw_key(j, "series");
    jw_puts(j, "[");
    for (i = 0; m->series != NULL && i < m->n; i++) {
        char buf[32];

        snprintf(buf, sizeof(buf), i ? ", %" PRId64 : "%" PRId64,
                 m->series[i]);
        jw_puts(j, buf);
    }
    jw_puts(j, "]");
    /* The growth after each round, as the other reports show it. */
    jw_key(j, "deltas");
    jw_puts(j, "[");
    for (i = 1; m->series != NULL && i < m->n; i++) {
        char buf[32];
        int64_t d = (int64_t)((uint64_t)m->series[i] -
                              (uint64_t)m->series[i - 1]);

        snprintf(buf, sizeof(buf), i > 1 ? ", %" PRId64 : "%" PRId64, d);
        jw_puts(j, buf);
    }
    jw_puts(j, "]");
    jw_close(j, "}");
}

static void
put_test(jw *j, const plk_test_result *t)
{
    int m;

    jw_open(j, NULL, "{");
    jw_str(j, "id", t->id);
    jw_str(j, "classname", t->classname);
    jw_str(j, "name", t->name);
    jw_str(j, "file", t->file);
    jw_int(j, "line", t->line);
    jw_str(j, "outcome", plk_outcome_name(t->outcome));
    jw_time(j, "time", t->time);
    jw_str(j, "message", t->message);
    jw_str(j, "exc_type", t->exc_type);
    jw_str(j, "details", t->details);
    jw_int(j, "warmup", t->warmup);
    jw_int(j, "rounds", t->rounds);
    jw_int(j, "calls", t->calls);
    jw_int(j, "screened", t->screened);
    jw_int(j, "total_calls", (int64_t)t->total_calls);
    jw_open(j, "metrics", "{");
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        if (t->metrics[m].measured) {
            put_metric(j, (plk_metric)m, &t->metrics[m]);
        }
    }
    jw_close(j, "}");
    jw_str(j, "kind", t->kind);
    if (t->loc_file != NULL) {
        jw_open(j, "location", "{");
        jw_str(j, "file", t->loc_file);
        jw_int(j, "line", t->loc_line);
        jw_close(j, "}");
    }
    else {
        jw_key(j, "location");
        jw_puts(j, "null");
    }
    jw_str(j, "top_site", t->top_site);
    /* The diagnosis is JSON already; anything else is kept as text so
     * that one bad record cannot make the whole report unreadable. */
    jw_key(j, "diagnosis");
    if (t->diagnosis != NULL && plk_json_valid(t->diagnosis)) {
        jw_puts(j, t->diagnosis);
    }
    else {
        jw_puts(j, "null");
        if (t->diagnosis != NULL) {
            jw_str(j, "diagnosis_text", t->diagnosis);
        }
    }
    jw_time(j, "diagnose_time", t->diagnose_time);
    jw_str(j, "note", t->note);
    jw_str(j, "baseline", baseline_name(t->baseline));
    jw_open(j, "output", "{");
    jw_str(j, "stdout", t->stdout_text);
    jw_str(j, "stderr", t->stderr_text);
    jw_close(j, "}");
    jw_close(j, "}");
}

static void
put_suite(jw *j, const plk_suite_result *s)
{
    size_t i;

    jw_open(j, NULL, "{");
    jw_str(j, "name", s->name);
    jw_str(j, "file", s->file);
    jw_time(j, "time", s->time);
    jw_str(j, "timestamp", s->timestamp);
    if (s->error_message != NULL || s->error_type != NULL) {
        jw_open(j, "error", "{");
        jw_str(j, "type", s->error_type);
        jw_str(j, "message", s->error_message);
        jw_str(j, "details", s->error_details);
        jw_close(j, "}");
    }
    else {
        jw_key(j, "error");
        jw_puts(j, "null");
    }
    jw_open(j, "tests", "[");
    for (i = 0; i < s->ntests; i++) {
        put_test(j, &s->tests[i]);
    }
    jw_close(j, "]");
    jw_close(j, "}");
}

static void
put_per_metric(jw *j, const char *key, const double *v)
{
    int m;

    jw_open(j, key, "{");
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        jw_num(j, plk_metric_name((plk_metric)m), v[m]);
    }
    jw_close(j, "}");
}

static void
put_settings(jw *j, const plk_config *c)
{
    jw_open(j, "settings", "{");
    jw_int(j, "warmup", c->warmup);
    jw_int(j, "rounds", c->min_rounds);
    jw_int(j, "max_rounds", c->max_rounds);
    jw_int(j, "max_calls", c->max_calls);
    jw_num(j, "round_ms", c->round_ms);
    jw_num(j, "alpha", c->alpha);
    put_per_metric(j, "floor", c->floor);
    put_per_metric(j, "threshold", c->threshold);
    jw_bool(j, "diagnose", c->diagnose);
    jw_bool(j, "reseed", c->reseed);
    jw_bool(j, "fail_not_repeatable", c->fail_not_repeatable);
    jw_close(j, "}");
}

int
plk_json_render(char **out, const plk_run_result *r,
                const plk_json_meta *meta)
{
    jw j = {{0}};
    plk_totals tot;
    size_t i;

    *out = NULL;
    plk_run_result_totals(r, &tot);
    jw_open(&j, NULL, "{");
    jw_str(&j, "format", PLK_JSON_FORMAT);
    jw_open(&j, "tool", "{");
    jw_str(&j, "name", "pyleak-ci");
    jw_str(&j, "version", meta ? meta->version : NULL);
    jw_close(&j, "}");
    jw_open(&j, "python", "{");
    jw_str(&j, "version", meta ? meta->python : NULL);
    jw_bool(&j, "debug", meta ? meta->python_debug : 0);
    jw_close(&j, "}");
    jw_open(&j, "run", "{");
    jw_str(&j, "timestamp", r->timestamp);
    jw_time(&j, "time", r->time);
    jw_bool(&j, "interrupted", r->interrupted);
    jw_open(&j, "totals", "{");
    jw_int(&j, "tests", (int64_t)tot.tests);
    jw_int(&j, "passed", (int64_t)tot.passed);
    jw_int(&j, "leaked", (int64_t)tot.leaked);
    jw_int(&j, "failed", (int64_t)tot.failed);
    jw_int(&j, "errors", (int64_t)tot.errors);
    jw_int(&j, "skipped", (int64_t)tot.skipped);
    jw_int(&j, "not_repeatable", (int64_t)tot.not_repeatable);
    jw_close(&j, "}");
    if (meta != NULL && meta->cfg != NULL) {
        put_settings(&j, meta->cfg);
    }
    jw_close(&j, "}");
    jw_open(&j, "suites", "[");
    for (i = 0; i < r->nsuites; i++) {
        put_suite(&j, &r->suites[i]);
    }
    jw_close(&j, "]");
    jw_close(&j, "}");
    jw_puts(&j, "\n");
    if (j.failed) {
        plk_buf_free(&j.b);
        return PLK_ENOMEM;
    }
    *out = plk_buf_detach(&j.b);
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
        return plk_error_set(err, rc, "cannot write the JSON report %s: "
                             "out of memory", path ? path : "");
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

/* -- checking ------------------------------------------------------------- */

typedef struct jp {
    const unsigned char *s;
    size_t i;
    size_t n;  /* strlen(s) */
} jp;

static void
skip_ws(jp *p)
{
    while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
           p->s[p->i] == '\r') {
        p->i++;
    }
}

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int
is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
parse_string(jp *p)
{
    p->i++;  /* the opening quote */
    for (;;) {
        unsigned char c = p->s[p->i];

        if (c == '"') {
            p->i++;
            return 1;
        }
        if (c < 0x20) {  /* also the end of the text */
            return 0;
        }
        if (c == '\\') {
            c = p->s[++p->i];
            if (c == 'u') {
                int k;

                for (k = 1; k <= 4; k++) {
                    if (!is_hex(p->s[p->i + k])) {
                        return 0;
                    }
                }
                p->i += 5;
            }
            else if (c != '"' && c != '\\' && c != '/' && c != 'b' &&
                     c != 'f' && c != 'n' && c != 'r' && c != 't') {
                return 0;
            }
            else {
                p->i++;
            }
        }
        else if (c >= 0x80) {
            uint32_t cp;
            size_t bad;
            size_t n = plk_sanitize_utf8_decode(p->s + p->i, p->n - p->i,
                                                &cp, &bad);
            if (n == 0) {
                return 0;
            }
            p->i += n;
        }
        else {
            p->i++;
        }
    }
}

static int
parse_number(jp *p)
{
    if (p->s[p->i] == '-') {
        p->i++;
    }
    if (p->s[p->i] == '0') {
        p->i++;
    }
    else if (is_digit(p->s[p->i])) {
        while (is_digit(p->s[p->i])) {
            p->i++;
        }
    }
    else {
        return 0;
    }
    if (p->s[p->i] == '.') {
        p->i++;
        if (!is_digit(p->s[p->i])) {
            return 0;
        }
        while (is_digit(p->s[p->i])) {
            p->i++;
        }
    }
    if (p->s[p->i] == 'e' || p->s[p->i] == 'E') {
        p->i++;
        if (p->s[p->i] == '+' || p->s[p->i] == '-') {
            p->i++;
        }
        if (!is_digit(p->s[p->i])) {
            return 0;
        }
        while (is_digit(p->s[p->i])) {
            p->i++;
        }
    }
    return 1;
}

static int
parse_literal(jp *p, const char *word)
{
    size_t n = strlen(word);

    if (strncmp((const char *)p->s + p->i, word, n) != 0) {
        return 0;
    }
    p->i += n;
    return 1;
}

static int parse_value(jp *p, int depth);

/* An object or array; close is '}' or ']'. */
static int
parse_container(jp *p, int depth, unsigned char close)
{
    p->i++;
    skip_ws(p);
    if (p->s[p->i] == close) {
        p->i++;
        return 1;
    }
    for (;;) {
        skip_ws(p);
        if (close == '}') {
            if (p->s[p->i] != '"' || !parse_string(p)) {
                return 0;
            }
            skip_ws(p);
            if (p->s[p->i] != ':') {
                return 0;
            }
            p->i++;
        }
        if (!parse_value(p, depth + 1)) {
            return 0;
        }
        skip_ws(p);
        if (p->s[p->i] == close) {
            p->i++;
            return 1;
        }
        if (p->s[p->i] != ',') {
            return 0;
        }
        p->i++;
    }
}

static int
parse_value(jp *p, int depth)
{
    if (depth > MAX_DEPTH) {
        return 0;
    }
    skip_ws(p);
    switch (p->s[p->i]) {
    case '{':
        return parse_container(p, depth, '}');
    case '[':
        return parse_container(p, depth, ']');
    case '"':
        return parse_string(p);
    case 't':
        return parse_literal(p, "true");
    case 'f':
        return parse_literal(p, "false");
    case 'n':
        return parse_literal(p, "null");
    default:
        return parse_number(p);
    }
}

int
plk_json_valid(const char *text)
{
    jp p;

    if (text == NULL) {
        return 0;
    }
    p.s = (const unsigned char *)text;
    p.i = 0;
    p.n = strlen(text);
    if (!parse_value(&p, 0)) {
        return 0;
    }
    skip_ws(&p);
    return p.s[p.i] == '\0';
}
