/* pyleak-ci: a memory-leak gate for Python test suites. The runner's
 * view of the library: settings, the schedule that runs a plan, and the
 * reports written from its results. */
#ifndef PYLEAK_H
#define PYLEAK_H

#define PLK_VERSION "0.1.0"

#include "base/error.h"
#include "base/util.h"
#include "base/result.h"
#include "config/config.h"
#include "engine/embed.h"
#include "pool/schedule.h"
#include "report/baseline.h"
#include "report/console.h"
#include "report/github.h"
#include "report/html.h"
#include "report/json.h"
#include "report/junit.h"

#endif
