/*
 * query.c — libnyckel's snapshot queries (DESIGN §6 "Queries") and the
 * wire conversions the subscriber shares (sub_wire.h).
 *
 * A query is one frame on a fresh DEALER socket: a fresh socket per
 * query means a late answer to an earlier, timed-out query can never be
 * taken for the answer to this one (QueryResult carries no request id).
 * Linger is 0 so that giving up never blocks on unsent frames. The
 * DEALER's handshake is monitored (curve.c), so that a refused CURVE key
 * ends the wait at once instead of at the timeout.
 */
#include "nyckel.pb-c.h"
#include "nyckel_sub.h"
#include "sub_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* ------------------------------------------------------------ memory */

static void sub_oom(size_t size)
{
    fprintf(stderr, "libnyckel: out of memory allocating %zu bytes\n", size);
    abort();
}

void *sub_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        sub_oom(size);
    return p;
}

void *sub_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        sub_oom(n * size);
    return p;
}

void *sub_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        sub_oom(size);
    return q;
}

char *sub_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = sub_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

char *sub_xstrdup0(const char *s)
{
    return sub_xstrdup(s ? s : "");
}

long long sub_wire_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ errors */

const char *nyckel_sub_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case NYCKEL_SUB_ETIMEOUT:
        return "no answer within the timeout";
    case NYCKEL_SUB_EMALFORMED:
        return "malformed message from nyckeld";
    case NYCKEL_SUB_EPROTOCOL:
        return "nyckeld speaks another protocol version";
    case NYCKEL_SUB_EREFUSED:
        return "query refused by nyckeld";
    case NYCKEL_SUB_ETOOMANY:
        return "too many domains or filters in one query";
    case NYCKEL_EKEY:
        return "CURVE key unusable (or libzmq built without CURVE)";
    case NYCKEL_EAUTH:
        return "the server refused this client's key (authentication failed)";
    case NYCKEL_EHANDSHAKE:
        return "the server dropped the handshake (wrong server key, or "
               "CURVE on one side only?)";
    case NYCKEL_EMECHANISM:
        return "the server and this client disagree on CURVE (keys on one "
               "side only)";
    default:
        break;
    }
    /* ZeroMQ's texts cover errno and its own codes (ETERM, EFSM, ...) */
    return zmq_strerror(code < 0 ? -code : code);
}

/* ------------------------------------------------------------ slices */

static void metrics_free(const struct nyckel_metric *ms, size_t n)
{
    for (size_t i = 0; ms && i < n; i++) {
        free((void *)ms[i].id);
        free((void *)ms[i].label);
        free((void *)ms[i].unit);
        free((void *)ms[i].status);
    }
    free((void *)ms);
}

void sub_wire_slice_fini(struct nyckel_slice *s)
{
    if (!s)
        return;
    free((void *)s->municipality);
    free((void *)s->domain);
    free((void *)s->period);
    for (size_t i = 0; i < s->n_dims; i++) {
        free((void *)s->dims[i].key);
        free((void *)s->dims[i].value);
    }
    free((void *)s->dims);
    metrics_free(s->metrics, s->n_metrics);
    metrics_free(s->previous, s->n_previous);
    metrics_free(s->change_pct, s->n_previous);
    memset(s, 0, sizeof *s);
}

/* Copy of wire metric m (NULL: an all-absent one) into *dst. */
static void metric_from_pb(struct nyckel_metric *dst, const Nyckel__Metric *m)
{
    dst->id = sub_xstrdup0(m ? m->id : NULL);
    dst->label = m ? sub_xstrdup(m->label) : NULL;
    dst->unit = m ? sub_xstrdup(m->unit) : NULL;
    dst->status = m ? sub_xstrdup(m->status) : NULL;
    dst->is_null = !(m && m->has_value);
    dst->value = dst->is_null ? 0.0 : m->value;
}

/*
 * previous as received; change_pct rearranged to match it by id (the
 * first entry of that id; none, or one without a value, is null).
 * Change entries for ids without a previous value are dropped.
 */
static void comparison_from_pb(struct nyckel_slice *dst,
                               const Nyckel__Slice *src)
{
    size_t n = src->n_previous;
    if (n == 0)
        return;
    struct nyckel_metric *prev = sub_xcalloc(n, sizeof *prev);
    struct nyckel_metric *chg = sub_xcalloc(n, sizeof *chg);
    for (size_t i = 0; i < n; i++) {
        metric_from_pb(&prev[i], src->previous[i]);
        const Nyckel__Metric *c = NULL;
        for (size_t j = 0; j < src->n_change_pct && !c; j++) {
            const Nyckel__Metric *cj = src->change_pct[j];
            if (cj && strcmp(cj->id ? cj->id : "", prev[i].id) == 0)
                c = cj;
        }
        metric_from_pb(&chg[i], c);
        if (!c) { /* not sent at all: null, named like its previous */
            free((void *)chg[i].id);
            chg[i].id = sub_xstrdup(prev[i].id);
        }
    }
    dst->previous = prev;
    dst->change_pct = chg;
    dst->n_previous = n;
}

void sub_wire_slice_from_pb(struct nyckel_slice *dst, const Nyckel__Slice *src)
{
    memset(dst, 0, sizeof *dst);
    dst->municipality = sub_xstrdup0(src->municipality);
    dst->domain = sub_xstrdup0(src->domain);
    dst->period = sub_xstrdup0(src->period);
    dst->seq = src->has_seq ? src->seq : 0;

    struct nyckel_dim *dims = sub_xcalloc(src->n_dims, sizeof *dims);
    for (size_t i = 0; i < src->n_dims; i++) {
        const Nyckel__Dim *d = src->dims[i];
        dims[i].key = sub_xstrdup0(d ? d->key : NULL);
        dims[i].value = sub_xstrdup0(d ? d->value : NULL);
    }
    dst->dims = dims;
    dst->n_dims = src->n_dims;

    struct nyckel_metric *ms = sub_xcalloc(src->n_metrics, sizeof *ms);
    for (size_t i = 0; i < src->n_metrics; i++)
        metric_from_pb(&ms[i], src->metrics[i]);
    dst->metrics = ms;
    dst->n_metrics = src->n_metrics;

    comparison_from_pb(dst, src);
}

/* ------------------------------------------------------------ health */

static void counts_free(const struct nyckel_count *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free((void *)c[i].name);
    free((void *)c);
}

static void health_free(const struct nyckel_health *h)
{
    if (!h)
        return;
    free((void *)h->version);
    counts_free(h->rejected, h->n_rejected);
    counts_free(h->batches_refused, h->n_batches_refused);
    free((void *)h);
}

/* Copies of n wire counts (NULL entries skipped); their number in *n_out. */
static const struct nyckel_count *counts_from_pb(Nyckel__Count *const *in,
                                                 size_t n, size_t *n_out)
{
    struct nyckel_count *c = sub_xcalloc(n, sizeof *c);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in[i])
            continue;
        c[k].name = sub_xstrdup0(in[i]->name);
        c[k].value = in[i]->has_value ? in[i]->value : 0;
        k++;
    }
    *n_out = k;
    return c;
}

static const struct nyckel_health *health_from_pb(const Nyckel__Health *m)
{
    struct nyckel_health *h = sub_xcalloc(1, sizeof *h);
    h->version = sub_xstrdup0(m->version);
#define HEALTH_FIELD(f) h->f = m->has_##f ? m->f : 0
    HEALTH_FIELD(start_unix_ms);
    HEALTH_FIELD(uptime_ms);
    HEALTH_FIELD(events_received);
    HEALTH_FIELD(events_accepted);
    HEALTH_FIELD(events_duplicate);
    HEALTH_FIELD(events_stale);
    HEALTH_FIELD(events_rejected);
    HEALTH_FIELD(batches_accepted);
    HEALTH_FIELD(commit_seconds_sum);
    HEALTH_FIELD(map_bytes);
    HEALTH_FIELD(used_bytes);
    HEALTH_FIELD(max_bytes);
    HEALTH_FIELD(subscriptions);
    HEALTH_FIELD(handshakes_refused);
#undef HEALTH_FIELD
    h->rejected = counts_from_pb(m->rejected, m->n_rejected, &h->n_rejected);
    h->batches_refused = counts_from_pb(
        m->batches_refused, m->n_batches_refused, &h->n_batches_refused);
    return h;
}

void nyckel_result_destroy(struct nyckel_result **r)
{
    if (!r || !*r)
        return;
    struct nyckel_result *p = *r;
    for (size_t i = 0; i < p->n_slices; i++)
        sub_wire_slice_fini(&p->slices[i]);
    free(p->slices);
    health_free(p->health);
    free((void *)p->as_of);
    free((void *)p->error);
    free((void *)p->text);
    free(p);
    *r = NULL;
}

/* ------------------------------------------------------------ sockets */

int sub_wire_dealer_open(void *ctx, const char *endpoint,
                         const struct nyckel_curve *curve, void **sock,
                         struct curve_mon **mon)
{
    int rc = 0;
    int linger = 0;
    int64_t max_bytes = NYCKEL_QUERY_MAX_REPLY_BYTES;
    struct curve_mon *m = NULL;

    *sock = NULL;
    *mon = NULL;
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    if (!s)
        return -zmq_errno();
    if (zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_bytes, sizeof max_bytes)) {
        rc = -zmq_errno();
        goto out;
    }
    rc = curve_sock_setup(ctx, s, curve, &m);
    if (rc)
        goto out;
    if (zmq_connect(s, endpoint))
        rc = -zmq_errno();
out:
    if (rc) {
        curve_mon_close(&m);
        zmq_close(s);
        return rc;
    }
    *sock = s;
    *mon = m;
    return 0;
}

int sub_wire_query_send(void *sock, const struct nyckel_query *q)
{
    int rc = 0;
    Nyckel__Query msg = NYCKEL__QUERY__INIT;
    Nyckel__Dim dims[NYCKEL_QUERY_MAX_LIST];
    Nyckel__Dim *dimp[NYCKEL_QUERY_MAX_LIST];
    uint8_t *buf = NULL;

    if (!q)
        return -EINVAL;
    msg.has_protocol = 1;
    msg.protocol = NYCKEL_SUB_PROTOCOL;
    if (q->health) { /* nothing else: nyckeld would ignore it */
        msg.has_health = 1;
        msg.health = 1;
        goto send;
    }
    if (!q->municipality || !*q->municipality)
        return -EINVAL;
    if (q->n_domains > NYCKEL_QUERY_MAX_LIST ||
        q->n_filters > NYCKEL_QUERY_MAX_LIST)
        return NYCKEL_SUB_ETOOMANY;

    /* protobuf-c's structs are not const-correct; packing only reads. */
    msg.municipality = (char *)q->municipality;
    msg.n_domains = q->n_domains;
    msg.domains = (char **)q->domains;
    msg.period = (char *)q->period;
    msg.period_to = (char *)q->period_to;
    msg.rollup = (char *)q->rollup;
    for (size_t i = 0; i < q->n_filters; i++) {
        nyckel__dim__init(&dims[i]);
        dims[i].key = (char *)q->filters[i].key;
        dims[i].value = (char *)q->filters[i].value;
        dimp[i] = &dims[i];
    }
    msg.n_filters = q->n_filters;
    msg.filters = q->n_filters ? dimp : NULL;
    if (q->compare_previous_year) {
        msg.has_compare_previous_year = 1;
        msg.compare_previous_year = 1;
    }
    if (q->exact) {
        msg.has_exact = 1;
        msg.exact = 1;
    }

send:;
    size_t len = nyckel__query__get_packed_size(&msg);
    buf = sub_xmalloc(len);
    nyckel__query__pack(&msg, buf);
    if (zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0)
        rc = -zmq_errno();
    free(buf);
    return rc;
}

static void sub_result_from_pb(struct nyckel_result *r,
                               const Nyckel__QueryResult *m)
{
    r->protocol = m->has_protocol ? m->protocol : 0;
    r->seq = m->has_seq ? m->seq : 0;
    r->as_of = sub_xstrdup0(m->as_of);
    r->error = sub_xstrdup(m->error);
    r->text = sub_xstrdup(m->text);
    r->slices = sub_xcalloc(m->n_slices, sizeof *r->slices);
    for (size_t i = 0; i < m->n_slices; i++) {
        if (!m->slices[i])
            continue;
        sub_wire_slice_from_pb(&r->slices[r->n_slices++], m->slices[i]);
    }
    if (m->health)
        r->health = health_from_pb(m->health);
}

/* The answer to query q (NULL: not checked) into *out. */
static int result_recv(void *sock, const struct nyckel_query *q,
                       struct nyckel_result **out)
{
    int rc = 0;
    zmq_msg_t frame;
    Nyckel__QueryResult *m = NULL;
    int more = 0;
    size_t more_len = sizeof more;

    *out = NULL;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, sock, ZMQ_DONTWAIT) < 0) {
        rc = -zmq_errno();
        goto out;
    }
    if (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &more_len) == 0 && more) {
        /* One frame is the protocol; drain the rest and refuse. */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        while (more && zmq_msg_recv(&extra, sock, ZMQ_DONTWAIT) >= 0)
            more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        rc = NYCKEL_SUB_EMALFORMED;
        goto out;
    }
    m = nyckel__query_result__unpack(NULL, zmq_msg_size(&frame),
                                     zmq_msg_data(&frame));
    if (!m) {
        rc = NYCKEL_SUB_EMALFORMED;
        goto out;
    }
    /* A refusal is reported as such whatever else the reply holds. */
    if (!m->error && (!m->has_protocol || m->protocol != NYCKEL_SUB_PROTOCOL)) {
        rc = NYCKEL_SUB_EPROTOCOL;
        goto out;
    }
    /* The end marker: an answer that does not hold the number of slices
     * it says it holds is not used. */
    if (!m->error && (!m->has_slice_count || m->slice_count != m->n_slices)) {
        rc = NYCKEL_SUB_EMALFORMED;
        goto out;
    }
    /* A health query is answered with health, or not at all. */
    if (!m->error && q && q->health && !m->health) {
        rc = NYCKEL_SUB_EMALFORMED;
        goto out;
    }
    struct nyckel_result *r = sub_xcalloc(1, sizeof *r);
    sub_result_from_pb(r, m);
    *out = r;
out:
    if (m)
        nyckel__query_result__free_unpacked(m, NULL);
    zmq_msg_close(&frame);
    return rc;
}

int sub_wire_result_recv(void *sock, struct nyckel_result **out)
{
    return result_recv(sock, NULL, out);
}

/* ------------------------------------------------------------ query */

/* 0, or why q cannot be sent: -EINVAL or NYCKEL_SUB_ETOOMANY. */
static int query_check(const struct nyckel_query *q)
{
    if (!q || (!q->health && (!q->municipality || !*q->municipality)))
        return -EINVAL;
    if (!q->health && (q->n_domains > NYCKEL_QUERY_MAX_LIST ||
                       q->n_filters > NYCKEL_QUERY_MAX_LIST))
        return NYCKEL_SUB_ETOOMANY;
    return 0;
}

/* A connection to nyckeld's query endpoint for queries one after the
 * other. The keys are kept (wiped at close) to open a fresh socket after
 * a query went unanswered: its late answer must never be taken for the
 * next query's. */
struct nyckel_query_session {
    void *ctx;
    void *sock;            /* NULL: open it before the next query */
    struct curve_mon *mon; /* CURVE handshake failures, or NULL */
    char *endpoint;
    int has_keys;
    struct nyckel_curve keys;
};

static void session_close_socket(struct nyckel_query_session *s)
{
    curve_mon_close(&s->mon);
    if (s->sock)
        zmq_close(s->sock);
    s->sock = NULL;
}

int nyckel_query_session_open(const char *endpoint,
                              const struct nyckel_curve *curve,
                              struct nyckel_query_session **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    struct nyckel_query_session *s = sub_xcalloc(1, sizeof *s);
    /* checked before anything is opened: a bad key is not a timeout */
    int rc = curve_copy(&s->keys, curve);
    if (rc)
        goto fail;
    s->has_keys = curve != NULL;
    s->endpoint = strdup(endpoint ? endpoint : NYCKEL_SUB_DEFAULT_QUERY);
    s->ctx = zmq_ctx_new();
    if (!s->endpoint || !s->ctx) {
        rc = s->endpoint ? -zmq_errno() : -ENOMEM;
        goto fail;
    }
    rc = sub_wire_dealer_open(s->ctx, s->endpoint,
                              s->has_keys ? &s->keys : NULL, &s->sock, &s->mon);
    if (rc)
        goto fail;
    *out = s;
    return 0;
fail:
    nyckel_query_session_close(&s);
    return rc;
}

void nyckel_query_session_close(struct nyckel_query_session **sp)
{
    struct nyckel_query_session *s = sp ? *sp : NULL;
    if (!s)
        return;
    session_close_socket(s);
    if (s->ctx)
        zmq_ctx_term(s->ctx);
    free(s->endpoint);
    curve_wipe(&s->keys, sizeof s->keys);
    free(s);
    *sp = NULL;
}

int nyckel_query_session_run(struct nyckel_query_session *s,
                             const struct nyckel_query *q, int timeout_ms,
                             struct nyckel_result **out)
{
    int rc;

    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!s)
        return -EINVAL;
    rc = query_check(q);
    if (rc)
        return rc;
    if (timeout_ms <= 0)
        timeout_ms = NYCKEL_SUB_DEFAULT_TIMEOUT_MS;
    if (!s->sock) {
        rc = sub_wire_dealer_open(s->ctx, s->endpoint,
                                  s->has_keys ? &s->keys : NULL, &s->sock,
                                  &s->mon);
        if (rc)
            return rc;
    }
    rc = sub_wire_query_send(s->sock, q);
    if (rc)
        goto out;

    /* until the answer, the deadline, or a failed handshake */
    long long deadline = sub_wire_now_ms() + timeout_ms;
    for (;;) {
        zmq_pollitem_t items[2] = {
            {.socket = s->sock, .events = ZMQ_POLLIN},
            {.socket = curve_mon_socket(s->mon), .events = ZMQ_POLLIN},
        };
        long long left = deadline - sub_wire_now_ms();
        int n = zmq_poll(items, 2, left > 0 ? (long)left : 0);
        if (n < 0) {
            rc = -zmq_errno();
            goto out;
        }
        rc = curve_mon_check(s->mon);
        if (rc)
            goto out;
        if (items[0].revents & ZMQ_POLLIN) {
            rc = result_recv(s->sock, q, out);
            goto out;
        }
        if (left <= 0 || n == 0) {
            rc = NYCKEL_SUB_ETIMEOUT;
            goto out;
        }
    }
out:
    /* after anything but an answer the socket may still get one */
    if (rc)
        session_close_socket(s);
    return rc;
}

int nyckel_query_run(const char *endpoint, const struct nyckel_query *q,
                     int timeout_ms, struct nyckel_result **out)
{
    return nyckel_query_run_curve(endpoint, q, timeout_ms, NULL, out);
}

int nyckel_query_run_curve(const char *endpoint, const struct nyckel_query *q,
                           int timeout_ms, const struct nyckel_curve *curve,
                           struct nyckel_result **out)
{
    struct nyckel_query_session *s = NULL;

    if (!out)
        return -EINVAL;
    *out = NULL;
    int rc = query_check(q);
    if (rc)
        return rc;
    rc = nyckel_query_session_open(endpoint, curve, &s);
    if (rc == 0)
        rc = nyckel_query_session_run(s, q, timeout_ms, out);
    nyckel_query_session_close(&s);
    return rc;
}
