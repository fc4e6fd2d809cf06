/*
 * spool.c — the push spool directory (see spool.h): one file per sealed,
 * unacknowledged batch, written crash-safely (temporary name, fsync,
 * rename, fsync of the directory) before the batch is first sent.
 *
 * All file operations are relative to one directory descriptor opened
 * once, so a rename of the path while running cannot split the spool.
 */
#include "spool.h"

#include "nyckel.h"
#include "push_mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_NAME_MAX 48  /* "." + 20 digits + ".batch.bad" + NUL fits */
#define SPOOL_ID_DIGITS 20 /* UINT64_MAX has 20 decimal digits */

struct spool {
    char *path; /* directory, as given */
    int dirfd;  /* open directory, O_DIRECTORY */
    int lockfd; /* DIR/.lock, flock'ed exclusively */
};

static void name_batch(char buf[static SPOOL_NAME_MAX], uint64_t id)
{
    snprintf(buf, SPOOL_NAME_MAX, "%020" PRIu64 ".batch", id);
}

static void name_tmp(char buf[static SPOOL_NAME_MAX], uint64_t id)
{
    snprintf(buf, SPOOL_NAME_MAX, ".%020" PRIu64 ".tmp", id);
}

/* mkdir -p with mode 0700 for the directories it creates. */
static int mkdir_p(const char *path)
{
    char *p = push_xstrdup(path);
    int rc = 0;

    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) && errno != EEXIST) {
            rc = -errno;
            break;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    return rc;
}

/* Parse "<20 digits>.batch" into *id. */
static int parse_batch_name(const char *name, uint64_t *id)
{
    uint64_t v = 0;

    if (strlen(name) != SPOOL_ID_DIGITS + 6 ||
        strcmp(name + SPOOL_ID_DIGITS, ".batch"))
        return -1;
    for (int i = 0; i < SPOOL_ID_DIGITS; i++) {
        unsigned d = (unsigned)(name[i] - '0');

        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *id = v;
    return 0;
}

static int is_tmp_name(const char *name)
{
    size_t n = strlen(name);

    return name[0] == '.' && n > 4 && !strcmp(name + n - 4, ".tmp");
}

/* Remove temporary files: they belong to a dead process (we hold the
 * lock) and were never sent, so their events are still in that
 * process's input. */
static int remove_tmp(struct spool *s)
{
    int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    const struct dirent *e;

    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    while ((e = readdir(d)))
        if (is_tmp_name(e->d_name))
            unlinkat(s->dirfd, e->d_name, 0);
    closedir(d);
    return 0;
}

int spool_open(struct spool **out, const char *dir)
{
    struct spool *s;
    int rc;

    *out = NULL;
    if (!dir || !*dir)
        return -EINVAL;
    rc = mkdir_p(dir);
    if (rc)
        return rc;
    s = push_xcalloc(1, sizeof *s);
    s->path = push_xstrdup(dir);
    s->lockfd = -1;
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        rc = -errno;
        goto out;
    }
    s->lockfd = openat(s->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lockfd < 0) {
        rc = -errno;
        goto out;
    }
    if (flock(s->lockfd, LOCK_EX | LOCK_NB)) {
        rc = errno == EWOULDBLOCK ? NYCKEL_ELOCKED : -errno;
        goto out;
    }
    rc = remove_tmp(s);
out:
    if (rc)
        spool_close(&s);
    *out = s;
    return rc;
}

void spool_close(struct spool **sp)
{
    struct spool *s;

    if (!sp || !*sp)
        return;
    s = *sp;
    if (s->lockfd >= 0)
        close(s->lockfd); /* releases the flock */
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->path);
    free(s);
    *sp = NULL;
}

const char *spool_path(const struct spool *s)
{
    return s->path;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

int spool_list(struct spool *s, uint64_t **ids, size_t *n)
{
    int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    const struct dirent *e;
    size_t cap = 16;

    *ids = NULL;
    *n = 0;
    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    *ids = push_xmalloc(cap * sizeof **ids);
    while ((e = readdir(d))) {
        uint64_t id;

        if (parse_batch_name(e->d_name, &id))
            continue;
        if (*n == cap) {
            cap *= 2;
            *ids = push_xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = id;
    }
    closedir(d);
    qsort(*ids, *n, sizeof **ids, cmp_u64);
    return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t w = write(fd, p, len);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int spool_write(struct spool *s, uint64_t id, const void *buf, size_t len)
{
    char tmp[SPOOL_NAME_MAX], name[SPOOL_NAME_MAX];
    int fd, rc;

    name_tmp(tmp, id);
    name_batch(name, id);
    fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, buf, len);
    if (!rc && fsync(fd))
        rc = -errno;
    if (close(fd) && !rc)
        rc = -errno;
    if (!rc && renameat(s->dirfd, tmp, s->dirfd, name))
        rc = -errno;
    /* the rename is only durable once the directory is */
    if (!rc && fsync(s->dirfd))
        rc = -errno;
    if (rc)
        unlinkat(s->dirfd, tmp, 0);
    return rc;
}

int spool_read(struct spool *s, uint64_t id, size_t max, uint8_t **buf,
               size_t *len)
{
    char name[SPOOL_NAME_MAX];
    struct stat st;
    size_t got = 0;
    int fd, rc = 0;

    *buf = NULL;
    *len = 0;
    name_batch(name, id);
    fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st)) {
        rc = -errno;
        goto out;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        rc = -EFBIG;
        goto out;
    }
    *buf = push_xmalloc((size_t)st.st_size);
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            goto out;
        }
        if (r == 0)
            break; /* shrank under us: take what is there */
        got += (size_t)r;
    }
    *len = got;
out:
    close(fd);
    if (rc) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

int spool_remove(struct spool *s, uint64_t id)
{
    char name[SPOOL_NAME_MAX];

    name_batch(name, id);
    /* no fsync: a deletion lost in a crash only causes a harmless resend */
    if (unlinkat(s->dirfd, name, 0) && errno != ENOENT)
        return -errno;
    return 0;
}

int spool_set_aside(struct spool *s, uint64_t id)
{
    char name[SPOOL_NAME_MAX], bad[SPOOL_NAME_MAX];

    name_batch(name, id);
    snprintf(bad, sizeof bad, "%020" PRIu64 ".batch.bad", id);
    if (renameat(s->dirfd, name, s->dirfd, bad))
        return -errno;
    return 0;
}
