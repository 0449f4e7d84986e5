/* Fuzz target: the --durations-from reader (plan/shard.c), JUnit XML
 * through libxml2 and JSON through jansson, the input being the file.
 *
 * A report that reads must give each file and module once, with a
 * finite, non-negative number of seconds that lookup returns, and a
 * split over shards that puts every file on one of them; a report that
 * does not read must be a usage error naming --durations-from. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/shard.h"

#include "fuzz.h"

static void
check_keys(const plk_durations *d, const plk_strlist *keys, const double *secs,
           int by_file)
{
    size_t i, j;

    for (i = 0; i < keys->count; i++) {
        const char *k = keys->items[i];
        double v = by_file ? plk_durations_lookup(d, k, NULL)
                           : plk_durations_lookup(d, NULL, k);

        FUZZ_CHECK(k != NULL && k[0] != '\0', "an empty key");
        FUZZ_CHECK(isfinite(secs[i]) && secs[i] >= 0, "'%s': %g seconds", k,
                   secs[i]);
        FUZZ_CHECK(v == secs[i], "lookup of '%s' gives %g, not %g", k, v,
                   secs[i]);
        for (j = 0; j < i; j++) {
            FUZZ_CHECK(strcmp(keys->items[j], k) != 0, "'%s' twice", k);
        }
    }
}

static void
check_split(const plk_durations *d)
{
    size_t n = d->files.count, i;
    unsigned *shard = malloc((n ? n : 1) * sizeof(*shard));

    FUZZ_CHECK(shard != NULL, "out of memory");
    FUZZ_CHECK(plk_shard_assign(shard, d->file_secs, n, 3) == 0,
               "the split fails");
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(shard[i] >= 1 && shard[i] <= 3, "file %zu on shard %u", i,
                   shard[i]);
    }
    free(shard);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file("report", data, size);
    plk_durations d;
    plk_error err = {0};
    int rc;

    rc = plk_durations_read(&d, path, &err);
    if (rc == 0) {
        check_keys(&d, &d.files, d.file_secs, 1);
        check_keys(&d, &d.modules, d.module_secs, 0);
        check_split(&d);
    }
    else {
        FUZZ_CHECK(rc == PLK_EUSAGE || rc == PLK_ENOMEM, "rc %d", rc);
        FUZZ_CHECK(err.message != NULL &&
                       (rc == PLK_ENOMEM ||
                        strstr(err.message, "--durations-from") != NULL),
                   "message does not name the flag: %s", err.message);
        FUZZ_CHECK(d.files.count == 0 && d.file_secs == NULL,
                   "durations left behind on failure");
    }
    plk_durations_free(&d);
    plk_error_clear(&err);
    return 0;
}
