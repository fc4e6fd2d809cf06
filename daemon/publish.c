/*
 * publish.c — sequenced, coalesced updates and heartbeats (see
 * publish.h). The topic of an update is its cell key. The socket is an
 * XPUB with manual subscriptions: a subscriber gets only the topics of
 * its own municipalities (auth.h), whatever prefix it asks for.
 */
#include "publish.h"

#include "agg.h"
#include "cell.h"
#include "codec.h"
#include "log.h"
#include "period.h"
#include "stats.h"
#include "store.h"
#include "suppress.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PUBLISH_HWM 10000 /* messages queued per subscriber, then dropped */
#define PUBLISH_HEARTBEAT_TOPIC "heartbeat"
#define PUBLISH_SUBS_PER_TURN 256 /* subscription requests per handle() */

struct publish {
    void *sock;          /* XPUB, manual subscriptions */
    struct auth *auth;   /* borrowed; NULL: no CURVE */
    struct stats *stats; /* borrowed; NULL: subscriptions not counted */
    int suppress_below;  /* suppress.h threshold of the updates */
};

int publish_new(void *zctx, const char *endpoint, struct auth *auth,
                struct publish **out)
{
    void *sock = zmq_socket(zctx, ZMQ_XPUB);
    if (!sock)
        return -errno;
    int hwm = PUBLISH_HWM, linger = 0, one = 1, rc;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_setsockopt(sock, ZMQ_XPUB_MANUAL, &one, sizeof(one)) ||
        (rc = auth_server_socket(auth, sock)) || zmq_bind(sock, endpoint)) {
        rc = -errno;
        zmq_close(sock);
        return rc;
    }
    *out = xcalloc(1, sizeof(**out));
    (*out)->sock = sock;
    (*out)->auth = auth;
    return 0;
}

void *publish_socket(struct publish *p)
{
    return p->sock;
}

void publish_set_stats(struct publish *p, struct stats *stats)
{
    p->stats = stats;
}

void publish_set_suppress_below(struct publish *p, int below)
{
    p->suppress_below = below;
}

int publish_suppress_below(const struct publish *p)
{
    return p ? p->suppress_below : 0;
}

struct publish_sub {
    void *sock;
    int option;     /* ZMQ_SUBSCRIBE or ZMQ_UNSUBSCRIBE */
    size_t granted; /* topics applied for this request */
};

/* auth_topic_fn: apply one granted (un)subscription. With manual XPUB it
 * applies to the peer whose request was read last. */
static int publish_apply_sub(void *ctx, const char *prefix, size_t len)
{
    struct publish_sub *s = ctx;
    zmq_setsockopt(s->sock, s->option, prefix, len);
    s->granted++;
    return 0;
}

/*
 * The subscriptions gauge (stats.h) counts requests, not peers: an XPUB
 * cannot say how many peers it has, and the socket's monitor, which
 * could, is already auth.c's (failed handshakes). A subscribe request
 * with at least one topic granted counts +1, its unsubscribe -1. When a
 * peer goes, libzmq hands up one unsubscribe per prefix the peer had
 * asked for, without a User-Id: with CURVE such a request cannot be
 * matched to a client and counts -1 as it is; without CURVE every
 * request is the anonymous client's and is granted, so the pairs match.
 * Not exact (a prefix asked twice, or asked and not granted by a peer
 * that then goes), never below 0.
 */
static void publish_count_sub(struct publish *p, bool subscribe,
                              bool has_user_id, size_t granted)
{
    if (subscribe)
        stats_subscriptions_add(p->stats, granted ? 1 : 0);
    else if (granted || (p->auth && !has_user_id))
        stats_subscriptions_add(p->stats, -1);
}

void publish_handle(struct publish *p)
{
    static const char *const open_roots[] = {PUBLISH_HEARTBEAT_TOPIC, NULL};
    for (int i = 0; i < PUBLISH_SUBS_PER_TURN; i++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, p->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        const char *data = zmq_msg_data(&msg);
        size_t len = zmq_msg_size(&msg);
        if (len >= 1 && (data[0] == 0 || data[0] == 1)) {
            struct publish_sub s = {
                p->sock, data[0] ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, 0};
            /* An unsubscription of a peer that is gone has no User-Id:
             * there is no pipe left to apply it to. */
            const char *user_id = zmq_msg_gets(&msg, "User-Id");
            const struct auth_client *who = auth_client_of(p->auth, user_id);
            auth_subscriptions(who, data + 1, len - 1, open_roots,
                               publish_apply_sub, &s);
            publish_count_sub(p, data[0] == 1, user_id != NULL, s.granted);
        }
        zmq_msg_close(&msg);
    }
}

void publish_destroy(struct publish **pp)
{
    struct publish *p = pp ? *pp : NULL;
    if (!p)
        return;
    zmq_close(p->sock);
    free(p);
    *pp = NULL;
}

/* A set of topics: a growing array, sorted and made unique at the end. */
struct topic_set {
    char **v;
    size_t n, cap;
};

static int topic_set_add(void *ctx, const char *topic)
{
    struct topic_set *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = xstrdup(topic);
    return 0;
}

static int topic_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void topic_set_unique(struct topic_set *s)
{
    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof(*s->v), topic_cmp);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (k && strcmp(s->v[k - 1], s->v[i]) == 0) {
            free(s->v[i]);
            continue;
        }
        s->v[k++] = s->v[i];
    }
    s->n = k;
}

static void topic_set_free(struct topic_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct topic_set){0};
}

static int publish_collect(void *ctx, enum cellmap_db db, const char *key,
                           const void *val, size_t len)
{
    (void)db;
    (void)val;
    (void)len;
    return topic_set_add(ctx, key);
}

static void publish_list_push(struct publish_list *l, const char *topic,
                              uint8_t *buf, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->topics = xrealloc(l->topics, l->cap * sizeof(*l->topics));
        l->bufs = xrealloc(l->bufs, l->cap * sizeof(*l->bufs));
        l->lens = xrealloc(l->lens, l->cap * sizeof(*l->lens));
    }
    l->topics[l->n] = xstrdup(topic);
    l->bufs[l->n] = buf;
    l->lens[l->n] = len;
    l->n++;
}

/* Metrics of one topic as a codec slice, and its Update. */
static int publish_topic(struct cellmap *cm, const char *topic, int32_t as_of,
                         int below, uint64_t *seq, struct publish_list *out)
{
    struct cell_key_parts k;
    if (cell_key_split(topic, &k))
        return 0; /* not a cell of ours: nothing to say */
    const struct agg_domain *d = agg_domain_find(k.domain);
    if (!d)
        return 0;
    struct metric m[AGG_METRICS_MAX];
    size_t n_m;
    int rc = d->metrics(cm, &k, as_of, m, &n_m);
    if (rc)
        return rc;

    /* updates go to every subscriber: small counts suppressed */
    enum suppress_status st[AGG_METRICS_MAX];
    suppress_slice(d->name, m, n_m, below, true, st);
    struct codec_metric cm_m[AGG_METRICS_MAX];
    for (size_t i = 0; i < n_m; i++)
        cm_m[i] = (struct codec_metric){.id = m[i].id,
                                        .unit = m[i].unit,
                                        .is_null = m[i].is_null,
                                        .value = m[i].value,
                                        .status = suppress_status_name(st[i])};
    char dimbuf[CELL_SLICE_MAX];
    const char *dk[CELL_DIMS_MAX], *dv[CELL_DIMS_MAX];
    int n_d = cell_slice_split(k.slice, dimbuf, sizeof(dimbuf), dk, dv);
    if (n_d < 0)
        n_d = 0;
    struct codec_dim dims[CELL_DIMS_MAX];
    for (int i = 0; i < n_d; i++)
        dims[i] = (struct codec_dim){.key = dk[i], .value = dv[i]};

    /* the slice's previous update, and this one in its place */
    const void *val;
    size_t len;
    uint64_t prev = 0;
    if ((rc = cellmap_get(cm, CELLMAP_SEQS, topic, &val, &len)))
        return rc;
    if (len == sizeof(prev))
        memcpy(&prev, val, sizeof(prev));
    uint64_t next = ++*seq;
    if ((rc = cellmap_put(cm, CELLMAP_SEQS, topic, &next, sizeof(next))))
        return rc;

    struct codec_slice s = {
        .municipality = k.muni,
        .domain = k.domain,
        .period = k.period_id,
        .n_dims = (size_t)n_d,
        .dims = dims,
        .n_metrics = n_m,
        .metrics = cm_m,
        .seq = prev,
    };
    char as_of_s[11];
    period_date_format(as_of, as_of_s);
    uint8_t *buf;
    size_t blen;
    if ((rc = codec_update_encode(next, as_of_s, &s, &buf, &blen)))
        return rc;
    publish_list_push(out, topic, buf, blen);
    return 0;
}

int publish_prepare_topics(struct cellmap *cm, int32_t as_of, int below,
                           uint64_t *seq, char **topics, size_t n,
                           struct publish_list *out)
{
    for (size_t i = 0; i < n; i++) {
        int rc = publish_topic(cm, topics[i], as_of, below, seq, out);
        if (rc)
            return rc;
    }
    return 0;
}

int publish_prepare(struct cellmap *cm, int32_t as_of, int below, uint64_t *seq,
                    char **extra, size_t n_extra, struct publish_list *out)
{
    struct topic_set dirty = {0}, topics = {0};
    for (size_t i = 0; i < n_extra; i++)
        topic_set_add(&topics, extra[i]);
    int rc = cellmap_each_dirty(cm, CELLMAP_CELLS, publish_collect, &dirty);
    for (size_t i = 0; rc == 0 && i < dirty.n; i++) {
        struct cell_key_parts k;
        if (cell_key_split(dirty.v[i], &k))
            continue;
        const struct agg_domain *d = agg_domain_find(k.domain);
        if (d)
            rc = d->affected(&k, as_of, topic_set_add, &topics);
    }
    if (rc == 0) {
        topic_set_unique(&topics);
        rc = publish_prepare_topics(cm, as_of, below, seq, topics.v, topics.n,
                                    out);
    }
    topic_set_free(&dirty);
    topic_set_free(&topics);
    return rc;
}

void publish_list_clear(struct publish_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->topics[i]);
        free(l->bufs[i]);
    }
    free(l->topics);
    free(l->bufs);
    free(l->lens);
    *l = (struct publish_list){0};
}

static void publish_frames(struct publish *p, const char *topic,
                           const void *buf, size_t len)
{
    /* PUB never blocks: a slow subscriber past its HWM loses messages
     * and notices the gap from prev_seq. */
    if (zmq_send(p->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) <
            0 ||
        zmq_send(p->sock, buf, len, ZMQ_DONTWAIT) < 0)
        log_debug("publish: send %s: %s", topic, zmq_strerror(errno));
}

void publish_send(struct publish *p, struct publish_list *l)
{
    for (size_t i = 0; p && i < l->n; i++)
        publish_frames(p, l->topics[i], l->bufs[i], l->lens[i]);
    publish_list_clear(l);
}

void publish_heartbeat(struct publish *p, uint64_t seq, int32_t as_of)
{
    char as_of_s[11];
    uint8_t *buf;
    size_t len;
    period_date_format(as_of, as_of_s);
    if (!p || codec_heartbeat_encode(seq, as_of_s, &buf, &len))
        return;
    publish_frames(p, PUBLISH_HEARTBEAT_TOPIC, buf, len);
    free(buf);
}

struct rollover_scan {
    struct topic_set keys;
    int32_t old_as_of, new_as_of;
};

static int publish_rollover_collect(void *ctx, const char *key, size_t klen,
                                    const void *val, size_t len)
{
    (void)val;
    (void)len;
    struct rollover_scan *r = ctx;
    char buf[CELL_KEY_MAX];
    struct cell_key_parts k;
    if (klen >= sizeof(buf))
        return 0;
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    if (cell_key_split(buf, &k) == 0 &&
        (period_is_running(&k.period, r->old_as_of) ||
         period_is_running(&k.period, r->new_as_of)))
        topic_set_add(&r->keys, buf);
    return 0;
}

/* A fingerprint of a topic's metrics as of a day (0 when it has none). */
static uint64_t publish_fingerprint(struct cellmap *cm, const char *topic,
                                    int32_t as_of)
{
    struct cell_key_parts k;
    const struct agg_domain *d;
    struct metric m[AGG_METRICS_MAX];
    size_t n;
    if (cell_key_split(topic, &k) || !(d = agg_domain_find(k.domain)) ||
        d->metrics(cm, &k, as_of, m, &n))
        return 0;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char b[sizeof(double) + 1];
        memcpy(b, &m[i].value, sizeof(double));
        b[sizeof(double)] = (unsigned char)m[i].is_null;
        for (size_t j = 0; j < sizeof(b); j++) {
            h ^= b[j];
            h *= 1099511628211ULL;
        }
    }
    return h;
}

static int publish_rollover_once(struct store *st, struct publish *p,
                                 int32_t old_as_of, int32_t new_as_of,
                                 publish_advance_fn advance, void *ctx);

int publish_rollover(struct store *st, struct publish *p, int32_t old_as_of,
                     int32_t new_as_of, publish_advance_fn advance, void *ctx)
{
    /* As for a batch (DESIGN §7): a full map grows, and the whole
     * rollover is done again in one transaction. */
    for (int tries = 0;; tries++) {
        int rc =
            publish_rollover_once(st, p, old_as_of, new_as_of, advance, ctx);
        if (rc != STORE_EMAPFULL || tries == 64)
            return rc;
        if ((rc = store_grow(st)))
            return rc;
    }
}

static int publish_rollover_once(struct store *st, struct publish *p,
                                 int32_t old_as_of, int32_t new_as_of,
                                 publish_advance_fn advance, void *ctx)
{
    struct rollover_scan r = {.old_as_of = old_as_of, .new_as_of = new_as_of};
    struct topic_set changed = {0};
    struct publish_list l = {0};
    struct store_txn *t = NULL;
    struct cellmap *cm = NULL;
    uint64_t seq, *before = NULL;
    int rc = store_txn_begin(st, true, &t);
    if (rc)
        goto out;
    if ((rc = store_seq_get(t, &seq)) ||
        (rc = store_scan(t, CELLMAP_CELLS, "", publish_rollover_collect, &r)))
        goto out;
    cm = cellmap_new(store_load, t);
    before = xcalloc(r.keys.n ? r.keys.n : 1, sizeof(*before));
    for (size_t i = 0; i < r.keys.n; i++)
        before[i] = publish_fingerprint(cm, r.keys.v[i], old_as_of);
    if (advance && (rc = advance(ctx, t, cm, old_as_of, new_as_of)))
        goto out;
    for (size_t i = 0; i < r.keys.n; i++)
        if (publish_fingerprint(cm, r.keys.v[i], new_as_of) != before[i])
            topic_set_add(&changed, r.keys.v[i]);
    if ((rc = publish_prepare(cm, new_as_of, p ? p->suppress_below : 0, &seq,
                              changed.v, changed.n, &l)) ||
        (rc = store_meta_put(t, PUBLISH_AS_OF_KEY, (uint64_t)new_as_of)) ||
        (rc = store_flush(t, cm)) || (rc = store_seq_put(t, seq)) ||
        (rc = store_txn_commit(&t)))
        goto out;
    char a[11], b[11];
    period_date_format(old_as_of, a);
    period_date_format(new_as_of, b);
    log_info("publish: as-of %s -> %s: %zu slices updated", a, b, l.n);
    publish_send(p, &l);
out:
    store_txn_abort(&t);
    cellmap_destroy(&cm);
    publish_list_clear(&l);
    topic_set_free(&r.keys);
    topic_set_free(&changed);
    free(before);
    if (rc && rc != STORE_EMAPFULL)
        log_error("publish: as-of rollover: %s", store_strerror(rc));
    return rc;
}

int publish_as_of_load(struct store *st, int32_t today, int32_t *as_of)
{
    struct store_txn *t;
    uint64_t v;
    bool found;
    int rc = store_txn_begin(st, true, &t);
    if (rc)
        return rc;
    if ((rc = store_meta_get(t, PUBLISH_AS_OF_KEY, &v, &found)))
        goto out;
    if (found) {
        *as_of = (int32_t)(int64_t)v;
        goto out;
    }
    *as_of = today;
    if ((rc = store_meta_put(t, PUBLISH_AS_OF_KEY, (uint64_t)today)) == 0)
        rc = store_txn_commit(&t);
out:
    store_txn_abort(&t);
    return rc;
}
