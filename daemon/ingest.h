/*
 * ingest.h — the ingest ROUTER (DESIGN §6): frames → batch → validate →
 * revise → aggregate → one durable LMDB commit → ack → publish.
 *
 * A batch is applied whole or not at all: any store failure aborts the
 * transaction and nothing is acknowledged (STYLE 5). Bad input is data
 * in the ack, never a crash.
 */
#ifndef NYCKEL_INGEST_H
#define NYCKEL_INGEST_H

#include "auth.h"
#include "codec.h"
#include "publish.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define INGEST_MAX_FRAME                                                       \
    (4 * CODEC_BATCH_MAX_BYTES) /* larger: dropped by zmq */

struct ingest;

/* Bind a ROUTER socket of zctx at endpoint, a CURVE server of auth (may
 * be NULL: none; borrowed, outlives the ingest); batches go to st,
 * updates to pub (may be NULL). */
int ingest_new(void *zctx, const char *endpoint, struct auth *auth,
               struct store *st, struct publish *pub, struct ingest **out);
void ingest_destroy(struct ingest **in);

/* The socket to poll for input. */
void *ingest_socket(struct ingest *in);

struct stats;
/* Count every batch in stats (borrowed, outlives in; NULL: none), and
 * keep its store figures (sequence, map use) current from now on. */
void ingest_set_stats(struct ingest *in, struct stats *stats);

/* Receive and handle every message waiting on the socket. Returns 0, or
 * a negative code when the store failed in a way that needs a restart
 * (the batch was not acknowledged). */
int ingest_handle(struct ingest *in, int32_t as_of);

/* The as-of day moved: advance the contributions that depend on it
 * (open placements), publish what changed. */
int ingest_rollover(struct ingest *in, int32_t old_as_of, int32_t new_as_of);

#endif
