/* Unit tests for target parsing, test discovery, import names and relpath. */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plan/discover.h"
#include "testutil.h"

/* The temporary tree every case reads; made once by the group setup. */
static char *root;      /* as mkdtemp returned it */
static char *real_root; /* with symlinks resolved (/tmp may be a link) */

static const char *const tree_files[] = {
    "test_top.py",
    "top_test.py",
    "test_.py",
    "helper.py",
    "notes.txt",
    "test_data.txt",
    "test-dash.py",
    "conftest.py",
    "pkg/__init__.py",
    "pkg/test_a.py",
    "pkg/util.py",
    "pkg/sub/__init__.py",
    "pkg/sub/test_b.py",
    "pkg/sub/b_test.py",
    "pkg/sub/test-x.py",
    "plain/test_c.py",
    "plain/deeper/test_d.py",
    "plain/deeper/TEST_upper.py",
    "my-pkg/__init__.py",
    "my-pkg/test_m.py",
    "test_dir.py/test_e.py",
    ".hidden/test_hidden.py",
    "__pycache__/test_cached.py",
    "site-packages/test_sp.py",
    "node_modules/test_nm.py",
    "venv/pyvenv.cfg",
    "venv/lib/test_venv.py",
    "deep/venv2/pyvenv.cfg",
    "deep/venv2/test_venv2.py",
    "deep/test_deep.py",
};

/* Every test file discover_dir must find under root, in sorted order. */
static const char *const expected_tests[] = {
    "deep/test_deep.py", "my-pkg/test_m.py", "pkg/sub/b_test.py",
    "pkg/sub/test_b.py", "pkg/test_a.py",    "plain/deeper/test_d.py",
    "plain/test_c.py",   "test_.py",         "test_dir.py/test_e.py",
    "test_link.py",      "test_top.py",      "top_test.py",
};

static char *
under_root(const char *rel)
{
    return plk_asprintf("%s/%s", root, rel);
}

static int
make_parents(const char *path)
{
    char *copy = plk_strdup(path);
    char *p;
    int rc = 0;

    if (copy == NULL) {
        return -1;
    }
    for (p = copy + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *p = '/';
    }
    free(copy);
    return rc;
}

static int
make_file(const char *rel)
{
    char *path = under_root(rel);
    FILE *f;
    int rc = -1;

    if (path == NULL || make_parents(path) != 0) {
        goto done;
    }
    f = fopen(path, "w");
    if (f == NULL) {
        goto done;
    }
    fputs("def test_x():\n    pass\n", f);
    rc = fclose(f);

done:
    free(path);
    return rc;
}

static int
make_link(const char *target, const char *rel)
{
    char *path = under_root(rel);
    int rc = path != NULL ? symlink(target, path) : -1;

    free(path);
    return rc;
}

static int
setup_tree(void **state)
{
    char template[] = "/tmp/pyleak-discover-XXXXXX";
    size_t i;

    if (mkdtemp(template) == NULL) {
        return -1;
    }
    root = plk_strdup(template);
    real_root = realpath(template, NULL);
    if (root == NULL || real_root == NULL) {
        return -1;
    }
    for (i = 0; i < sizeof(tree_files) / sizeof(tree_files[0]); i++) {
        if (make_file(tree_files[i]) != 0) {
            return -1;
        }
    }
    /* Links: a loop back to the root and one to a parent, which the
     * walk must not follow; a file link, which it must; and a dangling
     * one, which is nothing to run. */
    if (make_link(".", "loop") != 0 ||
        make_link("..", "plain/deeper/up") != 0 ||
        make_link("plain/test_c.py", "test_link.py") != 0 ||
        make_link("nowhere.py", "test_broken.py") != 0 ||
        make_link("pkg", "test_pkglink.py") != 0) {
        return -1;
    }
    return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
             struct FTW *ftw)
{
    return remove(path);
}

static int
teardown_tree(void **state)
{
    int rc = 0;

    if (root != NULL) {
        /* FTW_PHYS: remove the links themselves, never what they name. */
        rc = nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    free(root);
    free(real_root);
    root = real_root = NULL;
    return rc;
}

static void
check_discovered(const char *dir, const char *prefix)
{
    plk_strlist got = {0};
    plk_error err = {0};
    size_t n = sizeof(expected_tests) / sizeof(expected_tests[0]);
    size_t i;
    int rc;

    /* Entries already in the list stay first and untouched. */
    assert_int_equal(plk_strlist_push(&got, "zzz-already-there"), 0);
    rc = plk_discover_dir(&got, dir, &err);
    if (rc != 0) {
        fail_msg("discover %s: %s", dir, err.message);
    }
    if (got.count != n + 1) {
        for (i = 0; i < got.count; i++) {
            print_error("  %s\n", got.items[i]);
        }
        fail_msg("found %zu files, want %zu", got.count - 1, n);
    }
    assert_string_equal(got.items[0], "zzz-already-there");
    for (i = 0; i < n; i++) {
        char *want = plk_asprintf("%s/%s", prefix, expected_tests[i]);

        assert_non_null(want);
        assert_string_equal(got.items[i + 1], want);
        free(want);
    }
    plk_strlist_free(&got);
}

static void
test_discover__dir(void **state)
{
    char *slashes = plk_asprintf("%s///", root);

    assert_non_null(slashes);
    check_discovered(root, root);
    /* Trailing slashes on the directory must not show in the paths. */
    check_discovered(slashes, root);
    free(slashes);
}

static void
test_discover__dir_relative(void **state)
{
    char cwd[PATH_MAX];

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(root), 0);
    check_discovered(".", ".");
    check_discovered("./", ".");
    assert_int_equal(chdir(cwd), 0);
}

/* A directory named on the command line is searched even if hidden or a
 * virtual environment; only what is below it is filtered. */
static void
test_discover__dir_explicit(void **state)
{
    static const struct {
        const char *dir;
        const char *file;
    } cases[] = {
        {".hidden", ".hidden/test_hidden.py"},
        {"venv", "venv/lib/test_venv.py"},
        {"__pycache__", "__pycache__/test_cached.py"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dir = under_root(cases[i].dir);
        char *want = under_root(cases[i].file);
        plk_strlist got = {0};
        plk_error err = {0};

        assert_int_equal(plk_discover_dir(&got, dir, &err), 0);
        assert_int_equal(got.count, 1);
        assert_string_equal(got.items[0], want);
        plk_strlist_free(&got);
        free(dir);
        free(want);
    }
}

/* --ignore: which files are left of expected_tests. */
static void
test_discover__ignore(void **state)
{
    static const struct {
        const char *globs[4];
        const char *left[16];
        /* clang-format off */
    } cases[] = {
        /* A directory name anywhere, and everything below it. */
        {{"plain"}, {"deep/test_deep.py", "my-pkg/test_m.py",
                     "pkg/sub/b_test.py", "pkg/sub/test_b.py",
                     "pkg/test_a.py", "test_.py", "test_dir.py/test_e.py",
                     "test_link.py", "test_top.py", "top_test.py"}},
        /* A path below the searched directory. */
        {{"pkg/sub", "./plain/deeper"},
         {"deep/test_deep.py", "my-pkg/test_m.py", "pkg/test_a.py",
          "plain/test_c.py", "test_.py", "test_dir.py/test_e.py",
          "test_link.py", "test_top.py", "top_test.py"}},
        /* Name globs, at any depth, for files and directories
         * (test_dir.py is a directory). */
        {{"*_test.py", "test_d*"},
         {"my-pkg/test_m.py", "pkg/sub/test_b.py", "pkg/test_a.py",
          "plain/test_c.py", "test_.py", "test_link.py", "test_top.py"}},
        /* '*' crosses '/' in the relative path. */
        {{"pkg/*"}, {"deep/test_deep.py", "my-pkg/test_m.py",
                     "plain/deeper/test_d.py", "plain/test_c.py",
                     "test_.py", "test_dir.py/test_e.py", "test_link.py",
                     "test_top.py", "top_test.py"}},
        /* A trailing '/' matches directories only: test_dir.py is one,
         * test_top.py is not. */
        {{"test_*.py/"}, {"deep/test_deep.py", "my-pkg/test_m.py",
                          "pkg/sub/b_test.py", "pkg/sub/test_b.py",
                          "pkg/test_a.py", "plain/deeper/test_d.py",
                          "plain/test_c.py", "test_.py", "test_link.py",
                          "test_top.py", "top_test.py"}},
        /* Globs that match nothing change nothing; no glob is partial. */
        {{"pla", "test", "*.txt"},
         {"deep/test_deep.py", "my-pkg/test_m.py", "pkg/sub/b_test.py",
          "pkg/sub/test_b.py", "pkg/test_a.py", "plain/deeper/test_d.py",
          "plain/test_c.py", "test_.py", "test_dir.py/test_e.py",
          "test_link.py", "test_top.py", "top_test.py"}},
    };
    /* clang-format on */
    char cwd[PATH_MAX];
    size_t i, j, k;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plk_strlist ignore = {0};

        for (j = 0; cases[i].globs[j] != NULL; j++) {
            assert_int_equal(plk_strlist_push(&ignore, cases[i].globs[j]), 0);
        }
        /* From the absolute root and from "./" inside it. */
        for (k = 0; k < 2; k++) {
            const char *dir = k == 0 ? root : "./";
            const char *prefix = k == 0 ? root : ".";
            plk_strlist got = {0};
            plk_error err = {0};

            assert_int_equal(chdir(root), 0);
            assert_int_equal(plk_discover_dir_ignore(&got, dir, &ignore, &err),
                             0);
            for (j = 0; cases[i].left[j] != NULL; j++) {
                char *want = plk_asprintf("%s/%s", prefix, cases[i].left[j]);

                if (j >= got.count || strcmp(got.items[j], want) != 0) {
                    fail_msg("case %zu (%s): file %zu is %s, want %s", i, dir,
                             j, j < got.count ? got.items[j] : "none", want);
                }
                free(want);
            }
            if (got.count != j) {
                fail_msg("case %zu: %zu files, want %zu", i, got.count, j);
            }
            plk_strlist_free(&got);
        }
        plk_strlist_free(&ignore);
    }
    assert_int_equal(chdir(cwd), 0);
}

static void
test_discover__dir_errors(void **state)
{
    char *missing = under_root("no-such-dir");
    char *file = under_root("test_top.py");
    plk_strlist got = {0};
    plk_error err = {0};

    assert_int_equal(plk_strlist_push(&got, "keep"), 0);
    assert_int_equal(plk_discover_dir(&got, missing, &err), PLK_ENOTFOUND);
    assert_non_null(strstr(err.message, missing));
    assert_int_equal(plk_discover_dir(&got, file, &err), PLK_EIO);
    assert_non_null(strstr(err.message, file));
    assert_int_equal(got.count, 1);
    plk_error_clear(&err);

    /* Permission bits do not stop root, so only check as another user. */
    if (geteuid() != 0) {
        char *locked = under_root("locked");
        char *inner = under_root("locked/sub");

        assert_int_equal(mkdir(locked, 0755), 0);
        assert_int_equal(mkdir(inner, 0755), 0);
        assert_int_equal(chmod(inner, 0), 0);
        assert_int_equal(plk_discover_dir(&got, locked, &err), PLK_EIO);
        assert_non_null(strstr(err.message, inner));
        assert_int_equal(got.count, 1);
        assert_int_equal(chmod(inner, 0755), 0);
        assert_int_equal(rmdir(inner), 0);
        assert_int_equal(rmdir(locked), 0);
        free(locked);
        free(inner);
        plk_error_clear(&err);
    }
    plk_strlist_free(&got);
    free(missing);
    free(file);
}

static void
test_discover__is_test_file(void **state)
{
    static const struct {
        const char *name;
        int want;
        /* clang-format off */
    } cases[] = {
        {"test_x.py", 1},     {"test_.py", 1},     {"x_test.py", 1},
        {"_test.py", 1},      {"test_x_test.py", 1},
        {"test.py", 0},       {"testx.py", 0},     {"test_x.pyc", 0},
        {"test_x.py~", 0},    {"test_x", 0},       {"x_test.txt", 0},
        {"Test_x.py", 0},     {"TEST_x.py", 0},    {"xtest.py", 0},
        {"helper.py", 0},     {"", 0},             {".py", 0},
        {"test_x.PY", 0},     {"conftest.py", 0},
    };
    /* clang-format on */
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (plk_discover_is_test_file(cases[i].name) != cases[i].want) {
            fail_msg("is_test_file(\"%s\") != %d", cases[i].name,
                     cases[i].want);
        }
    }
}

static void
test_discover__skip_dir(void **state)
{
    static const struct {
        const char *name;
        int want;
        /* clang-format off */
    } cases[] = {
        {".git", 1},          {".venv", 1},        {".tox", 1},
        {"__pycache__", 1},   {"site-packages", 1}, {"node_modules", 1},
        {".", 1},             {"..", 1},
        {"tests", 0},         {"venv", 0},         {"pkg", 0},
        {"__pycache__x", 0},  {"node_module", 0},  {"site_packages", 0},
    };
    /* clang-format on */
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (plk_discover_skip_dir(cases[i].name) != cases[i].want) {
            fail_msg("skip_dir(\"%s\") != %d", cases[i].name, cases[i].want);
        }
    }
}

static void
test_discover__module_name(void **state)
{
    static const struct {
        const char *file;
        const char *module;
        const char *root; /* relative to the tree, "" for the tree */
    } cases[] = {
        {"test_top.py", "test_top", ""},
        {"pkg/test_a.py", "pkg.test_a", ""},
        {"pkg/sub/test_b.py", "pkg.sub.test_b", ""},
        {"pkg/sub/__init__.py", "pkg.sub", ""},
        {"pkg/__init__.py", "pkg", ""},
        {"plain/test_c.py", "test_c", "/plain"},
        {"plain/deeper/test_d.py", "test_d", "/plain/deeper"},
        /* Not identifiers: the caller imports such files by path. */
        {"test-dash.py", "test-dash", ""},
        {"pkg/sub/test-x.py", "pkg.sub.test-x", ""},
        {"my-pkg/test_m.py", "test_m", "/my-pkg"},
        /* The link resolves to the file it names. */
        {"test_link.py", "test_c", "/plain"},
        {"pkg/../pkg/sub/./test_b.py", "pkg.sub.test_b", ""},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *path = under_root(cases[i].file);
        char *want_root = plk_asprintf("%s%s", real_root, cases[i].root);
        char *module = NULL;
        char *mod_root = NULL;
        plk_error err = {0};
        int rc;

        rc = plk_discover_module_name(&module, &mod_root, path, &err);
        if (rc != 0) {
            fail_msg("%s: %s", cases[i].file, err.message);
        }
        assert_string_equal(module, cases[i].module);
        assert_string_equal(mod_root, want_root);
        free(module);
        free(mod_root);
        free(path);
        free(want_root);
    }
}

static void
test_discover__module_name_errors(void **state)
{
    char *path = under_root("nope/test_x.py");
    char *module = (char *)"unchanged";
    char *mod_root = (char *)"unchanged";
    plk_error err = {0};

    assert_int_equal(plk_discover_module_name(&module, &mod_root, path, &err),
                     PLK_ENOTFOUND);
    assert_null(module);
    assert_null(mod_root);
    assert_non_null(strstr(err.message, path));
    plk_error_clear(&err);
    free(path);
}

static void
test_discover__module_name_stdlib(void **state)
{
    const char *path = "/usr/lib/python3.11/test/test_heapq.py";
    char *module = NULL;
    char *mod_root = NULL;
    char *real = realpath("/usr/lib/python3.11", NULL);
    plk_error err = {0};

    if (access(path, R_OK) != 0 || real == NULL) {
        free(real);
        skip();
    }
    assert_int_equal(plk_discover_module_name(&module, &mod_root, path, &err),
                     0);
    assert_string_equal(module, "test.test_heapq");
    assert_string_equal(mod_root, real);
    free(module);
    free(mod_root);
    free(real);
}

typedef struct target_case {
    const char *spec; /* "@" is replaced by the tree's path */
    int rc;
    plk_target_kind kind;
    const char *path; /* "@" replaced too */
    const char *selector;
    const char *module;
    const char *attr;
    const char *needles[3]; /* in the message, "@" replaced */
} target_case;

#define OK(s, k, p) .spec = (s), .kind = (k), .path = (p)
#define FAIL(s, code) .spec = (s), .rc = (code)

static const target_case target_cases[] = {
    {OK("@", PLK_TARGET_DIR, "@")},
    {OK("@/pkg", PLK_TARGET_DIR, "@/pkg")},
    {OK("@/pkg/", PLK_TARGET_DIR, "@/pkg/")},
    {OK("@/loop", PLK_TARGET_DIR, "@/loop")},
    {OK("@/test_top.py", PLK_TARGET_FILE, "@/test_top.py")},
    {OK("@/helper.py", PLK_TARGET_FILE, "@/helper.py")},
    {OK("@/test_link.py", PLK_TARGET_FILE, "@/test_link.py")},
    {OK("@/test_top.py::test_x", PLK_TARGET_FILE, "@/test_top.py"),
     .selector = "test_x"},
    {OK("@/test_top.py::TestA::test_x", PLK_TARGET_FILE, "@/test_top.py"),
     .selector = "TestA::test_x"},
    {OK("@/test_top.py::test_x[1-2]", PLK_TARGET_FILE, "@/test_top.py"),
     .selector = "test_x[1-2]"},
    {OK("pkg.mod:func", PLK_TARGET_MODULE, NULL), .module = "pkg.mod",
     .attr = "func"},
    {OK("mod:Class.method", PLK_TARGET_MODULE, NULL), .module = "mod",
     .attr = "Class.method"},
    {OK("_a1.b_2.c:_x9", PLK_TARGET_MODULE, NULL), .module = "_a1.b_2.c",
     .attr = "_x9"},

    {FAIL("@/nope.py::test_x", PLK_ENOTFOUND),
     .needles = {"no such file: @/nope.py"}},
    {FAIL("@/notes.txt::test_x", PLK_EUSAGE),
     .needles = {"@/notes.txt: selectors (::) need a .py file"}},
    {FAIL("@/pkg::test_x", PLK_EUSAGE),
     .needles = {"@/pkg: selectors (::) need a .py file"}},
    {FAIL("@/test_dir.py::test_x", PLK_EUSAGE),
     .needles = {"selectors (::) need a .py file"}},
    {FAIL("@/test_top.py::", PLK_EUSAGE),
     .needles = {"@/test_top.py", "selector"}},
    {FAIL("@/test_top.py::A::", PLK_EUSAGE), .needles = {"selector"}},
    {FAIL("@/test_top.py::::x", PLK_EUSAGE), .needles = {"selector"}},
    {FAIL("@/notes.txt", PLK_EUSAGE),
     .needles = {"@/notes.txt is not a Python file"}},
    {FAIL("/dev/null", PLK_EUSAGE),
     .needles = {"/dev/null is not a Python file"}},
    {FAIL("@/missing", PLK_ENOTFOUND),
     .needles = {"@/missing: no such file or directory",
                 "package.module:callable"}},
    {FAIL("@/missing.py", PLK_ENOTFOUND),
     .needles = {"@/missing.py: no such file or directory"}},
    {FAIL("@/test_top.py/x", PLK_ENOTFOUND),
     .needles = {"no such file or directory"}},
    {FAIL("pkg.mod", PLK_ENOTFOUND), .needles = {"pkg.mod: no such file"}},
    {FAIL("pkg.mod:", PLK_ENOTFOUND), .needles = {"pkg.mod:"}},
    {FAIL(":func", PLK_ENOTFOUND), .needles = {":func"}},
    {FAIL("pkg..mod:f", PLK_ENOTFOUND), .needles = {"pkg..mod:f"}},
    {FAIL("pkg.mod:f.", PLK_ENOTFOUND), .needles = {"f."}},
    {FAIL("1pkg:f", PLK_ENOTFOUND), .needles = {"1pkg:f"}},
    {FAIL("pkg:f:g", PLK_ENOTFOUND), .needles = {"pkg:f:g"}},
    {FAIL("pkg-x.mod:f", PLK_ENOTFOUND), .needles = {"pkg-x.mod:f"}},
    {FAIL("a/b:f", PLK_ENOTFOUND), .needles = {"a/b:f"}},
    {FAIL("", PLK_EUSAGE), .needles = {"empty target"}},
};

/* s with each "@" replaced by the tree's path; NULL stays NULL. */
static char *
expand(const char *s)
{
    plk_buf b = {0};

    if (s == NULL) {
        return NULL;
    }
    for (; *s != '\0'; s++) {
        if (*s == '@') {
            plk_buf_puts(&b, root);
        }
        else {
            plk_buf_append(&b, s, 1);
        }
    }
    return plk_buf_detach(&b);
}

static void
check_string(const char *what, const char *spec, const char *got,
             const char *want)
{
    if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0) {
        fail_msg("%s: %s is \"%s\", want \"%s\"", spec, what,
                 got ? got : "(null)", want ? want : "(null)");
    }
}

static void
test_discover__target_parse(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(target_cases) / sizeof(target_cases[0]); i++) {
        const target_case *t = &target_cases[i];
        char *spec = expand(t->spec);
        char *path = expand(t->path);
        plk_target got;
        plk_error err = {0};
        int rc;
        int j;

        rc = plk_target_parse(&got, spec, &err);
        if (rc != t->rc) {
            fail_msg("%s: got %d (%s), want %d", spec, rc,
                     err.message ? err.message : "", t->rc);
        }
        if (rc == 0) {
            assert_int_equal(got.kind, t->kind);
            check_string("path", spec, got.path, path);
            check_string("selector", spec, got.selector, t->selector);
            check_string("module", spec, got.module, t->module);
            check_string("attr", spec, got.attr, t->attr);
            assert_null(err.message);
        }
        else {
            assert_non_null(err.message);
            assert_int_equal(err.code, t->rc);
            assert_null(got.path);
            assert_null(got.selector);
            assert_null(got.module);
            assert_null(got.attr);
        }
        for (j = 0; j < 3 && t->needles[j] != NULL; j++) {
            char *needle = expand(t->needles[j]);

            if (strstr(err.message, needle) == NULL) {
                fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
            }
            free(needle);
        }
        plk_target_free(&got);
        plk_error_clear(&err);
        free(spec);
        free(path);
    }
    plk_target_free(NULL);
}

static void
test_discover__relpath(void **state)
{
    static const struct {
        const char *path; /* "@" is the tree as made, "%" resolved */
        const char *base;
        const char *want;
    } cases[] = {
        {"@/pkg/test_a.py", "@", "pkg/test_a.py"},
        {"@/pkg/test_a.py", "@/", "pkg/test_a.py"},
        {"@/pkg/test_a.py", "%", "pkg/test_a.py"},
        {"@/pkg/../pkg/sub/test_b.py", "@/pkg", "sub/test_b.py"},
        {"@/pkg", "@", "pkg"},
        {"@", "@", "."},
        {"@/test_link.py", "@", "plain/test_c.py"},
        {"@/loop/loop/test_top.py", "@", "test_top.py"},
        /* A sibling that shares the base as a string prefix. */
        {"@/pkg/sub/test_b.py", "@/pkg/s", "%/pkg/sub/test_b.py"},
        {"@/plain/test_c.py", "@/pkg", "%/plain/test_c.py"},
        {"@/test_top.py", "/", "%/test_top.py"},
        /* Not resolvable: taken as given, still relative if under. */
        {"%/gone/test_z.py", "@", "gone/test_z.py"},
        {"gone/test_z.py", "@", "gone/test_z.py"},
        {"/nonexistent/test_z.py", "@", "/nonexistent/test_z.py"},
        {"pkg.mod:func", "@", "pkg.mod:func"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        plk_buf b[3] = {{0}};
        const char *in[3] = {cases[i].path, cases[i].base, cases[i].want};
        char *s[3];
        char *got;
        int k;

        for (k = 0; k < 3; k++) {
            const char *p;

            for (p = in[k]; *p != '\0'; p++) {
                if (*p == '@') {
                    plk_buf_puts(&b[k], root);
                }
                else if (*p == '%') {
                    plk_buf_puts(&b[k], real_root);
                }
                else {
                    plk_buf_append(&b[k], p, 1);
                }
            }
            s[k] = plk_buf_detach(&b[k]);
        }
        if (strcmp(s[1], "/") == 0 && strncmp(s[2], "/", 1) == 0) {
            /* Relative to "/", the path loses its leading slash. */
            memmove(s[2], s[2] + 1, strlen(s[2]));
        }
        got = plk_discover_relpath(s[0], s[1]);
        assert_non_null(got);
        if (strcmp(got, s[2]) != 0) {
            fail_msg("relpath(%s, %s) = %s, want %s", s[0], s[1], got, s[2]);
        }
        free(got);
        for (k = 0; k < 3; k++) {
            free(s[k]);
        }
    }
}

static void
test_discover__relpath_relative(void **state)
{
    char cwd[PATH_MAX];
    char *got;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(root), 0);
    got = plk_discover_relpath("pkg/test_a.py", ".");
    assert_string_equal(got, "pkg/test_a.py");
    free(got);
    got = plk_discover_relpath("./pkg/../test_top.py", root);
    assert_string_equal(got, "test_top.py");
    free(got);
    got = plk_discover_relpath("pkg/test_a.py", "pkg");
    assert_string_equal(got, "test_a.py");
    free(got);
    assert_int_equal(chdir(cwd), 0);
}

/* dir/rel: made (with text, when not NULL) and returned; the caller
 * frees it. */
static char *
put(const char *dir, const char *rel, const char *text)
{
    char *path = plk_asprintf("%s/%s", dir, rel);

    assert_non_null(path);
    if (text == NULL) {
        assert_int_equal(mkdir(path, 0755), 0);
    }
    else {
        write_file(path, text);
    }
    return path;
}

/* A package's __init__.py is listed (first: it sorts before test_*)
 * when it names TestCase or load_tests; an empty one and one of plain
 * functions are not. */
static void
test_discover__package_init(void **state)
{
    char template[] = "/tmp/pyleak-init-XXXXXX";
    const char *dirs[] = {"a", "a/b", "c", "missing"};
    const char *want[] = {"a/__init__.py", "a/b/__init__.py", "a/b/test_y.py"};
    plk_strlist got = {0};
    plk_error err = {0};
    char *path;
    size_t i;

    (void)state;
    assert_non_null(mkdtemp(template));
    for (i = 0; i < 3; i++) {
        free(put(template, dirs[i], NULL));
    }
    path = put(template, "a/__init__.py",
               "import unittest\n\nclass T(unittest.TestCase):\n"
               "    def test_x(self):\n        pass\n");
    assert_int_equal(plk_discover_init_may_test(path), 1);
    free(path);
    free(put(template, "a/b/__init__.py",
             "def load_tests(loader, tests, pattern):\n    return tests\n"));
    free(put(template, "a/b/test_y.py", "def test_y():\n    pass\n"));
    path = put(template, "c/__init__.py", "def test_plain():\n    pass\n");
    assert_int_equal(plk_discover_init_may_test(path), 0);
    free(path);
    path = put(template, "__init__.py", "");
    assert_int_equal(plk_discover_init_may_test(path), 0);
    free(path);
    path = plk_asprintf("%s/%s/__init__.py", template, dirs[3]);
    assert_int_equal(plk_discover_init_may_test(path), 0);
    free(path);

    assert_int_equal(plk_discover_dir(&got, template, &err), 0);
    assert_int_equal(got.count, 3);
    for (i = 0; i < 3; i++) {
        path = plk_asprintf("%s/%s", template, want[i]);
        assert_string_equal(got.items[i], path);
        free(path);
    }
    plk_strlist_free(&got);
    assert_int_equal(plk_remove_tree(template), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discover__dir),
        cmocka_unit_test(test_discover__dir_relative),
        cmocka_unit_test(test_discover__dir_explicit),
        cmocka_unit_test(test_discover__ignore),
        cmocka_unit_test(test_discover__dir_errors),
        cmocka_unit_test(test_discover__is_test_file),
        cmocka_unit_test(test_discover__skip_dir),
        cmocka_unit_test(test_discover__package_init),
        cmocka_unit_test(test_discover__module_name),
        cmocka_unit_test(test_discover__module_name_errors),
        cmocka_unit_test(test_discover__module_name_stdlib),
        cmocka_unit_test(test_discover__target_parse),
        cmocka_unit_test(test_discover__relpath),
        cmocka_unit_test(test_discover__relpath_relative),
    };

    return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
