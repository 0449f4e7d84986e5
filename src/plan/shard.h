/* Sharding: a deterministic split of the test files over N machines,
 * balanced by the durations of an earlier report when there is one. */
#ifndef PYLEAK_SHARD_H
#define PYLEAK_SHARD_H

#include <stddef.h>

#include "base/error.h"
#include "base/util.h"

/* Seconds per test file found in an earlier report, keyed two ways: by
 * the file's path as the report gives it, and by its dotted module
 * name (JUnit reports written with --junit-strict carry no paths). */
typedef struct plk_durations {
    plk_strlist files; /* relative paths */
    double *file_secs;
    plk_strlist modules; /* dotted module names */
    double *module_secs;
} plk_durations;

/* Read a JUnit XML or JSON report (told apart by their first
 * character). From JUnit, every <testcase time=...> counts towards its
 * file attribute (or its <testsuite>'s file), and towards its
 * <testsuite name>. From JSON, every object with a string "id" and a
 * number "time" (or "duration") counts towards its "file" member, or the
 * part of the id before "::"; anything else is ignored. Returns 0, or
 * PLK_EUSAGE naming the file when it cannot be read or parsed (for JSON,
 * with the line and column where parsing stopped). */
int plk_durations_read(plk_durations *out, const char *path, plk_error *err);
void plk_durations_free(plk_durations *d);

/* Seconds recorded for a file (by relfile, else by module); -1 when the
 * report does not know it. */
double plk_durations_lookup(const plk_durations *d, const char *relfile,
                            const char *module);

/* How many test functions and methods the file's text defines (lines
 * starting, after indentation, with "def test" or "async def test"); at
 * least 1. The weight of a file when there are no durations. */
double plk_shard_count_tests(const char *path);

/* Assign count items of the given weights to n shards: heaviest first,
 * each to the least loaded shard (the lowest-numbered on a tie), so
 * every machine computes the same split. out[i] gets 1..n. */
int plk_shard_assign(unsigned *out, const double *weight, size_t count,
                     unsigned n);

/* The shard GitLab asks for: CI_NODE_INDEX (1-based) of CI_NODE_TOTAL.
 * *k and *n stay 0 when the variables are unset; a bad value is
 * PLK_EUSAGE naming the variable. */
int plk_shard_from_env(unsigned *k, unsigned *n, plk_error *err);

#endif
