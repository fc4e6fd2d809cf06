/*
 * codec.h — the only door to the generated protobuf-c code: strict
 * decoding of wire frames into plain C structs and encoding of replies.
 *
 * Size caps are enforced before anything is unpacked. A decoded batch
 * owns the unpacked message; every struct event_in in it borrows its
 * strings from there and lives until codec_batch_free().
 *
 * Decoding is strict (codec.c says how): senders must send the canonical
 * encoding, which is what protobuf-c's pack writes — every field at most
 * once (repeated ones consecutive) in field-number order, no unknown
 * fields, the declared wire types, minimal varints, no packed repeated
 * fields, strings without NUL bytes and at most CODEC_STRING_MAX bytes.
 * Anything else is CODEC_EMALFORMED, with what and where in the why text.
 */
#ifndef NYCKEL_CODEC_H
#define NYCKEL_CODEC_H

#include "event.h"

#include <stddef.h>
#include <stdint.h>

#define CODEC_PROTOCOL 1 /* wire protocol version */
#define CODEC_BATCH_MAX_EVENTS 1000
#define CODEC_BATCH_MAX_BYTES (1024 * 1024) /* one ingest frame */
#define CODEC_EVENT_MAX_BYTES (64 * 1024)   /* one stored event */
#define CODEC_STRING_MAX 128  /* any string field on the wire, bytes */
#define CODEC_REPEATED_MAX 64 /* a repeated field without its own cap */
#define CODEC_WHY_MAX 160     /* refusal detail text, bytes incl. NUL */

/* Batch-level refusals; codec_strerror() gives a text. */
#define CODEC_EOVERSIZED (-1101) /* frame over CODEC_BATCH_MAX_BYTES */
#define CODEC_EMALFORMED (-1102) /* not a valid IngestBatch */
#define CODEC_EPROTOCOL (-1103)  /* protocol missing or not 1 */
#define CODEC_ETOOMANY (-1104)   /* more than CODEC_BATCH_MAX_EVENTS */

struct codec_batch {
    uint64_t batch_id;
    size_t n_events;
    struct event_in *events; /* n_events, borrowed from msg */
    const uint8_t **raw;     /* each event re-encoded: raw[i], raw_len[i] */
    size_t *raw_len;
    void *msg;               /* the unpacked message, owned */
    char why[CODEC_WHY_MAX]; /* after a refusal: what and where, else "" */
};

/* Decode an IngestBatch frame. On success *out owns its memory (free with
 * codec_batch_free). On failure returns a CODEC_E* code and a one-line
 * detail in out->why (e.g. "IngestBatch.events[2].payment: unknown field
 * 15 (wire type 2) at byte 40"); if the batch id could be read it is in
 * out->batch_id so the refusal can echo it. */
int codec_batch_decode(const void *buf, size_t len, struct codec_batch *out);
void codec_batch_free(struct codec_batch *b);

/* Decode one stored event (bytes made by codec_batch_decode's raw), as
 * strictly as a frame: stored bytes are canonical by construction, so
 * anything else is corruption (CODEC_EMALFORMED). The returned event_in
 * borrows from *msg; free *msg with codec_event_free. */
int codec_event_decode(const void *buf, size_t len, struct event_in *out,
                       void **msg);
void codec_event_free(void **msg);

/* Text for a CODEC_E* code. */
const char *codec_strerror(int code);

/* ------------------------------------------------------------ replies */

/* Per-event and batch status, as the wire's Status enum. */
enum codec_status {
    CODEC_ACCEPTED = 1,
    CODEC_DUPLICATE = 2,
    CODEC_STALE = 3,
    CODEC_REJECTED = 4,
};

struct codec_event_ack {
    enum codec_status status;
    const char *reason; /* NULL unless rejected */
    const char *text;   /* NULL unless rejected */
};

struct codec_ack {
    uint64_t batch_id;
    enum codec_status status; /* ACCEPTED, or REJECTED for the whole batch */
    const char *reason;       /* whole-batch refusal code, else NULL */
    const char *text;
    size_t n_acks;
    const struct codec_event_ack *acks;
    uint64_t seq; /* last sequence number after the commit */
};

struct codec_dim {
    const char *key; /* "unit", "age_band", ... */
    const char *value;
};

struct codec_metric {
    const char *id;     /* "households" */
    const char *label;  /* NULL: not sent */
    const char *unit;   /* "kr", "count", "ratio", "share", "months", "days" */
    int is_null;        /* nonzero: value absent on the wire */
    double value;       /* money already in kronor */
    const char *status; /* "ok", "null", "suppressed"; NULL: not sent */
};

struct codec_slice {
    const char *municipality;
    const char *domain;
    const char *period;
    size_t n_dims;
    const struct codec_dim *dims;
    size_t n_metrics;
    const struct codec_metric *metrics;
    uint64_t seq;      /* this slice's last update, 0 = never */
    size_t n_previous; /* 0, or metrics one year earlier: */
    const struct codec_metric *previous;   /* n_previous values */
    const struct codec_metric *change_pct; /* n_previous changes, % */
};

/* Encoders return 0 and a malloc'd buffer in *buf (free()), or -ENOMEM. */
int codec_ack_encode(const struct codec_ack *a, uint8_t **buf, size_t *len);
/* An encoded Update (by codec_update_encode) again with prev_seq prev:
 * a coalesced stream tells the previous update it sent. 0, -EINVAL for
 * bytes that are no Update, or -ENOMEM. */
int codec_update_set_prev(const uint8_t *in, size_t in_len, uint64_t prev,
                          uint8_t **buf, size_t *len);
/* s->seq is the slice's previous update (sent as prev_seq). */
int codec_update_encode(uint64_t seq, const char *as_of,
                        const struct codec_slice *s, uint8_t **buf,
                        size_t *len);
int codec_heartbeat_encode(uint64_t seq, const char *as_of, uint8_t **buf,
                           size_t *len);
/* error/text NULL for a normal result. */
int codec_result_encode(uint64_t seq, const char *as_of, size_t n_slices,
                        const struct codec_slice *slices, const char *error,
                        const char *text, uint8_t **buf, size_t *len);

/* A count by name (the wire's Count). */
struct codec_count {
    const char *name; /* "bad_date", "storage_full" */
    uint64_t value;
};

/* nyckeld's own counters, the wire's Health (stats.h has the meaning). */
struct codec_health {
    const char *version;
    uint64_t start_unix_ms; /* Unix time, ms */
    uint64_t uptime_ms;
    uint64_t events_received;
    uint64_t events_accepted, events_duplicate, events_stale, events_rejected;
    size_t n_rejected; /* rejected events per reason code */
    const struct codec_count *rejected;
    uint64_t batches_accepted;
    size_t n_refused; /* batches refused per reason */
    const struct codec_count *batches_refused;
    double commit_seconds_sum;                 /* seconds */
    uint64_t map_bytes, used_bytes, max_bytes; /* LMDB map, bytes */
    uint64_t subscriptions;
    uint64_t handshakes_refused;
};

/* The answer to a health query: a QueryResult with seq, as_of, no
 * slices (slice_count 0) and h. */
int codec_health_encode(uint64_t seq, const char *as_of,
                        const struct codec_health *h, uint8_t **buf,
                        size_t *len);

#define CODEC_QUERY_MAX_BYTES (64 * 1024)
#define CODEC_QUERY_MAX_LIST 16 /* domains, filters */

/* A decoded Query; strings borrowed from msg, NULL when absent. */
struct codec_query {
    const char *municipality;
    size_t n_domains;
    const char *domains[CODEC_QUERY_MAX_LIST];
    const char *period;
    const char *period_to;
    const char *rollup;
    size_t n_filters;
    struct codec_dim filters[CODEC_QUERY_MAX_LIST];
    int compare_previous_year;
    int health;              /* nonzero: a health query */
    int exact;               /* nonzero: unsuppressed values asked for */
    void *msg;               /* owned; codec_query_free */
    char why[CODEC_WHY_MAX]; /* after a refusal: what and where, else "" */
};

/* CODEC_EOVERSIZED, CODEC_EMALFORMED (also for more than
 * CODEC_QUERY_MAX_LIST domains or filters, or a filter without key or
 * value), CODEC_EPROTOCOL, or 0; on a refusal q->why says more. */
int codec_query_decode(const void *buf, size_t len, struct codec_query *q);
void codec_query_free(struct codec_query *q);

#endif
