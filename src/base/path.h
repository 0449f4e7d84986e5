/* Paths relative to a folder: one place for the rules, for test ids,
 * report paths, baseline entries and GitHub annotations alike. */
#ifndef PYLEAK_PATH_H
#define PYLEAK_PATH_H

/* path relative to dir, both absolute (or both relative to the same
 * folder): "sub/t.py", "." for dir itself, "../x/t.py" outside it (whole
 * components only: /w is not a prefix of /wx). Trailing slashes of dir
 * do not count; ".", ".." and repeated slashes are taken as they are,
 * so give normalised paths (realpath). A new string, or NULL when out
 * of memory or one is absolute and the other not. */
char *plk_path_relative(const char *path, const char *dir);

/* 1 when a relative path from plk_path_relative leaves its folder
 * ("..", "../x"). */
int plk_path_climbs(const char *rel);

/* path relative to base when it lies under it (both made canonical with
 * realpath when they exist), else path as given: a new string. */
char *plk_path_under(const char *path, const char *base);

#endif
