/* JUnit XML report, written with libxml2's xmlTextWriter. */
#ifndef PYLEAK_JUNIT_H
#define PYLEAK_JUNIT_H

#include "pyleak/error.h"
#include "pyleak/result.h"

/* Check early (before any test runs) that path can be written: its
 * directory exists and is writable. */
int plk_junit_check_path(const char *path, plk_error *err);

/* Write r to path atomically (a temporary file beside it, then rename).
 * Layout: <testsuites> with one <testsuite> per file and one <testcase>
 * per test, carrying classname, name, time, file and line. A leak is
 * <failure type="pyleak.Leak" message="..."> with the fit report as text,
 * a failing test <failure type="ExcType">, an error <error>, a skip
 * <skipped message=...>. A suite whose file did not import holds one
 * <testcase> with an <error>. All text is sanitised. */
int plk_junit_write(const plk_run_result *r, const char *path,
                    plk_error *err);

#endif
