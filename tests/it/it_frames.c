/*
 * it_frames.c — speaks the ingest protocol by hand to a running nyckeld
 * with frames no well-behaved exporter sends: garbage bytes, an
 * oversized frame, a wrong protocol version, and a batch mixing good
 * events with one of each kind of bad one. Checks every reply and exits
 * 0 only when each got the status and reason it should.
 *
 * Usage: it_frames INGEST-ENDPOINT
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "nyckel.pb-c.h"

static int failures;

/* protobuf-c's string fields are char *; ours are literals */
#define S(lit) ((char *)(uintptr_t)(lit))

static void check(bool ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        failures++;
}

/* Send one frame, wait up to 5 s for the ack. NULL on silence. */
static Nyckel__IngestAck *roundtrip(void *sock, const void *buf, size_t len)
{
    if (zmq_send(sock, buf, len, 0) < 0)
        return NULL;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) < 0) {
        zmq_msg_close(&msg);
        return NULL;
    }
    Nyckel__IngestAck *ack = nyckel__ingest_ack__unpack(
        NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    return ack;
}

static bool refused(Nyckel__IngestAck *ack, const char *reason)
{
    return ack && ack->status == NYCKEL__STATUS__REJECTED && ack->reason &&
           strcmp(ack->reason, reason) == 0 && ack->n_acks == 0;
}

/* A valid payment; fields may be spoiled by the caller. */
struct pay {
    Nyckel__Event ev;
    Nyckel__Payment p;
};

static void pay_init(struct pay *x, const char *id)
{
    nyckel__event__init(&x->ev);
    nyckel__payment__init(&x->p);
    x->ev.source = S("frames-0127");
    x->ev.id = (char *)id;
    x->ev.has_revision = 1;
    x->ev.revision = 1;
    x->ev.municipality = S("0127");
    x->ev.unit = S("ekb");
    x->ev.body_case = NYCKEL__EVENT__BODY_PAYMENT;
    x->ev.payment = &x->p;
    x->p.household = S("hh-frames");
    x->p.month = S("2014-05");
    x->p.paid_on = S("2014-05-25");
    x->p.has_amount_ore = 1;
    x->p.amount_ore = 123400;
    x->p.category = S("livsuppehalle");
    x->p.has_head_birth_year = 1;
    x->p.head_birth_year = 1970;
}

static void *pack_batch(Nyckel__Event **evs, size_t n, uint32_t protocol,
                        uint64_t id, size_t *len)
{
    Nyckel__IngestBatch b = NYCKEL__INGEST_BATCH__INIT;
    b.has_protocol = 1;
    b.protocol = protocol;
    b.has_batch_id = 1;
    b.batch_id = id;
    b.n_events = n;
    b.events = evs;
    *len = nyckel__ingest_batch__get_packed_size(&b);
    void *buf = malloc(*len);
    nyckel__ingest_batch__pack(&b, buf);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: it_frames INGEST-ENDPOINT\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int timeout = 5000, linger = 0;
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_connect(sock, argv[1])) {
        perror("connect");
        return 1;
    }

    /* 1. garbage: not a protobuf message */
    static const unsigned char junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x42};
    Nyckel__IngestAck *ack = roundtrip(sock, junk, sizeof(junk));
    check(refused(ack, "malformed"), "garbage frame refused as malformed");
    nyckel__ingest_ack__free_unpacked(ack, NULL);

    /* 2. oversized: 2 MiB, over the 1 MiB batch limit */
    size_t big = 2u << 20;
    unsigned char *huge = calloc(1, big);
    ack = roundtrip(sock, huge, big);
    check(refused(ack, "oversized"), "2 MiB frame refused as oversized");
    nyckel__ingest_ack__free_unpacked(ack, NULL);
    free(huge);

    /* 3. protocol 2, batch id still echoed */
    struct pay one;
    pay_init(&one, "proto");
    Nyckel__Event *evs1[1] = {&one.ev};
    size_t len;
    void *buf = pack_batch(evs1, 1, 2, 77, &len);
    ack = roundtrip(sock, buf, len);
    check(refused(ack, "protocol") && ack->batch_id == 77,
          "protocol 2 refused, batch id 77 echoed");
    nyckel__ingest_ack__free_unpacked(ack, NULL);
    free(buf);

    /* 4. mixed batch: good events accepted, each bad one its reason */
    enum { N = 8 };
    struct pay x[N];
    const char *ids[N] = {"good-1", "bad-month", "pnr", "bad-cat",
                          "negative", "good-2", "good-1", "no-household"};
    for (int i = 0; i < N; i++)
        pay_init(&x[i], ids[i]);
    x[1].p.month = S("2014-13");
    x[2].p.household = S("19800101-1234");
    x[3].p.category = S("lyx");
    x[4].p.amount_ore = -100;
    x[5].p.amount_ore = 100000;
    x[6].ev.revision = 1;           /* good-1 again: duplicate */
    x[7].p.household = NULL;
    Nyckel__Event *evs[N];
    for (int i = 0; i < N; i++)
        evs[i] = &x[i].ev;
    buf = pack_batch(evs, N, 1, 78, &len);
    ack = roundtrip(sock, buf, len);
    free(buf);
    check(ack && ack->status == NYCKEL__STATUS__ACCEPTED && ack->n_acks == N,
          "mixed batch answered event by event");
    if (ack && ack->n_acks == N) {
        struct {
            int status;
            const char *reason;
        } want[N] = {
            {NYCKEL__STATUS__ACCEPTED, NULL},
            {NYCKEL__STATUS__REJECTED, "month_out_of_range"},
            {NYCKEL__STATUS__REJECTED, "personnummer"},
            {NYCKEL__STATUS__REJECTED, "unknown_enum"},
            {NYCKEL__STATUS__REJECTED, "negative_amount"},
            {NYCKEL__STATUS__ACCEPTED, NULL},
            {NYCKEL__STATUS__DUPLICATE, NULL},
            {NYCKEL__STATUS__REJECTED, "missing_field"},
        };
        for (int i = 0; i < N; i++) {
            Nyckel__EventAck *a = ack->acks[i];
            bool ok = (int)a->status == want[i].status &&
                      (!want[i].reason ||
                       (a->reason && strcmp(a->reason, want[i].reason) == 0 &&
                        a->text && *a->text));
            char what[160];
            snprintf(what, sizeof(what), "event %d (%s): %s%s%s", i, ids[i],
                     want[i].reason ? want[i].reason : "status",
                     a->text ? " — " : "", a->text ? a->text : "");
            check(ok, what);
            if (a->text && strstr(a->text, "19800101"))
                check(false, "reason text must not repeat a personnummer");
        }
    }
    nyckel__ingest_ack__free_unpacked(ack, NULL);

    zmq_close(sock);
    zmq_ctx_term(ctx);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
