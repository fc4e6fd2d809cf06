/*
 * cellmap.c — a batch's working set of records (see cellmap.h).
 *
 * Records live in a growing array; an open-addressing table of indexes
 * (linear probing, power-of-two size, load <= 1/2) finds them by (db,
 * key). Values are separate heap buffers so a pointer returned by
 * cellmap_edit() survives growth of the table.
 */
#include "cellmap.h"

#include "hash.h"
#include "xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct record {
    enum cellmap_db db;
    bool dirty;
    uint32_t hash;      /* low bits of cellmap_hash(): compared first */
    uint32_t klen;      /* strlen(key) */
    char *key;          /* in the map's key arena */
    unsigned char *val; /* NULL when absent */
    size_t len;         /* bytes of val in use; 0 = absent */
    size_t cap;         /* bytes allocated for val */
};

/* Keys are copied into arena blocks, freed together on reset: a batch
 * touches tens of thousands of keys, one malloc each was a tenth of its
 * time. */
#define CELLMAP_ARENA_BLOCK 65536

struct arena_block {
    struct arena_block *next; /* older block */
    size_t used;              /* bytes of data in use */
    char data[];              /* CELLMAP_ARENA_BLOCK bytes */
};

/* A table entry carries the hash so that probing past other keys does
 * not touch their records (a cache miss each). */
struct slot {
    uint32_t idx;  /* record index + 1; 0 = empty */
    uint32_t hash; /* the record's hash */
};

struct cellmap {
    cellmap_load_fn load;
    void *ctx;
    struct arena_block *keys; /* newest block first */
    struct record *recs;
    size_t n, cap;      /* records in use / allocated */
    struct slot *slots; /* n_slots of them */
    size_t n_slots;     /* power of two */
    void *memo;         /* cellmap_set_memo(), NULL once a cell changes */
};

/* hash_bytes() with the db as its seed: byte-wise FNV-1a had been half
 * of every lookup (a multiply's latency per byte of a 30-byte key). */
static uint64_t cellmap_hash(enum cellmap_db db, const char *key, size_t len)
{
    return hash_bytes((uint64_t)db, key, len);
}

/* A copy of key[0..len) and its NUL in the arena. */
static char *cellmap_key_copy(struct cellmap *m, const char *key, size_t len)
{
    struct arena_block *b = m->keys;
    if (!b || b->used + len + 1 > CELLMAP_ARENA_BLOCK) {
        b = xmalloc(sizeof(*b) + CELLMAP_ARENA_BLOCK);
        b->next = m->keys;
        b->used = 0;
        m->keys = b;
    }
    char *out = b->data + b->used;
    memcpy(out, key, len);
    out[len] = '\0';
    b->used += len + 1;
    return out;
}

struct cellmap *cellmap_new(cellmap_load_fn load, void *ctx)
{
    struct cellmap *m = xcalloc(1, sizeof(*m));
    m->load = load;
    m->ctx = ctx;
    m->n_slots = 1024;
    m->slots = xcalloc(m->n_slots, sizeof(*m->slots));
    return m;
}

void cellmap_reset(struct cellmap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->recs[i].val);
    /* keep the newest key block for the next batch */
    struct arena_block *b = m->keys ? m->keys->next : NULL;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    if (m->keys) {
        m->keys->next = NULL;
        m->keys->used = 0;
    }
    m->n = 0;
    memset(m->slots, 0, m->n_slots * sizeof(*m->slots));
    m->memo = NULL;
}

void cellmap_set_memo(struct cellmap *m, void *memo)
{
    m->memo = memo;
}

void *cellmap_memo(const struct cellmap *m)
{
    return m->memo;
}

void cellmap_destroy(struct cellmap **mp)
{
    struct cellmap *m = mp ? *mp : NULL;
    if (!m)
        return;
    cellmap_reset(m);
    free(m->keys);
    free(m->recs);
    free(m->slots);
    free(m);
    *mp = NULL;
}

static void cellmap_rehash(struct cellmap *m)
{
    free(m->slots);
    m->n_slots *= 2;
    m->slots = xcalloc(m->n_slots, sizeof(*m->slots));
    for (size_t i = 0; i < m->n; i++) {
        size_t s = m->recs[i].hash & (m->n_slots - 1);
        while (m->slots[s].idx)
            s = (s + 1) & (m->n_slots - 1);
        m->slots[s] = (struct slot){(uint32_t)(i + 1), m->recs[i].hash};
    }
}

/* The record of (db, key), loading it on first use. */
static int cellmap_find(struct cellmap *m, enum cellmap_db db, const char *key,
                        struct record **out)
{
    size_t klen = strlen(key);
    if (klen == 0 || klen >= CELLMAP_KEY_MAX)
        return -EINVAL;
    uint32_t hash = (uint32_t)cellmap_hash(db, key, klen);
    size_t s = hash & (m->n_slots - 1);
    while (m->slots[s].idx) {
        if (m->slots[s].hash == hash) {
            struct record *r = &m->recs[m->slots[s].idx - 1];
            if (r->klen == klen && r->db == db &&
                memcmp(r->key, key, klen) == 0) {
                *out = r;
                return 0;
            }
        }
        s = (s + 1) & (m->n_slots - 1);
    }
    void *val = NULL;
    size_t len = 0;
    if (m->load) {
        int rc = m->load(m->ctx, db, key, &val, &len);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            val = NULL;
            len = 0;
        }
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->recs = xrealloc(m->recs, m->cap * sizeof(*m->recs));
    }
    struct record *r = &m->recs[m->n];
    *r = (struct record){.db = db,
                         .hash = hash,
                         .klen = (uint32_t)klen,
                         .key = cellmap_key_copy(m, key, klen),
                         .val = val,
                         .len = len,
                         .cap = len};
    m->slots[s] = (struct slot){(uint32_t)(++m->n), hash};
    if (m->n * 2 > m->n_slots)
        cellmap_rehash(m);
    *out = &m->recs[m->n - 1];
    return 0;
}

int cellmap_get(struct cellmap *m, enum cellmap_db db, const char *key,
                const void **val, size_t *len)
{
    struct record *r;
    int rc = cellmap_find(m, db, key, &r);
    if (rc)
        return rc;
    *val = r->val;
    *len = r->len;
    return 0;
}

void *cellmap_edit(struct cellmap *m, enum cellmap_db db, const char *key,
                   size_t min_len, size_t *len, int *err)
{
    struct record *r;
    int rc = cellmap_find(m, db, key, &r);
    if (rc) {
        *err = rc;
        return NULL;
    }
    if (db == CELLMAP_CELLS)
        m->memo = NULL;
    if (r->cap < min_len) {
        r->val = xrealloc(r->val, min_len);
        r->cap = min_len;
    }
    if (r->len < min_len) {
        memset(r->val + r->len, 0, min_len - r->len);
        r->len = min_len;
    }
    r->dirty = true;
    *len = r->len;
    *err = 0;
    return r->val;
}

int cellmap_put(struct cellmap *m, enum cellmap_db db, const char *key,
                const void *val, size_t len)
{
    struct record *r;
    int rc = cellmap_find(m, db, key, &r);
    if (rc)
        return rc;
    if (db == CELLMAP_CELLS)
        m->memo = NULL;
    if (r->cap < len) {
        r->val = xrealloc(r->val, len);
        r->cap = len;
    }
    if (len)
        memcpy(r->val, val, len);
    r->len = len;
    r->dirty = true;
    return 0;
}

static int cellmap_cmp(const void *a, const void *b)
{
    const struct record *x = *(const struct record *const *)a;
    const struct record *y = *(const struct record *const *)b;
    if (x->db != y->db)
        return x->db < y->db ? -1 : 1;
    /* strcmp order, with the lengths known */
    int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static bool cellmap_visits(const struct record *r, enum cellmap_db db)
{
    return r->dirty && (db == CELLMAP_DB_COUNT || r->db == db);
}

int cellmap_each_dirty_unordered(struct cellmap *m, enum cellmap_db db,
                                 cellmap_visit_fn fn, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const struct record *r = &m->recs[i];
        if (cellmap_visits(r, db))
            rc = fn(ctx, r->db, r->key, r->val, r->len);
    }
    return rc;
}

int cellmap_each_dirty(struct cellmap *m, enum cellmap_db db,
                       cellmap_visit_fn fn, void *ctx)
{
    struct record **list = xmalloc((m->n ? m->n : 1) * sizeof(*list));
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (cellmap_visits(&m->recs[i], db))
            list[k++] = &m->recs[i];
    if (k)
        qsort(list, k, sizeof(*list), cellmap_cmp);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = fn(ctx, list[i]->db, list[i]->key, list[i]->val, list[i]->len);
    free(list);
    return rc;
}
