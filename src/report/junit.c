/* The JUnit XML report, written atomically with libxml2's xmlTextWriter. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <libxml/xmlwriter.h>

#include "report/junit.h"
#include "base/outfile.h"
#include "base/sanitize.h"
#include "base/util.h"

/* libxml2 2.12 made the error passed to handlers const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *junit_xml_error;
#else
typedef xmlErrorPtr junit_xml_error;
#endif

/* The file being written and what went wrong with it. We hand libxml2 our
 * own descriptor instead of a file name because xmlNewTextWriterFilename
 * URI-unescapes the name ("%41" opens "A"), loses errno to its own error
 * reporting, and ignores a failing fclose(), which is where a full disk
 * shows up. */
typedef struct junit_out {
    xmlTextWriterPtr w;
    int fd;
    int strict;        /* --junit-strict: the schemas' subset only */
    int errnum;        /* errno of the first failure, 0 when none */
    char xml_msg[200]; /* first error libxml2 reported, "" when none */
} junit_out;

static int
out_write(void *ctx, const char *buf, int len)
{
    junit_out *out = ctx;
    size_t done = 0;

    while (done < (size_t)len) {
        ssize_t n = write(out->fd, buf + done, (size_t)len - done);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (out->errnum == 0) {
                out->errnum = errno;
            }
            return -1;
        }
        done += (size_t)n;
    }
    return len;
}

static int
out_close(void *ctx)
{
    junit_out *out = ctx;
    int rc = close(out->fd);

    /* close() may report a write the kernel deferred (NFS); the
     * descriptor is gone either way, so it is never retried. */
    if (rc != 0 && out->errnum == 0) {
        out->errnum = errno;
    }
    out->fd = -1;
    return rc != 0 ? -1 : 0;
}

/* Keep libxml2's own complaints off stderr: the caller reports one
 * message for the whole failure. */
static void
on_xml_error(void *ctx, junit_xml_error e)
{
    junit_out *out = ctx;
    size_t n;

    if (out->xml_msg[0] != '\0' || e == NULL || e->message == NULL) {
        return;
    }
    snprintf(out->xml_msg, sizeof(out->xml_msg), "%s", e->message);
    n = strlen(out->xml_msg);
    while (n > 0 && out->xml_msg[n - 1] == '\n') {
        out->xml_msg[--n] = '\0';
    }
}

static int
xml_ok(int rc)
{
    return rc < 0 ? -1 : 0;
}

static int
start(junit_out *out, const char *name)
{
    return xml_ok(xmlTextWriterStartElement(out->w, BAD_CAST name));
}

static int
end(junit_out *out)
{
    return xml_ok(xmlTextWriterEndElement(out->w));
}

/* An attribute from untrusted text, sanitised to one line; NULL is
 * written as "" so the attribute is always there. */
static int
put_attr(junit_out *out, const char *name, const char *value)
{
    char *clean = plk_sanitize_str(value, 1);
    int rc;

    if (clean == NULL) {
        if (out->errnum == 0) {
            out->errnum = ENOMEM;
        }
        return -1;
    }
    rc = xmlTextWriterWriteAttribute(out->w, BAD_CAST name, BAD_CAST clean);
    free(clean);
    return xml_ok(rc);
}

/* Text that leaves nothing in an attribute once sanitised: NULL,
 * whitespace, or only escape sequences ("\x1b[0m"). The schemas reject
 * an empty file or failure type, and the Ant one a blank suite name. */
static int
is_blank(const char *s)
{
    char *clean;
    int blank;

    if (s == NULL) {
        return 1;
    }
    clean = plk_sanitize_str(s, 1);
    blank = clean != NULL && clean[0] == '\0';
    free(clean);
    return blank;
}

/* An attribute made by us from numbers, hence plain ASCII. */
static int PLK_PRINTF(3, 4)
    put_attrf(junit_out *out, const char *name, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = xmlTextWriterWriteVFormatAttribute(out->w, BAD_CAST name, fmt, ap);
    va_end(ap);
    return xml_ok(rc);
}

static int
put_time(junit_out *out, const char *name, double seconds)
{
    /* Readers parse time as a plain decimal; "nan" or "-0.000" from a
     * clock hiccup would make them reject the whole file, and so would
     * the hundreds of digits "%.3f" gives a wild value (libxml2 takes
     * at most 24 in a decimal). No test runs for 30 years. */
    if (!(seconds > 0) || seconds > 1e9) { /* NaN and -0.0 too */
        seconds = 0;
    }
    return put_attrf(out, name, "%.3f", seconds);
}

/* Element text from untrusted, possibly multi-line text. */
static int
put_text(junit_out *out, const char *text)
{
    char *clean;
    int rc;

    if (text == NULL || text[0] == '\0') {
        return 0;
    }
    clean = plk_sanitize_str(text, 0);
    if (clean == NULL) {
        if (out->errnum == 0) {
            out->errnum = ENOMEM;
        }
        return -1;
    }
    rc = xmlTextWriterWriteString(out->w, BAD_CAST clean);
    free(clean);
    return xml_ok(rc);
}

/* <failure> or <error>: type and message as attributes, details as text.
 * A type that sanitises to nothing is the default one. */
static int
put_problem(junit_out *out, const char *elem, const char *type,
            const char *default_type, const char *message, const char *details)
{
    if (is_blank(type)) {
        type = default_type;
    }
    if (start(out, elem) < 0 || put_attr(out, "type", type) < 0 ||
        put_attr(out, "message", message) < 0 || put_text(out, details) < 0) {
        return -1;
    }
    return end(out);
}

static int
put_property(junit_out *out, const char *name, const char *value)
{
    if (start(out, "property") < 0 || put_attr(out, "name", name) < 0 ||
        put_attr(out, "value", value) < 0) {
        return -1;
    }
    return end(out);
}

/* "3 0 7": growth from each sample to the next, which is what a reader of
 * the report wants to eyeball, rather than the raw samples. */
static char *
format_deltas(const plk_metric_result *m)
{
    plk_buf b = {0};
    size_t i;

    for (i = 1; m->series != NULL && i < m->n; i++) {
        /* Unsigned arithmetic: a wild sample must not be undefined
         * behaviour. */
        int64_t d =
            (int64_t)((uint64_t)m->series[i] - (uint64_t)m->series[i - 1]);

        if (plk_buf_printf(&b, i > 1 ? " %" PRId64 : "%" PRId64, d) != 0) {
            plk_buf_free(&b);
            return NULL;
        }
    }
    return plk_buf_detach(&b);
}

static int
put_metric(junit_out *out, plk_metric id, const plk_metric_result *m)
{
    const char *metric = plk_metric_name(id);
    char name[64];
    char value[64];
    char *deltas = NULL;
    int rc = -1;

    snprintf(name, sizeof(name), "pyleak.%s.verdict", metric);
    if (put_property(out, name, plk_verdict_name(m->fit.verdict)) < 0) {
        goto done;
    }
    snprintf(name, sizeof(name), "pyleak.%s.per_call", metric);
    snprintf(value, sizeof(value), "%.6g", m->per_call);
    if (put_property(out, name, value) < 0) {
        goto done;
    }
    snprintf(name, sizeof(name), "pyleak.%s.slope", metric);
    snprintf(value, sizeof(value), "%.6g", m->fit.slope);
    if (put_property(out, name, value) < 0) {
        goto done;
    }
    deltas = format_deltas(m);
    if (deltas == NULL) {
        if (out->errnum == 0) {
            out->errnum = ENOMEM;
        }
        goto done;
    }
    snprintf(name, sizeof(name), "pyleak.%s.deltas", metric);
    if (put_property(out, name, deltas) < 0) {
        goto done;
    }
    snprintf(name, sizeof(name), "pyleak.%s.p", metric);
    snprintf(value, sizeof(value), "%.3g", m->fit.mk_p);
    if (put_property(out, name, value) < 0) {
        goto done;
    }
    rc = 0;
done:
    free(deltas);
    return rc;
}

static int
put_properties(junit_out *out, const plk_test_result *t)
{
    char value[32];
    int m;

    if (start(out, "properties") < 0) {
        return -1;
    }
    snprintf(value, sizeof(value), "%u", t->warmup);
    if (put_property(out, "pyleak.warmup", value) < 0) {
        return -1;
    }
    snprintf(value, sizeof(value), "%u", t->rounds);
    if (put_property(out, "pyleak.rounds", value) < 0) {
        return -1;
    }
    snprintf(value, sizeof(value), "%u", t->calls);
    if (put_property(out, "pyleak.calls", value) < 0) {
        return -1;
    }
    /* Screened clean together with the other tests of its group: the
     * metrics below are the group's. */
    snprintf(value, sizeof(value), "%u", t->screened);
    if (t->screened > 0 && put_property(out, "pyleak.screened", value) < 0) {
        return -1;
    }
    snprintf(value, sizeof(value), "%lu", t->total_calls);
    if (t->total_calls > 0 &&
        put_property(out, "pyleak.total_calls", value) < 0) {
        return -1;
    }
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        if (t->metrics[m].measured &&
            put_metric(out, (plk_metric)m, &t->metrics[m]) < 0) {
            return -1;
        }
    }
    if (t->kind != NULL && put_property(out, "pyleak.kind", t->kind) < 0) {
        return -1;
    }
    if (t->top_site != NULL &&
        put_property(out, "pyleak.top_site", t->top_site) < 0) {
        return -1;
    }
    /* A known leak passes; the report still says it leaks, and why
     * that is accepted. */
    if (t->baseline != PLK_BASELINE_NONE &&
        put_property(out, "pyleak.baseline",
                     t->baseline == PLK_BASELINE_KNOWN    ? "known"
                     : t->baseline == PLK_BASELINE_LARGER ? "larger"
                                                          : "fixed") < 0) {
        return -1;
    }
    if (t->note != NULL && put_property(out, "pyleak.note", t->note) < 0) {
        return -1;
    }
    return end(out);
}

static int
put_outcome(junit_out *out, const plk_test_result *t)
{
    switch (t->outcome) {
    case PLK_OUTCOME_PASSED:
        return 0;
    case PLK_OUTCOME_LEAKED:
        return put_problem(out, "failure", "pyleak.Leak", "pyleak.Leak",
                           t->message, t->details);
    case PLK_OUTCOME_FAILED:
        return put_problem(out, "failure", t->exc_type, "AssertionError",
                           t->message, t->details);
    case PLK_OUTCOME_ERROR:
        return put_problem(out, "error", t->exc_type, "pyleak.Error",
                           t->message, t->details);
    case PLK_OUTCOME_SKIPPED:
        if (start(out, "skipped") < 0 ||
            put_attr(out, "message", t->message) < 0) {
            return -1;
        }
        return end(out);
    }
    return 0;
}

static int
put_output(junit_out *out, const char *elem, const char *text)
{
    if (text == NULL || text[0] == '\0') {
        return 0;
    }
    if (start(out, elem) < 0 || put_text(out, text) < 0) {
        return -1;
    }
    return end(out);
}

static int
put_testcase(junit_out *out, const plk_test_result *t)
{
    /* The leak's own location beats the test's definition: that is the
     * line a reviewer has to change. */
    int at_leak = !is_blank(t->loc_file);
    const char *file = at_leak ? t->loc_file : t->file;
    long line = at_leak ? t->loc_line : t->line;

    if (start(out, "testcase") < 0 ||
        put_attr(out, "classname", t->classname) < 0 ||
        put_attr(out, "name", t->name) < 0 ||
        put_time(out, "time", t->time) < 0) {
        return -1;
    }
    if (out->strict) {
        /* Both schemas allow at most one child here (the Ant one allows
         * no output and no properties): output goes to the suite. */
        if (put_outcome(out, t) < 0) {
            return -1;
        }
        return end(out);
    }
    /* GitHub and GitLab reporters turn file and line into links; a line
     * of 0, or of no file, would point at nothing. */
    if (is_blank(file)) {
        file = NULL;
    }
    if (file != NULL && put_attr(out, "file", file) < 0) {
        return -1;
    }
    if (file != NULL && line > 0 && put_attrf(out, "line", "%ld", line) < 0) {
        return -1;
    }
    if (t->rounds > 0 && put_properties(out, t) < 0) {
        return -1;
    }
    if (put_outcome(out, t) < 0 ||
        put_output(out, "system-out", t->stdout_text) < 0 ||
        put_output(out, "system-err", t->stderr_text) < 0) {
        return -1;
    }
    return end(out);
}

/* The strict form has no output per testcase, so the suite's
 * <system-out>/<system-err> carry every test's, each under a header. */
static int
put_suite_output(junit_out *out, const plk_suite_result *s, int err_stream)
{
    plk_buf b = {0};
    size_t i;
    int rc = 0;

    for (i = 0; i < s->ntests; i++) {
        const plk_test_result *t = &s->tests[i];
        const char *text = err_stream ? t->stderr_text : t->stdout_text;
        size_t n;

        if (text == NULL || text[0] == '\0') {
            continue;
        }
        n = strlen(text);
        if (plk_buf_printf(&b, "----- %s -----\n%s%s",
                           t->id     ? t->id
                           : t->name ? t->name
                                     : "?",
                           text, text[n - 1] == '\n' ? "" : "\n") != 0) {
            if (out->errnum == 0) {
                out->errnum = ENOMEM;
            }
            rc = -1;
            goto done;
        }
    }
    /* Both elements are required by the Ant schema, even when empty. */
    if (start(out, err_stream ? "system-err" : "system-out") < 0 ||
        put_text(out, b.data) < 0 || end(out) < 0) {
        rc = -1;
    }
done:
    plk_buf_free(&b);
    return rc;
}

/* A file that failed to import has no tests to hang the error on, so it
 * gets a stand-in test named after the module, which is what pytest
 * writes too. */
static int
put_import_error(junit_out *out, const plk_suite_result *s)
{
    if (start(out, "testcase") < 0 ||
        put_attr(out, "classname", s->name) < 0 ||
        put_attr(out, "name", "<module>") < 0 ||
        put_time(out, "time", 0) < 0) {
        return -1;
    }
    if (!out->strict && !is_blank(s->file) &&
        put_attr(out, "file", s->file) < 0) {
        return -1;
    }
    if (put_problem(out, "error", s->error_type, "pyleak.Error",
                    s->error_message, s->error_details) < 0) {
        return -1;
    }
    return end(out);
}

/* "YYYY-MM-DDTHH:MM:SS" with every field in range: the Ant schema's
 * pattern on an xs:dateTime. */
static int
is_timestamp(const char *ts)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    int mon, day, hour, min, sec;
    size_t i;

    if (ts == NULL || strlen(ts) != sizeof(shape) - 1) {
        return 0;
    }
    for (i = 0; shape[i] != '\0'; i++) {
        if (shape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9')
                            : ts[i] != shape[i]) {
            return 0;
        }
    }
    mon = (ts[5] - '0') * 10 + (ts[6] - '0');
    day = (ts[8] - '0') * 10 + (ts[9] - '0');
    hour = (ts[11] - '0') * 10 + (ts[12] - '0');
    min = (ts[14] - '0') * 10 + (ts[15] - '0');
    sec = (ts[17] - '0') * 10 + (ts[18] - '0');
    return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 &&
           min <= 59 && sec <= 59;
}

/* The strict form must carry a timestamp on every suite; a suite that
 * never started (or a wild clock) borrows the run's, or now. */
static const char *
strict_timestamp(const plk_suite_result *s, const plk_run_result *r, char *buf,
                 size_t size)
{
    time_t now;
    struct tm tm;

    if (is_timestamp(s->timestamp)) {
        return s->timestamp;
    }
    if (is_timestamp(r->timestamp)) {
        return r->timestamp;
    }
    now = time(NULL);
    if (localtime_r(&now, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
        !is_timestamp(buf)) {
        snprintf(buf, size, "1970-01-01T00:00:00");
    }
    return buf;
}

/* Attributes and children the Ant schema requires of a strict suite:
 * package and id (inside <testsuites>), and a <properties> first. The
 * file, which it has no attribute for, becomes a property. */
static int
put_strict_suite_head(junit_out *out, const plk_suite_result *s,
                      const plk_run_result *r, size_t index)
{
    char ts[32];

    if (put_attr(out, "timestamp", strict_timestamp(s, r, ts, sizeof(ts))) <
            0 ||
        put_attrf(out, "id", "%zu", index) < 0 ||
        put_attr(out, "package", s->name) < 0 ||
        start(out, "properties") < 0) {
        return -1;
    }
    if (s->file != NULL && put_property(out, "pyleak.file", s->file) < 0) {
        return -1;
    }
    return end(out);
}

static int
put_suite(junit_out *out, const plk_run_result *r, size_t index,
          const char *hostname)
{
    const plk_suite_result *s = &r->suites[index];
    plk_totals tot;
    size_t i;

    plk_suite_result_totals(s, &tot);
    if (start(out, "testsuite") < 0 ||
        put_attr(out, "name", is_blank(s->name) ? "pyleak-ci" : s->name) < 0 ||
        put_attrf(out, "tests", "%zu", tot.tests) < 0 ||
        put_attrf(out, "failures", "%zu", tot.failed + tot.leaked) < 0 ||
        put_attrf(out, "errors", "%zu", tot.errors) < 0 ||
        put_attrf(out, "skipped", "%zu", tot.skipped) < 0 ||
        put_time(out, "time", s->time) < 0 ||
        put_attr(out, "hostname", hostname) < 0) {
        return -1;
    }
    if (out->strict) {
        if (put_strict_suite_head(out, s, r, index) < 0) {
            return -1;
        }
    }
    else {
        if (s->timestamp != NULL &&
            put_attr(out, "timestamp", s->timestamp) < 0) {
            return -1;
        }
        if (s->file != NULL && put_attr(out, "file", s->file) < 0) {
            return -1;
        }
    }
    if (s->error_message != NULL && put_import_error(out, s) < 0) {
        return -1;
    }
    for (i = 0; i < s->ntests; i++) {
        if (put_testcase(out, &s->tests[i]) < 0) {
            return -1;
        }
    }
    if (out->strict &&
        (put_suite_output(out, s, 0) < 0 || put_suite_output(out, s, 1) < 0)) {
        return -1;
    }
    return end(out);
}

static int
put_document(junit_out *out, const plk_run_result *r)
{
    plk_totals tot;
    char hostname[256];
    size_t i;

    if (gethostname(hostname, sizeof(hostname)) != 0) {
        hostname[0] = '\0';
    }
    /* POSIX leaves a truncated name unterminated. */
    hostname[sizeof(hostname) - 1] = '\0';
    if (is_blank(hostname)) {
        snprintf(hostname, sizeof(hostname), "localhost");
    }
    plk_run_result_totals(r, &tot);
    if (xmlTextWriterSetIndent(out->w, 1) < 0 ||
        xmlTextWriterSetIndentString(out->w, BAD_CAST "  ") < 0 ||
        xmlTextWriterStartDocument(out->w, "1.0", "UTF-8", NULL) < 0 ||
        start(out, "testsuites") < 0) {
        return -1;
    }
    /* The Ant schema allows no attribute on <testsuites>; each suite
     * carries its own totals. */
    if (!out->strict) {
        if (put_attr(out, "name", "pyleak-ci") < 0 ||
            put_attrf(out, "tests", "%zu", tot.tests) < 0 ||
            put_attrf(out, "failures", "%zu", tot.failed + tot.leaked) < 0 ||
            put_attrf(out, "errors", "%zu", tot.errors) < 0 ||
            put_attrf(out, "skipped", "%zu", tot.skipped) < 0 ||
            put_time(out, "time", r->time) < 0) {
            return -1;
        }
        if (r->timestamp != NULL &&
            put_attr(out, "timestamp", r->timestamp) < 0) {
            return -1;
        }
    }
    for (i = 0; i < r->nsuites; i++) {
        if (put_suite(out, r, i, hostname) < 0) {
            return -1;
        }
    }
    if (end(out) < 0) {
        return -1;
    }
    return xml_ok(xmlTextWriterEndDocument(out->w));
}

int
plk_junit_write(const plk_run_result *r, const char *path, int strict,
                plk_error *err)
{
    junit_out out = {NULL, -1, 0, 0, ""};
    xmlOutputBufferPtr buf = NULL;
    char *tmp = NULL;
    int created = 0;
    int handler_set = 0;
    int rc = 0;

    if (r == NULL || path == NULL || path[0] == '\0') {
        return plk_error_set(err, PLK_EUSAGE,
                             "no path given for the JUnit report");
    }
    /* Beside the target, so rename() stays within one file system and a
     * reader never sees half a report. */
    tmp = plk_asprintf("%s.tmp.%ld", path, (long)getpid());
    if (tmp == NULL) {
        out.errnum = ENOMEM;
        rc = -1;
        goto done;
    }
    out.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out.fd < 0) {
        out.errnum = errno;
        rc = -1;
        goto done;
    }
    created = 1;
    out.strict = strict;
    buf = xmlOutputBufferCreateIO(out_write, out_close, &out, NULL);
    if (buf == NULL) {
        out.errnum = ENOMEM;
        rc = -1;
        goto done;
    }
    out.w = xmlNewTextWriter(buf);
    if (out.w == NULL) {
        out.errnum = ENOMEM;
        rc = -1;
        goto done;
    }
    buf = NULL; /* the writer owns it now */
    /* Only this module uses libxml2, so no other handler is displaced. */
    xmlSetStructuredErrorFunc(&out, on_xml_error);
    handler_set = 1;
    rc = put_document(&out, r);
    /* Freeing the writer flushes and closes the file; only then is it
     * known whether everything reached the disk. */
    xmlFreeTextWriter(out.w);
    out.w = NULL;
    if (rc < 0 || out.errnum != 0) {
        rc = -1;
        goto done;
    }
    if (rename(tmp, path) != 0) {
        out.errnum = errno;
        rc = -1;
        goto done;
    }
    created = 0;
done:
    xmlFreeTextWriter(out.w);
    if (buf != NULL) {
        xmlOutputBufferClose(buf);
    }
    if (handler_set) {
        xmlSetStructuredErrorFunc(NULL, NULL);
    }
    if (out.fd >= 0) {
        close(out.fd);
    }
    if (created) {
        unlink(tmp);
    }
    free(tmp);
    if (rc < 0) {
        const char *why = out.errnum != 0          ? strerror(out.errnum)
                          : out.xml_msg[0] != '\0' ? out.xml_msg
                                                   : strerror(EIO);

        return plk_error_set(
            err, PLK_EIO, "cannot write the JUnit report %s: %s", path, why);
    }
    return 0;
}

int
plk_junit_check_path(const char *path, plk_error *err)
{
    return plk_outfile_check(path, "JUnit report", err);
}
