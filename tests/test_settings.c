/* Unit tests for the settings table: its rows are whole and unique, each
 * parses the same from its flag and from its key, ranges hold on both
 * sides, and --help, the man page, `pyleak-ci config` and
 * docs/configuration.md list every row. */
#define _GNU_SOURCE 1

#include <math.h>
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

#include "config/settings.h"

#define N(array) (sizeof(array) / sizeof((array)[0]))
#define MAX_SAMPLES 8

static const char *const builtin_flags[] = {"--", "-h", "--help", "--version"};

static char *
capture(void (*print)(FILE *, const void *), const void *arg)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);

    assert_non_null(f);
    print(f, arg);
    assert_int_equal(fclose(f), 0);
    assert_non_null(text);
    return text;
}

static void
print_usage(FILE *f, const void *arg)
{
    (void)arg;
    plk_cli_usage(f);
}

static void
print_man(FILE *f, const void *arg)
{
    (void)arg;
    plk_cli_man(f, "0.0");
}

static void
print_config(FILE *f, const void *arg)
{
    plk_config_print(f, arg);
}

/* Every plk_setting has one row; rows are whole: a name, help for each
 * flag, a key or the reason there is none, ranges that hold their
 * default, and no flag or key twice. */
static void
test_settings__rows(void **state)
{
    const char *flags[PLK_SET__COUNT * 2 * PLK_SETTING_MAX_FLAGS];
    size_t nflags = 0;
    size_t i, j, k;

    (void)state;
    assert_int_equal(plk_settings_count(), PLK_SET__COUNT);
    for (i = 0; i < PLK_SET__COUNT; i++) {
        const plk_setting_def *s = plk_setting_at(i);
        int listed = 0;

        assert_non_null(s);
        assert_int_equal(s->id, i);
        for (j = 0; j < plk_settings_count(); j++) {
            listed += plk_setting_listed(j) == s;
        }
        assert_int_equal(listed, 1);
    }
    assert_null(plk_setting_listed(plk_settings_count()));
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);
        const char *name = plk_setting_name(s);

        /* A key, or a flag and why the file does not take it. */
        if ((s->key == NULL) == (s->not_key == NULL)) {
            fail_msg("%s: needs exactly one of key and not_key", name);
        }
        if (s->key != NULL) {
            assert_ptr_equal(plk_setting_by_key(s->key), s);
        }
        /* The --json report's settings block writes numbers, switches
         * and per-metric amounts only. */
        if (s->json != NULL && s->kind != PLK_KIND_UINT &&
            s->kind != PLK_KIND_NUMBER && s->kind != PLK_KIND_BOOL &&
            s->kind != PLK_KIND_METRICS) {
            fail_msg("%s: a JSON name on a kind the report cannot write",
                     name);
        }
        /* Only the targets are given without a flag. */
        if (s->flags[0].name == NULL && s->kind != PLK_KIND_TARGETS) {
            fail_msg("%s: no flag", name);
        }
        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &s->flags[j];

            if (f->name == NULL) {
                continue;
            }
            if (strncmp(f->name, "--", 2) != 0 || f->name[2] == '\0') {
                fail_msg("%s: flag '%s' is not --NAME", name, f->name);
            }
            if (f->short_name != NULL &&
                (f->short_name[0] != '-' || strlen(f->short_name) != 2)) {
                fail_msg("%s: short flag '%s' is not -X", name, f->short_name);
            }
            if (f->help == NULL || f->help[0] == '\0') {
                fail_msg("%s: %s has no help", name, f->name);
            }
            if ((f->metavar == NULL) == (f->sets == NULL)) {
                fail_msg("%s: %s needs a metavar or a value it sets", name,
                         f->name);
            }
            if (f->sets != NULL) {
                plk_config c;
                plk_error err = {0};

                plk_config_init(&c);
                if (plk_setting_set(&c, s, f->name, f->sets, NULL, &err) !=
                    0) {
                    fail_msg("%s: %s sets '%s': %s", name, f->name, f->sets,
                             err.message);
                }
                plk_config_free(&c);
            }
            flags[nflags++] = f->name;
            if (f->short_name != NULL) {
                flags[nflags++] = f->short_name;
            }
        }
        if (s->json != NULL) {
            /* The report's names are the keys with underscores. */
            char *want = xstrdup(s->key);
            char *p;

            for (p = want; *p != '\0'; p++) {
                *p = *p == '-' ? '_' : *p;
            }
            assert_string_equal(s->json, want);
            free(want);
        }
        switch (s->kind) {
        case PLK_KIND_UINT:
        case PLK_KIND_NUMBER:
            assert_true(s->lo <= s->hi);
            /* A default out of range is a special value (jobs 0: one
             * per CPU), which `pyleak-ci config` must explain. */
            if (s->kind == PLK_KIND_UINT
                    ? s->def.u < s->lo || s->def.u > s->hi
                    : !(s->def.d >= s->lo && s->def.d <= s->hi)) {
                if (s->note == NULL) {
                    fail_msg("%s: default out of range and no note", name);
                }
            }
            break;
        case PLK_KIND_CHOICE:
            assert_non_null(s->choices);
            for (k = 0; s->choices[k] != NULL; k++) {
            }
            assert_true(k >= 2);
            assert_true(s->def.b >= 0 && (size_t)s->def.b < k);
            break;
        case PLK_KIND_METRICS:
            assert_true(s->lo >= 0);
            break;
        default:
            break;
        }
    }
    for (i = 0; i < nflags; i++) {
        for (j = i + 1; j < nflags; j++) {
            if (strcmp(flags[i], flags[j]) == 0) {
                fail_msg("flag %s is in two rows", flags[i]);
            }
        }
        for (j = 0; j < N(builtin_flags); j++) {
            if (strcmp(flags[i], builtin_flags[j]) == 0) {
                fail_msg("flag %s is the parser's own", flags[i]);
            }
        }
    }
    for (i = 0; i < plk_settings_count(); i++) {
        for (j = i + 1; j < plk_settings_count(); j++) {
            const char *a = plk_setting_name(plk_setting_at(i));
            const char *b = plk_setting_name(plk_setting_at(j));

            if (strcmp(a, b) == 0) {
                fail_msg("two rows are named %s", a);
            }
        }
    }
}

/* One way to give a value: the arguments after `config`, and the same
 * value as a line of [tool.pyleak-ci]. */
typedef struct sample {
    char *argv[2];  /* a flag, and its value or NULL */
    char line[160]; /* "KEY = VALUE" */
} sample;

static void
toml_value(char *out, size_t n, const plk_setting_def *s, const char *v)
{
    const char *eq;

    switch (s->kind) {
    case PLK_KIND_STRING:
    case PLK_KIND_PATH:
    case PLK_KIND_CHOICE:
        snprintf(out, n, "\"%s\"", v);
        break;
    case PLK_KIND_TARGETS:
    case PLK_KIND_GLOBS:
        snprintf(out, n, "[\"%s\"]", v);
        break;
    case PLK_KIND_METRICS:
        eq = strchr(v, '=');
        snprintf(out, n, "{ %.*s = %s }", (int)(eq - v), v, eq + 1);
        break;
    default:
        snprintf(out, n, "%s", v);
        break;
    }
}

static void
add(sample *out, size_t *n, const plk_setting_def *s, const plk_flag *f,
    const char *value)
{
    char v[96];

    assert_true(*n < MAX_SAMPLES);
    out[*n].argv[0] = f != NULL ? xstrdup(f->name) : NULL;
    out[*n].argv[1] = f != NULL && f->metavar == NULL ? NULL : xstrdup(value);
    toml_value(v, sizeof(v), s, value);
    snprintf(out[*n].line, sizeof(out[*n].line), "%s = %s", s->key, v);
    (*n)++;
}

/* Values each kind must take, made from the row so a new row is
 * covered without a new case. */
static size_t
samples(sample *out, const plk_setting_def *s)
{
    const plk_flag *f = &s->flags[0];
    char v[64];
    size_t n = 0;
    size_t j;

    switch (s->kind) {
    case PLK_KIND_UINT:
        snprintf(v, sizeof(v), "%lu", (unsigned long)s->lo);
        add(out, &n, s, f, v);
        snprintf(v, sizeof(v), "%lu", (unsigned long)s->hi);
        add(out, &n, s, f, v);
        snprintf(v, sizeof(v), "%lu", (unsigned long)((s->lo + s->hi) / 2));
        add(out, &n, s, f, v);
        break;
    case PLK_KIND_NUMBER:
        snprintf(v, sizeof(v), "%.17g",
                 isinf(s->hi) ? s->lo + 1.5 : (s->lo + s->hi) / 2);
        add(out, &n, s, f, v);
        if (!s->lo_open) {
            snprintf(v, sizeof(v), "%.17g", s->lo);
            add(out, &n, s, f, v);
        }
        break;
    case PLK_KIND_STRING:
        add(out, &n, s, f, "not slow");
        break;
    case PLK_KIND_PATH:
        add(out, &n, s, f, "out/some.file");
        add(out, &n, s, f, "/an/absolute/path");
        break;
    case PLK_KIND_CHOICE:
        for (j = 0; s->choices[j] != NULL; j++) {
            add(out, &n, s, f, s->choices[j]);
        }
        break;
    case PLK_KIND_TARGETS:
        add(out, &n, s, NULL, "tests");
        break;
    case PLK_KIND_GLOBS:
        add(out, &n, s, f, "*_slow.py");
        break;
    case PLK_KIND_METRICS:
        add(out, &n, s, f, "heap=64");
        add(out, &n, s, f, "blocks=0.5");
        break;
    case PLK_KIND_BOOL:
    case PLK_KIND_SHARD:
        break;
    }
    /* A flag that sets a fixed value: the key with that value. */
    for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
        if (s->flags[j].name != NULL && s->flags[j].metavar == NULL) {
            add(out, &n, s, &s->flags[j], s->flags[j].sets);
        }
    }
    return n;
}

static void
free_samples(sample *ss, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(ss[i].argv[0]);
        free(ss[i].argv[1]);
    }
}

static int
same_list(const plk_strlist *a, const plk_strlist *b)
{
    size_t i;

    if (a->count != b->count) {
        return 0;
    }
    for (i = 0; i < a->count; i++) {
        if (strcmp(a->items[i], b->items[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Does setting s hold the same value in a and b? */
static int
same_value(const plk_setting_def *s, const plk_config *a, const plk_config *b)
{
    plk_value x, y;
    int m;

    plk_setting_get(&x, s, a);
    plk_setting_get(&y, s, b);
    assert_int_equal(x.kind, s->kind);
    switch (s->kind) {
    case PLK_KIND_UINT:
    case PLK_KIND_SHARD:
        return x.u == y.u && x.u2 == y.u2;
    case PLK_KIND_NUMBER:
        return x.d == y.d;
    case PLK_KIND_BOOL:
    case PLK_KIND_CHOICE:
        return x.b == y.b;
    case PLK_KIND_STRING:
    case PLK_KIND_PATH:
        return (x.s == NULL && y.s == NULL) ||
               (x.s != NULL && y.s != NULL && strcmp(x.s, y.s) == 0);
    case PLK_KIND_TARGETS:
    case PLK_KIND_GLOBS:
        return same_list(x.list, y.list);
    case PLK_KIND_METRICS:
        for (m = 0; m < PLK_METRIC__COUNT; m++) {
            if (x.metrics[m] != y.metrics[m]) {
                return 0;
            }
        }
        return 1;
    }
    return 0;
}

/* A scratch directory to work in, with a tests/ folder for paths. */
static char *
enter_scratch(char **old)
{
    char tmpl[] = "/tmp/plk_settings_XXXXXX";
    char *root = mkdtemp(tmpl);

    assert_non_null(root);
    *old = getcwd(NULL, 0);
    assert_int_equal(chdir(root), 0);
    assert_int_equal(mkdir("tests", 0755), 0);
    return xstrdup(root);
}

static void
leave_scratch(char *root, char *old)
{
    char *cmd = plk_asprintf("rm -rf '%s'", root);

    assert_int_equal(chdir(old), 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(root);
    free(old);
}

/* Parse `config ARGS` into c; returns the code. */
static int
from_flags(plk_config *c, char *const *args, size_t nargs, plk_error *err)
{
    char *argv[16] = {"pyleak-ci", "config"};
    int argc = 2;
    size_t i;

    assert_true(nargs + 3 <= N(argv));
    for (i = 0; i < nargs && args[i] != NULL; i++) {
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    plk_config_init(c);
    return plk_cli_parse(c, argc, argv, err);
}

/* Read "[tool.pyleak-ci]\nLINE\n" into c, as `config` would; returns
 * the code. The line is line 2 of the file. */
static int
from_file(plk_config *c, const char *line, plk_error *err)
{
    char *text = plk_asprintf("[tool.pyleak-ci]\n%s\n", line);
    int rc;

    write_file("pyproject.toml", text);
    free(text);
    plk_config_init(c);
    rc = plk_pyproject_apply(c, "pyproject.toml", NULL, err);
    if (rc == 0) {
        rc = plk_config_finish(c, err);
    }
    return rc;
}

/* Every row with a key: each sample value gives the same configuration,
 * every setting compared, from the flag and from the file. */
static void
test_settings__flag_and_key_agree(void **state)
{
    char *old;
    char *root = enter_scratch(&old);
    size_t i, j, k;

    (void)state;
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);
        sample ss[MAX_SAMPLES];
        size_t n;

        if (s->key == NULL) {
            continue;
        }
        n = samples(ss, s);
        if (n == 0) {
            fail_msg("%s: no sample values", s->key);
        }
        for (j = 0; j < n; j++) {
            plk_config a, b;
            plk_error ea = {0}, eb = {0};
            char *args[2] = {ss[j].argv[0], ss[j].argv[1]};
            int ra, rb;

            if (args[0] == NULL) { /* the targets: no flag */
                args[0] = args[1];
                args[1] = NULL;
            }
            ra = from_flags(&a, args, 2, &ea);
            rb = from_file(&b, ss[j].line, &eb);
            if (ra != rb) {
                fail_msg("%s %s: command line %d (%s), file %d (%s)", args[0],
                         args[1] ? args[1] : "", ra,
                         ea.message ? ea.message : "", rb,
                         eb.message ? eb.message : "");
            }
            /* Only a check across settings may refuse a value of the
             * range (max-rounds below the default rounds). */
            if (ra != 0) {
                assert_non_null(strstr(ea.message, "must be at least"));
            }
            for (k = 0; ra == 0 && k < plk_settings_count(); k++) {
                const plk_setting_def *t = plk_setting_at(k);

                if (!same_value(t, &a, &b)) {
                    fail_msg("%s: after '%s %s' and '%s' they differ",
                             plk_setting_name(t), args[0],
                             args[1] ? args[1] : "", ss[j].line);
                }
            }
            plk_error_clear(&ea);
            plk_error_clear(&eb);
            plk_config_free(&a);
            plk_config_free(&b);
        }
        free_samples(ss, n);
    }
    leave_scratch(root, old);
}

/* Values just past each end of a range are refused, from the flag and
 * from the file, with the range in the message; the ends themselves
 * are taken when the range includes them. */
static void
test_settings__ranges(void **state)
{
    char *old;
    char *root = enter_scratch(&old);
    size_t i;
    int side;

    (void)state;
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);
        const plk_flag *f = &s->flags[0];

        if (s->kind != PLK_KIND_UINT && s->kind != PLK_KIND_NUMBER &&
            s->kind != PLK_KIND_METRICS) {
            continue;
        }
        for (side = 0; side < 2; side++) {
            char value[64], line[128], *args[2];
            char *accepts = plk_setting_accepts(s);
            plk_config a, b;
            plk_error ea = {0}, eb = {0};
            double bad, end = side == 0 ? s->lo : s->hi;
            int open = side == 0 ? s->lo_open : s->hi_open;
            int rc;

            if (isinf(end)) {
                free(accepts);
                continue;
            }
            if (s->kind == PLK_KIND_METRICS && side == 1) {
                free(accepts);
                continue; /* no upper bound */
            }
            bad = open ? end : side == 0 ? end - 1 : end + 1;
            if (s->kind == PLK_KIND_METRICS) {
                snprintf(value, sizeof(value), "heap=%g", bad);
                snprintf(line, sizeof(line), "%s = { heap = %g }", s->key,
                         bad);
            }
            else {
                snprintf(value, sizeof(value), "%.17g", bad);
                snprintf(line, sizeof(line), "%s = %s", s->key, value);
            }
            args[0] = (char *)f->name;
            args[1] = value;
            rc = from_flags(&a, args, 2, &ea);
            if (rc != PLK_EUSAGE) {
                fail_msg("%s %s: taken", f->name, value);
            }
            assert_non_null(strstr(ea.message, f->name));
            if (s->kind != PLK_KIND_METRICS) {
                assert_non_null(accepts);
                if (strstr(ea.message, accepts) == NULL) {
                    fail_msg("'%s' does not say '%s'", ea.message, accepts);
                }
            }
            rc = from_file(&b, line, &eb);
            if (rc != PLK_EUSAGE) {
                fail_msg("%s: taken", line);
            }
            if (strncmp(eb.message, "pyproject.toml:2: ", 18) != 0 ||
                strstr(eb.message, s->key) == NULL ||
                (s->kind != PLK_KIND_METRICS &&
                 strstr(eb.message, accepts) == NULL)) {
                fail_msg("%s: message '%s'", line, eb.message);
            }
            plk_error_clear(&ea);
            plk_error_clear(&eb);
            plk_config_free(&a);
            plk_config_free(&b);
            /* The end itself, by the row's own parser. */
            if (!open) {
                snprintf(value, sizeof(value),
                         s->kind == PLK_KIND_METRICS ? "heap=%.17g" : "%.17g",
                         end);
                plk_config_init(&a);
                if (plk_setting_set(&a, s, f->name, value, NULL, &ea) != 0) {
                    fail_msg("%s %s: %s", f->name, value, ea.message);
                }
                plk_config_free(&a);
            }
            free(accepts);
        }
    }
    leave_scratch(root, old);
}

/* --shard, a flag only: K and N in range on both sides. */
static void
test_settings__shard_range(void **state)
{
    static const char *const bad[] = {"0/2", "3/2", "1/0", "1/100001",
                                      "2",   "a/b", "1/2x"};
    static const char *const good[] = {"1/1", "2/4", "100000/100000"};
    size_t i;

    (void)state;
    for (i = 0; i < N(bad); i++) {
        char *args[2] = {"--shard", (char *)bad[i]};
        plk_config c;
        plk_error err = {0};

        assert_int_equal(from_flags(&c, args, 2, &err), PLK_EUSAGE);
        assert_non_null(strstr(err.message, "--shard: expected K/N"));
        plk_error_clear(&err);
        plk_config_free(&c);
    }
    for (i = 0; i < N(good); i++) {
        char *args[2] = {"--shard", (char *)good[i]};
        plk_config c;
        plk_error err = {0};
        char want[32];

        assert_int_equal(from_flags(&c, args, 2, &err), 0);
        snprintf(want, sizeof(want), "%u/%u", c.shard_index, c.shard_total);
        assert_string_equal(want, good[i]);
        plk_config_free(&c);
    }
}

/* `pyleak-ci config` prints a line for every row, by its name. */
static void
test_settings__config_lists_every_row(void **state)
{
    plk_config c;
    char *text;
    size_t i;

    (void)state;
    plk_config_init(&c);
    text = capture(print_config, &c);
    for (i = 0; i < plk_settings_count(); i++) {
        const char *name = plk_setting_name(plk_setting_at(i));
        char *a = plk_asprintf("\n%s = ", name);
        char *b = plk_asprintf("\n# %s: not set", name);
        char *m =
            plk_asprintf("\n%s.%s = ", name, plk_metric_name(PLK_METRIC_REFS));

        if (strstr(text, a) == NULL && strstr(text, b) == NULL &&
            strstr(text, m) == NULL) {
            fail_msg("config does not show %s:\n%s", name, text);
        }
        free(a);
        free(b);
        free(m);
    }
    free(text);
    plk_config_free(&c);
}

/* --help lists every flag of the table at the start of a line, with no
 * placeholder left, and every environment variable a row names. */
static void
test_settings__help_lists_every_flag(void **state)
{
    static const char *const placeholders[] = {"{lo}", "{hi}", "{default}",
                                               "{choices}"};
    char *text = capture(print_usage, NULL);
    size_t i, j;

    (void)state;
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_listed(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &s->flags[j];
            char *label;

            if (f->name == NULL) {
                continue;
            }
            label = plk_asprintf(
                "\n  %s%s%s%s%s", f->short_name ? f->short_name : "",
                f->short_name ? ", " : "", f->name, f->metavar ? " " : "",
                f->metavar ? f->metavar : "");
            if (strstr(text, label) == NULL) {
                fail_msg("help lacks%s", label);
            }
            free(label);
        }
        if (s->env != NULL) {
            char *env = plk_asprintf("\n  %s", s->env);

            if (strstr(text, env) == NULL) {
                fail_msg("help's environment lacks %s", s->env);
            }
            free(env);
        }
    }
    for (i = 0; i < N(placeholders); i++) {
        assert_null(strstr(text, placeholders[i]));
    }
    free(text);
}

/* The dashes of a name as troff spells them. */
static char *
troff(const char *s)
{
    plk_buf b = {0};

    for (; *s != '\0'; s++) {
        plk_buf_puts(&b, *s == '-' ? "\\-" : (char[]){*s, '\0'});
    }
    return plk_buf_detach(&b);
}

/* The man page names every flag and every key, in bold. */
static void
test_settings__man_lists_every_flag_and_key(void **state)
{
    char *text = capture(print_man, NULL);
    size_t i, j;

    (void)state;
    assert_non_null(strstr(text, ".TH PYLEAK\\-CI 1 "));
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            char *name, *bold;

            if (s->flags[j].name == NULL) {
                continue;
            }
            name = troff(s->flags[j].name);
            bold = plk_asprintf("\\fB%s\\fR", name);
            if (strstr(text, bold) == NULL) {
                fail_msg("man page lacks %s", s->flags[j].name);
            }
            free(bold);
            free(name);
        }
        if (s->key != NULL) {
            char *name = troff(s->key);
            char *bold = plk_asprintf("\n\\fB%s\\fR\n", name);

            if (strstr(text, bold) == NULL) {
                fail_msg("man page lacks key %s", s->key);
            }
            free(bold);
            free(name);
        }
    }
    free(text);
}

/* docs/configuration.md has every flag and key of the table. */
static void
test_settings__docs_list_every_row(void **state)
{
    char *text = read_file(PLK_SOURCE_DIR "/docs/configuration.md");
    size_t i, j;

    (void)state;
    for (i = 0; i < plk_settings_count(); i++) {
        const plk_setting_def *s = plk_setting_at(i);

        for (j = 0; j < PLK_SETTING_MAX_FLAGS; j++) {
            const plk_flag *f = &s->flags[j];
            char *want;

            if (f->name == NULL) {
                continue;
            }
            want = plk_asprintf("`%s", f->name);
            if (strstr(text, want) == NULL) {
                fail_msg("docs/configuration.md lacks %s", want);
            }
            free(want);
            if (f->short_name != NULL) {
                want = plk_asprintf("`%s ", f->short_name);
                if (strstr(text, want) == NULL) {
                    free(want);
                    want = plk_asprintf("`%s`", f->short_name);
                }
                if (strstr(text, want) == NULL) {
                    fail_msg("docs/configuration.md lacks %s", want);
                }
                free(want);
            }
        }
        if (s->key != NULL) {
            char *a = plk_asprintf("`%s`", s->key);
            char *b = plk_asprintf("`%s ", s->key);

            if (strstr(text, a) == NULL && strstr(text, b) == NULL) {
                fail_msg("docs/configuration.md lacks key %s", s->key);
            }
            free(a);
            free(b);
        }
    }
    free(text);
}

/* plk_setting_get reads what the members hold: the interface the JSON
 * report's settings are written through. */
static void
test_settings__values(void **state)
{
    char *args[] = {"--rounds", "12",     "--color",      "never",
                    "--shard",  "2/3",    "--keyword",    "x",
                    "--floor",  "heap=9", "--no-diagnose"};
    plk_config c;
    plk_error err = {0};
    plk_value v;

    (void)state;
    assert_int_equal(from_flags(&c, args, N(args), &err), 0);
    plk_setting_get(&v, plk_setting_at(PLK_SET_ROUNDS), &c);
    assert_int_equal(v.kind, PLK_KIND_UINT);
    assert_int_equal(v.u, c.min_rounds);
    assert_int_equal(v.u, 12);
    plk_setting_get(&v, plk_setting_at(PLK_SET_ALPHA), &c);
    assert_true(v.d == c.alpha);
    plk_setting_get(&v, plk_setting_at(PLK_SET_COLOR), &c);
    assert_int_equal(v.b, PLK_COLOR_NEVER);
    assert_string_equal(v.s, "never");
    plk_setting_get(&v, plk_setting_at(PLK_SET_SHARD), &c);
    assert_int_equal(v.u, 2);
    assert_int_equal(v.u2, 3);
    plk_setting_get(&v, plk_setting_at(PLK_SET_KEYWORD), &c);
    assert_ptr_equal(v.s, c.keyword);
    plk_setting_get(&v, plk_setting_at(PLK_SET_FLOOR), &c);
    assert_ptr_equal(v.metrics, c.floor);
    assert_true(v.metrics[PLK_METRIC_HEAP] == 9);
    assert_int_equal(v.metric_source[PLK_METRIC_HEAP].origin, PLK_FROM_CLI);
    plk_setting_get(&v, plk_setting_at(PLK_SET_DIAGNOSE), &c);
    assert_int_equal(v.b, 0);
    plk_setting_get(&v, plk_setting_at(PLK_SET_IGNORE), &c);
    assert_ptr_equal(v.list, &c.ignore);
    plk_config_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings__rows),
        cmocka_unit_test(test_settings__flag_and_key_agree),
        cmocka_unit_test(test_settings__ranges),
        cmocka_unit_test(test_settings__shard_range),
        cmocka_unit_test(test_settings__config_lists_every_row),
        cmocka_unit_test(test_settings__help_lists_every_flag),
        cmocka_unit_test(test_settings__man_lists_every_flag_and_key),
        cmocka_unit_test(test_settings__docs_list_every_row),
        cmocka_unit_test(test_settings__values),
    };

    unsetenv("VIRTUAL_ENV");
    unsetenv("NO_COLOR");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
