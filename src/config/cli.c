/* The pyleak-ci command line: argv into a plk_config, and the --help text. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"

/* A flag of the settings table, with its row. */
typedef struct cli_option {
    const plk_setting_def *row;
    const plk_flag *flag;
} cli_option;

/* The help still spells the ranges (until it is made from the table). */
#define WARMUP_MIN 0
#define WARMUP_MAX 1000
#define ROUNDS_MIN 3
#define ROUNDS_MAX 100000
#define CALLS_MIN 1
#define CALLS_MAX 1000000

/* Find the flag of the settings table that arg names: the options of
 * `run`. -h/--help are handled before parsing, so they work anywhere
 * and win over any mistake elsewhere on the line. A long option may
 * carry its value after '='; *value_out then points into arg, else it
 * is NULL. Returns 0 when arg names no flag. */
static int
find_option(cli_option *out, const char *arg, const char **value_out)
{
    const char *eq = NULL;
    size_t len;
    size_t i, j;

    *value_out = NULL;
    if (strncmp(arg, "--", 2) == 0) {
        eq = strchr(arg, '=');
    }
    len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *row = plk_setting_listed(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &row->flags[j];

            if (f->name == NULL) {
                continue;
            }
            if ((strlen(f->name) == len && strncmp(f->name, arg, len) == 0)
                || (eq == NULL && f->short_name != NULL
                    && strcmp(f->short_name, arg) == 0)) {
                out->row = row;
                out->flag = f;
                *value_out = eq != NULL ? eq + 1 : NULL;
                return 1;
            }
        }
    }
    return 0;
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
        cli_option o;
        const char *value;

        if (strcmp(argv[i], "--") == 0) {
            return 0;
        }
        if (is_help(argv[i])) {
            return 1;
        }
        if (find_option(&o, argv[i], &value) && o.flag->metavar != NULL
            && value == NULL && i + 1 < argc && is_value(argv[i + 1])) {
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

/* The arguments after "run", from index i on. */
static int
parse_run(plk_config *c, int argc, char **argv, int i, plk_error *err)
{
    const plk_setting_def *paths = plk_setting_at(PLK_SET_PATHS);
    int options_done = 0;
    int rc;

    for (; i < argc; i++) {
        const char *arg = argv[i];
        cli_option o;
        const char *value;
        plk_source src;

        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            /* A lone "-" is a target name, as most tools read it. */
            rc = plk_setting_set(c, paths, "TARGET", arg, NULL, err);
            if (rc != 0) {
                return rc;
            }
            c->source[PLK_SET_PATHS].origin = PLK_FROM_CLI;
            c->source[PLK_SET_PATHS].name = "TARGET";
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!find_option(&o, arg, &value)) {
            if (is_version(arg)) {
                return unknown_option(arg, "; use 'pyleak-ci --version'",
                                      err);
            }
            return unknown_option(arg, "; try 'pyleak-ci run --help'", err);
        }
        if (o.flag->metavar == NULL) {
            if (value != NULL) {
                return plk_error_set(err, PLK_EUSAGE,
                                     "%s does not take a value",
                                     o.flag->name);
            }
            value = o.flag->sets;
        }
        else if (value == NULL) {
            if (i + 1 >= argc || !is_value(argv[i + 1])) {
                return plk_error_set(err, PLK_EUSAGE, "%s needs a value",
                                     o.flag->name);
            }
            value = argv[++i];
        }
        src.origin = PLK_FROM_CLI;
        src.line = 0;
        src.name = o.flag->name;
        rc = plk_setting_set(c, o.row, o.flag->name, value, &src, err);
        if (rc != 0) {
            return rc;
        }
        c->source[o.row->id] = src;
    }
    return plk_config_finish(c, err);
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
            cli_option o;

            if (is_version(arg)) {
                return plk_error_set(err, PLK_EUSAGE,
                                     "--version does not take a value");
            }
            if (find_option(&o, arg, &value)) {
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
