/* Unit tests for the command-line parser, the defaults and the help text. */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

#define MAX_ARGS 16

/* A row states only what differs from the defaults; the check compares
 * every field, so a flag that also changes something else is caught. */
typedef struct metric_expect {
    int set;
    plk_metric metric;
    double value;
} metric_expect;

typedef struct valid_case {
    const char *argv[MAX_ARGS]; /* after the program name, NULL-ended */
    plk_command command;
    const char *targets[MAX_ARGS];
    const char *junit_xml;
    const char *python;
    int set_warmup, set_rounds, set_max_rounds, set_max_calls;
    unsigned warmup, min_rounds, max_rounds, max_calls;
    int set_round_ms, set_alpha, set_color;
    double round_ms, alpha;
    plk_color color;
    int verbose, quiet;
    metric_expect threshold[2];
    metric_expect floor[2];
} valid_case;

#define ARGV(...) .argv = {__VA_ARGS__}
#define TARGETS(...) .targets = {__VA_ARGS__}
#define RUN .command = PLK_CMD_RUN
#define WARMUP(n) .set_warmup = 1, .warmup = (n)
#define ROUNDS(n) .set_rounds = 1, .min_rounds = (n)
#define MAX_ROUNDS(n) .set_max_rounds = 1, .max_rounds = (n)
#define MAX_CALLS(n) .set_max_calls = 1, .max_calls = (n)
#define ROUND_MS(x) .set_round_ms = 1, .round_ms = (x)
#define ALPHA(x) .set_alpha = 1, .alpha = (x)
#define COLOR(c) .set_color = 1, .color = (c)
#define THRESHOLD(m, v) .threshold = {{1, (m), (v)}}
#define THRESHOLD2(m1, v1, m2, v2)                                            \
    .threshold = {{1, (m1), (v1)}, {1, (m2), (v2)}}
#define FLOOR(m, v) .floor = {{1, (m), (v)}}
#define FLOOR2(m1, v1, m2, v2) .floor = {{1, (m1), (v1)}, {1, (m2), (v2)}}

/* clang-format off */
static const valid_case valid_cases[] = {
    {ARGV(NULL), .command = PLK_CMD_NONE},
    {ARGV("--help"), .command = PLK_CMD_HELP},
    {ARGV("-h"), .command = PLK_CMD_HELP},
    {ARGV("help"), .command = PLK_CMD_HELP},
    {ARGV("help", "run"), .command = PLK_CMD_HELP},
    {ARGV("run", "--help"), .command = PLK_CMD_HELP},
    {ARGV("run", "tests", "-h"), .command = PLK_CMD_HELP},
    /* Help wins over a mistake elsewhere on the line. */
    {ARGV("run", "--rounds", "abc", "--help"), .command = PLK_CMD_HELP},
    {ARGV("nosuchcommand", "--help"), .command = PLK_CMD_HELP},
    {ARGV("--version"), .command = PLK_CMD_VERSION},
    {ARGV("--version", "run", "--bogus"), .command = PLK_CMD_VERSION},
    {ARGV("run"), RUN},
    {ARGV("run", "tests"), RUN, TARGETS("tests")},
    {ARGV("run", "a", "b.py::t", "pkg.mod:f"), RUN,
     TARGETS("a", "b.py::t", "pkg.mod:f")},
    {ARGV("run", "-"), RUN, TARGETS("-")},
    {ARGV("run", "--junit-xml", "out.xml", "tests"), RUN, TARGETS("tests"),
     .junit_xml = "out.xml"},
    {ARGV("run", "tests", "--junit-xml=out.xml"), RUN, TARGETS("tests"),
     .junit_xml = "out.xml"},
    {ARGV("run", "--junit-xml", "a.xml", "--junit-xml", "b.xml"), RUN,
     .junit_xml = "b.xml"},
    {ARGV("run", "--junit-xml=--odd.xml"), RUN, .junit_xml = "--odd.xml"},
    {ARGV("run", "--python", "/venv/bin/python"), RUN,
     .python = "/venv/bin/python"},
    {ARGV("run", "--python=py3"), RUN, .python = "py3"},
    {ARGV("run", "--warmup", "0"), RUN, WARMUP(0)},
    {ARGV("run", "--warmup=1000"), RUN, WARMUP(1000)},
    {ARGV("run", "--rounds", "3"), RUN, ROUNDS(3)},
    {ARGV("run", "--rounds=20"), RUN, ROUNDS(20)},
    /* More rounds than the default cap raise the cap. */
    {ARGV("run", "--rounds", "100"), RUN, ROUNDS(100), MAX_ROUNDS(100)},
    {ARGV("run", "--rounds", "100000"), RUN, ROUNDS(100000),
     MAX_ROUNDS(100000)},
    {ARGV("run", "--rounds", "100", "--max-rounds", "200"), RUN,
     ROUNDS(100), MAX_ROUNDS(200)},
    {ARGV("run", "--max-rounds", "200", "--rounds", "100"), RUN,
     ROUNDS(100), MAX_ROUNDS(200)},
    {ARGV("run", "--rounds", "10", "--max-rounds", "10"), RUN, ROUNDS(10),
     MAX_ROUNDS(10)},
    {ARGV("run", "--max-rounds=8"), RUN, MAX_ROUNDS(8)},
    /* config takes what run takes. */
    {ARGV("config"), .command = PLK_CMD_CONFIG},
    {ARGV("config", "--rounds", "9", "tests"), .command = PLK_CMD_CONFIG,
     ROUNDS(9), TARGETS("tests")},
    {ARGV("config", "--help"), .command = PLK_CMD_HELP},
    {ARGV("run", "--max-calls", "1"), RUN, MAX_CALLS(1)},
    {ARGV("run", "--max-calls=1000000"), RUN, MAX_CALLS(1000000)},
    {ARGV("run", "--round-ms", "0.5"), RUN, ROUND_MS(0.5)},
    {ARGV("run", "--round-ms=10"), RUN, ROUND_MS(10.0)},
    {ARGV("run", "--round-ms", "1e1"), RUN, ROUND_MS(10.0)},
    {ARGV("run", "--alpha", "0.05"), RUN, ALPHA(0.05)},
    {ARGV("run", "--alpha=.001"), RUN, ALPHA(0.001)},
    {ARGV("run", "--threshold", "blocks=1.5"), RUN,
     THRESHOLD(PLK_METRIC_BLOCKS, 1.5)},
    {ARGV("run", "--threshold=heap=1024", "--threshold", "fds=0"), RUN,
     THRESHOLD2(PLK_METRIC_HEAP, 1024.0, PLK_METRIC_FDS, 0.0)},
    {ARGV("run", "--threshold", "refs=1", "--threshold", "refs=2"), RUN,
     THRESHOLD(PLK_METRIC_REFS, 2.0)},
    {ARGV("run", "--floor", "rss=0"), RUN, FLOOR(PLK_METRIC_RSS, 0.0)},
    {ARGV("run", "--floor=threads=2", "--floor", "objects=0.75"), RUN,
     FLOOR2(PLK_METRIC_THREADS, 2.0, PLK_METRIC_OBJECTS, 0.75)},
    {ARGV("run", "--color", "always"), RUN, COLOR(PLK_COLOR_ALWAYS)},
    {ARGV("run", "--color=never"), RUN, COLOR(PLK_COLOR_NEVER)},
    {ARGV("run", "--no-color", "--color", "auto"), RUN,
     COLOR(PLK_COLOR_AUTO)},
    {ARGV("run", "--no-color"), RUN, COLOR(PLK_COLOR_NEVER)},
    {ARGV("run", "-v"), RUN, .verbose = 1},
    {ARGV("run", "--verbose"), RUN, .verbose = 1},
    {ARGV("run", "-q"), RUN, .quiet = 1},
    {ARGV("run", "--quiet", "x"), RUN, .quiet = 1, TARGETS("x")},
    /* After "--" everything is a target, even what looks like a flag. */
    {ARGV("run", "--", "--help", "-v", "--rounds=x"), RUN,
     TARGETS("--help", "-v", "--rounds=x")},
    {ARGV("run", "-q", "--", "--"), RUN, .quiet = 1, TARGETS("--")},
    {ARGV("run", "a", "--warmup", "5", "b", "-v", "c"), RUN,
     TARGETS("a", "b", "c"), WARMUP(5), .verbose = 1},
};
/* clang-format on */

static void
check_double(const char *what, double got, double want)
{
    if (got != want) {
        fail_msg("%s: got %.17g, want %.17g", what, got, want);
    }
}

static int
make_argv(char **argv, const char *const *args)
{
    int argc = 0;

    argv[argc++] = (char *)"pyleak-ci";
    while (args[argc - 1] != NULL) {
        argv[argc] = (char *)args[argc - 1];
        argc++;
    }
    argv[argc] = NULL;
    return argc;
}

static void
check_valid(const valid_case *t)
{
    char *argv[MAX_ARGS + 2];
    int argc = make_argv(argv, t->argv);
    plk_config got, want;
    plk_error err = {0};
    size_t n = 0;
    int i, m;
    int rc;

    plk_config_init(&got);
    plk_config_init(&want);
    rc = plk_cli_parse(&got, argc, argv, &err);
    if (rc != 0) {
        fail_msg("%s ...: unexpected error %d: %s", t->argv[0], rc,
                 err.message ? err.message : "(no message)");
    }
    assert_null(err.message);

    want.command = t->command;
    if (t->set_warmup) {
        want.warmup = t->warmup;
    }
    if (t->set_rounds) {
        want.min_rounds = t->min_rounds;
    }
    if (t->set_max_rounds) {
        want.max_rounds = t->max_rounds;
    }
    if (t->set_max_calls) {
        want.max_calls = t->max_calls;
    }
    if (t->set_round_ms) {
        want.round_ms = t->round_ms;
    }
    if (t->set_alpha) {
        want.alpha = t->alpha;
    }
    if (t->set_color) {
        want.color = t->color;
    }
    want.verbose = t->verbose;
    want.quiet = t->quiet;
    for (i = 0; i < 2; i++) {
        if (t->threshold[i].set) {
            want.threshold[t->threshold[i].metric] = t->threshold[i].value;
        }
        if (t->floor[i].set) {
            want.floor[t->floor[i].metric] = t->floor[i].value;
        }
    }

    assert_int_equal(got.command, want.command);
    assert_int_equal(got.warmup, want.warmup);
    assert_int_equal(got.min_rounds, want.min_rounds);
    assert_int_equal(got.max_rounds, want.max_rounds);
    assert_int_equal(got.max_calls, want.max_calls);
    check_double("round_ms", got.round_ms, want.round_ms);
    check_double("alpha", got.alpha, want.alpha);
    assert_int_equal(got.color, want.color);
    assert_int_equal(got.verbose, want.verbose);
    assert_int_equal(got.quiet, want.quiet);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        check_double(plk_metric_name((plk_metric)m), got.threshold[m],
                     want.threshold[m]);
        check_double(plk_metric_name((plk_metric)m), got.floor[m],
                     want.floor[m]);
    }
    if (t->junit_xml == NULL) {
        assert_null(got.junit_xml);
    }
    else {
        assert_non_null(got.junit_xml);
        assert_string_equal(got.junit_xml, t->junit_xml);
    }
    if (t->python == NULL) {
        assert_null(got.python);
    }
    else {
        assert_non_null(got.python);
        assert_string_equal(got.python, t->python);
    }
    while (t->targets[n] != NULL) {
        n++;
    }
    assert_int_equal(got.targets.count, n);
    for (n = 0; n < got.targets.count; n++) {
        assert_string_equal(got.targets.items[n], t->targets[n]);
    }

    plk_config_free(&got);
    plk_config_free(&want);
}

static void
test_cli__valid(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        check_valid(&valid_cases[i]);
    }
}

typedef struct invalid_case {
    const char *argv[MAX_ARGS];
    int code;
    const char *needles[4]; /* all must be in the message */
} invalid_case;

/* clang-format off */
static const invalid_case invalid_cases[] = {
    {{"frobnicate"}, PLK_EUSAGE,
     {"unknown command 'frobnicate'", "pyleak-ci run --help"}},
    {{"-"}, PLK_EUSAGE, {"unknown command '-'"}},
    {{"--bogus"}, PLK_EUSAGE, {"unknown option '--bogus'"}},
    {{"--version=2"}, PLK_EUSAGE, {"--version"}},
    {{"--rounds", "5", "run"}, PLK_EUSAGE,
     {"unknown option '--rounds'", "after 'run'"}},
    {{"run", "--bogus"}, PLK_EUSAGE, {"unknown option '--bogus'"}},
    {{"run", "--bogus=1"}, PLK_EUSAGE, {"unknown option '--bogus'"}},
    {{"run", "-x"}, PLK_EUSAGE, {"unknown option '-x'"}},
    {{"run", "-vq"}, PLK_EUSAGE, {"unknown option '-vq'"}},
    {{"run", "--version"}, PLK_EUSAGE,
     {"unknown option '--version'", "pyleak-ci --version"}},
    {{"run", "--round"}, PLK_EUSAGE, {"unknown option '--round'"}},
    {{"run", "--junit-xml"}, PLK_EUSAGE, {"--junit-xml needs a value"}},
    {{"run", "--junit-xml="}, PLK_EUSAGE, {"--junit-xml needs a value"}},
    {{"run", "--junit-xml", "--quiet"}, PLK_EUSAGE,
     {"--junit-xml needs a value"}},
    {{"run", "--python"}, PLK_EUSAGE, {"--python needs a value"}},
    {{"run", "--rounds"}, PLK_EUSAGE, {"--rounds needs a value"}},
    {{"run", "--threshold"}, PLK_EUSAGE, {"--threshold needs a value"}},
    {{"run", "--color"}, PLK_EUSAGE, {"--color needs a value"}},
    {{"run", "--no-color=1"}, PLK_EUSAGE,
     {"--no-color does not take a value"}},
    {{"run", "--quiet=yes"}, PLK_EUSAGE, {"--quiet does not take a value"}},
    {{"run", "--rounds", "abc"}, PLK_EUSAGE,
     {"--rounds: expected an integer from 3 to 100000, got 'abc'"}},
    {{"run", "--rounds", "3x"}, PLK_EUSAGE,
     {"--rounds", "3 to 100000", "'3x'"}},
    {{"run", "--rounds", "-5"}, PLK_EUSAGE,
     {"--rounds", "3 to 100000", "'-5'"}},
    {{"run", "--rounds=2"}, PLK_EUSAGE, {"--rounds", "3 to 100000", "'2'"}},
    {{"run", "--rounds=100001"}, PLK_EUSAGE, {"--rounds", "'100001'"}},
    {{"run", "--rounds="}, PLK_EUSAGE, {"--rounds", "3 to 100000", "''"}},
    {{"run", "--rounds", " 5"}, PLK_EUSAGE, {"--rounds", "' 5'"}},
    {{"run", "--rounds", "99999999999999999999999"}, PLK_EUSAGE,
     {"--rounds", "3 to 100000"}},
    {{"run", "--rounds", "4294967299"}, PLK_EUSAGE,
     {"--rounds", "3 to 100000"}},
    {{"run", "--warmup", "1001"}, PLK_EUSAGE,
     {"--warmup: expected an integer from 0 to 1000, got '1001'"}},
    {{"run", "--warmup", "-1"}, PLK_EUSAGE, {"--warmup", "0 to 1000"}},
    {{"run", "--warmup", "1.5"}, PLK_EUSAGE, {"--warmup", "0 to 1000"}},
    {{"run", "--max-calls", "0"}, PLK_EUSAGE,
     {"--max-calls", "1 to 1000000", "'0'"}},
    {{"run", "--max-calls", "1000001"}, PLK_EUSAGE,
     {"--max-calls", "1 to 1000000"}},
    {{"run", "--max-rounds", "abc"}, PLK_EUSAGE,
     {"--max-rounds", "3 to 100000"}},
    {{"run", "--max-rounds", "5"}, PLK_EUSAGE,
     {"--max-rounds (5)", "--rounds (8)"}},
    {{"run", "--rounds", "20", "--max-rounds", "10"}, PLK_EUSAGE,
     {"--max-rounds (10)", "--rounds (20)"}},
    {{"run", "--max-rounds", "10", "--rounds", "20"}, PLK_EUSAGE,
     {"--max-rounds", "--rounds"}},
    {{"run", "--round-ms", "0"}, PLK_EUSAGE,
     {"--round-ms", "greater than 0", "'0'"}},
    {{"run", "--round-ms", "-1"}, PLK_EUSAGE, {"--round-ms", "'-1'"}},
    {{"run", "--round-ms", "abc"}, PLK_EUSAGE, {"--round-ms", "'abc'"}},
    {{"run", "--round-ms", "inf"}, PLK_EUSAGE, {"--round-ms", "'inf'"}},
    {{"run", "--round-ms", "nan"}, PLK_EUSAGE, {"--round-ms", "'nan'"}},
    {{"run", "--round-ms", "1e999"}, PLK_EUSAGE, {"--round-ms", "'1e999'"}},
    {{"run", "--round-ms", "2ms"}, PLK_EUSAGE, {"--round-ms", "'2ms'"}},
    {{"run", "--round-ms="}, PLK_EUSAGE, {"--round-ms", "''"}},
    {{"run", "--alpha", "0"}, PLK_EUSAGE,
     {"--alpha", "between 0 and 1", "'0'"}},
    {{"run", "--alpha", "1"}, PLK_EUSAGE, {"--alpha", "'1'"}},
    {{"run", "--alpha", "1.5"}, PLK_EUSAGE, {"--alpha", "'1.5'"}},
    {{"run", "--alpha", "0x0.1"}, PLK_EUSAGE, {"--alpha", "'0x0.1'"}},
    {{"run", "--threshold", "blocks"}, PLK_EUSAGE,
     {"--threshold", "METRIC=AMOUNT", "'blocks'"}},
    {{"run", "--threshold", "=1"}, PLK_EUSAGE,
     {"--threshold", "METRIC=AMOUNT"}},
    {{"run", "--threshold", "bogus=1"}, PLK_EUSAGE,
     {"--threshold", "unknown metric 'bogus'", "blocks", "threads"}},
    {{"run", "--threshold", "blocks=-1"}, PLK_EUSAGE,
     {"--threshold", ">= 0", "'-1'"}},
    {{"run", "--threshold", "blocks="}, PLK_EUSAGE,
     {"--threshold", ">= 0", "''"}},
    {{"run", "--threshold=heap=1k"}, PLK_EUSAGE, {"--threshold", "'1k'"}},
    {{"run", "--floor", "rss=abc"}, PLK_EUSAGE,
     {"--floor", ">= 0", "'abc'"}},
    {{"run", "--floor", "nope=1"}, PLK_EUSAGE,
     {"--floor", "unknown metric 'nope'"}},
    {{"run", "--color", "sometimes"}, PLK_EUSAGE,
     {"--color", "auto, always or never", "'sometimes'"}},
    {{"run", "--color="}, PLK_EUSAGE, {"--color", "''"}},
};
/* clang-format on */

static void
check_invalid(const invalid_case *t)
{
    char *argv[MAX_ARGS + 2];
    int argc = make_argv(argv, t->argv);
    plk_config c;
    plk_error err = {0};
    int rc;
    int i;

    plk_config_init(&c);
    rc = plk_cli_parse(&c, argc, argv, &err);
    if (rc != t->code) {
        fail_msg("%s %s: got %d, want %d", t->argv[0],
                 t->argv[1] ? t->argv[1] : "", rc, t->code);
    }
    assert_int_equal(err.code, t->code);
    assert_non_null(err.message);
    for (i = 0; i < 4 && t->needles[i] != NULL; i++) {
        if (strstr(err.message, t->needles[i]) == NULL) {
            fail_msg("message \"%s\" lacks \"%s\"", err.message,
                     t->needles[i]);
        }
    }
    plk_error_clear(&err);
    plk_config_free(&c);
}

static void
test_cli__invalid(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        check_invalid(&invalid_cases[i]);
    }
}

static void
test_cli__defaults(void **state)
{
    plk_config c;
    int m;

    plk_config_init(&c);
    assert_int_equal(c.command, PLK_CMD_NONE);
    assert_int_equal(c.warmup, 3);
    assert_int_equal(c.min_rounds, 8);
    assert_int_equal(c.max_rounds, 64);
    assert_int_equal(c.max_calls, 100);
    check_double("round_ms", c.round_ms, 2.0);
    check_double("alpha", c.alpha, 0.01);
    assert_int_equal(c.color, PLK_COLOR_AUTO);
    assert_int_equal(c.verbose, 0);
    assert_int_equal(c.quiet, 0);
    assert_int_equal(c.reseed, 1);
    assert_int_equal(c.fail_not_repeatable, 0);
    assert_null(c.junit_xml);
    assert_null(c.python);
    assert_int_equal(c.targets.count, 0);
    check_double("floor refs", c.floor[PLK_METRIC_REFS], 0.25);
    check_double("floor blocks", c.floor[PLK_METRIC_BLOCKS], 0.25);
    check_double("floor objects", c.floor[PLK_METRIC_OBJECTS], 0.25);
    check_double("floor heap", c.floor[PLK_METRIC_HEAP], 256);
    check_double("floor rss", c.floor[PLK_METRIC_RSS], 262144);
    check_double("floor fds", c.floor[PLK_METRIC_FDS], 0.5);
    check_double("floor threads", c.floor[PLK_METRIC_THREADS], 0.5);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        check_double("threshold", c.threshold[m], 0.0);
    }
    plk_config_free(&c);
}

/* --no-reseed and --fail-not-repeatable set their settings and record
 * the flag as their source. */
static void
test_cli__repeat_flags(void **state)
{
    char *argv[] = {(char *)"pyleak-ci",   (char *)"run",
                    (char *)"--no-reseed", (char *)"--fail-not-repeatable",
                    (char *)"x",           NULL};
    char *bad[] = {(char *)"pyleak-ci", (char *)"run", (char *)"--no-reseed=1",
                   NULL};
    plk_config c;
    plk_error err = {0};

    (void)state;
    plk_config_init(&c);
    assert_int_equal(plk_cli_parse(&c, 5, argv, &err), 0);
    assert_int_equal(c.reseed, 0);
    assert_int_equal(c.fail_not_repeatable, 1);
    assert_int_equal(c.source[PLK_SET_RESEED].origin, PLK_FROM_CLI);
    assert_int_equal(c.source[PLK_SET_FAIL_NOT_REPEATABLE].origin,
                     PLK_FROM_CLI);
    plk_config_free(&c);
    plk_config_init(&c);
    assert_int_equal(plk_cli_parse(&c, 3, bad, &err), PLK_EUSAGE);
    assert_non_null(strstr(err.message, "--no-reseed does not take a "
                                        "value"));
    plk_error_clear(&err);
    plk_config_free(&c);
}

static void
test_cli__config_free(void **state)
{
    plk_config c;

    plk_config_free(NULL);
    plk_config_init(&c);
    c.junit_xml = plk_strdup("a.xml");
    c.python = plk_strdup("python3");
    assert_int_equal(plk_strlist_push(&c.targets, "tests"), 0);
    plk_config_free(&c);
    assert_null(c.junit_xml);
    assert_null(c.python);
    assert_int_equal(c.targets.count, 0);
    /* A second free of the same record must be harmless. */
    plk_config_free(&c);
}

/* The help must mention every option the parser takes, every metric,
 * the environment and each exit status, and fit 79 columns. */
static void
test_cli__usage(void **state)
{
    static const char *const needles[] = {
        "usage: pyleak-ci",
        "run [options] [TARGET...]",
        "--junit-xml PATH",
        "--python PATH",
        "--warmup N",
        "--rounds N",
        "--max-rounds N",
        "--max-calls N",
        "--round-ms MS",
        "--alpha P",
        "--threshold METRIC=AMOUNT",
        "--floor METRIC=AMOUNT",
        "--color WHEN",
        "--no-color",
        "-v, --verbose",
        "-q, --quiet",
        "-h, --help",
        "--version",
        "  --  ",
        "test_*.py",
        "*_test.py",
        "__pycache__",
        "pyvenv.cfg",
        "hidden",
        "FILE.py::NAME",
        "FILE.py::CLASS::NAME",
        "PACKAGE.MODULE:CALLABLE",
        "(default: 3)",
        "(default: 8)",
        "(default: 64)",
        "(default: 100)",
        "(default: 2)",
        "(default: 0.01)",
        "0 to 1000",
        "3 to 100000",
        "1 to 1000000",
        "refs=0.25",
        "blocks=0.25",
        "objects=0.25",
        "heap=256",
        "rss=262144",
        "fds=0.5",
        "threads=0.5",
        "  refs ",
        "  blocks ",
        "  objects ",
        "  heap ",
        "  rss ",
        "  fds ",
        "  threads ",
        "debug builds",
        "VIRTUAL_ENV",
        "NO_COLOR",
        "  0  no leaks and all tests passed",
        "  1  leaks, failing tests or errors",
        "  2  interrupted",
        "  3  internal error",
        "  4  usage error",
        "Python version mismatch",
        "  5  no tests collected",
    };
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    const char *line;
    size_t i;

    assert_non_null(f);
    plk_cli_usage(f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(text);
    for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
        if (strstr(text, needles[i]) == NULL) {
            fail_msg("help lacks \"%s\"", needles[i]);
        }
    }
    for (line = text; *line != '\0';) {
        size_t len = strcspn(line, "\n");

        if (len > 79) {
            fail_msg("help line longer than 79 columns: %.*s", (int)len, line);
        }
        line += len + (line[len] == '\n');
    }
    assert_int_equal(text[size - 1], '\n');
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli__valid),
        cmocka_unit_test(test_cli__invalid),
        cmocka_unit_test(test_cli__defaults),
        cmocka_unit_test(test_cli__repeat_flags),
        cmocka_unit_test(test_cli__config_free),
        cmocka_unit_test(test_cli__usage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
