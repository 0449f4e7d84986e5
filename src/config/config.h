/* Run configuration: defaults, pyproject.toml, environment and command
 * line, and where each value came from. */
#ifndef PYLEAK_CONFIG_H
#define PYLEAK_CONFIG_H

#include <stdio.h>

#include "base/error.h"
#include "base/metric.h"
#include "base/util.h"

typedef enum {
    PLK_CMD_NONE, /* no subcommand given */
    PLK_CMD_RUN,
    PLK_CMD_CONFIG, /* print the effective configuration */
    PLK_CMD_HELP,
    PLK_CMD_VERSION
} plk_command;

typedef enum { PLK_COLOR_AUTO, PLK_COLOR_ALWAYS, PLK_COLOR_NEVER } plk_color;

/* Every setting a user can give, by flag, [tool.pyleak-ci] key or
 * environment variable; the order is the order `pyleak-ci config`
 * prints them in. Each has one row in the settings table
 * (config/settings.h), which says everything else about it. */
typedef enum {
    PLK_SET_PATHS, /* targets */
    PLK_SET_PYTHON,
    PLK_SET_WARMUP,
    PLK_SET_ROUNDS,
    PLK_SET_MAX_ROUNDS,
    PLK_SET_MAX_CALLS,
    PLK_SET_ROUND_MS,
    PLK_SET_ALPHA,
    PLK_SET_THOROUGH,
    PLK_SET_RESEED,
    PLK_SET_FAIL_NOT_REPEATABLE,
    PLK_SET_THRESHOLD, /* per metric: see threshold_source */
    PLK_SET_FLOOR,     /* per metric: see floor_source */
    PLK_SET_TIMEOUT,
    PLK_SET_JOBS,
    PLK_SET_SHARD,
    PLK_SET_DURATIONS_FROM,
    PLK_SET_KEYWORD,
    PLK_SET_IGNORE,
    PLK_SET_JUNIT_XML,
    PLK_SET_JUNIT_STRICT,
    PLK_SET_JSON,
    PLK_SET_HTML,
    PLK_SET_BASELINE,
    PLK_SET_UPDATE_BASELINE,
    PLK_SET_DIAGNOSE,
    PLK_SET_TRACEBACK_DEPTH,
    PLK_SET_COLOR,
    PLK_SET_VERBOSE,
    PLK_SET_QUIET,
    PLK_SET__COUNT
} plk_setting;

/* Where a value came from, weakest first: a stronger origin overrides
 * a weaker one whatever the order they are read in. */
typedef enum {
    PLK_FROM_DEFAULT,
    PLK_FROM_FILE, /* [tool.pyleak-ci] in config_file */
    PLK_FROM_ENV,
    PLK_FROM_CLI
} plk_origin;

typedef struct plk_source {
    plk_origin origin;
    int line;         /* FILE: 1-based line of the key */
    const char *name; /* CLI: the flag; ENV: the variable (static) */
} plk_source;

typedef struct plk_config {
    plk_command command;
    plk_strlist targets;     /* as given; empty means "." */
    char *junit_xml;         /* NULL: no JUnit report */
    char *python;            /* --python, else $VIRTUAL_ENV's python */
    unsigned warmup;         /* warm-up rounds */
    unsigned min_rounds;     /* measured rounds before a first verdict */
    unsigned max_rounds;     /* cap when a verdict stays suspicious */
    unsigned max_calls;      /* cap on calls per round */
    double round_ms;         /* calibrate calls so a round lasts this */
    double alpha;            /* Mann-Kendall significance level */
    int thorough;            /* --thorough: no screening, no early stop */
    int reseed;              /* 0 with --no-reseed: random state is not
                               * reset before every call */
    int fail_not_repeatable; /* --fail-not-repeatable: a test that
                               * passes once and fails when repeated
                               * fails the run */
    /* Growth per round below which a metric is noise, and per-call
     * growth a test may show before it fails (0: any real growth). */
    double floor[PLK_METRIC__COUNT];
    double threshold[PLK_METRIC__COUNT];
    plk_color color;
    int verbose; /* -v: one line per test, full reports */
    int quiet;   /* -q: no progress */
    /* Reports. */
    int junit_strict; /* --junit-strict: schema-valid JUnit only */
    char *json;       /* --json PATH, NULL: none */
    char *html;       /* --html PATH, NULL: none */
    /* Processes and machines. */
    unsigned jobs;        /* parallel workers; 0: one per CPU */
    double timeout;       /* seconds a test may run before it is
                               * stopped (see --help for what counts) */
    unsigned shard_index; /* --shard K/N: K, 1-based; 0: no sharding */
    unsigned shard_total; /* N */
    char *durations_from; /* a previous JUnit or JSON report */
    /* Selection and control. */
    char *keyword;       /* -k EXPR, NULL: every test */
    plk_strlist ignore;  /* --ignore GLOB, repeatable */
    char *baseline;      /* --baseline FILE of known leaks */
    int update_baseline; /* --update-baseline: rewrite that file */
    /* Diagnosis of leaking tests. */
    int diagnose;             /* 0 with --no-diagnose */
    unsigned traceback_depth; /* frames kept per allocation site */
    /* Where the values came from. */
    char *config_file; /* the pyproject.toml read, or NULL */
    plk_source source[PLK_SET__COUNT];
    plk_source threshold_source[PLK_METRIC__COUNT];
    plk_source floor_source[PLK_METRIC__COUNT];
    size_t ignore_from_file; /* the first ignore items came from it, */
    int ignore_file_line;    /* from this line */
} plk_config;

/* Fill c with defaults. */
void plk_config_init(plk_config *c);
void plk_config_free(plk_config *c);

/* Parse argv (argv[0] is the program) into c, which must have been
 * initialised. Returns 0 or PLK_EUSAGE with err naming the bad flag. */
int plk_cli_parse(plk_config *c, int argc, char **argv, plk_error *err);

/* Values from the environment, where no flag gave them: VIRTUAL_ENV for
 * python, NO_COLOR for colour. PLK_EUSAGE when VIRTUAL_ENV is broken. */
int plk_config_apply_env(plk_config *c, plk_error *err);

/* Checks across settings once every source is in (rounds against
 * max-rounds, --update-baseline without a baseline). */
int plk_config_finish(plk_config *c, plk_error *err);

/* Read [tool.pyleak-ci] from the pyproject.toml found by walking up
 * from the first target (or the working directory), then apply the
 * environment and finish. Warnings (unknown keys) go to warn, which
 * may be NULL. Returns 0 or PLK_EUSAGE (a malformed file, a value of
 * the wrong type or range) with err naming file, line and key. */
int plk_config_load(plk_config *c, FILE *warn, plk_error *err);

/* Find the pyproject.toml for c (see plk_config_load); *out is NULL
 * when there is none. */
int plk_pyproject_find(char **out, const plk_config *c, plk_error *err);
/* Apply the [tool.pyleak-ci] table of the file at path to c, below
 * whatever c already holds from stronger sources. */
int plk_pyproject_apply(plk_config *c, const char *path, FILE *warn,
                        plk_error *err);

/* "default", "pyproject.toml:12", "command line (--rounds)",
 * "environment (VIRTUAL_ENV)": a new string. */
char *plk_config_source_text(const plk_config *c, const plk_source *s);
/* The effective configuration, one setting a line with its source. */
void plk_config_print(FILE *out, const plk_config *c);

/* Print the --help text. */
void plk_cli_usage(FILE *out);
/* Print the pyleak-ci(1) man page (troff) for this version. */
void plk_cli_man(FILE *out, const char *version);

#endif
