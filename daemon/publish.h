/*
 * publish.h — live updates (DESIGN §6, Clone pattern): after a batch,
 * every slice whose metrics may have changed gets one Update with the
 * next global sequence number and the slice's previous one; a heartbeat
 * carries the current sequence every second.
 *
 * publish_prepare() runs inside the batch's write transaction (the
 * sequences it assigns are stored with the batch); publish_send() runs
 * after the commit and the ack.
 */
#ifndef NYCKEL_PUBLISH_H
#define NYCKEL_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "cellmap.h"

struct publish;

/* Encoded updates of one batch, in topic order. */
struct publish_list {
    size_t n, cap;
    char **topics;          /* owned */
    uint8_t **bufs;         /* owned, Update bytes */
    size_t *lens;
};

/* Bind a PUB socket of zmq context zctx at endpoint. */
int publish_new(void *zctx, const char *endpoint, struct publish **out);
void publish_destroy(struct publish **p);

/* The updates for the cells changed in cm: every topic a domain says
 * depends on a dirty cell, its metrics as of as_of read through cm, the
 * next sequence from *seq (advanced), the slice's sequence record in cm
 * updated. Appends to out. */
int publish_prepare(struct cellmap *cm, int32_t as_of, uint64_t *seq,
                    struct publish_list *out);

/* The updates for every topic in topics (n), as publish_prepare does for
 * dirty cells; used when the as-of date moves. */
int publish_prepare_topics(struct cellmap *cm, int32_t as_of, uint64_t *seq,
                           char **topics, size_t n, struct publish_list *out);

/* Send and empty the list (nothing is sent when p is NULL). */
void publish_send(struct publish *p, struct publish_list *l);
/* Free the list's contents. */
void publish_list_clear(struct publish_list *l);

struct store;
/* The as-of date moved from old_as_of to new_as_of: publish every stored
 * slice of a period running at either date whose metrics changed, in
 * one write transaction (for the sequences). */
int publish_rollover(struct store *st, struct publish *p, int32_t old_as_of,
                     int32_t new_as_of);

/* Heartbeat with the current sequence and as-of day. */
void publish_heartbeat(struct publish *p, uint64_t seq, int32_t as_of);

#endif
