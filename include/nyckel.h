/*
 * nyckel.h — libnyckel, the client library for adapters written in C
 * (DESIGN §8). This half pushes events to nyckeld; the query/subscribe
 * half is declared in nyckel_sub.h, included at the end.
 *
 * Pushing: create a pusher, add events one at a time (a JSON object, a
 * CSV-style record of named cells, or a whole JSON Lines/CSV stream),
 * flush, read the summary. The pusher packs events into acknowledged
 * batches (DESIGN §6), keeps up to `window` batches in flight, resends a
 * batch whose ack is late with the same batch id, and — with a spool
 * directory — writes every batch to disk before it is first sent and
 * deletes it after its ack, so a killed process loses nothing that was
 * sealed into a batch: the next pusher on the same spool sends those
 * batches first, with their original ids. Redelivery is harmless because
 * nyckeld deduplicates by (source, kind, id, revision).
 *
 * Events whose text cannot be converted (bad JSON, unknown field, wrong
 * type, ...) are rejected locally with a reason code, counted and never
 * sent. Values are otherwise passed through unchanged: nyckeld validates
 * them and answers with a reason (e.g. "unknown_enum", "missing_field").
 *
 * Threads: a pusher is used by one thread at a time. Callbacks run on the
 * calling thread, from inside the pusher's functions.
 *
 * Example (error handling shortened):
 *
 *     struct nyckel_push_opts o = {.spool_dir = "/var/lib/adapter/spool"};
 *     struct nyckel_push *p;
 *     struct nyckel_push_summary s;
 *     int rc = nyckel_push_new(&p, &o);
 *     while (rc == 0 && (line = next_export_line()))
 *         if ((rc = nyckel_push_add_json(p, line, strlen(line), "export",
 *                                        lineno)) == NYCKEL_EREJECTED)
 *             rc = 0;
 *     if (rc == 0)
 *         rc = nyckel_push_flush(p);
 *     nyckel_push_summary(p, &s);
 *     nyckel_push_destroy(&p);
 */
#ifndef NYCKEL_H
#define NYCKEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Default endpoints (DESIGN §6): loopback only. */
#define NYCKEL_INGEST_ENDPOINT "tcp://127.0.0.1:7710"
#define NYCKEL_PUB_ENDPOINT "tcp://127.0.0.1:7711"
#define NYCKEL_QUERY_ENDPOINT "tcp://127.0.0.1:7712"

#define NYCKEL_PROTOCOL 1                    /* wire protocol version */
#define NYCKEL_BATCH_MAX_EVENTS 1000         /* events in one batch */
#define NYCKEL_BATCH_MAX_BYTES (1024 * 1024) /* one packed IngestBatch */
#define NYCKEL_LINE_MAX_BYTES (64 * 1024)    /* one input line or record */
#define NYCKEL_WINDOW_MAX 64                 /* batches in flight */

/*
 * Error codes of the push half. Functions return 0 or a negative code:
 * -errno for system and ZeroMQ errors, one of these, or one of the CURVE
 * codes of nyckel_sub.h (NYCKEL_EKEY, NYCKEL_EAUTH, NYCKEL_EHANDSHAKE,
 * NYCKEL_EMECHANISM).
 */
#define NYCKEL_EREJECTED                                                       \
    (-2001)                    /* event not convertible; counted, not sent     \
                                */
#define NYCKEL_EGIVEUP (-2002) /* a batch had no ack for give_up_ms */
#define NYCKEL_ELOCKED (-2003) /* spool directory used by another process */
#define NYCKEL_EFORMAT (-2004) /* input format unknown */

/* Text for a code returned by any libnyckel function, including the
 * NYCKEL_SUB_E* and CURVE codes of nyckel_sub.h and -errno; never NULL,
 * static. */
const char *nyckel_strerror(int code);

/* ------------------------------------------------------------ push */

struct nyckel_push;

/* Totals of one pusher. Events are counted once, by their final outcome:
 * after nyckel_push_flush() returned 0, accepted + duplicate + stale +
 * rejected == read + recovered_events. */
struct nyckel_push_summary {
    uint64_t read;              /* events offered by add/read (this run) */
    uint64_t accepted;          /* acked ACCEPTED */
    uint64_t duplicate;         /* acked DUPLICATE: same revision known */
    uint64_t stale;             /* acked STALE: a higher revision known */
    uint64_t rejected;          /* rejected locally or by nyckeld */
    uint64_t rejected_local;    /* of rejected: never sent */
    uint64_t recovered_batches; /* spooled by an earlier run, sent again */
    uint64_t recovered_events;  /* events in those batches */
    uint64_t batches_sent;      /* batches sent at least once */
    uint64_t resends;           /* resends after ack_timeout_ms */
    uint64_t retries;           /* resends after storage_full/internal */
    uint64_t bad_replies;       /* replies not understood and ignored */
    uint64_t spool_bad;         /* unreadable spool files renamed *.bad */
    uint64_t unacked_batches;   /* sealed batches not yet acked */
    uint64_t unacked_events;    /* events in those (known once loaded) */
};

/* One rejected event. Strings are owned by the pusher: valid until
 * destroy from nyckel_push_rejection(), during the call in on_reject. */
struct nyckel_rejection {
    const char *origin; /* input name given to add/read ("" for NULL), or
                           "spool:ID" for a batch spooled by an earlier
                           run */
    uint64_t line;      /* 1-based line in origin; for "spool:ID" the
                           0-based index of the event in that batch */
    const char *reason; /* machine code, e.g. "bad_json", "bad_date" */
    const char *text;   /* one line for people, may be "" */
};

/* Options; a zeroed struct (or NULL) means all defaults. */
struct nyckel_push_opts {
    const char *endpoint;     /* ingest ROUTER; NULL: NYCKEL_INGEST_ENDPOINT */
    const char *spool_dir;    /* created (0700) if missing; NULL: no spool,
                                 unacked batches live only in memory */
    unsigned batch_size;      /* events per batch 1..1000; 0: 500 */
    unsigned window;          /* batches in flight 1..64; 0: 4 */
    int ack_timeout_ms;       /* resend a batch unacked this long; 0: 5000 */
    int give_up_ms;           /* fail with NYCKEL_EGIVEUP when a batch has
                                 had no final ack this long since its first
                                 send; 0: 120000 */
    int max_delay_ms;         /* while input is idle, seal a partial batch
                                 this old (read_fd, poll); 0: 1000 */
    unsigned keep_rejections; /* kept for nyckel_push_rejection, up to
                                 100000; 0: 20 */
    int progress_ms;          /* progress callback at most this often;
                                 0: 250 */
    /* Called from inside the pusher's functions; may be NULL. */
    void (*progress)(const struct nyckel_push_summary *s, void *arg);
    void (*on_reject)(const struct nyckel_rejection *r, void *arg);
    void *arg; /* passed to the callbacks */
    /* NULL: no CURVE. Else this client's keys and nyckeld's public key
     * (nyckel_sub.h, nyckel_curve_load()); copied by nyckel_push_new,
     * the DEALER is a CURVE client, and a refused or failed handshake
     * fails the pusher with NYCKEL_EAUTH, NYCKEL_EHANDSHAKE or
     * NYCKEL_EMECHANISM (unacked batches stay in the spool). */
    const struct nyckel_curve *curve;
};

/* Input formats for nyckel_push_read_fd(). */
enum nyckel_input {
    NYCKEL_INPUT_AUTO = 0, /* from the name's extension */
    NYCKEL_INPUT_JSON,     /* JSON Lines: one object per line */
    NYCKEL_INPUT_CSV,      /* header row, then one event per row */
};

/* Input format of a file name by extension: .jsonl .ndjson .json →
 * JSON, .csv → CSV (case-insensitive); NYCKEL_INPUT_AUTO when unknown. */
enum nyckel_input nyckel_input_from_name(const char *name);

/* Create a pusher in *out: connects (lazily) to the endpoint, opens and
 * locks the spool directory and lists the batches an earlier run left
 * there; they are sent first, before any new batch. Returns 0, -EINVAL
 * for bad options, NYCKEL_EKEY (opts->curve holds no usable keys),
 * NYCKEL_ELOCKED, or -errno from the spool or ZeroMQ. */
int nyckel_push_new(struct nyckel_push **out,
                    const struct nyckel_push_opts *opts);

/* Close the connection and free everything; sets *p to NULL; NULL-safe.
 * Batches not yet acked stay in the spool; events added since the last
 * sealed batch are dropped, so call nyckel_push_flush() (or, when giving
 * up early, nyckel_push_seal()) first. */
void nyckel_push_destroy(struct nyckel_push **p);

/* Add one event given as a JSON object text (len bytes, no NUL needed).
 * origin and line name it in rejection reports (origin is copied; may be
 * NULL). Blocks while the window is full and a sealed batch already
 * waits. Returns 0 (queued), NYCKEL_EREJECTED (not convertible: counted,
 * reported, not sent; go on), -EINTR (a signal arrived while waiting; the
 * event was queued: go on, flush or seal), NYCKEL_EGIVEUP or another
 * error. Such an error fails the pusher: every later call returns it,
 * and with a spool every event added so far has been sealed into it. */
int nyckel_push_add_json(struct nyckel_push *p, const char *json, size_t len,
                         const char *origin, uint64_t line);

/* Add one event given as n named text cells, as in a CSV row: names[i]
 * is a field name ("kind", "source", "amount_ore", ...), values[i] its
 * text; NULL or "" means absent. Integers in decimal, booleans
 * true/false/1/0, monthly_ore as 12 integers separated by ';'. Returns
 * as nyckel_push_add_json(). */
int nyckel_push_add_record(struct nyckel_push *p, size_t n,
                           const char *const *names, const char *const *values,
                           const char *origin, uint64_t line);

/* Read a whole JSON Lines or CSV stream from fd until end of file, adding
 * every event; blank lines are skipped, a UTF-8 byte order mark is
 * ignored. name (copied) names the stream in reports. While the input is
 * idle, acks are processed and a partial batch older than max_delay_ms is
 * sealed. Returns 0 at end of file, NYCKEL_EFORMAT, -errno for a read
 * error, -EINTR, NYCKEL_EGIVEUP. Local rejections are not errors. */
int nyckel_push_read_fd(struct nyckel_push *p, int fd, const char *name,
                        enum nyckel_input fmt);

/* Process acks and timers for up to timeout_ms (0: only what is ready),
 * and seal a partial batch older than max_delay_ms. For adapters with
 * their own idle loop. Returns 0 or an error as nyckel_push_add_json(). */
int nyckel_push_poll(struct nyckel_push *p, int timeout_ms);

/* Seal the partial batch now, without waiting for anything: with a spool,
 * every event added so far is then on disk (or already acked), so an
 * adapter may advance its own read position. Returns 0 or -errno from
 * the spool (which fails the pusher). */
int nyckel_push_seal(struct nyckel_push *p);

/* Seal the partial batch and wait until every batch is acked. Returns 0
 * (all acked; some events may have been rejected: see the summary),
 * NYCKEL_EGIVEUP (unacked batches stay in the spool), NYCKEL_EAUTH,
 * NYCKEL_EHANDSHAKE or NYCKEL_EMECHANISM (the handshake with nyckeld
 * failed: reported at once, batches stay in the spool), -EINTR, or
 * another error. After such an error every call returns it. */
int nyckel_push_flush(struct nyckel_push *p);

/* Copy the current totals into *out. */
void nyckel_push_summary(const struct nyckel_push *p,
                         struct nyckel_push_summary *out);

/* The i-th (0-based) of the first keep_rejections rejected events, in the
 * order they became known; NULL past the end. Valid until destroy. */
const struct nyckel_rejection *
nyckel_push_rejection(const struct nyckel_push *p, size_t i);

/* The i-th distinct rejection reason code in first-seen order with its
 * count in *count; NULL past the end. Valid until destroy. */
const char *nyckel_push_reason(const struct nyckel_push *p, size_t i,
                               uint64_t *count);

#ifdef __cplusplus
}
#endif

#include "nyckel_sub.h"

#endif
