/*
 * sub.c — libnyckel's subscriber: the Clone pattern of the ZeroMQ guide
 * over nyckeld's PUB and query sockets (DESIGN §6).
 *
 * States, driven by nyckel_sub_poll() without ever blocking longer than
 * the caller allows:
 *
 *   CONNECTING   SUB socket connected and subscribed; waiting (at most
 *                SETTLE_MS) for a first PUB message, which proves that
 *                the subscription reached nyckeld, so no update published
 *                after the snapshot can be missed. Messages read here
 *                are older than the snapshot about to be taken and are
 *                dropped (heartbeats are noted).
 *   SNAPSHOTTING Query sent on a fresh DEALER; PUB messages stay queued
 *                in ZeroMQ (RCVHWM SUB_RCVHWM) until the answer is in.
 *   LIVE         Updates applied by the per-slice chain rule: ignore if
 *                seq <= held, apply if prev_seq <= held, else a gap (an
 *                update in between was missed) and back to SNAPSHOTTING.
 * Nothing from PUB for silence_ms: close SUB and back to CONNECTING. FAILED The
 * snapshot was refused or unusable; polls return the code.
 *
 * Without a configured period there is nothing to snapshot: the
 * subscriber goes straight to LIVE and a slice enters the view with its
 * first update (updates carry every metric of their slice).
 *
 * Both sockets are CURVE clients when configured so, and in any state
 * their handshake monitors (curve.c) are polled too: a refused or failed
 * handshake on either makes the subscriber FAILED with the CURVE code,
 * instead of an endless round of NO_ANSWER and SILENCE.
 */
#include "curve.h"
#include "nyckel.pb-c.h"
#include "nyckel_sub.h"
#include "sub_wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define SETTLE_MS 1500   /* > heartbeat interval (1 s) */
#define RETRY_MS 1000    /* pause before asking again after no answer */
#define SUB_RCVHWM 50000 /* PUB messages queued while snapshotting */
#define DRAIN_MAX 10000  /* messages handled per poll, then return */
#define AS_OF_MAX 32     /* "YYYY-MM-DD" with room to spare */

enum sub_state {
    SUB_CONNECTING,
    SUB_SNAPSHOTTING,
    SUB_LIVE,
    SUB_FAILED,
};

struct nyckel_sub {
    char *query_ep; /* owned copies of the configuration */
    char *pub_ep;
    char *municipality;
    char *domain;      /* NULL: all */
    char *period;      /* NULL: all, no snapshot */
    char *rollup;      /* NULL: totals */
    char *prefix;      /* subscription prefix ("!..." when exact) */
    int exact;         /* the admins' exact stream and snapshots */
    int timeout_ms;    /* snapshot answer */
    int silence_ms;    /* PUB silence before reconnecting */
    nyckel_sub_fn *fn; /* may be NULL */
    void *arg;
    struct nyckel_curve curve; /* checked copy, when use_curve */
    int use_curve;             /* nonzero: both sockets are CURVE clients */

    void *ctx;                    /* ZeroMQ context, owned */
    void *sub;                    /* SUB socket or NULL */
    void *dealer;                 /* DEALER of the snapshot in flight or NULL */
    struct curve_mon *sub_mon;    /* handshakes of sub, NULL with it */
    struct curve_mon *dealer_mon; /* handshakes of dealer, NULL with it */

    enum sub_state state;
    long long t_state_ms;    /* when the state began (monotonic) */
    long long t_last_pub_ms; /* last PUB message */
    int seen_pub;            /* CONNECTING: a PUB message arrived */
    int retrying;            /* CONNECTING after a failed snapshot */
    int fail_rc;             /* FAILED: what polls return */

    struct nyckel_result view; /* slices owned; as_of -> as_of_buf */
    size_t view_cap;           /* allocated slices */
    char **keys;               /* keys[i] names view.slices[i] */
    int32_t *index;            /* open addressing: -1 or a view index */
    size_t index_cap;          /* power of two, > 2 * n_slices */
    char as_of_buf[AS_OF_MAX];
    uint64_t heartbeat_seq;
    unsigned snapshots;
};

/* ------------------------------------------------------------ view */

static uint64_t key_hash(const char *k)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *k; k++) {
        h ^= (unsigned char)*k;
        h *= 1099511628211ull;
    }
    return h;
}

static char *slice_key(const struct nyckel_slice *sl)
{
    char small[256];
    int n = nyckel_slice_name(sl, small, sizeof small);
    char *name = NULL;
    if (n < 0) {
        size_t need = 6;
        for (size_t i = 0; i < sl->n_dims; i++)
            need += strlen(sl->dims[i].key) + strlen(sl->dims[i].value) + 2;
        name = sub_xmalloc(need);
        nyckel_slice_name(sl, name, need);
    }
    const char *nm = name ? name : small;
    size_t len = strlen(sl->municipality) + strlen(sl->domain) +
                 strlen(sl->period) + strlen(nm) + 4;
    char *key = sub_xmalloc(len);
    snprintf(key, len, "%s/%s/%s/%s", sl->municipality, sl->domain, sl->period,
             nm);
    free(name);
    return key;
}

static void index_rebuild(struct nyckel_sub *s, size_t cap)
{
    free(s->index);
    s->index = sub_xmalloc(cap * sizeof *s->index);
    s->index_cap = cap;
    for (size_t i = 0; i < cap; i++)
        s->index[i] = -1;
    for (size_t i = 0; i < s->view.n_slices; i++) {
        size_t h = key_hash(s->keys[i]) & (cap - 1);
        while (s->index[h] >= 0)
            h = (h + 1) & (cap - 1);
        s->index[h] = (int32_t)i;
    }
}

/* The view index of key, or -1. */
static long view_find(const struct nyckel_sub *s, const char *key)
{
    if (!s->index_cap)
        return -1;
    size_t h = key_hash(key) & (s->index_cap - 1);
    while (s->index[h] >= 0) {
        if (strcmp(s->keys[s->index[h]], key) == 0)
            return s->index[h];
        h = (h + 1) & (s->index_cap - 1);
    }
    return -1;
}

/* Append *sl (moved: *sl is zeroed) under key (owned). Returns the
 * index, or -1 when the view is full (sl and key are then freed). */
static long view_append(struct nyckel_sub *s, struct nyckel_slice *sl,
                        char *key)
{
    size_t n = s->view.n_slices;
    if (n >= NYCKEL_SUB_MAX_SLICES) {
        sub_wire_slice_fini(sl);
        free(key);
        return -1;
    }
    if (n == s->view_cap) {
        s->view_cap = s->view_cap ? s->view_cap * 2 : 64;
        s->view.slices =
            sub_xrealloc(s->view.slices, s->view_cap * sizeof *s->view.slices);
        s->keys = sub_xrealloc(s->keys, s->view_cap * sizeof *s->keys);
    }
    s->view.slices[n] = *sl;
    memset(sl, 0, sizeof *sl);
    s->keys[n] = key;
    s->view.n_slices = n + 1;
    if (2 * (n + 1) >= s->index_cap) {
        index_rebuild(s, s->index_cap ? s->index_cap * 2 : 256);
    } else {
        size_t h = key_hash(key) & (s->index_cap - 1);
        while (s->index[h] >= 0)
            h = (h + 1) & (s->index_cap - 1);
        s->index[h] = (int32_t)n;
    }
    return (long)n;
}

static void view_clear(struct nyckel_sub *s)
{
    for (size_t i = 0; i < s->view.n_slices; i++) {
        sub_wire_slice_fini(&s->view.slices[i]);
        free(s->keys[i]);
    }
    s->view.n_slices = 0;
    for (size_t i = 0; i < s->index_cap; i++)
        s->index[i] = -1;
}

static void note_as_of(struct nyckel_sub *s, const char *as_of)
{
    if (as_of && *as_of)
        snprintf(s->as_of_buf, sizeof s->as_of_buf, "%s", as_of);
}

/* ------------------------------------------------------------ filter */

static int rollup_matches(const struct nyckel_slice *sl, const char *rollup)
{
    if (!rollup)
        return sl->n_dims == 0;
    if (sl->n_dims == 0)
        return 0;
    const char *p = rollup;
    for (size_t i = 0; i < sl->n_dims; i++) {
        if (i && *p++ != ',')
            return 0;
        size_t n = strlen(sl->dims[i].key);
        if (strncmp(p, sl->dims[i].key, n) != 0)
            return 0;
        p += n;
    }
    return *p == '\0';
}

/* Whether sl belongs to what this subscriber watches. */
static int sub_wants(const struct nyckel_sub *s, const struct nyckel_slice *sl)
{
    return strcmp(sl->municipality, s->municipality) == 0 &&
           (!s->domain || strcmp(sl->domain, s->domain) == 0) &&
           (!s->period || strcmp(sl->period, s->period) == 0) &&
           rollup_matches(sl, s->rollup);
}

/* ------------------------------------------------------------ events */

static void emit(struct nyckel_sub *s, struct nyckel_sub_event *ev)
{
    if (!ev->as_of)
        ev->as_of = s->as_of_buf;
    if (s->fn)
        s->fn(ev, s->arg);
}

static void set_state(struct nyckel_sub *s, enum sub_state st)
{
    s->state = st;
    s->t_state_ms = sub_wire_now_ms();
    s->seen_pub = 0;
}

/* ------------------------------------------------------------ sockets */

/* Close *sock and its handshake monitor *mon (the monitor first). */
static void close_sock(void **sock, struct curve_mon **mon)
{
    curve_mon_close(mon);
    if (*sock) {
        zmq_close(*sock);
        *sock = NULL;
    }
}

static const struct nyckel_curve *sub_curve(const struct nyckel_sub *s)
{
    return s->use_curve ? &s->curve : NULL;
}

static int open_sub(struct nyckel_sub *s)
{
    int rc = 0;
    int linger = 0, hwm = SUB_RCVHWM;
    int64_t max_bytes = NYCKEL_SUB_MAX_UPDATE_BYTES;
    struct curve_mon *mon = NULL;
    void *sock = zmq_socket(s->ctx, ZMQ_SUB);
    if (!sock)
        return -zmq_errno();
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_bytes, sizeof max_bytes) ||
        zmq_setsockopt(sock, ZMQ_SUBSCRIBE, s->prefix, strlen(s->prefix)) ||
        zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "heartbeat", 9)) {
        rc = -zmq_errno();
        goto out;
    }
    rc = curve_sock_setup(s->ctx, sock, sub_curve(s), &mon);
    if (!rc && zmq_connect(sock, s->pub_ep))
        rc = -zmq_errno();
out:
    if (rc) {
        close_sock(&sock, &mon);
        return rc;
    }
    s->sub = sock;
    s->sub_mon = mon;
    return 0;
}

static int start_snapshot(struct nyckel_sub *s)
{
    const char *domains[1] = {s->domain};
    struct nyckel_query q = {
        .municipality = s->municipality,
        .n_domains = s->domain ? 1 : 0,
        .domains = domains,
        .period = s->period,
        .rollup = s->rollup,
        .exact = s->exact,
    };
    close_sock(&s->dealer, &s->dealer_mon);
    int rc = sub_wire_dealer_open(s->ctx, s->query_ep, sub_curve(s), &s->dealer,
                                  &s->dealer_mon);
    if (!rc)
        rc = sub_wire_query_send(s->dealer, &q);
    if (rc) {
        close_sock(&s->dealer, &s->dealer_mon);
        return rc;
    }
    set_state(s, SUB_SNAPSHOTTING);
    return 0;
}

static int fail(struct nyckel_sub *s, int rc)
{
    close_sock(&s->dealer, &s->dealer_mon);
    s->fail_rc = rc;
    set_state(s, SUB_FAILED);
    return rc;
}

/* Install a snapshot answer (taking its slices). */
static int take_snapshot(struct nyckel_sub *s, struct nyckel_result *r)
{
    if (r->error) {
        free((void *)s->view.error);
        free((void *)s->view.text);
        s->view.error = sub_xstrdup(r->error);
        s->view.text = sub_xstrdup(r->text);
        return fail(s, NYCKEL_SUB_EREFUSED);
    }
    view_clear(s);
    for (size_t i = 0; i < r->n_slices; i++) {
        struct nyckel_slice *sl = &r->slices[i];
        if (!sub_wants(s, sl))
            continue;
        char *key = slice_key(sl);
        if (view_find(s, key) >= 0) { /* a repeated slice: keep the first */
            free(key);
            continue;
        }
        view_append(s, sl, key);
    }
    s->view.protocol = r->protocol;
    s->view.seq = r->seq;
    note_as_of(s, r->as_of);
    s->snapshots++;
    set_state(s, SUB_LIVE);
    s->t_last_pub_ms = s->t_state_ms;

    struct nyckel_sub_event ev = {.kind = NYCKEL_SUB_SNAPSHOT, .seq = r->seq};
    emit(s, &ev);
    return 0;
}

/* ------------------------------------------------------------ updates */

/* Fill fields the Update's slice left empty from its topic
 * "<municipality>/<domain>/<period>/<slice>". */
static void fill_from_topic(struct nyckel_slice *sl, const char *topic,
                            size_t len)
{
    const char **fields[3] = {&sl->municipality, &sl->domain, &sl->period};
    const char *p = topic, *end = topic + len;
    for (int f = 0; f < 3 && p < end; f++) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
        if (!**fields[f]) {
            char *v = sub_xmalloc(n + 1);
            memcpy(v, p, n);
            v[n] = '\0';
            free((void *)*fields[f]);
            *fields[f] = v;
        }
        p += n + (slash ? 1 : 0);
    }
}

/* Labels and units the update did not carry come from the held slice. */
static void merge_labels(struct nyckel_slice *fresh,
                         const struct nyckel_slice *held)
{
    struct nyckel_metric *ms = (struct nyckel_metric *)fresh->metrics;
    for (size_t i = 0; i < fresh->n_metrics; i++) {
        if (ms[i].label && ms[i].unit)
            continue;
        for (size_t j = 0; j < held->n_metrics; j++) {
            const struct nyckel_metric *h = &held->metrics[j];
            if (strcmp(h->id, ms[i].id) != 0)
                continue;
            if (!ms[i].label)
                ms[i].label = sub_xstrdup(h->label);
            if (!ms[i].unit)
                ms[i].unit = sub_xstrdup(h->unit);
            break;
        }
    }
}

/* Put fresh (moved) into the view as the new state of its slice. */
static void apply(struct nyckel_sub *s, struct nyckel_slice *fresh, long at,
                  uint64_t seq, const char *as_of)
{
    fresh->seq = seq;
    if (at >= 0) {
        merge_labels(fresh, &s->view.slices[at]);
        sub_wire_slice_fini(&s->view.slices[at]);
        s->view.slices[at] = *fresh;
        memset(fresh, 0, sizeof *fresh);
    } else {
        at = view_append(s, fresh, slice_key(fresh));
        if (at < 0)
            return; /* view full: the slice is not watched */
    }
    if (seq > s->view.seq)
        s->view.seq = seq;
    note_as_of(s, as_of);
    struct nyckel_sub_event ev = {
        .kind = NYCKEL_SUB_UPDATE,
        .seq = seq,
        .slice = &s->view.slices[at],
    };
    emit(s, &ev);
}

/* One Update in LIVE state. Returns 1 when a resnapshot was started
 * (stop reading PUB), 0, or a negative code. */
static int on_update(struct nyckel_sub *s, const char *topic, size_t topic_len,
                     const void *body, size_t len)
{
    int rc = 0;
    struct nyckel_slice fresh = {0};
    char *key = NULL;
    Nyckel__Update *u = nyckel__update__unpack(NULL, len, body);

    /* Malformed or foreign frames are dropped: a subscriber cannot
     * answer the publisher, and one bad frame must not stop the view. */
    if (!u || !u->has_protocol || u->protocol != NYCKEL_SUB_PROTOCOL ||
        !u->slice || !u->has_seq)
        goto out;
    sub_wire_slice_from_pb(&fresh, u->slice);
    if (topic_len && topic[0] == '!') { /* the admins' stream */
        topic++;
        topic_len--;
    }
    fill_from_topic(&fresh, topic, topic_len);
    if (!sub_wants(s, &fresh))
        goto out;

    uint64_t seq = u->seq;
    uint64_t prev = u->has_prev_seq ? u->prev_seq : 0;
    key = slice_key(&fresh);
    long at = view_find(s, key);
    uint64_t held = at >= 0 ? s->view.slices[at].seq : 0;

    if (seq <= held)
        goto out; /* already in the view */
    /* Updates carry a slice's full state: one is missing only when the
     * update before this one is newer than what the view holds (the
     * public stream sends at most one a slice per interval, so prev may
     * be older than a snapshot). Without a snapshot a slice's first
     * update cannot be judged. */
    if (prev > held && (s->period || at >= 0)) {
        struct nyckel_sub_event ev = {
            .kind = NYCKEL_SUB_GAP,
            .seq = seq,
            .as_of = u->as_of,
            .slice = &fresh,
            .prev_seq = prev,
            .held_seq = held,
            .resnapshot = s->period != NULL,
        };
        emit(s, &ev);
        if (s->period) {
            rc = start_snapshot(s);
            rc = rc ? rc : 1;
            goto out;
        }
        /* No snapshot covers every period: adopt the full slice. */
    }
    apply(s, &fresh, at, seq, u->as_of);
out:
    free(key);
    sub_wire_slice_fini(&fresh);
    if (u)
        nyckel__update__free_unpacked(u, NULL);
    return rc;
}

static void on_heartbeat(struct nyckel_sub *s, const void *body, size_t len)
{
    Nyckel__Heartbeat *hb = nyckel__heartbeat__unpack(NULL, len, body);
    if (!hb)
        return;
    if (hb->has_protocol && hb->protocol == NYCKEL_SUB_PROTOCOL) {
        s->heartbeat_seq = hb->has_seq ? hb->seq : 0;
        note_as_of(s, hb->as_of);
        struct nyckel_sub_event ev = {
            .kind = NYCKEL_SUB_HEARTBEAT,
            .seq = s->heartbeat_seq,
        };
        emit(s, &ev);
    }
    nyckel__heartbeat__free_unpacked(hb, NULL);
}

/*
 * Read and handle one PUB message if one is waiting. Returns 1 when one
 * was read, 0 when none was waiting, 2 when it started a resnapshot, or
 * a negative code.
 */
static int read_pub(struct nyckel_sub *s)
{
    int rc = 0;
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&topic, s->sub, ZMQ_DONTWAIT) < 0) {
        int e = zmq_errno();
        rc = e == EAGAIN ? 0 : -e;
        goto out;
    }
    rc = 1;
    s->t_last_pub_ms = sub_wire_now_ms();
    s->seen_pub = 1;
    int frames = 1;
    int more = zmq_msg_more(&topic);
    while (more) {
        zmq_msg_t *dst = frames == 1 ? &body : NULL;
        zmq_msg_t extra;
        if (!dst) {
            zmq_msg_init(&extra);
            dst = &extra;
        }
        if (zmq_msg_recv(dst, s->sub, 0) < 0) {
            rc = -zmq_errno();
            if (dst == &extra)
                zmq_msg_close(&extra);
            goto out;
        }
        more = zmq_msg_more(dst);
        if (dst == &extra)
            zmq_msg_close(&extra);
        frames++;
    }
    if (frames != 2)
        goto out;

    const char *t = zmq_msg_data(&topic);
    size_t tlen = zmq_msg_size(&topic);
    if (tlen == 9 && memcmp(t, "heartbeat", 9) == 0) {
        on_heartbeat(s, zmq_msg_data(&body), zmq_msg_size(&body));
    } else if (s->state == SUB_LIVE) {
        int u = on_update(s, t, tlen, zmq_msg_data(&body), zmq_msg_size(&body));
        rc = u < 0 ? u : (u ? 2 : 1);
    }
    /* Updates read while CONNECTING predate the snapshot: dropped. */
out:
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    return rc;
}

/* ------------------------------------------------------------ states */

/* Work that is due now, whatever arrived. */
static int sub_due(struct nyckel_sub *s)
{
    int rc = 0;
    long long now = sub_wire_now_ms();

    switch (s->state) {
    case SUB_CONNECTING:
        if (!s->sub) {
            rc = open_sub(s);
            if (rc)
                return fail(s, rc);
            s->t_last_pub_ms = now;
        }
        if (!s->period) {
            set_state(s, SUB_LIVE);
            s->t_last_pub_ms = s->t_state_ms;
            return 0;
        }
        {
            long long since = now - s->t_state_ms;
            int ready = s->seen_pub && (!s->retrying || since >= RETRY_MS);
            if (ready || since >= SETTLE_MS) {
                rc = start_snapshot(s);
                if (rc)
                    return fail(s, rc);
            }
        }
        return 0;
    case SUB_SNAPSHOTTING:
        if (now - s->t_state_ms >= s->timeout_ms) {
            struct nyckel_sub_event ev = {
                .kind = NYCKEL_SUB_NO_ANSWER,
                .elapsed_ms = (int)(now - s->t_state_ms),
            };
            close_sock(&s->dealer, &s->dealer_mon);
            set_state(s, SUB_CONNECTING);
            s->retrying = 1;
            emit(s, &ev);
        }
        return 0;
    case SUB_LIVE:
        if (now - s->t_last_pub_ms >= s->silence_ms) {
            struct nyckel_sub_event ev = {
                .kind = NYCKEL_SUB_SILENCE,
                .elapsed_ms = (int)(now - s->t_last_pub_ms),
            };
            close_sock(&s->sub, &s->sub_mon);
            set_state(s, SUB_CONNECTING);
            s->retrying = 0;
            emit(s, &ev);
            return sub_due(s); /* reconnect now */
        }
        return 0;
    case SUB_FAILED:
        return s->fail_rc;
    }
    return 0;
}

/* Milliseconds until sub_due() has something to do (may be 0). */
static long long sub_next_due(const struct nyckel_sub *s, long long now)
{
    long long at;
    switch (s->state) {
    case SUB_CONNECTING:
        at = s->t_state_ms + SETTLE_MS;
        if (s->seen_pub && s->retrying)
            at = s->t_state_ms + RETRY_MS;
        break;
    case SUB_SNAPSHOTTING:
        at = s->t_state_ms + s->timeout_ms;
        break;
    case SUB_LIVE:
        at = s->t_last_pub_ms + s->silence_ms;
        break;
    default:
        return 0;
    }
    return at > now ? at - now : 0;
}

/* Handle what is readable on the socket of the current state. */
static int sub_readable(struct nyckel_sub *s)
{
    if (s->state == SUB_SNAPSHOTTING) {
        struct nyckel_result *r = NULL;
        int rc = sub_wire_result_recv(s->dealer, &r);
        if (rc == -EAGAIN || rc == -EINTR)
            return 0;
        close_sock(&s->dealer, &s->dealer_mon);
        if (rc)
            return fail(s, rc);
        rc = take_snapshot(s, r);
        nyckel_result_destroy(&r);
        return rc;
    }
    for (int i = 0; i < DRAIN_MAX && s->sub; i++) {
        int rc = read_pub(s);
        if (rc == -EINTR)
            return rc;
        if (rc < 0)
            return fail(s, rc);
        if (rc == 0 || rc == 2)
            break;
    }
    return 0;
}

/* 0, or the CURVE code of a failed handshake on either socket. */
static int check_handshakes(struct nyckel_sub *s)
{
    int rc = curve_mon_check(s->sub_mon);
    return rc ? rc : curve_mon_check(s->dealer_mon);
}

int nyckel_sub_poll(struct nyckel_sub *s, int timeout_ms)
{
    if (!s)
        return -EINVAL;
    long long end = sub_wire_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int rc = sub_due(s);
        if (rc)
            return rc;
        long long now = sub_wire_now_ms();
        long long wait = end - now;
        long long due = sub_next_due(s, now);
        if (due < wait)
            wait = due;
        if (wait < 0)
            wait = 0;
        void *sock = s->state == SUB_SNAPSHOTTING ? s->dealer : s->sub;
        zmq_pollitem_t items[3];
        int n_items = 0;
        if (sock)
            items[n_items++] =
                (zmq_pollitem_t){.socket = sock, .events = ZMQ_POLLIN};
        if (s->sub_mon)
            items[n_items++] = (zmq_pollitem_t){
                .socket = curve_mon_socket(s->sub_mon), .events = ZMQ_POLLIN};
        if (s->dealer_mon)
            items[n_items++] =
                (zmq_pollitem_t){.socket = curve_mon_socket(s->dealer_mon),
                                 .events = ZMQ_POLLIN};
        int n = zmq_poll(items, n_items, (long)wait);
        if (n < 0) {
            int e = zmq_errno();
            return e == EINTR ? -EINTR : fail(s, -e);
        }
        rc = check_handshakes(s);
        if (rc)
            return fail(s, rc);
        if (sock && (items[0].revents & ZMQ_POLLIN)) {
            rc = sub_readable(s);
            return rc ? rc : sub_due(s);
        }
        if (sub_wire_now_ms() >= end)
            return sub_due(s);
    }
}

/* ------------------------------------------------------------ object */

int nyckel_sub_new(const struct nyckel_sub_config *cfg, nyckel_sub_fn *fn,
                   void *arg, struct nyckel_sub **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!cfg || !cfg->municipality || !*cfg->municipality)
        return -EINVAL;

    struct nyckel_sub *s = sub_xcalloc(1, sizeof *s);
    int rc = curve_copy(&s->curve, cfg->curve);
    if (rc) {
        free(s);
        return rc;
    }
    s->use_curve = cfg->curve != NULL;
    s->ctx = zmq_ctx_new();
    if (!s->ctx) {
        rc = -zmq_errno();
        curve_wipe(&s->curve, sizeof s->curve);
        free(s);
        return rc;
    }
#define OPT(x) (cfg->x && *cfg->x ? sub_xstrdup(cfg->x) : NULL)
    s->query_ep = cfg->query_endpoint && *cfg->query_endpoint
                      ? sub_xstrdup(cfg->query_endpoint)
                      : sub_xstrdup(NYCKEL_SUB_DEFAULT_QUERY);
    s->pub_ep = cfg->pub_endpoint && *cfg->pub_endpoint
                    ? sub_xstrdup(cfg->pub_endpoint)
                    : sub_xstrdup(NYCKEL_SUB_DEFAULT_PUB);
    s->municipality = sub_xstrdup(cfg->municipality);
    s->domain = OPT(domain);
    s->period = OPT(period);
    s->rollup = OPT(rollup);
#undef OPT
    if (s->rollup && strcmp(s->rollup, "total") == 0) {
        free(s->rollup);
        s->rollup = NULL;
    }
    size_t plen = strlen(s->municipality) +
                  (s->domain ? strlen(s->domain) : 0) +
                  (s->period ? strlen(s->period) : 0) + 5;
    s->prefix = sub_xmalloc(plen);
    s->exact = cfg->exact;
    const char *bang = s->exact ? "!" : "";
    if (s->domain && s->period)
        snprintf(s->prefix, plen, "%s%s/%s/%s/", bang, s->municipality,
                 s->domain, s->period);
    else if (s->domain)
        snprintf(s->prefix, plen, "%s%s/%s/", bang, s->municipality, s->domain);
    else
        snprintf(s->prefix, plen, "%s%s/", bang, s->municipality);
    s->timeout_ms =
        cfg->timeout_ms > 0 ? cfg->timeout_ms : NYCKEL_SUB_DEFAULT_TIMEOUT_MS;
    s->silence_ms =
        cfg->silence_ms > 0 ? cfg->silence_ms : NYCKEL_SUB_DEFAULT_SILENCE_MS;
    s->fn = fn;
    s->arg = arg;
    s->view.protocol = NYCKEL_SUB_PROTOCOL;
    s->view.as_of = s->as_of_buf;
    set_state(s, SUB_CONNECTING);
    *out = s;
    return 0;
}

void nyckel_sub_destroy(struct nyckel_sub **sp)
{
    if (!sp || !*sp)
        return;
    struct nyckel_sub *s = *sp;
    close_sock(&s->sub, &s->sub_mon);
    close_sock(&s->dealer, &s->dealer_mon);
    zmq_ctx_term(s->ctx);
    curve_wipe(&s->curve, sizeof s->curve);
    view_clear(s);
    free(s->view.slices);
    free(s->keys);
    free(s->index);
    free((void *)s->view.error);
    free((void *)s->view.text);
    free(s->query_ep);
    free(s->pub_ep);
    free(s->municipality);
    free(s->domain);
    free(s->period);
    free(s->rollup);
    free(s->prefix);
    free(s);
    *sp = NULL;
}

const struct nyckel_result *nyckel_sub_view(const struct nyckel_sub *s)
{
    return &s->view;
}

uint64_t nyckel_sub_heartbeat_seq(const struct nyckel_sub *s)
{
    return s->heartbeat_seq;
}

unsigned nyckel_sub_snapshots(const struct nyckel_sub *s)
{
    return s->snapshots;
}
