/*
 * it_peers.c — badly behaved peers for tests/it/bad_peers.sh and
 * slow_subscriber.sh, speaking to a running nyckeld:
 *
 *   it_peers big INGEST MB        one frame of MB megabytes
 *   it_peers churn INGEST N       N connect / send garbage / disconnect
 *   it_peers deaf INGEST N        N valid batches, never reading an ack
 *   it_peers ack INGEST           one valid batch; exit 0 when its ack
 *                                 arrives within 2 s, 1 otherwise
 *   it_peers slowsub PUB SECONDS  subscribe to everything, read nothing
 *                                 for SECONDS, then read what is queued
 *                                 and print "gaps N updates M" where a
 *                                 gap is an update whose prev_seq is
 *                                 not the last seq seen for its topic
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "nyckel.pb-c.h"

#define S(lit) ((char *)(uintptr_t)(lit))

static void *peers_dealer(void *ctx, const char *ep)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    if (zmq_connect(s, ep)) {
        perror("connect");
        exit(2);
    }
    return s;
}

/* A batch of one valid payment with a unique id. */
static void *peers_batch(uint64_t id, size_t *len)
{
    static char idbuf[32];
    Nyckel__Payment p = NYCKEL__PAYMENT__INIT;
    Nyckel__Event e = NYCKEL__EVENT__INIT;
    Nyckel__Event *ev[1] = {&e};
    Nyckel__IngestBatch b = NYCKEL__INGEST_BATCH__INIT;
    snprintf(idbuf, sizeof(idbuf), "peer-%llu", (unsigned long long)id);
    e.source = S("peers-0127");
    e.id = idbuf;
    e.has_revision = 1;
    e.revision = 1;
    e.municipality = S("0127");
    e.unit = S("ekb");
    e.body_case = NYCKEL__EVENT__BODY_PAYMENT;
    e.payment = &p;
    p.household = S("hh-peer");
    p.month = S("2014-05");
    p.paid_on = S("2014-05-25");
    p.has_amount_ore = 1;
    p.amount_ore = 100;
    p.category = S("ovrigt");
    p.has_head_birth_year = 1;
    p.head_birth_year = 1970;
    b.has_protocol = 1;
    b.protocol = 1;
    b.has_batch_id = 1;
    b.batch_id = id;
    b.n_events = 1;
    b.events = ev;
    *len = nyckel__ingest_batch__get_packed_size(&b);
    void *buf = malloc(*len);
    nyckel__ingest_batch__pack(&b, buf);
    return buf;
}

static int peers_ack(void *ctx, const char *ep)
{
    void *s = peers_dealer(ctx, ep);
    int timeout = 2000;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    size_t len;
    void *buf = peers_batch((uint64_t)time(NULL) * 1000 + 7, &len);
    zmq_send(s, buf, len, 0);
    free(buf);
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = zmq_msg_recv(&m, s, 0) < 0 ? 1 : 0;
    Nyckel__IngestAck *a =
        rc ? NULL
           : nyckel__ingest_ack__unpack(NULL, zmq_msg_size(&m),
                                        zmq_msg_data(&m));
    if (!a || a->n_acks != 1 ||
        a->acks[0]->status == NYCKEL__STATUS__REJECTED)
        rc = 1;
    nyckel__ingest_ack__free_unpacked(a, NULL);
    zmq_msg_close(&m);
    zmq_close(s);
    printf("ack: %s\n", rc ? "none" : "received");
    return rc;
}

static int peers_slowsub(void *ctx, const char *ep, int seconds)
{
    void *s = zmq_socket(ctx, ZMQ_SUB);
    int hwm = 1000, timeout = 1000;
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    zmq_connect(s, ep);
    fprintf(stderr, "slowsub: subscribed, not reading for %d s\n", seconds);
    sleep((unsigned)seconds);
    /* topics and the last seq seen for each, in a small open table */
    enum { SLOTS = 1 << 16 };
    char **topics = calloc(SLOTS, sizeof(*topics));
    uint64_t *seqs = calloc(SLOTS, sizeof(*seqs));
    unsigned long gaps = 0, updates = 0;
    time_t last_update = time(NULL);
    /* read until four seconds without an update (heartbeats go on) */
    while (time(NULL) - last_update < 4) {
        char topic[256];
        int n = zmq_recv(s, topic, sizeof(topic) - 1, 0);
        if (n < 0)
            continue;
        topic[n < 255 ? n : 255] = '\0';
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        if (strcmp(topic, "heartbeat") != 0) {
            Nyckel__Update *u = nyckel__update__unpack(
                NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            if (u) {
                uint64_t h = 5381;
                for (const char *p = topic; *p; p++)
                    h = h * 33 + (unsigned char)*p;
                size_t i = h % SLOTS;
                while (topics[i] && strcmp(topics[i], topic) != 0)
                    i = (i + 1) % SLOTS;
                if (!topics[i]) {
                    topics[i] = strdup(topic);
                } else if (u->prev_seq != seqs[i]) {
                    gaps++;
                }
                seqs[i] = u->seq;
                updates++;
                last_update = time(NULL);
                nyckel__update__free_unpacked(u, NULL);
            }
        }
        zmq_msg_close(&m);
    }
    printf("gaps %lu updates %lu\n", gaps, updates);
    for (size_t i = 0; i < SLOTS; i++)
        free(topics[i]);
    free(topics);
    free(seqs);
    zmq_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: it_peers big|churn|deaf|ack|slowsub EP [N]\n");
        return 2;
    }
    const char *mode = argv[1], *ep = argv[2];
    long n = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
    void *ctx = zmq_ctx_new();
    int rc = 0;
    if (strcmp(mode, "big") == 0) {
        size_t len = (size_t)n << 20;
        char *buf = calloc(1, len);
        void *s = peers_dealer(ctx, ep);
        zmq_send(s, buf, len, 0);
        sleep(1);
        zmq_close(s);
        free(buf);
    } else if (strcmp(mode, "churn") == 0) {
        /* a context of its own every 200 cycles: closed sockets are
         * reaped in the background, and a context holds 1023 at most */
        void *c = zmq_ctx_new();
        for (long i = 0; i < n; i++) {
            if (i && i % 200 == 0) {
                zmq_ctx_term(c);
                c = zmq_ctx_new();
            }
            void *s = peers_dealer(c, ep);
            zmq_send(s, "\xff\xff", 2, ZMQ_DONTWAIT);
            zmq_close(s);
        }
        zmq_ctx_term(c);
    } else if (strcmp(mode, "deaf") == 0) {
        void *s = peers_dealer(ctx, ep);
        for (long i = 0; i < n; i++) {
            size_t len;
            void *buf = peers_batch((uint64_t)i + 1, &len);
            zmq_send(s, buf, len, 0);
            free(buf);
        }
        sleep(2);
        zmq_close(s);
    } else if (strcmp(mode, "ack") == 0) {
        rc = peers_ack(ctx, ep);
    } else if (strcmp(mode, "slowsub") == 0) {
        rc = peers_slowsub(ctx, ep, (int)n);
    } else {
        fprintf(stderr, "it_peers: unknown mode %s\n", mode);
        rc = 2;
    }
    zmq_ctx_term(ctx);
    return rc;
}
