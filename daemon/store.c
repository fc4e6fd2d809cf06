/*
 * store.c — LMDB environment, transactions, map growth (see store.h).
 *
 * Keys are the text keys of cellmap.h without their NUL. LMDB return
 * codes are positive errno values or its own negative MDB_* codes; both
 * are passed up as negative numbers that store_strerror() knows.
 */
#include "store.h"

#include "cell.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_MAP_INITIAL (16ULL << 20) /* grows by doubling */
#define STORE_MAP_MIN (1ULL << 20)

static const char *const store_db_names[CELLMAP_DB_COUNT] = {
    [CELLMAP_ENTITIES] = "entities",
    [CELLMAP_CELLS] = "cells",
    [CELLMAP_MEMBERS] = "members",
    [CELLMAP_SEQS] = "seqs",
};

struct store {
    MDB_env *env;
    MDB_dbi dbi[CELLMAP_DB_COUNT];
    MDB_dbi meta;
    uint64_t map_bytes;             /* current map size */
    uint64_t max_bytes;             /* ceiling */
    _Atomic uint64_t committed_seq; /* global sequence of the last commit */
    /* Read transactions (of any thread: the query thread's too) hold it
     * shared, a map growth exclusively: LMDB may resize the map only
     * while no transaction of the process is open. */
    pthread_rwlock_t grow_lock;
    uint64_t resident_max;      /* store_set_resident_max(), 0: none */
    _Atomic uint64_t reads;     /* store_load() and store_put() calls */
    _Atomic uint64_t next_look; /* reads when store_trim() looks again */
    _Atomic int statm_fd;       /* /proc/self/statm, opened once; -1 not yet */
    _Atomic int64_t paged_out;  /* CLOCK_MONOTONIC ns of the last page-out, 0 */
    _Atomic bool no_pageout;    /* the kernel refused MADV_PAGEOUT */
};

struct store_txn {
    struct store *s;
    MDB_txn *txn;
    bool reader;  /* read-only: holds grow_lock shared */
    bool seq_set; /* store_seq_put called */
    uint64_t seq; /* its value */
};

static int store_rc(int rc)
{
    if (rc == 0)
        return 0;
    if (rc == MDB_MAP_FULL)
        return STORE_EMAPFULL;
    return rc > 0 ? -rc : rc;
}

const char *store_strerror(int rc)
{
    switch (rc) {
    case STORE_EMAPFULL:
        return "database map is full";
    case STORE_EFULL:
        return "database reached its configured maximum size";
    case STORE_ESCHEMA:
        return "state directory holds a newer schema version";
    case STORE_EOLDSCHEMA:
        return "state directory holds an older schema version: "
               "nyckeld --rebuild upgrades it";
    default:
        break;
    }
    if (rc >= MDB_KEYEXIST && rc <= MDB_LAST_ERRCODE)
        return mdb_strerror(rc);
    return strerror(-rc);
}

bool store_is_fatal(int rc)
{
    return rc == MDB_PANIC || rc == -EIO || rc == MDB_BAD_TXN;
}

static MDB_val store_key(const char *key)
{
    return (MDB_val){.mv_size = strlen(key), .mv_data = (void *)key};
}

/* A new store gets the current schema; an existing one must have it
 * (or, with old_ok, one --rebuild can upgrade). */
static int store_check_schema(struct store *s, bool old_ok)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc)
        return store_rc(rc);
    MDB_val k = store_key(STORE_SCHEMA_KEY), v;
    uint64_t want = STORE_SCHEMA_VERSION;
    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        v = (MDB_val){.mv_size = sizeof(want), .mv_data = &want};
        rc = mdb_put(txn, s->meta, &k, &v, 0);
    } else if (rc == 0) {
        uint64_t have = 0;
        if (v.mv_size == sizeof(have))
            memcpy(&have, v.mv_data, sizeof(have));
        if (have != want &&
            !(old_ok && have >= STORE_SCHEMA_ENTITIES && have < want)) {
            mdb_txn_abort(txn);
            return have > want ? STORE_ESCHEMA : STORE_EOLDSCHEMA;
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return store_rc(rc);
    }
    return store_rc(mdb_txn_commit(txn));
}

/* Test-only: NYCKEL_TEST_NOSYNC=1 opens the environment with
 * MDB_NOSYNC, so that the power-loss tests can show that they catch a
 * store that acknowledges what is not durable. Never for production. */
static unsigned store_test_flags(void)
{
    const char *v = getenv("NYCKEL_TEST_NOSYNC");
    if (v && strcmp(v, "1") == 0) {
        log_warn("store: NYCKEL_TEST_NOSYNC=1: commits are NOT durable "
                 "(test only)");
        return MDB_NOSYNC;
    }
    return 0;
}

static int store_open_schema(const char *dir, uint64_t max_bytes, bool old_ok,
                             struct store **out)
{
    struct store *s = xcalloc(1, sizeof(*s));
    MDB_txn *txn = NULL;
    int rc;
    pthread_rwlock_init(&s->grow_lock, NULL);
    s->statm_fd = -1;

    if (mkdir(dir, 0700) && errno != EEXIST) {
        rc = -errno;
        goto fail;
    }
    s->max_bytes = max_bytes < STORE_MAP_MIN ? STORE_MAP_MIN : max_bytes;
    s->map_bytes =
        STORE_MAP_INITIAL < s->max_bytes ? STORE_MAP_INITIAL : s->max_bytes;
    if ((rc = mdb_env_create(&s->env)) ||
        (rc = mdb_env_set_maxdbs(s->env, CELLMAP_DB_COUNT + 1)) ||
        (rc = mdb_env_set_mapsize(s->env, s->map_bytes)) ||
        (rc = mdb_env_open(s->env, dir,
                           MDB_NOTLS | MDB_NORDAHEAD | store_test_flags(),
                           0600))) {
        rc = store_rc(rc);
        goto fail;
    }
    /* An existing environment may already be larger than our start. */
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    if (info.me_mapsize > s->map_bytes)
        s->map_bytes = info.me_mapsize;

    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)))
        goto fail_rc;
    for (int i = 0; i < CELLMAP_DB_COUNT; i++)
        if ((rc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE, &s->dbi[i])))
            goto fail_rc;
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) ||
        (rc = mdb_txn_commit(txn))) {
        txn = NULL;
        goto fail_rc;
    }
    txn = NULL;
    if ((rc = store_check_schema(s, old_ok)))
        goto fail;
    struct store_txn *rt;
    uint64_t seq = 0;
    if ((rc = store_txn_begin(s, false, &rt)))
        goto fail;
    rc = store_seq_get(rt, &seq);
    s->committed_seq = seq;
    store_txn_abort(&rt);
    if (rc)
        goto fail;
    *out = s;
    return 0;

fail_rc:
    rc = store_rc(rc);
fail:
    if (txn)
        mdb_txn_abort(txn);
    if (s->env)
        mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->grow_lock);
    free(s);
    return rc;
}

int store_open(const char *dir, uint64_t max_bytes, struct store **out)
{
    return store_open_schema(dir, max_bytes, false, out);
}

int store_open_for_rebuild(const char *dir, uint64_t max_bytes,
                           struct store **out)
{
    return store_open_schema(dir, max_bytes, true, out);
}

void store_close(struct store **sp)
{
    struct store *s = sp ? *sp : NULL;
    if (!s)
        return;
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->grow_lock);
    if (s->statm_fd >= 0)
        close(s->statm_fd);
    free(s);
    *sp = NULL;
}

int store_txn_begin(struct store *s, bool write, struct store_txn **t)
{
    MDB_txn *txn;
    if (!write)
        pthread_rwlock_rdlock(&s->grow_lock);
    int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &txn);
    if (rc) {
        if (!write)
            pthread_rwlock_unlock(&s->grow_lock);
        return store_rc(rc);
    }
    *t = xcalloc(1, sizeof(**t));
    (*t)->s = s;
    (*t)->txn = txn;
    (*t)->reader = !write;
    return 0;
}

int store_txn_commit(struct store_txn **t)
{
    int rc = store_rc(mdb_txn_commit((*t)->txn));
    if (rc == 0 && (*t)->seq_set)
        (*t)->s->committed_seq = (*t)->seq;
    if ((*t)->reader)
        pthread_rwlock_unlock(&(*t)->s->grow_lock);
    free(*t);
    *t = NULL;
    return rc;
}

void store_txn_abort(struct store_txn **t)
{
    if (!t || !*t)
        return;
    mdb_txn_abort((*t)->txn);
    if ((*t)->reader)
        pthread_rwlock_unlock(&(*t)->s->grow_lock);
    free(*t);
    *t = NULL;
}

/* Count a read or put; when a budget is set, look at the resident set
 * once as many have passed as store_trim_below() allowed. The loop says
 * why when a trim fails. */
static void store_count_op(struct store *s)
{
    if (s->resident_max && ++s->reads >= s->next_look)
        (void)store_trim(s);
}

int store_load(void *ctx, enum cellmap_db db, const char *key, void **val,
               size_t *len)
{
    struct store_txn *t = ctx;
    MDB_val k = store_key(key), v;
    store_count_op(t->s);
    int rc = mdb_get(t->txn, t->s->dbi[db], &k, &v);
    if (rc == MDB_NOTFOUND)
        return 1;
    if (rc)
        return store_rc(rc);
    *val = xmalloc(v.mv_size);
    memcpy(*val, v.mv_data, v.mv_size);
    *len = v.mv_size;
    return 0;
}

int store_put(struct store_txn *t, enum cellmap_db db, const char *key,
              const void *val, size_t len)
{
    MDB_val k = store_key(key);
    store_count_op(t->s); /* a put reads its way down the tree */
    if (len == 0) {
        int rc = mdb_del(t->txn, t->s->dbi[db], &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : store_rc(rc);
    }
    MDB_val v = {.mv_size = len, .mv_data = (void *)val};
    return store_rc(mdb_put(t->txn, t->s->dbi[db], &k, &v, 0));
}

int store_meta_get(struct store_txn *t, const char *name, uint64_t *v,
                   bool *found)
{
    MDB_val k = store_key(name), val;
    int rc = mdb_get(t->txn, t->s->meta, &k, &val);
    *v = 0;
    *found = false;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return store_rc(rc);
    if (val.mv_size != sizeof(*v))
        return -EPROTO;
    memcpy(v, val.mv_data, sizeof(*v));
    *found = true;
    return 0;
}

int store_meta_put(struct store_txn *t, const char *name, uint64_t v)
{
    MDB_val k = store_key(name);
    MDB_val val = {.mv_size = sizeof(v), .mv_data = &v};
    return store_rc(mdb_put(t->txn, t->s->meta, &k, &val, 0));
}

int store_seq_get(struct store_txn *t, uint64_t *seq)
{
    bool found;
    return store_meta_get(t, "seq", seq, &found);
}

int store_seq_put(struct store_txn *t, uint64_t seq)
{
    int rc = store_meta_put(t, "seq", seq);
    if (rc == 0) {
        t->seq_set = true;
        t->seq = seq;
    }
    return rc;
}

/* Where key's group ends: the length up to and with its parts-th '/',
 * or 0 when it has fewer. */
static size_t store_group_len(const char *key, size_t klen, int parts)
{
    for (size_t i = 0; i < klen; i++)
        if (key[i] == '/' && --parts == 0)
            return i + 1;
    return 0;
}

/* store_scan_sub(), and with sub NULL store_scan(): every key under
 * prefix. */
static int store_scan_keys(struct store_txn *t, enum cellmap_db db,
                           const char *prefix, int parts, const char *sub,
                           store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &cur);
    if (rc)
        return store_rc(rc);
    size_t plen = strlen(prefix), slen = sub ? strlen(sub) : 0;
    char seek[CELL_KEY_MAX + CELL_SLICE_MAX];
    MDB_val k = store_key(prefix), v;
    MDB_cursor_op op = plen ? MDB_SET_RANGE : MDB_FIRST;
    int fn_rc = 0;
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
        const char *key = k.mv_data;
        if (k.mv_size < plen || memcmp(key, prefix, plen) != 0)
            break;
        op = MDB_NEXT;
        if (!sub) {
            if ((fn_rc = fn(ctx, key, k.mv_size, v.mv_data, v.mv_size)))
                break;
            continue;
        }
        size_t g = store_group_len(key, k.mv_size, parts);
        if (g == 0)
            continue;
        size_t rest = k.mv_size - g;
        int cmp = memcmp(key + g, sub, rest < slen ? rest : slen);
        if (cmp == 0 && rest >= slen) {
            if ((fn_rc = fn(ctx, key, k.mv_size, v.mv_data, v.mv_size)))
                break;
            continue;
        }
        if (g + slen >= sizeof(seek))
            continue; /* cannot seek: walk */
        memcpy(seek, key, g);
        if (cmp < 0 || (cmp == 0 && rest < slen)) {
            memcpy(seek + g, sub, slen); /* before sub: to it */
            k.mv_size = g + slen;
        } else {
            seek[g - 1] = '/' + 1; /* past it: past the group */
            k.mv_size = g;
        }
        k.mv_data = seek;
        op = MDB_SET_RANGE;
    }
    mdb_cursor_close(cur);
    if (fn_rc)
        return fn_rc;
    return rc == MDB_NOTFOUND ? 0 : store_rc(rc);
}

int store_scan(struct store_txn *t, enum cellmap_db db, const char *prefix,
               store_scan_fn fn, void *ctx)
{
    return store_scan_keys(t, db, prefix, 0, NULL, fn, ctx);
}

int store_scan_sub(struct store_txn *t, enum cellmap_db db, const char *prefix,
                   int parts, const char *sub, store_scan_fn fn, void *ctx)
{
    return store_scan_keys(t, db, prefix, parts, sub, fn, ctx);
}

/* store_flush()'s state: a cursor per database, opened at its first
 * record. */
struct store_flush {
    struct store_txn *t;
    MDB_cursor *cur[CELLMAP_DB_COUNT];
};

static int store_flush_one(void *ctx, enum cellmap_db db, const char *key,
                           const void *val, size_t len)
{
    struct store_flush *f = ctx;
    struct store_txn *t = f->t;
    if (db == CELLMAP_CELLS && cell_is_zero(val, len))
        len = 0; /* an all-zero cell is not stored */
    store_count_op(t->s);
    int rc;
    if (!f->cur[db] &&
        (rc = mdb_cursor_open(t->txn, t->s->dbi[db], &f->cur[db])))
        return store_rc(rc);
    MDB_val k = store_key(key);
    if (len == 0) {
        rc = mdb_cursor_get(f->cur[db], &k, NULL, MDB_SET);
        if (rc == 0)
            rc = mdb_cursor_del(f->cur[db], 0);
        return rc == MDB_NOTFOUND ? 0 : store_rc(rc);
    }
    MDB_val v = {.mv_size = len, .mv_data = (void *)val};
    return store_rc(mdb_cursor_put(f->cur[db], &k, &v, 0));
}

/* The records come in key order, so the cursor is mostly on the right
 * leaf already and LMDB skips the walk down from the root. */
int store_flush(struct store_txn *t, struct cellmap *cm)
{
    struct store_flush f = {.t = t};
    int rc = cellmap_each_dirty(cm, CELLMAP_DB_COUNT, store_flush_one, &f);
    for (int db = 0; db < CELLMAP_DB_COUNT; db++)
        if (f.cur[db])
            mdb_cursor_close(f.cur[db]);
    return rc;
}

int store_backup(struct store *s, const char *dir)
{
    if (mkdir(dir, 0700) && errno != EEXIST)
        return -errno;
    return store_rc(mdb_env_copy2(s->env, dir, MDB_CP_COMPACT));
}

int store_clear(struct store_txn *t, enum cellmap_db db)
{
    return store_rc(mdb_drop(t->txn, t->s->dbi[db], 0));
}

int store_grow(struct store *s)
{
    if (s->map_bytes >= s->max_bytes)
        return STORE_EFULL;
    uint64_t next = s->map_bytes * 2;
    if (next > s->max_bytes)
        next = s->max_bytes;
    uint64_t before = s->map_bytes;
    pthread_rwlock_wrlock(&s->grow_lock);
    int rc = mdb_env_set_mapsize(s->env, next);
    if (rc == 0)
        s->map_bytes = next;
    pthread_rwlock_unlock(&s->grow_lock);
    if (rc)
        return store_rc(rc);
    log_info("store: map grown from %llu to %llu MiB",
             (unsigned long long)(before >> 20),
             (unsigned long long)(next >> 20));
    return 0;
}

uint64_t store_committed_seq(const struct store *s)
{
    return s->committed_seq;
}

uint64_t store_map_bytes(const struct store *s)
{
    return s->map_bytes;
}

/* The address range [*lo, *hi) this process maps the data file at: the
 * line of /proc/self/maps with the file's inode (LMDB does not say where
 * its map is; mdb_env_info's address is that of a fixed map only). 0, or
 * -ENOENT / -errno. */
static int store_map_range(struct store *s, uintptr_t *lo, uintptr_t *hi)
{
    mdb_filehandle_t fd;
    struct stat st;
    int rc = mdb_env_get_fd(s->env, &fd);
    if (rc)
        return store_rc(rc);
    if (fstat(fd, &st))
        return -errno;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -errno;
    char line[512];
    rc = -ENOENT;
    while (rc && fgets(line, sizeof(line), f)) {
        unsigned long a, b, inode;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &a, &b, &inode) == 3 &&
            inode == (unsigned long)st.st_ino) {
            *lo = (uintptr_t)a;
            *hi = (uintptr_t)b;
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

void store_set_resident_max(struct store *s, uint64_t bytes)
{
    s->resident_max = bytes;
}

int store_trim(struct store *s)
{
    return store_trim_below(s, s->resident_max);
}

/* How a trim gives the map's pages up: MADV_PAGEOUT when none has for
 * STORE_PAGEOUT_EVERY (the first trim too), else MADV_DONTNEED. Claimed
 * by one thread when two trim at once. */
static int store_trim_advice(struct store *s)
{
    struct timespec ts;
    if (atomic_load(&s->no_pageout) || clock_gettime(CLOCK_MONOTONIC, &ts))
        return MADV_DONTNEED;
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    int64_t last = atomic_load(&s->paged_out);
    if (last && now - last < STORE_PAGEOUT_EVERY)
        return MADV_DONTNEED;
    return atomic_compare_exchange_strong(&s->paged_out, &last, now)
               ? MADV_PAGEOUT
               : MADV_DONTNEED;
}

int store_trim_below(struct store *s, uint64_t budget)
{
    if (!budget)
        return 0;
    /* kept open and read with pread: a look every 256 operations was
     * three system calls and a FILE each (16 000 in a 96 000-event
     * backfill). Opened by whichever thread comes first. */
    int fd = s->statm_fd;
    if (fd < 0) {
        int mine = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        if (mine < 0)
            return -errno;
        int none = -1;
        if (atomic_compare_exchange_strong(&s->statm_fd, &none, mine))
            fd = mine;
        else {
            close(mine);
            fd = none; /* the other thread's */
        }
    }
    char buf[128];
    ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
    if (got < 0)
        return -errno;
    buf[got] = '\0';
    unsigned long v[3];
    char *p = buf, *end;
    for (int i = 0; i < 3; i++, p = end) {
        errno = 0;
        v[i] = strtoul(p, &end, 10);
        if (end == p || errno)
            return -EPROTO;
    }
    long page = sysconf(_SC_PAGESIZE);
    uint64_t psize = (uint64_t)(page > 0 ? page : 4096);
    uint64_t file = (uint64_t)v[2] * psize;
    uint64_t own = v[1] > v[2] ? (uint64_t)(v[1] - v[2]) * psize : 0;
    uint64_t limit = budget;
    if (own > STORE_OWN_MEMORY) { /* the map gets what the heap leaves */
        uint64_t excess = own - STORE_OWN_MEMORY;
        uint64_t floor = budget < STORE_MAP_FLOOR ? budget : STORE_MAP_FLOOR;
        limit = budget > excess + floor ? budget - excess : floor;
    }
    /* the next look: sooner the nearer the limit (after a trim, the
     * whole limit is room) */
    uint64_t room = file <= limit ? limit - file : limit;
    uint64_t ops = room / STORE_MAP_PER_OP;
    if (ops < STORE_TRIM_READS_MIN)
        ops = STORE_TRIM_READS_MIN;
    if (ops > STORE_TRIM_READS)
        ops = STORE_TRIM_READS;
    s->next_look = s->reads + ops;
    if (file <= limit)
        return 0;
    int advice = store_trim_advice(s);
    uintptr_t lo = 0, hi = 0;
    pthread_rwlock_rdlock(&s->grow_lock); /* no remap meanwhile */
    int rc = store_map_range(s, &lo, &hi);
    if (rc == 0 && advice == MADV_PAGEOUT &&
        madvise((void *)lo, hi - lo, MADV_PAGEOUT)) {
        if (errno == EINVAL || errno == EPERM) /* an older kernel */
            atomic_store(&s->no_pageout, true);
        advice = MADV_DONTNEED; /* this time at least */
    }
    if (rc == 0 && advice == MADV_DONTNEED &&
        madvise((void *)lo, hi - lo, MADV_DONTNEED))
        rc = -errno;
    pthread_rwlock_unlock(&s->grow_lock);
    return rc ? rc : advice == MADV_PAGEOUT ? 2 : 1;
}

int store_usage(struct store *s, struct store_usage *u)
{
    MDB_envinfo info;
    MDB_stat st;
    pthread_rwlock_rdlock(&s->grow_lock); /* the map's size may change */
    int rc = mdb_env_info(s->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(s->env, &st);
    pthread_rwlock_unlock(&s->grow_lock);
    if (rc)
        return store_rc(rc);
    u->map_bytes = info.me_mapsize;
    u->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    u->max_bytes = s->max_bytes;
    return 0;
}
