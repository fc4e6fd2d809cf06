/*
 * push.c — the pusher of libnyckel (include/nyckel.h): events → sealed
 * batches → spool → DEALER → acks → totals (DESIGN §6, §8).
 *
 * Life of a batch:
 *   building  events are converted and collected until batch_size, or
 *             until the next one would make the frame exceed 1 MiB;
 *   sealed    packed into one IngestBatch frame with a fresh batch id and
 *             written to the spool (if any), then queued as pending;
 *   in flight one of `window` slots: sent, resent with the same frame and
 *             id after ack_timeout_ms without an ack, retried with back-off
 *             after a storage_full/internal refusal;
 *   done      its ack is counted event by event, its spool file deleted.
 * Batches found in the spool at start (an earlier run was killed or gave
 * up) take the free slots before any pending batch.
 *
 * Everything is single-threaded and driven from the caller's calls: the
 * pump runs when a batch is sealed, in flush and in poll. The DEALER has
 * ZMQ_IMMEDIATE set, so while nyckeld is unreachable a send fails with
 * EAGAIN instead of piling duplicate copies into a queue; the batch is
 * simply tried again on the next turn, and give_up_ms bounds the wait.
 *
 * A late ack for a batch already finished (its first send was slow, the
 * resend got acked first) finds no slot and is ignored; batch ids are
 * unique across runs, so it cannot be taken for another batch.
 *
 * With opts.curve the DEALER is a CURVE client. Its handshakes are
 * monitored either way (curve.c): a refused key or a failed handshake
 * fails the pusher at once; without the monitor ZMQ_IMMEDIATE would
 * just keep every send at EAGAIN until give_up_ms.
 */
#include "curve.h"
#include "event_json.h"
#include "nyckel.h"
#include "nyckel.pb-c.h"
#include "push_internal.h"
#include "push_mem.h"
#include "spool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define PUSH_DEFAULT_BATCH 500
#define PUSH_DEFAULT_WINDOW 4
#define PUSH_DEFAULT_ACK_TIMEOUT_MS 5000
#define PUSH_DEFAULT_GIVE_UP_MS 120000
#define PUSH_DEFAULT_MAX_DELAY_MS 1000
#define PUSH_DEFAULT_KEEP 20
#define PUSH_DEFAULT_PROGRESS_MS 250
#define PUSH_BACKOFF_FIRST_MS 1000       /* first retry after storage_full */
#define PUSH_BACKOFF_MAX_MS 30000        /* longest wait between retries */
#define PUSH_SEND_RETRY_MS 50            /* retry a send that met EAGAIN */
#define PUSH_IDLE_MS 100                 /* reader's input wait while busy */
#define PUSH_MAX_REPLY_BYTES (16L << 20) /* larger replies drop the peer */
#define PUSH_REASONS_MAX 64              /* distinct reason codes counted */
#define PUSH_REASON_LEN 31               /* longest reason code kept, bytes */
#define PUSH_TEXT_LEN 200                /* longest reason text kept, bytes */
/* protocol (tag + varint 1) and batch_id (tag + up to 10 bytes) */
#define PUSH_FRAME_HEADER_BYTES 13
/* batch ids: CLOCK_REALTIME ns with the low bits replaced by the pid's,
 * so that two concurrent pushers never pick the same id */
#define PUSH_ID_LOW_BITS 10
#define PUSH_ID_LOW_MASK ((UINT64_C(1) << PUSH_ID_LOW_BITS) - 1)

/* Where an event came from: an index into origins and a line. */
struct push_where {
    size_t origin; /* index into nyckel_push.origins */
    uint64_t line; /* as given to add */
};

struct push_batch {
    struct push_batch *next;  /* pending list link */
    uint64_t id;              /* batch id, also the spool file name */
    uint8_t *frame;           /* packed IngestBatch, owned */
    size_t frame_len;         /* bytes, <= NYCKEL_BATCH_MAX_BYTES */
    size_t n_events;          /* events in the frame, 1..1000 */
    struct push_where *where; /* n_events; NULL when recovered */
    int64_t first_try_ms;     /* monotonic, first send attempt; 0 = none */
    int64_t last_send_ms;     /* last successful send; 0 = send due */
    int64_t retry_at_ms;      /* > 0: refused for now, due again then */
    int backoff_ms;           /* current back-off after refusals */
    bool sent;                /* counted in batches_sent */
};

struct push_reason {
    char code[PUSH_REASON_LEN + 1]; /* reason code */
    uint64_t n;                     /* events rejected with it */
};

struct nyckel_push {
    struct nyckel_push_opts o; /* defaults filled in; strings below */
    char *endpoint;            /* owned copy of o.endpoint */
    void *zctx;                /* own ZeroMQ context */
    void *sock;                /* DEALER connected to endpoint */
    struct curve_mon *mon;     /* sock's handshakes */
    struct nyckel_curve curve; /* checked copy of *o.curve */
    struct spool *spool;       /* NULL: no spool */

    Nyckel__Event **build;          /* batch being built, batch_size */
    struct push_where *build_where; /* origin of each, batch_size */
    size_t n_build;                 /* events in build */
    size_t build_bytes;             /* their encoded size in the frame */
    int64_t build_since_ms;         /* monotonic time of the first */

    struct push_batch *pending;       /* sealed, waiting for a slot */
    struct push_batch **pending_tail; /* where to append */
    size_t n_pending;                 /* length of pending */
    struct push_batch **slots;        /* o.window; NULL = free */

    uint64_t *recovered;   /* spooled ids found at start, ascending */
    size_t n_recovered;    /* their number */
    size_t next_recovered; /* first not yet loaded into a slot */

    uint64_t last_id; /* highest batch id used or found */
    uint64_t id_low;  /* low bits of every id we choose */

    struct nyckel_push_summary sum; /* totals; unacked_* computed */
    struct push_reason *reasons;    /* distinct reason codes */
    size_t n_reasons;               /* <= PUSH_REASONS_MAX */
    struct nyckel_rejection *rej;   /* first o.keep_rejections */
    size_t n_rej;                   /* kept so far */
    char **origins;                 /* interned origin names */
    size_t n_origins, cap_origins;

    int failed;               /* sticky error (give-up, fatal), or 0 */
    int64_t next_progress_ms; /* monotonic time of the next progress */
};

enum push_goal {
    PUSH_ROOM,  /* return once at most one sealed batch waits for a slot */
    PUSH_DRAIN, /* return once every sealed batch is acknowledged */
    PUSH_ONCE,  /* return after timeout_ms, having done what was due */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *nyckel_strerror(int code)
{
    switch (code) {
    case 0:
        return "Success";
    case NYCKEL_EREJECTED:
        return "event rejected before sending";
    case NYCKEL_EGIVEUP:
        return "gave up: a batch was not acknowledged in time";
    case NYCKEL_ELOCKED:
        return "spool directory is in use by another process";
    case NYCKEL_EFORMAT:
        return "input format unknown";
    }
    if (code <= -1500 && code > -1600)
        return nyckel_sub_strerror(code);
    /* ZeroMQ's texts cover plain errno values too */
    return zmq_strerror(-code);
}

/* ------------------------------------------------------------ reports */

static size_t origin_intern(struct nyckel_push *p, const char *origin)
{
    if (!origin)
        origin = "";
    if (p->n_origins && !strcmp(p->origins[p->n_origins - 1], origin))
        return p->n_origins - 1;
    if (p->n_origins == p->cap_origins) {
        p->cap_origins = p->cap_origins ? 2 * p->cap_origins : 8;
        p->origins =
            push_xrealloc(p->origins, p->cap_origins * sizeof *p->origins);
    }
    p->origins[p->n_origins] = push_xstrdup(origin);
    return p->n_origins++;
}

/* Copy s into buf (size n) with control bytes made '?' and cut at n-1:
 * reason texts come from the network and end up on a terminal. */
static const char *clean(const char *s, char *buf, size_t n)
{
    size_t i;

    for (i = 0; s && s[i] && i + 1 < n; i++)
        buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

static void count_reason(struct nyckel_push *p, const char *code)
{
    size_t i;

    for (i = 0; i < p->n_reasons; i++)
        if (!strcmp(p->reasons[i].code, code))
            break;
    if (i == p->n_reasons) {
        if (p->n_reasons == PUSH_REASONS_MAX) {
            /* a flood of distinct codes: lump the rest together */
            i = PUSH_REASONS_MAX - 1;
            snprintf(p->reasons[i].code, sizeof p->reasons[i].code, "other");
        } else {
            snprintf(p->reasons[i].code, sizeof p->reasons[i].code, "%s", code);
            p->reasons[i].n = 0;
            p->n_reasons++;
        }
    }
    p->reasons[i].n++;
}

/* Count and report one rejected event. */
static void rejected(struct nyckel_push *p, const char *origin, uint64_t line,
                     const char *reason, const char *text)
{
    char rbuf[PUSH_REASON_LEN + 1], tbuf[PUSH_TEXT_LEN + 1];
    struct nyckel_rejection r = {
        .origin = origin,
        .line = line,
        .reason =
            clean(reason && *reason ? reason : "rejected", rbuf, sizeof rbuf),
        .text = clean(text ? text : "", tbuf, sizeof tbuf),
    };

    p->sum.rejected++;
    count_reason(p, r.reason);
    if (p->n_rej < p->o.keep_rejections) {
        struct nyckel_rejection *k = &p->rej[p->n_rej++];

        k->origin = push_xstrdup(r.origin);
        k->line = r.line;
        k->reason = push_xstrdup(r.reason);
        k->text = push_xstrdup(r.text);
    }
    if (p->o.on_reject)
        p->o.on_reject(&r, p->o.arg);
}

/* Rejection of event i of batch b by nyckeld. */
static void rejected_in_batch(struct nyckel_push *p, const struct push_batch *b,
                              size_t i, const char *reason, const char *text)
{
    char spool_origin[32];

    if (b->where) {
        rejected(p, p->origins[b->where[i].origin], b->where[i].line, reason,
                 text);
    } else {
        snprintf(spool_origin, sizeof spool_origin, "spool:%" PRIu64, b->id);
        rejected(p, spool_origin, i, reason, text);
    }
}

int push_reject_local(struct nyckel_push *p, const char *origin, uint64_t line,
                      const char *reason, const char *text)
{
    if (p->failed)
        return p->failed;
    p->sum.read++;
    p->sum.rejected_local++;
    rejected(p, origin ? origin : "", line, reason, text);
    return NYCKEL_EREJECTED;
}

/* ------------------------------------------------------------ batches */

static void batch_free(struct push_batch **bp)
{
    if (!*bp)
        return;
    free((*bp)->frame);
    free((*bp)->where);
    free(*bp);
    *bp = NULL;
}

static uint64_t next_batch_id(struct nyckel_push *p)
{
    struct timespec ts;
    uint64_t ns, id;

    clock_gettime(CLOCK_REALTIME, &ts);
    ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    id = (ns & ~PUSH_ID_LOW_MASK) | p->id_low;
    if (id <= p->last_id)
        id = ((p->last_id & ~PUSH_ID_LOW_MASK) + PUSH_ID_LOW_MASK + 1) |
             p->id_low;
    p->last_id = id;
    return id;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Pack the events being built into a batch, spool it, queue it. Never
 * blocks. On a spool failure the batch is kept in memory (pending) and
 * the error returned: the caller fails the pusher. */
static int seal(struct nyckel_push *p)
{
    Nyckel__IngestBatch m = NYCKEL__INGEST_BATCH__INIT;
    struct push_batch *b;
    int rc = 0;

    if (!p->n_build)
        return 0;
    b = push_xcalloc(1, sizeof *b);
    b->id = next_batch_id(p);
    m.has_protocol = 1;
    m.protocol = NYCKEL_PROTOCOL;
    m.has_batch_id = 1;
    m.batch_id = b->id;
    m.n_events = p->n_build;
    m.events = p->build;
    b->frame_len = nyckel__ingest_batch__get_packed_size(&m);
    b->frame = push_xmalloc(b->frame_len);
    nyckel__ingest_batch__pack(&m, b->frame);
    b->n_events = p->n_build;
    for (size_t i = 0; i < p->n_build; i++)
        event_free(&p->build[i]);
    b->where = p->build_where;
    p->build_where = push_xmalloc(p->o.batch_size * sizeof *p->build_where);
    p->n_build = 0;
    p->build_bytes = 0;
    if (p->spool)
        rc = spool_write(p->spool, b->id, b->frame, b->frame_len);
    *p->pending_tail = b;
    p->pending_tail = &b->next;
    p->n_pending++;
    return rc;
}

/* Make rc the pusher's sticky error; first seal what is being built so
 * that, with a spool, every event added so far is on disk. */
static int fail(struct nyckel_push *p, int rc)
{
    if (p->failed)
        return p->failed;
    p->failed = rc;
    if (p->spool)
        seal(p);
    return rc;
}

/* Load the next spooled batch into *out; NULL (and 0) when the file
 * turned out unusable (set aside) or vanished. */
static int load_recovered(struct nyckel_push *p, struct push_batch **out)
{
    uint64_t id = p->recovered[p->next_recovered++];
    Nyckel__IngestBatch *m = NULL;
    struct push_batch *b;
    uint8_t *buf;
    size_t len;
    int rc;

    *out = NULL;
    rc = spool_read(p->spool, id, NYCKEL_BATCH_MAX_BYTES, &buf, &len);
    if (rc == -ENOENT)
        return 0;
    if (rc && rc != -EFBIG)
        return rc;
    if (!rc)
        m = nyckel__ingest_batch__unpack(NULL, len, buf);
    if (!m || !m->has_protocol || m->protocol != NYCKEL_PROTOCOL ||
        !m->has_batch_id || m->batch_id != id || m->n_events == 0 ||
        m->n_events > NYCKEL_BATCH_MAX_EVENTS) {
        if (m)
            nyckel__ingest_batch__free_unpacked(m, NULL);
        free(buf);
        p->sum.spool_bad++;
        return spool_set_aside(p->spool, id);
    }
    b = push_xcalloc(1, sizeof *b);
    b->id = id;
    b->frame = buf;
    b->frame_len = len;
    b->n_events = m->n_events;
    nyckel__ingest_batch__free_unpacked(m, NULL);
    p->sum.recovered_batches++;
    p->sum.recovered_events += b->n_events;
    *out = b;
    return 0;
}

/* Give free slots to spooled batches first, then to pending ones. */
static int fill_slots(struct nyckel_push *p)
{
    for (unsigned i = 0; i < p->o.window; i++) {
        while (!p->slots[i]) {
            if (p->next_recovered < p->n_recovered) {
                int rc = load_recovered(p, &p->slots[i]);
                if (rc)
                    return rc;
            } else if (p->pending) {
                p->slots[i] = p->pending;
                p->pending = p->pending->next;
                if (!p->pending)
                    p->pending_tail = &p->pending;
                p->slots[i]->next = NULL;
                p->n_pending--;
            } else {
                return 0;
            }
        }
    }
    return 0;
}

static void finish(struct nyckel_push *p, unsigned slot)
{
    struct push_batch *b = p->slots[slot];

    /* a failed delete only costs a harmless resend in a later run */
    if (p->spool)
        spool_remove(p->spool, b->id);
    batch_free(&p->slots[slot]);
}

static bool retry_later(const char *reason)
{
    return !strcmp(reason, "storage_full") || !strcmp(reason, "internal");
}

static void handle_ack(struct nyckel_push *p, const uint8_t *data, size_t len,
                       int64_t now)
{
    Nyckel__IngestAck *a = nyckel__ingest_ack__unpack(NULL, len, data);
    struct push_batch *b = NULL;
    unsigned slot;

    if (!a || (a->has_protocol && a->protocol != NYCKEL_PROTOCOL) ||
        !a->has_batch_id) {
        p->sum.bad_replies++;
        goto out;
    }
    for (slot = 0; slot < p->o.window; slot++) {
        b = p->slots[slot];
        if (b && b->id == a->batch_id)
            break;
    }
    if (slot == p->o.window)
        goto out; /* late ack of a batch already done */
    if (a->has_status && a->status == NYCKEL__STATUS__REJECTED) {
        const char *reason =
            a->reason && *a->reason ? a->reason : "batch_rejected";

        if (retry_later(reason)) {
            b->backoff_ms = b->backoff_ms
                                ? b->backoff_ms * 2 > PUSH_BACKOFF_MAX_MS
                                      ? PUSH_BACKOFF_MAX_MS
                                      : b->backoff_ms * 2
                                : PUSH_BACKOFF_FIRST_MS;
            b->retry_at_ms = now + b->backoff_ms;
            b->last_send_ms = 0;
            goto out;
        }
        /* a refusal of the batch as such: a client bug, not retried */
        for (size_t i = 0; i < b->n_events; i++)
            rejected_in_batch(p, b, i, reason, a->text);
        finish(p, slot);
        goto out;
    }
    if (a->n_acks != b->n_events) {
        p->sum.bad_replies++;
        goto out; /* the ack timeout resends; give-up bounds it */
    }
    for (size_t i = 0; i < b->n_events; i++) {
        const Nyckel__EventAck *e = a->acks[i];
        int st = e->has_status ? (int)e->status : 0;

        switch (st) {
        case NYCKEL__STATUS__ACCEPTED:
            p->sum.accepted++;
            break;
        case NYCKEL__STATUS__DUPLICATE:
            p->sum.duplicate++;
            break;
        case NYCKEL__STATUS__STALE:
            p->sum.stale++;
            break;
        case NYCKEL__STATUS__REJECTED:
            rejected_in_batch(p, b, i, e->reason, e->text);
            break;
        default:
            rejected_in_batch(p, b, i, "bad_ack",
                              "nyckeld's status for this event is unknown");
        }
    }
    finish(p, slot);
out:
    if (a)
        nyckel__ingest_ack__free_unpacked(a, NULL);
}

/* Take every reply that is waiting, without blocking. */
static int receive(struct nyckel_push *p)
{
    for (;;) {
        zmq_msg_t msg;
        int more;

        zmq_msg_init(&msg);
        /* a one-frame reply is the rule; of several, the last counts */
        do {
            if (zmq_msg_recv(&msg, p->sock, ZMQ_DONTWAIT) < 0) {
                int e = zmq_errno();

                zmq_msg_close(&msg);
                return e == EAGAIN ? 0 : -e;
            }
            more = zmq_msg_more(&msg);
        } while (more);
        handle_ack(p, zmq_msg_data(&msg), zmq_msg_size(&msg), now_ms());
        zmq_msg_close(&msg);
    }
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Send what is due, detect timeouts and give-up; lower *wake to the
 * next moment something becomes due. */
static int service(struct nyckel_push *p, int64_t now, int64_t *wake)
{
    for (unsigned i = 0; i < p->o.window; i++) {
        struct push_batch *b = p->slots[i];

        if (!b)
            continue;
        if (!b->first_try_ms)
            b->first_try_ms = now;
        if (now - b->first_try_ms >= p->o.give_up_ms)
            return NYCKEL_EGIVEUP;
        *wake = min64(*wake, b->first_try_ms + p->o.give_up_ms);
        if (b->retry_at_ms) {
            if (now < b->retry_at_ms) {
                *wake = min64(*wake, b->retry_at_ms);
                continue;
            }
            b->retry_at_ms = 0;
            p->sum.retries++;
        } else if (b->last_send_ms &&
                   now - b->last_send_ms >= p->o.ack_timeout_ms) {
            b->last_send_ms = 0;
            p->sum.resends++;
        }
        if (!b->last_send_ms) {
            if (zmq_send(p->sock, b->frame, b->frame_len, ZMQ_DONTWAIT) < 0) {
                int e = zmq_errno();

                if (e == EINTR)
                    return -EINTR;
                if (e != EAGAIN)
                    return -e;
                /* no connection yet (ZMQ_IMMEDIATE): try again soon */
                *wake = min64(*wake, now + PUSH_SEND_RETRY_MS);
                continue;
            }
            b->last_send_ms = now;
            if (!b->sent) {
                b->sent = true;
                p->sum.batches_sent++;
            }
        }
        *wake = min64(*wake, b->last_send_ms + p->o.ack_timeout_ms);
    }
    return 0;
}

static bool all_done(const struct nyckel_push *p)
{
    if (p->pending || p->next_recovered < p->n_recovered)
        return false;
    for (unsigned i = 0; i < p->o.window; i++)
        if (p->slots[i])
            return false;
    return true;
}

static bool goal_met(const struct nyckel_push *p, enum push_goal goal)
{
    switch (goal) {
    case PUSH_ROOM:
        return p->n_pending <= 1 && p->next_recovered == p->n_recovered;
    case PUSH_DRAIN:
        return all_done(p);
    default:
        return false;
    }
}

static void progress(struct nyckel_push *p, int64_t now, int64_t *wake)
{
    if (!p->o.progress)
        return;
    if (now >= p->next_progress_ms) {
        struct nyckel_push_summary s;

        nyckel_push_summary(p, &s);
        p->o.progress(&s, p->o.arg);
        p->next_progress_ms = now + p->o.progress_ms;
    }
    *wake = min64(*wake, p->next_progress_ms);
}

/* The event loop: receive, fill slots, send, wait; until goal (PUSH_ONCE:
 * until timeout_ms passed). Errors other than -EINTR fail the pusher. */
static int pump(struct nyckel_push *p, enum push_goal goal, int timeout_ms)
{
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

    if (p->failed)
        return p->failed;
    for (;;) {
        zmq_pollitem_t items[2] = {
            {.socket = p->sock, .events = ZMQ_POLLIN},
            {.socket = curve_mon_socket(p->mon), .events = ZMQ_POLLIN},
        };
        int64_t now, wake;
        int rc;

        rc = receive(p);
        if (!rc)
            rc = curve_mon_check(p->mon);
        if (!rc)
            rc = fill_slots(p);
        now = now_ms();
        wake = now + 1000;
        if (!rc)
            rc = service(p, now, &wake);
        if (rc == -EINTR)
            return rc;
        if (rc)
            return fail(p, rc);
        progress(p, now, &wake);
        if (goal == PUSH_ONCE) {
            if (now >= deadline)
                return 0;
            wake = min64(wake, deadline);
        } else if (goal_met(p, goal)) {
            return 0;
        }
        rc = zmq_poll(items, 2, (long)(wake > now ? wake - now : 0));
        if (rc < 0) {
            rc = zmq_errno();
            if (rc == EINTR)
                return -EINTR;
            return fail(p, -rc);
        }
    }
}

/* ------------------------------------------------------------ public */

static int opts_fill(struct nyckel_push_opts *o,
                     const struct nyckel_push_opts *in)
{
    if (in)
        *o = *in;
    else
        memset(o, 0, sizeof *o);
    if (!o->batch_size)
        o->batch_size = PUSH_DEFAULT_BATCH;
    if (!o->window)
        o->window = PUSH_DEFAULT_WINDOW;
    if (!o->ack_timeout_ms)
        o->ack_timeout_ms = PUSH_DEFAULT_ACK_TIMEOUT_MS;
    if (!o->give_up_ms)
        o->give_up_ms = PUSH_DEFAULT_GIVE_UP_MS;
    if (!o->max_delay_ms)
        o->max_delay_ms = PUSH_DEFAULT_MAX_DELAY_MS;
    if (!o->keep_rejections)
        o->keep_rejections = PUSH_DEFAULT_KEEP;
    if (!o->progress_ms)
        o->progress_ms = PUSH_DEFAULT_PROGRESS_MS;
    if (o->batch_size > NYCKEL_BATCH_MAX_EVENTS ||
        o->window > NYCKEL_WINDOW_MAX || o->ack_timeout_ms < 0 ||
        o->give_up_ms < 0 || o->max_delay_ms < 0 || o->progress_ms < 0 ||
        o->keep_rejections > 100000)
        return -EINVAL;
    return 0;
}

int nyckel_push_new(struct nyckel_push **out,
                    const struct nyckel_push_opts *opts)
{
    struct nyckel_push *p;
    int64_t maxmsg = PUSH_MAX_REPLY_BYTES;
    int zero = 0, one = 1;
    int rc;

    *out = NULL;
    p = push_xcalloc(1, sizeof *p);
    rc = opts_fill(&p->o, opts);
    if (rc) {
        free(p);
        return rc;
    }
    rc = curve_copy(&p->curve, p->o.curve);
    if (rc) {
        free(p);
        return rc;
    }
    p->o.curve = p->o.curve ? &p->curve : NULL;
    p->endpoint =
        push_xstrdup(p->o.endpoint ? p->o.endpoint : NYCKEL_INGEST_ENDPOINT);
    p->o.endpoint = p->endpoint;
    p->o.spool_dir = NULL; /* not kept: spool_path() has the copy */
    p->build = push_xcalloc(p->o.batch_size, sizeof *p->build);
    p->build_where = push_xmalloc(p->o.batch_size * sizeof *p->build_where);
    p->slots = push_xcalloc(p->o.window, sizeof *p->slots);
    p->pending_tail = &p->pending;
    p->rej = push_xcalloc(p->o.keep_rejections, sizeof *p->rej);
    p->reasons = push_xcalloc(PUSH_REASONS_MAX, sizeof *p->reasons);
    p->id_low = (uint64_t)getpid() & PUSH_ID_LOW_MASK;

    if (opts && opts->spool_dir) {
        rc = spool_open(&p->spool, opts->spool_dir);
        if (!rc)
            rc = spool_list(p->spool, &p->recovered, &p->n_recovered);
        if (rc)
            goto out;
        if (p->n_recovered)
            p->last_id = p->recovered[p->n_recovered - 1];
    }

    p->zctx = zmq_ctx_new();
    if (!p->zctx) {
        rc = -zmq_errno();
        goto out;
    }
    p->sock = zmq_socket(p->zctx, ZMQ_DEALER);
    if (!p->sock) {
        rc = -zmq_errno();
        goto out;
    }
    /* unsent copies are worthless at close: every batch is spooled */
    if (zmq_setsockopt(p->sock, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_setsockopt(p->sock, ZMQ_IMMEDIATE, &one, sizeof one) ||
        zmq_setsockopt(p->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg)) {
        rc = -zmq_errno();
        goto out;
    }
    rc = curve_sock_setup(p->zctx, p->sock, p->o.curve, &p->mon);
    if (rc)
        goto out;
    if (zmq_connect(p->sock, p->endpoint)) {
        rc = -zmq_errno();
        goto out;
    }
out:
    if (rc)
        nyckel_push_destroy(&p);
    *out = p;
    return rc;
}

void nyckel_push_destroy(struct nyckel_push **pp)
{
    struct nyckel_push *p;

    if (!pp || !*pp)
        return;
    p = *pp;
    curve_mon_close(&p->mon);
    if (p->sock)
        zmq_close(p->sock);
    if (p->zctx)
        zmq_ctx_term(p->zctx);
    for (size_t i = 0; i < p->n_build; i++)
        event_free(&p->build[i]);
    free(p->build);
    free(p->build_where);
    while (p->pending) {
        struct push_batch *b = p->pending;

        p->pending = b->next;
        batch_free(&b);
    }
    for (unsigned i = 0; p->slots && i < p->o.window; i++)
        batch_free(&p->slots[i]);
    free(p->slots);
    free(p->recovered);
    spool_close(&p->spool);
    for (size_t i = 0; i < p->n_rej; i++) {
        free((char *)p->rej[i].origin);
        free((char *)p->rej[i].reason);
        free((char *)p->rej[i].text);
    }
    free(p->rej);
    free(p->reasons);
    for (size_t i = 0; i < p->n_origins; i++)
        free(p->origins[i]);
    free(p->origins);
    free(p->endpoint);
    curve_wipe(&p->curve, sizeof p->curve);
    free(p);
    *pp = NULL;
}

/* Queue a converted event (taking ownership); seal and send when the
 * batch is full; block while more than one sealed batch waits. */
static int add_event(struct nyckel_push *p, Nyckel__Event *ev,
                     const char *origin, uint64_t line)
{
    size_t ev_len = nyckel__event__get_packed_size(ev);
    size_t entry = 1 + varint_len(ev_len) + ev_len;
    bool sealed = false;
    int rc;

    if (p->n_build && PUSH_FRAME_HEADER_BYTES + p->build_bytes + entry >
                          NYCKEL_BATCH_MAX_BYTES) {
        rc = seal(p);
        if (rc) {
            event_free(&ev);
            return fail(p, rc);
        }
        sealed = true;
    }
    if (!p->n_build)
        p->build_since_ms = now_ms();
    p->build_where[p->n_build].origin = origin_intern(p, origin);
    p->build_where[p->n_build].line = line;
    p->build[p->n_build++] = ev;
    p->build_bytes += entry;
    if (p->n_build == p->o.batch_size) {
        rc = seal(p);
        if (rc)
            return fail(p, rc);
        sealed = true;
    }
    if (!sealed)
        return 0;
    return pump(p, PUSH_ROOM, 0);
}

int nyckel_push_add_json(struct nyckel_push *p, const char *json, size_t len,
                         const char *origin, uint64_t line)
{
    struct event_error err;
    Nyckel__Event *ev;

    if (p->failed)
        return p->failed;
    p->sum.read++;
    if (event_from_json(json, len, &ev, &err)) {
        p->sum.rejected_local++;
        rejected(p, origin ? origin : "", line, err.reason, err.text);
        return NYCKEL_EREJECTED;
    }
    return add_event(p, ev, origin, line);
}

int nyckel_push_add_record(struct nyckel_push *p, size_t n,
                           const char *const *names, const char *const *values,
                           const char *origin, uint64_t line)
{
    struct event_error err;
    Nyckel__Event *ev;

    if (p->failed)
        return p->failed;
    p->sum.read++;
    if (event_from_record(n, names, values, &ev, &err)) {
        p->sum.rejected_local++;
        rejected(p, origin ? origin : "", line, err.reason, err.text);
        return NYCKEL_EREJECTED;
    }
    return add_event(p, ev, origin, line);
}

int nyckel_push_poll(struct nyckel_push *p, int timeout_ms)
{
    int rc;

    if (p->failed)
        return p->failed;
    if (p->n_build && now_ms() - p->build_since_ms >= p->o.max_delay_ms &&
        !p->n_pending) {
        rc = seal(p);
        if (rc)
            return fail(p, rc);
    }
    return pump(p, PUSH_ONCE, timeout_ms);
}

int nyckel_push_seal(struct nyckel_push *p)
{
    int rc;

    if (p->failed)
        return p->failed;
    rc = seal(p);
    return rc ? fail(p, rc) : 0;
}

int nyckel_push_flush(struct nyckel_push *p)
{
    int rc;

    if (p->failed)
        return p->failed;
    rc = seal(p);
    if (rc)
        return fail(p, rc);
    return pump(p, PUSH_DRAIN, 0);
}

int push_idle_ms(const struct nyckel_push *p)
{
    if (p->failed)
        return 0;
    if (!p->n_build && all_done(p) && !p->o.progress)
        return -1;
    return PUSH_IDLE_MS;
}

void nyckel_push_summary(const struct nyckel_push *p,
                         struct nyckel_push_summary *out)
{
    *out = p->sum;
    out->unacked_batches = p->n_recovered - p->next_recovered;
    out->unacked_events = 0;
    for (const struct push_batch *b = p->pending; b; b = b->next) {
        out->unacked_batches++;
        out->unacked_events += b->n_events;
    }
    for (unsigned i = 0; i < p->o.window; i++) {
        if (!p->slots[i])
            continue;
        out->unacked_batches++;
        out->unacked_events += p->slots[i]->n_events;
    }
}

const struct nyckel_rejection *
nyckel_push_rejection(const struct nyckel_push *p, size_t i)
{
    return i < p->n_rej ? &p->rej[i] : NULL;
}

const char *nyckel_push_reason(const struct nyckel_push *p, size_t i,
                               uint64_t *count)
{
    if (i >= p->n_reasons)
        return NULL;
    if (count)
        *count = p->reasons[i].n;
    return p->reasons[i].code;
}
