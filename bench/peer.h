/*
 * peer.h — the systems nyckeld is measured against (issue 8), each
 * started by the bench on loopback in a directory of its own, loaded
 * with the same events and asked for the same eb figures:
 *
 *   redis  redis-server (appendfsync everysec); a C client (hiredis)
 *          that applies each payment's latest revision (revisions,
 *          reversals, tombstones and duplicates handled in the client's
 *          memory) as pipelined HINCRBY on one hash per (municipality,
 *          period, slice) cell and per (household, raw slice) member;
 *   pg     PostgreSQL (initdb in the directory): COPY of the events, then
 *          SQL that computes the eb figures of every period and slice
 *          into a table.
 *
 * Peers cover the eb domain (payments); events of other kinds are
 * counted and skipped.
 */
#ifndef NYCKEL_BENCH_PEER_H
#define NYCKEL_BENCH_PEER_H

#include "bench.h"

#include <stddef.h>

struct peer;

/* What one load took. */
struct peer_load_result {
    double seconds;   /* wall time of the whole load, incl. the SQL */
    size_t events;    /* events given */
    size_t payments;  /* of them payments, those the peer keeps */
    size_t ops;       /* commands (redis) or rows copied (pg) */
    char detail[256]; /* one line: how the time splits, for the report */
};

/* Start a peer ("redis" or "pg") with its data under dir (created, must
 * not exist) on 127.0.0.1:port. 0 and *out, or -1 with a message on
 * stderr (program missing, start failed). */
int peer_start(const char *name, const char *dir, int port, struct peer **out);

/* Empty the peer's data (a fresh FLUSHALL / new database), so that a
 * load can be repeated. 0 or -1. */
int peer_reset(struct peer *p);

/* Load every event (in order) durably: redis until the last reply (with
 * appendfsync everysec), pg until COPY and the figures' SQL committed.
 * 0 and *r, or -1. */
int peer_load(struct peer *p, const struct bench_events *ev,
              struct peer_load_result *r);

/* The figures of slice s after the last load. 0 and *f (all zero for a
 * slice with no payments), or -1. */
int peer_eb_figures(struct peer *p, const struct bench_slice *s,
                    struct bench_eb_figures *f);

/* Stop the server, remove dir; NULL-safe, nulls *p. */
void peer_stop(struct peer **p);

#endif
