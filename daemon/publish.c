/*
 * publish.c — sequenced, coalesced updates and heartbeats (see
 * publish.h). The socket is an XPUB with manual subscriptions: a
 * subscriber gets only the topics of its own municipalities (auth.h),
 * whatever prefix it asks for.
 *
 * Two streams. Topic "!<cell key>" carries every change at once with
 * exact values, for admins only. Topic "<cell key>" is for everyone
 * else, who could otherwise learn one payment from the difference of
 * two totals: values suppressed (suppress.h), a slice's change published
 * only when none of its figures is suppressed, and at most one update a
 * slice per publish interval, the latest state when the interval is up.
 * Its prev_seq is the update this stream sent before for the slice (0
 * after a restart), so a subscriber still sees what it missed.
 */
#include "publish.h"

#include "agg.h"
#include "cell.h"
#include "codec.h"
#include "hash.h"
#include "log.h"
#include "period.h"
#include "stats.h"
#include "store.h"
#include "suppress.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define PUBLISH_HWM 10000 /* messages queued per subscriber, then dropped */
#define PUBLISH_HEARTBEAT_TOPIC "heartbeat"
#define PUBLISH_SUBS_PER_TURN 256 /* subscription requests per handle() */

/* A slice of the coalesced stream: what it sent, what waits. */
struct publish_slot {
    char *topic;       /* cell key, owned; NULL: free slot */
    uint64_t last_seq; /* the update last sent, 0 none */
    int64_t last_ms;   /* when, monotonic; 0 never */
    uint8_t *pending;  /* the latest state not yet sent, or NULL */
    size_t pending_len;
    uint64_t pending_seq;
    bool queued; /* in the due list */
};

struct publish {
    void *sock;                 /* XPUB, manual subscriptions */
    struct auth *auth;          /* borrowed; NULL: no CURVE */
    struct stats *stats;        /* borrowed; NULL: subscriptions not counted */
    int suppress_below;         /* suppress.h threshold of the updates */
    int64_t interval_ms;        /* coalescing of the public stream; 0: none */
    struct publish_slot *slots; /* open addressing, power of two */
    size_t cap, n;
    size_t *due; /* indexes of slots with pending states */
    size_t n_due, cap_due;
    /* the topic prefixes granted to subscribers, with how many times:
     * an update no prefix matches is numbered but not built */
    struct publish_prefix {
        char *prefix;
        size_t len;
        size_t refs;
    } *subs;
    size_t n_subs, cap_subs;
};

static int64_t publish_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t publish_hash(const char *s)
{
    return hash_bytes(0, s, strlen(s));
}

/* Move the slots into a table of cap slots, without those keep() says
 * no to (freed), and make the due list again: indexes change. */
/* A slot worth keeping: an update waits in it, or it sent one after
 * idle_before (ms). */
static bool publish_slot_busy(const struct publish_slot *slot,
                              int64_t idle_before)
{
    return slot->pending || slot->last_ms > idle_before;
}

/* The slots again in a table of cap, without those idle since before
 * idle_before (INT64_MIN: keep every one). */
static void publish_slots_rehash(struct publish *p, size_t cap,
                                 int64_t idle_before)
{
    struct publish_slot *v = xcalloc(cap, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < p->cap; i++) {
        struct publish_slot *old = &p->slots[i];
        if (!old->topic)
            continue;
        if (!publish_slot_busy(old, idle_before)) {
            free(old->topic);
            free(old->pending); /* NULL: a pending one is busy */
            continue;
        }
        size_t j = publish_hash(old->topic) & (cap - 1);
        while (v[j].topic)
            j = (j + 1) & (cap - 1);
        v[j] = *old;
        n++;
    }
    size_t n_due = 0;
    for (size_t i = 0; i < cap; i++)
        if (v[i].topic && v[i].pending) {
            if (n_due == p->cap_due) {
                p->cap_due = p->cap_due ? 2 * p->cap_due : 64;
                p->due = xrealloc(p->due, p->cap_due * sizeof(*p->due));
            }
            v[i].queued = true;
            p->due[n_due++] = i;
        } else {
            v[i].queued = false;
        }
    p->n_due = n_due;
    free(p->slots);
    p->slots = v;
    p->cap = cap;
    p->n = n;
}

/* The slot of topic, made when missing; publish_sweep() removes the
 * idle ones. */
static struct publish_slot *publish_slot_of(struct publish *p,
                                            const char *topic)
{
    if (2 * (p->n + 1) > p->cap)
        publish_slots_rehash(p, p->cap ? 2 * p->cap : 1024, INT64_MIN);
    size_t j = publish_hash(topic) & (p->cap - 1);
    while (p->slots[j].topic && strcmp(p->slots[j].topic, topic) != 0)
        j = (j + 1) & (p->cap - 1);
    if (!p->slots[j].topic) {
        p->slots[j].topic = xstrdup(topic);
        p->n++;
    }
    return &p->slots[j];
}

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
    struct publish *p;
    int option;     /* ZMQ_SUBSCRIBE or ZMQ_UNSUBSCRIBE */
    size_t granted; /* topics applied for this request */
};

/*
 * Count a granted prefix in (subscribe) or out. An unsubscription that
 * cannot be matched to a client (a CURVE peer that is gone) is never
 * applied here, so a prefix may stay counted after libzmq dropped it:
 * the count errs on the side of building updates nobody gets, never of
 * leaving out one somebody would.
 */
static void publish_prefix_count(struct publish *p, bool subscribe,
                                 const char *prefix, size_t len)
{
    size_t i = 0;
    while (i < p->n_subs && (p->subs[i].len != len ||
                             memcmp(p->subs[i].prefix, prefix, len) != 0))
        i++;
    if (!subscribe) {
        if (i < p->n_subs && --p->subs[i].refs == 0) {
            free(p->subs[i].prefix);
            p->subs[i] = p->subs[--p->n_subs];
        }
        return;
    }
    if (i == p->n_subs) {
        if (p->n_subs == p->cap_subs) {
            p->cap_subs = p->cap_subs ? 2 * p->cap_subs : 16;
            p->subs = xrealloc(p->subs, p->cap_subs * sizeof(*p->subs));
        }
        char *copy = xmalloc(len + 1);
        memcpy(copy, prefix, len);
        copy[len] = '\0';
        p->subs[p->n_subs++] =
            (struct publish_prefix){.prefix = copy, .len = len, .refs = 0};
    }
    p->subs[i].refs++;
}

/* True when a granted prefix matches topic's update on the admins'
 * stream ("!" + topic) or on everyone else's. */
static bool publish_wanted(const struct publish *p, const char *topic)
{
    size_t n = strlen(topic);
    for (size_t i = 0; p && i < p->n_subs; i++) {
        const struct publish_prefix *x = &p->subs[i];
        if (x->len == 0 ||
            (x->prefix[0] == '!'
                 ? x->len - 1 <= n &&
                       memcmp(x->prefix + 1, topic, x->len - 1) == 0
                 : x->len <= n && memcmp(x->prefix, topic, x->len) == 0))
            return true;
    }
    return false;
}

/* auth_topic_fn: apply one granted (un)subscription. With manual XPUB it
 * applies to the peer whose request was read last. */
static int publish_apply_sub(void *ctx, const char *prefix, size_t len)
{
    struct publish_sub *s = ctx;
    zmq_setsockopt(s->p->sock, s->option, prefix, len);
    publish_prefix_count(s->p, s->option == ZMQ_SUBSCRIBE, prefix, len);
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
                p, data[0] ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, 0};
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
    for (size_t i = 0; i < p->cap; i++) {
        free(p->slots[i].topic);
        free(p->slots[i].pending);
    }
    free(p->slots);
    free(p->due);
    for (size_t i = 0; i < p->n_subs; i++)
        free(p->subs[i].prefix);
    free(p->subs);
    free(p);
    *pp = NULL;
}

/* A set of topics: a growing array, sorted at the end, and a hash index
 * into it that keeps a topic out when it is already in. A month cell
 * names every period that adds it up, so a group's changed cells name
 * the same topics many times over. */
struct topic_set {
    char **v;
    size_t n, cap;
    struct topic_slot *index; /* index_cap slots */
    size_t index_cap;
};

/* An index slot: the topic's hash, so that probing past other topics
 * compares numbers, not strings (it was a tenth of a backfill). */
struct topic_slot {
    uint32_t at;   /* 1 + position in v, 0 = empty */
    uint32_t hash; /* high bits of the topic's hash_bytes(): the low
                      ones are the slot, so they would tell little */
};

/* The slot of topic (hash h) in the index: its own, or the empty one it
 * takes. */
static size_t topic_set_slot(const struct topic_set *s, const char *topic,
                             uint64_t h)
{
    size_t i = (size_t)h & (s->index_cap - 1);
    for (; s->index[i].at; i = (i + 1) & (s->index_cap - 1)) {
        const char *t = s->v[s->index[i].at - 1];
        if (s->index[i].hash == (uint32_t)(h >> 32) && strcmp(t, topic) == 0)
            break;
    }
    return i;
}

static int topic_set_add(void *ctx, const char *topic)
{
    struct topic_set *s = ctx;
    if (2 * (s->n + 1) > s->index_cap) {
        /* at most half full: grow and index every topic again */
        free(s->index);
        s->index_cap = s->index_cap ? 2 * s->index_cap : 256;
        s->index = xcalloc(s->index_cap, sizeof(*s->index));
        for (size_t j = 0; j < s->n; j++) {
            uint64_t h = publish_hash(s->v[j]);
            s->index[topic_set_slot(s, s->v[j], h)] =
                (struct topic_slot){(uint32_t)(j + 1), (uint32_t)(h >> 32)};
        }
    }
    size_t len = strlen(topic);
    uint64_t h = hash_bytes(0, topic, len);
    size_t slot = topic_set_slot(s, topic, h);
    if (s->index[slot].at)
        return 0; /* in already */
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n] = xmalloc(len + 1);
    memcpy(s->v[s->n++], topic, len + 1);
    s->index[slot] = (struct topic_slot){(uint32_t)s->n, (uint32_t)(h >> 32)};
    return 0;
}

static int topic_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the topics (each is in once); the index is gone after. */
static void topic_set_sort(struct topic_set *s)
{
    free(s->index);
    s->index = NULL;
    s->index_cap = 0;
    if (s->n)
        qsort(s->v, s->n, sizeof(*s->v), topic_cmp);
}

static void topic_set_free(struct topic_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s->index);
    *s = (struct topic_set){0};
}

/* publish_collect()'s state. */
struct publish_collect {
    int32_t as_of;
    struct topic_set *topics;
};

/* The topics a changed cell changes (its domain's affected()). */
static int publish_collect(void *ctx, enum cellmap_db db, const char *key,
                           const void *val, size_t len)
{
    (void)db;
    (void)val;
    (void)len;
    struct publish_collect *c = ctx;
    struct cell_key_parts k;
    if (cell_key_split(key, &k))
        return 0;
    const struct agg_domain *d = agg_domain_find(k.domain);
    return d ? d->affected(&k, c->as_of, topic_set_add, c->topics) : 0;
}

static void publish_list_push(struct publish_list *l, const char *topic,
                              uint64_t seq, uint8_t *buf, size_t len,
                              uint8_t *pub_buf, size_t pub_len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->topics = xrealloc(l->topics, l->cap * sizeof(*l->topics));
        l->bufs = xrealloc(l->bufs, l->cap * sizeof(*l->bufs));
        l->lens = xrealloc(l->lens, l->cap * sizeof(*l->lens));
        l->pub_bufs = xrealloc(l->pub_bufs, l->cap * sizeof(*l->pub_bufs));
        l->pub_lens = xrealloc(l->pub_lens, l->cap * sizeof(*l->pub_lens));
        l->seqs = xrealloc(l->seqs, l->cap * sizeof(*l->seqs));
    }
    l->topics[l->n] = xstrdup(topic);
    l->bufs[l->n] = buf;
    l->lens[l->n] = len;
    l->pub_bufs[l->n] = pub_buf;
    l->pub_lens[l->n] = pub_len;
    l->seqs[l->n] = seq;
    l->n++;
}

/* The next sequence from *seq (advanced) into *next as the last update
 * of k's topic; the one before into *prev. */
static int publish_number(struct cellmap *cm, const struct cell_key_parts *k,
                          uint64_t *seq, uint64_t *prev, uint64_t *next)
{
    *next = *seq + 1;
    int rc = cell_seq_set(cm, k, *next, prev);
    if (rc == 0)
        *seq = *next;
    return rc;
}

/* The update of topic into out; when nobody is subscribed to it
 * (wanted false) only its number, so that the sequence is the same
 * whoever listens. */
static int publish_topic(struct cellmap *cm, const char *topic, int32_t as_of,
                         int below, bool wanted, uint64_t *seq,
                         struct publish_list *out)
{
    struct cell_key_parts k;
    if (cell_key_split(topic, &k))
        return 0; /* not a cell of ours: nothing to say */
    const struct agg_domain *d = agg_domain_find(k.domain);
    if (!d)
        return 0;
    uint64_t prev, next;
    if (!wanted)
        return publish_number(cm, &k, seq, &prev, &next);
    struct metric m[AGG_METRICS_MAX];
    size_t n_m;
    int rc = d->metrics(cm, &k, as_of, m, &n_m);
    if (rc)
        return rc;

    /* exact for the admins' stream; suppressed for everyone else's */
    struct metric pm[AGG_METRICS_MAX];
    memcpy(pm, m, n_m * sizeof(*m));
    struct codec_metric cm_m[AGG_METRICS_MAX], pcm_m[AGG_METRICS_MAX];
    suppress_to_wire(d->name, m, n_m, 0, false, cm_m);
    bool clear = suppress_to_wire(d->name, pm, n_m, below, false, pcm_m);
    char dimbuf[CELL_SLICE_MAX];
    const char *dk[CELL_DIMS_MAX], *dv[CELL_DIMS_MAX];
    int n_d = cell_slice_split(k.slice, dimbuf, sizeof(dimbuf), dk, dv);
    if (n_d < 0)
        n_d = 0;
    struct codec_dim dims[CELL_DIMS_MAX];
    for (int i = 0; i < n_d; i++)
        dims[i] = (struct codec_dim){.key = dk[i], .value = dv[i]};

    /* the slice's previous update, and this one in its place */
    if ((rc = publish_number(cm, &k, seq, &prev, &next)))
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
    uint8_t *buf, *pbuf = NULL;
    size_t blen, plen = 0;
    if ((rc = codec_update_encode(next, as_of_s, &s, &buf, &blen)))
        return rc;
    /* a change that would show a suppressed figure is not published;
     * without suppression both streams carry the same bytes */
    s.metrics = pcm_m;
    if (below <= 1) {
        pbuf = buf; /* the same bytes, not a copy (publish_list) */
        plen = blen;
    } else if (clear &&
               (rc = codec_update_encode(next, as_of_s, &s, &pbuf, &plen))) {
        free(buf);
        return rc;
    }
    publish_list_push(out, topic, next, buf, blen, pbuf, plen);
    return 0;
}

int publish_prepare_topics(struct cellmap *cm, int32_t as_of,
                           const struct publish *p, uint64_t *seq,
                           char **topics, size_t n, struct publish_list *out)
{
    int below = publish_suppress_below(p), rc = 0;
    /* the topics' metrics read the same month cells over and over; no
     * cell changes meanwhile (only sequence records) */
    struct agg_months *mm = agg_months_new();
    cellmap_set_memo(cm, mm);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = publish_topic(cm, topics[i], as_of, below,
                           publish_wanted(p, topics[i]), seq, out);
    cellmap_set_memo(cm, NULL);
    agg_months_free(&mm);
    return rc;
}

int publish_prepare(struct cellmap *cm, int32_t as_of, const struct publish *p,
                    uint64_t *seq, char **extra, size_t n_extra,
                    struct publish_list *out)
{
    struct topic_set topics = {0};
    for (size_t i = 0; i < n_extra; i++)
        topic_set_add(&topics, extra[i]);
    /* in any order: the topics are sorted once they are all in */
    struct publish_collect c = {.as_of = as_of, .topics = &topics};
    int rc =
        cellmap_each_dirty_unordered(cm, CELLMAP_CELLS, publish_collect, &c);
    if (rc == 0) {
        topic_set_sort(&topics);
        rc = publish_prepare_topics(cm, as_of, p, seq, topics.v, topics.n, out);
    }
    topic_set_free(&topics);
    return rc;
}

void publish_list_truncate(struct publish_list *l, size_t n)
{
    for (size_t i = n; i < l->n; i++) {
        free(l->topics[i]);
        if (l->pub_bufs[i] != l->bufs[i])
            free(l->pub_bufs[i]);
        free(l->bufs[i]);
    }
    if (n < l->n)
        l->n = n;
}

void publish_list_clear(struct publish_list *l)
{
    publish_list_truncate(l, 0);
    free(l->topics);
    free(l->bufs);
    free(l->lens);
    free(l->pub_bufs);
    free(l->pub_lens);
    free(l->seqs);
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

/* Send slot's state buf (an Update of sequence seq) on the public
 * stream, with the update sent before as its prev_seq. */
static void publish_public(struct publish *p, struct publish_slot *slot,
                           const uint8_t *buf, size_t len, uint64_t seq,
                           int64_t now)
{
    uint8_t *out;
    size_t out_len;
    if (codec_update_set_prev(buf, len, slot->last_seq, &out, &out_len))
        return;
    publish_frames(p, slot->topic, out, out_len);
    free(out);
    slot->last_seq = seq;
    slot->last_ms = now;
}

void publish_send(struct publish *p, struct publish_list *l)
{
    int64_t now = publish_now_ms();
    char topic[CELL_KEY_MAX + 1];
    for (size_t i = 0; p && i < l->n; i++) {
        snprintf(topic, sizeof(topic), "!%s", l->topics[i]);
        publish_frames(p, topic, l->bufs[i], l->lens[i]);
        if (p->interval_ms == 0 && p->suppress_below <= 1) {
            /* no suppression, no coalescing: the same stream twice, and
             * the slice's own prev_seq is the one sent before */
            publish_frames(p, l->topics[i], l->bufs[i], l->lens[i]);
            continue;
        }
        struct publish_slot *slot = publish_slot_of(p, l->topics[i]);
        free(slot->pending); /* a newer state replaces a waiting one */
        slot->pending = NULL;
        if (!l->pub_bufs[i])
            continue; /* suppressed: not shown to subscribers */
        if (p->interval_ms == 0 || slot->last_ms == 0 ||
            now - slot->last_ms >= p->interval_ms) {
            publish_public(p, slot, l->pub_bufs[i], l->pub_lens[i], l->seqs[i],
                           now);
            continue;
        }
        if (l->pub_bufs[i] == l->bufs[i]) { /* the exact bytes: a copy */
            l->pub_bufs[i] = xmalloc(l->pub_lens[i]);
            memcpy(l->pub_bufs[i], l->bufs[i], l->pub_lens[i]);
        }
        slot->pending = l->pub_bufs[i]; /* taken over */
        slot->pending_len = l->pub_lens[i];
        slot->pending_seq = l->seqs[i];
        l->pub_bufs[i] = NULL;
        if (!slot->queued) {
            if (p->n_due == p->cap_due) {
                p->cap_due = p->cap_due ? 2 * p->cap_due : 64;
                p->due = xrealloc(p->due, p->cap_due * sizeof(*p->due));
            }
            p->due[p->n_due++] = (size_t)(slot - p->slots);
            slot->queued = true;
        }
    }
    publish_list_clear(l);
}

int64_t publish_flush(struct publish *p)
{
    int64_t now = publish_now_ms(), next = INT64_MAX;
    size_t kept = 0;
    for (size_t i = 0; p && i < p->n_due; i++) {
        struct publish_slot *slot = &p->slots[p->due[i]];
        if (!slot->pending) {
            slot->queued = false;
            continue;
        }
        int64_t at = slot->last_ms + p->interval_ms;
        if (at <= now) {
            publish_public(p, slot, slot->pending, slot->pending_len,
                           slot->pending_seq, now);
            free(slot->pending);
            slot->pending = NULL;
            slot->queued = false;
            continue;
        }
        if (at - now < next)
            next = at - now;
        p->due[kept++] = p->due[i];
    }
    if (p)
        p->n_due = kept;
    return next;
}

size_t publish_sweep(struct publish *p, int64_t idle_ms)
{
    if (!p || !p->cap)
        return 0;
    if (idle_ms < p->interval_ms) /* its coalescing needs last_ms */
        idle_ms = p->interval_ms;
    int64_t idle_before = publish_now_ms() - idle_ms;
    size_t busy = 0;
    for (size_t i = 0; i < p->cap; i++)
        if (p->slots[i].topic && publish_slot_busy(&p->slots[i], idle_before))
            busy++;
    if (busy == p->n)
        return 0;
    size_t cap = 1024;
    while (2 * (busy + 1) > cap)
        cap *= 2;
    size_t before = p->n;
    publish_slots_rehash(p, cap, idle_before);
    return before - p->n;
}

size_t publish_slot_count(const struct publish *p)
{
    return p ? p->n : 0;
}

void publish_set_interval(struct publish *p, int64_t interval_ms)
{
    p->interval_ms = interval_ms;
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

/* agg_emit_fn: keep a topic whose period is running on either day. */
static int rollover_keep(void *ctx, const char *topic)
{
    struct rollover_scan *r = ctx;
    struct cell_key_parts k;
    if (cell_key_split(topic, &k) == 0 &&
        (period_is_running(&k.period, r->old_as_of) ||
         period_is_running(&k.period, r->new_as_of)))
        return topic_set_add(&r->keys, topic);
    return 0;
}

/* store_scan_fn: the running periods a stored cell's figures reach
 * (its domain's affected(); a period that adds up month cells may have
 * no cell of its own). Only cells within a year or so of the two days
 * can reach a period that contains one of them. */
static int publish_rollover_collect(void *ctx, const char *key, size_t klen,
                                    const void *val, size_t len)
{
    (void)val;
    (void)len;
    struct rollover_scan *r = ctx;
    struct cell_key_parts k;
    const struct agg_domain *d;
    int32_t lo =
        period_month_of_day(r->old_as_of < r->new_as_of ? r->old_as_of
                                                        : r->new_as_of) -
        24;
    int32_t hi =
        period_month_of_day(r->old_as_of > r->new_as_of ? r->old_as_of
                                                        : r->new_as_of) +
        24;
    if (cell_key_split_n(key, klen, &k) || k.period.last_month < lo ||
        k.period.first_month > hi || !(d = agg_domain_find(k.domain)))
        return 0;
    int rc = d->affected(&k, r->old_as_of, rollover_keep, r);
    return rc ? rc : d->affected(&k, r->new_as_of, rollover_keep, r);
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
    uint64_t seq0 = seq;
    topic_set_sort(&r.keys);
    cm = cellmap_new(store_load, t);
    before = xcalloc(r.keys.n ? r.keys.n : 1, sizeof(*before));
    for (size_t i = 0; i < r.keys.n; i++)
        before[i] = publish_fingerprint(cm, r.keys.v[i], old_as_of);
    if (advance && (rc = advance(ctx, t, cm, old_as_of, new_as_of)))
        goto out;
    for (size_t i = 0; i < r.keys.n; i++)
        if (publish_fingerprint(cm, r.keys.v[i], new_as_of) != before[i])
            topic_set_add(&changed, r.keys.v[i]);
    if ((rc = publish_prepare(cm, new_as_of, p, &seq, changed.v, changed.n,
                              &l)) ||
        (rc = store_meta_put(t, PUBLISH_AS_OF_KEY, (uint64_t)new_as_of)) ||
        (rc = store_flush(t, cm)) || (rc = store_seq_put(t, seq)) ||
        (rc = store_txn_commit(&t)))
        goto out;
    char a[11], b[11];
    period_date_format(old_as_of, a);
    period_date_format(new_as_of, b);
    log_info("publish: as-of %s -> %s: %" PRIu64 " slices updated", a, b,
             seq - seq0);
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
