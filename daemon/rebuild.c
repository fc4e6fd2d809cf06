/*
 * rebuild.c — recompute, compare or replace every aggregate from the
 * stored entities (see rebuild.h).
 *
 * The recompute applies every stored, non-deleted entity once, in key
 * order, to an in-memory cellmap with nothing behind it — the same
 * agg_apply() as ingestion, so incremental and recomputed records are
 * byte-identical when all is well.
 */
#include "rebuild.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cell.h"
#include "codec.h"
#include "entity.h"
#include "log.h"
#include "publish.h"
#include "validate.h"

#define REBUILD_PROGRESS_EVERY 10000
#define REBUILD_SHOW_MAX 50     /* differences printed in full */

struct rebuild {
    struct cellmap *cm;     /* recomputed records */
    int32_t as_of;
    bool tty;
    FILE *out;
    struct rebuild_report *r;
    struct store_txn *t;
    uint64_t schema; /* the store's, before this rebuild */
};

static int rebuild_entity(void *ctx, const char *key, size_t klen,
                          const void *val, size_t len)
{
    struct rebuild *b = ctx;
    uint64_t rev;
    bool deleted;
    const void *raw;
    size_t raw_len;
    int rc = entity_record_decode(val, len, &rev, &deleted, &raw, &raw_len);
    b->r->entities++;
    if (b->tty && b->r->entities % REBUILD_PROGRESS_EVERY == 0)
        fprintf(stderr, "\rnyckeld: %llu entities read",
                (unsigned long long)b->r->entities);
    if (rc == 0 && deleted) {
        b->r->tombstones++;
        return 0;
    }
    struct event_in in;
    struct event ev;
    char text[VALIDATE_TEXT_MAX];
    void *msg = NULL;
    if (rc == 0)
        rc = codec_event_decode(raw, raw_len, &in, &msg);
    if (rc == 0 && validate_event(&in, &ev, text) != REASON_OK)
        rc = -EPROTO;
    if (rc == 0)
        rc = agg_apply(b->cm, &ev, +1, b->as_of);
    codec_event_free(&msg);
    if (rc)
        log_error("rebuild: entity %.*s: %s", (int)klen, key,
                  store_strerror(rc));
    return rc;
}

/* A record as the store would keep it: absent when empty or an all-zero
 * cell. */
static bool rebuild_present(enum cellmap_db db, const void *val, size_t len)
{
    return len && !(db == CELLMAP_CELLS && cell_is_zero(val, len));
}

static void rebuild_show(struct rebuild *b, enum cellmap_db db,
                         const char *key, size_t klen, const char *what)
{
    char shown[CELLMAP_KEY_MAX];
    b->r->differences++;
    if (klen >= sizeof(shown))
        klen = sizeof(shown) - 1;
    /* the 0x1F between a member's subject and slice (agg_member_key())
     * or in an entity key, shown */
    for (size_t i = 0; i < klen; i++)
        shown[i] = key[i] == '\x1f' ? '|' : key[i];
    if (b->r->differences <= REBUILD_SHOW_MAX)
        fprintf(b->out, "verify: %s %.*s: %s\n",
                db == CELLMAP_CELLS ? "cell" : "member", (int)klen, shown,
                what);
    else if (b->r->differences == REBUILD_SHOW_MAX + 1)
        fprintf(b->out, "verify: more differences not shown\n");
}

struct rebuild_cmp {
    struct rebuild *b;
    enum cellmap_db db;
};

/* A stored record against the recomputed one. */
static int rebuild_cmp_stored(void *ctx, const char *key, size_t klen,
                              const void *val, size_t len)
{
    struct rebuild_cmp *c = ctx;
    char k[CELLMAP_KEY_MAX];
    const void *want;
    size_t want_len;
    if (klen >= sizeof(k)) {
        rebuild_show(c->b, c->db, key, klen, "key too long");
        return 0;
    }
    memcpy(k, key, klen);
    k[klen] = '\0';
    int rc = cellmap_get(c->b->cm, c->db, k, &want, &want_len);
    if (rc)
        return rc;
    if (!rebuild_present(c->db, want, want_len))
        rebuild_show(c->b, c->db, key, klen, "stored, not recomputed");
    else if (want_len != len || memcmp(want, val, len) != 0)
        rebuild_show(c->b, c->db, key, klen, "stored and recomputed differ");
    return 0;
}

/* A recomputed record that the store lacks. */
static int rebuild_cmp_recomputed(void *ctx, enum cellmap_db db,
                                  const char *key, const void *val, size_t len)
{
    struct rebuild *b = ctx;
    void *stored = NULL;
    size_t stored_len;
    if (db != CELLMAP_CELLS && db != CELLMAP_MEMBERS)
        return 0;
    if (!rebuild_present(db, val, len))
        return 0;
    b->r->records++;
    int rc = store_load(b->t, db, key, &stored, &stored_len);
    free(stored);
    if (rc == 1)
        rebuild_show(b, db, key, strlen(key), "recomputed, not stored");
    return rc < 0 ? rc : 0;
}

static int rebuild_count(void *ctx, enum cellmap_db db, const char *key,
                         const void *val, size_t len)
{
    (void)key;
    struct rebuild *b = ctx;
    if ((db == CELLMAP_CELLS || db == CELLMAP_MEMBERS) &&
        rebuild_present(db, val, len))
        b->r->records++;
    return 0;
}

/* store_scan_fn: one sequence record of a store before
 * STORE_SCHEMA_SEQ_RECORDS, a topic's uint64 under the topic
 * ("muni/domain/period/slice") or, from STORE_SCHEMA_SEQ_KEYS on, under
 * "muni/domain/slice/period", into its slot of the record of now
 * (cell_seq_set()). */
static int rebuild_seq_rekey(void *ctx, const char *key, size_t klen,
                             const void *val, size_t len)
{
    struct rebuild *b = ctx;
    char topic[CELL_KEY_MAX];
    struct cell_key_parts k;
    uint64_t seq, now;
    if (klen >= sizeof(topic) || len != sizeof(seq))
        return 0; /* no record of ours: it goes */
    memcpy(topic, key, klen);
    topic[klen] = '\0';
    memcpy(&seq, val, sizeof(seq));
    if (b->schema >= STORE_SCHEMA_SEQ_KEYS) {
        /* the period is last, the slice (which may hold a '/') before */
        const char *p = memchr(key, '/', klen);
        p = p ? memchr(p + 1, '/', klen - (size_t)(p + 1 - key)) : NULL;
        size_t last = klen;
        while (last > 0 && key[last - 1] != '/')
            last--;
        if (!p || last == 0 || key + last - 1 <= p)
            return 0;
        const char *q = key + last - 1; /* the last '/' */
        size_t head = (size_t)(p + 1 - key), slice = (size_t)(q - (p + 1));
        size_t period = klen - (size_t)(q + 1 - key);
        memcpy(topic + head, q + 1, period);
        topic[head + period] = '/';
        memcpy(topic + head + period + 1, p + 1, slice);
    }
    if (cell_key_split(topic, &k))
        return 0;
    int rc = cell_seq_get(b->cm, &k, &now);
    if (rc == 0 && seq > now)
        rc = cell_seq_set(b->cm, &k, seq, NULL);
    return rc == -ENAMETOOLONG ? 0 : rc;
}

int rebuild_run(struct store *st, bool verify, FILE *out,
                struct rebuild_report *r)
{
    struct rebuild b = {.tty = isatty(STDERR_FILENO), .out = out, .r = r};
    struct store_txn *t = NULL;
    uint64_t as_of = 0;
    bool found;
    memset(r, 0, sizeof(*r));
    int rc = store_txn_begin(st, !verify, &t);
    if (rc)
        return rc;
    b.t = t;
    if ((rc = store_meta_get(t, PUBLISH_AS_OF_KEY, &as_of, &found)))
        goto out;
    b.as_of = (int32_t)(int64_t)as_of;
    b.cm = cellmap_new(NULL, NULL);
    rc = store_scan(t, CELLMAP_ENTITIES, "", rebuild_entity, &b);
    if (b.tty)
        fputc('\n', stderr);
    if (rc)
        goto out;
    if ((rc = store_meta_get(t, STORE_SCHEMA_KEY, &b.schema, &found)))
        goto out;
    /* the sequences of every topic, in the records of now; the old
     * records go with store_clear() below */
    bool rekey = !verify && b.schema < STORE_SCHEMA_SEQ_RECORDS;
    if (rekey &&
        (rc = store_scan(t, CELLMAP_SEQS, "", rebuild_seq_rekey, &b)))
        goto out;
    if (verify) {
        struct rebuild_cmp cells = {&b, CELLMAP_CELLS};
        struct rebuild_cmp members = {&b, CELLMAP_MEMBERS};
        if ((rc = store_scan(t, CELLMAP_CELLS, "", rebuild_cmp_stored,
                             &cells)) ||
            (rc = store_scan(t, CELLMAP_MEMBERS, "", rebuild_cmp_stored,
                             &members)) ||
            (rc = cellmap_each_dirty(b.cm, CELLMAP_DB_COUNT,
                                     rebuild_cmp_recomputed, &b)))
            goto out;
        goto out;
    }
    if ((rc = cellmap_each_dirty(b.cm, CELLMAP_DB_COUNT, rebuild_count,
                                 &b)) ||
        (rc = store_clear(t, CELLMAP_CELLS)) ||
        (rc = store_clear(t, CELLMAP_MEMBERS)) ||
        (rekey && (rc = store_clear(t, CELLMAP_SEQS))) ||
        (rc = store_flush(t, b.cm)) ||
        (rc = store_meta_put(t, STORE_SCHEMA_KEY, STORE_SCHEMA_VERSION)))
        goto out;
    rc = store_txn_commit(&t);
out:
    store_txn_abort(&t);
    cellmap_destroy(&b.cm);
    return rc;
}
