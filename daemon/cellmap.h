/*
 * cellmap.h — the working set of one batch (or one query): the entity,
 * cell, member and sequence records it reads and changes, keyed by
 * text, loaded on first use through a callback (the store's transaction)
 * and kept in memory until the batch commits.
 *
 * It is what lets the aggregation code stay pure: agg_* read and edit
 * records here without knowing LMDB, unit tests run it with no backing
 * store at all, and every record a batch touches is written once, in
 * key order, at commit (coalescing, DESIGN §5, issue 8).
 */
#ifndef NYCKEL_CELLMAP_H
#define NYCKEL_CELLMAP_H

#include <stdbool.h>
#include <stddef.h>

enum cellmap_db {
    CELLMAP_ENTITIES, /* entity key -> revision, deleted, event bytes */
    CELLMAP_CELLS,    /* "muni/domain/period/slice" -> int64 counters */
    CELLMAP_MEMBERS,  /* "muni/domain/rawslice/subject" -> month records */
    CELLMAP_SEQS,     /* topic -> uint64 sequence of its last update */
    CELLMAP_DB_COUNT
};

#define CELLMAP_KEY_MAX 256 /* longest key, bytes incl. NUL */

/* Loads key of db: 0 with a copy of the value made by the callee through
 * *val (malloc'd, taken over) and *len; 1 when absent; < 0 on error. */
typedef int (*cellmap_load_fn)(void *ctx, enum cellmap_db db, const char *key,
                               void **val, size_t *len);

struct cellmap;

/* A map over load/ctx (load may be NULL: everything starts absent). */
struct cellmap *cellmap_new(cellmap_load_fn load, void *ctx);
void cellmap_destroy(struct cellmap **m);

/* Forget every record (after a commit or an abort). */
void cellmap_reset(struct cellmap *m);

/* Read key: 0 and *val, *len (len 0 when absent; pointer valid until the
 * record is edited or the map reset), or the loader's error. */
int cellmap_get(struct cellmap *m, enum cellmap_db db, const char *key,
                const void **val, size_t *len);

/* Edit key in place: returns its value buffer, grown to at least min_len
 * bytes (new bytes zero), and marks the record dirty; *len receives the
 * buffer's length. NULL with *err set when the load failed or the key is
 * too long. */
void *cellmap_edit(struct cellmap *m, enum cellmap_db db, const char *key,
                   size_t min_len, size_t *len, int *err);

/* Replace key's value with len bytes of val (len 0: delete) and mark the
 * record dirty. 0 or a negative error. */
int cellmap_put(struct cellmap *m, enum cellmap_db db, const char *key,
                const void *val, size_t len);

/* A reader's memo of values derived from cells (agg.c's month cells),
 * taken over by nobody: it is valid only while no cell changes, so an
 * edit or put of CELLMAP_CELLS and a reset detach it, and cellmap_memo()
 * then answers NULL. */
void cellmap_set_memo(struct cellmap *m, void *memo);
void *cellmap_memo(const struct cellmap *m);

/* Call fn for each dirty record of db (every db when db is
 * CELLMAP_DB_COUNT), in (db, key) order. Stops at and returns the first
 * nonzero return of fn. len 0 means delete. fn must not add records to
 * the map (no get or edit of a key not yet in it). */
typedef int (*cellmap_visit_fn)(void *ctx, enum cellmap_db db, const char *key,
                                const void *val, size_t len);
int cellmap_each_dirty(struct cellmap *m, enum cellmap_db db,
                       cellmap_visit_fn fn, void *ctx);
/* The same in no particular order, for a caller that does not need one
 * (it saves the sort). */
int cellmap_each_dirty_unordered(struct cellmap *m, enum cellmap_db db,
                                 cellmap_visit_fn fn, void *ctx);

#endif
