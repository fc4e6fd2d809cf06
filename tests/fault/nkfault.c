/*
 * nkfault.c — test-only LD_PRELOAD layer that simulates power loss and
 * I/O errors for the files under one directory (nyckeld's state).
 *
 * A SIGKILL proves nothing about durability: what the process wrote is
 * in the page cache and survives it. This layer records, before every
 * write to a file under $NKFAULT_DIR that is not yet durable, the bytes
 * it replaces (an undo record in $NKFAULT_UNDO), and marks the file
 * durable again at each fsync/fdatasync/msync(MS_SYNC). After a SIGKILL
 * nkfault-rollback applies the undo records written since each file's
 * last sync, newest first: the files then hold what a disk would hold
 * after a power cut at that moment. Writes through O_SYNC/O_DSYNC
 * descriptors are durable by themselves (LMDB writes its meta page that
 * way).
 *
 * Environment:
 *   NKFAULT_DIR=DIR         files under DIR are tracked (else nothing is)
 *   NKFAULT_UNDO=FILE       the undo log (else no power-loss records)
 *   NKFAULT_FAIL_WRITE=N    the Nth write to a tracked file fails (EIO)
 *   NKFAULT_FAIL_SYNC=N     the Nth fsync/fdatasync/msync fails (EIO)
 *   NKFAULT_PERSIST=1       ... and every one after it too
 *   NKFAULT_SILENT=1        a lying disk, for negative controls: the
 *                           faulty write is dropped, the faulty sync
 *                           skipped, and either reports success
 *   NKFAULT_SYNC_DELAY_MS=N each sync of a tracked file takes N ms more
 *                           (a slow disk: bounds the commit rate and
 *                           widens the window a kill can fall into)
 *   NKFAULT_STATS=1         counters to stderr at exit
 * Each injected fault is reported on stderr as one "nkfault: ..." line.
 * A failed write changes nothing; a failed sync syncs nothing.
 *
 * Intercepted: open, open64, openat, openat64, creat, creat64, close,
 * dup, dup2, dup3, fcntl(F_DUPFD), write, pwrite, pwrite64, writev,
 * pwritev, pwritev64, ftruncate, ftruncate64, fsync, fdatasync, msync
 * (its file found in /proc/self/maps), sync, syncfs. Not modelled:
 * stdio's internal calls, O_TRUNC of an existing file at open,
 * stores through a writable shared mapping (LMDB without MDB_WRITEMAP
 * maps only its lock file that way, and rebuilds that on open), torn
 * sectors, and a lost directory entry of a new file.
 *
 * The undo log only has to survive SIGKILL, not power loss, so it is
 * appended with plain write(2) (through syscall(), not through this
 * layer) and never synced.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE

#include "nkfault.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define NKFAULT_FDS 65536 /* descriptors tracked: 0 .. NKFAULT_FDS-1 */

struct nkfault_fd {
    char *path;  /* canonical path, NULL when the fd is not tracked */
    bool synced; /* opened with O_SYNC or O_DSYNC */
};

struct nkfault_real {
    int (*open)(const char *, int, ...);
    int (*open64)(const char *, int, ...);
    int (*openat)(int, const char *, int, ...);
    int (*openat64)(int, const char *, int, ...);
    int (*creat)(const char *, mode_t);
    int (*creat64)(const char *, mode_t);
    int (*close)(int);
    int (*dup)(int);
    int (*dup2)(int, int);
    int (*dup3)(int, int, int);
    int (*fcntl)(int, int, ...);
    int (*fcntl64)(int, int, ...);
    ssize_t (*write)(int, const void *, size_t);
    ssize_t (*pwrite)(int, const void *, size_t, off_t);
    ssize_t (*pwrite64)(int, const void *, size_t, off64_t);
    ssize_t (*writev)(int, const struct iovec *, int);
    ssize_t (*pwritev)(int, const struct iovec *, int, off_t);
    ssize_t (*pwritev64)(int, const struct iovec *, int, off64_t);
    int (*ftruncate)(int, off_t);
    int (*ftruncate64)(int, off64_t);
    int (*fsync)(int);
    int (*fdatasync)(int);
    int (*msync)(void *, size_t, int);
    void (*sync)(void);
    int (*syncfs)(int);
};

static struct nkfault_real real;
static pthread_once_t nkfault_once = PTHREAD_ONCE_INIT;
/* set while nkfault_init runs on this thread: what it calls (a
 * sanitizer runtime initialising itself, say) passes straight through */
static __thread bool nkfault_in_init;
static pthread_mutex_t nkfault_lock = PTHREAD_MUTEX_INITIALIZER;

static char nkfault_dir[PATH_MAX]; /* canonical, "" = track nothing */
static size_t nkfault_dir_len;
static int nkfault_undo_fd = -1;     /* the undo log, O_APPEND */
static long long nkfault_fail_write; /* 0: never */
static long long nkfault_fail_sync;  /* 0: never */
static bool nkfault_persist;
static bool nkfault_silent;
static bool nkfault_stats;
static long long nkfault_sync_delay_ms;

static struct nkfault_fd nkfault_fds[NKFAULT_FDS];

/* counters, under nkfault_lock */
static long long nkfault_n_writes;     /* writes to tracked files */
static long long nkfault_n_syncs;      /* syncs of tracked files */
static long long nkfault_n_undo;       /* undo records */
static long long nkfault_n_undo_bytes; /* bytes saved in them */
static long long nkfault_n_durable;    /* writes through O_(D)SYNC fds */
static long long nkfault_n_faults;     /* errors injected */
static long long nkfault_n_log_errors; /* undo log appends that failed */

/* stderr without stdio and without this layer */
static void nkfault_say(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void nkfault_say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    long rc = syscall(SYS_write, 2, buf, (size_t)n);
    (void)rc;
}

static long long nkfault_env_num(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end || n < 0) {
        nkfault_say("nkfault: %s=%s is not a count; ignored", name, v);
        return 0;
    }
    return n;
}

static void *nkfault_sym(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* The next definition of f (libc's, or a sanitizer's interceptor),
 * resolved on first use: the layer can be entered before its
 * constructor has run. */
#define REAL(f)                                                                \
    (*({                                                                       \
        if (!real.f)                                                           \
            real.f = nkfault_sym(#f);                                          \
        &real.f;                                                               \
    }))

/* DIR's canonical path into out (PATH_MAX): DIR need not exist yet
 * (nyckeld creates it), its parent must. 0 done, -1 not possible. */
static int nkfault_canonical(const char *dir, char *out)
{
    if (realpath(dir, out))
        return 0;
    char parent[PATH_MAX];
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n >= sizeof(parent))
        return -1;
    memcpy(parent, dir, n);
    parent[n] = '\0';
    char *slash = strrchr(parent, '/');
    const char *base = slash ? slash + 1 : parent;
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return -1;
    const char *up = ".";
    if (slash == parent) {
        up = "/";
    } else if (slash) {
        *slash = '\0'; /* parent now names the directory above */
        up = parent;
    }
    char canon[PATH_MAX];
    if (!realpath(up, canon))
        return -1;
    int len =
        snprintf(out, PATH_MAX, "%s/%s", strcmp(canon, "/") ? canon : "", base);
    return len > 0 && len < PATH_MAX ? 0 : -1;
}

static void nkfault_init(void)
{
    nkfault_in_init = true;
    const char *dir = getenv("NKFAULT_DIR");
    if (dir && *dir && nkfault_canonical(dir, nkfault_dir) == 0) {
        nkfault_dir_len = strlen(nkfault_dir);
    } else if (dir && *dir) {
        nkfault_say("nkfault: NKFAULT_DIR %s: neither it nor its parent "
                    "exists; tracking nothing",
                    dir);
    }
    const char *undo = getenv("NKFAULT_UNDO");
    if (undo && *undo) {
        nkfault_undo_fd =
            (int)syscall(SYS_openat, AT_FDCWD, undo,
                         O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (nkfault_undo_fd < 0)
            nkfault_say("nkfault: cannot open the undo log %s: %s", undo,
                        strerror(errno));
    }
    nkfault_fail_write = nkfault_env_num("NKFAULT_FAIL_WRITE");
    nkfault_fail_sync = nkfault_env_num("NKFAULT_FAIL_SYNC");
    nkfault_persist = nkfault_env_num("NKFAULT_PERSIST") != 0;
    nkfault_silent = nkfault_env_num("NKFAULT_SILENT") != 0;
    nkfault_stats = nkfault_env_num("NKFAULT_STATS") != 0;
    nkfault_sync_delay_ms = nkfault_env_num("NKFAULT_SYNC_DELAY_MS");
    nkfault_in_init = false;
}

static void nkfault_ready(void)
{
    if (!nkfault_in_init)
        pthread_once(&nkfault_once, nkfault_init);
}

__attribute__((constructor)) static void nkfault_ctor(void)
{
    nkfault_ready();
}

__attribute__((destructor)) static void nkfault_dtor(void)
{
    if (!nkfault_stats)
        return;
    nkfault_say("nkfault: pid %ld: %lld writes, %lld syncs, %lld undo "
                "records (%lld bytes), %lld durable writes, %lld faults "
                "injected, %lld log errors",
                (long)getpid(), nkfault_n_writes, nkfault_n_syncs,
                nkfault_n_undo, nkfault_n_undo_bytes, nkfault_n_durable,
                nkfault_n_faults, nkfault_n_log_errors);
}

/* fd no longer names what it did (closed, or about to be reused). */
static void nkfault_untrack(int fd)
{
    if (nkfault_dir_len == 0 || fd < 0 || fd >= NKFAULT_FDS)
        return;
    pthread_mutex_lock(&nkfault_lock);
    free(nkfault_fds[fd].path);
    nkfault_fds[fd] = (struct nkfault_fd){0};
    pthread_mutex_unlock(&nkfault_lock);
}

/* After a successful open (flags as given to it) or dup: track fd when
 * it names a file under the directory. */
static void nkfault_track(int fd, int flags)
{
    if (fd < 0 || nkfault_dir_len == 0)
        return;
    if (fd >= NKFAULT_FDS) {
        nkfault_say("nkfault: fd %d beyond %d; not tracked", fd, NKFAULT_FDS);
        return;
    }
    nkfault_untrack(fd); /* a number reused behind our back (dup2, ...) */
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof(path) - 1);
    if (n <= 0)
        return;
    path[n] = '\0';
    if ((size_t)n <= nkfault_dir_len ||
        memcmp(path, nkfault_dir, nkfault_dir_len) != 0 ||
        path[nkfault_dir_len] != '/')
        return;
    if ((size_t)n > NKFAULT_PATH_MAX)
        return;
    char *copy = strdup(path);
    if (!copy)
        return;
    pthread_mutex_lock(&nkfault_lock);
    free(nkfault_fds[fd].path);
    nkfault_fds[fd].path = copy;
    nkfault_fds[fd].synced = (flags & (O_SYNC | O_DSYNC)) != 0;
    pthread_mutex_unlock(&nkfault_lock);
}

/* The path of fd if tracked, else NULL; call under nkfault_lock. */
static const char *nkfault_path(int fd)
{
    if (fd < 0 || fd >= NKFAULT_FDS)
        return NULL;
    return nkfault_fds[fd].path;
}

/* One record, header + path + data, in one append. */
static void nkfault_log(enum nkfault_rec_type type, const char *path,
                        uint64_t offset, uint64_t span, uint64_t prev_size,
                        const void *data, uint64_t len)
{
    if (nkfault_undo_fd < 0)
        return;
    struct nkfault_rec r = {
        .magic = NKFAULT_MAGIC,
        .type = (uint32_t)type,
        .offset = offset,
        .len = len,
        .span = span,
        .prev_size = prev_size,
        .path_len = (uint32_t)strlen(path),
        .pid = (uint32_t)getpid(),
    };
    struct iovec iov[3] = {
        {.iov_base = &r, .iov_len = sizeof(r)},
        {.iov_base = (void *)path, .iov_len = r.path_len},
        {.iov_base = (void *)data, .iov_len = (size_t)len},
    };
    size_t want = sizeof(r) + r.path_len + (size_t)len;
    /* one writev on an O_APPEND file: the record is not interleaved */
    long n = syscall(SYS_writev, nkfault_undo_fd, iov, len ? 3 : 2);
    if (n != (long)want) {
        nkfault_n_log_errors++;
        nkfault_say("nkfault: undo log append failed (%ld of %zu bytes): %s", n,
                    want, n < 0 ? strerror(errno) : "short");
    }
}

/* Before a write of span bytes at offset: save what it replaces. Under
 * nkfault_lock. */
static void nkfault_save(int fd, const char *path, uint64_t offset,
                         uint64_t span)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        nkfault_n_log_errors++;
        return;
    }
    uint64_t size = (uint64_t)st.st_size;
    uint64_t len = 0;
    if (offset < size)
        len = size - offset < span ? size - offset : span;
    void *buf = NULL;
    if (len) {
        buf = malloc((size_t)len);
        if (!buf) {
            nkfault_n_log_errors++;
            nkfault_say("nkfault: out of memory for %llu bytes of undo",
                        (unsigned long long)len);
            return;
        }
        uint64_t got = 0;
        while (got < len) {
            ssize_t n = pread(fd, (char *)buf + got, (size_t)(len - got),
                              (off_t)(offset + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (uint64_t)n;
        }
        len = got;
    }
    nkfault_log(NKFAULT_REC_UNDO, path, offset, span, size, buf, len);
    nkfault_n_undo++;
    nkfault_n_undo_bytes += (long long)len;
    free(buf);
}

/* Whether this write (or sync) is the one to fail; under nkfault_lock. */
static bool nkfault_hit(long long n, long long at)
{
    return at > 0 && (n == at || (nkfault_persist && n > at));
}

/* Common part of every write: offset is -1 for "at the file offset".
 * Returns 0 to go ahead (with the lock held if *locked), -1 with errno
 * set for an injected fault, 1 for a silently dropped write. */
static int nkfault_before_write(int fd, int64_t offset, uint64_t span,
                                const char *what, bool *locked,
                                const char **durable_path,
                                uint64_t *durable_off)
{
    *locked = false;
    *durable_path = NULL;
    nkfault_ready();
    if (nkfault_dir_len == 0)
        return 0;
    pthread_mutex_lock(&nkfault_lock);
    const char *path = nkfault_path(fd);
    if (!path) {
        pthread_mutex_unlock(&nkfault_lock);
        return 0;
    }
    long long n = ++nkfault_n_writes;
    if (nkfault_hit(n, nkfault_fail_write)) {
        nkfault_n_faults++;
        nkfault_say("nkfault: write #%lld (%s of %llu bytes to %s): %s", n,
                    what, (unsigned long long)span, path,
                    nkfault_silent ? "dropped silently" : "injected EIO");
        pthread_mutex_unlock(&nkfault_lock);
        if (nkfault_silent)
            return 1;
        errno = EIO;
        return -1;
    }
    if (offset < 0) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0 && (fl & O_APPEND)) {
            struct stat st;
            offset = fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
        } else {
            offset = (int64_t)lseek(fd, 0, SEEK_CUR);
            if (offset < 0)
                offset = 0;
        }
    }
    if (nkfault_fds[fd].synced) {
        *durable_path = path;
        *durable_off = (uint64_t)offset;
    } else if (span) {
        nkfault_save(fd, path, (uint64_t)offset, span);
    }
    *locked = true; /* held across the real write: log order = write order */
    return 0;
}

static void nkfault_after_write(bool locked, const char *durable_path,
                                uint64_t durable_off, ssize_t written)
{
    if (!locked)
        return;
    if (durable_path && written > 0) {
        nkfault_n_durable++;
        /* logged after the write: a SIGKILL in between errs towards
         * losing it, the harsher side for the test */
        nkfault_log(NKFAULT_REC_DURABLE, durable_path, durable_off,
                    (uint64_t)written, 0, NULL, 0);
    }
    pthread_mutex_unlock(&nkfault_lock);
}

static uint64_t nkfault_iov_len(const struct iovec *iov, int cnt)
{
    uint64_t n = 0;
    for (int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    return n;
}

#define NKFAULT_WRITE(call, fd, offset, span, what)                            \
    do {                                                                       \
        bool locked_;                                                          \
        const char *dpath_;                                                    \
        uint64_t doff_ = 0;                                                    \
        int hit_ = nkfault_before_write(fd, offset, span, what, &locked_,      \
                                        &dpath_, &doff_);                      \
        if (hit_)                                                              \
            return hit_ < 0 ? -1 : (ssize_t)(span);                            \
        ssize_t rc_ = call;                                                    \
        int errno_ = errno;                                                    \
        nkfault_after_write(locked_, dpath_, doff_, rc_);                      \
        errno = errno_;                                                        \
        return rc_;                                                            \
    } while (0)

ssize_t write(int fd, const void *buf, size_t n)
{
    NKFAULT_WRITE(REAL(write)(fd, buf, n), fd, -1, n, "write");
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    NKFAULT_WRITE(REAL(pwrite)(fd, buf, n, off), fd, off, n, "pwrite");
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    NKFAULT_WRITE(REAL(pwrite64)(fd, buf, n, off), fd, off, n, "pwrite64");
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    NKFAULT_WRITE(REAL(writev)(fd, iov, cnt), fd, -1, nkfault_iov_len(iov, cnt),
                  "writev");
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    NKFAULT_WRITE(REAL(pwritev)(fd, iov, cnt, off), fd, off,
                  nkfault_iov_len(iov, cnt), "pwritev");
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
    NKFAULT_WRITE(REAL(pwritev64)(fd, iov, cnt, off), fd, off,
                  nkfault_iov_len(iov, cnt), "pwritev64");
}

/* ftruncate: a shrink saves the bytes cut off, a growth only the size. */
static int nkfault_truncate(int fd, int64_t len)
{
    nkfault_ready();
    if (nkfault_dir_len == 0 || len < 0)
        return 0;
    pthread_mutex_lock(&nkfault_lock);
    const char *path = nkfault_path(fd);
    struct stat st;
    if (path && !nkfault_fds[fd].synced && fstat(fd, &st) == 0 &&
        st.st_size != (off_t)len) {
        if (st.st_size > (off_t)len)
            nkfault_save(fd, path, (uint64_t)len,
                         (uint64_t)st.st_size - (uint64_t)len);
        else
            nkfault_save(fd, path, (uint64_t)st.st_size,
                         (uint64_t)len - (uint64_t)st.st_size);
    }
    pthread_mutex_unlock(&nkfault_lock);
    return 0;
}

int ftruncate(int fd, off_t len)
{
    nkfault_truncate(fd, len);
    return REAL(ftruncate)(fd, len);
}

int ftruncate64(int fd, off64_t len)
{
    nkfault_truncate(fd, len);
    return REAL(ftruncate64)(fd, len);
}

/* Common part of every sync of one file: 0 to go ahead, -1 (EIO) for an
 * injected fault, 1 when path is not tracked, 2 to skip it silently. */
static int nkfault_before_sync(const char *path, const char *what)
{
    if (!path)
        return 1;
    long long n = ++nkfault_n_syncs;
    if (nkfault_hit(n, nkfault_fail_sync)) {
        nkfault_n_faults++;
        nkfault_say("nkfault: sync #%lld (%s of %s): %s", n, what, path,
                    nkfault_silent ? "skipped silently" : "injected EIO");
        if (nkfault_silent)
            return 2;
        errno = EIO;
        return -1;
    }
    if (nkfault_sync_delay_ms > 0) {
        struct timespec ts = {
            .tv_sec = (time_t)(nkfault_sync_delay_ms / 1000),
            .tv_nsec = (long)(nkfault_sync_delay_ms % 1000) * 1000000L,
        };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    return 0;
}

static int nkfault_fd_sync(int fd, int (*fn)(int), const char *what)
{
    nkfault_ready();
    if (nkfault_dir_len == 0)
        return fn(fd);
    pthread_mutex_lock(&nkfault_lock);
    const char *path = nkfault_path(fd);
    int rc = nkfault_before_sync(path, what);
    if (rc < 0 || rc == 2) {
        pthread_mutex_unlock(&nkfault_lock);
        return rc < 0 ? -1 : 0;
    }
    int ret = fn(fd);
    int err = errno;
    if (rc == 0 && ret == 0)
        nkfault_log(NKFAULT_REC_SYNCED, path, 0, 0, 0, NULL, 0);
    pthread_mutex_unlock(&nkfault_lock);
    errno = err;
    return ret;
}

int fsync(int fd)
{
    nkfault_ready();
    return nkfault_fd_sync(fd, REAL(fsync), "fsync");
}

int fdatasync(int fd)
{
    nkfault_ready();
    return nkfault_fd_sync(fd, REAL(fdatasync), "fdatasync");
}

void sync(void)
{
    nkfault_ready();
    REAL(sync)();
    if (nkfault_dir_len) {
        pthread_mutex_lock(&nkfault_lock);
        nkfault_log(NKFAULT_REC_SYNCED_ALL, "*", 0, 0, 0, NULL, 0);
        pthread_mutex_unlock(&nkfault_lock);
    }
}

int syncfs(int fd)
{
    nkfault_ready();
    int rc = REAL(syncfs)(fd);
    if (rc == 0 && nkfault_dir_len) {
        pthread_mutex_lock(&nkfault_lock);
        nkfault_log(NKFAULT_REC_SYNCED_ALL, "*", 0, 0, 0, NULL, 0);
        pthread_mutex_unlock(&nkfault_lock);
    }
    return rc;
}

/* The file mapped at addr, from /proc/self/maps, into path; 0 found. */
static int nkfault_map_path(const void *addr, char *path, size_t size)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps",
                          O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    static char buf[1 << 16];
    size_t have = 0;
    int rc = -1;
    for (;;) {
        long n = syscall(SYS_read, fd, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            unsigned long lo, hi;
            int at = 0; /* where the path starts */
            int got = sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at);
            if (got == 2 && at > 0 && (uintptr_t)addr >= lo &&
                (uintptr_t)addr < hi) {
                snprintf(path, size, "%s", line + at);
                rc = 0;
                goto out;
            }
            line = nl + 1;
        }
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
        if (have == sizeof(buf) - 1)
            break; /* a line longer than the buffer */
    }
out:
    syscall(SYS_close, fd);
    return rc;
}

int msync(void *addr, size_t len, int flags)
{
    nkfault_ready();
    char path[PATH_MAX];
    if (nkfault_dir_len == 0 || !(flags & MS_SYNC) ||
        nkfault_map_path(addr, path, sizeof(path)) != 0 ||
        strncmp(path, nkfault_dir, nkfault_dir_len) != 0 ||
        path[nkfault_dir_len] != '/')
        return REAL(msync)(addr, len, flags);
    pthread_mutex_lock(&nkfault_lock);
    int rc = nkfault_before_sync(path, "msync");
    if (rc < 0 || rc == 2) {
        pthread_mutex_unlock(&nkfault_lock);
        return rc < 0 ? -1 : 0;
    }
    int ret = REAL(msync)(addr, len, flags);
    int err = errno;
    if (ret == 0)
        nkfault_log(NKFAULT_REC_SYNCED, path, 0, 0, 0, NULL, 0);
    pthread_mutex_unlock(&nkfault_lock);
    errno = err;
    return ret;
}

/* opens: O_CREAT and O_TMPFILE take a mode */
static bool nkfault_has_mode(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define NKFAULT_MODE(flags, mode)                                              \
    do {                                                                       \
        if (nkfault_has_mode(flags)) {                                         \
            va_list ap_;                                                       \
            va_start(ap_, flags);                                              \
            mode = (mode_t)va_arg(ap_, int);                                   \
            va_end(ap_);                                                       \
        }                                                                      \
    } while (0)

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    NKFAULT_MODE(flags, mode);
    nkfault_ready();
    int fd = REAL(open)(path, flags, mode);
    nkfault_track(fd, flags);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    NKFAULT_MODE(flags, mode);
    nkfault_ready();
    int fd = REAL(open64)(path, flags, mode);
    nkfault_track(fd, flags);
    return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    NKFAULT_MODE(flags, mode);
    nkfault_ready();
    int fd = REAL(openat)(dirfd, path, flags, mode);
    nkfault_track(fd, flags);
    return fd;
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    NKFAULT_MODE(flags, mode);
    nkfault_ready();
    int fd = REAL(openat64)(dirfd, path, flags, mode);
    nkfault_track(fd, flags);
    return fd;
}

int creat(const char *path, mode_t mode)
{
    nkfault_ready();
    int fd = REAL(creat)(path, mode);
    nkfault_track(fd, O_WRONLY | O_CREAT | O_TRUNC);
    return fd;
}

int creat64(const char *path, mode_t mode)
{
    nkfault_ready();
    int fd = REAL(creat64)(path, mode);
    nkfault_track(fd, O_WRONLY | O_CREAT | O_TRUNC);
    return fd;
}

int close(int fd)
{
    nkfault_ready();
    nkfault_untrack(fd);
    return REAL(close)(fd);
}

/* A copy of a descriptor: tracked like the file it names (O_SYNC and
 * O_DSYNC belong to the open file, so F_GETFL of the copy tells). */
static void nkfault_track_copy(int fd)
{
    if (fd >= 0 && nkfault_dir_len)
        nkfault_track(fd, REAL(fcntl)(fd, F_GETFL));
}

int dup(int fd)
{
    nkfault_ready();
    int copy = REAL(dup)(fd);
    nkfault_track_copy(copy);
    return copy;
}

int dup2(int fd, int fd2)
{
    nkfault_ready();
    int copy = REAL(dup2)(fd, fd2);
    nkfault_track_copy(copy);
    return copy;
}

int dup3(int fd, int fd2, int flags)
{
    nkfault_ready();
    int copy = REAL(dup3)(fd, fd2, flags);
    nkfault_track_copy(copy);
    return copy;
}

/* fcntl's third argument is an int or a pointer; like glibc's own
 * wrapper, pass it on as a pointer-sized word. */
#define NKFAULT_FCNTL(f)                                                       \
    do {                                                                       \
        va_list ap_;                                                           \
        va_start(ap_, cmd);                                                    \
        void *arg_ = va_arg(ap_, void *);                                      \
        va_end(ap_);                                                           \
        nkfault_ready();                                                       \
        int rc_ = REAL(f)(fd, cmd, arg_);                                      \
        if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)                          \
            nkfault_track_copy(rc_);                                           \
        return rc_;                                                            \
    } while (0)

int fcntl(int fd, int cmd, ...)
{
    NKFAULT_FCNTL(fcntl);
}

int fcntl64(int fd, int cmd, ...)
{
    NKFAULT_FCNTL(fcntl64);
}
