/*
 * cellmap.c — a batch's working set of records (see cellmap.h).
 *
 * Records live in a growing array; an open-addressing table of indexes
 * (linear probing, power-of-two size, load <= 1/2) finds them by (db,
 * key). Values are separate heap buffers so a pointer returned by
 * cellmap_edit() survives growth of the table.
 */
#include "cellmap.h"

#include "xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct record {
    enum cellmap_db db;
    bool dirty;
    char *key;
    unsigned char *val; /* NULL when absent */
    size_t len;         /* bytes of val in use; 0 = absent */
    size_t cap;         /* bytes allocated for val */
};

struct cellmap {
    cellmap_load_fn load;
    void *ctx;
    struct record *recs;
    size_t n, cap;   /* records in use / allocated */
    uint32_t *slots; /* record index + 1; 0 = empty */
    size_t n_slots;  /* power of two */
};

static uint64_t cellmap_hash(enum cellmap_db db, const char *key)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)db; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
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
    for (size_t i = 0; i < m->n; i++) {
        free(m->recs[i].key);
        free(m->recs[i].val);
    }
    m->n = 0;
    memset(m->slots, 0, m->n_slots * sizeof(*m->slots));
}

void cellmap_destroy(struct cellmap **mp)
{
    struct cellmap *m = mp ? *mp : NULL;
    if (!m)
        return;
    cellmap_reset(m);
    free(m->recs);
    free(m->slots);
    free(m);
    *mp = NULL;
}

size_t cellmap_size(const struct cellmap *m)
{
    return m->n;
}

static void cellmap_rehash(struct cellmap *m)
{
    free(m->slots);
    m->n_slots *= 2;
    m->slots = xcalloc(m->n_slots, sizeof(*m->slots));
    for (size_t i = 0; i < m->n; i++) {
        size_t s =
            cellmap_hash(m->recs[i].db, m->recs[i].key) & (m->n_slots - 1);
        while (m->slots[s])
            s = (s + 1) & (m->n_slots - 1);
        m->slots[s] = (uint32_t)(i + 1);
    }
}

/* The record of (db, key), loading it on first use. */
static int cellmap_find(struct cellmap *m, enum cellmap_db db, const char *key,
                        struct record **out)
{
    size_t klen = strlen(key);
    if (klen == 0 || klen >= CELLMAP_KEY_MAX)
        return -EINVAL;
    size_t s = cellmap_hash(db, key) & (m->n_slots - 1);
    while (m->slots[s]) {
        struct record *r = &m->recs[m->slots[s] - 1];
        if (r->db == db && strcmp(r->key, key) == 0) {
            *out = r;
            return 0;
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
    *r = (struct record){
        .db = db, .key = xstrdup(key), .val = val, .len = len, .cap = len};
    m->slots[s] = (uint32_t)(++m->n);
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
    return strcmp(x->key, y->key);
}

int cellmap_each_dirty(struct cellmap *m, enum cellmap_db db,
                       cellmap_visit_fn fn, void *ctx)
{
    struct record **list = xmalloc((m->n ? m->n : 1) * sizeof(*list));
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->recs[i].dirty && (db == CELLMAP_DB_COUNT || m->recs[i].db == db))
            list[k++] = &m->recs[i];
    if (k)
        qsort(list, k, sizeof(*list), cellmap_cmp);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = fn(ctx, list[i]->db, list[i]->key, list[i]->val, list[i]->len);
    free(list);
    return rc;
}
