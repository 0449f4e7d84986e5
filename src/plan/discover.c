/* Command-line targets into test files, import names and report paths. */
#define _GNU_SOURCE 1

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "plan/discover.h"
#include "base/path.h"

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ASCII letters, digits and '_', plus any non-ASCII byte: Python accepts
 * Unicode identifiers and the import itself is the final judge. */
static int
is_ident_char(int ch, int first)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
        (unsigned char)ch >= 0x80) {
        return 1;
    }
    return !first && ch >= '0' && ch <= '9';
}

static int
is_identifier_n(const char *s, size_t n)
{
    size_t i;

    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!is_ident_char(s[i], i == 0)) {
            return 0;
        }
    }
    return 1;
}

/* Identifiers separated by single dots, spanning exactly n bytes. */
static int
is_dotted_n(const char *s, size_t n)
{
    size_t start = 0;
    size_t i;

    for (i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!is_identifier_n(s + start, i - start)) {
                return 0;
            }
            start = i + 1;
        }
    }
    return 1;
}

/* dir + "/" + name without doubling the slash ("tests/" + "a.py"). */
static char *
join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir);

    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    if (n == 1 && dir[0] == '/') {
        return plk_asprintf("/%s", name);
    }
    return plk_asprintf("%.*s/%s", (int)n, dir, name);
}

void
plk_target_free(plk_target *t)
{
    if (t == NULL) {
        return;
    }
    free(t->path);
    free(t->selector);
    free(t->module);
    free(t->attr);
    t->path = t->selector = t->module = t->attr = NULL;
}

static int
parse_selector(plk_target *out, const char *spec, const char *sep,
               plk_error *err)
{
    struct stat st;
    const char *sel = sep + 2;
    const char *p;
    int rc = 0;

    out->path = plk_strndup(spec, (size_t)(sep - spec));
    if (out->path == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        goto done;
    }
    if (stat(out->path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            rc = plk_error_set(err, PLK_ENOTFOUND, "no such file: %s",
                               out->path);
        }
        else {
            rc = plk_error_set(err, PLK_EIO, "%s: %s", out->path,
                               strerror(errno));
        }
        goto done;
    }
    if (!S_ISREG(st.st_mode) || !ends_with(out->path, ".py")) {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "%s: selectors (::) need a .py file", out->path);
        goto done;
    }
    /* "f.py::", "f.py::A::" and "f.py::A::::b" name nothing. */
    for (p = sel;; p += 2) {
        const char *next = strstr(p, "::");

        if (next == p || *p == '\0') {
            rc = plk_error_set(err, PLK_EUSAGE,
                               "%s: empty name in selector '::%s'; "
                               "expected file.py::name or "
                               "file.py::Class::name",
                               out->path, sel);
            goto done;
        }
        if (next == NULL) {
            break;
        }
        p = next;
    }
    out->kind = PLK_TARGET_FILE;
    out->selector = plk_strdup(sel);
    if (out->selector == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
    }

done:
    return rc;
}

/* "pkg.mod:attr.path" -> MODULE, when spec is exactly that shape. */
static int
parse_module(plk_target *out, const char *spec)
{
    const char *colon = strchr(spec, ':');

    if (colon == NULL || !is_dotted_n(spec, (size_t)(colon - spec)) ||
        !is_dotted_n(colon + 1, strlen(colon + 1))) {
        return 0;
    }
    out->kind = PLK_TARGET_MODULE;
    out->module = plk_strndup(spec, (size_t)(colon - spec));
    out->attr = plk_strdup(colon + 1);
    return out->module != NULL && out->attr != NULL ? 1 : PLK_ENOMEM;
}

int
plk_target_parse(plk_target *out, const char *spec, plk_error *err)
{
    struct stat st;
    const char *sep;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (spec[0] == '\0') {
        rc = plk_error_set(err, PLK_EUSAGE,
                           "empty target (expected a directory, a .py "
                           "file, file.py::name or package.module:callable)");
        goto done;
    }
    sep = strstr(spec, "::");
    if (sep != NULL) {
        rc = parse_selector(out, spec, sep, err);
        goto done;
    }
    if (stat(spec, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            out->kind = PLK_TARGET_DIR;
        }
        else if (S_ISREG(st.st_mode) && ends_with(spec, ".py")) {
            out->kind = PLK_TARGET_FILE;
        }
        else {
            rc = plk_error_set(err, PLK_EUSAGE, "%s is not a Python file",
                               spec);
            goto done;
        }
        out->path = plk_strdup(spec);
        if (out->path == NULL) {
            rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        }
        goto done;
    }
    if (errno != ENOENT && errno != ENOTDIR) {
        rc = plk_error_set(err, PLK_EIO, "%s: %s", spec, strerror(errno));
        goto done;
    }
    rc = parse_module(out, spec);
    if (rc == 1) {
        rc = 0;
        goto done;
    }
    if (rc == 0) {
        rc = plk_error_set(err, PLK_ENOTFOUND,
                           "%s: no such file or directory (expected a "
                           "directory, a .py file, file.py::name or "
                           "package.module:callable)",
                           spec);
    }
    else {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
    }

done:
    if (rc != 0) {
        plk_target_free(out);
    }
    return rc;
}

/* Glob semantics, as pytest's default python_files = test_*.py *_test.py:
 * the '*' may be empty, so "test_.py" and "_test.py" count too. */
int
plk_discover_is_test_file(const char *name)
{
    size_t n = strlen(name);

    if (!ends_with(name, ".py")) {
        return 0;
    }
    if (strncmp(name, "test_", 5) == 0 && n >= 8) {
        return 1;
    }
    return ends_with(name, "_test.py");
}

int
plk_discover_init_may_test(const char *path)
{
    plk_buf b = {0};
    int found = 0;

    /* A package's __init__.py is a test module of its own under
     * `python -m unittest discover` (CPython's test_dataclasses and
     * test_import keep their tests there; test_json's load_tests adds
     * doctests). Only one that names TestCase or load_tests can hold
     * any; the harness decides which of them are its own. Unreadable
     * or huge files are not tests either: the import of the package by
     * its test files reports what is wrong with them. */
    if (plk_read_file(path, (size_t)4 << 20, &b, NULL) == 0 && b.len > 0) {
        found = memmem(b.data, b.len, "TestCase", 8) != NULL ||
                memmem(b.data, b.len, "load_tests", 10) != NULL;
    }
    plk_buf_free(&b);
    return found;
}

int
plk_discover_skip_dir(const char *name)
{
    return name[0] == '.' || strcmp(name, "__pycache__") == 0 ||
           strcmp(name, "site-packages") == 0 ||
           strcmp(name, "node_modules") == 0;
}

static int
is_venv(const char *dir)
{
    char *cfg = join_path(dir, "pyvenv.cfg");
    struct stat st;
    int found;

    if (cfg == NULL) {
        return 0;
    }
    found = stat(cfg, &st) == 0;
    free(cfg);
    return found;
}

int
plk_discover_ignored(const char *rel, const char *name, int is_dir,
                     const plk_strlist *ignore)
{
    size_t i;

    for (i = 0; ignore != NULL && i < ignore->count; i++) {
        const char *p = ignore->items[i];
        size_t n;
        char *pat;
        int hit;

        while (strncmp(p, "./", 2) == 0) {
            p += 2;
        }
        n = strlen(p);
        /* "build/" names directories only, as in .gitignore. */
        if (n > 1 && p[n - 1] == '/') {
            if (!is_dir) {
                continue;
            }
            n--;
        }
        pat = plk_strndup(p, n);
        if (pat == NULL) {
            continue;
        }
        hit = fnmatch(pat, name, 0) == 0 || fnmatch(pat, rel, 0) == 0;
        free(pat);
        if (hit) {
            return 1;
        }
    }
    return 0;
}

/* top_len: length of the searched directory's path, so that
 * path + top_len + 1 is the path relative to it. */
static int
walk(plk_strlist *out, const char *dir, size_t top_len,
     const plk_strlist *ignore, plk_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *path = NULL;
    int rc = 0;

    if (d == NULL) {
        if (errno == ENOENT) {
            return plk_error_set(err, PLK_ENOTFOUND, "no such directory: %s",
                                 dir);
        }
        return plk_error_set(err, PLK_EIO, "cannot read directory %s: %s", dir,
                             strerror(errno));
    }
    for (;;) {
        struct stat st;

        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                rc =
                    plk_error_set(err, PLK_EIO, "cannot read directory %s: %s",
                                  dir, strerror(errno));
            }
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        free(path);
        path = join_path(dir, e->d_name);
        if (path == NULL) {
            rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
            break;
        }
        if (lstat(path, &st) != 0) {
            if (errno == ENOENT) {
                continue; /* removed while we were listing */
            }
            rc = plk_error_set(err, PLK_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        if (S_ISLNK(st.st_mode)) {
            /* A linked file is a test like any other, but a linked
             * directory may point back up the tree; broken links are
             * nothing to run. */
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
                continue;
            }
        }
        if (S_ISDIR(st.st_mode)) {
            if (plk_discover_skip_dir(e->d_name) || is_venv(path) ||
                plk_discover_ignored(path + top_len + 1, e->d_name, 1,
                                     ignore)) {
                continue;
            }
            rc = walk(out, path, top_len, ignore, err);
            if (rc != 0) {
                break;
            }
        }
        else if (S_ISREG(st.st_mode) &&
                 (plk_discover_is_test_file(e->d_name) ||
                  (strcmp(e->d_name, "__init__.py") == 0 &&
                   plk_discover_init_may_test(path))) &&
                 !plk_discover_ignored(path + top_len + 1, e->d_name, 0,
                                       ignore)) {
            rc = plk_strlist_push_owned(out, path);
            path = NULL;
            if (rc != 0) {
                rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
                break;
            }
        }
    }
    free(path);
    closedir(d);
    return rc;
}

int
plk_discover_dir(plk_strlist *out, const char *dir, plk_error *err)
{
    return plk_discover_dir_ignore(out, dir, NULL, err);
}

int
plk_discover_dir_ignore(plk_strlist *out, const char *dir,
                        const plk_strlist *ignore, plk_error *err)
{
    plk_strlist found = {0};
    size_t i;
    size_t before = out->count;
    size_t top_len = strlen(dir);
    int rc;

    /* As join_path writes it: no trailing slashes; "/" joins as "/x". */
    while (top_len > 1 && dir[top_len - 1] == '/') {
        top_len--;
    }
    if (top_len == 1 && dir[0] == '/') {
        top_len = 0;
    }
    /* The directory named on the command line is searched even when it
     * is hidden, a virtual environment or matches an ignore pattern: the
     * user asked for it. */
    rc = walk(&found, dir, top_len, ignore, err);
    if (rc != 0) {
        goto done;
    }
    plk_strlist_sort(&found);
    for (i = 0; i < found.count; i++) {
        rc = plk_strlist_push_owned(out, found.items[i]);
        found.items[i] = NULL;
        if (rc != 0) {
            rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
            goto done;
        }
    }

done:
    if (rc != 0) {
        /* Leave out as it was, so a caller can report and go on. */
        while (out->count > before) {
            free(out->items[--out->count]);
        }
    }
    plk_strlist_free(&found);
    return rc;
}

/* The last component of an absolute path, in place. */
static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

/* Cut the last component off an absolute path, in place; "/a" -> "/". */
static void
cut_last(char *path)
{
    char *slash = strrchr(path, '/');

    if (slash == path) {
        path[1] = '\0';
    }
    else if (slash != NULL) {
        *slash = '\0';
    }
}

static int
is_package(const char *dir)
{
    char *init = join_path(dir, "__init__.py");
    struct stat st;
    int found;

    if (init == NULL) {
        return 0;
    }
    found = stat(init, &st) == 0 && S_ISREG(st.st_mode);
    free(init);
    return found;
}

int
plk_discover_module_name(char **out_module, char **out_root, const char *path,
                         plk_error *err)
{
    char *dir = NULL;
    char *name = NULL;
    const char *base;
    size_t stem_len;
    int rc = 0;

    *out_module = NULL;
    *out_root = NULL;
    dir = realpath(path, NULL);
    if (dir == NULL) {
        rc = plk_error_set(err, errno == ENOENT ? PLK_ENOTFOUND : PLK_EIO,
                           "%s: %s", path, strerror(errno));
        goto done;
    }
    base = base_name(dir);
    stem_len = strlen(base);
    if (ends_with(base, ".py")) {
        stem_len -= 3;
    }
    /* A package's __init__.py is imported as the package itself, so it
     * adds no component of its own. */
    if (!(stem_len == 8 && strncmp(base, "__init__", 8) == 0)) {
        name = plk_strndup(base, stem_len);
        if (name == NULL) {
            rc = PLK_ENOMEM;
            goto done;
        }
    }
    cut_last(dir);
    /* Stop below a directory whose name cannot be part of a dotted
     * name ("my-pkg"): importing from inside it still works for files
     * without relative imports, while "my-pkg.x" never imports. */
    while (strcmp(dir, "/") != 0 && is_package(dir) &&
           is_identifier_n(base_name(dir), strlen(base_name(dir)))) {
        char *dotted = name != NULL
                           ? plk_asprintf("%s.%s", base_name(dir), name)
                           : plk_strdup(base_name(dir));

        if (dotted == NULL) {
            rc = PLK_ENOMEM;
            goto done;
        }
        free(name);
        name = dotted;
        cut_last(dir);
    }
    if (name == NULL) {
        /* An __init__.py with no importable package around it. */
        name = plk_strdup("__init__");
        if (name == NULL) {
            rc = PLK_ENOMEM;
            goto done;
        }
    }
    *out_module = name;
    *out_root = dir;
    name = NULL;
    dir = NULL;

done:
    if (rc == PLK_ENOMEM) {
        plk_error_set(err, rc, "out of memory");
    }
    free(dir);
    free(name);
    return rc;
}

char *
plk_discover_relpath(const char *path, const char *base)
{
    return plk_path_under(path, base);
}
