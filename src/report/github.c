/* GitHub Actions: error annotations at each leak's location and a
 * Markdown job summary. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report/github.h"
#include "report/html.h"
#include "base/metric.h"
#include "report/summary.h"
#include "base/sanitize.h"

/* Longest text of one table cell or annotation part; a test name of a
 * megabyte must not crowd out every other row. */
#define CELL_MAX 300
#define MESSAGE_MAX 4000
#define SPARK_BARS 48

int
plk_github_active(void)
{
    const char *v = getenv("GITHUB_ACTIONS");

    return v != NULL && strcmp(v, "true") == 0;
}

void
plk_github_stop_commands(FILE *out, char *token)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    size_t got = 0;
    size_t i;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    /* Unguessable, so that output cannot end the pause early by
     * printing the token. */
    if (fd >= 0) {
        ssize_t n = read(fd, raw, sizeof(raw));

        got = n > 0 ? (size_t)n : 0;
        close(fd);
    }
    if (got < sizeof(raw)) {
        unsigned long seed = (unsigned long)getpid() * 2654435761UL ^
                             (unsigned long)time(NULL) ^
                             (unsigned long)(uintptr_t)token;

        for (i = got; i < sizeof(raw); i++) {
            seed = seed * 6364136223846793005UL + 1442695040888963407UL;
            raw[i] = (unsigned char)(seed >> 33);
        }
    }
    memcpy(token, "pyleak-", 7);
    for (i = 0; i < sizeof(raw); i++) {
        token[7 + 2 * i] = hex[raw[i] >> 4];
        token[8 + 2 * i] = hex[raw[i] & 0xf];
    }
    token[7 + 2 * sizeof(raw)] = '\0';
    fprintf(out, "::stop-commands::%s\n", token);
    fflush(out);
}

void
plk_github_resume_commands(FILE *out, const char *token)
{
    if (token != NULL && token[0] != '\0') {
        fprintf(out, "::%s::\n", token);
        fflush(out);
    }
}

int
plk_github_escape(plk_buf *b, const char *s, int property)
{
    char *clean = plk_sanitize_str(s, property);
    const char *p;
    int rc = 0;

    if (clean == NULL) {
        return PLK_ENOMEM;
    }
    for (p = clean; *p != '\0' && rc == 0; p++) {
        switch (*p) {
        case '%':
            rc = plk_buf_puts(b, "%25");
            break;
        case '\r':
            rc = plk_buf_puts(b, "%0D");
            break;
        case '\n':
            rc = plk_buf_puts(b, "%0A");
            break;
        case ':':
            rc = property ? plk_buf_puts(b, "%3A") : plk_buf_append(b, p, 1);
            break;
        case ',':
            rc = property ? plk_buf_puts(b, "%2C") : plk_buf_append(b, p, 1);
            break;
        default:
            rc = plk_buf_append(b, p, 1);
            break;
        }
    }
    free(clean);
    return rc != 0 ? PLK_ENOMEM : 0;
}

char *
plk_github_repo_path(const char *workspace, const char *cwd, const char *file)
{
    plk_buf b = {0};
    char *prefix = NULL;
    size_t wl;
    size_t pl;

    if (file == NULL || file[0] == '\0') {
        return NULL;
    }
    while (strncmp(file, "./", 2) == 0) {
        file += 2;
    }
    if (workspace == NULL || workspace[0] == '\0') {
        return file[0] == '/' ? NULL : plk_strdup(file);
    }
    wl = strlen(workspace);
    while (wl > 1 && workspace[wl - 1] == '/') {
        wl--;
    }
    if (wl == 1 && workspace[0] == '/') {
        wl = 0; /* the root: every absolute path is inside */
    }
    if (file[0] == '/') {
        if (strncmp(file, workspace, wl) == 0 && file[wl] == '/') {
            return plk_strdup(file + wl + 1);
        }
        return NULL;
    }
    /* Relative to cwd: cwd's place in the workspace comes first. */
    if (cwd == NULL || strncmp(cwd, workspace, wl) != 0 ||
        (cwd[wl] != '/' && cwd[wl] != '\0')) {
        return NULL;
    }
    prefix = plk_strdup(cwd[wl] == '/' ? cwd + wl + 1 : "");
    if (prefix == NULL) {
        return NULL;
    }
    pl = strlen(prefix);
    while (pl > 0 && prefix[pl - 1] == '/') {
        prefix[--pl] = '\0';
    }
    /* "../x" climbs out of cwd, but must stay in the workspace. */
    while (strncmp(file, "../", 3) == 0) {
        char *slash;

        if (pl == 0) {
            free(prefix);
            return NULL;
        }
        slash = strrchr(prefix, '/');
        pl = slash != NULL ? (size_t)(slash - prefix) : 0;
        prefix[pl] = '\0';
        file += 3;
    }
    if (plk_buf_printf(&b, "%s%s%s", prefix, pl > 0 ? "/" : "", file) != 0) {
        plk_buf_free(&b);
        free(prefix);
        return NULL;
    }
    free(prefix);
    return plk_buf_detach(&b);
}

/* The workspace and working directory, canonical, for repo paths. */
typedef struct places {
    char *workspace;
    char *cwd;
} places;

static void
places_init(places *pl)
{
    const char *ws = getenv("GITHUB_WORKSPACE");
    char buf[PATH_MAX];

    pl->workspace = NULL;
    pl->cwd = NULL;
    if (ws != NULL && ws[0] != '\0') {
        pl->workspace = realpath(ws, NULL);
    }
    if (getcwd(buf, sizeof(buf)) != NULL) {
        pl->cwd = realpath(buf, NULL);
    }
}

static void
places_free(places *pl)
{
    free(pl->workspace);
    free(pl->cwd);
}

static int
is_problem(const plk_test_result *t)
{
    return t->outcome == PLK_OUTCOME_LEAKED ||
           t->outcome == PLK_OUTCOME_FAILED || t->outcome == PLK_OUTCOME_ERROR;
}

/* Walks the problems of a run in report order: leaks first (pass 0),
 * then failing and erroring tests and files that did not import (pass
 * 1). Start from a zeroed iterator. */
typedef struct problem_iter {
    int pass;
    size_t i, j;
    plk_test_result view; /* an import error, shown as a test */
} problem_iter;

static const plk_test_result *
next_problem(const plk_run_result *r, problem_iter *it)
{
    while (it->pass < 2) {
        const plk_suite_result *s;

        if (it->i >= r->nsuites) {
            it->pass++;
            it->i = 0;
            it->j = 0;
            continue;
        }
        s = &r->suites[it->i];
        if (it->j < s->ntests) {
            const plk_test_result *t = &s->tests[it->j++];

            if (is_problem(t) &&
                (t->outcome == PLK_OUTCOME_LEAKED) == (it->pass == 0)) {
                return t;
            }
            continue;
        }
        if (it->j == s->ntests && it->pass == 1 && s->error_message != NULL) {
            it->j++;
            memset(&it->view, 0, sizeof(it->view));
            it->view.id = s->file != NULL ? s->file : s->name;
            it->view.file = s->file;
            it->view.outcome = PLK_OUTCOME_ERROR;
            it->view.exc_type = s->error_type;
            it->view.message = s->error_message;
            return &it->view;
        }
        it->i++;
        it->j = 0;
    }
    return NULL;
}

static const char *
test_label(const plk_test_result *t)
{
    return t->id ? t->id : t->name ? t->name : "?";
}

/* A failure's one-line text: the message, which names the exception
 * type already, else the type. */
static const char *
problem_text(const plk_test_result *t)
{
    if (t->message != NULL && t->message[0] != '\0') {
        return t->message;
    }
    return t->exc_type != NULL ? t->exc_type : "error";
}

/* One "::error" line for a problem test. */
static int
put_annotation(plk_buf *b, const places *pl, const plk_test_result *t)
{
    const char *file = t->loc_file != NULL ? t->loc_file : t->file;
    long line = t->loc_file != NULL ? t->loc_line : t->line;
    char *where = plk_github_repo_path(pl->workspace, pl->cwd, file);
    char *title = NULL;
    plk_buf msg = {0};
    int rc = PLK_ENOMEM;

    if (plk_buf_puts(b, "::error ") != 0) {
        goto done;
    }
    if (where != NULL) {
        if (plk_buf_puts(b, "file=") != 0 ||
            plk_github_escape(b, where, 1) != 0) {
            goto done;
        }
        if (line > 0 && plk_buf_printf(b, ",line=%ld", line) != 0) {
            goto done;
        }
        if (plk_buf_puts(b, ",") != 0) {
            goto done;
        }
    }
    title = plk_asprintf("pyleak-ci: %s %s", test_label(t),
                         t->outcome == PLK_OUTCOME_LEAKED   ? "leaks"
                         : t->outcome == PLK_OUTCOME_FAILED ? "failed"
                                                            : "error");
    if (title == NULL) {
        goto done;
    }
    plk_sanitize_truncate(title, CELL_MAX);
    if (plk_buf_puts(b, "title=") != 0 ||
        plk_github_escape(b, title, 1) != 0 || plk_buf_puts(b, "::") != 0) {
        goto done;
    }
    if (t->outcome == PLK_OUTCOME_LEAKED) {
        plk_buf_puts(&msg, t->message ? t->message : "leaks");
        if (t->top_site != NULL) {
            plk_buf_printf(&msg, "\ntop allocation site: %s", t->top_site);
        }
        if (t->kind != NULL) {
            plk_buf_printf(&msg, "\nkind: %s", t->kind);
        }
        if (t->note != NULL) {
            plk_buf_printf(&msg, "\n%s", t->note);
        }
    }
    else {
        plk_buf_puts(&msg, problem_text(t));
    }
    if (msg.data == NULL) {
        goto done;
    }
    plk_sanitize_truncate(msg.data, MESSAGE_MAX);
    if (plk_github_escape(b, msg.data, 0) != 0 || plk_buf_puts(b, "\n") != 0) {
        goto done;
    }
    rc = 0;
done:
    plk_buf_free(&msg);
    free(title);
    free(where);
    return rc;
}

size_t
plk_github_annotate(FILE *out, const plk_run_result *r, size_t max)
{
    places pl;
    problem_iter it = {0};
    const plk_test_result *t;
    size_t written = 0;
    size_t omitted = 0;

    places_init(&pl);
    /* Leaks first: they are what this tool is for, and the limit may
     * leave no room for the rest. */
    while ((t = next_problem(r, &it)) != NULL) {
        plk_buf b = {0};

        if (written >= max) {
            omitted++;
            continue;
        }
        if (put_annotation(&b, &pl, t) == 0) {
            fputs(b.data, out);
            written++;
        }
        plk_buf_free(&b);
    }
    fflush(out);
    places_free(&pl);
    return omitted;
}

char *
plk_github_sparkline(const int64_t *series, size_t n, size_t max)
{
    static const char *const bars[8] = {
        "\xE2\x96\x81", "\xE2\x96\x82", "\xE2\x96\x83", "\xE2\x96\x84",
        "\xE2\x96\x85", "\xE2\x96\x86", "\xE2\x96\x87", "\xE2\x96\x88"};
    plk_buf b = {0};
    double lo = 0, hi = 0;
    size_t first = 1;
    size_t i;

    if (series == NULL || n < 2) {
        return plk_strdup("");
    }
    if (max > 0 && n - 1 > max) {
        first = n - max;
    }
    for (i = first; i < n; i++) {
        double d = (double)series[i] - (double)series[i - 1];

        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    for (i = first; i < n; i++) {
        double d = (double)series[i] - (double)series[i - 1];
        int level = hi > lo ? (int)((d - lo) / (hi - lo) * 7.0 + 0.5) : 0;

        if (level < 0) {
            level = 0;
        }
        if (level > 7) {
            level = 7;
        }
        if (plk_buf_puts(&b, bars[level]) != 0) {
            plk_buf_free(&b);
            return NULL;
        }
    }
    return plk_buf_detach(&b);
}

/* Table-cell text: one line, bounded, and every character Markdown or
 * HTML would act on escaped, so a test name cannot end the cell, open a
 * link or inject markup. */
static int
put_cell(plk_buf *b, const char *s)
{
    char *clean = plk_sanitize_str(s ? s : "", 1);
    const char *p;
    int rc = 0;

    if (clean == NULL) {
        return PLK_ENOMEM;
    }
    plk_sanitize_truncate(clean, CELL_MAX);
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
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '|':
        case '~':
        case '#':
        case '$':
            rc = plk_buf_printf(b, "\\%c", *p);
            break;
        default:
            rc = plk_buf_append(b, p, 1);
            break;
        }
    }
    free(clean);
    return rc != 0 ? PLK_ENOMEM : 0;
}

/* The gating metric a leak's sparkline shows: the first that leaks. */
static int
leaking_metric(const plk_test_result *t)
{
    int m;

    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        const plk_metric_result *mr = &t->metrics[m];

        if (mr->measured && mr->gating &&
            mr->fit.verdict == PLK_VERDICT_LEAK) {
            return m;
        }
    }
    return -1;
}

/* A URL from the environment, fit for a Markdown link: only http(s),
 * and every byte outside a conservative set percent-encoded, so that
 * neither the table ("|") nor the link syntax ("(", ")", " ") breaks. */
static int
put_url(plk_buf *b, const char *url)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;
    int rc = 0;

    for (p = (const unsigned char *)url; *p && rc == 0; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~:/?#@!$&*+,;=%", *p)) {
            rc = plk_buf_append(b, (const char *)p, 1);
        }
        else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

            rc = plk_buf_append(b, enc, 3);
        }
    }
    return rc;
}

static int
url_ok(const char *url)
{
    return url != NULL && (strncmp(url, "https://", 8) == 0 ||
                           strncmp(url, "http://", 7) == 0);
}

/* The link target of the report, or NULL when there is none. */
static const char *
html_target(const plk_github_html *html)
{
    if (html == NULL) {
        return NULL;
    }
    if (url_ok(html->base_url)) {
        return html->base_url;
    }
    return url_ok(html->run_url) ? html->run_url : NULL;
}

char *
plk_github_run_url(void)
{
    const char *server = getenv("GITHUB_SERVER_URL");
    const char *repo = getenv("GITHUB_REPOSITORY");
    const char *run = getenv("GITHUB_RUN_ID");

    if (server == NULL || repo == NULL || run == NULL || !*server || !*repo ||
        !*run) {
        return NULL;
    }
    return plk_asprintf("%s/%s/actions/runs/%s#artifacts", server, repo, run);
}

/* A link for a row: straight to the leak's section when the report is
 * served, else to the run's artifacts with the section named, since an
 * artifact downloads as a zip. */
static int
put_report_link(plk_buf *b, const plk_test_result *t,
                const plk_github_html *html)
{
    char anchor[PLK_HTML_ANCHOR_SIZE];
    const char *target = html_target(html);
    char *base;
    int rc;

    if (target == NULL) {
        return 0;
    }
    plk_html_anchor(anchor, "leak", t->id);
    if (!url_ok(html->base_url)) {
        if (plk_buf_printf(b, "[`#%s`](", anchor) != 0 ||
            put_url(b, target) != 0 || plk_buf_puts(b, ")") != 0) {
            return PLK_ENOMEM;
        }
        return 0;
    }
    /* A base URL that already names a section loses it. */
    base = plk_strndup(html->base_url, strcspn(html->base_url, "#"));
    if (base == NULL) {
        return PLK_ENOMEM;
    }
    rc = plk_buf_puts(b, "[details](") != 0 || put_url(b, base) != 0 ||
                 plk_buf_printf(b, "#%s)", anchor) != 0
             ? PLK_ENOMEM
             : 0;
    free(base);
    return rc;
}

static int
put_leak_row(plk_buf *b, const plk_test_result *t, const plk_github_html *html)
{
    int m = leaking_metric(t);
    char *spark = NULL;
    char *growth = NULL;
    int rc = PLK_ENOMEM;

    if (m >= 0) {
        spark = plk_github_sparkline(t->metrics[m].series, t->metrics[m].n,
                                     SPARK_BARS);
        if (spark == NULL) {
            goto done;
        }
    }
    growth = plk_leak_summary(t);
    if (growth == NULL) {
        goto done;
    }
    if (plk_buf_puts(b, "| ") != 0 || put_cell(b, test_label(t)) != 0 ||
        plk_buf_puts(b, " | ") != 0 ||
        put_cell(b, strncmp(growth, "leaks ", 6) == 0 ? growth + 6 : growth) !=
            0 ||
        plk_buf_puts(b, " | ") != 0) {
        goto done;
    }
    if (spark != NULL && spark[0] != '\0' &&
        plk_buf_printf(b, "%s %s", spark, plk_metric_name((plk_metric)m)) !=
            0) {
        goto done;
    }
    if (plk_buf_puts(b, " | ") != 0 ||
        put_cell(b, t->top_site ? t->top_site : "") != 0 ||
        plk_buf_puts(b, " |") != 0) {
        goto done;
    }
    if (html_target(html) != NULL &&
        (plk_buf_puts(b, " ") != 0 || put_report_link(b, t, html) != 0 ||
         plk_buf_puts(b, " |") != 0)) {
        goto done;
    }
    if (plk_buf_puts(b, "\n") != 0) {
        goto done;
    }
    rc = 0;
done:
    free(growth);
    free(spark);
    return rc;
}

static int
put_failure_item(plk_buf *b, const plk_test_result *t)
{
    if (plk_buf_puts(b, "- ") != 0 || put_cell(b, test_label(t)) != 0 ||
        plk_buf_puts(b, t->outcome == PLK_OUTCOME_FAILED ? " failed: "
                                                         : " error: ") != 0 ||
        put_cell(b, problem_text(t)) != 0 || plk_buf_puts(b, "\n") != 0) {
        return PLK_ENOMEM;
    }
    return 0;
}

int
plk_github_summary(char **out, const plk_run_result *r, size_t omitted,
                   size_t limit, const plk_github_html *html)
{
    plk_buf b = {0};
    plk_totals tot;
    problem_iter it = {0};
    const plk_test_result *t;
    int header = -1; /* the pass whose heading was written */
    size_t unlisted = 0;
    size_t problems = 0;
    /* Room kept for the closing notes once rows stop being added. */
    size_t budget = limit > 2048 ? limit - 2048 : 0;

    *out = NULL;
    plk_run_result_totals(r, &tot);
    plk_buf_printf(&b, "## pyleak-ci: %s\n\n",
                   tot.leaked                   ? "leaks found"
                   : (tot.failed || tot.errors) ? "failing tests"
                   : tot.tests                  ? "no leaks"
                                                : "no tests");
    plk_buf_printf(&b,
                   "%zu leaked, %zu failed, %zu errors, %zu passed, "
                   "%zu skipped in %.2f s%s\n\n",
                   tot.leaked, tot.failed, tot.errors, tot.passed, tot.skipped,
                   r->time,
                   r->interrupted ? " (interrupted: the results are of the "
                                    "tests that finished)"
                                  : "");
    while ((t = next_problem(r, &it)) != NULL) {
        size_t before = b.len;
        int rc;

        problems++;
        if (b.len >= budget) {
            unlisted++;
            continue;
        }
        if (it.pass != header) {
            if (it.pass == 0 && html_target(html) != NULL) {
                plk_buf_puts(&b, "| Test | Leak per call | Growth over "
                                 "rounds | Top allocation site | "
                                 "HTML report |\n"
                                 "|---|---|---|---|---|\n");
            }
            else {
                plk_buf_puts(&b, it.pass == 0 ? "| Test | Leak per call | "
                                                "Growth over rounds | "
                                                "Top allocation site |\n"
                                                "|---|---|---|---|\n"
                                              : "\n### Failing tests\n\n");
            }
            header = it.pass;
        }
        rc =
            it.pass == 0 ? put_leak_row(&b, t, html) : put_failure_item(&b, t);
        if (rc != 0) {
            goto nomem;
        }
        if (b.len > budget) {
            /* That row did not fit after all. */
            b.len = before;
            b.data[b.len] = '\0';
            unlisted++;
        }
    }
    if (tot.leaked > 0 && html_target(html) != NULL) {
        plk_buf_puts(&b, "\nEach leak in full, with charts of its growth: ");
        put_cell(&b, html->file ? html->file : "the HTML report");
        if (url_ok(html->base_url)) {
            plk_buf_puts(&b, " (the *details* links above).\n");
        }
        else {
            plk_buf_puts(&b, ", in this run's artifacts (the links above); "
                             "open it and go to the section named in "
                             "the link.\n");
        }
    }
    if (unlisted > 0) {
        plk_buf_printf(&b,
                       "\n%zu more problem%s not listed here to keep the "
                       "summary small; the JUnit or JSON report has them "
                       "all.\n",
                       unlisted, unlisted == 1 ? " is" : "s are");
    }
    if (omitted > 0) {
        plk_buf_printf(&b,
                       "\n%zu of %zu problem%s not annotated in the code: "
                       "GitHub shows at most %d annotations per step.\n",
                       omitted, problems, problems == 1 ? " is" : "s are",
                       PLK_GITHUB_MAX_ANNOTATIONS);
    }
    if (b.data == NULL) {
        goto nomem;
    }
    *out = plk_buf_detach(&b);
    return 0;
nomem:
    plk_buf_free(&b);
    return PLK_ENOMEM;
}

int
plk_github_summary_append(const char *path, const plk_run_result *r,
                          size_t omitted, const plk_github_html *html,
                          plk_error *err)
{
    char *text = NULL;
    size_t len, done = 0;
    int fd = -1;
    int rc = 0;

    if (path == NULL || path[0] == '\0') {
        return plk_error_set(err, PLK_EUSAGE,
                             "GITHUB_STEP_SUMMARY is not set");
    }
    if (plk_github_summary(&text, r, omitted, PLK_GITHUB_SUMMARY_LIMIT,
                           html) != 0) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    /* Appended: earlier steps of the job wrote their own parts. */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        rc = plk_error_set(err, PLK_EIO, "cannot write the job summary %s: %s",
                           path, strerror(errno));
        goto done;
    }
    len = strlen(text);
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = plk_error_set(err, PLK_EIO,
                               "cannot write the job summary %s: %s", path,
                               strerror(errno));
            goto done;
        }
        done += (size_t)n;
    }
done:
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        rc = plk_error_set(err, PLK_EIO, "cannot write the job summary %s: %s",
                           path, strerror(errno));
    }
    free(text);
    return rc;
}
