/* Run a fuzz target's inputs without libFuzzer:
 *     fuzz_seeds_<reader> DIR|FILE...
 * Every regular file of each DIR (seeds and regress-* reproducers, in
 * name order) and each FILE goes through LLVMFuzzerTestOneInput once,
 * in a buffer of exactly its size, so the ordinary, ASan and valgrind
 * builds check the same inputs the fuzzer starts from. A violated
 * property aborts; exit 1 when no input was found at all (a wrong
 * path would otherwise pass), 2 when one cannot be read. */
#define _GNU_SOURCE 1

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
    char *data;
    size_t len;
    uint8_t *exact;

    fuzz_read_file(path, &data, &len);
    /* A copy without the terminating NUL: reading past the input is
     * then an error ASan and valgrind see. */
    exact = malloc(len ? len : 1);
    if (exact == NULL) {
        fprintf(stderr, "fuzz_seeds: out of memory for %s\n", path);
        free(data);
        return -1;
    }
    memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
skip_entry(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Returns the inputs run, or -1. */
static long
run_path(const char *path)
{
    struct dirent **names = NULL;
    struct stat st;
    long ran = 0;
    int n, i;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return run_file(path) == 0 ? 1 : -1;
    }
    n = scandir(path, &names, skip_entry, by_name);
    if (n < 0) {
        fprintf(stderr, "fuzz_seeds: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++) {
        char *full = NULL;

        if (ran >= 0 &&
            asprintf(&full, "%s/%s", path, names[i]->d_name) >= 0 &&
            stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            ran = run_file(full) == 0 ? ran + 1 : -1;
        }
        free(full);
        free(names[i]);
    }
    free(names);
    return ran;
}

int
main(int argc, char **argv)
{
    long total = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        long ran = run_path(argv[i]);

        if (ran < 0) {
            return 2;
        }
        total += ran;
    }
    printf("%s: %ld inputs, no property violated\n", argv[0], total);
    return total > 0 ? 0 : 1;
}
