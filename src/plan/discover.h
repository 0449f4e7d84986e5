/* Turning command-line targets into test files and import names. */
#ifndef PYLEAK_DISCOVER_H
#define PYLEAK_DISCOVER_H

#include "base/error.h"
#include "base/util.h"

typedef enum {
    PLK_TARGET_DIR,   /* a directory to search */
    PLK_TARGET_FILE,  /* a .py file, maybe with ::selector */
    PLK_TARGET_MODULE /* package.module:callable */
} plk_target_kind;

typedef struct plk_target {
    plk_target_kind kind;
    char *path;     /* DIR and FILE */
    char *selector; /* FILE: "name" or "Class::name", or NULL */
    char *module;   /* MODULE: dotted module name */
    char *attr;     /* MODULE: attribute path, may contain dots */
} plk_target;

/* Classify spec. Paths must exist; "a/b.py::X::y" splits at the first
 * "::"; "pkg.mod:func" is a MODULE target when no such path exists.
 * Errors (PLK_ENOTFOUND, PLK_EUSAGE) say what is wrong and what to do. */
int plk_target_parse(plk_target *out, const char *spec, plk_error *err);
void plk_target_free(plk_target *t);

/* Is name a test file name (test_*.py or *_test.py)? */
int plk_discover_is_test_file(const char *name);
/* 1 when the package __init__.py at path may hold unittest tests (it
 * names TestCase or load_tests): a directory walk lists it too. */
int plk_discover_init_may_test(const char *path);
/* Should a directory of this name be skipped? (hidden, __pycache__,
 * site-packages, node_modules). Directories holding pyvenv.cfg are
 * skipped by plk_discover_dir as virtual environments. */
int plk_discover_skip_dir(const char *name);

/* Append every test file under dir, recursively, sorted, to out. */
int plk_discover_dir(plk_strlist *out, const char *dir, plk_error *err);
/* The same, skipping files and directories that match a glob of ignore
 * (which may be NULL); see plk_discover_ignored. */
int plk_discover_dir_ignore(plk_strlist *out, const char *dir,
                            const plk_strlist *ignore, plk_error *err);

/* Does a glob of ignore match this entry? rel is its path relative to
 * the directory being searched, name its last component. A glob
 * matches either, with fnmatch rules ('*' also matches '/' in rel); a
 * glob ending in '/' matches directories only; a leading "./" is
 * dropped. */
int plk_discover_ignored(const char *rel, const char *name, int is_dir,
                         const plk_strlist *ignore);

/* Package-aware import name for the Python file at path: walk up while
 * the directory holds __init__.py. *out_module gets the dotted name and
 * *out_root the directory to put on sys.path (both owned by the caller).
 * "/usr/lib/python3.11/test/test_heapq.py" -> "test.test_heapq",
 * "/usr/lib/python3.11". */
int plk_discover_module_name(char **out_module, char **out_root,
                             const char *path, plk_error *err);

/* path relative to base when under it, else path itself, as a new
 * string. Both are made absolute first. */
char *plk_discover_relpath(const char *path, const char *base);

#endif
