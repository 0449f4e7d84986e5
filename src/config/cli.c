/* The pyleak-ci command line: argv into a plk_config, and the --help text. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

typedef enum {
    OPT_JUNIT_XML,
    OPT_PYTHON,
    OPT_WARMUP,
    OPT_ROUNDS,
    OPT_MAX_ROUNDS,
    OPT_MAX_CALLS,
    OPT_ROUND_MS,
    OPT_ALPHA,
    OPT_THRESHOLD,
    OPT_FLOOR,
    OPT_COLOR,
    OPT_NO_COLOR,
    OPT_VERBOSE,
    OPT_QUIET,
    OPT_JUNIT_STRICT,
    OPT_JSON,
    OPT_HTML,
    OPT_JOBS,
    OPT_TIMEOUT,
    OPT_SHARD,
    OPT_DURATIONS_FROM,
    OPT_KEYWORD,
    OPT_IGNORE,
    OPT_BASELINE,
    OPT_UPDATE_BASELINE,
    OPT_NO_DIAGNOSE,
    OPT_TRACEBACK_DEPTH,
    OPT_THOROUGH,
    OPT_NO_RESEED,
    OPT_FAIL_NOT_REPEATABLE
} cli_opt_id;

typedef struct cli_option {
    const char *name;       /* "--rounds" */
    const char *short_name; /* "-v", or NULL */
    cli_opt_id id;
    int takes_value;
    plk_setting setting;    /* what it sets, for `pyleak-ci config` */
} cli_option;

/* The options of `run`. -h/--help are handled before parsing, so they
 * work anywhere and win over any mistake elsewhere on the line. */
static const cli_option run_options[] = {
    {"--junit-xml", NULL, OPT_JUNIT_XML, 1, PLK_SET_JUNIT_XML},
    {"--python", NULL, OPT_PYTHON, 1, PLK_SET_PYTHON},
    {"--warmup", NULL, OPT_WARMUP, 1, PLK_SET_WARMUP},
    {"--rounds", NULL, OPT_ROUNDS, 1, PLK_SET_ROUNDS},
    {"--max-rounds", NULL, OPT_MAX_ROUNDS, 1, PLK_SET_MAX_ROUNDS},
    {"--max-calls", NULL, OPT_MAX_CALLS, 1, PLK_SET_MAX_CALLS},
    {"--round-ms", NULL, OPT_ROUND_MS, 1, PLK_SET_ROUND_MS},
    {"--alpha", NULL, OPT_ALPHA, 1, PLK_SET_ALPHA},
    {"--thorough", NULL, OPT_THOROUGH, 0, PLK_SET_THOROUGH},
    {"--no-reseed", NULL, OPT_NO_RESEED, 0, PLK_SET_RESEED},
    {"--fail-not-repeatable", NULL, OPT_FAIL_NOT_REPEATABLE, 0,
     PLK_SET_FAIL_NOT_REPEATABLE},
    {"--threshold", NULL, OPT_THRESHOLD, 1, PLK_SET_THRESHOLD},
    {"--floor", NULL, OPT_FLOOR, 1, PLK_SET_FLOOR},
    {"--color", NULL, OPT_COLOR, 1, PLK_SET_COLOR},
    {"--no-color", NULL, OPT_NO_COLOR, 0, PLK_SET_COLOR},
    {"--verbose", "-v", OPT_VERBOSE, 0, PLK_SET_VERBOSE},
    {"--quiet", "-q", OPT_QUIET, 0, PLK_SET_QUIET},
    {"--junit-strict", NULL, OPT_JUNIT_STRICT, 0, PLK_SET_JUNIT_STRICT},
    {"--json", NULL, OPT_JSON, 1, PLK_SET_JSON},
    {"--html", NULL, OPT_HTML, 1, PLK_SET_HTML},
    {"--jobs", "-j", OPT_JOBS, 1, PLK_SET_JOBS},
    {"--timeout", NULL, OPT_TIMEOUT, 1, PLK_SET_TIMEOUT},
    {"--shard", NULL, OPT_SHARD, 1, PLK_SET_SHARD},
    {"--durations-from", NULL, OPT_DURATIONS_FROM, 1, PLK_SET_DURATIONS_FROM},
    {"--keyword", "-k", OPT_KEYWORD, 1, PLK_SET_KEYWORD},
    {"--ignore", NULL, OPT_IGNORE, 1, PLK_SET_IGNORE},
    {"--baseline", NULL, OPT_BASELINE, 1, PLK_SET_BASELINE},
    {"--update-baseline", NULL, OPT_UPDATE_BASELINE, 0,
     PLK_SET_UPDATE_BASELINE},
    {"--no-diagnose", NULL, OPT_NO_DIAGNOSE, 0, PLK_SET_DIAGNOSE},
    {"--traceback-depth", NULL, OPT_TRACEBACK_DEPTH, 1,
     PLK_SET_TRACEBACK_DEPTH},
};

#define N_RUN_OPTIONS (sizeof(run_options) / sizeof(run_options[0]))

#define WARMUP_MIN 0
#define WARMUP_MAX 1000
#define ROUNDS_MIN 3
#define ROUNDS_MAX 100000
#define CALLS_MIN 1
#define CALLS_MAX 1000000
#define JOBS_MAX 1024
#define DEPTH_MAX 1000

/* Find the option arg names. A long option may carry its value after
 * '='; *value_out then points into arg, else it is NULL. */
static const cli_option *
find_option(const char *arg, const char **value_out)
{
    const char *eq = NULL;
    size_t len;
    size_t i;

    *value_out = NULL;
    if (strncmp(arg, "--", 2) == 0) {
        eq = strchr(arg, '=');
    }
    len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    for (i = 0; i < N_RUN_OPTIONS; i++) {
        const cli_option *o = &run_options[i];

        if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0) {
            *value_out = eq != NULL ? eq + 1 : NULL;
            return o;
        }
        if (eq == NULL && o->short_name != NULL
            && strcmp(o->short_name, arg) == 0) {
            return o;
        }
    }
    return NULL;
}

/* Can next be the separate value of an option? A following flag is
 * not ("--junit-xml --quiet" is a missing path, not a file named
 * "--quiet"), but "-5" and "-" are, so bad numbers get the message
 * that names the accepted range. */
static int
is_value(const char *next)
{
    if (next == NULL) {
        return 0;
    }
    if (next[0] != '-' || next[1] == '\0') {
        return 1;
    }
    return (next[1] >= '0' && next[1] <= '9') || next[1] == '.';
}

static int
is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* -h/--help anywhere before "--" asks for help, except as the value of
 * an option given in the separate form. */
static int
wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const cli_option *o;
        const char *value;

        if (strcmp(argv[i], "--") == 0) {
            return 0;
        }
        if (is_help(argv[i])) {
            return 1;
        }
        o = find_option(argv[i], &value);
        if (o != NULL && o->takes_value && value == NULL
            && i + 1 < argc && is_value(argv[i + 1])) {
            i++;
        }
    }
    return 0;
}

/* Length of the name part of an option as typed: "--x=1" -> "--x". */
static size_t
option_name_len(const char *arg)
{
    return strncmp(arg, "--", 2) == 0 ? strcspn(arg, "=") : strlen(arg);
}

static int
is_version(const char *arg)
{
    return option_name_len(arg) == 9 && strncmp(arg, "--version", 9) == 0;
}

static int
unknown_option(const char *arg, const char *hint, plk_error *err)
{
    return plk_error_set(err, PLK_EUSAGE, "unknown option '%.*s'%s",
                         (int)option_name_len(arg), arg, hint);
}

static int
parse_uint(unsigned *out, const char *flag, const char *s, unsigned long lo,
           unsigned long hi, plk_error *err)
{
    unsigned long long v;
    char *end;

    /* strtoull alone would accept " 5", "-5" (wrapped) and "". */
    if (s[0] < '0' || s[0] > '9') {
        goto bad;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        goto bad;
    }
    *out = (unsigned)v;
    return 0;

bad:
    return plk_error_set(err, PLK_EUSAGE,
                         "%s: expected an integer from %lu to %lu, got '%s'",
                         flag, lo, hi, s);
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

/* METRIC=AMOUNT into table[METRIC], AMOUNT >= 0, and src (when not
 * NULL) into sources[METRIC]. */
static int
parse_metric_amount(double *table, plk_source *sources,
                    const plk_source *src, const char *flag, const char *s,
                    plk_error *err)
{
    const char *eq = strchr(s, '=');
    char *name = NULL;
    char *names = NULL;
    double v;
    int m;
    int rc = 0;

    if (eq == NULL || eq == s) {
        names = metric_names();
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s: expected METRIC=AMOUNT with METRIC one of "
                           "%s, got '%s'",
                           flag, names ? names : "?", s);
        goto done;
    }
    name = plk_strndup(s, (size_t)(eq - s));
    if (name == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        goto done;
    }
    m = plk_metric_from_name(name);
    if (m < 0) {
        names = metric_names();
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s: unknown metric '%s' (expected one of %s)",
                           flag, name, names ? names : "?");
        goto done;
    }
    if (parse_number(&v, eq + 1) != 0 || v < 0) {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s: expected a number >= 0 for %s, got '%s'",
                           flag, name, eq + 1);
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
set_string(char **field, const char *flag, const char *value,
           plk_error *err)
{
    char *copy;

    if (value[0] == '\0') {
        return plk_error_set(err, PLK_EUSAGE, "%s needs a value", flag);
    }
    copy = plk_strdup(value);
    if (copy == NULL) {
        return plk_error_set(err, PLK_ENOMEM, "out of memory");
    }
    free(*field);
    *field = copy;
    return 0;
}

/* K/N with 1 <= K <= N. */
static int
parse_shard(plk_config *c, const char *flag, const char *value,
            plk_error *err)
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
    if (errno != 0 || *end != '\0' || k > n || n > 100000) {
        goto bad;
    }
    c->shard_index = (unsigned)k;
    c->shard_total = (unsigned)n;
    return 0;

bad:
    return plk_error_set(err, PLK_EUSAGE,
                         "%s: expected K/N with 1 <= K <= N (as in 2/4), "
                         "got '%s'",
                         flag, value);
}

/* Set what o sets from value; messages name it flag. src, when not
 * NULL, is recorded for per-metric values. */
static int
apply_option(plk_config *c, const cli_option *o, const char *flag,
             const char *value, const plk_source *src, plk_error *err)
{
    double v;

    switch (o->id) {
    case OPT_JUNIT_XML:
        return set_string(&c->junit_xml, flag, value, err);
    case OPT_PYTHON:
        return set_string(&c->python, flag, value, err);
    case OPT_WARMUP:
        return parse_uint(&c->warmup, flag, value, WARMUP_MIN, WARMUP_MAX,
                          err);
    case OPT_ROUNDS:
        return parse_uint(&c->min_rounds, flag, value, ROUNDS_MIN,
                          ROUNDS_MAX, err);
    case OPT_MAX_ROUNDS:
        return parse_uint(&c->max_rounds, flag, value, ROUNDS_MIN,
                          ROUNDS_MAX, err);
    case OPT_MAX_CALLS:
        return parse_uint(&c->max_calls, flag, value, CALLS_MIN, CALLS_MAX,
                          err);
    case OPT_ROUND_MS:
        if (parse_number(&v, value) != 0 || !(v > 0)) {
            return plk_error_set(err, PLK_EUSAGE,
                                 "%s: expected a number of milliseconds "
                                 "greater than 0, got '%s'",
                                 flag, value);
        }
        c->round_ms = v;
        return 0;
    case OPT_ALPHA:
        if (parse_number(&v, value) != 0 || !(v > 0 && v < 1)) {
            return plk_error_set(err, PLK_EUSAGE,
                                 "%s: expected a number between 0 and 1 "
                                 "(both excluded), got '%s'",
                                 flag, value);
        }
        c->alpha = v;
        return 0;
    case OPT_THRESHOLD:
        return parse_metric_amount(c->threshold, c->threshold_source, src,
                                   flag, value, err);
    case OPT_FLOOR:
        return parse_metric_amount(c->floor, c->floor_source, src, flag,
                                   value, err);
    case OPT_COLOR:
        if (strcmp(value, "auto") == 0) {
            c->color = PLK_COLOR_AUTO;
        }
        else if (strcmp(value, "always") == 0) {
            c->color = PLK_COLOR_ALWAYS;
        }
        else if (strcmp(value, "never") == 0) {
            c->color = PLK_COLOR_NEVER;
        }
        else {
            return plk_error_set(err, PLK_EUSAGE,
                                 "%s: expected auto, always or never, "
                                 "got '%s'",
                                 flag, value);
        }
        return 0;
    case OPT_NO_COLOR:
        c->color = PLK_COLOR_NEVER;
        return 0;
    case OPT_VERBOSE:
        c->verbose = 1;
        return 0;
    case OPT_QUIET:
        c->quiet = 1;
        return 0;
    case OPT_JUNIT_STRICT:
        c->junit_strict = 1;
        return 0;
    case OPT_JSON:
        return set_string(&c->json, flag, value, err);
    case OPT_HTML:
        return set_string(&c->html, flag, value, err);
    case OPT_JOBS:
        return parse_uint(&c->jobs, flag, value, 1, JOBS_MAX, err);
    case OPT_TIMEOUT:
        if (parse_number(&v, value) != 0 || !(v > 0)) {
            return plk_error_set(err, PLK_EUSAGE,
                                 "%s: expected a number of seconds "
                                 "greater than 0, got '%s'",
                                 flag, value);
        }
        c->timeout = v;
        return 0;
    case OPT_SHARD:
        return parse_shard(c, flag, value, err);
    case OPT_DURATIONS_FROM:
        return set_string(&c->durations_from, flag, value, err);
    case OPT_KEYWORD:
        return set_string(&c->keyword, flag, value, err);
    case OPT_IGNORE:
        if (value[0] == '\0') {
            return plk_error_set(err, PLK_EUSAGE, "%s needs a value", flag);
        }
        if (plk_strlist_push(&c->ignore, value) != 0) {
            return plk_error_set(err, PLK_ENOMEM, "out of memory");
        }
        return 0;
    case OPT_BASELINE:
        return set_string(&c->baseline, flag, value, err);
    case OPT_UPDATE_BASELINE:
        c->update_baseline = 1;
        return 0;
    case OPT_NO_DIAGNOSE:
        c->diagnose = 0;
        return 0;
    case OPT_THOROUGH:
        c->thorough = 1;
        return 0;
    case OPT_NO_RESEED:
        c->reseed = 0;
        return 0;
    case OPT_FAIL_NOT_REPEATABLE:
        c->fail_not_repeatable = 1;
        return 0;
    case OPT_TRACEBACK_DEPTH:
        return parse_uint(&c->traceback_depth, flag, value, 1, DEPTH_MAX,
                          err);
    }
    return plk_error_set(err, PLK_EINTERNAL, "%s: unhandled option", flag);
}

/* The arguments after "run", from index i on. */
static int
parse_run(plk_config *c, int argc, char **argv, int i, plk_error *err)
{
    int options_done = 0;
    int rc;

    for (; i < argc; i++) {
        const char *arg = argv[i];
        const cli_option *o;
        const char *value;
        plk_source src;

        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            /* A lone "-" is a target name, as most tools read it. */
            if (plk_strlist_push(&c->targets, arg) != 0) {
                return plk_error_set(err, PLK_ENOMEM, "out of memory");
            }
            c->source[PLK_SET_PATHS].origin = PLK_FROM_CLI;
            c->source[PLK_SET_PATHS].name = "TARGET";
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        o = find_option(arg, &value);
        if (o == NULL) {
            if (is_version(arg)) {
                return unknown_option(arg, "; use 'pyleak-ci --version'",
                                      err);
            }
            return unknown_option(arg, "; try 'pyleak-ci run --help'", err);
        }
        if (!o->takes_value) {
            if (value != NULL) {
                return plk_error_set(err, PLK_EUSAGE,
                                     "%s does not take a value", o->name);
            }
        }
        else if (value == NULL) {
            if (i + 1 >= argc || !is_value(argv[i + 1])) {
                return plk_error_set(err, PLK_EUSAGE, "%s needs a value",
                                     o->name);
            }
            value = argv[++i];
        }
        src.origin = PLK_FROM_CLI;
        src.line = 0;
        src.name = o->name;
        rc = apply_option(c, o, o->name, value, &src, err);
        if (rc != 0) {
            return rc;
        }
        c->source[o->setting] = src;
    }
    return plk_config_finish(c, err);
}

int
plk_cli_set(plk_config *c, const char *option, const char *label,
            const char *value, plk_error *err)
{
    size_t i;

    for (i = 0; i < N_RUN_OPTIONS; i++) {
        if (strcmp(run_options[i].name, option) == 0) {
            return apply_option(c, &run_options[i], label, value, NULL,
                                err);
        }
    }
    return plk_error_set(err, PLK_EINTERNAL, "%s: no such option", option);
}

int
plk_cli_parse(plk_config *c, int argc, char **argv, plk_error *err)
{
    int i;

    if (wants_help(argc, argv)) {
        c->command = PLK_CMD_HELP;
        return 0;
    }
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value;

        if (strcmp(arg, "--version") == 0) {
            c->command = PLK_CMD_VERSION;
            return 0;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            if (is_version(arg)) {
                return plk_error_set(err, PLK_EUSAGE,
                                     "--version does not take a value");
            }
            if (find_option(arg, &value) != NULL) {
                return unknown_option(arg, "; options of run go after "
                                      "'run'", err);
            }
            return unknown_option(arg, "; try 'pyleak-ci --help'", err);
        }
        if (strcmp(arg, "run") == 0) {
            c->command = PLK_CMD_RUN;
            return parse_run(c, argc, argv, i + 1, err);
        }
        if (strcmp(arg, "config") == 0) {
            /* Takes what run takes, so a command line can be checked by
             * putting `config` in place of `run`. */
            c->command = PLK_CMD_CONFIG;
            return parse_run(c, argc, argv, i + 1, err);
        }
        if (strcmp(arg, "help") == 0) {
            c->command = PLK_CMD_HELP;
            return 0;
        }
        return plk_error_set(err, PLK_EUSAGE,
                             "unknown command '%s'; try "
                             "'pyleak-ci run --help'",
                             arg);
    }
    c->command = PLK_CMD_NONE;
    return 0;
}

void
plk_cli_usage(FILE *out)
{
    plk_config d;
    const double *f;

    /* Defaults come from plk_config_init so the text cannot drift. */
    plk_config_init(&d);
    f = d.floor;
    fputs("usage: pyleak-ci [--help] [--version] run [options] "
          "[TARGET...]\n"
          "       pyleak-ci config [options] [TARGET...]\n"
          "\n"
          "Run each Python test many times, with full garbage collection "
          "between\n"
          "rounds, fit the growth of memory metrics across rounds, and "
          "fail when a\n"
          "test leaks.\n"
          "\n"
          "Commands:\n"
          "  run     find and run the tests in TARGET... (default: the "
          "paths of\n"
          "          [tool.pyleak-ci], else .)\n"
          "  config  print the effective configuration and where each "
          "value came\n"
          "          from (default, pyproject.toml:LINE, environment, "
          "command line);\n"
          "          takes the options of run\n"
          "  help    show this help\n"
          "\n"
          "Settings are read from [tool.pyleak-ci] in the nearest "
          "pyproject.toml\n"
          "above the first TARGET (or the working directory); keys are "
          "the long\n"
          "option names (rounds = 16, threshold = { heap = 64 }, ignore = "
          "[...]).\n"
          "The environment overrides the file and options override both.\n"
          "\n"
          "Targets:\n"
          "  DIR                      test_*.py and *_test.py files, "
          "found recursively,\n"
          "                           skipping hidden directories, "
          "__pycache__,\n"
          "                           site-packages, node_modules and "
          "virtual\n"
          "                           environments (directories holding "
          "pyvenv.cfg)\n"
          "  FILE.py                  every test in the file\n"
          "  FILE.py::NAME            one test function or test class\n"
          "  FILE.py::CLASS::NAME     one test method of a class\n"
          "  PACKAGE.MODULE:CALLABLE  a callable found by import; "
          "CALLABLE may be\n"
          "                           dotted, as in Class.method\n"
          "\n"
          "Options of run (as --opt VALUE or --opt=VALUE):\n"
          "  --junit-xml PATH         write a JUnit XML report to PATH "
          "(default: none)\n"
          "  --python PATH            run in the environment of this "
          "python (default:\n"
          "                           the python of $VIRTUAL_ENV, else "
          "of the venv\n"
          "                           pyleak-ci is installed in, else "
          "the Python\n"
          "                           pyleak-ci was built with)\n",
          out);
    fprintf(out,
            "  --warmup N               rounds run before measuring a "
            "test alone,\n"
            "                           %d to %d (default: %u)\n"
            "  --rounds N               measured rounds before a first "
            "verdict,\n"
            "                           %d to %d (default: %u)\n"
            "  --max-rounds N           measured rounds a verdict rests on "
            "at most while\n"
            "                           it stays open; past them every "
            "other round is\n"
            "                           merged and the calls per round "
            "double, up to\n"
            "                           --max-calls; at least --rounds "
            "(default: %u)\n"
            "  --max-calls N            calls of a test per round at "
            "most, %d to %d\n"
            "                           (default: %u)\n"
            "  --round-ms MS            choose the calls per round so a "
            "round lasts\n"
            "                           about MS milliseconds, more than 0 "
            "(default: %g)\n"
            "  --alpha P                significance level of the trend "
            "test, between\n"
            "                           0 and 1 (default: %g)\n",
            WARMUP_MIN, WARMUP_MAX, d.warmup, ROUNDS_MIN, ROUNDS_MAX,
            d.min_rounds, d.max_rounds, CALLS_MIN, CALLS_MAX, d.max_calls,
            d.round_ms, d.alpha);
    fputs("  --thorough               measure every test alone, one after "
          "the other,\n"
          "                           for at least --rounds rounds "
          "(default: screen the\n"
          "                           tests of a class or file together "
          "first, and stop\n"
          "                           a test early when its metrics stay "
          "flat)\n"
          "  --no-reseed              do not reset the random state "
          "(random, numpy's\n"
          "                           global generator, Hypothesis) to "
          "the same seed\n"
          "                           before every call of a test\n"
          "  --fail-not-repeatable    fail the run when a test passes its "
          "first call\n"
          "                           and fails when repeated, even with "
          "its class or\n"
          "                           module fixtures around every call "
          "(default:\n"
          "                           report it as not repeatable, like a "
          "skip)\n"
          "  --threshold METRIC=AMOUNT\n"
          "                           growth per call a test may show "
          "and still pass;\n"
          "                           repeatable (default: 0 for every "
          "metric: any\n"
          "                           growth above the floor fails)\n"
          "  --floor METRIC=AMOUNT    growth per round that is noise; "
          "repeatable\n",
          out);
    fprintf(out,
            "                           (defaults: %s=%g %s=%g %s=%g\n"
            "                           %s=%g %s=%g %s=%g %s=%g)\n",
            plk_metric_name(PLK_METRIC_REFS), f[PLK_METRIC_REFS],
            plk_metric_name(PLK_METRIC_BLOCKS), f[PLK_METRIC_BLOCKS],
            plk_metric_name(PLK_METRIC_OBJECTS), f[PLK_METRIC_OBJECTS],
            plk_metric_name(PLK_METRIC_HEAP), f[PLK_METRIC_HEAP],
            plk_metric_name(PLK_METRIC_RSS), f[PLK_METRIC_RSS],
            plk_metric_name(PLK_METRIC_FDS), f[PLK_METRIC_FDS],
            plk_metric_name(PLK_METRIC_THREADS), f[PLK_METRIC_THREADS]);
    fputs("                           (AMOUNT: a number >= 0, see Metrics)\n"
          "  --color WHEN             auto, always or never (default: "
          "auto: colour\n"
          "                           on a terminal unless NO_COLOR is "
          "set)\n"
          "  --no-color               same as --color never\n"
          "  -v, --verbose            one line per test, and each leak's "
          "growth per\n"
          "                           round and diagnosis and each "
          "failure's traceback\n"
          "                           (by default one line per leak, "
          "failure, error)\n"
          "  -q, --quiet              no progress output\n"
          "  --junit-strict           JUnit XML that validates against the "
          "Jenkins\n"
          "                           junit-10 and Ant schemas (no file/line,"
          " no\n"
          "                           per-test properties)\n"
          "  --json PATH              write the whole result as JSON to "
          "PATH\n"
          "                           (format \"pyleak-ci/1\", see "
          "README)\n"
          "  --html PATH              write a self-contained HTML report "
          "to PATH: a\n"
          "                           chart of each metric of every leak, "
          "the\n"
          "                           diagnosis, failures, settings\n"
          "  -j, --jobs N             test files run in parallel, each in "
          "its own\n"
          "                           worker process (a big file's classes "
          "may be\n"
          "                           shared by several), 1 to 1024 "
          "(default: the\n"
          "                           number of CPUs)\n"
          "  --timeout SECONDS        a worker that shows no progress for "
          "this long\n"
          "                           is stopped and its test reported as "
          "an error;\n"
          "                           progress is each phase of a test "
          "(first call,\n"
          "                           timed call, every round, diagnosis, "
          "setUpClass)\n"
          "                           and a file's import, so this bounds "
          "the\n"
          "                           longest phase, not the whole test "
          "(default: 300)\n"
          "  --shard K/N              run only the K-th of N parts of the "
          "test files\n"
          "                           (default: $CI_NODE_INDEX/$CI_NODE_TOTAL"
          " when set)\n"
          "  --durations-from FILE    balance shards by the test times in "
          "this\n"
          "                           earlier JUnit or JSON report (else by "
          "the\n"
          "                           number of tests in each file)\n"
          "  -k, --keyword EXPR       run only tests whose names match EXPR "
          "(as pytest\n"
          "                           -k: substrings with and, or, not, "
          "parentheses)\n"
          "  --ignore GLOB            when searching a directory, skip "
          "files and\n"
          "                           directories whose name or path below "
          "it matches\n"
          "                           GLOB (GLOB/ : directories only); "
          "repeatable\n"
          "  --baseline FILE          known leaks: only new or larger leaks "
          "fail\n"
          "  --update-baseline        write the leaks found to the "
          "--baseline FILE\n"
          "  --no-diagnose            do not re-run leaking tests to find "
          "where they\n"
          "                           allocate and what holds the leak\n"
          "  --traceback-depth N      frames kept per allocation site, 1 to "
          "1000\n"
          "                           (default: 16)\n"
          "  --                       every later argument is a TARGET\n"
          "  -h, --help               show this help and exit\n"
          "  --version                show the version and exit\n"
          "\n"
          "Metrics (for --threshold and --floor; AMOUNT is in the unit "
          "shown):\n"
          "  refs     references   total reference count (debug builds "
          "of Python only)\n"
          "  blocks   blocks       memory blocks allocated by Python\n"
          "  objects  objects      objects tracked by the garbage "
          "collector\n"
          "  heap     bytes        memory in use by malloc (sees leaks in "
          "C extensions)\n"
          "  rss      bytes        resident set size\n"
          "  fds      descriptors  open file descriptors\n"
          "  threads  threads      threads of the process\n"
          "\n"
          "Environment:\n"
          "  VIRTUAL_ENV  run inside that virtual environment\n"
          "  NO_COLOR     when set, no colour unless --color always\n"
          "  GITHUB_ACTIONS=true  annotate leaks and failures (at most 10)"
          " and\n"
          "                       append a summary to $GITHUB_STEP_SUMMARY\n"
          "  PYLEAK_HTML_URL\n"
          "               where the --html report is served: the summary "
          "links\n"
          "               each leak there (else to the run's artifacts)\n"
          "  CI_NODE_INDEX, CI_NODE_TOTAL\n"
          "               GitLab's parallel jobs: the shard when --shard is "
          "not given\n"
          "  PYLEAK_CI_NO_FORK\n"
          "               when set (not 0), run every file in this process: "
          "no\n"
          "               workers, no --jobs, no --timeout, a crash ends the "
          "run\n"
          "               (for debugging)\n"
          "\n"
          "Exit status:\n"
          "  0  no leaks and all tests passed\n"
          "  1  leaks, failing tests or errors\n"
          "  2  interrupted (SIGINT or SIGTERM; the report of what "
          "finished is\n"
          "     written, tests that did not run are listed as skipped)\n"
          "  3  internal error\n"
          "  4  usage error (bad flag, bad target, Python version "
          "mismatch)\n"
          "  5  no tests collected\n",
          out);
    plk_config_free(&d);
}
