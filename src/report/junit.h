/* JUnit XML report, written with libxml2's xmlTextWriter. */
#ifndef PYLEAK_JUNIT_H
#define PYLEAK_JUNIT_H

#include "base/error.h"
#include "base/result.h"

/* Check early (before any test runs) that path can be written: its
 * directory exists and is writable. */
int plk_junit_check_path(const char *path, plk_error *err);

/* Write r to path atomically (a temporary file beside it, then rename).
 * Layout: <testsuites> with one <testsuite> per file and one <testcase>
 * per test, carrying classname, name and time. A leak is
 * <failure type="pyleak.Leak" message="..."> with the fit report as text,
 * a failing test <failure type="ExcType">, an error <error>, a skip
 * <skipped message=...>. A suite whose file did not import holds one
 * <testcase> with an <error>. All text is sanitised.
 *
 * Default form: each testcase also has file and line (the leak's location
 * when the diagnosis found one, else the test's definition), <properties>
 * with the figures of every metric, and its own <system-out> and
 * <system-err>; it validates against schemas/pyleak-junit.xsd.
 *
 * strict: only what both the Jenkins junit-10 and the Ant (windyroad)
 * schemas accept: no attributes on <testsuites>; on each <testsuite> a
 * timestamp, hostname, id and package, a <properties> first and a
 * <system-out> and <system-err> last (holding every test's output under
 * a header); testcases without file, line, properties or output. */
int plk_junit_write(const plk_run_result *r, const char *path, int strict,
                    plk_error *err);

#endif
