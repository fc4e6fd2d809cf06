/*
 * test_lib_query_reply.c — libnyckel refuses a QueryResult it must not
 * use (clients/lib/query.c, sub_wire_result_recv): slice_count missing
 * or not the number of slices held, more than one frame, another
 * protocol, bytes that are no QueryResult.
 *
 * Through the public API: nyckel_query_run() sends a real query over
 * loopback TCP to a fake nyckeld, a ZeroMQ ROUTER on an ephemeral port
 * served by a thread, which checks the query and sends the row's answer.
 * Table-driven, one row per answer; the first row (a correct answer is
 * used) is the control that shows the fake answers well, so that the
 * refusals of the others come from the one defect each row plants.
 * Each row takes a few milliseconds; the waits only bound a failure.
 *
 * And a query session (nyckel_query_session_*, nyckel-query --batch)
 * never takes the late answer of a query that timed out for the next
 * query's, and asks the queries after it over one connection.
 */
/* clang-format off */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
/* clang-format on */

#include "nyckel.h"
#include "nyckel.pb-c.h"

#include <zmq.h>

#define WAIT_MS 3000   /* longest wait for a query or an answer */
#define NO_COUNT (-1)  /* row.slice_count: leave slice_count out */
#define NO_PROTOCOL 0u /* row.protocol: leave protocol out */
#define S(lit) ((char *)(uintptr_t)(lit))

struct row {
    const char *name;
    uint32_t protocol;  /* QueryResult.protocol, or NO_PROTOCOL */
    int slice_count;    /* QueryResult.slice_count, or NO_COUNT */
    size_t n_slices;    /* slices sent, 0..2 */
    const char *error;  /* QueryResult.error, or NULL */
    int frames;         /* the answer sent this many times, as frames of
                           one message */
    bool garbage;       /* send bytes that are no QueryResult instead */
    int want_rc;        /* nyckel_query_run's return */
    size_t want_slices; /* slices in the result when want_rc is 0 */
};

static const struct row rows[] = {
    {"control: 2 slices, slice_count 2", 1, 2, 2, NULL, 1, false, 0, 2},
    {"slice_count 3 for 2 slices", 1, 3, 2, NULL, 1, false,
     NYCKEL_SUB_EMALFORMED, 0},
    {"slice_count 1 for 2 slices", 1, 1, 2, NULL, 1, false,
     NYCKEL_SUB_EMALFORMED, 0},
    {"slice_count missing", 1, NO_COUNT, 2, NULL, 1, false,
     NYCKEL_SUB_EMALFORMED, 0},
    {"empty answer, slice_count 0", 1, 0, 0, NULL, 1, false, 0, 0},
    {"empty answer, slice_count missing", 1, NO_COUNT, 0, NULL, 1, false,
     NYCKEL_SUB_EMALFORMED, 0},
    {"the correct answer in two frames", 1, 2, 2, NULL, 2, false,
     NYCKEL_SUB_EMALFORMED, 0},
    {"protocol 2", 2, 2, 2, NULL, 1, false, NYCKEL_SUB_EPROTOCOL, 0},
    {"protocol missing", NO_PROTOCOL, 2, 2, NULL, 1, false,
     NYCKEL_SUB_EPROTOCOL, 0},
    {"not a QueryResult", 1, 2, 2, NULL, 1, true, NYCKEL_SUB_EMALFORMED, 0},
    /* a refusal is one whatever else it holds: no count, no protocol */
    {"refusal without slice_count or protocol", NO_PROTOCOL, NO_COUNT, 0,
     "bad_period", 1, false, 0, 0},
};

/* ------------------------------------------------------------ fake */

struct fake {
    void *ctx;
    void *router;          /* bound; used by the thread once started */
    char endpoint[64];     /* tcp://127.0.0.1:PORT */
    const struct row *row; /* the answer to give */
    pthread_t thread;
    char why[160]; /* what went wrong in the thread; "" if nothing */
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort(); /* runs on the fake's thread: no cmocka there */
    return p;
}

/* The row's answer, packed; the caller frees it. */
static uint8_t *answer(const struct row *r, size_t *len)
{
    Nyckel__QueryResult m = NYCKEL__QUERY_RESULT__INIT;
    Nyckel__Slice s[2], *sp[2];
    Nyckel__Metric met[2], *mp[2];
    static const char *const periods[2] = {"2014-T1", "2014-T2"};
    uint8_t *buf;

    if (r->garbage) {
        /* field 1 as a group start: no protobuf-c message accepts it */
        static const uint8_t bad[] = {0x0b, 0xff, 0xff};

        buf = xmalloc(sizeof bad);
        memcpy(buf, bad, sizeof bad);
        *len = sizeof bad;
        return buf;
    }
    for (size_t i = 0; i < r->n_slices; i++) {
        nyckel__slice__init(&s[i]);
        nyckel__metric__init(&met[i]);
        met[i].id = S("households");
        met[i].has_value = 1;
        met[i].value = 100.0 + (double)i; /* 100 for T1, 101 for T2 */
        met[i].unit = S("count");
        mp[i] = &met[i];
        s[i].municipality = S("0127");
        s[i].domain = S("eb");
        s[i].period = (char *)(uintptr_t)periods[i];
        s[i].n_metrics = 1;
        s[i].metrics = &mp[i];
        sp[i] = &s[i];
    }
    if (r->protocol != NO_PROTOCOL) {
        m.has_protocol = 1;
        m.protocol = r->protocol;
    }
    m.has_seq = 1;
    m.seq = 42;
    m.as_of = S("2014-05-01");
    m.n_slices = r->n_slices;
    m.slices = r->n_slices ? sp : NULL;
    m.error = (char *)(uintptr_t)r->error;
    if (r->error)
        m.text = S("period 2014-T9 does not exist");
    if (r->slice_count != NO_COUNT) {
        m.has_slice_count = 1;
        m.slice_count = (uint32_t)r->slice_count;
    }
    *len = nyckel__query_result__get_packed_size(&m);
    buf = xmalloc(*len);
    nyckel__query_result__pack(&m, buf);
    return buf;
}

/* Check that the query is the one test_row sends. */
static void check_query(struct fake *f, const zmq_msg_t *req)
{
    Nyckel__Query *q = nyckel__query__unpack(NULL, zmq_msg_size(req),
                                             zmq_msg_data((zmq_msg_t *)req));

    if (!q)
        snprintf(f->why, sizeof f->why, "the query does not decode");
    else if (!q->has_protocol || q->protocol != NYCKEL_SUB_PROTOCOL ||
             !q->municipality || strcmp(q->municipality, "0127") ||
             !q->period || strcmp(q->period, "2014-T1"))
        snprintf(f->why, sizeof f->why, "not the query that was sent");
    if (q)
        nyckel__query__free_unpacked(q, NULL);
}

/* The thread: one query in, the row's answer out. No cmocka here (it
 * is not thread-safe): trouble goes into f->why. */
static void *serve(void *arg)
{
    struct fake *f = arg;
    zmq_pollitem_t item = {.socket = f->router, .events = ZMQ_POLLIN};
    zmq_msg_t id, req;
    uint8_t *buf = NULL;
    size_t len = 0;

    zmq_msg_init(&id);
    zmq_msg_init(&req);
    if (zmq_poll(&item, 1, WAIT_MS) != 1) {
        snprintf(f->why, sizeof f->why, "no query within %d ms", WAIT_MS);
        goto out;
    }
    /* ROUTER: the peer's routing id, then the one frame of the query */
    if (zmq_msg_recv(&id, f->router, 0) < 0 || !zmq_msg_more(&id) ||
        zmq_msg_recv(&req, f->router, 0) < 0 || zmq_msg_more(&req)) {
        snprintf(f->why, sizeof f->why, "the query is not one frame");
        goto out;
    }
    check_query(f, &req);
    if (f->why[0])
        goto out;
    buf = answer(f->row, &len);
    if (zmq_msg_send(&id, f->router, ZMQ_SNDMORE) < 0) {
        snprintf(f->why, sizeof f->why, "send id: %s",
                 zmq_strerror(zmq_errno()));
        goto out;
    }
    for (int i = 0; i < f->row->frames; i++)
        if (zmq_send(f->router, buf, len,
                     i + 1 < f->row->frames ? ZMQ_SNDMORE : 0) < 0) {
            snprintf(f->why, sizeof f->why, "send answer: %s",
                     zmq_strerror(zmq_errno()));
            goto out;
        }
out:
    free(buf);
    zmq_msg_close(&id);
    zmq_msg_close(&req);
    return NULL;
}

/* Binds the fake and starts serve (serve() or serve_session()). */
static void fake_start(struct fake *f, const struct row *r,
                       void *(*serve_fn)(void *))
{
    int zero = 0, one = 1;
    size_t n = sizeof f->endpoint;

    memset(f, 0, sizeof *f);
    f->row = r;
    f->ctx = zmq_ctx_new();
    assert_non_null(f->ctx);
    f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
    assert_non_null(f->router);
    /* an answer that cannot be routed fails loudly instead of vanishing */
    assert_int_equal(
        zmq_setsockopt(f->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one), 0);
    assert_int_equal(zmq_setsockopt(f->router, ZMQ_LINGER, &zero, sizeof zero),
                     0);
    assert_int_equal(zmq_bind(f->router, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(
        zmq_getsockopt(f->router, ZMQ_LAST_ENDPOINT, f->endpoint, &n), 0);
    /* the socket moves to the thread; pthread_create is the barrier */
    assert_int_equal(pthread_create(&f->thread, NULL, serve_fn, f), 0);
}

static void fake_stop(struct fake *f)
{
    assert_int_equal(pthread_join(f->thread, NULL), 0);
    zmq_close(f->router);
    zmq_ctx_term(f->ctx);
}

/* ------------------------------------------------------------ tests */

static void check_result(const struct row *r, const struct nyckel_result *res)
{
    assert_non_null(res);
    assert_int_equal(res->n_slices, r->want_slices);
    if (r->error) {
        assert_non_null(res->error);
        assert_string_equal(res->error, r->error);
        assert_string_equal(res->text, "period 2014-T9 does not exist");
        return;
    }
    assert_null(res->error);
    assert_int_equal(res->protocol, NYCKEL_SUB_PROTOCOL);
    assert_int_equal(res->seq, 42);
    assert_string_equal(res->as_of, "2014-05-01");
    for (size_t i = 0; i < res->n_slices; i++) {
        const struct nyckel_slice *s = &res->slices[i];

        assert_string_equal(s->municipality, "0127");
        assert_string_equal(s->domain, "eb");
        assert_string_equal(s->period, i ? "2014-T2" : "2014-T1");
        assert_int_equal(s->n_metrics, 1);
        assert_string_equal(s->metrics[0].id, "households");
        assert_false(s->metrics[0].is_null);
        assert_true(s->metrics[0].value == 100.0 + (double)i);
    }
}

static void test_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const struct row *r = &rows[i];
        const struct nyckel_query q = {.municipality = "0127",
                                       .period = "2014-T1"};
        struct nyckel_result *res = NULL;
        struct fake f;
        int rc;

        fake_start(&f, r, serve);
        rc = nyckel_query_run(f.endpoint, &q, WAIT_MS, &res);
        fake_stop(&f);
        if (f.why[0])
            fail_msg("row %s: fake nyckeld: %s", r->name, f.why);
        if (rc != r->want_rc)
            fail_msg("row %s: returned %d (%s), expected %d (%s)", r->name, rc,
                     nyckel_sub_strerror(rc), r->want_rc,
                     nyckel_sub_strerror(r->want_rc));
        if (rc == 0)
            check_result(r, res);
        else
            assert_null(res);
        nyckel_result_destroy(&res);
        assert_null(res);
    }
}

/* ------------------------------------------------------------ session */

#define LATE_TIMEOUT_MS 200 /* the client gives up on the first query */

/* A one-slice answer for period. */
static uint8_t *answer_period(const char *period, size_t *len)
{
    Nyckel__QueryResult m = NYCKEL__QUERY_RESULT__INIT;
    Nyckel__Slice s = NYCKEL__SLICE__INIT, *sp = &s;

    s.municipality = S("0127");
    s.domain = S("eb");
    s.period = (char *)(uintptr_t)period;
    m.has_protocol = 1;
    m.protocol = NYCKEL_SUB_PROTOCOL;
    m.as_of = S("2014-05-01");
    m.n_slices = 1;
    m.slices = &sp;
    m.has_slice_count = 1;
    m.slice_count = 1;
    *len = nyckel__query_result__get_packed_size(&m);
    uint8_t *buf = xmalloc(*len);
    nyckel__query_result__pack(&m, buf);
    return buf;
}

/* One query in: its routing id into id (a zmq_msg_t of the caller) and
 * its period into period. 0, or -1 with f->why set. */
static int recv_query(struct fake *f, zmq_msg_t *id, char *period, size_t size)
{
    zmq_pollitem_t item = {.socket = f->router, .events = ZMQ_POLLIN};
    zmq_msg_t req;
    int rc = -1;

    zmq_msg_init(&req);
    if (zmq_poll(&item, 1, WAIT_MS) != 1)
        snprintf(f->why, sizeof f->why, "no query within %d ms", WAIT_MS);
    else if (zmq_msg_recv(id, f->router, 0) < 0 || !zmq_msg_more(id) ||
             zmq_msg_recv(&req, f->router, 0) < 0 || zmq_msg_more(&req))
        snprintf(f->why, sizeof f->why, "the query is not one frame");
    else {
        Nyckel__Query *q =
            nyckel__query__unpack(NULL, zmq_msg_size(&req), zmq_msg_data(&req));
        if (!q || !q->period)
            snprintf(f->why, sizeof f->why, "the query does not decode");
        else {
            snprintf(period, size, "%s", q->period);
            rc = 0;
        }
        if (q)
            nyckel__query__free_unpacked(q, NULL);
    }
    zmq_msg_close(&req);
    return rc;
}

/* The period's answer to id; a failure is an error unless may_fail. */
static void send_answer(struct fake *f, zmq_msg_t *id, const char *period,
                        bool may_fail)
{
    size_t len;
    uint8_t *buf = answer_period(period, &len);

    if ((zmq_msg_send(id, f->router, ZMQ_SNDMORE) < 0 ||
         zmq_send(f->router, buf, len, 0) < 0) &&
        !may_fail && !f->why[0])
        snprintf(f->why, sizeof f->why, "send answer for %s: %s", period,
                 zmq_strerror(zmq_errno()));
    free(buf);
}

/* The thread of test_session: leaves 2014-T1 unanswered until 2014-T2
 * has come, then answers both, the late one first; then 2014-T3, which
 * must come over 2014-T2's connection. */
static void *serve_session(void *arg)
{
    struct fake *f = arg;
    zmq_msg_t id1, id2, id3;
    char p1[16], p2[16], p3[16];

    zmq_msg_init(&id1);
    zmq_msg_init(&id2);
    zmq_msg_init(&id3);
    if (recv_query(f, &id1, p1, sizeof p1) ||
        recv_query(f, &id2, p2, sizeof p2))
        goto out;
    if (strcmp(p1, "2014-T1") || strcmp(p2, "2014-T2")) {
        snprintf(f->why, sizeof f->why, "queries %s, %s", p1, p2);
        goto out;
    }
    /* sending empties a message: 2014-T2's routing id, kept */
    unsigned char kept[256];
    size_t kept_len = zmq_msg_size(&id2);
    if (kept_len > sizeof kept) {
        snprintf(f->why, sizeof f->why, "a routing id of %zu bytes", kept_len);
        goto out;
    }
    memcpy(kept, zmq_msg_data(&id2), kept_len);
    send_answer(f, &id1, p1, true); /* its socket may be gone */
    send_answer(f, &id2, p2, false);
    if (recv_query(f, &id3, p3, sizeof p3))
        goto out;
    if (zmq_msg_size(&id3) != kept_len ||
        memcmp(zmq_msg_data(&id3), kept, kept_len))
        snprintf(f->why, sizeof f->why, "2014-T3 came over a new connection");
    send_answer(f, &id3, p3, false);
out:
    zmq_msg_close(&id1);
    zmq_msg_close(&id2);
    zmq_msg_close(&id3);
    return NULL;
}

static void test_session(void **state)
{
    (void)state;
    struct nyckel_query_session *s = NULL;
    struct nyckel_result *res = NULL;
    struct nyckel_query q = {.municipality = "0127", .period = "2014-T1"};
    struct fake f;

    fake_start(&f, NULL, serve_session);

    assert_int_equal(nyckel_query_session_open(f.endpoint, NULL, &s), 0);
    assert_int_equal(nyckel_query_session_run(s, &q, LATE_TIMEOUT_MS, &res),
                     NYCKEL_SUB_ETIMEOUT);
    assert_null(res);
    const char *const next[] = {"2014-T2", "2014-T3"};
    for (size_t i = 0; i < 2; i++) {
        q.period = next[i];
        assert_int_equal(nyckel_query_session_run(s, &q, WAIT_MS, &res), 0);
        assert_non_null(res);
        assert_int_equal(res->n_slices, 1);
        /* 2014-T1's late answer is never taken for 2014-T2's */
        assert_string_equal(res->slices[0].period, next[i]);
        nyckel_result_destroy(&res);
    }
    nyckel_query_session_close(&s);
    assert_null(s);
    nyckel_query_session_close(&s); /* NULL: nothing */
    fake_stop(&f);
    if (f.why[0])
        fail_msg("fake nyckeld: %s", f.why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_session),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
