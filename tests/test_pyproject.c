/* Unit tests for [tool.pyleak-ci]: finding the file, merging it with the
 * environment and the command line, and saying where values came from. */
#define _GNU_SOURCE 1

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "config/config.h"

#define MAX_ITEMS 8

/* One project: a pyproject.toml at the root, `config ARGV` run in cwd
 * (relative to the root). The printed configuration must contain every
 * line of `lines` (as substrings); the warnings every item of `warns`;
 * an error must contain every item of `errors`. */
typedef struct merge_case {
    const char *name;
    const char *toml;
    const char *cwd;
    const char *argv[MAX_ITEMS];
    int rc;
    const char *lines[MAX_ITEMS * 3];
    const char *warns[MAX_ITEMS];
    const char *errors[MAX_ITEMS];
    const char *env_venv; /* VIRTUAL_ENV, relative to the root */
    const char *env_no_color;
} merge_case;

/* clang-format off */
static const merge_case cases[] = {
    {"no file: defaults",
     NULL, ".", {NULL}, 0,
     {"no pyproject.toml with [tool.pyleak-ci] found",
      "rounds = 8                           # default",
      "paths = [\".\"]                       # default"}},
    {"a pyproject.toml without the section is not used",
     "[project]\nname = \"x\"\n[tool.pyleak]\nrounds = 3\n", ".", {NULL}, 0,
     {"no pyproject.toml with [tool.pyleak-ci] found"},
     {"pyproject.toml:3: [tool.pyleak] is not read; pyleak-ci reads "
      "[tool.pyleak-ci]"}},
    {"every kind of value, with its line",
     "[tool.pyleak-ci]\n"
     "paths = [\"tests\", \"tests/unit::test_y\", \"pkg.mod:fn\"]\n"
     "warmup = 5\n"
     "round-ms = 2.5\n"
     "alpha = 0.05\n"
     "timeout = 30\n"
     "jobs = 2\n"
     "junit-strict = true\n"
     "diagnose = false\n"
     "keyword = \"not slow\"\n"
     "junit-xml = 'reports/pyleak.xml'\n"
     "baseline = \"./pyleak-baseline.toml\"\n"
     "ignore = [\"legacy\", \"*_slow.py\"]\n"
     "traceback-depth = 4\n"
     "color = \"never\"\n"
     "verbose = true\n",
     ".", {NULL}, 0,
     {"[tool.pyleak-ci] read from pyproject.toml",
      "paths = [\"tests\", \"tests/unit::test_y\", \"pkg.mod:fn\"] "
      "# pyproject.toml:2",
      "warmup = 5                           # pyproject.toml:3",
      "round-ms = 2.5                       # pyproject.toml:4",
      "alpha = 0.05                         # pyproject.toml:5",
      "timeout = 30                         # pyproject.toml:6",
      "jobs = 2                             # pyproject.toml:7",
      "junit-strict = true                  # pyproject.toml:8",
      "diagnose = false                     # pyproject.toml:9",
      "keyword = \"not slow\"                 # pyproject.toml:10",
      "junit-xml = \"reports/pyleak.xml\"     # pyproject.toml:11",
      "baseline = \"pyleak-baseline.toml\"    # pyproject.toml:12",
      "ignore = [\"legacy\", \"*_slow.py\"]     # pyproject.toml:13",
      "traceback-depth = 4                  # pyproject.toml:14",
      "color = \"never\"                      # pyproject.toml:15",
      "verbose = true # pyproject.toml:16"}},
    {"the random state and tests that do not repeat",
     "[tool.pyleak-ci]\nreseed = false\nfail-not-repeatable = true\n",
     ".", {NULL}, 0,
     {"reseed = false                       # pyproject.toml:2",
      "fail-not-repeatable = true           # pyproject.toml:3"},
     {NULL}},
    {"no-reseed is a flag; the key is reseed",
     "[tool.pyleak-ci]\nno-reseed = true\n", ".", {NULL}, 0,
     {"reseed = true                        # default"},
     {"pyproject.toml:2: 'no-reseed' is not read from [tool.pyleak-ci]"}},
    {"thresholds: inline table, dotted keys and subtable",
     "[tool.pyleak-ci]\nthreshold = { heap = 64, blocks = 0.5 }\n"
     "floor.objects = 2\n[tool.pyleak-ci.x]\n",
     ".", {NULL}, 0,
     {"threshold.heap = 64                  # pyproject.toml:2",
      "threshold.blocks = 0.5               # pyproject.toml:2",
      "threshold.objects = 0                # default",
      "floor.objects = 2                    # pyproject.toml:3"},
     {"pyproject.toml:4: unknown key 'x'"}},
    {"[tool.pyleak-ci.threshold] subtable",
     "[tool.pyleak-ci]\nrounds = 9\n\n[tool.pyleak-ci.threshold]\n"
     "fds = 1\n",
     ".", {NULL}, 0,
     {"threshold.fds = 1                    # pyproject.toml:5",
      "rounds = 9                           # pyproject.toml:2"}},
    {"the command line wins, per metric too",
     "[tool.pyleak-ci]\nrounds = 9\nthreshold = { heap = 64, blocks = 1 }\n"
     "paths = [\"tests\"]\nignore = [\"legacy\"]\n",
     ".",
     {"--rounds", "12", "--threshold", "heap=8", "--ignore", "old", "other",
      NULL},
     0,
     {"rounds = 12                          # command line (--rounds)",
      "threshold.heap = 8                   # command line (--threshold)",
      "threshold.blocks = 1                 # pyproject.toml:3",
      "paths = [\"other\"]                   # command line (TARGET)",
      "ignore = [\"legacy\"]                  # pyproject.toml:5",
      "ignore += [\"old\"]                    # command line (--ignore)"}},
    {"found from a subdirectory; paths stay relative to the file",
     "[tool.pyleak-ci]\npaths = [\"tests\"]\njunit-xml = \"out/r.xml\"\n",
     "tests/unit", {NULL}, 0,
     {"read from /", "/pyproject.toml\n",
      "/tests\"]", "/out/r.xml\""}},
    {"found from the first target",
     "[tool.pyleak-ci]\nwarmup = 7\n",
     "..", {"ROOT/tests", NULL}, 0,
     {"warmup = 7"}},
    {"rounds from the file raise the default cap",
     "[tool.pyleak-ci]\nrounds = 100\n", ".", {NULL}, 0,
     {"max-rounds = 100                     # default, raised to rounds"}},
    {"rounds from the command line raise the file's cap",
     "[tool.pyleak-ci]\nmax-rounds = 20\n", ".", {"--rounds", "30", NULL},
     0,
     {"max-rounds = 30                      # pyproject.toml:2, raised"}},
    {"rounds and max-rounds that disagree in the file",
     "[tool.pyleak-ci]\nrounds = 30\nmax-rounds = 20\n", ".", {NULL},
     PLK_EUSAGE, {NULL}, {NULL},
     {"max-rounds (20, pyproject.toml:3) must be at least rounds (30, "
      "pyproject.toml:2)"}},
    {"unknown keys and flag-only keys are warned about",
     "[tool.pyleak-ci]\nroundz = 3\nshard = \"1/2\"\nupdate-baseline = "
     "true\nfrobnicate = 1\n",
     ".", {NULL}, 0,
     {"rounds = 8"},
     {"pyproject.toml:2: unknown key 'roundz' in [tool.pyleak-ci]; did you "
      "mean 'rounds'? (ignored)",
      "pyproject.toml:3: 'shard' is not read from [tool.pyleak-ci]",
      "pyproject.toml:4: 'update-baseline' is not read",
      "pyproject.toml:5: unknown key 'frobnicate' in [tool.pyleak-ci] "
      "(ignored)"}},
    {"a string where an integer belongs",
     "[tool.pyleak-ci]\n\nrounds = \"8\"\n", ".", {NULL}, PLK_EUSAGE,
     {NULL}, {NULL},
     {"pyproject.toml:3: rounds: expected an integer, got a string"}},
    {"a value out of the flag's range",
     "[tool.pyleak-ci]\nwarmup = -1\n", ".", {NULL}, PLK_EUSAGE, {NULL},
     {NULL},
     {"pyproject.toml:2: warmup: expected an integer from 0 to 1000, "
      "got '-1'"}},
    {"a float where an integer belongs",
     "[tool.pyleak-ci]\njobs = 2.0\n", ".", {NULL}, PLK_EUSAGE, {NULL},
     {NULL}, {"pyproject.toml:2: jobs: expected an integer, got a float"}},
    {"a boolean as a string",
     "[tool.pyleak-ci]\nverbose = \"yes\"\n", ".", {NULL}, PLK_EUSAGE,
     {NULL}, {NULL},
     {"pyproject.toml:2: verbose: expected true or false, got a string"}},
    {"paths that are not there, named with the file's line",
     "[tool.pyleak-ci]\npaths = [\n  \"tests\",\n  \"nope\",\n]\n", ".",
     {NULL}, PLK_EUSAGE, {NULL}, {NULL},
     {"pyproject.toml:4: paths: no such file or directory: 'nope' (paths "
      "are relative to the folder of pyproject.toml)"}},
    {"paths must be an array",
     "[tool.pyleak-ci]\npaths = \"tests\"\n", ".", {NULL}, PLK_EUSAGE,
     {NULL}, {NULL},
     {"pyproject.toml:2: paths: expected an array of strings"}},
    {"an array item of the wrong type, on its own line",
     "[tool.pyleak-ci]\nignore = [\n  \"a\",\n  3,\n]\n", ".", {NULL},
     PLK_EUSAGE, {NULL}, {NULL},
     {"pyproject.toml:4: ignore: item 2: expected a string, got an "
      "integer"}},
    {"an unknown metric",
     "[tool.pyleak-ci]\nthreshold = { hep = 1 }\n", ".", {NULL},
     PLK_EUSAGE, {NULL}, {NULL},
     {"pyproject.toml:2: threshold: unknown metric 'hep' (expected one of "
      "refs, blocks"}},
    {"a negative threshold",
     "[tool.pyleak-ci.threshold]\nheap = -1\n", ".", {NULL}, PLK_EUSAGE,
     {NULL}, {NULL},
     {"pyproject.toml:2: threshold: expected a number >= 0 for heap"}},
    {"a threshold that is not a number",
     "[tool.pyleak-ci.threshold]\nheap = \"64\"\n", ".", {NULL},
     PLK_EUSAGE, {NULL}, {NULL},
     {"pyproject.toml:2: threshold.heap: expected a number, got a string"}},
    {"the section must be a table",
     "tool.pyleak-ci = 3\n", ".", {NULL}, PLK_EUSAGE, {NULL}, {NULL},
     {"pyproject.toml:1: tool.pyleak-ci: expected a table"}},
    {"a malformed file is an error with its line",
     "[tool.pyleak-ci]\nrounds = 8\nignore = [\"a\"\n", ".", {NULL},
     PLK_EUSAGE, {NULL}, {NULL},
     {"pyproject.toml:3:10: array is not closed with ']'"}},
    {"a malformed file is an error even in other tools' sections",
     "[tool.black]\nline-length = 88 88\n", ".", {NULL}, PLK_EUSAGE,
     {NULL}, {NULL},
     {"pyproject.toml:2:18: expected a newline or a comment"}},
    {"--update-baseline needs a baseline",
     "[tool.pyleak-ci]\nrounds = 8\n", ".", {"--update-baseline", NULL},
     PLK_EUSAGE, {NULL}, {NULL},
     {"--update-baseline needs a baseline file"}},
    {"--update-baseline with the file's baseline",
     "[tool.pyleak-ci]\nbaseline = \"known.toml\"\n", ".",
     {"--update-baseline", NULL}, 0,
     {"baseline = \"known.toml\"              # pyproject.toml:2",
      "update-baseline = true               # command line "
      "(--update-baseline)"}},
    {"the environment beats the file, the command line beats both",
     "[tool.pyleak-ci]\ncolor = \"always\"\npython = \"/usr/bin/false\"\n",
     ".", {NULL}, 0,
     {"color = \"never\"                      # environment (NO_COLOR)",
      "/venv/bin/python\"", "# environment (VIRTUAL_ENV)"},
     {NULL}, {NULL}, "venv", "1"},
    {"--color beats NO_COLOR",
     NULL, ".", {"--color", "always", NULL}, 0,
     {"color = \"always\"                     # command line (--color)"},
     {NULL}, {NULL}, NULL, "1"},
    {"a broken VIRTUAL_ENV is a usage error",
     NULL, ".", {NULL}, PLK_EUSAGE, {NULL}, {NULL},
     {"VIRTUAL_ENV is", "nothere/bin/python is not there"}, "nothere"},
};
/* clang-format on */

/* Runs of spaces as one, so expectations need not count the padding. */
static char *
squeeze(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    char *o = out;

    for (; *s != '\0'; s++) {
        if (*s == ' ' && o > out && o[-1] == ' ') {
            continue;
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static int
has_line(const char *text, const char *want)
{
    char *a = squeeze(text);
    char *b = squeeze(want);
    int found = strstr(a, b) != NULL;

    free(a);
    free(b);
    return found;
}

static char *
slurp(FILE *f)
{
    long n;
    char *s;

    fflush(f);
    n = ftell(f);
    s = calloc(1, (size_t)n + 1);
    rewind(f);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) {
        s[0] = '\0';
    }
    return s;
}

static void
run_case(const merge_case *c, const char *root)
{
    plk_config cfg;
    plk_error err = {0};
    char *argv[MAX_ITEMS + 2];
    char *owned[MAX_ITEMS] = {0};
    FILE *warn = tmpfile();
    FILE *out = tmpfile();
    char *wtext, *otext, *cwd;
    int argc = 0;
    int rc, i;

    argv[argc++] = "pyleak-ci";
    argv[argc++] = "config";
    for (i = 0; c->argv[i] != NULL; i++) {
        if (strncmp(c->argv[i], "ROOT/", 5) == 0) {
            owned[i] = plk_asprintf("%s/%s", root, c->argv[i] + 5);
            argv[argc++] = owned[i];
        }
        else {
            argv[argc++] = (char *)c->argv[i];
        }
    }
    argv[argc] = NULL;
    cwd = plk_asprintf("%s/%s", root, c->cwd);
    assert_int_equal(chdir(cwd), 0);
    if (c->env_venv != NULL) {
        char *v = plk_asprintf("%s/%s", root, c->env_venv);

        setenv("VIRTUAL_ENV", v, 1);
        free(v);
    }
    if (c->env_no_color != NULL) {
        setenv("NO_COLOR", c->env_no_color, 1);
    }
    plk_config_init(&cfg);
    rc = plk_cli_parse(&cfg, argc, argv, &err);
    assert_int_equal(rc, 0);
    rc = plk_config_load(&cfg, warn, &err);
    if (rc == 0) {
        plk_config_print(out, &cfg);
    }
    wtext = slurp(warn);
    otext = slurp(out);
    if (rc != c->rc) {
        fail_msg("%s: rc %d, want %d: %s", c->name, rc, c->rc,
                 err.message ? err.message : "");
    }
    for (i = 0; c->lines[i] != NULL; i++) {
        if (!has_line(otext, c->lines[i])) {
            fail_msg("%s: no line\n  %s\nin\n%s", c->name, c->lines[i], otext);
        }
    }
    for (i = 0; c->warns[i] != NULL; i++) {
        if (strstr(wtext, c->warns[i]) == NULL) {
            fail_msg("%s: no warning\n  %s\nin\n%s", c->name, c->warns[i],
                     wtext);
        }
    }
    if (c->warns[0] == NULL && wtext[0] != '\0') {
        fail_msg("%s: unexpected warnings:\n%s", c->name, wtext);
    }
    for (i = 0; c->errors[i] != NULL; i++) {
        if (err.message == NULL || strstr(err.message, c->errors[i]) == NULL) {
            fail_msg("%s: error\n  %s\nlacks\n  %s", c->name,
                     err.message ? err.message : "(none)", c->errors[i]);
        }
    }
    unsetenv("VIRTUAL_ENV");
    unsetenv("NO_COLOR");
    plk_config_free(&cfg);
    plk_error_clear(&err);
    for (i = 0; i < MAX_ITEMS; i++) {
        free(owned[i]);
    }
    free(wtext);
    free(otext);
    free(cwd);
    fclose(warn);
    fclose(out);
}

static void
test_pyproject__merge(void **state)
{
    char tmpl[] = "/tmp/plk_pyproject_XXXXXX";
    char *root = mkdtemp(tmpl);
    char *old = getcwd(NULL, 0);
    size_t i;

    (void)state;
    assert_non_null(root);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *proj = plk_asprintf("%s/p%zu", root, i);
        char *path;

        /* A project: tests/unit below it, a venv with a python. */
        assert_int_equal(mkdir(proj, 0755), 0);
        path = plk_asprintf("%s/tests", proj);
        assert_int_equal(mkdir(path, 0755), 0);
        free(path);
        path = plk_asprintf("%s/tests/unit", proj);
        assert_int_equal(mkdir(path, 0755), 0);
        free(path);
        path = plk_asprintf("%s/venv", proj);
        assert_int_equal(mkdir(path, 0755), 0);
        free(path);
        path = plk_asprintf("%s/venv/bin", proj);
        assert_int_equal(mkdir(path, 0755), 0);
        free(path);
        assert_int_equal(
            symlink("/bin/true",
                    (path = plk_asprintf("%s/venv/bin/python", proj))),
            0);
        free(path);
        if (cases[i].toml != NULL) {
            path = plk_asprintf("%s/pyproject.toml", proj);
            write_file(path, cases[i].toml);
            free(path);
        }
        run_case(&cases[i], proj);
        free(proj);
    }
    assert_int_equal(chdir(old), 0);
    free(old);
    {
        char *cmd = plk_asprintf("rm -rf '%s'", root);

        assert_int_equal(system(cmd), 0);
        free(cmd);
    }
}

static void
test_pyproject__find(void **state)
{
    char tmpl[] = "/tmp/plk_find_XXXXXX";
    char *root = mkdtemp(tmpl);
    char *old = getcwd(NULL, 0);
    char *path, *found = NULL, *cmd;
    plk_config cfg;
    plk_error err = {0};
    char *argv[] = {"pyleak-ci", "run", "a/b/test_x.py::t", NULL};

    (void)state;
    /* The nearest file with the section wins over a nearer one
     * without it and a farther one with it. */
    path = plk_asprintf("%s/a", root);
    mkdir(path, 0755);
    free(path);
    path = plk_asprintf("%s/a/b", root);
    mkdir(path, 0755);
    free(path);
    path = plk_asprintf("%s/a/b/test_x.py", root);
    write_file(path, "def t(): pass\n");
    free(path);
    path = plk_asprintf("%s/a/b/pyproject.toml", root);
    write_file(path, "[tool.other]\nx = 1\n");
    free(path);
    path = plk_asprintf("%s/a/pyproject.toml", root);
    write_file(path, "[tool.pyleak-ci]\nrounds = 10\n");
    free(path);
    path = plk_asprintf("%s/pyproject.toml", root);
    write_file(path, "[tool.pyleak-ci]\nrounds = 20\n");
    free(path);
    assert_int_equal(chdir(root), 0);
    plk_config_init(&cfg);
    assert_int_equal(plk_cli_parse(&cfg, 3, argv, &err), 0);
    assert_int_equal(plk_pyproject_find(&found, &cfg, &err), 0);
    assert_string_equal(found, "a/pyproject.toml");
    assert_int_equal(plk_config_load(&cfg, NULL, &err), 0);
    assert_int_equal(cfg.min_rounds, 10);
    assert_int_equal(cfg.source[PLK_SET_ROUNDS].origin, PLK_FROM_FILE);
    assert_int_equal(cfg.source[PLK_SET_ROUNDS].line, 2);
    assert_non_null(strstr(cfg.config_file, "/a/pyproject.toml"));
    free(found);
    plk_config_free(&cfg);
    assert_int_equal(chdir(old), 0);
    free(old);
    cmd = plk_asprintf("rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pyproject__merge),
        cmocka_unit_test(test_pyproject__find),
    };

    unsetenv("VIRTUAL_ENV");
    unsetenv("NO_COLOR");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
