/*
 * test_lib_curve.c — libnyckel's CURVE client side (issue 7): key files,
 * nyckel-keygen, and what a query, a subscriber and a pusher do when the
 * handshake succeeds, is refused, or cannot work.
 *
 * A fake nyckeld in this process: a thread serving a query ROUTER, an
 * ingest ROUTER and a PUB (heartbeat every 100 ms) on loopback TCP
 * ports, CURVE servers with a fresh key pair when the row says so, and
 * when it says so also a ZAP handler (inproc://zeromq.zap.01 in the
 * fake's context) answering every handshake with the row's status.
 * Without a ZAP handler libzmq 4.3 lets in any client key.
 *
 * What the client sees, measured with libzmq 4.3.4 and asserted below
 * (the reasons are in clients/lib/curve.h):
 *   - refused by ZAP (400): HANDSHAKE_FAILED_AUTH, NYCKEL_EAUTH within
 *     milliseconds;
 *   - wrong server public key: the server cannot open the client's
 *     HELLO and drops the connection; the client gets
 *     HANDSHAKE_FAILED_NO_DETAIL at each reconnect (every 100 ms) and
 *     gives up after three, NYCKEL_EHANDSHAKE in about 300 ms;
 *   - CURVE on one side only: HANDSHAKE_FAILED_PROTOCOL (mechanism
 *     mismatch), NYCKEL_EMECHANISM, or, when the server sees the
 *     mismatch first and drops the connection before the client reads
 *     its greeting, the NO_DETAIL path and NYCKEL_EHANDSHAKE: both are
 *     accepted, fast.
 * Each failing row runs with a 10 s timeout and must end within 2 s;
 * the negative control (nothing listening) shows that without a
 * handshake the same call does wait for its timeout.
 *
 * Key files and nyckel-keygen run in a fresh directory under $TMPDIR,
 * removed by the teardown whatever happens.
 */
/* clang-format off */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
/* clang-format on */

#include "../../clients/lib/keygen.h"
#include "keyfile.h"
#include "nyckel.h"
#include "nyckel.pb-c.h"

#include <zmq.h>

#define FAST_MS 2000     /* a failed handshake must be reported within */
#define LONG_MS 10000    /* timeout of the calls that must not wait it */
#define SHORT_MS 300     /* timeout of the negative control */
#define WAIT_MS 3000     /* longest wait for something that must happen */
#define TICK_MS 20       /* the fake's poll interval */
#define HEARTBEAT_MS 100 /* the fake's heartbeat interval */
#define S(lit) ((char *)(uintptr_t)(lit))

static const char *argv0; /* to find nyckel-keygen beside the tests */

/* ------------------------------------------------------------ helpers */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort(); /* also runs on the fake's thread: no cmocka there */
    return p;
}

/* Send buf as the answer to the peer whose routing id is in id. */
static int reply(void *router, zmq_msg_t *id, const uint8_t *buf, size_t len)
{
    if (zmq_msg_send(id, router, ZMQ_SNDMORE) < 0)
        return -1;
    return zmq_send(router, buf, len, 0) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ fake */

enum zap_mode {
    ZAP_NONE = 0,   /* no handler: libzmq lets in every CURVE key */
    ZAP_ACCEPT = 1, /* a handler that says 200 */
    ZAP_REFUSE = 2, /* a handler that says 400 */
};

struct fake {
    void *ctx;
    void *zap;    /* REP on inproc://zeromq.zap.01, or NULL */
    void *query;  /* ROUTER */
    void *ingest; /* ROUTER */
    void *pub;    /* PUB */
    char query_ep[64], ingest_ep[64], pub_ep[64];
    char secret[41], public[41]; /* the server's keys (when CURVE) */
    enum zap_mode zap_mode;
    pthread_t thread;
    atomic_bool stop;
    atomic_int queries;   /* answered */
    atomic_int batches;   /* acknowledged */
    atomic_int zap_calls; /* handshakes the ZAP handler decided */
    char why[160];        /* what went wrong in the thread; "" if nothing */
};

static void fake_zap(struct fake *f)
{
    zmq_msg_t part[8];
    int n = 0, more = 1;

    while (more && n < 8) {
        zmq_msg_init(&part[n]);
        if (zmq_msg_recv(&part[n], f->zap, 0) < 0) {
            zmq_msg_close(&part[n]);
            break;
        }
        more = zmq_msg_more(&part[n]);
        n++;
    }
    if (n >= 2) {
        const char *status = f->zap_mode == ZAP_REFUSE ? "400" : "200";

        /* RFC 27: version, request id, status, text, user id, metadata */
        zmq_send(f->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(f->zap, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]),
                 ZMQ_SNDMORE);
        zmq_send(f->zap, status, 3, ZMQ_SNDMORE);
        zmq_send(f->zap, "test", 4, ZMQ_SNDMORE);
        zmq_send(f->zap, "client", 6, ZMQ_SNDMORE);
        zmq_send(f->zap, "", 0, 0);
        atomic_fetch_add(&f->zap_calls, 1);
    } else {
        snprintf(f->why, sizeof f->why, "a ZAP request of %d frames", n);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&part[i]);
}

/* One total slice of eb for 2014, households 100, seq 42. */
static uint8_t *query_answer(size_t *len)
{
    Nyckel__QueryResult m = NYCKEL__QUERY_RESULT__INIT;
    Nyckel__Slice s = NYCKEL__SLICE__INIT, *sp = &s;
    Nyckel__Metric met = NYCKEL__METRIC__INIT, *mp = &met;
    uint8_t *buf;

    met.id = S("households");
    met.has_value = 1;
    met.value = 100.0;
    met.unit = S("count");
    s.municipality = S("0127");
    s.domain = S("eb");
    s.period = S("2014");
    s.has_seq = 1;
    s.seq = 42;
    s.n_metrics = 1;
    s.metrics = &mp;
    m.has_protocol = 1;
    m.protocol = NYCKEL_SUB_PROTOCOL;
    m.has_seq = 1;
    m.seq = 42;
    m.as_of = S("2015-06-01");
    m.n_slices = 1;
    m.slices = &sp;
    m.has_slice_count = 1; /* the end marker the client insists on */
    m.slice_count = 1;
    *len = nyckel__query_result__get_packed_size(&m);
    buf = xmalloc(*len);
    nyckel__query_result__pack(&m, buf);
    return buf;
}

static void fake_query(struct fake *f)
{
    zmq_msg_t id, req;
    uint8_t *buf = NULL;
    size_t len;

    zmq_msg_init(&id);
    zmq_msg_init(&req);
    if (zmq_msg_recv(&id, f->query, 0) < 0 || !zmq_msg_more(&id) ||
        zmq_msg_recv(&req, f->query, 0) < 0 || zmq_msg_more(&req)) {
        snprintf(f->why, sizeof f->why, "a query that is not one frame");
        goto out;
    }
    Nyckel__Query *q =
        nyckel__query__unpack(NULL, zmq_msg_size(&req), zmq_msg_data(&req));
    if (!q || !q->municipality || strcmp(q->municipality, "0127")) {
        snprintf(f->why, sizeof f->why, "not the query that was sent");
        if (q)
            nyckel__query__free_unpacked(q, NULL);
        goto out;
    }
    nyckel__query__free_unpacked(q, NULL);
    buf = query_answer(&len);
    if (reply(f->query, &id, buf, len))
        snprintf(f->why, sizeof f->why, "send answer: %s",
                 zmq_strerror(zmq_errno()));
    else
        atomic_fetch_add(&f->queries, 1);
out:
    free(buf);
    zmq_msg_close(&id);
    zmq_msg_close(&req);
}

/* Acknowledge every event of a batch as accepted. */
static void fake_ingest(struct fake *f)
{
    zmq_msg_t id, req;
    Nyckel__IngestBatch *b = NULL;
    uint8_t *buf = NULL;

    zmq_msg_init(&id);
    zmq_msg_init(&req);
    if (zmq_msg_recv(&id, f->ingest, 0) < 0 || !zmq_msg_more(&id) ||
        zmq_msg_recv(&req, f->ingest, 0) < 0 || zmq_msg_more(&req)) {
        snprintf(f->why, sizeof f->why, "a batch that is not one frame");
        goto out;
    }
    b = nyckel__ingest_batch__unpack(NULL, zmq_msg_size(&req),
                                     zmq_msg_data(&req));
    if (!b || !b->has_batch_id || b->n_events == 0) {
        snprintf(f->why, sizeof f->why, "not a batch");
        goto out;
    }
    {
        Nyckel__IngestAck a = NYCKEL__INGEST_ACK__INIT;
        Nyckel__EventAck *acks = xmalloc(b->n_events * sizeof *acks);
        Nyckel__EventAck **ap = xmalloc(b->n_events * sizeof *ap);
        size_t len;

        for (size_t i = 0; i < b->n_events; i++) {
            nyckel__event_ack__init(&acks[i]);
            acks[i].has_status = 1;
            acks[i].status = NYCKEL__STATUS__ACCEPTED;
            ap[i] = &acks[i];
        }
        a.has_protocol = 1;
        a.protocol = NYCKEL_PROTOCOL;
        a.has_batch_id = 1;
        a.batch_id = b->batch_id;
        a.has_status = 1;
        a.status = NYCKEL__STATUS__ACCEPTED;
        a.n_acks = b->n_events;
        a.acks = ap;
        len = nyckel__ingest_ack__get_packed_size(&a);
        buf = xmalloc(len);
        nyckel__ingest_ack__pack(&a, buf);
        free(acks);
        free(ap);
        if (reply(f->ingest, &id, buf, len))
            snprintf(f->why, sizeof f->why, "send ack: %s",
                     zmq_strerror(zmq_errno()));
        else
            atomic_fetch_add(&f->batches, 1);
    }
out:
    if (b)
        nyckel__ingest_batch__free_unpacked(b, NULL);
    free(buf);
    zmq_msg_close(&id);
    zmq_msg_close(&req);
}

static void fake_heartbeat(struct fake *f)
{
    Nyckel__Heartbeat hb = NYCKEL__HEARTBEAT__INIT;
    uint8_t buf[64];
    size_t len;

    hb.has_protocol = 1;
    hb.protocol = NYCKEL_SUB_PROTOCOL;
    hb.has_seq = 1;
    hb.seq = 42;
    hb.as_of = S("2015-06-01");
    len = nyckel__heartbeat__pack(&hb, buf);
    zmq_send(f->pub, "heartbeat", 9, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(f->pub, buf, len, ZMQ_DONTWAIT);
}

/* The thread: serve until stop. No cmocka here (it is not thread-safe):
 * trouble goes into f->why. */
static void *fake_serve(void *arg)
{
    struct fake *f = arg;
    long long next_hb = 0;

    while (!atomic_load(&f->stop) && !f->why[0]) {
        zmq_pollitem_t items[3] = {
            {.socket = f->query, .events = ZMQ_POLLIN},
            {.socket = f->ingest, .events = ZMQ_POLLIN},
            {.socket = f->zap, .events = ZMQ_POLLIN},
        };
        long long now = now_ms();

        if (now >= next_hb) {
            fake_heartbeat(f);
            next_hb = now + HEARTBEAT_MS;
        }
        if (zmq_poll(items, f->zap ? 3 : 2, TICK_MS) < 0) {
            snprintf(f->why, sizeof f->why, "poll: %s",
                     zmq_strerror(zmq_errno()));
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            fake_query(f);
        if (items[1].revents & ZMQ_POLLIN)
            fake_ingest(f);
        if (f->zap && (items[2].revents & ZMQ_POLLIN))
            fake_zap(f);
    }
    return NULL;
}

static void *fake_socket(struct fake *f, int type, bool curve, char *ep,
                         size_t ep_size)
{
    void *s = zmq_socket(f->ctx, type);
    int zero = 0, one = 1;

    assert_non_null(s);
    assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero), 0);
    if (curve) {
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one),
                         0);
        assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, f->secret, 40),
                         0);
    }
    assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &ep_size), 0);
    return s;
}

/* Start a fake nyckeld; curve: its sockets are CURVE servers. */
static void fake_start(struct fake *f, bool curve, enum zap_mode zap)
{
    memset(f, 0, sizeof *f);
    f->zap_mode = zap;
    assert_int_equal(zmq_curve_keypair(f->public, f->secret), 0);
    f->ctx = zmq_ctx_new();
    assert_non_null(f->ctx);
    /* the handler must be there before the first handshake */
    if (zap != ZAP_NONE) {
        int zero = 0;

        f->zap = zmq_socket(f->ctx, ZMQ_REP);
        assert_non_null(f->zap);
        assert_int_equal(zmq_setsockopt(f->zap, ZMQ_LINGER, &zero, sizeof zero),
                         0);
        assert_int_equal(zmq_bind(f->zap, "inproc://zeromq.zap.01"), 0);
    }
    f->query =
        fake_socket(f, ZMQ_ROUTER, curve, f->query_ep, sizeof f->query_ep);
    f->ingest =
        fake_socket(f, ZMQ_ROUTER, curve, f->ingest_ep, sizeof f->ingest_ep);
    f->pub = fake_socket(f, ZMQ_PUB, curve, f->pub_ep, sizeof f->pub_ep);
    /* the sockets move to the thread; pthread_create is the barrier */
    assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

static void fake_stop(struct fake *f)
{
    atomic_store(&f->stop, true);
    assert_int_equal(pthread_join(f->thread, NULL), 0);
    zmq_close(f->query);
    zmq_close(f->ingest);
    zmq_close(f->pub);
    if (f->zap)
        zmq_close(f->zap);
    zmq_ctx_term(f->ctx);
    if (f->why[0])
        fail_msg("fake nyckeld: %s", f->why);
}

/* ------------------------------------------------------------ keys */

enum client_keys {
    KEYS_NONE,         /* no CURVE */
    KEYS_RIGHT,        /* a fresh client pair and the server's key */
    KEYS_WRONG_SERVER, /* a fresh pair and another server's key */
    KEYS_GARBAGE,      /* a struct nyckel_curve that holds no keys */
};

/* The client's keys for kind k against fake f, into *c; NULL for
 * KEYS_NONE. */
static const struct nyckel_curve *
client_keys(enum client_keys k, const struct fake *f, struct nyckel_curve *c)
{
    char pub[41], sec[41], other_pub[41], other_sec[41];

    memset(c, 0, sizeof *c);
    switch (k) {
    case KEYS_NONE:
        return NULL;
    case KEYS_RIGHT:
    case KEYS_WRONG_SERVER:
        assert_int_equal(zmq_curve_keypair(pub, sec), 0);
        assert_int_equal(zmq_curve_keypair(other_pub, other_sec), 0);
        assert_int_equal(nyckel_curve_from_z85(
                             c, sec, k == KEYS_RIGHT ? f->public : other_pub),
                         0);
        assert_string_equal(c->public_key, pub); /* derived */
        return c;
    case KEYS_GARBAGE:
        memset(c->secret_key, '~', NYCKEL_CURVE_KEY_LEN); /* not Z85 */
        memcpy(c->server_key, f->public, sizeof c->server_key);
        return c;
    }
    return NULL;
}

/* ------------------------------------------------------------ query */

struct row {
    const char *name;
    bool server_curve;     /* the fake's sockets are CURVE servers */
    enum zap_mode zap;     /* and its ZAP handler */
    enum client_keys keys; /* what the client brings */
    bool no_server;        /* nothing listens at the endpoint */
    int timeout_ms;        /* given to the call */
    int want_rc;           /* expected return */
    int also_rc;           /* also accepted (a race, see the header) */
    int max_ms;            /* the call ends within this */
    int min_ms;            /* and not before this */
};

static const struct row rows[] = {
    /* controls: the same calls succeed where they should */
    {"plain on both sides", false, ZAP_NONE, KEYS_NONE, false, LONG_MS, 0, 0,
     FAST_MS, 0},
    {"CURVE, right keys, no ZAP handler (any key in)", true, ZAP_NONE,
     KEYS_RIGHT, false, LONG_MS, 0, 0, FAST_MS, 0},
    {"CURVE, right keys, ZAP says 200", true, ZAP_ACCEPT, KEYS_RIGHT, false,
     LONG_MS, 0, 0, FAST_MS, 0},
    /* refusals: reported at once, not after the timeout */
    {"CURVE, ZAP refuses the client's key (400)", true, ZAP_REFUSE, KEYS_RIGHT,
     false, LONG_MS, NYCKEL_EAUTH, NYCKEL_EAUTH, FAST_MS, 0},
    {"CURVE, wrong server public key", true, ZAP_NONE, KEYS_WRONG_SERVER, false,
     LONG_MS, NYCKEL_EHANDSHAKE, NYCKEL_EHANDSHAKE, FAST_MS, 0},
    {"CURVE server, client without keys", true, ZAP_ACCEPT, KEYS_NONE, false,
     LONG_MS, NYCKEL_EMECHANISM, NYCKEL_EHANDSHAKE, FAST_MS, 0},
    {"plain server, client with keys", false, ZAP_NONE, KEYS_RIGHT, false,
     LONG_MS, NYCKEL_EMECHANISM, NYCKEL_EHANDSHAKE, FAST_MS, 0},
    {"keys that are not Z85", true, ZAP_NONE, KEYS_GARBAGE, false, LONG_MS,
     NYCKEL_EKEY, NYCKEL_EKEY, FAST_MS, 0},
    /* negative control: without a handshake the call waits it out */
    {"CURVE keys, nothing listening", true, ZAP_NONE, KEYS_RIGHT, true,
     SHORT_MS, NYCKEL_SUB_ETIMEOUT, NYCKEL_SUB_ETIMEOUT, FAST_MS, SHORT_MS},
};

/* An endpoint where nothing listens: bound once, then closed. */
static void dead_endpoint(char *ep, size_t size)
{
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_ROUTER);

    assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &size), 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

static void check_rc(const char *what, const char *name, int rc, int want_rc,
                     int also_rc, long long ms, int min_ms, int max_ms)
{
    if (rc != want_rc && rc != also_rc)
        fail_msg("%s, row '%s': returned %d (%s), expected %d (%s)", what, name,
                 rc, nyckel_strerror(rc), want_rc, nyckel_strerror(want_rc));
    if (ms > max_ms || ms < min_ms)
        fail_msg("%s, row '%s': took %lld ms, expected %d..%d", what, name, ms,
                 min_ms, max_ms);
    print_message("%s, row '%s': %s in %lld ms\n", what, name,
                  nyckel_strerror(rc), ms);
}

static void test_query(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const struct row *r = &rows[i];
        const struct nyckel_query q = {.municipality = "0127",
                                       .period = "2014"};
        struct nyckel_result *res = NULL;
        struct nyckel_curve keys;
        struct fake f;
        char dead[64];

        fake_start(&f, r->server_curve, r->zap);
        if (r->no_server)
            dead_endpoint(dead, sizeof dead);
        const struct nyckel_curve *c = client_keys(r->keys, &f, &keys);
        long long t0 = now_ms();
        int rc = nyckel_query_run_curve(r->no_server ? dead : f.query_ep, &q,
                                        r->timeout_ms, c, &res);
        long long ms = now_ms() - t0;
        fake_stop(&f);
        check_rc("query", r->name, rc, r->want_rc, r->also_rc, ms, r->min_ms,
                 r->max_ms);
        if (rc == 0) {
            assert_non_null(res);
            assert_null(res->error);
            assert_int_equal(res->n_slices, 1);
            assert_string_equal(res->slices[0].metrics[0].id, "households");
            assert_true(res->slices[0].metrics[0].value == 100.0);
            assert_int_equal(atomic_load(&f.queries), 1);
        } else {
            assert_null(res);
            assert_int_equal(atomic_load(&f.queries), 0);
        }
        /* the handler decided exactly when there is one and a CURVE
         * handshake got that far */
        if (r->zap != ZAP_NONE && r->server_curve && r->keys == KEYS_RIGHT)
            assert_true(atomic_load(&f.zap_calls) >= 1);
        nyckel_result_destroy(&res);
    }
}

/* ------------------------------------------------------------ sub */

struct sub_row {
    const char *name;
    enum zap_mode zap;
    enum client_keys keys;
    int want_rc; /* 0: a snapshot arrives */
};

static const struct sub_row sub_rows[] = {
    {"right keys: snapshot", ZAP_ACCEPT, KEYS_RIGHT, 0},
    {"key refused", ZAP_REFUSE, KEYS_RIGHT, NYCKEL_EAUTH},
    {"wrong server key", ZAP_NONE, KEYS_WRONG_SERVER, NYCKEL_EHANDSHAKE},
    {"keys not Z85", ZAP_NONE, KEYS_GARBAGE, NYCKEL_EKEY},
};

static void test_sub(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sub_rows / sizeof *sub_rows; i++) {
        const struct sub_row *r = &sub_rows[i];
        struct nyckel_curve keys;
        struct nyckel_sub *sub = NULL;
        struct fake f;
        int rc;

        fake_start(&f, true, r->zap);
        struct nyckel_sub_config cfg = {
            .query_endpoint = f.query_ep,
            .pub_endpoint = f.pub_ep,
            .municipality = "0127",
            .domain = "eb",
            .period = "2014",
            .timeout_ms = LONG_MS,
            .silence_ms = LONG_MS,
            .curve = client_keys(r->keys, &f, &keys),
        };
        long long t0 = now_ms();
        rc = nyckel_sub_new(&cfg, NULL, NULL, &sub);
        /* a copy was taken: the caller's keys may go */
        memset(&keys, 0, sizeof keys);
        while (rc == 0 && nyckel_sub_snapshots(sub) == 0 &&
               now_ms() - t0 < WAIT_MS) {
            rc = nyckel_sub_poll(sub, 50);
            if (rc == -EINTR)
                rc = 0;
        }
        long long ms = now_ms() - t0;
        if (rc == 0 && r->want_rc == 0) {
            const struct nyckel_result *v = nyckel_sub_view(sub);

            assert_int_equal(nyckel_sub_snapshots(sub), 1);
            assert_int_equal(v->n_slices, 1);
            assert_int_equal(v->seq, 42);
            assert_true(nyckel_sub_heartbeat_seq(sub) == 42 ||
                        nyckel_sub_heartbeat_seq(sub) == 0);
        } else if (rc == 0) {
            fail_msg("sub, row '%s': no error within %d ms", r->name, WAIT_MS);
        }
        if (r->want_rc != 0 && sub)
            /* failed for good: later polls say it again */
            assert_int_equal(nyckel_sub_poll(sub, 0), rc);
        nyckel_sub_destroy(&sub);
        fake_stop(&f);
        check_rc("sub", r->name, rc, r->want_rc, r->want_rc, ms, 0, WAIT_MS);
        assert_int_equal(atomic_load(&f.queries), r->want_rc ? 0 : 1);
    }
}

/* ------------------------------------------------------------ push */

static const char event_json[] =
    "{\"kind\":\"payment\",\"source\":\"test-0127\",\"id\":\"u-1\","
    "\"revision\":1,\"municipality\":\"0127\",\"unit\":\"ekb\","
    "\"household\":\"hh-9f1c\",\"month\":\"2014-03\","
    "\"paid_on\":\"2014-03-25\",\"amount_ore\":853300,"
    "\"category\":\"livsuppehalle\",\"head_birth_year\":1980}";

struct push_row {
    const char *name;
    enum zap_mode zap;
    enum client_keys keys;
    int want_rc; /* of nyckel_push_new, else of nyckel_push_flush */
};

static const struct push_row push_rows[] = {
    {"right keys: acked", ZAP_ACCEPT, KEYS_RIGHT, 0},
    {"key refused", ZAP_REFUSE, KEYS_RIGHT, NYCKEL_EAUTH},
    {"wrong server key", ZAP_NONE, KEYS_WRONG_SERVER, NYCKEL_EHANDSHAKE},
    {"keys not Z85", ZAP_NONE, KEYS_GARBAGE, NYCKEL_EKEY},
};

static void test_push(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof push_rows / sizeof *push_rows; i++) {
        const struct push_row *r = &push_rows[i];
        struct nyckel_curve keys;
        struct nyckel_push *p = NULL;
        struct nyckel_push_summary s;
        struct fake f;

        fake_start(&f, true, r->zap);
        struct nyckel_push_opts o = {
            .endpoint = f.ingest_ep,
            .give_up_ms = LONG_MS,
            .curve = client_keys(r->keys, &f, &keys),
        };
        long long t0 = now_ms();
        int rc = nyckel_push_new(&p, &o);
        memset(&keys, 0, sizeof keys); /* copied by nyckel_push_new */
        if (rc == 0) {
            assert_int_equal(nyckel_push_add_json(
                                 p, event_json, strlen(event_json), "test", 1),
                             0);
            rc = nyckel_push_flush(p);
            nyckel_push_summary(p, &s);
            if (rc == 0) {
                assert_int_equal(s.accepted, 1);
            } else {
                assert_int_equal(s.accepted, 0);
                assert_int_equal(s.unacked_events, 1); /* kept, not lost */
                /* the pusher failed for good */
                assert_int_equal(nyckel_push_flush(p), rc);
            }
        } else {
            assert_null(p);
        }
        long long ms = now_ms() - t0;
        nyckel_push_destroy(&p);
        fake_stop(&f);
        check_rc("push", r->name, rc, r->want_rc, r->want_rc, ms, 0, FAST_MS);
        assert_int_equal(atomic_load(&f.batches), r->want_rc ? 0 : 1);
    }
}

/* ------------------------------------------------------------ files */

static char tmpdir[PATH_MAX]; /* this test's directory, "" when none */

static int tmpdir_setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/nyckel-curve.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        tmpdir[0] = '\0';
        return -1;
    }
    return 0;
}

/* Remove the directory and whatever the test left in it (flat). */
static int tmpdir_teardown(void **state)
{
    DIR *d;
    struct dirent *e;
    char path[PATH_MAX + 256];

    (void)state;
    if (!tmpdir[0])
        return 0;
    d = opendir(tmpdir);
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
    tmpdir[0] = '\0';
    return 0;
}

/* tmpdir/name into buf. */
static const char *in_tmp(char *buf, size_t size, const char *name)
{
    assert_true(snprintf(buf, size, "%s/%s", tmpdir, name) < (int)size);
    return buf;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* The key on the last line of a key file (its second line). */
static void key_line(const char *path, char key[41])
{
    char text[512];
    const char *nl;

    read_text(path, text, sizeof text);
    nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_true(strlen(nl + 1) == 41 && nl[41] == '\n');
    memcpy(key, nl + 1, 40);
    key[40] = '\0';
}

static int count_files(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* keygen_write, which nyckel-keygen is a command line for. */
static void test_keygen(void **state)
{
    char name[PATH_MAX], key[PATH_MAX + 8], pub[PATH_MAX + 8];
    char z85[41], z85_again[41], on_disk[41], why[512];
    char before[512], after[512];
    struct nyckel_curve c;
    mode_t old_umask;

    (void)state;
    in_tmp(name, sizeof name, "client");
    snprintf(key, sizeof key, "%s.key", name);
    snprintf(pub, sizeof pub, "%s.pub", name);

    /* the modes are exact whatever the umask */
    old_umask = umask(0);
    assert_int_equal(keygen_write(name, false, z85, why, sizeof why), 0);
    umask(old_umask);
    assert_int_equal(mode_of(key), 0600);
    assert_int_equal(mode_of(pub), 0644);
    assert_int_equal(count_files(), 2); /* no temporary left */
    read_text(key, before, sizeof before);
    assert_true(strncmp(before, "# nyckel CURVE secret key client ", 33) == 0);

    /* .pub holds the public key of .key; keyfile_read accepts both */
    key_line(pub, on_disk);
    assert_string_equal(on_disk, z85);
    assert_int_equal(nyckel_curve_load(&c, key, pub, why, sizeof why), 0);
    assert_string_equal(c.public_key, z85);
    assert_string_equal(c.server_key, z85);
    assert_int_not_equal(c.secret_key[0], '#');

    /* no overwrite without force: refused, the key unchanged */
    assert_int_equal(keygen_write(name, false, z85_again, why, sizeof why),
                     -EEXIST);
    assert_non_null(strstr(why, "client.key exists"));
    read_text(key, after, sizeof after);
    assert_string_equal(after, before);
    /* not even when only the .pub is there: no half pair is made */
    assert_int_equal(unlink(key), 0);
    assert_int_equal(keygen_write(name, false, z85_again, why, sizeof why),
                     -EEXIST);
    assert_non_null(strstr(why, "client.pub exists"));
    assert_int_equal(count_files(), 1);

    /* force replaces both, with new keys and the same modes */
    old_umask = umask(077);
    assert_int_equal(keygen_write(name, true, z85_again, why, sizeof why), 0);
    umask(old_umask);
    assert_string_not_equal(z85_again, z85);
    assert_int_equal(mode_of(key), 0600);
    assert_int_equal(mode_of(pub), 0644);
    assert_int_equal(count_files(), 2);
    assert_int_equal(nyckel_curve_load(&c, key, pub, why, sizeof why), 0);
    assert_string_equal(c.public_key, z85_again);

    /* NAME must name a file */
    assert_int_equal(keygen_write("", false, z85, why, sizeof why), -EINVAL);
    assert_int_equal(keygen_write("dir/", false, z85, why, sizeof why),
                     -EINVAL);
    unlink(key);
    unlink(pub);
}

/* nyckel_curve_load's refusals carry keyfile_read's reasons. */
static void test_load(void **state)
{
    char key[PATH_MAX], pub[PATH_MAX], bad[PATH_MAX], why[512];
    char spub[41], ssec[41], text[256];
    struct nyckel_curve c;

    (void)state;
    in_tmp(key, sizeof key, "k.key");
    in_tmp(pub, sizeof pub, "s.pub");
    in_tmp(bad, sizeof bad, "bad.pub");
    assert_int_equal(zmq_curve_keypair(spub, ssec), 0);
    snprintf(text, sizeof text, "# a comment\n\n%s\n", ssec);
    write_text(key, text, 0600);
    snprintf(text, sizeof text, "%s  \n", spub); /* trailing blanks */
    write_text(pub, text, 0644);
    write_text(bad, "not a key\n", 0644);

    assert_int_equal(nyckel_curve_load(&c, key, pub, why, sizeof why), 0);
    assert_string_equal(c.secret_key, ssec);
    assert_string_equal(c.public_key, spub);
    assert_string_equal(c.server_key, spub);

    assert_int_equal(nyckel_curve_load(&c, key, bad, why, sizeof why),
                     NYCKEL_EKEY);
    assert_non_null(strstr(why, "not a CURVE key"));
    assert_int_equal(c.secret_key[0], '\0'); /* cleared on failure */
    in_tmp(bad, sizeof bad, "missing.key");
    assert_int_equal(nyckel_curve_load(&c, bad, pub, why, sizeof why),
                     NYCKEL_EKEY);
    assert_non_null(strstr(why, "No such file"));
    assert_int_equal(chmod(key, 0640), 0);
    assert_int_equal(nyckel_curve_load(&c, key, pub, why, sizeof why),
                     NYCKEL_EKEY);
    assert_non_null(strstr(why, "chmod 600"));
    assert_int_equal(nyckel_curve_load(&c, key, pub, NULL, 0), NYCKEL_EKEY);
    assert_int_equal(nyckel_curve_from_z85(&c, ssec, "short"), NYCKEL_EKEY);
    assert_int_equal(nyckel_curve_from_z85(&c, ssec, spub), 0);
    assert_string_equal(c.public_key, spub);
    unlink(key);
    unlink(pub);
    in_tmp(bad, sizeof bad, "bad.pub");
    unlink(bad);
}

/* Run argv in tmpdir with stdout into out (size bytes); the exit
 * status. */
static int run_in_tmp(char *const argv[], char *out, size_t size)
{
    int fds[2], status;
    size_t n = 0;
    ssize_t got;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(fds[1], STDOUT_FILENO);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO);
        close(fds[0]);
        if (chdir(tmpdir) == 0)
            execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    while (n + 1 < size && (got = read(fds[0], out + n, size - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* The program itself, when it was built beside the tests. */
static void test_keygen_program(void **state)
{
    char prog[PATH_MAX], dir[PATH_MAX], out[256], pub[PATH_MAX];
    char on_disk[41], first[41];
    const char *slash;

    (void)state;
    /* $BUILD/tests/test_lib_curve -> $BUILD/nyckel-keygen, absolute:
     * the child changes directory */
    slash = strrchr(argv0, '/');
    assert_true(snprintf(dir, sizeof dir, "%.*s",
                         slash ? (int)(slash - argv0) : 1,
                         slash ? argv0 : ".") < (int)sizeof dir);
    if (dir[0] != '/') {
        char cwd[PATH_MAX / 2], rel[PATH_MAX / 2];

        assert_non_null(getcwd(cwd, sizeof cwd));
        assert_true(snprintf(rel, sizeof rel, "%s", dir) < (int)sizeof rel);
        assert_true(snprintf(dir, sizeof dir, "%s/%s", cwd, rel) <
                    (int)sizeof dir);
    }
    assert_true(snprintf(prog, sizeof prog, "%s/../nyckel-keygen", dir) <
                (int)sizeof prog);
    if (access(prog, X_OK)) {
        print_message("%s not built: the program is not tested\n", prog);
        skip();
    }

    char *gen[] = {prog, S("alice"), NULL};
    char *force[] = {prog, S("--force"), S("alice"), NULL};
    char *none[] = {prog, NULL};
    char *two[] = {prog, S("a"), S("b"), NULL};
    char *bogus[] = {prog, S("--bogus"), S("x"), NULL};

    assert_int_equal(run_in_tmp(gen, out, sizeof out), 0);
    /* standard output is the public key alone, as in alice.pub */
    assert_int_equal(strlen(out), 41);
    key_line(in_tmp(pub, sizeof pub, "alice.pub"), on_disk);
    assert_true(strncmp(out, on_disk, 40) == 0);
    memcpy(first, on_disk, sizeof first);
    assert_int_equal(mode_of(in_tmp(pub, sizeof pub, "alice.key")), 0600);
    assert_int_equal(mode_of(in_tmp(pub, sizeof pub, "alice.pub")), 0644);

    /* a second run refuses (exit 1), --force replaces (exit 0) */
    assert_int_equal(run_in_tmp(gen, out, sizeof out), 1);
    assert_string_equal(out, "");
    key_line(in_tmp(pub, sizeof pub, "alice.pub"), on_disk);
    assert_string_equal(on_disk, first);
    assert_int_equal(run_in_tmp(force, out, sizeof out), 0);
    key_line(in_tmp(pub, sizeof pub, "alice.pub"), on_disk);
    assert_string_not_equal(on_disk, first);

    /* usage errors: exit 2, nothing written */
    assert_int_equal(run_in_tmp(none, out, sizeof out), 2);
    assert_int_equal(run_in_tmp(two, out, sizeof out), 2);
    assert_int_equal(run_in_tmp(bogus, out, sizeof out), 2);
    assert_int_equal(count_files(), 2);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_sub),
        cmocka_unit_test(test_push),
        cmocka_unit_test_setup_teardown(test_load, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_keygen, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_keygen_program, tmpdir_setup,
                                        tmpdir_teardown),
    };

    (void)argc;
    argv0 = argv[0];
    if (!zmq_has("curve")) {
        fprintf(stderr, "test_lib_curve: libzmq without CURVE\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
