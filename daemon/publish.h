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

#include "auth.h"
#include "cellmap.h"

#include <stddef.h>
#include <stdint.h>

struct publish;

/* Encoded updates of one batch, in topic order. */
struct publish_list {
    size_t n, cap;
    char **topics;  /* owned */
    uint8_t **bufs; /* owned, Update bytes, exact (admins' stream) */
    size_t *lens;
    uint8_t **pub_bufs; /* owned, Update bytes, suppressed (everyone
                           else's stream); NULL: not to be shown; the
                           bufs[i] pointer itself when the bytes are the
                           same (no suppression) */
    size_t *pub_lens;
    uint64_t *seqs; /* each update's sequence number */
};

/* Bind an XPUB socket of zmq context zctx at endpoint, a CURVE server of
 * auth (may be NULL: none; borrowed, outlives the publish). Subscriptions
 * are granted by publish_handle() within the client's scope. */
int publish_new(void *zctx, const char *endpoint, struct auth *auth,
                struct publish **out);
void publish_destroy(struct publish **p);

/* The socket to poll for input (subscription requests). */
void *publish_socket(struct publish *p);

/* Grant or drop the (un)subscriptions waiting on the socket, each within
 * its client's scope (auth_subscriptions). */
void publish_handle(struct publish *p);

struct stats;
/* Count granted subscriptions in stats (borrowed, outlives p; NULL:
 * none); publish.c says how far the count goes. */
void publish_set_stats(struct publish *p, struct stats *stats);

/* Updates serve counts from 1 to below - 1, and what rests on them, as
 * null with status "suppressed" (suppress.h); 0 or 1: off. The
 * threshold of p (0 for NULL). */
void publish_set_suppress_below(struct publish *p, int below);
int publish_suppress_below(const struct publish *p);

/* The updates for the cells changed in cm and the n_extra topics in
 * extra: every topic a domain says depends on a dirty cell, its metrics
 * as of as_of read through cm (suppressed with p's threshold), the
 * next sequence from *seq (advanced), the slice's sequence record in cm
 * updated. Appends to out. A topic no subscriber of p has a prefix of
 * (p NULL: none) is numbered all the same but not built: no metrics, no
 * encoding, nothing in out. Subscriptions change only in
 * publish_handle(), on the thread that prepares and sends, so whoever
 * is subscribed when the list is sent was when it was made. */
int publish_prepare(struct cellmap *cm, int32_t as_of, const struct publish *p,
                    uint64_t *seq, char **extra, size_t n_extra,
                    struct publish_list *out);

/* The updates for every topic in topics (n), as publish_prepare does for
 * dirty cells. */
int publish_prepare_topics(struct cellmap *cm, int32_t as_of,
                           const struct publish *p, uint64_t *seq,
                           char **topics, size_t n, struct publish_list *out);

/* Send and empty the list (nothing is sent when p is NULL): each update
 * at once on the admins' stream ("!" + topic), and on everyone else's
 * when it shows no suppressed figure, at once if the slice's last one
 * there is a publish interval old, else when it is (publish_flush). */
void publish_send(struct publish *p, struct publish_list *l);
/* Send the waiting updates whose interval is up; the ms until the next
 * one is due, or INT64_MAX when none waits. NULL-safe. */
int64_t publish_flush(struct publish *p);
/* The public stream keeps a slot per slice it sent an update of: what
 * it sent last (the next one's prev_seq) and when, and what waits for
 * the interval. Forget the slots with nothing waiting that sent nothing
 * for idle_ms (at least the interval), so that their number follows
 * the slices published lately, not every slice ever: the next update
 * of such a slice goes out at once with prev_seq 0, as after a restart.
 * Returns how many went. NULL-safe. */
size_t publish_sweep(struct publish *p, int64_t idle_ms);
/* The slots held (for the test). */
size_t publish_slot_count(const struct publish *p);
/* At most one update a slice per interval_ms on the public stream; 0:
 * every change at once. */
void publish_set_interval(struct publish *p, int64_t interval_ms);
/* Free the list's contents. */
void publish_list_clear(struct publish_list *l);
/* Drop the updates from index n on (those of a transaction that did not
 * commit). */
void publish_list_truncate(struct publish_list *l, size_t n);

struct store;
struct store_txn;

/* Meta key of the store's as-of day: the day its as-of-dependent
 * contributions (open placements) are counted through. */
#define PUBLISH_AS_OF_KEY "as_of"

/* The store's as-of day in *as_of; a new store takes today. */
int publish_as_of_load(struct store *st, int32_t today, int32_t *as_of);

/* Moves as-of-dependent contributions in cm from one day to another. */
typedef int (*publish_advance_fn)(void *ctx, struct store_txn *t,
                                  struct cellmap *cm, int32_t old_as_of,
                                  int32_t new_as_of);

/* The as-of day moves from old_as_of to new_as_of, in one write
 * transaction: advance() adjusts the stored contributions, the store's
 * as-of day is updated, and every slice that changed is published — the
 * cells advance() touched and the stored slices of periods running at
 * either day whose metrics differ. */
int publish_rollover(struct store *st, struct publish *p, int32_t old_as_of,
                     int32_t new_as_of, publish_advance_fn advance, void *ctx);

/* Heartbeat with the current sequence and as-of day. */
void publish_heartbeat(struct publish *p, uint64_t seq, int32_t as_of);

#endif
