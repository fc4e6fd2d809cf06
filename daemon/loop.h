/*
 * loop.h — nyckeld's event loop: zmq_poll over the ingest and pub
 * sockets (queries have a thread of their own, query_start), the
 * heartbeat timer, the as-of date rollover, and SIGTERM /
 * SIGINT (the batch in hand is finished first: batches are handled one
 * at a time and the flag is read between them). With a fixed --as-of,
 * SIGUSR1 moves it one day on, as midnight would (for tests and replays).
 * Under systemd it also reports to the service manager (notify.h): ready,
 * status, watchdog pings from the loop itself, stopping.
 */
#ifndef NYCKEL_LOOP_H
#define NYCKEL_LOOP_H

#include "ingest.h"
#include "publish.h"
#include "query.h"
#include "store.h"

struct loop_parts {
    struct store *store;
    struct ingest *ingest;
    struct query *query;
    struct publish *publish;
    int heartbeat_ms;      /* heartbeat interval, ms */
    uint64_t map_resident; /* store_trim() budget, bytes; 0: none */
    int32_t as_of;         /* the store's as-of day at start */
};

/* Install the signal handlers. */
void loop_signals_install(void);

/* Run until a signal (returns 0) or a fatal store error (negative). Call
 * it with the store open and every socket bound: it sends READY=1 on
 * entry and STOPPING=1 on the way out. */
int loop_run(const struct loop_parts *parts);

#endif
