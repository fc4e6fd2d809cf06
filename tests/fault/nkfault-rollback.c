/*
 * nkfault-rollback.c — turn a SIGKILL into a power cut: apply the undo
 * log that the nkfault LD_PRELOAD layer wrote (see nkfault.c), then
 * empty it. Test-only.
 *
 * For each file, the undo records written after its last sync are
 * applied newest first (bytes and size restored), except for ranges
 * that a later write through an O_SYNC/O_DSYNC descriptor made durable.
 * What is left is what a disk would hold had the power gone at the
 * moment of the kill and the kernel written back nothing since.
 *
 * With --keep PCT --seed N the kernel is assumed to have written back
 * some of the dirty pages, in any order: each 4 KiB page written since
 * the file's last sync keeps its newest content with probability PCT %
 * (a deterministic choice per seed, file and page), else it reverts.
 * A correct store survives both.
 *
 * Usage: nkfault-rollback [--keep PCT] [--seed N] UNDO-LOG
 * Exit status 0 done (also for an empty or missing log), 1 failure,
 * 2 usage. One summary line goes to standard output.
 */
#include "nkfault.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "nkfault-rollback"
#define ROLLBACK_PAGE 4096u           /* write-back granularity, bytes */
#define ROLLBACK_LOG_MAX (1ULL << 32) /* bytes of undo log read */

struct rec {
    uint32_t type;       /* enum nkfault_rec_type */
    uint64_t offset;     /* bytes */
    uint64_t span;       /* bytes written */
    uint64_t len;        /* bytes of saved data */
    uint64_t prev_size;  /* bytes */
    const uint8_t *data; /* len bytes, in the log buffer */
    int file;            /* index into files[], -1 for "every file" */
};

struct range {
    uint64_t lo, hi; /* [lo, hi) bytes */
};

struct file {
    char *path;          /* NUL-terminated copy */
    long cut;            /* index of its last sync, -1: none */
    struct range *masks; /* durable ranges after cut, seen so far */
    size_t n_masks, cap_masks;
    bool touched;       /* some undo record applied */
    uint64_t base_size; /* prev_size of the earliest undo after cut */
    uint64_t kept_end;  /* bytes: end of the kept pages' data */
    uint64_t cur_size;  /* bytes: size before the rollback */
    int fd;             /* open while rolling back, else -1 */
};

static struct file *files;
static size_t n_files, cap_files;
static unsigned keep_pct;  /* 0..100 */
static uint64_t keep_seed; /* for the page choice */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, PROG ": out of memory\n");
        exit(1);
    }
    return q;
}

static int file_index(const char *path, size_t len)
{
    for (size_t i = 0; i < n_files; i++)
        if (strlen(files[i].path) == len && !memcmp(files[i].path, path, len))
            return (int)i;
    if (n_files == cap_files) {
        cap_files = cap_files ? 2 * cap_files : 8;
        files = xrealloc(files, cap_files * sizeof(*files));
    }
    struct file *f = &files[n_files];
    *f = (struct file){.cut = -1, .fd = -1};
    f->path = xrealloc(NULL, len + 1);
    memcpy(f->path, path, len);
    f->path[len] = '\0';
    return (int)n_files++;
}

/* Read the whole log; parse its complete records into *out. */
static int read_log(const char *name, uint8_t **buf, struct rec **out,
                    size_t *n_out, bool *torn)
{
    *buf = NULL;
    *out = NULL;
    *n_out = 0;
    *torn = false;
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if ((uint64_t)st.st_size > ROLLBACK_LOG_MAX) {
        close(fd);
        return -EFBIG;
    }
    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *b = xrealloc(NULL, size);
    while (got < size) {
        ssize_t n = read(fd, b + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    size = got;

    struct rec *recs = NULL;
    size_t n = 0, cap = 0, pos = 0;
    while (pos < size) {
        struct nkfault_rec h;
        if (size - pos < sizeof(h)) {
            *torn = true;
            break;
        }
        memcpy(&h, b + pos, sizeof(h));
        if (h.magic != NKFAULT_MAGIC || h.type < NKFAULT_REC_UNDO ||
            h.type > NKFAULT_REC_SYNCED_ALL || h.path_len == 0 ||
            h.path_len > NKFAULT_PATH_MAX || h.len > h.span) {
            *torn = true; /* not ours, or cut short and then appended to */
            break;
        }
        uint64_t need = sizeof(h) + (uint64_t)h.path_len + h.len;
        if (size - pos < need) {
            *torn = true; /* the writer was killed while appending it */
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            recs = xrealloc(recs, cap * sizeof(*recs));
        }
        const char *path = (const char *)b + pos + sizeof(h);
        recs[n] = (struct rec){
            .type = h.type,
            .offset = h.offset,
            .span = h.span,
            .len = h.len,
            .prev_size = h.prev_size,
            .data = b + pos + sizeof(h) + h.path_len,
            .file = h.type == NKFAULT_REC_SYNCED_ALL
                        ? -1
                        : file_index(path, h.path_len),
        };
        n++;
        pos += (size_t)need;
    }
    *buf = b;
    *out = recs;
    *n_out = n;
    return 0;
}

/* splitmix64: the page choice, stable across runs and platforms */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static bool page_kept(int file, uint64_t page)
{
    if (keep_pct == 0)
        return false;
    uint64_t h = keep_seed;
    for (const char *p = files[file].path; *p; p++)
        h = mix(h ^ (uint8_t)*p);
    return mix(h ^ page) % 100 < keep_pct;
}

static int pwrite_all(int fd, const uint8_t *p, uint64_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, (size_t)n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        p += w;
        n -= (uint64_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Restore [lo, hi) of the record's saved bytes minus the durable
 * ranges. */
static int restore(struct file *f, const struct rec *r, uint64_t lo,
                   uint64_t hi, uint64_t *bytes)
{
    while (lo < hi) {
        uint64_t end = hi;
        bool skip = false;
        for (size_t m = 0; m < f->n_masks; m++) {
            const struct range *g = &f->masks[m];
            if (g->lo <= lo && lo < g->hi) {
                skip = true; /* durable: leave it */
                end = g->hi < hi ? g->hi : hi;
                break;
            }
            if (g->lo > lo && g->lo < end)
                end = g->lo;
        }
        if (!skip) {
            int rc =
                pwrite_all(f->fd, r->data + (lo - r->offset), end - lo, lo);
            if (rc)
                return rc;
            *bytes += end - lo;
        }
        lo = end;
    }
    return 0;
}

/* One undo record, page by page. */
static int undo(struct file *f, int idx, const struct rec *r, uint64_t *bytes,
                uint64_t *kept)
{
    f->base_size = r->prev_size; /* newest first: ends at the earliest */
    f->touched = true;
    uint64_t lo = r->offset, end = r->offset + r->span;
    while (lo < end) {
        uint64_t page = lo / ROLLBACK_PAGE;
        uint64_t hi = (page + 1) * ROLLBACK_PAGE;
        if (hi > end)
            hi = end;
        if (page_kept(idx, page)) {
            /* newest content stays, and so does the size it needs */
            uint64_t e = hi < f->cur_size ? hi : f->cur_size;
            if (e > f->kept_end)
                f->kept_end = e;
            (*kept)++;
        } else {
            uint64_t dhi = r->offset + r->len; /* saved bytes end here */
            if (lo < dhi) {
                int rc = restore(f, r, lo, hi < dhi ? hi : dhi, bytes);
                if (rc)
                    return rc;
            }
        }
        lo = hi;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: " PROG " [--keep PCT] [--seed N] UNDO-LOG\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *log_name = NULL;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--keep") && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v > 100)
                return usage();
            keep_pct = (unsigned)v;
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            keep_seed = strtoull(argv[++i], &end, 10);
            if (*end)
                return usage();
        } else if (argv[i][0] == '-' || log_name) {
            return usage();
        } else {
            log_name = argv[i];
        }
    }
    if (!log_name)
        return usage();

    uint8_t *buf;
    struct rec *recs;
    size_t n;
    bool torn;
    int rc = read_log(log_name, &buf, &recs, &n, &torn);
    if (rc) {
        fprintf(stderr, PROG ": %s: %s\n", log_name, strerror(-rc));
        return 1;
    }

    /* each file's last sync */
    long all_cut = -1;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].type == NKFAULT_REC_SYNCED)
            files[recs[i].file].cut = (long)i;
        else if (recs[i].type == NKFAULT_REC_SYNCED_ALL)
            all_cut = (long)i;
    }
    for (size_t f = 0; f < n_files; f++)
        if (files[f].cut < all_cut)
            files[f].cut = all_cut;

    uint64_t undone = 0, bytes = 0, kept = 0, missing = 0;
    for (size_t i = n; i-- > 0;) {
        const struct rec *r = &recs[i];
        if (r->file < 0)
            continue;
        struct file *f = &files[r->file];
        if ((long)i <= f->cut)
            continue;
        if (r->type == NKFAULT_REC_DURABLE) {
            if (f->n_masks == f->cap_masks) {
                f->cap_masks = f->cap_masks ? 2 * f->cap_masks : 8;
                f->masks = xrealloc(f->masks, f->cap_masks * sizeof(*f->masks));
            }
            f->masks[f->n_masks++] =
                (struct range){r->offset, r->offset + r->span};
            continue;
        }
        if (r->type != NKFAULT_REC_UNDO)
            continue;
        if (f->fd < 0) {
            f->fd = open(f->path, O_RDWR | O_CLOEXEC);
            if (f->fd < 0) {
                if (errno == ENOENT) {
                    missing++;
                    f->cut = (long)n; /* gone: nothing to restore */
                    continue;
                }
                fprintf(stderr, PROG ": %s: %s\n", f->path, strerror(errno));
                return 1;
            }
            struct stat st;
            if (fstat(f->fd, &st) != 0) {
                fprintf(stderr, PROG ": %s: %s\n", f->path, strerror(errno));
                return 1;
            }
            f->cur_size = (uint64_t)st.st_size;
        }
        if ((rc = undo(f, r->file, r, &bytes, &kept))) {
            fprintf(stderr, PROG ": %s: %s\n", f->path, strerror(-rc));
            return 1;
        }
        undone++;
    }

    size_t touched = 0;
    for (size_t i = 0; i < n_files; i++) {
        struct file *f = &files[i];
        if (f->fd < 0)
            continue;
        if (f->touched) {
            uint64_t size = f->base_size;
            if (f->kept_end > size)
                size = f->kept_end;
            for (size_t m = 0; m < f->n_masks; m++)
                if (f->masks[m].hi > size)
                    size = f->masks[m].hi;
            if (ftruncate(f->fd, (off_t)size) != 0) {
                fprintf(stderr, PROG ": %s: truncate: %s\n", f->path,
                        strerror(errno));
                return 1;
            }
            touched++;
        }
        if (fsync(f->fd) != 0 || close(f->fd) != 0) {
            fprintf(stderr, PROG ": %s: %s\n", f->path, strerror(errno));
            return 1;
        }
        f->fd = -1;
    }
    if (truncate(log_name, 0) != 0 && errno != ENOENT) {
        fprintf(stderr, PROG ": %s: empty: %s\n", log_name, strerror(errno));
        return 1;
    }
    printf(PROG ": %" PRIu64 " unsynced writes undone in %zu files "
                "(%" PRIu64 " bytes restored",
           undone, touched, bytes);
    if (keep_pct)
        printf(", %" PRIu64 " pages kept at %u %%", kept, keep_pct);
    printf(")%s%s\n", torn ? "; torn last record ignored" : "",
           missing ? "; missing files skipped" : "");
    for (size_t i = 0; i < n_files; i++) {
        free(files[i].path);
        free(files[i].masks);
    }
    free(files);
    free(recs);
    free(buf);
    return 0;
}
