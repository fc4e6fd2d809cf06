/*
 * test_publish_sweep.c — the public stream's slots (publish.h,
 * publish_sweep()) on a real XPUB with a real SUB over inproc: a slot is
 * kept while an update waits in it and forgotten once idle, the table
 * grows and shrinks without losing a waiting update, and a forgotten
 * slice's next update carries prev_seq 0 (as after a restart) where a
 * kept one carries the sequence sent before.
 *
 * With small-number suppression on (5) every update goes through the
 * slots; the updates here show no figure, so none is suppressed.
 */
#include "codec.h"
#include "publish.h"

#include "nyckel.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#define ENDPOINT "inproc://test-publish-sweep"
#define WAIT_MS 2000

struct fixture {
    void *ctx;
    struct publish *p;
    void *sub;
};

static struct fixture fx;

/* An update of topic "0127/eb/<period>/total" with sequence seq into l;
 * public and exact bytes alike, as without suppressed figures. */
static void add(struct publish_list *l, const char *period, uint64_t seq)
{
    struct codec_slice s = {
        .municipality = "0127", .domain = "eb", .period = period};
    uint8_t *buf;
    size_t len;
    char topic[64];
    assert_int_equal(codec_update_encode(seq, "2014-05-01", &s, &buf, &len), 0);
    snprintf(topic, sizeof(topic), "0127/eb/%s/total", period);
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->topics = realloc(l->topics, l->cap * sizeof(*l->topics));
        l->bufs = realloc(l->bufs, l->cap * sizeof(*l->bufs));
        l->lens = realloc(l->lens, l->cap * sizeof(*l->lens));
        l->pub_bufs = realloc(l->pub_bufs, l->cap * sizeof(*l->pub_bufs));
        l->pub_lens = realloc(l->pub_lens, l->cap * sizeof(*l->pub_lens));
        l->seqs = realloc(l->seqs, l->cap * sizeof(*l->seqs));
        assert_non_null(l->seqs);
    }
    l->topics[l->n] = strdup(topic);
    l->bufs[l->n] = l->pub_bufs[l->n] = buf;
    l->lens[l->n] = l->pub_lens[l->n] = len;
    l->seqs[l->n] = seq;
    l->n++;
}

/* Send one update of period with seq. */
static void send1(const char *period, uint64_t seq)
{
    struct publish_list l = {0};
    add(&l, period, seq);
    publish_send(fx.p, &l);
    publish_list_clear(&l);
}

/* The next public update on the SUB: its topic is "0127/eb/<period>/
 * total", the result its prev_seq (the admins' "!" stream is not
 * subscribed). */
static uint64_t recv_prev(const char *period, uint64_t seq)
{
    char topic[64], want[64];
    zmq_pollitem_t item = {.socket = fx.sub, .events = ZMQ_POLLIN};
    assert_int_equal(zmq_poll(&item, 1, WAIT_MS), 1);
    int n = zmq_recv(fx.sub, topic, sizeof(topic) - 1, 0);
    assert_true(n > 0);
    topic[n] = '\0';
    snprintf(want, sizeof(want), "0127/eb/%s/total", period);
    assert_string_equal(topic, want);
    zmq_msg_t body;
    zmq_msg_init(&body);
    assert_true(zmq_msg_recv(&body, fx.sub, 0) >= 0);
    Nyckel__Update *u =
        nyckel__update__unpack(NULL, zmq_msg_size(&body), zmq_msg_data(&body));
    assert_non_null(u);
    assert_int_equal(u->seq, seq);
    uint64_t prev = u->has_prev_seq ? u->prev_seq : 0;
    nyckel__update__free_unpacked(u, NULL);
    zmq_msg_close(&body);
    return prev;
}

static int setup(void **state)
{
    (void)state;
    int zero = 0;
    fx.ctx = zmq_ctx_new();
    assert_non_null(fx.ctx);
    assert_int_equal(publish_new(fx.ctx, ENDPOINT, NULL, &fx.p), 0);
    publish_set_suppress_below(fx.p, 5);
    fx.sub = zmq_socket(fx.ctx, ZMQ_SUB);
    zmq_setsockopt(fx.sub, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(fx.sub, ENDPOINT), 0);
    assert_int_equal(zmq_setsockopt(fx.sub, ZMQ_SUBSCRIBE, "0127/", 5), 0);
    /* the subscription reaches the XPUB (manual): grant it */
    zmq_pollitem_t item = {.socket = publish_socket(fx.p),
                           .events = ZMQ_POLLIN};
    assert_int_equal(zmq_poll(&item, 1, WAIT_MS), 1);
    publish_handle(fx.p);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    zmq_close(fx.sub);
    publish_destroy(&fx.p);
    zmq_ctx_term(fx.ctx);
    return 0;
}

static void test_forgotten_slice_starts_again(void **state)
{
    (void)state;
    send1("2014-01", 10);
    assert_int_equal(recv_prev("2014-01", 10), 0);
    send1("2014-01", 11);
    assert_int_equal(recv_prev("2014-01", 11), 10); /* kept: its chain */
    send1("2014-02", 12);
    assert_int_equal(recv_prev("2014-02", 12), 0);
    assert_int_equal(publish_slot_count(fx.p), 2);

    /* an hour of idleness: nothing goes */
    assert_int_equal(publish_sweep(fx.p, 3600 * 1000), 0);
    assert_int_equal(publish_slot_count(fx.p), 2);
    send1("2014-01", 13);
    assert_int_equal(recv_prev("2014-01", 13), 11);

    /* idle at all: both go, and 2014-01 starts a new chain */
    assert_int_equal(publish_sweep(fx.p, 0), 2);
    assert_int_equal(publish_slot_count(fx.p), 0);
    send1("2014-01", 14);
    assert_int_equal(recv_prev("2014-01", 14), 0);
    send1("2014-01", 15);
    assert_int_equal(recv_prev("2014-01", 15), 14);
}

static void test_waiting_update_kept(void **state)
{
    (void)state;
    publish_set_interval(fx.p, 60000);
    send1("2014-03", 20); /* the slice's first: at once */
    assert_int_equal(recv_prev("2014-03", 20), 0);
    send1("2014-03", 21); /* within the interval: waits */
    /* 3 000 more slices: the table grows, the waiting one moves */
    struct publish_list l = {0};
    char period[16];
    for (int i = 0; i < 3000; i++) {
        snprintf(period, sizeof(period), "%04d-05", 3000 + i);
        add(&l, period, (uint64_t)(100 + i));
    }
    publish_send(fx.p, &l);
    publish_list_clear(&l);
    for (int i = 0; i < 3000; i++) {
        snprintf(period, sizeof(period), "%04d-05", 3000 + i);
        assert_int_equal(recv_prev(period, (uint64_t)(100 + i)), 0);
    }
    assert_int_equal(publish_slot_count(fx.p), 3001);

    /* idleness below the interval counts as the interval: nothing goes */
    assert_int_equal(publish_sweep(fx.p, 0), 0);
    /* without the interval the 3 000 idle ones go, not the waiting one */
    publish_set_interval(fx.p, 0);
    assert_int_equal(publish_sweep(fx.p, 0), 3000);
    assert_int_equal(publish_slot_count(fx.p), 1);
    /* it is still due, in the smaller table, with its chain */
    assert_true(publish_flush(fx.p) == INT64_MAX);
    assert_int_equal(recv_prev("2014-03", 21), 20);
    assert_int_equal(publish_sweep(fx.p, 0), 1);
    assert_int_equal(publish_slot_count(fx.p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_forgotten_slice_starts_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiting_update_kept, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
