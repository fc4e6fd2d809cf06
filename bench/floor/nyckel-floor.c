/*
 * nyckel-floor — the floor under issue 8's targets: what every design
 * that keeps DESIGN's contract must do per event, and nothing more,
 * measured by nyckel-bench on the same machine in the same run.
 *
 *   serve  receives IngestBatch frames on a ROUTER as nyckeld does,
 *          decodes and validates them with nyckeld's own codec and
 *          rules, judges each event against its stored entity record
 *          (DESIGN §2: the latest revision and the event's bytes, which
 *          revisions, tombstones and --rebuild need), writes the
 *          record, commits the batches waiting together (up to 32, or
 *          64 KiB, as nyckeld) in one durable commit and acks each.
 *          With a PUB endpoint it publishes after each commit "floor"
 *          and the number of events taken since it started (decimal),
 *          and "heartbeat" every 100 ms, so that nyckel-bench's
 *          subscribers see each commit; with a query endpoint a second
 *          thread answers each Query after one lookup in a read
 *          transaction, with no slices. No aggregation, no figures.
 *   read   reads and decodes every entity record of a store, nyckeld's
 *          or its own: the floor of nyckeld --rebuild.
 *
 * Whatever nyckeld adds to this is its aggregation and publishing; what
 * this cannot do on a machine, no design keeping the contract can.
 * A benchmark tool, built by `make bench` only.
 */
#include "codec.h"
#include "entity.h"
#include "validate.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

#define PROG "nyckel-floor"
#define FLOOR_MAP_BYTES (64ULL << 30) /* sparse; far above any bench store */
#define FLOOR_ENVELOPE_MAX 4          /* routing frames kept per request */
#define ENTITIES_DB "entities"        /* nyckeld's name (daemon/store.c) */
#define FLOOR_TOPIC "floor"           /* nyckel-bench's FLOOR_TOPIC */
#define HEARTBEAT_MS 100
#define FLOOR_GROUP_MAX 32            /* nyckeld's INGEST_GROUP_MAX */
#define FLOOR_GROUP_BYTES (64 * 1024) /* and INGEST_GROUP_BYTES */

static atomic_int g_stop; /* lock-free: set from a signal handler */

static void on_stop(int sig)
{
    (void)sig;
    atomic_store(&g_stop, 1);
}

static int64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* LMDB's codes and positive errno values, or a negative errno (the
 * codec's and entity's). */
static const char *err_text(int rc)
{
    return rc < 0 && rc > -4096 ? strerror(-rc) : mdb_strerror(rc);
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: " PROG " serve STATE_DIR INGEST_ENDPOINT [PUB_ENDPOINT "
        "[QUERY_ENDPOINT]]\n"
        "       " PROG " read STATE_DIR\n"
        "\n"
        "The floor of nyckel-bench (issue 8): nyckeld's ingestion without\n"
        "aggregation. serve decodes and validates IngestBatch frames, keeps\n"
        "each entity's latest record in LMDB (database \"" ENTITIES_DB "\"),\n"
        "commits the batches waiting together in one durable commit and\n"
        "acks each, as nyckeld does. With PUB_ENDPOINT it publishes\n"
        "\"" FLOOR_TOPIC "\" and its count of events after each commit, and a\n"
        "heartbeat every %d ms. With QUERY_ENDPOINT a second thread\n"
        "answers each Query after one lookup in a read transaction, with\n"
        "no slices. It stops on SIGTERM or SIGINT and prints its time per\n"
        "event.\n"
        "read decodes every entity record of a store (nyckeld's too).\n",
        HEARTBEAT_MS);
}

static int env_open(const char *dir, unsigned flags, MDB_env **env)
{
    int rc;

    if ((rc = mdb_env_create(env)))
        return rc;
    if ((rc = mdb_env_set_maxdbs(*env, 8)) ||
        (rc = mdb_env_set_mapsize(*env, FLOOR_MAP_BYTES)) ||
        (rc = mdb_env_open(*env, dir, MDB_NOTLS | MDB_NORDAHEAD | flags,
                           0600))) {
        mdb_env_close(*env);
        *env = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------ serve */

/* One request of a group: its envelope, its frame, what it decoded to
 * and its acks. */
struct request {
    zmq_msg_t env[FLOOR_ENVELOPE_MAX];
    int n_env;
    zmq_msg_t body;
    struct codec_batch b;
    int rc; /* codec_batch_decode's */
    struct codec_event_ack *acks;
    char (*texts)[VALIDATE_TEXT_MAX];
};

struct floor {
    MDB_env *env;
    MDB_dbi dbi;
    void *router, *pub;
    uint64_t batches, events, accepted, duplicate, stale, rejected;
    int64_t decode_ns, store_ns, commit_ns, ack_ns;
    unsigned char *rec; /* one entity record */
    struct request req[FLOOR_GROUP_MAX];
};

/* One event against its stored record: nyckeld's ingest_event() less
 * the aggregation of the old and new contributions. */
static int floor_event(struct floor *f, MDB_txn *txn, const struct event_in *in,
                       const uint8_t *raw, size_t raw_len,
                       struct codec_event_ack *ack, char *text)
{
    struct event ev;
    enum reason r = validate_event(in, &ev, text);
    char key[ENTITY_KEY_MAX];
    uint64_t old_rev = 0;
    MDB_val k, v;
    int rc;

    if (r != REASON_OK) {
        *ack = (struct codec_event_ack){CODEC_REJECTED, reason_code(r), text};
        f->rejected++;
        return 0;
    }
    if ((rc = entity_key(key, &ev)))
        return rc;
    k = (MDB_val){strlen(key), key};
    rc = mdb_get(txn, f->dbi, &k, &v);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    if (rc == 0) {
        bool deleted;
        const void *oraw;
        size_t oraw_len;

        if ((rc = entity_record_decode(v.mv_data, v.mv_size, &old_rev, &deleted,
                                       &oraw, &oraw_len)))
            return rc;
    }
    switch (entity_judge(rc == 0, old_rev, ev.revision)) {
    case ENTITY_DUPLICATE:
        *ack = (struct codec_event_ack){CODEC_DUPLICATE, NULL, NULL};
        f->duplicate++;
        return 0;
    case ENTITY_STALE:
        *ack = (struct codec_event_ack){CODEC_STALE, NULL, NULL};
        f->stale++;
        return 0;
    default:
        break;
    }
    v.mv_size =
        entity_record_encode(ev.revision, ev.deleted, raw, raw_len, f->rec);
    v.mv_data = f->rec;
    if ((rc = mdb_put(txn, f->dbi, &k, &v, 0)))
        return rc;
    *ack = (struct codec_event_ack){CODEC_ACCEPTED, NULL, NULL};
    f->accepted++;
    return 0;
}

/* Send q's envelope (which zmq_msg_send empties) and then buf. */
static void reply(void *sock, struct request *q, const uint8_t *buf, size_t len)
{
    for (int i = 0; i < q->n_env; i++)
        zmq_msg_send(&q->env[i], sock, ZMQ_SNDMORE);
    zmq_send(sock, buf, len, 0);
}

/* Ack one request of a committed group (or its refusal) on the ROUTER. */
static void floor_ack(struct floor *f, struct request *q)
{
    struct codec_ack a = {.batch_id = q->b.batch_id, .status = CODEC_ACCEPTED};
    uint8_t *buf = NULL;
    size_t len = 0;

    if (q->rc) {
        a.status = CODEC_REJECTED;
        a.reason = "malformed";
        a.text = q->b.why[0] ? q->b.why : codec_strerror(q->rc);
    } else {
        a.n_acks = q->b.n_events;
        a.acks = q->acks;
        a.seq = f->batches;
    }
    if (codec_ack_encode(&a, &buf, &len) == 0)
        reply(f->router, q, buf, len);
    free(buf);
}

/* The requests req[0..n) as one group, as nyckeld's ingest does: each
 * decoded, all applied in one write transaction with one durable
 * commit, then each acked, and one message on the PUB. */
static int floor_group(struct floor *f, int n)
{
    int64_t t0 = now_ns(), t1, t2, t3;
    MDB_txn *txn = NULL;
    int rc;

    for (int i = 0; i < n; i++) {
        struct request *q = &f->req[i];

        q->rc = codec_batch_decode(zmq_msg_data(&q->body),
                                   zmq_msg_size(&q->body), &q->b);
    }
    t1 = now_ns();
    f->decode_ns += t1 - t0;
    if ((rc = mdb_txn_begin(f->env, NULL, 0, &txn)))
        goto out;
    for (int i = 0; i < n && !rc; i++) {
        struct request *q = &f->req[i];

        for (size_t e = 0; e < q->b.n_events && !rc; e++)
            rc = floor_event(f, txn, &q->b.events[e], q->b.raw[e],
                             q->b.raw_len[e], &q->acks[e], q->texts[e]);
    }
    t2 = now_ns();
    f->store_ns += t2 - t1;
    if (rc) {
        mdb_txn_abort(txn);
        goto out;
    }
    if ((rc = mdb_txn_commit(txn)))
        goto out;
    t3 = now_ns();
    f->commit_ns += t3 - t2;
    for (int i = 0; i < n; i++) {
        struct request *q = &f->req[i];

        if (!q->rc) {
            f->batches++;
            f->events += q->b.n_events;
        }
        floor_ack(f, q);
    }
    if (f->pub) {
        char msg[24];
        int len = snprintf(msg, sizeof msg, "%" PRIu64, f->events);

        zmq_send(f->pub, FLOOR_TOPIC, strlen(FLOOR_TOPIC), ZMQ_SNDMORE);
        zmq_send(f->pub, msg, (size_t)len, 0);
    }
    f->ack_ns += now_ns() - t3;
out:
    if (rc)
        fprintf(stderr, PROG ": a group of %d batches: %s\n", n, err_text(rc));
    for (int i = 0; i < n; i++) {
        struct request *q = &f->req[i];

        codec_batch_free(&q->b);
        for (int k = 0; k < q->n_env; k++)
            zmq_msg_close(&q->env[k]);
        zmq_msg_close(&q->body);
    }
    return rc;
}

/* Read one request: its envelope (routing id and any delimiter) and
 * body. 1 when one was read, 0 when none was ready, or -errno. */
static int recv_request(void *sock, struct request *q)
{
    int more = 1, n = 0;

    zmq_msg_init(&q->body);
    while (more) {
        size_t sz = sizeof more;

        if (zmq_msg_recv(&q->body, sock, n ? 0 : ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();

            zmq_msg_close(&q->body);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&q->env[i]);
            return e == EAGAIN && n == 0 ? 0 : -e;
        }
        zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
        if (more) {
            if (n == FLOOR_ENVELOPE_MAX) {
                zmq_msg_close(&q->body); /* too deep: drop the part */
            } else {
                zmq_msg_init(&q->env[n]);
                zmq_msg_move(&q->env[n], &q->body);
                n++;
            }
            zmq_msg_init(&q->body);
        }
    }
    q->n_env = n;
    return 1;
}

/* Read the requests waiting, up to FLOOR_GROUP_MAX of them and
 * FLOOR_GROUP_BYTES (nyckeld's limits). How many, or -errno. */
static int recv_group(struct floor *f)
{
    size_t bytes = 0;
    int n = 0, rc;

    while (n < FLOOR_GROUP_MAX && bytes < FLOOR_GROUP_BYTES) {
        rc = recv_request(f->router, &f->req[n]);
        if (rc < 0)
            return n ? n : rc;
        if (rc == 0)
            break;
        bytes += zmq_msg_size(&f->req[n].body);
        n++;
    }
    return n;
}

/* The query thread: answers each Query on its own ROUTER after one
 * lookup in a read transaction (the first entity record at or after
 * the municipality's code) with an empty QueryResult: a round trip, a
 * decode, a read transaction and an encode, beside the ingestion. */
struct qserver {
    MDB_env *env;
    MDB_dbi dbi;
    void *sock;
    uint64_t answered, refused;
};

static int floor_query(struct qserver *qs, struct request *q)
{
    struct codec_query cq;
    int rc =
        codec_query_decode(zmq_msg_data(&q->body), zmq_msg_size(&q->body), &cq);
    uint8_t *buf = NULL;
    size_t len = 0;

    if (rc == 0) {
        MDB_txn *txn;
        MDB_cursor *cur;
        MDB_val k = {strlen(cq.municipality ? cq.municipality : ""),
                     (void *)(cq.municipality ? cq.municipality : "")},
                v;

        if ((rc = mdb_txn_begin(qs->env, NULL, MDB_RDONLY, &txn)) == 0) {
            if ((rc = mdb_cursor_open(txn, qs->dbi, &cur)) == 0) {
                rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
                if (rc == 0) {
                    uint64_t rev;
                    bool deleted;
                    const void *raw;
                    size_t raw_len;

                    rc = entity_record_decode(v.mv_data, v.mv_size, &rev,
                                              &deleted, &raw, &raw_len);
                } else if (rc == MDB_NOTFOUND) {
                    rc = 0;
                }
                mdb_cursor_close(cur);
            }
            mdb_txn_abort(txn);
        }
        if (rc == 0)
            rc = codec_result_encode(0, "", 0, NULL, NULL, NULL, &buf, &len);
    } else {
        rc = codec_result_encode(0, "", 0, NULL, "malformed",
                                 cq.why[0] ? cq.why : codec_strerror(rc), &buf,
                                 &len);
        qs->refused++;
    }
    codec_query_free(&cq);
    if (rc == 0) {
        reply(qs->sock, q, buf, len);
        qs->answered++;
    }
    free(buf);
    for (int i = 0; i < q->n_env; i++)
        zmq_msg_close(&q->env[i]);
    zmq_msg_close(&q->body);
    return rc;
}

static void *query_main(void *arg)
{
    struct qserver *qs = arg;
    struct request q;

    while (!atomic_load(&g_stop)) {
        zmq_pollitem_t it = {.socket = qs->sock, .events = ZMQ_POLLIN};

        if (zmq_poll(&it, 1, HEARTBEAT_MS) <= 0)
            continue;
        while (recv_request(qs->sock, &q) > 0)
            if (floor_query(qs, &q)) {
                fprintf(stderr, PROG ": a query failed\n");
                atomic_store(&g_stop, 1);
                break;
            }
    }
    return NULL;
}

static int serve(const char *dir, const char *ingest, const char *pub,
                 const char *query)
{
    struct floor f = {0};
    struct qserver qs = {0};
    pthread_t qth;
    bool qth_started = false;
    MDB_txn *txn;
    int rc, zero = 0, big = 1000000;
    int64_t beat = 0;
    void *zctx = zmq_ctx_new();

    if (mkdir(dir, 0700) && errno != EEXIST) {
        fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if ((rc = env_open(dir, 0, &f.env)) ||
        (rc = mdb_txn_begin(f.env, NULL, 0, &txn)) ||
        (rc = mdb_dbi_open(txn, ENTITIES_DB, MDB_CREATE, &f.dbi)) ||
        (rc = mdb_txn_commit(txn))) {
        fprintf(stderr, PROG ": %s: %s\n", dir, mdb_strerror(rc));
        return 1;
    }
    f.rec = malloc(ENTITY_HEADER + CODEC_EVENT_MAX_BYTES);
    for (int i = 0; i < FLOOR_GROUP_MAX; i++) {
        f.req[i].acks = calloc(CODEC_BATCH_MAX_EVENTS, sizeof *f.req[i].acks);
        f.req[i].texts = calloc(CODEC_BATCH_MAX_EVENTS, sizeof *f.req[i].texts);
        if (!f.req[i].acks || !f.req[i].texts) {
            fprintf(stderr, PROG ": out of memory\n");
            return 1;
        }
    }
    f.router = zmq_socket(zctx, ZMQ_ROUTER);
    zmq_setsockopt(f.router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(f.router, ZMQ_RCVHWM, &big, sizeof big);
    zmq_setsockopt(f.router, ZMQ_SNDHWM, &big, sizeof big);
    if (!f.rec || zmq_bind(f.router, ingest)) {
        fprintf(stderr, PROG ": %s: %s\n", ingest, zmq_strerror(zmq_errno()));
        return 1;
    }
    if (pub) {
        f.pub = zmq_socket(zctx, ZMQ_PUB);
        zmq_setsockopt(f.pub, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_bind(f.pub, pub)) {
            fprintf(stderr, PROG ": %s: %s\n", pub, zmq_strerror(zmq_errno()));
            return 1;
        }
    }
    if (query) {
        qs.env = f.env;
        qs.dbi = f.dbi;
        qs.sock = zmq_socket(zctx, ZMQ_ROUTER);
        zmq_setsockopt(qs.sock, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_bind(qs.sock, query)) {
            fprintf(stderr, PROG ": %s: %s\n", query,
                    zmq_strerror(zmq_errno()));
            return 1;
        }
    }
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    if (qs.sock) {
        if (pthread_create(&qth, NULL, query_main, &qs)) {
            fprintf(stderr, PROG ": cannot start the query thread\n");
            return 1;
        }
        qth_started = true;
    }
    printf(PROG " serve: ready on %s\n", ingest);
    fflush(stdout);
    rc = 0;
    while (!atomic_load(&g_stop) && !rc) {
        zmq_pollitem_t it = {.socket = f.router, .events = ZMQ_POLLIN};
        int n;

        if (f.pub && now_ns() >= beat) {
            zmq_send(f.pub, "heartbeat", 9, ZMQ_SNDMORE);
            zmq_send(f.pub, "", 0, 0);
            beat = now_ns() + (int64_t)HEARTBEAT_MS * 1000000;
        }
        if (zmq_poll(&it, 1, HEARTBEAT_MS) <= 0)
            continue;
        while (!atomic_load(&g_stop) && !rc && (n = recv_group(&f)) > 0)
            rc = floor_group(&f, n);
    }
    double ev = f.events ? (double)f.events : 1;
    printf(PROG " serve: %" PRIu64 " events in %" PRIu64 " batches (%" PRIu64
                " accepted, %" PRIu64 " duplicate, %" PRIu64 " stale, %" PRIu64
                " rejected); per event: decode %.3f us, entities %.3f us, "
                "commit %.3f us, ack %.3f us\n",
           f.events, f.batches, f.accepted, f.duplicate, f.stale, f.rejected,
           f.decode_ns / ev / 1e3, f.store_ns / ev / 1e3,
           f.commit_ns / ev / 1e3, f.ack_ns / ev / 1e3);
    atomic_store(&g_stop, 1);
    if (qth_started) {
        pthread_join(qth, NULL);
        printf(PROG " serve: %" PRIu64 " queries answered, %" PRIu64
                    " of them refused\n",
               qs.answered, qs.refused);
    }
    if (qs.sock)
        zmq_close(qs.sock);
    zmq_close(f.router);
    if (f.pub)
        zmq_close(f.pub);
    zmq_ctx_term(zctx);
    mdb_env_close(f.env);
    free(f.rec);
    for (int i = 0; i < FLOOR_GROUP_MAX; i++) {
        free(f.req[i].acks);
        free(f.req[i].texts);
    }
    return rc ? 1 : 0;
}

/* ------------------------------------------------------------ read */

static int read_all(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint64_t n = 0, deleted_n = 0;
    int64_t t0 = now_ns();
    int rc;

    if ((rc = env_open(dir, MDB_RDONLY, &env))) {
        fprintf(stderr, PROG ": %s: %s\n", dir, mdb_strerror(rc));
        return 1;
    }
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) ||
        (rc = mdb_dbi_open(txn, ENTITIES_DB, 0, &dbi)) ||
        (rc = mdb_cursor_open(txn, dbi, &cur)))
        goto out;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t rev;
        bool deleted;
        const void *raw;
        size_t raw_len;
        struct event_in in;
        struct event ev;
        char text[VALIDATE_TEXT_MAX];
        void *msg = NULL;

        if ((rc = entity_record_decode(v.mv_data, v.mv_size, &rev, &deleted,
                                       &raw, &raw_len)))
            break;
        n++;
        if (deleted) {
            deleted_n++;
            continue;
        }
        rc = codec_event_decode(raw, raw_len, &in, &msg);
        if (rc == 0 && validate_event(&in, &ev, text) != REASON_OK)
            rc = -EPROTO;
        codec_event_free(&msg);
        if (rc)
            break;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
out:
    if (cur)
        mdb_cursor_close(cur);
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(env);
    if (rc) {
        fprintf(stderr, PROG ": %s: entity %" PRIu64 ": %s\n", dir, n + 1,
                err_text(rc));
        return 1;
    }
    printf(PROG " read: %" PRIu64 " entities (%" PRIu64 " deleted) in %.3f s\n",
           n, deleted_n, (double)(now_ns() - t0) / 1e9);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "serve"))
        return serve(argv[2], argv[3], argc >= 5 ? argv[4] : NULL,
                     argc == 6 ? argv[5] : NULL);
    if (argc == 3 && !strcmp(argv[1], "read"))
        return read_all(argv[2]);
    usage(stderr);
    return 2;
}
