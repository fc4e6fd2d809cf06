/*
 * query.h — the query ROUTER (DESIGN §6): a Query is answered from one
 * LMDB read transaction with the slices asked for and the sequence
 * number they reflect, so a subscriber can snapshot and then apply
 * newer updates.
 */
#ifndef NYCKEL_QUERY_H
#define NYCKEL_QUERY_H

#include "auth.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX_PERIODS 240  /* periods in one period..period_to range */
#define QUERY_MAX_SLICES 20000 /* slices in one result */

struct query;

/* Bind a ROUTER of zctx at endpoint, a CURVE server of auth (may be NULL:
 * none; borrowed, outlives the query), answering from st. */
int query_new(void *zctx, const char *endpoint, struct auth *auth,
              struct store *st, struct query **out);
void query_destroy(struct query **q);

struct stats;
/* Answer health queries from stats (borrowed, outlives q; NULL: only
 * the store's figures). */
void query_set_stats(struct query *q, struct stats *stats);

/* Answer queries on a thread of their own from now on (query_destroy
 * stops it): a query then waits for no batch. Queries are answered as
 * of the as-of day their read transaction's snapshot holds; health
 * answers show the one the loop last set here. Call the setters above
 * before. 0 or -errno. */
int query_start(struct query *q);
void query_set_as_of(struct query *q, int32_t as_of);

/* Answer one encoded Query of client who (auth_client_of(); NULL:
 * unknown, refused) with an encoded QueryResult (*out, malloc'd).
 * Refusals (bad period, unknown domain, "forbidden" for a client that
 * may not read, "forbidden_municipality", ...) are in the result's
 * error. A health query (Query.health) needs no municipality and is
 * answered to an admin or the anonymous client only ("forbidden" for
 * others), here with the store's figures and zero counters (the thread
 * has the counters). Metrics are suppressed with threshold
 * suppress_below (suppress.h), or exact for an admin that asks. Socket-free;
 * used by the query thread and tests. */
int query_run(struct store *st, const struct auth_client *who, const void *buf,
              size_t len, int32_t as_of, int suppress_below, uint8_t **out,
              size_t *out_len);

/* Counts from 1 to below - 1 and what rests on them are served as null
 * with status "suppressed" (suppress.h), unless an admin asks for exact
 * values; 0 or 1: off. */
void query_set_suppress_below(struct query *q, int below);

#endif
