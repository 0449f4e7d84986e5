/* The settings table, and the parsing, defaults and values of its rows. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"

/* The offset of a member of plk_config, which must have type T: a row
 * that points at a member of another type does not compile. */
/* clang-format off */
#define AT(member, T)                                                       \
    _Generic(((plk_config *)0)->member, T: offsetof(plk_config, member))

#define UINT_AT(m) .kind = PLK_KIND_UINT, .at = AT(m, unsigned)
#define NUMBER_AT(m) .kind = PLK_KIND_NUMBER, .at = AT(m, double)
#define BOOL_AT(m) .kind = PLK_KIND_BOOL, .at = AT(m, int)
#define STRING_AT(m) .kind = PLK_KIND_STRING, .at = AT(m, char *)
#define PATH_AT(m) .kind = PLK_KIND_PATH, .at = AT(m, char *)
#define METRICS_AT(m, src)                                                  \
    .kind = PLK_KIND_METRICS, .at = AT(m, double *),                       \
    .at2 = AT(src, plk_source *)

/* A flag that takes a value, and one that sets a fixed value. */
#define VALUE_FLAG(name, metavar, help) {name, NULL, metavar, NULL, help}
#define SHORT_VALUE_FLAG(short_name, name, metavar, help)                   \
    {name, short_name, metavar, NULL, help}
#define SWITCH(name, sets, help) {name, NULL, NULL, sets, help}
#define SHORT_SWITCH(short_name, name, sets, help)                          \
    {name, short_name, NULL, sets, help}
/* clang-format on */

/* A CHOICE is stored through an int. */
_Static_assert(sizeof(plk_color) == sizeof(int), "plk_color is an int");

static const char *const colors[] = {"auto", "always", "never", NULL};

/* Counts that settle to whole numbers after a full collection still
 * jitter by a fraction of a unit per round on average (a cache slot
 * refilled every few rounds), so only growth above that is a signal.
 * malloc and the kernel work in chunks and pages, hence the much
 * larger floors for heap and rss; a file system in blocks, hence the
 * page for the bytes of temporary files. */
/* clang-format off */
static const double floor_defaults[PLK_METRIC__COUNT] = {
    [PLK_METRIC_REFS] = 0.25,
    [PLK_METRIC_BLOCKS] = 0.25,
    [PLK_METRIC_OBJECTS] = 0.25,
    [PLK_METRIC_HEAP] = 256,
    [PLK_METRIC_RSS] = 262144,
    [PLK_METRIC_FDS] = 0.5,
    [PLK_METRIC_THREADS] = 0.5,
    [PLK_METRIC_PROCS] = 0.5,
    [PLK_METRIC_TMPFILES] = 0.25,
    [PLK_METRIC_TMPBYTES] = 4096,
    [PLK_METRIC_ENV] = 0.25,
};
/* clang-format on */

/* A cap below --rounds from a weaker source is raised, not an error
 * (plk_config_finish): say so where the value is shown. */
static const char *
max_rounds_note(const plk_config *c)
{
    return c->max_rounds == c->min_rounds &&
                   c->source[PLK_SET_MAX_ROUNDS].origin <
                       c->source[PLK_SET_ROUNDS].origin
               ? ", raised to rounds"
               : NULL;
}

static const char *
jobs_note(const plk_config *c)
{
    return c->jobs == 0 ? " (0: one per CPU)" : NULL;
}

/* Rows are in the order --help and the man page list the flags; the
 * plk_setting enum gives the order of `pyleak-ci config` and of the
 * keys. A new setting is a member of plk_config, a plk_setting and one
 * row here: everything else follows from the row. The rows keep related
 * fields on one line, which clang-format would split one per line. */
/* clang-format off */
static const plk_setting_def rows[] = {
    {
        .id = PLK_SET_PATHS, .key = "paths",
        .kind = PLK_KIND_TARGETS, .at = AT(targets, plk_strlist),
        .def.s = ".",
    },
    {
        .id = PLK_SET_JUNIT_XML, .key = "junit-xml", PATH_AT(junit_xml),
        .flags = {VALUE_FLAG("--junit-xml", "PATH",
                             "write a JUnit XML report to PATH (default: "
                             "none)")},
    },
    {
        .id = PLK_SET_PYTHON, .key = "python", PATH_AT(python),
        .env = "VIRTUAL_ENV",
        .flags = {VALUE_FLAG("--python", "PATH",
                             "run in the environment of this python "
                             "(default:\n"
                             "the python of $VIRTUAL_ENV, else of the venv\n"
                             "pyleak-ci is installed in, else the Python\n"
                             "pyleak-ci was built with)")},
    },
    {
        .id = PLK_SET_WARMUP, .key = "warmup", .json = "warmup",
        UINT_AT(warmup), .lo = 0, .hi = 1000, .def.u = 3,
        .flags = {VALUE_FLAG("--warmup", "N",
                             "rounds run before measuring a test alone,\n"
                             "{lo} to {hi} (default: {default})")},
    },
    {
        .id = PLK_SET_ROUNDS, .key = "rounds", .json = "rounds",
        UINT_AT(min_rounds), .lo = 3, .hi = 100000, .def.u = 8,
        .flags = {VALUE_FLAG("--rounds", "N",
                             "measured rounds before a first verdict,\n"
                             "{lo} to {hi} (default: {default})")},
    },
    {
        .id = PLK_SET_MAX_ROUNDS, .key = "max-rounds", .json = "max_rounds",
        UINT_AT(max_rounds), .lo = 3, .hi = 100000, .def.u = 64,
        .note = max_rounds_note,
        .flags = {VALUE_FLAG("--max-rounds", "N",
                             "measured rounds a verdict rests on at most "
                             "while\n"
                             "it stays open; past them every other round "
                             "is\n"
                             "merged and the calls per round double, up "
                             "to\n"
                             "--max-calls; at least --rounds (default: "
                             "{default})")},
    },
    {
        .id = PLK_SET_MAX_CALLS, .key = "max-calls", .json = "max_calls",
        UINT_AT(max_calls), .lo = 1, .hi = 1000000, .def.u = 100,
        .flags = {VALUE_FLAG("--max-calls", "N",
                             "calls of a test per round at most, {lo} to "
                             "{hi}\n"
                             "(default: {default})")},
    },
    {
        .id = PLK_SET_ROUND_MS, .key = "round-ms", .json = "round_ms",
        NUMBER_AT(round_ms), .lo = 0, .lo_open = 1, .hi = INFINITY,
        .unit = "milliseconds", .def.d = 2.0,
        .flags = {VALUE_FLAG("--round-ms", "MS",
                             "choose the calls per round so a round lasts\n"
                             "about MS milliseconds, more than {lo} "
                             "(default: {default})")},
    },
    {
        .id = PLK_SET_ALPHA, .key = "alpha", .json = "alpha",
        NUMBER_AT(alpha), .lo = 0, .lo_open = 1, .hi = 1, .hi_open = 1,
        .def.d = 0.01,
        .flags = {VALUE_FLAG("--alpha", "P",
                             "significance level of the trend test, "
                             "between\n"
                             "{lo} and {hi} (default: {default})")},
    },
    {
        .id = PLK_SET_THOROUGH, .key = "thorough", BOOL_AT(thorough),
        .flags = {SWITCH("--thorough", "true",
                         "measure every test alone, one after the other,\n"
                         "for at least --rounds rounds (default: screen "
                         "the\n"
                         "tests of a class or file together first, and "
                         "stop\n"
                         "a test early when its metrics stay flat)")},
    },
    {
        .id = PLK_SET_RESEED, .key = "reseed", .json = "reseed",
        BOOL_AT(reseed), .def.b = 1,
        .flags = {SWITCH("--no-reseed", "false",
                         "do not reset the random state (random, numpy's\n"
                         "global generator, Hypothesis) to the same seed\n"
                         "before every call of a test")},
    },
    {
        .id = PLK_SET_FAIL_NOT_REPEATABLE, .key = "fail-not-repeatable",
        .json = "fail_not_repeatable", BOOL_AT(fail_not_repeatable),
        .flags = {SWITCH("--fail-not-repeatable", "true",
                         "fail the run when a test passes its first call\n"
                         "and fails when repeated, even with its class or\n"
                         "module fixtures around every call (default:\n"
                         "report it as not repeatable, like a skip)")},
    },
    {
        .id = PLK_SET_THRESHOLD, .key = "threshold", .json = "threshold",
        METRICS_AT(threshold, threshold_source), .lo = 0,
        .flags = {VALUE_FLAG("--threshold", "METRIC=AMOUNT",
                             "growth per call a test may show and still "
                             "pass;\n"
                             "repeatable (default: 0 for every metric: any\n"
                             "growth above the floor fails)")},
    },
    {
        .id = PLK_SET_FLOOR, .key = "floor", .json = "floor",
        METRICS_AT(floor, floor_source), .lo = 0,
        .def.metrics = floor_defaults,
        .flags = {VALUE_FLAG("--floor", "METRIC=AMOUNT",
                             "growth per round that is noise; repeatable\n"
                             "(defaults: {default})\n"
                             "(AMOUNT: a number >= {lo}, see Metrics)")},
    },
    {
        .id = PLK_SET_COLOR, .key = "color", .env = "NO_COLOR",
        .kind = PLK_KIND_CHOICE, .at = AT(color, plk_color),
        .choices = colors, .def.b = PLK_COLOR_AUTO,
        .flags = {VALUE_FLAG("--color", "WHEN",
                             "{choices} (default: {default}: colour\n"
                             "on a terminal unless NO_COLOR is set)"),
                  SWITCH("--no-color", "never", "same as --color never")},
    },
    {
        .id = PLK_SET_VERBOSE, .key = "verbose", BOOL_AT(verbose),
        .flags = {SHORT_SWITCH("-v", "--verbose", "true",
                               "one line per test, and each leak's growth "
                               "per\n"
                               "round and diagnosis and each failure's "
                               "traceback\n"
                               "(by default one line per leak, failure, "
                               "error)")},
    },
    {
        .id = PLK_SET_QUIET, .key = "quiet", BOOL_AT(quiet),
        .flags = {SHORT_SWITCH("-q", "--quiet", "true",
                               "no progress output")},
    },
    {
        .id = PLK_SET_JUNIT_STRICT, .key = "junit-strict",
        BOOL_AT(junit_strict),
        .flags = {SWITCH("--junit-strict", "true",
                         "JUnit XML that validates against the Jenkins\n"
                         "junit-10 and Ant schemas (no file/line, no\n"
                         "per-test properties)")},
    },
    {
        .id = PLK_SET_JSON, .key = "json", PATH_AT(json),
        .flags = {VALUE_FLAG("--json", "PATH",
                             "write the whole result as JSON to PATH\n"
                             "(format \"pyleak-ci/1\", see README)")},
    },
    {
        .id = PLK_SET_HTML, .key = "html", PATH_AT(html),
        .flags = {VALUE_FLAG("--html", "PATH",
                             "write a self-contained HTML report to PATH: "
                             "a\n"
                             "chart of each metric of every leak, the\n"
                             "diagnosis, failures, settings")},
    },
    {
        .id = PLK_SET_JOBS, .key = "jobs", UINT_AT(jobs), .lo = 1,
        .hi = 1024, .def.u = 0, .note = jobs_note,
        .flags = {SHORT_VALUE_FLAG("-j", "--jobs", "N",
                                   "test files run in parallel, each in "
                                   "its own\n"
                                   "worker process (a big file's classes "
                                   "may be\n"
                                   "shared by several), {lo} to {hi} "
                                   "(default: the\n"
                                   "number of CPUs)")},
    },
    {
        .id = PLK_SET_TIMEOUT, .key = "timeout", NUMBER_AT(timeout),
        .lo = 0, .lo_open = 1, .hi = INFINITY, .unit = "seconds",
        .def.d = 300.0,
        .flags = {VALUE_FLAG("--timeout", "SECONDS",
                             "a worker that shows no progress for this "
                             "long\n"
                             "is stopped and its test reported as an "
                             "error;\n"
                             "progress is each phase of a test (first "
                             "call,\n"
                             "timed call, every round, diagnosis, "
                             "setUpClass)\n"
                             "and a file's import, so this bounds the\n"
                             "longest phase, not the whole test (default: "
                             "{default})")},
    },
    {
        .id = PLK_SET_SHARD,
        .not_key = "each CI machine passes its own --shard K/N",
        .env = "CI_NODE_INDEX, CI_NODE_TOTAL",
        .kind = PLK_KIND_SHARD, .at = AT(shard_index, unsigned),
        .at2 = AT(shard_total, unsigned), .lo = 1, .hi = 100000,
        .flags = {VALUE_FLAG("--shard", "K/N",
                             "run only the K-th of N parts of the test "
                             "files\n"
                             "(default: $CI_NODE_INDEX/$CI_NODE_TOTAL when "
                             "set)")},
    },
    {
        .id = PLK_SET_DURATIONS_FROM, .key = "durations-from",
        PATH_AT(durations_from),
        .flags = {VALUE_FLAG("--durations-from", "FILE",
                             "balance shards by the test times in this\n"
                             "earlier JUnit or JSON report (else by the\n"
                             "number of tests in each file)")},
    },
    {
        .id = PLK_SET_KEYWORD, .key = "keyword", STRING_AT(keyword),
        .flags = {SHORT_VALUE_FLAG("-k", "--keyword", "EXPR",
                                   "run only tests whose names match EXPR "
                                   "(as pytest\n"
                                   "-k: substrings with and, or, not, "
                                   "parentheses)")},
    },
    {
        .id = PLK_SET_IGNORE, .key = "ignore",
        .kind = PLK_KIND_GLOBS, .at = AT(ignore, plk_strlist),
        .at2 = AT(ignore_from_file, size_t),
        .at3 = AT(ignore_file_line, int),
        .flags = {VALUE_FLAG("--ignore", "GLOB",
                             "when searching a directory, skip files and\n"
                             "directories whose name or path below it "
                             "matches\n"
                             "GLOB (GLOB/ : directories only); "
                             "repeatable")},
    },
    {
        .id = PLK_SET_BASELINE, .key = "baseline", PATH_AT(baseline),
        .flags = {VALUE_FLAG("--baseline", "FILE",
                             "known leaks: only new or larger leaks "
                             "fail")},
    },
    {
        .id = PLK_SET_UPDATE_BASELINE,
        .not_key = "it is an action: pass --update-baseline when you mean "
                   "to rewrite the baseline",
        BOOL_AT(update_baseline),
        .flags = {SWITCH("--update-baseline", "true",
                         "write the leaks found to the --baseline FILE")},
    },
    {
        .id = PLK_SET_DIAGNOSE, .key = "diagnose", .json = "diagnose",
        BOOL_AT(diagnose), .def.b = 1,
        .flags = {SWITCH("--no-diagnose", "false",
                         "do not re-run leaking tests to find where they\n"
                         "allocate and what holds the leak")},
    },
    {
        .id = PLK_SET_TRACEBACK_DEPTH, .key = "traceback-depth",
        UINT_AT(traceback_depth), .lo = 1, .hi = 1000, .def.u = 16,
        .flags = {VALUE_FLAG("--traceback-depth", "N",
                             "frames kept per allocation site, {lo} to "
                             "{hi}\n"
                             "(default: {default})")},
    },
};
/* clang-format on */

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

_Static_assert(N_ROWS == PLK_SET__COUNT,
               "one row in the settings table per plk_setting");

size_t
plk_settings_count(void)
{
    return N_ROWS;
}

const plk_setting_def *
plk_setting_at(size_t i)
{
    size_t j;

    for (j = 0; j < N_ROWS; j++) {
        if ((size_t)rows[j].id == i) {
            return &rows[j];
        }
    }
    return NULL;
}

const plk_setting_def *
plk_setting_listed(size_t i)
{
    return i < N_ROWS ? &rows[i] : NULL;
}

const plk_setting_def *
plk_setting_by_key(const char *key)
{
    size_t i;

    for (i = 0; i < N_ROWS; i++) {
        if (rows[i].key != NULL && strcmp(rows[i].key, key) == 0) {
            return &rows[i];
        }
    }
    return NULL;
}

const char *
plk_setting_name(const plk_setting_def *s)
{
    if (s->key != NULL) {
        return s->key;
    }
    return s->flags[0].name != NULL ? s->flags[0].name + 2 : "?";
}

static void *
member(plk_config *c, size_t at)
{
    return (char *)c + at;
}

static const void *
cmember(const plk_config *c, size_t at)
{
    return (const char *)c + at;
}

/* A plain decimal number: strtod would also take "inf", "nan", hex and
 * leading blanks, none of which a user means for a growth amount. */
static int
parse_number(double *out, const char *s)
{
    const char *p;
    char *end;
    double v;

    if (s[0] == '\0') {
        return -1;
    }
    for (p = s; *p != '\0'; p++) {
        if (strchr("0123456789.eE+-", *p) == NULL) {
            return -1;
        }
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v)) {
        return -1;
    }
    *out = v;
    return 0;
}

static int
in_range(const plk_setting_def *s, double v)
{
    if (s->lo_open ? !(v > s->lo) : !(v >= s->lo)) {
        return 0;
    }
    return s->hi_open ? v < s->hi : v <= s->hi;
}

char *
plk_setting_accepts(const plk_setting_def *s)
{
    const char *of = s->unit != NULL ? " of " : "";
    const char *unit = s->unit != NULL ? s->unit : "";

    if (s->kind == PLK_KIND_UINT) {
        return plk_asprintf("an integer from %lu to %lu", (unsigned long)s->lo,
                            (unsigned long)s->hi);
    }
    if (isinf(s->hi)) {
        return plk_asprintf("a number%s%s %s %g", of, unit,
                            s->lo_open ? "greater than" : "of at least",
                            s->lo);
    }
    if (s->lo_open && s->hi_open) {
        return plk_asprintf("a number%s%s between %g and %g (both "
                            "excluded)",
                            of, unit, s->lo, s->hi);
    }
    return plk_asprintf("a number%s%s from %g%s to %g%s", of, unit, s->lo,
                        s->lo_open ? " (excluded)" : "", s->hi,
                        s->hi_open ? " (excluded)" : "");
}

char *
plk_setting_choices(const plk_setting_def *s)
{
    plk_buf b = {0};
    size_t i;

    for (i = 0; s->choices != NULL && s->choices[i] != NULL; i++) {
        plk_buf_printf(&b, "%s%s",
                       i == 0                      ? ""
                       : s->choices[i + 1] == NULL ? " or "
                                                   : ", ",
                       s->choices[i]);
    }
    return plk_buf_detach(&b);
}

static int
parse_uint(unsigned *out, const plk_setting_def *s, const char *label,
           const char *value, plk_error *err)
{
    unsigned long long v;
    char *end;

    /* strtoull alone would accept " 5", "-5" (wrapped) and "". */
    if (value[0] < '0' || value[0] > '9') {
        goto bad;
    }
    errno = 0;
    v = strtoull(value, &end, 10);
    if (errno != 0 || *end != '\0' || (double)v < s->lo || (double)v > s->hi) {
        goto bad;
    }
    *out = (unsigned)v;
    return 0;

bad:
    return plk_error_set(
        err, PLK_EUSAGE, "%s: expected an integer from %lu to %lu, got '%s'",
        label, (unsigned long)s->lo, (unsigned long)s->hi, value);
}

static int
parse_ranged_number(double *out, const plk_setting_def *s, const char *label,
                    const char *value, plk_error *err)
{
    char *accepts;
    double v;

    if (parse_number(&v, value) == 0 && in_range(s, v)) {
        *out = v;
        return 0;
    }
    accepts = plk_setting_accepts(s);
    plk_error_set(err, PLK_EUSAGE, "%s: expected %s, got '%s'", label,
                  accepts ? accepts : "a number", value);
    free(accepts);
    return PLK_EUSAGE;
}

static char *
metric_names(void)
{
    plk_buf b = {0};
    int m;

    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        plk_buf_printf(&b, "%s%s", m ? ", " : "",
                       plk_metric_name((plk_metric)m));
    }
    return plk_buf_detach(&b);
}

/* METRIC=AMOUNT into the row's table, AMOUNT >= lo, and src (when not
 * NULL) into its sources. */
static int
parse_metric_amount(plk_config *c, const plk_setting_def *s, const char *label,
                    const char *value, const plk_source *src, plk_error *err)
{
    double *table = member(c, s->at);
    plk_source *sources = member(c, s->at2);
    const char *eq = strchr(value, '=');
    char *name = NULL;
    char *names = NULL;
    double v;
    int m;
    int rc = 0;

    if (eq == NULL || eq == value) {
        names = metric_names();
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s: expected METRIC=AMOUNT with METRIC one of "
                           "%s, got '%s'",
                           label, names ? names : "?", value);
        goto done;
    }
    name = plk_strndup(value, (size_t)(eq - value));
    if (name == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        goto done;
    }
    m = plk_metric_from_name(name);
    if (m < 0) {
        names = metric_names();
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s: unknown metric '%s' (expected one of %s)",
                           label, name, names ? names : "?");
        goto done;
    }
    if (parse_number(&v, eq + 1) != 0 || v < s->lo) {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s: expected a number >= %g for %s, got '%s'",
                           label, s->lo, name, eq + 1);
        goto done;
    }
    table[m] = v;
    if (src != NULL) {
        sources[m] = *src;
    }

done:
    free(name);
    free(names);
    return rc;
}

static int
set_string(char **field, const char *label, const char *value, plk_error *err)
{
    char *copy;

    if (value[0] == '\0') {
        return plk_error_set(err, PLK_EUSAGE, "%s needs a value", label);
    }
    copy = plk_strdup(value);
    if (copy == NULL) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    free(*field);
    *field = copy;
    return 0;
}

/* A glob must not be empty; a target is taken as it is given (an empty
 * one fails later as a missing path). */
static int
push_item(plk_strlist *list, int may_be_empty, const char *label,
          const char *value, plk_error *err)
{
    if (value[0] == '\0' && !may_be_empty) {
        return plk_error_set(err, PLK_EUSAGE, "%s needs a value", label);
    }
    if (plk_strlist_push(list, value) != 0) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    return 0;
}

/* K/N with 1 <= K <= N <= hi. */
static int
parse_shard(plk_config *c, const plk_setting_def *s, const char *label,
            const char *value, plk_error *err)
{
    unsigned long k, n;
    char *end;

    if (value[0] < '1' || value[0] > '9') {
        goto bad;
    }
    errno = 0;
    k = strtoul(value, &end, 10);
    if (errno != 0 || *end != '/' || end[1] < '1' || end[1] > '9') {
        goto bad;
    }
    n = strtoul(end + 1, &end, 10);
    if (errno != 0 || *end != '\0' || k > n || (double)n > s->hi) {
        goto bad;
    }
    *(unsigned *)member(c, s->at) = (unsigned)k;
    *(unsigned *)member(c, s->at2) = (unsigned)n;
    return 0;

bad:
    return plk_error_set(err, PLK_EUSAGE,
                         "%s: expected K/N with 1 <= K <= N (as in 2/4), "
                         "got '%s'",
                         label, value);
}

static int
parse_choice(plk_config *c, const plk_setting_def *s, const char *label,
             const char *value, plk_error *err)
{
    char *names;
    int i;

    for (i = 0; s->choices[i] != NULL; i++) {
        if (strcmp(s->choices[i], value) == 0) {
            *(int *)member(c, s->at) = i;
            return 0;
        }
    }
    names = plk_setting_choices(s);
    plk_error_set(err, PLK_EUSAGE, "%s: expected %s, got '%s'", label,
                  names ? names : "?", value);
    free(names);
    return PLK_EUSAGE;
}

int
plk_setting_set(plk_config *c, const plk_setting_def *s, const char *label,
                const char *value, const plk_source *src, plk_error *err)
{
    switch (s->kind) {
    case PLK_KIND_UINT:
        return parse_uint(member(c, s->at), s, label, value, err);
    case PLK_KIND_NUMBER:
        return parse_ranged_number(member(c, s->at), s, label, value, err);
    case PLK_KIND_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
            *(int *)member(c, s->at) = value[0] == 't';
            return 0;
        }
        return plk_error_set(err, PLK_EUSAGE,
                             "%s: expected true or false, got '%s'", label,
                             value);
    case PLK_KIND_STRING:
    case PLK_KIND_PATH:
        return set_string(member(c, s->at), label, value, err);
    case PLK_KIND_CHOICE:
        return parse_choice(c, s, label, value, err);
    case PLK_KIND_TARGETS:
    case PLK_KIND_GLOBS:
        return push_item(member(c, s->at), s->kind == PLK_KIND_TARGETS, label,
                         value, err);
    case PLK_KIND_METRICS:
        return parse_metric_amount(c, s, label, value, src, err);
    case PLK_KIND_SHARD:
        return parse_shard(c, s, label, value, err);
    }
    return plk_error_set(err, PLK_EINTERNAL, "%s: unhandled setting", label);
}

void
plk_setting_get(plk_value *out, const plk_setting_def *s, const plk_config *c)
{
    memset(out, 0, sizeof(*out));
    out->kind = s->kind;
    switch (s->kind) {
    case PLK_KIND_UINT:
        out->u = *(const unsigned *)cmember(c, s->at);
        break;
    case PLK_KIND_NUMBER:
        out->d = *(const double *)cmember(c, s->at);
        break;
    case PLK_KIND_BOOL:
        out->b = *(const int *)cmember(c, s->at);
        break;
    case PLK_KIND_STRING:
    case PLK_KIND_PATH:
        out->s = *(char *const *)cmember(c, s->at);
        break;
    case PLK_KIND_CHOICE:
        out->b = *(const int *)cmember(c, s->at);
        out->s = s->choices[out->b];
        break;
    case PLK_KIND_TARGETS:
        out->list = cmember(c, s->at);
        break;
    case PLK_KIND_GLOBS:
        out->list = cmember(c, s->at);
        out->from_file = *(const size_t *)cmember(c, s->at2);
        out->file_line = *(const int *)cmember(c, s->at3);
        break;
    case PLK_KIND_METRICS:
        out->metrics = cmember(c, s->at);
        out->metric_source = cmember(c, s->at2);
        break;
    case PLK_KIND_SHARD:
        out->u = *(const unsigned *)cmember(c, s->at);
        out->u2 = *(const unsigned *)cmember(c, s->at2);
        break;
    }
}

plk_strlist *
plk_setting_list(plk_config *c, const plk_setting_def *s)
{
    return s->kind == PLK_KIND_TARGETS || s->kind == PLK_KIND_GLOBS
               ? member(c, s->at)
               : NULL;
}

void
plk_setting_from_file(plk_config *c, const plk_setting_def *s, size_t n,
                      int line)
{
    if (s->kind == PLK_KIND_GLOBS) {
        *(size_t *)member(c, s->at2) = n;
        *(int *)member(c, s->at3) = line;
    }
}

void
plk_settings_defaults(plk_config *c)
{
    size_t i;
    int m;

    for (i = 0; i < N_ROWS; i++) {
        const plk_setting_def *s = &rows[i];

        switch (s->kind) {
        case PLK_KIND_UINT:
            *(unsigned *)member(c, s->at) = s->def.u;
            break;
        case PLK_KIND_NUMBER:
            *(double *)member(c, s->at) = s->def.d;
            break;
        case PLK_KIND_BOOL:
        case PLK_KIND_CHOICE:
            *(int *)member(c, s->at) = s->def.b;
            break;
        case PLK_KIND_METRICS:
            for (m = 0; m < PLK_METRIC__COUNT; m++) {
                ((double *)member(c, s->at))[m] =
                    s->def.metrics != NULL ? s->def.metrics[m] : 0.0;
            }
            break;
        default:
            break; /* NULL, empty, not sharded: c is zeroed */
        }
    }
}

void
plk_settings_free(plk_config *c)
{
    size_t i;

    for (i = 0; i < N_ROWS; i++) {
        const plk_setting_def *s = &rows[i];
        char **str;

        switch (s->kind) {
        case PLK_KIND_STRING:
        case PLK_KIND_PATH:
            str = member(c, s->at);
            free(*str);
            *str = NULL;
            break;
        case PLK_KIND_TARGETS:
        case PLK_KIND_GLOBS:
            plk_strlist_free(member(c, s->at));
            break;
        default:
            break;
        }
    }
}
