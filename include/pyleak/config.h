/* Run configuration: defaults, and what the command line sets. */
#ifndef PYLEAK_CONFIG_H
#define PYLEAK_CONFIG_H

#include <stdio.h>

#include "pyleak/error.h"
#include "pyleak/metric.h"
#include "pyleak/util.h"

typedef enum {
    PLK_CMD_NONE,    /* no subcommand given */
    PLK_CMD_RUN,
    PLK_CMD_HELP,
    PLK_CMD_VERSION
} plk_command;

typedef enum { PLK_COLOR_AUTO, PLK_COLOR_ALWAYS, PLK_COLOR_NEVER } plk_color;

typedef struct plk_config {
    plk_command command;
    plk_strlist targets;      /* as given; empty means "." */
    char *junit_xml;          /* NULL: no JUnit report */
    char *python;             /* --python, else $VIRTUAL_ENV's python */
    unsigned warmup;          /* warm-up rounds */
    unsigned min_rounds;      /* measured rounds before a first verdict */
    unsigned max_rounds;      /* cap when a verdict stays suspicious */
    unsigned max_calls;       /* cap on calls per round */
    double round_ms;          /* calibrate calls so a round lasts this */
    double alpha;             /* Mann-Kendall significance level */
    /* Growth per round below which a metric is noise, and per-call
     * growth a test may show before it fails (0: any real growth). */
    double floor[PLK_METRIC__COUNT];
    double threshold[PLK_METRIC__COUNT];
    plk_color color;
    int verbose;              /* -v: one line per test */
    int quiet;                /* -q: no progress */
    /* Reports. */
    int junit_strict;         /* --junit-strict: schema-valid JUnit only */
    char *json;               /* --json PATH, NULL: none */
    /* Processes and machines. */
    unsigned jobs;            /* parallel workers; 0: one per CPU */
    double timeout;           /* seconds a test may run before it is
                               * stopped (see --help for what counts) */
    unsigned shard_index;     /* --shard K/N: K, 1-based; 0: no sharding */
    unsigned shard_total;     /* N */
    char *durations_from;     /* a previous JUnit or JSON report */
    /* Selection and control. */
    char *keyword;            /* -k EXPR, NULL: every test */
    plk_strlist ignore;       /* --ignore GLOB, repeatable */
    char *baseline;           /* --baseline FILE of known leaks */
    int update_baseline;      /* --update-baseline: rewrite that file */
    /* Diagnosis of leaking tests. */
    int diagnose;             /* 0 with --no-diagnose */
    unsigned traceback_depth; /* frames kept per allocation site */
} plk_config;

/* Fill c with defaults. */
void plk_config_init(plk_config *c);
void plk_config_free(plk_config *c);

/* Parse argv (argv[0] is the program) into c, which must have been
 * initialised. Returns 0 or PLK_EUSAGE with err naming the bad flag. */
int plk_cli_parse(plk_config *c, int argc, char **argv, plk_error *err);

/* Print the --help text. */
void plk_cli_usage(FILE *out);

#endif
