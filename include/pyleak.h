/* pyleak-ci: a memory-leak gate for Python test suites. */
#ifndef PYLEAK_H
#define PYLEAK_H

#define PLK_VERSION "0.1.0"

#include "pyleak/error.h"
#include "pyleak/util.h"
#include "pyleak/metric.h"
#include "pyleak/fit.h"
#include "pyleak/result.h"
#include "pyleak/config.h"
#include "pyleak/discover.h"
#include "pyleak/embed.h"
#include "pyleak/sample.h"
#include "pyleak/sanitize.h"
#include "pyleak/junit.h"
#include "pyleak/json.h"
#include "pyleak/html.h"
#include "pyleak/github.h"
#include "pyleak/outfile.h"
#include "pyleak/report.h"
#include "pyleak/run.h"
#include "pyleak/toml.h"
#include "pyleak/baseline.h"
#include "pyleak/record.h"
#include "pyleak/shard.h"
#include "pyleak/worker.h"

#endif
