/* The HTML report: one self-contained file (no network, no external
 * scripts) with a chart of every metric of each leaking test, the
 * diagnosis laid out, failures with their tracebacks, and the settings. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/html.h"
#include "report/json.h"
#include "base/metric.h"
#include "base/outfile.h"
#include "report/summary.h"
#include "base/sanitize.h"

/* Chart geometry, in CSS pixels. */
#define CH_W 300
#define CH_H 150
#define CH_LEFT 58
#define CH_RIGHT 8
#define CH_TOP 10
#define CH_BOTTOM 26

/* Longest text kept of one test's captured output in the report. */
#define OUTPUT_MAX 16384

/* An HTML emitter: a failed append sets failed, checked once at the
 * end, so a chain of appends needs no checks of its own. */
typedef struct hw {
    plk_buf b;
    int failed;
} hw;

static void
hw_puts(hw *h, const char *s)
{
    if (!h->failed && plk_buf_puts(&h->b, s) != 0) {
        h->failed = 1;
    }
}

static void hw_printf(hw *h, const char *fmt, ...) PLK_PRINTF(2, 3);

static void
hw_printf(hw *h, const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (h->failed) {
        return;
    }
    va_start(ap, fmt);
    s = plk_vasprintf(fmt, ap);
    va_end(ap);
    if (s == NULL) {
        h->failed = 1;
        return;
    }
    hw_puts(h, s);
    free(s);
}

/* Escaped text. */
static void
hw_text(hw *h, const char *s)
{
    if (!h->failed && plk_html_escape(&h->b, s) != 0) {
        h->failed = 1;
    }
}

int
plk_html_escape(plk_buf *b, const char *s)
{
    char *clean = plk_sanitize_str(s ? s : "", 0);
    const char *p;
    int rc = 0;

    if (clean == NULL) {
        return PLK_ENOMEM;
    }
    for (p = clean; *p != '\0' && rc == 0; p++) {
        switch (*p) {
        case '&':
            rc = plk_buf_puts(b, "&amp;");
            break;
        case '<':
            rc = plk_buf_puts(b, "&lt;");
            break;
        case '>':
            rc = plk_buf_puts(b, "&gt;");
            break;
        case '"':
            rc = plk_buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = plk_buf_puts(b, "&#39;");
            break;
        default:
            rc = plk_buf_append(b, p, 1);
        }
    }
    free(clean);
    return rc;
}

void
plk_html_anchor(char *out, const char *prefix, const char *test_id)
{
    uint32_t hash = 2166136261u; /* FNV-1a */
    const unsigned char *p;
    size_t n = 0, room;

    for (p = (const unsigned char *)(test_id ? test_id : ""); *p; p++) {
        hash = (hash ^ *p) * 16777619u;
    }
    n = (size_t)snprintf(out, PLK_HTML_ANCHOR_SIZE, "%s-",
                         prefix ? prefix : "t");
    if (n >= PLK_HTML_ANCHOR_SIZE) {
        n = PLK_HTML_ANCHOR_SIZE - 1;
    }
    /* The readable part: the test's name after its last "::" (its
     * file, class and parameters are in the hash), as [A-Za-z0-9_-]. */
    p = (const unsigned char *)(test_id ? test_id : "");
    if (test_id != NULL && strstr(test_id, "::") != NULL) {
        const char *last = test_id, *q;

        while ((q = strstr(last, "::")) != NULL) {
            last = q + 2;
        }
        p = (const unsigned char *)last;
    }
    room = PLK_HTML_ANCHOR_SIZE - 10; /* "-" + 8 hex digits + NUL */
    for (; *p && n < room; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';

        out[n++] = ok ? (char)*p : '-';
    }
    snprintf(out + n, PLK_HTML_ANCHOR_SIZE - n, "-%08x", (unsigned)hash);
}

/* -- charts --------------------------------------------------------------- */

/* A short axis label: "12.3 KiB", "1.5k", "300". */
static void
axis_label(char *buf, size_t size, double v, plk_metric m)
{
    const char *unit = plk_metric_unit(m);

    if (unit != NULL && strcmp(unit, "bytes") == 0) {
        plk_format_amount(buf, size, v, unit);
    }
    else if (fabs(v) >= 1e6) {
        snprintf(buf, size, "%.3gM", v / 1e6);
    }
    else if (fabs(v) >= 1e4) {
        snprintf(buf, size, "%.3gk", v / 1e3);
    }
    else {
        snprintf(buf, size, "%.4g", v);
    }
}

int
plk_html_chart(plk_buf *b, const plk_metric_result *mr, plk_metric m,
               double floor)
{
    hw h = {*b, 0};
    const double pw = CH_W - CH_LEFT - CH_RIGHT;
    const double ph = CH_H - CH_TOP - CH_BOTTOM;
    double ymin = 0, ymax = 0, fit0, fit1, span;
    size_t n = mr->n, i;
    char lo[48], hi[48];
    const char *name = plk_metric_name(m);
    int leak = mr->fit.verdict == PLK_VERDICT_LEAK;

    if (n == 0 || mr->series == NULL) {
        hw_printf(&h, "<p class=\"nochart\">%s: no samples</p>", name);
        *b = h.b;
        return h.failed ? PLK_ENOMEM : 0;
    }
    /* Growth since the first sample; the fitted line in the same terms. */
    fit0 = mr->fit.intercept - (double)mr->series[0];
    fit1 = fit0 + mr->fit.slope * (double)(n - 1);
    for (i = 0; i < n; i++) {
        double y = (double)(mr->series[i] - mr->series[0]);

        ymin = y < ymin ? y : ymin;
        ymax = y > ymax ? y : ymax;
    }
    if (isfinite(fit0) && isfinite(fit1)) {
        ymin = fmin(ymin, fmin(fit0, fit1));
        ymax = fmax(ymax, fmax(fit0, fit1));
    }
    else {
        fit0 = fit1 = 0;
    }
    if (!(floor >= 0) || !isfinite(floor)) {
        floor = 0;
    }
    /* A flat series still shows its floor band. */
    if (ymax - ymin < 1e-9) {
        double f = floor > 0 ? floor * (double)(n > 1 ? n - 1 : 1) : 1.0;

        ymax = f;
        ymin = -f;
    }
    span = ymax - ymin;
    ymax += span * 0.06;
    ymin -= span * 0.06;
    span = ymax - ymin;
#define X(i) (n > 1 ? pw * (double)(i) / (double)(n - 1) : pw / 2)
/* clang-format would read (v) as a cast and write (v)-ymin. */
/* clang-format off */
#define Y(v) (ph - ((v) - ymin) * ph / span)
    /* clang-format on */
    hw_printf(&h,
              "<svg class=\"chart%s\" xmlns=\"http://www.w3.org/2000/svg\" "
              "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
              "role=\"img\" data-metric=\"%s\">"
              "<title>%s: growth after each round since the first "
              "sample; dashed: fitted slope; grey: noise floor</title>",
              leak ? " leaking" : "", CH_W, CH_H, CH_W, CH_H, name, name);
    hw_printf(&h,
              "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%.0f\" "
              "height=\"%.0f\"/>",
              CH_LEFT, CH_TOP, pw, ph);
    /* The plot area is a nested <svg>: it clips what falls outside. */
    hw_printf(&h, "<svg x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\">",
              CH_LEFT, CH_TOP, pw, ph);
    if (floor > 0 && n > 1) {
        double far = floor * (double)(n - 1);

        hw_printf(&h,
                  "<polygon class=\"floor\" points=\"%.1f,%.1f "
                  "%.1f,%.1f %.1f,%.1f\"/>",
                  X(0), Y(0.0), X(n - 1), Y(far), X(n - 1), Y(-far));
    }
    hw_printf(&h,
              "<line class=\"zero\" x1=\"0\" y1=\"%.1f\" x2=\"%.0f\" "
              "y2=\"%.1f\"/>",
              Y(0.0), pw, Y(0.0));
    hw_puts(&h, "<polyline class=\"data\" points=\"");
    for (i = 0; i < n; i++) {
        hw_printf(&h, "%s%.1f,%.1f", i ? " " : "", X(i),
                  Y((double)(mr->series[i] - mr->series[0])));
    }
    hw_puts(&h, "\"/>");
    for (i = 0; i < n; i++) {
        hw_printf(&h,
                  "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" "
                  "r=\"2.5\"/>",
                  X(i), Y((double)(mr->series[i] - mr->series[0])));
    }
    /* The fit over the data, so a line it matches still shows. */
    hw_printf(&h,
              "<line class=\"fit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
              "y2=\"%.1f\"/>",
              X(0), Y(fit0), X(n - 1), Y(fit1));
    hw_puts(&h, "</svg>");
    axis_label(hi, sizeof(hi), ymax, m);
    axis_label(lo, sizeof(lo), ymin, m);
    hw_printf(&h,
              "<text class=\"ax\" x=\"%d\" y=\"%d\" "
              "text-anchor=\"end\">%s</text>",
              CH_LEFT - 4, CH_TOP + 9, hi);
    hw_printf(&h,
              "<text class=\"ax\" x=\"%d\" y=\"%d\" "
              "text-anchor=\"end\">%s</text>",
              CH_LEFT - 4, CH_H - CH_BOTTOM, lo);
    hw_printf(&h,
              "<text class=\"ax\" x=\"%d\" y=\"%d\">0</text>"
              "<text class=\"ax\" x=\"%d\" y=\"%d\" "
              "text-anchor=\"end\">round %zu</text>",
              CH_LEFT, CH_H - CH_BOTTOM + 14, CH_W - CH_RIGHT,
              CH_H - CH_BOTTOM + 14, n - 1);
    hw_puts(&h, "</svg>");
#undef X
#undef Y
    *b = h.b;
    return h.failed ? PLK_ENOMEM : 0;
}

/* -- the document --------------------------------------------------------- */

static const char STYLE[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;"
    "max-width:1100px;padding:16px;color:#1d1d1f;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #ddd}h3{font-size:15px;margin:0 0 6px;"
    "word-break:break-all}h4{font-size:14px;margin:14px 0 4px}"
    "code,pre{font:12px/1.4 ui-monospace,monospace}"
    "pre{background:#f6f6f6;padding:8px;overflow-x:auto;"
    "white-space:pre-wrap;word-break:break-all}"
    ".meta{color:#555}.totals span{margin-right:12px;font-weight:600}"
    ".bad{color:#b00020}.ok{color:#1b7f3b}.skip{color:#8a6d00}"
    "article{border:1px solid #ddd;border-left:4px solid #b00020;"
    "border-radius:4px;padding:10px 12px;margin:12px 0}"
    "article.failed,article.error{border-left-color:#d2691e}"
    ".kind{display:inline-block;background:#b00020;color:#fff;"
    "border-radius:3px;padding:0 6px;font-size:12px;margin-right:6px}"
    ".charts{display:flex;flex-wrap:wrap;gap:10px}"
    "figure{margin:0}figcaption{font-size:12px;color:#333;max-width:300px}"
    "svg.chart{background:#fff}.frame{fill:none;stroke:#bbb}"
    ".floor{fill:#e4e4e4}.zero{stroke:#999;stroke-width:1}"
    ".fit{stroke:#b00020;stroke-width:1.5;stroke-dasharray:5 3}"
    ".data{fill:none;stroke:#1f5fbf;stroke-width:2}.pt{fill:#1f5fbf}"
    ".ax{font:10px sans-serif;fill:#555}"
    ".legend{font-size:12px;color:#555;margin:0 0 6px}"
    ".l-data{color:#1f5fbf}.l-fit{color:#b00020}.l-floor{color:#ccc}"
    "td{overflow-wrap:anywhere}"
    "table{border-collapse:collapse;margin:4px 0}"
    "td,th{border-bottom:1px solid #eee;padding:2px 8px;text-align:left;"
    "vertical-align:top}th{background:#fafafa}"
    ".num{text-align:right;white-space:nowrap}"
    ".chain{display:flex;flex-wrap:wrap;align-items:center;gap:2px;"
    "margin:4px 0}.node{border:1px solid #999;border-radius:4px;"
    "padding:1px 6px;background:#f3f6fb;font:12px ui-monospace,monospace}"
    ".node.root{background:#fff4d6}.node.leaf{background:#fde8ea}"
    ".edge{color:#777;padding:0 2px}"
    "details>summary{cursor:pointer}#filter{margin:8px 0;padding:4px;"
    "width:320px}";

/* Filters the rows of the table of all tests and the leak and failure
 * sections by a substring of the test id. */
static const char SCRIPT[] =
    "(function(){var f=document.getElementById('filter');"
    "if(!f)return;f.addEventListener('input',function(){"
    "var q=f.value.toLowerCase();"
    "var els=document.querySelectorAll('[data-id]');"
    "for(var i=0;i<els.length;i++){var e=els[i];"
    "e.style.display=e.getAttribute('data-id').toLowerCase()"
    ".indexOf(q)<0?'none':'';}"
    "if(q){var d=document.querySelectorAll('details.all');"
    "for(var j=0;j<d.length;j++){d[j].open=true;}}});})();";

static const char *
outcome_class(plk_outcome o)
{
    switch (o) {
    case PLK_OUTCOME_PASSED:
        return "ok";
    case PLK_OUTCOME_SKIPPED:
        return "skip";
    default:
        return "bad";
    }
}

/* The string at key in an object of the diagnosis, or NULL. */
static const char *
dstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The number at key in an object of the diagnosis, or dflt. */
static double
dnum(const json_t *o, const char *key, double dflt)
{
    const json_t *x = json_object_get(o, key);

    return json_is_number(x) ? json_number_value(x) : dflt;
}

static void
put_frame_line(hw *h, const json_t *f)
{
    hw_text(h, dstr(f, "path"));
    hw_printf(h, ":%.0f  ", dnum(f, "line", 0));
    hw_text(h, dstr(f, "source"));
    hw_puts(h, "\n");
}

static void
put_sites(hw *h, const json_t *sites, const char *title)
{
    size_t i, k;
    char amount[48];

    if (json_array_size(sites) == 0) {
        return;
    }
    hw_printf(h,
              "<h4>%s</h4><table class=\"sites\"><tr><th>site</th>"
              "<th>source line</th><th class=\"num\">per call</th>"
              "<th class=\"num\">blocks/call</th></tr>",
              title);
    for (i = 0; i < json_array_size(sites); i++) {
        const json_t *s = json_array_get(sites, i);
        const json_t *tb = json_object_get(s, "traceback");

        plk_format_amount(amount, sizeof(amount), dnum(s, "bytes_per_call", 0),
                          "bytes");
        hw_puts(h, "<tr><td><code>");
        hw_text(h, dstr(s, "path"));
        hw_printf(h, ":%.0f</code></td><td><code>", dnum(s, "line", 0));
        hw_text(h, dstr(s, "source"));
        hw_printf(h, "</code>");
        if (json_array_size(tb) > 0) {
            hw_printf(h,
                      "<details><summary>traceback (%zu frame%s)"
                      "</summary><pre>",
                      json_array_size(tb),
                      json_array_size(tb) == 1 ? "" : "s");
            for (k = 0; k < json_array_size(tb); k++) {
                put_frame_line(h, json_array_get(tb, k));
            }
            hw_puts(h, "</pre></details>");
        }
        hw_printf(h,
                  "</td><td class=\"num\">+%s</td>"
                  "<td class=\"num\">%.3g</td></tr>",
                  amount, dnum(s, "blocks_per_call", 0));
    }
    hw_puts(h, "</table>");
}

/* A holder chain "root (type) -> edge (type) -> ... -> type" as boxes
 * joined by arrows: the root first, the leaked object last. */
static void
put_chain(hw *h, const json_t *holder)
{
    const char *chain = dstr(holder, "chain");
    const char *p = chain, *next;
    int first = 1;

    if (chain == NULL) {
        return;
    }
    hw_puts(h, "<div class=\"chain\">");
    while (p != NULL) {
        char *part;

        next = strstr(p, " -> ");
        part = next ? plk_strndup(p, (size_t)(next - p)) : plk_strdup(p);
        if (part == NULL) {
            h->failed = 1;
            break;
        }
        if (!first) {
            hw_puts(h, "<span class=\"edge\">&rarr;</span>");
        }
        hw_printf(h, "<span class=\"node%s\">",
                  first ? " root" : (next == NULL ? " leaf" : ""));
        hw_text(h, part);
        hw_puts(h, "</span>");
        free(part);
        first = 0;
        p = next ? next + 4 : NULL;
    }
    if (json_object_get(holder, "grows_per_call") != NULL) {
        hw_printf(h, "<span class=\"edge\">grows by %.3g/call</span>",
                  dnum(holder, "grows_per_call", 0));
    }
    hw_puts(h, "</div>");
}

/* Whether the diagnosis d has any of the lists the HTML report shows only
 * as the text report words them. */
static int
has_text_lists(const json_t *d)
{
    static const char *const keys[] = {"fds",      "threads",    "registries",
                                       "tmpfiles", "processes",  "tasks",
                                       "loops",    "environment"};
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (json_array_size(json_object_get(d, keys[i])) > 0) {
            return 1;
        }
    }
    return 0;
}

static void
put_diagnosis(hw *h, const plk_test_result *t)
{
    json_t *d;
    const json_t *list, *loc;
    size_t i;

    /* Numbers are read as doubles, whatever their size. */
    d = plk_json_parse(t->diagnosis, JSON_DECODE_INT_AS_REAL);
    if (d == NULL) {
        if (t->details != NULL && *t->details) {
            hw_puts(h, "<h4>report</h4><pre>");
            hw_text(h, t->details);
            hw_puts(h, "</pre>");
        }
        return;
    }
    loc = json_object_get(d, "location");
    if (json_is_object(loc)) {
        hw_puts(h, "<p>location: <code>");
        hw_text(h, dstr(loc, "path"));
        hw_printf(h, ":%.0f</code> <code>", dnum(loc, "line", 0));
        hw_text(h, dstr(loc, "source"));
        hw_puts(h, "</code></p>");
    }
    put_sites(h, json_object_get(d, "sites"),
              "allocation sites that grow (tracemalloc)");
    put_sites(h, json_object_get(d, "native_sites"),
              "native allocations still live (malloc tracer)");
    list = json_object_get(d, "types");
    if (json_array_size(list) > 0) {
        hw_puts(h, "<h4>growing types</h4><table><tr><th>type</th>"
                   "<th class=\"num\">per call</th></tr>");
        for (i = 0; i < json_array_size(list); i++) {
            const json_t *x = json_array_get(list, i);

            hw_puts(h, "<tr><td><code>");
            hw_text(h, dstr(x, "type"));
            hw_printf(h, "</code></td><td class=\"num\">%.3g</td></tr>",
                      dnum(x, "per_call", 0));
        }
        hw_puts(h, "</table>");
    }
    list = json_object_get(d, "holders");
    if (json_array_size(list) > 0) {
        hw_puts(h, "<h4>held by</h4>");
        for (i = 0; i < json_array_size(list); i++) {
            put_chain(h, json_array_get(list, i));
        }
    }
    list = json_object_get(d, "notes");
    if (json_array_size(list) > 0) {
        hw_puts(h, "<h4>notes</h4><ul>");
        for (i = 0; i < json_array_size(list); i++) {
            const json_t *x = json_array_get(list, i);

            hw_puts(h, "<li>");
            hw_text(h, json_is_string(x) ? json_string_value(x) : "");
            hw_puts(h, "</li>");
        }
        hw_puts(h, "</ul>");
    }
    /* Descriptors, threads, registries and the resources a test left
     * behind as the text report says them: rarer, and already grouped
     * there. */
    if (has_text_lists(d)) {
        const char *at = t->details ? strstr(t->details, "diagnosis (") : NULL;

        hw_puts(h, "<details><summary>the whole diagnosis as text"
                   "</summary><pre>");
        hw_text(h, at ? at : t->details);
        hw_puts(h, "</pre></details>");
    }
    json_decref(d);
}

static void
put_charts(hw *h, const plk_test_result *t, const plk_config *cfg)
{
    int m;
    char amount[48];

    hw_puts(h, "<div class=\"charts\">");
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const plk_metric_result *mr = &t->metrics[m];
        double floor = cfg != NULL ? cfg->floor[m] : 0.0;

        if (!mr->measured) {
            continue;
        }
        hw_puts(h, "<figure>");
        if (!h->failed &&
            plk_html_chart(&h->b, mr, (plk_metric)m, floor) != 0) {
            h->failed = 1;
        }
        plk_format_amount(amount, sizeof(amount), mr->per_call,
                          plk_metric_unit((plk_metric)m));
        hw_printf(h,
                  "<figcaption><b class=\"%s\">%s %s</b> %s/call, "
                  "slope %.4g/round, trend p=%.2g%s</figcaption>",
                  mr->fit.verdict == PLK_VERDICT_LEAK         ? "bad"
                  : mr->fit.verdict == PLK_VERDICT_SUSPICIOUS ? "skip"
                                                              : "ok",
                  plk_metric_name((plk_metric)m),
                  plk_verdict_name(mr->fit.verdict), amount, mr->fit.slope,
                  mr->fit.mk_p, mr->gating ? "" : " (corroborating only)");
        hw_puts(h, "</figure>");
    }
    hw_puts(h, "</div>");
}

static void
put_leak(hw *h, const plk_test_result *t, const plk_config *cfg)
{
    char anchor[PLK_HTML_ANCHOR_SIZE];

    plk_html_anchor(anchor, "leak", t->id);
    hw_printf(h, "<article class=\"leak\" id=\"%s\" data-id=\"", anchor);
    hw_text(h, t->id);
    hw_puts(h, "\"><h3>");
    if (t->kind != NULL && *t->kind) {
        hw_puts(h, "<span class=\"kind\">");
        hw_text(h, t->kind);
        hw_puts(h, "</span>");
    }
    hw_text(h, t->id);
    hw_puts(h, "</h3><p class=\"bad\">");
    hw_text(h, t->message);
    hw_printf(h,
              "</p><p class=\"meta\">%u warm-up rounds, then %u "
              "measured rounds of %u call%s each; %.2fs",
              t->warmup, t->rounds, t->calls, t->calls == 1 ? "" : "s",
              t->time);
    if (t->diagnose_time > 0) {
        hw_printf(h, ", diagnosis %.2fs", t->diagnose_time);
    }
    if (t->note != NULL && *t->note) {
        hw_puts(h, "; ");
        hw_text(h, t->note);
    }
    hw_puts(h, "</p><h4>growth over the rounds</h4><p class=\"legend\">"
               "<span class=\"l-data\">&#9679;&#8212;</span> growth since "
               "the first sample, after each measured round "
               "<span class=\"l-fit\">- - -</span> fitted slope "
               "<span class=\"l-floor\">&#9632;</span> noise floor "
               "(growth per round below it is noise)</p>");
    put_charts(h, t, cfg);
    put_diagnosis(h, t);
    hw_puts(h, "</article>");
}

static void
put_output(hw *h, const char *title, const char *text)
{
    char *cut;

    if (text == NULL || *text == '\0') {
        return;
    }
    cut = plk_strdup(text);
    if (cut == NULL) {
        h->failed = 1;
        return;
    }
    if (strlen(cut) > OUTPUT_MAX) {
        plk_sanitize_truncate(cut, OUTPUT_MAX);
    }
    hw_printf(h, "<details><summary>%s</summary><pre>", title);
    hw_text(h, cut);
    hw_puts(h, "</pre></details>");
    free(cut);
}

static void
put_failure(hw *h, const plk_test_result *t)
{
    char anchor[PLK_HTML_ANCHOR_SIZE];
    int err = t->outcome == PLK_OUTCOME_ERROR;

    plk_html_anchor(anchor, err ? "error" : "failure", t->id);
    hw_printf(h, "<article class=\"%s\" id=\"%s\" data-id=\"",
              err ? "error" : "failed", anchor);
    hw_text(h, t->id);
    hw_printf(h, "\"><h3><span class=\"bad\">%s</span> ",
              err ? "ERROR" : "FAILED");
    hw_text(h, t->id);
    hw_puts(h, "</h3><p>");
    if (t->exc_type != NULL && *t->exc_type &&
        (t->message == NULL ||
         strncmp(t->message, t->exc_type, strlen(t->exc_type)) != 0)) {
        hw_puts(h, "<code>");
        hw_text(h, t->exc_type);
        hw_puts(h, "</code>: ");
    }
    hw_text(h, t->message);
    hw_puts(h, "</p>");
    if (t->details != NULL && *t->details) {
        hw_puts(h, "<pre>");
        hw_text(h, t->details);
        hw_puts(h, "</pre>");
    }
    put_output(h, "captured stdout", t->stdout_text);
    put_output(h, "captured stderr and warnings", t->stderr_text);
    hw_puts(h, "</article>");
}

static void
put_suite_error(hw *h, const plk_suite_result *s)
{
    const char *name = s->file ? s->file : s->name;

    hw_puts(h, "<article class=\"error\" data-id=\"");
    hw_text(h, name);
    hw_puts(h, "\"><h3><span class=\"bad\">ERROR</span> ");
    hw_text(h, name);
    hw_puts(h, "</h3><p>");
    hw_text(h, s->error_message);
    hw_puts(h, "</p>");
    if (s->error_details != NULL && *s->error_details) {
        hw_puts(h, "<pre>");
        hw_text(h, s->error_details);
        hw_puts(h, "</pre>");
    }
    hw_puts(h, "</article>");
}

static void
put_all_tests(hw *h, const plk_run_result *r, const plk_totals *tot)
{
    size_t i, j;

    hw_printf(h,
              "<h2 id=\"tests\">All tests (%zu)</h2>"
              "<input id=\"filter\" type=\"search\" "
              "placeholder=\"filter by test id\" "
              "aria-label=\"filter by test id\">"
              "<details class=\"all\"><summary>%zu passed, %zu skipped, "
              "%zu with a problem above</summary>"
              "<table><tr><th>test</th><th>outcome</th>"
              "<th class=\"num\">rounds</th><th class=\"num\">calls"
              "/round</th><th class=\"num\">time</th><th>note</th></tr>",
              tot->tests, tot->passed, tot->skipped,
              tot->leaked + tot->failed + tot->errors);
    for (i = 0; i < r->nsuites; i++) {
        const plk_suite_result *s = &r->suites[i];

        for (j = 0; j < s->ntests; j++) {
            const plk_test_result *t = &s->tests[j];
            const char *note =
                t->outcome == PLK_OUTCOME_SKIPPED ? t->message : t->note;

            hw_puts(h, "<tr data-id=\"");
            hw_text(h, t->id);
            hw_puts(h, "\"><td><code>");
            hw_text(h, t->id);
            hw_printf(h,
                      "</code></td><td class=\"%s\">%s</td>"
                      "<td class=\"num\">%u+%u</td>"
                      "<td class=\"num\">%u</td>"
                      "<td class=\"num\">%.2fs</td><td>",
                      outcome_class(t->outcome), plk_outcome_name(t->outcome),
                      t->warmup, t->rounds, t->calls, t->time);
            hw_text(h, note);
            hw_puts(h, "</td></tr>");
        }
    }
    hw_puts(h, "</table></details>");
}

static void
put_settings(hw *h, const plk_html_meta *meta)
{
    const plk_config *c = meta ? meta->cfg : NULL;
    int m;

    hw_puts(h, "<h2 id=\"settings\">Settings</h2>");
    if (c == NULL) {
        hw_puts(h, "<p>not recorded</p>");
        return;
    }
    hw_printf(h,
              "<table><tr><th>warm-up rounds</th><td>%u</td></tr>"
              "<tr><th>measured rounds</th><td>%u (at most %u)</td></tr>"
              "<tr><th>calls per round</th><td>at most %u, about "
              "%g ms a round</td></tr>"
              "<tr><th>trend significance</th><td>%g</td></tr>"
              "<tr><th>thorough</th><td>%s</td></tr>"
              "<tr><th>diagnosis</th><td>%s</td></tr>",
              c->warmup, c->min_rounds, c->max_rounds, c->max_calls,
              c->round_ms, c->alpha, c->thorough ? "yes" : "no",
              c->diagnose ? "yes" : "no");
    if (c->keyword != NULL) {
        hw_puts(h, "<tr><th>-k</th><td><code>");
        hw_text(h, c->keyword);
        hw_puts(h, "</code></td></tr>");
    }
    if (c->baseline != NULL) {
        hw_puts(h, "<tr><th>baseline</th><td><code>");
        hw_text(h, c->baseline);
        hw_puts(h, "</code></td></tr>");
    }
    hw_puts(h, "</table><table><tr><th>metric</th><th class=\"num\">noise "
               "floor per round</th><th class=\"num\">threshold per call"
               "</th></tr>");
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        hw_printf(h,
                  "<tr><td>%s</td><td class=\"num\">%g</td>"
                  "<td class=\"num\">%g</td></tr>",
                  plk_metric_name((plk_metric)m), c->floor[m],
                  c->threshold[m]);
    }
    hw_puts(h, "</table>");
}

int
plk_html_render(char **out, const plk_run_result *r, const plk_html_meta *meta)
{
    hw h = {{0}, 0};
    plk_totals tot;
    size_t i, j, problems = 0;
    const plk_config *cfg = meta ? meta->cfg : NULL;

    *out = NULL;
    plk_run_result_totals(r, &tot);
    hw_puts(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                "<meta charset=\"utf-8\">"
                /* Nothing from the network, only what is inline. */
                "<meta http-equiv=\"Content-Security-Policy\" "
                "content=\"default-src 'none'; style-src 'unsafe-inline'; "
                "script-src 'unsafe-inline'; img-src data:\">"
                "<meta name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\"><title>pyleak-ci: ");
    hw_printf(&h, "%zu leaked, %zu failed, %zu passed", tot.leaked,
              tot.failed + tot.errors, tot.passed);
    hw_printf(&h, "</title><style>%s</style></head><body>\n", STYLE);
    hw_puts(&h, "<h1>pyleak-ci report</h1><p class=\"meta\">");
    hw_text(&h, r->timestamp);
    hw_puts(&h, " &middot; pyleak-ci ");
    hw_text(&h, meta ? meta->version : NULL);
    hw_puts(&h, " &middot; Python ");
    hw_text(&h, meta ? meta->python : NULL);
    hw_printf(&h, "%s &middot; %.2fs%s</p>",
              meta && meta->python_debug ? " (debug build)" : "", r->time,
              r->interrupted ? " &middot; <b class=\"bad\">interrupted</b>"
                             : "");
    hw_printf(&h,
              "<p class=\"totals\" id=\"summary\">"
              "<span class=\"%s\">%zu leaked</span>"
              "<span class=\"%s\">%zu failed</span>"
              "<span class=\"%s\">%zu error%s</span>"
              "<span class=\"ok\">%zu passed</span>"
              "<span class=\"skip\">%zu skipped</span></p>\n",
              tot.leaked ? "bad" : "ok", tot.leaked, tot.failed ? "bad" : "ok",
              tot.failed, tot.errors ? "bad" : "ok", tot.errors,
              tot.errors == 1 ? "" : "s", tot.passed, tot.skipped);
    if (tot.leaked > 0) {
        hw_printf(&h, "<h2 id=\"leaks\">Leaks (%zu)</h2>\n", tot.leaked);
        for (i = 0; i < r->nsuites; i++) {
            for (j = 0; j < r->suites[i].ntests; j++) {
                const plk_test_result *t = &r->suites[i].tests[j];

                if (t->outcome == PLK_OUTCOME_LEAKED) {
                    put_leak(&h, t, cfg);
                    hw_puts(&h, "\n");
                }
            }
        }
    }
    for (i = 0; i < r->nsuites; i++) {
        const plk_suite_result *s = &r->suites[i];

        if (s->error_message != NULL) {
            if (!problems++) {
                hw_puts(&h, "<h2 id=\"failures\">Failures and errors</h2>");
            }
            put_suite_error(&h, s);
        }
        for (j = 0; j < s->ntests; j++) {
            const plk_test_result *t = &s->tests[j];

            if (t->outcome != PLK_OUTCOME_FAILED &&
                t->outcome != PLK_OUTCOME_ERROR) {
                continue;
            }
            if (!problems++) {
                hw_puts(&h, "<h2 id=\"failures\">Failures and errors</h2>");
            }
            put_failure(&h, t);
            hw_puts(&h, "\n");
        }
    }
    put_all_tests(&h, r, &tot);
    put_settings(&h, meta);
    hw_printf(&h, "\n<script>%s</script>\n</body></html>\n", SCRIPT);
    if (h.failed) {
        plk_buf_free(&h.b);
        return PLK_ENOMEM;
    }
    *out = plk_buf_detach(&h.b);
    return 0;
}

int
plk_html_write(const plk_run_result *r, const plk_html_meta *meta,
               const char *path, plk_error *err)
{
    char *text = NULL;
    int rc;

    if (r == NULL) {
        return plk_error_set(err, PLK_EUSAGE, "no result to write");
    }
    rc = plk_html_render(&text, r, meta);
    if (rc != 0) {
        return plk_error_set(err, rc,
                             "cannot write the HTML report %s: "
                             "out of memory",
                             path ? path : "");
    }
    rc = plk_outfile_write(path, "HTML report", text, strlen(text), err);
    free(text);
    return rc;
}

int
plk_html_check_path(const char *path, plk_error *err)
{
    return plk_outfile_check(path, "HTML report", err);
}
