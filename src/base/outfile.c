/* Report files: checked before a run, replaced atomically after it. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/outfile.h"
#include "base/util.h"

int
plk_outfile_check(const char *path, const char *what, plk_error *err)
{
    struct stat st;
    const char *slash;
    char *dir = NULL;
    int rc = 0;

    if (what == NULL) {
        what = "report";
    }
    if (path == NULL || path[0] == '\0') {
        return plk_error_set(err, PLK_EUSAGE, "no path given for the %s",
                             what);
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = plk_error_set(err, PLK_EIO,
                           "the %s path %s is a directory; give a file "
                           "name such as %s/pyleak.xml",
                           what, path, path);
        goto done;
    }
    slash = strrchr(path, '/');
    if (slash != NULL && slash[1] == '\0') {
        rc = plk_error_set(err, PLK_EIO,
                           "the %s path %s names a directory; give a file "
                           "name such as %spyleak.xml",
                           what, path, path);
        goto done;
    }
    if (slash == NULL) {
        dir = plk_strdup(".");
    }
    else if (slash == path) {
        dir = plk_strdup("/");
    }
    else {
        dir = plk_strndup(path, (size_t)(slash - path));
    }
    if (dir == NULL) {
        rc = plk_error_set(err, PLK_ENOMEM, "out of memory");
        goto done;
    }
    if (stat(dir, &st) != 0) {
        int e = errno;

        if (e == ENOENT) {
            rc = plk_error_set(err, PLK_EIO,
                               "cannot write the %s %s: directory %s does "
                               "not exist; create it first (mkdir -p %s)",
                               what, path, dir, dir);
        }
        else {
            rc = plk_error_set(err, PLK_EIO,
                               "cannot write the %s %s: directory %s: %s; "
                               "choose another path",
                               what, path, dir, strerror(e));
        }
    }
    else if (!S_ISDIR(st.st_mode)) {
        rc = plk_error_set(err, PLK_EIO,
                           "cannot write the %s %s: %s is not a "
                           "directory; choose another path",
                           what, path, dir);
    }
    else if (access(dir, W_OK | X_OK) != 0) {
        rc = plk_error_set(err, PLK_EIO,
                           "cannot write the %s %s: directory %s is not "
                           "writable (%s); fix its permissions or choose "
                           "another path",
                           what, path, dir, strerror(errno));
    }
done:
    free(dir);
    return rc;
}

int
plk_outfile_write(const char *path, const char *what, const char *data,
                  size_t len, plk_error *err)
{
    char *tmp = NULL;
    size_t done = 0;
    int fd = -1;
    int errnum = 0;

    if (what == NULL) {
        what = "report";
    }
    if (path == NULL || path[0] == '\0') {
        return plk_error_set(err, PLK_EUSAGE, "no path given for the %s",
                             what);
    }
    /* Beside the target, so rename() stays within one file system. */
    tmp = plk_asprintf("%s.tmp.%ld", path, (long)getpid());
    if (tmp == NULL) {
        errnum = ENOMEM;
        goto done;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        errnum = errno;
        goto done;
    }
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            errnum = errno;
            goto done;
        }
        done += (size_t)n;
    }
    /* A full disk or a deferred NFS write shows up here or in close(),
     * not in write(). */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        errnum = errno;
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        errnum = errno;
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        errnum = errno;
        goto done;
    }
done:
    if (fd >= 0) {
        close(fd);
    }
    if (errnum != 0 && tmp != NULL) {
        unlink(tmp);
    }
    free(tmp);
    if (errnum != 0) {
        return plk_error_set(err, PLK_EIO, "cannot write the %s %s: %s", what,
                             path, strerror(errnum));
    }
    return 0;
}
