/* What the fuzz targets share: the libFuzzer entry point, a private
 * scratch folder for readers that take a path, and checks that abort.
 *
 * Each tests/fuzz/fuzz_<reader>.c defines LLVMFuzzerTestOneInput. It is
 * linked twice: with libFuzzer (-fsanitize=fuzzer, PYLEAK_FUZZ=ON) as
 * fuzz_<reader>, and with run_seeds.c as fuzz_seeds_<reader>, which
 * every build runs over the seed corpus and the crash reproducers. */
#ifndef PYLEAK_FUZZ_H
#define PYLEAK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the reader does not hold: say which and abort, which is
 * what both libFuzzer and the seed runner report as a crash. */
_Noreturn void fuzz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#define FUZZ_CHECK(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fuzz_fail(__VA_ARGS__);                                           \
        }                                                                     \
    } while (0)

/* The folder of this process's scratch files, made on first use and
 * removed (with the files fuzz_write_file put there) at exit. Aborts
 * when it cannot be made: a target without it tests nothing. */
const char *fuzz_scratch_dir(void);

/* Write data to NAME in the scratch folder, replacing what was there;
 * returns the file's path (static storage, valid until the next call
 * with another name). Aborts on a write error. */
const char *fuzz_write_file(const char *name, const uint8_t *data,
                            size_t size);

/* Make a folder below the scratch folder (for readers that look for
 * paths next to their file); returns its path like fuzz_write_file. */
const char *fuzz_make_dir(const char *name);

/* The whole file at path, NUL-terminated, into *out (malloc'd) and its
 * length into *len; aborts when it cannot be read. */
void fuzz_read_file(const char *path, char **out, size_t *len);

#endif
