/*
 * ingest.c — batches in, durable acks out (see ingest.h).
 *
 * Per batch: decode (codec) → for each event validate → entity verdict
 * → subtract the old contribution, add the new one (agg) in a cellmap
 * over the write transaction → assign update sequences (publish) →
 * write every dirty record once → commit → ack → publish. When LMDB's
 * map is full the whole batch is redone after the map has grown, so a
 * batch is never half applied. What each batch came to (events by
 * status and reason, refusals, commit time) is added to the self-metrics
 * (stats.h) once the ack is made.
 */
#include "ingest.h"

#include "agg.h"
#include "cell.h"
#include "entity.h"
#include "log.h"
#include "router.h"
#include "stats.h"
#include "validate.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INGEST_RETRIES 64 /* map growths for one batch */
/* Batches applied in one commit, at most, and the payload bytes after
 * which no more are added: a group of small batches is one commit; a
 * backfill's big batches (1 000 events, about 100 KiB) go one at a
 * time. Bigger groups coalesce more updates but hold every record they
 * touch until the commit: 256 KiB groups of the bench's workload kept
 * 145 MiB of heap, 64 KiB ones 53 MiB, at the same speed. */
#define INGEST_GROUP_MAX 32
#define INGEST_GROUP_BYTES (64 * 1024)

struct ingest {
    struct router *router;
    struct auth *auth; /* borrowed; NULL: no CURVE */
    struct store *st;
    struct publish *pub;
    int32_t as_of;               /* of the batches being handled */
    struct publish_list pending; /* updates of the batch just acked */
    struct stats *stats;         /* borrowed; NULL: not counted */
};

int ingest_new(void *zctx, const char *endpoint, struct auth *auth,
               struct store *st, struct publish *pub, struct ingest **out)
{
    struct router *r;
    int rc = router_new(zctx, endpoint, INGEST_MAX_FRAME, auth, &r);
    if (rc)
        return rc;
    struct ingest *in = xcalloc(1, sizeof(*in));
    in->router = r;
    in->st = st;
    in->pub = pub;
    *out = in;
    return 0;
}

void ingest_destroy(struct ingest **ip)
{
    struct ingest *in = ip ? *ip : NULL;
    if (!in)
        return;
    router_destroy(&in->router);
    free(in);
    *ip = NULL;
}

void *ingest_socket(struct ingest *in)
{
    return router_socket(in->router);
}

/* The stored revision of an entity record (old, old_len) into *oev;
 * *live false (and *oev untouched) for a tombstone. */
static int ingest_stored_event(const void *old, size_t old_len,
                               struct event *oev, bool *live)
{
    uint64_t rev;
    bool deleted;
    const void *oraw;
    size_t oraw_len;
    int rc =
        entity_record_decode(old, old_len, &rev, &deleted, &oraw, &oraw_len);
    *live = rc == 0 && !deleted;
    if (!*live)
        return rc;
    struct event_in oin;
    char text[VALIDATE_TEXT_MAX];
    void *msg = NULL;
    rc = codec_event_decode(oraw, oraw_len, &oin, &msg);
    if (rc == 0 && validate_event(&oin, oev, text) != REASON_OK)
        rc = -EPROTO; /* stored events were valid when stored */
    codec_event_free(&msg);
    return rc;
}

/* Replace the stored entity's contribution by ev's. */
static int ingest_revise(struct cellmap *cm, const char *key,
                         const struct event *ev, const uint8_t *raw,
                         size_t raw_len, const void *old, size_t old_len,
                         int32_t as_of)
{
    int rc;
    if (old_len) {
        struct event oev;
        bool live;
        if ((rc = ingest_stored_event(old, old_len, &oev, &live)) ||
            (live && (rc = agg_apply(cm, &oev, -1, as_of))))
            return rc;
    }
    if (!ev->deleted && (rc = agg_apply(cm, ev, +1, as_of)))
        return rc;
    unsigned char *rec = xmalloc(ENTITY_HEADER + raw_len);
    size_t len =
        entity_record_encode(ev->revision, ev->deleted, raw, raw_len, rec);
    rc = cellmap_put(cm, CELLMAP_ENTITIES, key, rec, len);
    free(rec);
    return rc;
}

/* One event: its ack status (and reason) in *ack; errors only for store
 * or internal failures, which poison the batch. */
static int ingest_event(struct cellmap *cm, const struct auth_client *who,
                        const struct event_in *in, const uint8_t *raw,
                        size_t raw_len, int32_t as_of,
                        struct codec_event_ack *ack, char *text)
{
    struct event ev;
    enum reason r = validate_event(in, &ev, text);
    if (r == REASON_OK && !auth_may_push(who, ev.municipality)) {
        r = REASON_FORBIDDEN_MUNICIPALITY;
        snprintf(text, VALIDATE_TEXT_MAX,
                 "this client may not push events of municipality %s",
                 ev.municipality);
    }
    if (r != REASON_OK) {
        *ack = (struct codec_event_ack){CODEC_REJECTED, reason_code(r), text};
        return 0;
    }
    char key[ENTITY_KEY_MAX];
    int rc = entity_key(key, &ev);
    if (rc)
        return rc;
    const void *old;
    size_t old_len;
    if ((rc = cellmap_get(cm, CELLMAP_ENTITIES, key, &old, &old_len)))
        return rc;
    uint64_t old_rev = 0;
    if (old_len) {
        bool deleted;
        const void *oraw;
        size_t oraw_len;
        if ((rc = entity_record_decode(old, old_len, &old_rev, &deleted, &oraw,
                                       &oraw_len)))
            return rc;
    }
    switch (entity_judge(old_len != 0, old_rev, ev.revision)) {
    case ENTITY_DUPLICATE:
        *ack = (struct codec_event_ack){CODEC_DUPLICATE, NULL, NULL};
        return 0;
    case ENTITY_STALE:
        *ack = (struct codec_event_ack){CODEC_STALE, NULL, NULL};
        return 0;
    default:
        break;
    }
    /* A revision takes the entity's contribution out of the
     * municipality it was in: that one must be the client's too. */
    if (old_len && !who->all_munis) {
        struct event oev;
        bool live;
        if ((rc = ingest_stored_event(old, old_len, &oev, &live)))
            return rc;
        if (live && !auth_may_push(who, oev.municipality)) {
            snprintf(text, VALIDATE_TEXT_MAX,
                     "the entity is in municipality %s, which this client "
                     "may not push events of",
                     oev.municipality);
            *ack = (struct codec_event_ack){
                CODEC_REJECTED, reason_code(REASON_FORBIDDEN_MUNICIPALITY),
                text};
            return 0;
        }
    }
    /* old points into cm; copy before the map changes */
    void *copy = old_len ? xmalloc(old_len) : NULL;
    if (old_len)
        memcpy(copy, old, old_len);
    rc = ingest_revise(cm, key, &ev, raw, raw_len, copy, old_len, as_of);
    free(copy);
    if (rc == 0)
        *ack = (struct codec_event_ack){CODEC_ACCEPTED, NULL, NULL};
    return rc;
}

/*
 * One batch of a group. Batches waiting together on the socket are
 * applied in one transaction with one durable commit (group commit):
 * an adapter sending small batches at a steady rate would otherwise
 * pay a commit, and the publishing of every slice it touches, per
 * batch. Each is still acknowledged on its own, after the commit.
 */
struct ingest_slot {
    const struct auth_client *who;    /* borrowed, from the router */
    struct codec_batch b;             /* decoded */
    int rc;                           /* decoding's, then applying's */
    bool forbidden;                   /* a key that may not push */
    struct codec_event_ack *acks;     /* one per event of b, or NULL */
    char (*texts)[VALIDATE_TEXT_MAX]; /* their texts */
    uint64_t seq;                     /* global sequence after its commit */
    struct stats_batch tally;         /* what it came to */
};

/* True when slot is to be applied (decoded, allowed). */
static bool ingest_slot_applies(const struct ingest_slot *slot)
{
    return slot->rc == 0 && !slot->forbidden;
}

/* Apply the applicable batches of slots[0..n) in one transaction and
 * commit: their acks are set, their updates appended to updates (none
 * when it fails), *seq the sequence after the commit. */
static int ingest_apply(struct store *st, struct ingest_slot *slots, size_t n,
                        int32_t as_of, const struct publish *pub,
                        uint64_t *seq,
                        struct publish_list *updates)
{
    struct store_txn *t = NULL;
    struct cellmap *cm = NULL;
    uint64_t next = 0;
    size_t mark = updates->n;
    int rc = store_txn_begin(st, true, &t);
    if (rc)
        goto out;
    cm = cellmap_new(store_load, t);
    if ((rc = store_seq_get(t, &next)))
        goto out;
    for (size_t k = 0; k < n; k++) {
        struct ingest_slot *sl = &slots[k];
        if (!ingest_slot_applies(sl))
            continue;
        for (size_t i = 0; i < sl->b.n_events; i++)
            if ((rc = ingest_event(cm, sl->who, &sl->b.events[i], sl->b.raw[i],
                                   sl->b.raw_len[i], as_of, &sl->acks[i],
                                   sl->texts[i])))
                goto out;
    }
    if ((rc = publish_prepare(cm, as_of, pub, &next, NULL, 0, updates)) ||
        (rc = store_flush(t, cm)) || (rc = store_seq_put(t, next)))
        goto out;
    rc = store_txn_commit(&t);
    if (rc == 0)
        *seq = next;
out:
    store_txn_abort(&t);
    cellmap_destroy(&cm);
    if (rc)
        publish_list_truncate(updates, mark);
    return rc;
}

/* ingest_apply, redone after growing the map as often as it is full. */
static int ingest_apply_grow(struct store *st, struct ingest_slot *slots,
                             size_t n, int32_t as_of,
                             const struct publish *pub, uint64_t *seq,
                             struct publish_list *updates)
{
    for (int tries = 0;; tries++) {
        int rc = ingest_apply(st, slots, n, as_of, pub, seq, updates);
        if (rc != STORE_EMAPFULL || tries == INGEST_RETRIES)
            return rc;
        if ((rc = store_grow(st)))
            return rc;
    }
}

/* One line per batch with rejected events: how many, and why (reason
 * codes only: never a field value, which may be sekretess). */
static void ingest_log_rejections(uint64_t batch_id,
                                  const struct codec_event_ack *acks, size_t n)
{
    const char *codes[REASON_COUNT];
    size_t counts[REASON_COUNT], n_codes = 0, rejected = 0;
    for (size_t i = 0; i < n; i++) {
        if (acks[i].status != CODEC_REJECTED)
            continue;
        rejected++;
        size_t k = 0;
        while (k < n_codes && strcmp(codes[k], acks[i].reason) != 0)
            k++;
        if (k == n_codes && n_codes < REASON_COUNT) {
            codes[n_codes] = acks[i].reason;
            counts[n_codes++] = 0;
        }
        if (k < n_codes)
            counts[k]++;
    }
    if (!rejected)
        return;
    char why[256];
    size_t off = 0;
    for (size_t k = 0; k < n_codes && off < sizeof(why); k++)
        off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s %zu",
                                k ? ", " : "", codes[k], counts[k]);
    log_warn("ingest: batch %llu: %zu of %zu events rejected: %s",
             (unsigned long long)batch_id, rejected, n, why);
}

static enum stats_refusal ingest_refusal(int rc)
{
    switch (rc) {
    case CODEC_EOVERSIZED:
        return STATS_REFUSED_OVERSIZED;
    case CODEC_EMALFORMED:
        return STATS_REFUSED_MALFORMED;
    case CODEC_EPROTOCOL:
        return STATS_REFUSED_PROTOCOL;
    case CODEC_ETOOMANY:
        return STATS_REFUSED_TOO_MANY_EVENTS;
    case STORE_EFULL:
    case -ENOSPC:
        return STATS_REFUSED_STORAGE_FULL;
    default:
        return STATS_REFUSED_INTERNAL;
    }
}

/* The reason of a rejected event's ack (a reason_code() string). */
static enum reason ingest_reason_of(const char *code)
{
    for (int r = REASON_OK + 1; r < REASON_COUNT; r++)
        if (code && strcmp(code, reason_code((enum reason)r)) == 0)
            return (enum reason)r;
    return REASON_OK; /* not one of ours: not counted by reason */
}

/* The events of an applied batch by status and reason into *t. */
static void ingest_tally(struct stats_batch *t,
                         const struct codec_event_ack *acks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (acks[i].status) {
        case CODEC_ACCEPTED:
            t->status[STATS_ACCEPTED]++;
            break;
        case CODEC_DUPLICATE:
            t->status[STATS_DUPLICATE]++;
            break;
        case CODEC_STALE:
            t->status[STATS_STALE]++;
            break;
        case CODEC_REJECTED:
        default:
            t->status[STATS_REJECTED]++;
            t->rejected[ingest_reason_of(acks[i].reason)]++;
            break;
        }
    }
}

/* Decode the batch in buf for slots->who; what is refused stays
 * unapplied. */
static void ingest_slot_open(struct ingest_slot *slot,
                             const struct auth_client *who, const void *buf,
                             size_t len)
{
    memset(slot, 0, sizeof(*slot));
    slot->who = who;
    slot->rc = codec_batch_decode(buf, len, &slot->b);
    if (slot->rc)
        return;
    slot->tally.events = slot->b.n_events;
    if (!(who && who->role != AUTH_SUBSCRIBER)) {
        slot->forbidden = true;
        return;
    }
    slot->acks =
        xcalloc(slot->b.n_events ? slot->b.n_events : 1, sizeof(*slot->acks));
    slot->texts =
        xcalloc(slot->b.n_events ? slot->b.n_events : 1, sizeof(*slot->texts));
}

/* Apply the batches of slots[0..n) that apply: together in one commit,
 * or, when that fails and there were several, each in its own, so that
 * one batch's failure (a full disk, a broken store) is its own. Each
 * slot's rc and seq say how it went. */
static void ingest_apply_slots(struct store *st, struct ingest_slot *slots,
                               size_t n, int32_t as_of,
                               const struct publish *pub,
                               struct publish_list *updates)
{
    size_t applies = 0;
    for (size_t k = 0; k < n; k++)
        applies += ingest_slot_applies(&slots[k]);
    if (applies == 0)
        return;
    uint64_t seq = 0;
    int rc = ingest_apply_grow(st, slots, n, as_of, pub, &seq, updates);
    if (rc == 0 || applies == 1) {
        for (size_t k = 0; k < n; k++)
            if (ingest_slot_applies(&slots[k])) {
                slots[k].rc = rc;
                slots[k].seq = seq;
            }
        return;
    }
    for (size_t k = 0; k < n; k++)
        if (ingest_slot_applies(&slots[k]))
            slots[k].rc = ingest_apply_grow(st, &slots[k], 1, as_of, pub,
                                            &slots[k].seq, updates);
}

/* The ack of slot (*ack, malloc'd), its tally, log lines; the slot's
 * memory is freed. commit_s: the time its commit took. Returns 0, or
 * a code after which the store cannot go on. */
static int ingest_slot_close(struct ingest_slot *slot, double commit_s,
                             uint8_t **ack, size_t *ack_len)
{
    struct codec_ack a = {.status = CODEC_ACCEPTED,
                          .batch_id = slot->b.batch_id};
    struct stats_batch *tally = &slot->tally;
    char refusal[CODEC_WHY_MAX + 64]; /* the ack's text when refused */
    int rc = slot->rc, fatal = 0;
    if (rc == 0 && slot->forbidden) {
        tally->refused = true;
        tally->refusal = STATS_REFUSED_FORBIDDEN;
        a.status = CODEC_REJECTED;
        a.reason = stats_refusal_name(STATS_REFUSED_FORBIDDEN);
        a.text = "this client's key may not push events";
        log_warn("ingest: batch %llu refused: forbidden: a %s key",
                 (unsigned long long)slot->b.batch_id,
                 slot->who ? "subscriber" : "unknown");
    } else if (rc) {
        tally->refused = true;
        tally->refusal = ingest_refusal(rc);
        a.status = CODEC_REJECTED;
        a.reason = stats_refusal_name(tally->refusal);
        if (rc <= CODEC_EOVERSIZED && rc >= CODEC_ETOOMANY)
            snprintf(refusal, sizeof(refusal), "%s%s%s", codec_strerror(rc),
                     slot->b.why[0] ? ": " : "", slot->b.why);
        else
            snprintf(refusal, sizeof(refusal), "%s", store_strerror(rc));
        a.text = refusal;
        if (tally->refusal == STATS_REFUSED_INTERNAL) {
            log_error("ingest: batch %llu: %s",
                      (unsigned long long)slot->b.batch_id, a.text);
            if (store_is_fatal(rc))
                fatal = rc;
        } else {
            log_warn("ingest: batch %llu refused: %s: %s",
                     (unsigned long long)slot->b.batch_id, a.reason, a.text);
        }
    } else {
        a.n_acks = slot->b.n_events;
        a.acks = slot->acks;
        a.seq = slot->seq;
        ingest_log_rejections(slot->b.batch_id, slot->acks, slot->b.n_events);
        ingest_tally(tally, slot->acks, slot->b.n_events);
        tally->commit_s = commit_s;
        log_debug("ingest: batch %llu: %zu events, %.1f ms",
                  (unsigned long long)slot->b.batch_id, slot->b.n_events,
                  commit_s * 1e3);
    }
    rc = codec_ack_encode(&a, ack, ack_len);
    free(slot->acks);
    free(slot->texts);
    codec_batch_free(&slot->b);
    return fatal ? fatal : rc;
}

static double ingest_seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The store's sequence and map use into the self-metrics. */
static void ingest_stats_store(struct ingest *in)
{
    struct store_usage u;
    if (in->stats && store_usage(in->st, &u) == 0)
        stats_set_store(in->stats, store_committed_seq(in->st), u.map_bytes,
                        u.used_bytes, u.max_bytes);
}

void ingest_set_stats(struct ingest *in, struct stats *stats)
{
    in->stats = stats;
    ingest_stats_store(in);
}

/* One batch from the router: apply, ack, then publish. */
static int ingest_on_group(void *ctx, struct router_request *reqs, size_t n)
{
    struct ingest *in = ctx;
    struct ingest_slot slots[INGEST_GROUP_MAX];
    struct timespec t0;
    int fatal = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (n > INGEST_GROUP_MAX)
        n = INGEST_GROUP_MAX; /* the router was asked for no more */
    for (size_t k = 0; k < n; k++)
        ingest_slot_open(&slots[k], reqs[k].who, reqs[k].payload, reqs[k].len);
    ingest_apply_slots(in->st, slots, n, in->as_of,
                       in->pub, &in->pending);
    double commit_s = ingest_seconds_since(&t0);
    for (size_t k = 0; k < n; k++) {
        int rc = ingest_slot_close(&slots[k], commit_s, &reqs[k].reply,
                                   &reqs[k].reply_len);
        stats_add_batch(in->stats, &slots[k].tally);
        if (rc && !fatal)
            fatal = rc;
    }
    if (n > 1)
        log_debug("ingest: %zu batches in one commit, %zu updates", n,
                  in->pending.n);
    ingest_stats_store(in);
    return fatal;
}

/* The ack is out: now the updates. */
static void ingest_after_ack(void *ctx)
{
    struct ingest *in = ctx;
    publish_send(in->pub, &in->pending);
}

int ingest_handle(struct ingest *in, int32_t as_of)
{
    in->as_of = as_of;
    return router_serve_group(in->router, INGEST_GROUP_MAX, INGEST_GROUP_BYTES,
                              ingest_on_group, ingest_after_ack, in);
}

/* Entity keys listed under AGG_ASOF_PREFIX in the members db. */
struct asof_keys {
    char **v;
    size_t n, cap;
};

static int ingest_collect_asof(void *ctx, const char *key, size_t klen,
                               const void *val, size_t len)
{
    (void)val;
    (void)len;
    struct asof_keys *k = ctx;
    size_t plen = strlen(AGG_ASOF_PREFIX);
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        k->v = xrealloc(k->v, k->cap * sizeof(*k->v));
    }
    k->v[k->n] = xmalloc(klen - plen + 1);
    memcpy(k->v[k->n], key + plen, klen - plen);
    k->v[k->n][klen - plen] = '\0';
    k->n++;
    return 0;
}

/* One listed entity's contribution from old_as_of to new_as_of. */
static int ingest_advance_one(struct cellmap *cm, const char *key,
                              int32_t old_as_of, int32_t new_as_of)
{
    const void *val, *raw;
    size_t len, raw_len;
    uint64_t rev;
    bool deleted;
    int rc = cellmap_get(cm, CELLMAP_ENTITIES, key, &val, &len);
    if (rc || len == 0)
        return rc; /* listed but gone: nothing depends on the day */
    if ((rc = entity_record_decode(val, len, &rev, &deleted, &raw, &raw_len)) ||
        deleted)
        return rc;
    struct event_in in;
    struct event ev;
    char text[VALIDATE_TEXT_MAX];
    void *msg = NULL;
    rc = codec_event_decode(raw, raw_len, &in, &msg);
    if (rc == 0 && validate_event(&in, &ev, text) != REASON_OK)
        rc = -EPROTO;
    if (rc == 0)
        rc = agg_advance(cm, &ev, old_as_of, new_as_of);
    codec_event_free(&msg);
    return rc;
}

static int ingest_advance(void *ctx, struct store_txn *t, struct cellmap *cm,
                          int32_t old_as_of, int32_t new_as_of)
{
    (void)ctx;
    struct asof_keys keys = {0};
    int rc = store_scan(t, CELLMAP_MEMBERS, AGG_ASOF_PREFIX,
                        ingest_collect_asof, &keys);
    for (size_t i = 0; rc == 0 && i < keys.n; i++)
        rc = ingest_advance_one(cm, keys.v[i], old_as_of, new_as_of);
    for (size_t i = 0; i < keys.n; i++)
        free(keys.v[i]);
    free(keys.v);
    return rc;
}

int ingest_rollover(struct ingest *in, int32_t old_as_of, int32_t new_as_of)
{
    int rc = publish_rollover(in->st, in->pub, old_as_of, new_as_of,
                              ingest_advance, NULL);
    ingest_stats_store(in); /* the rollover's updates took sequences */
    return rc;
}
