/* The --help text and the pyleak-ci(1) man page. Both are made from the
 * settings table (the options, the keys) and from the sections below
 * (commands, targets, metrics, environment, exit status), so the two
 * cannot say different things. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"

/* Help lines stop at column 79. */
#define HELP_WIDTH 79

/* A term and what it means. Lines of text are broken as --help shows
 * them; the man page fills them into one paragraph. */
typedef struct item {
    const char *term;
    const char *text;
    int hang; /* --help: the text follows the term, however long */
} item;

#define N(array) (sizeof(array) / sizeof((array)[0]))

static const char *const usage[] = {
    "pyleak-ci [--help] [--version] run [options] [TARGET...]",
    "pyleak-ci config [options] [TARGET...]",
};

static const char about[] =
    "Run each Python test many times, with full garbage collection "
    "between\n"
    "rounds, fit the growth of memory and of what tests leave behind\n"
    "(processes, temporary files, environment) across rounds, and fail "
    "when\n"
    "a test leaks.";

/* clang-format off */
static const item commands[] = {
    {"run",
     "find and run the tests in TARGET... (default: the paths of\n"
     "[tool.pyleak-ci], else .)", 0},
    {"config",
     "print the effective configuration and where each value came\n"
     "from (default, pyproject.toml:LINE, environment, command line);\n"
     "takes the options of run", 0},
    {"help", "show this help", 0},
};
/* clang-format on */

static const char settings_about[] =
    "Settings are read from [tool.pyleak-ci] in the nearest "
    "pyproject.toml\n"
    "above the first TARGET (or the working directory); keys are the "
    "long\n"
    "option names (rounds = 16, threshold = { heap = 64 }, ignore = "
    "[...]).\n"
    "The environment overrides the file and options override both.";

/* clang-format off */
static const item targets[] = {
    {"DIR",
     "test_*.py and *_test.py files, found recursively,\n"
     "skipping hidden directories, __pycache__,\n"
     "site-packages, node_modules and virtual\n"
     "environments (directories holding pyvenv.cfg)", 0},
    {"FILE.py", "every test in the file", 0},
    {"FILE.py::NAME", "one test function or test class", 0},
    {"FILE.py::CLASS::NAME", "one test method of a class", 0},
    {"PACKAGE.MODULE:CALLABLE",
     "a callable found by import; CALLABLE may be\n"
     "dotted, as in Class.method", 0},
};
/* clang-format on */

static const char options_note[] = "as --opt VALUE or --opt=VALUE";

/* Flags of the parser itself, not of a setting. */
static const item builtin_flags[] = {
    {"--", "every later argument is a TARGET", 0},
    {"-h, --help", "show this help and exit", 0},
    {"--version", "show the version and exit", 0},
};

static const char metrics_note[] =
    "for --threshold and --floor; AMOUNT is in the unit shown";

static const char *const metric_about[PLK_METRIC__COUNT] = {
    [PLK_METRIC_REFS] = "total reference count (debug builds of Python "
                        "only)",
    [PLK_METRIC_BLOCKS] = "memory blocks allocated by Python",
    [PLK_METRIC_OBJECTS] = "objects tracked by the garbage collector",
    [PLK_METRIC_HEAP] = "memory in use by malloc (sees leaks in C "
                        "extensions)",
    [PLK_METRIC_RSS] = "resident set size",
    [PLK_METRIC_FDS] = "open file descriptors",
    [PLK_METRIC_THREADS] = "threads of the process",
    [PLK_METRIC_PROCS] = "child processes still running or not reaped",
    [PLK_METRIC_TMPFILES] = "files and folders in the temporary directory",
    [PLK_METRIC_TMPBYTES] = "bytes of the files in the temporary "
                            "directory",
    [PLK_METRIC_ENV] = "entries of the process's environment: os.environ, "
                       "sys.path, import hooks, logging handlers, atexit "
                       "callbacks, signal handlers, the working directory",
};

/* Every variable a row of the table names is here too (a test checks
 * it), beside those that are not settings. */
/* clang-format off */
static const item environment[] = {
    {"VIRTUAL_ENV", "run inside that virtual environment", 0},
    {"NO_COLOR", "when set, no colour unless --color always", 0},
    {"GITHUB_ACTIONS=true",
     "annotate leaks and failures (at most 10) and\n"
     "append a summary to $GITHUB_STEP_SUMMARY", 1},
    {"PYLEAK_HTML_URL",
     "where the --html report is served: the summary links\n"
     "each leak there (else to the run's artifacts)", 0},
    {"CI_NODE_INDEX, CI_NODE_TOTAL",
     "GitLab's parallel jobs: the shard when --shard is not given", 0},
    {"PYLEAK_CI_NO_FORK",
     "when set (not 0), run every file in this process: no\n"
     "workers, no --jobs, no --timeout, a crash ends the run\n"
     "(for debugging)", 0},
};
/* clang-format on */

/* clang-format off */
static const item exit_status[] = {
    {"0", "no leaks and all tests passed", 0},
    {"1", "leaks, failing tests or errors", 0},
    {"2",
     "interrupted (SIGINT or SIGTERM; the report of what finished is\n"
     "written, tests that did not run are listed as skipped)", 0},
    {"3", "internal error", 0},
    {"4", "usage error (bad flag, bad target, Python version mismatch)",
     0},
    {"5", "no tests collected", 0},
};
/* clang-format on */

/* Where the text of each list starts in --help. */
#define COMMANDS_COL 10
#define TARGETS_COL 27
#define OPTIONS_COL 27
#define METRICS_COL 24
#define METRIC_NAME_WIDTH 9
#define ENVIRONMENT_COL 15
#define EXIT_COL 5

static void
put_default(plk_buf *b, const plk_setting_def *s)
{
    int m;

    switch (s->kind) {
    case PLK_KIND_UINT:
        plk_buf_printf(b, "%u", s->def.u);
        break;
    case PLK_KIND_NUMBER:
        plk_buf_printf(b, "%g", s->def.d);
        break;
    case PLK_KIND_BOOL:
        plk_buf_puts(b, s->def.b ? "true" : "false");
        break;
    case PLK_KIND_CHOICE:
        plk_buf_puts(b, s->choices[s->def.b]);
        break;
    case PLK_KIND_METRICS:
        for (m = 0; m < PLK_METRIC__COUNT; m++) {
            plk_buf_printf(b, "%s%s=%g", m > 0 ? " " : "",
                           plk_metric_name((plk_metric)m),
                           s->def.metrics != NULL ? s->def.metrics[m] : 0.0);
        }
        break;
    case PLK_KIND_TARGETS:
        plk_buf_puts(b, s->def.s != NULL ? s->def.s : "");
        break;
    default:
        plk_buf_puts(b, "none");
        break;
    }
}

static void
put_bound(plk_buf *b, const plk_setting_def *s, double v)
{
    if (s->kind == PLK_KIND_UINT) {
        plk_buf_printf(b, "%lu", (unsigned long)v);
    }
    else {
        plk_buf_printf(b, "%g", v);
    }
}

/* A flag's help with {lo}, {hi}, {default} and {choices} replaced by
 * the row's values; anything else in braces is kept. A new string, or
 * NULL when out of memory. */
static char *
expand(const plk_setting_def *s, const char *text)
{
    plk_buf b = {0};
    const char *p = text;

    while (*p != '\0') {
        const char *open = strchr(p, '{');
        char *choices;

        if (open == NULL) {
            plk_buf_puts(&b, p);
            break;
        }
        plk_buf_append(&b, p, (size_t)(open - p));
        if (strncmp(open, "{lo}", 4) == 0) {
            put_bound(&b, s, s->lo);
            p = open + 4;
        }
        else if (strncmp(open, "{hi}", 4) == 0) {
            put_bound(&b, s, s->hi);
            p = open + 4;
        }
        else if (strncmp(open, "{default}", 9) == 0) {
            put_default(&b, s);
            p = open + 9;
        }
        else if (strncmp(open, "{choices}", 9) == 0) {
            choices = plk_setting_choices(s);
            plk_buf_puts(&b, choices ? choices : "");
            free(choices);
            p = open + 9;
        }
        else {
            plk_buf_puts(&b, "{");
            p = open + 1;
        }
    }
    return plk_buf_detach(&b);
}

/* "-j, --jobs N", "--quiet": a flag as --help and the man page list it. */
static char *
flag_label(const plk_flag *f)
{
    return plk_asprintf("%s%s%s%s%s", f->short_name ? f->short_name : "",
                        f->short_name ? ", " : "", f->name,
                        f->metavar ? " " : "", f->metavar ? f->metavar : "");
}

/* --help */

/* text from column col on, the cursor already there: its lines as they
 * are, each broken again at spaces only if it would pass HELP_WIDTH;
 * later lines are indented to col. */
static void
help_text(FILE *out, const char *text, int col)
{
    const char *line = text;
    int first = 1;

    while (*line != '\0') {
        const char *end = line + strcspn(line, "\n");
        const char *p = line;

        do {
            size_t room = HELP_WIDTH - (size_t)col;
            size_t n = (size_t)(end - p);

            if (n > room) {
                const char *sp = p + room;

                while (sp > p && *sp != ' ') {
                    sp--;
                }
                if (sp == p) { /* one word longer than the room */
                    sp = memchr(p, ' ', n);
                    sp = sp != NULL ? sp : end;
                }
                n = (size_t)(sp - p);
            }
            if (!first) {
                fprintf(out, "%*s", col, "");
            }
            fwrite(p, 1, n, out);
            fputc('\n', out);
            first = 0;
            p += n;
            while (p < end && *p == ' ') {
                p++;
            }
        } while (p < end);
        line = *end == '\n' ? end + 1 : end;
    }
}

/* "  TERM    text": the text at column col, or on the next line when the
 * term leaves no two spaces before it (unless it hangs). */
static void
help_item(FILE *out, const char *term, const char *text, int col, int hang)
{
    int width = (int)strlen(term);

    if (hang) {
        col = 2 + width + 2;
    }
    if (2 + width + 2 <= col) {
        fprintf(out, "  %-*s", col - 2, term);
    }
    else {
        fprintf(out, "  %s\n%*s", term, col, "");
    }
    help_text(out, text, col);
}

static void
help_items(FILE *out, const item *items, size_t n, int col)
{
    size_t i;

    for (i = 0; i < n; i++) {
        help_item(out, items[i].term, items[i].text, col, items[i].hang);
    }
}

static void
help_options(FILE *out)
{
    size_t i, j;

    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_listed(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &s->flags[j];
            char *label, *text;

            if (f->name == NULL) {
                continue;
            }
            label = flag_label(f);
            text = expand(s, f->help);
            help_item(out, label ? label : f->name, text ? text : f->help,
                      OPTIONS_COL, 0);
            free(label);
            free(text);
        }
    }
    help_items(out, builtin_flags, N(builtin_flags), OPTIONS_COL);
}

void
plk_cli_usage(FILE *out)
{
    int m;

    fprintf(out, "usage: %s\n       %s\n\n%s\n\nCommands:\n", usage[0],
            usage[1], about);
    help_items(out, commands, N(commands), COMMANDS_COL);
    fprintf(out, "\n%s\n\nTargets:\n", settings_about);
    help_items(out, targets, N(targets), TARGETS_COL);
    fprintf(out, "\nOptions of run (%s):\n", options_note);
    help_options(out);
    fprintf(out, "\nMetrics (%s):\n", metrics_note);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        char *term = plk_asprintf("%-*s%s", METRIC_NAME_WIDTH,
                                  plk_metric_name((plk_metric)m),
                                  plk_metric_unit((plk_metric)m));

        help_item(out, term ? term : plk_metric_name((plk_metric)m),
                  metric_about[m], METRICS_COL, 0);
        free(term);
    }
    fputs("\nEnvironment:\n", out);
    help_items(out, environment, N(environment), ENVIRONMENT_COL);
    fputs("\nExit status:\n", out);
    help_items(out, exit_status, N(exit_status), EXIT_COL);
}

/* The man page */

/* text for troff, its lines filled into one: backslashes and dashes
 * escaped, and a line that would start with a control character
 * guarded. */
static void
man_text(FILE *out, const char *text)
{
    const char *p;

    if (text[0] == '.' || text[0] == '\'') {
        fputs("\\&", out);
    }
    for (p = text; *p != '\0'; p++) {
        switch (*p) {
        case '\\':
            fputs("\\e", out);
            break;
        case '-':
            fputs("\\-", out);
            break;
        case '\n':
            fputc(' ', out);
            break;
        default:
            fputc(*p, out);
            break;
        }
    }
}

static void
man_par(FILE *out, const char *text)
{
    man_text(out, text);
    fputc('\n', out);
}

/* A tagged paragraph with a bold term. */
static void
man_item(FILE *out, const char *term, const char *text)
{
    fputs(".TP\n\\fB", out);
    man_text(out, term);
    fputs("\\fR\n", out);
    man_par(out, text);
}

static void
man_items(FILE *out, const item *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        man_item(out, items[i].term, items[i].text);
    }
}

static void
man_options(FILE *out)
{
    size_t i, j;

    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_listed(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &s->flags[j];
            char *text;

            if (f->name == NULL) {
                continue;
            }
            fputs(".TP\n\\fB", out);
            if (f->short_name != NULL) {
                man_text(out, f->short_name);
                fputs("\\fR, \\fB", out);
            }
            man_text(out, f->name);
            fputs("\\fR", out);
            if (f->metavar != NULL) {
                fputs(" \\fI", out);
                man_text(out, f->metavar);
                fputs("\\fR", out);
            }
            fputc('\n', out);
            text = expand(s, f->help);
            man_par(out, text ? text : f->help);
            free(text);
        }
    }
    man_items(out, builtin_flags, N(builtin_flags));
}

/* What a key takes, its default (as `pyleak-ci config` notes it for
 * the defaults d) and its flags, in words. */
static char *
key_about(const plk_setting_def *s, const plk_config *d)
{
    const char *note = s->note != NULL ? s->note(d) : NULL;
    plk_buf b = {0};
    char *words = NULL;
    size_t j;

    switch (s->kind) {
    case PLK_KIND_UINT:
    case PLK_KIND_NUMBER:
        words = plk_setting_accepts(s);
        plk_buf_puts(&b, words ? words : "a number");
        break;
    case PLK_KIND_BOOL:
        plk_buf_puts(&b, "true or false");
        break;
    case PLK_KIND_STRING:
        plk_buf_puts(&b, "a string");
        break;
    case PLK_KIND_PATH:
        plk_buf_puts(&b, "a path, relative to the folder of pyproject.toml");
        break;
    case PLK_KIND_CHOICE:
        words = plk_setting_choices(s);
        plk_buf_printf(&b, "a string: %s", words ? words : "");
        break;
    case PLK_KIND_TARGETS:
        plk_buf_puts(&b, "an array of targets, the paths relative to the "
                         "folder of pyproject.toml, used when the command "
                         "line names none");
        break;
    case PLK_KIND_GLOBS:
        plk_buf_puts(&b, "an array of globs, used with those of the "
                         "command line");
        break;
    case PLK_KIND_METRICS:
        plk_buf_printf(&b,
                       "a table of METRIC = AMOUNT, AMOUNT a number "
                       ">= %g",
                       s->lo);
        break;
    case PLK_KIND_SHARD:
        break;
    }
    free(words);
    plk_buf_puts(&b, "; default: ");
    if (s->kind == PLK_KIND_STRING || s->kind == PLK_KIND_PATH ||
        s->kind == PLK_KIND_GLOBS) {
        plk_buf_puts(&b, "none");
    }
    else {
        put_default(&b, s);
    }
    plk_buf_puts(&b, note != NULL ? note : "");
    for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
        const plk_flag *f = &s->flags[j];

        if (f->name == NULL) {
            continue;
        }
        plk_buf_printf(&b, "%s%s", j == 0 ? "; command line: " : " or ",
                       f->name);
        if (f->metavar == NULL && s->kind != PLK_KIND_BOOL) {
            plk_buf_printf(&b, " (%s)", f->sets);
        }
        else if (f->metavar == NULL && strcmp(f->sets, "true") != 0) {
            plk_buf_printf(&b, " (%s = %s)", s->key, f->sets);
        }
    }
    if (s->env != NULL) {
        plk_buf_printf(&b, "; environment: %s", s->env);
    }
    return plk_buf_detach(&b);
}

static void
man_keys(FILE *out)
{
    plk_config d;
    size_t i;

    plk_config_init(&d);
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);
        char *text;

        if (s->key == NULL) {
            continue;
        }
        text = key_about(s, &d);
        man_item(out, s->key, text ? text : "");
        free(text);
    }
    fputs(".PP\nThese options are not keys:\n", out);
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);

        if (s->key == NULL) {
            man_item(out, s->flags[0].name, s->not_key);
        }
    }
    plk_config_free(&d);
}

void
plk_cli_man(FILE *out, const char *version)
{
    size_t i;
    int m;

    fputs(".\\\" pyleak-ci(1), made by pyleak-ci-man from the settings "
          "table\n"
          ".\\\" (src/config/settings.c); do not edit: run\n"
          ".\\\" cmake --build build --target man\n",
          out);
    fputs(".TH PYLEAK\\-CI 1 \"\" \"pyleak\\-ci ", out);
    man_text(out, version);
    fputs("\" \"User Commands\"\n.nh\n.SH NAME\n"
          "pyleak\\-ci \\- a memory\\-leak gate for Python test suites\n"
          ".SH SYNOPSIS\n.nf\n",
          out);
    for (i = 0; i < N(usage); i++) {
        man_par(out, usage[i]);
    }
    fputs(".fi\n.SH DESCRIPTION\n", out);
    man_par(out, about);
    fputs(".SH COMMANDS\n", out);
    man_items(out, commands, N(commands));
    fputs(".SH TARGETS\n", out);
    man_items(out, targets, N(targets));
    fputs(".SH OPTIONS\nThe options of run, which config takes too, ", out);
    man_text(out, options_note);
    fputs(".\n", out);
    man_options(out);
    fputs(".SH CONFIGURATION\n", out);
    man_par(out, settings_about);
    fputs(".PP\nThe keys of [tool.pyleak\\-ci]:\n", out);
    man_keys(out);
    fputs(".SH METRICS\nThe metrics, ", out);
    man_text(out, metrics_note);
    fputs(".\n", out);
    for (m = 0; m < PLK_METRIC__COUNT; m++) {
        fputs(".TP\n\\fB", out);
        man_text(out, plk_metric_name((plk_metric)m));
        fputs("\\fR (", out);
        man_text(out, plk_metric_unit((plk_metric)m));
        fputs(")\n", out);
        man_par(out, metric_about[m]);
    }
    fputs(".SH ENVIRONMENT\n", out);
    man_items(out, environment, N(environment));
    fputs(".SH EXIT STATUS\n", out);
    man_items(out, exit_status, N(exit_status));
    fputs(".SH SEE ALSO\n"
          "The README of pyleak\\-ci, and docs/configuration.md for every "
          "setting with its\nflag, key and default.\n",
          out);
}
