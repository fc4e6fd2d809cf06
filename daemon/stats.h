/*
 * stats.h — nyckeld's own counters (issue 7): what ingestion did to
 * events and batches, how long commits took, the global sequence, the
 * LMDB map, subscriptions and refused handshakes. Served by a health
 * query (query.c) and as Prometheus text (metrics_http.c).
 *
 * Threads: the main thread updates (ingest, publish, query); the HTTP
 * thread reads. Every access goes through one mutex, and a reader takes
 * a whole copy (stats_snapshot) and renders it unlocked: a scrape never
 * sees half a batch (a histogram whose +Inf bucket differs from its
 * count, events without their batch).
 */
#ifndef NYCKEL_STATS_H
#define NYCKEL_STATS_H

#include "auth.h"
#include "validate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* An event's status in its ack (the wire's Status). */
enum stats_status {
    STATS_ACCEPTED,
    STATS_DUPLICATE,
    STATS_STALE,
    STATS_REJECTED,
    STATS_STATUSES
};

/* Why a whole batch was refused (the IngestAck reasons). */
enum stats_refusal {
    STATS_REFUSED_MALFORMED,
    STATS_REFUSED_OVERSIZED,
    STATS_REFUSED_PROTOCOL,
    STATS_REFUSED_TOO_MANY_EVENTS,
    STATS_REFUSED_STORAGE_FULL,
    STATS_REFUSED_FORBIDDEN,
    STATS_REFUSED_INTERNAL,
    STATS_REFUSALS
};

/* Upper bounds of the commit-time histogram's buckets, seconds; +Inf is
 * implicit. */
#define STATS_COMMIT_BUCKETS 8
extern const double stats_commit_le[STATS_COMMIT_BUCKETS];

/* Everything stats knows at one instant: a plain value, copied out. */
struct stats_values {
    const char *version;             /* build version (static string) */
    double start_time_s;             /* Unix time nyckeld started, seconds */
    double uptime_s;                 /* since then (monotonic clock), seconds */
    uint64_t events_received;        /* in batches that could be decoded */
    uint64_t events[STATS_STATUSES]; /* events of applied batches, by status */
    uint64_t rejected[REASON_COUNT]; /* rejected events by reason;
                                        [REASON_OK] unused */
    uint64_t batches_accepted;       /* applied and acknowledged */
    uint64_t batches_refused[STATS_REFUSALS];     /* refused whole */
    uint64_t commit_bucket[STATS_COMMIT_BUCKETS]; /* commits that took
                                                     (le[i-1], le[i]] s;
                                                     not cumulative */
    uint64_t commit_count;     /* commits timed (= batches accepted) */
    double commit_seconds_sum; /* their total time, seconds */
    uint64_t seq;              /* global sequence of the last commit */
    uint64_t map_bytes;        /* LMDB map size now, bytes */
    uint64_t used_bytes;       /* of it in use, bytes */
    uint64_t max_bytes;        /* ceiling the map may grow to, bytes */
    uint64_t subscriptions; /* granted subscription requests held (publish.c) */
    uint64_t handshakes_refused; /* CURVE handshakes refused (auth.c) */
};

/* One batch as ingest saw it, added in one go (stats_add_batch). */
struct stats_batch {
    enum stats_refusal refusal;      /* when refused */
    bool refused;                    /* refused whole: nothing applied */
    uint64_t events;                 /* events in it (0: not decoded) */
    uint64_t status[STATS_STATUSES]; /* applied: events by status */
    uint64_t rejected[REASON_COUNT]; /* applied: rejected by reason */
    double commit_s;                 /* applied: receipt to durable
                                        commit, seconds */
};

struct stats;

/* New counters, all zero, started now. auth (may be NULL: no CURVE;
 * borrowed, must outlive every snapshot) gives the refused handshakes.
 * Aborts on OOM. */
struct stats *stats_new(const struct auth *auth);
/* NULL-safe; nulls *s. No other thread may use it any more. */
void stats_destroy(struct stats **s);

/* Add one batch. NULL-safe (s NULL: nothing). */
void stats_add_batch(struct stats *s, const struct stats_batch *b);
/* The store's state after a commit (or at start). NULL-safe. */
void stats_set_store(struct stats *s, uint64_t seq, uint64_t map_bytes,
                     uint64_t used_bytes, uint64_t max_bytes);
/* Subscriptions granted (delta > 0) or dropped (< 0); never below 0.
 * NULL-safe. */
void stats_subscriptions_add(struct stats *s, int64_t delta);

/* A consistent copy of everything, with uptime and refused handshakes
 * read now. Any thread. */
void stats_snapshot(struct stats *s, struct stats_values *out);

/* The wire names of a status, a refusal ("too_many_events"). */
const char *stats_status_name(enum stats_status st);
const char *stats_refusal_name(enum stats_refusal r);

/*
 * v as Prometheus text exposition format 0.0.4: for each metric a
 * "# HELP" and a "# TYPE" line, then its samples; names nyckel_* with
 * units (_total, _seconds, _bytes), label values escaped (\\, \", \n).
 * Every reason and status is listed, also at 0. Pure: 0, or -EIO when
 * writing to out failed.
 */
int stats_render(FILE *out, const struct stats_values *v);

#endif
