/*
 * store.h — the only door to LMDB (DESIGN §7). One environment in the
 * state directory with the databases of cellmap.h plus "meta" (schema
 * version, global sequence). One write transaction per batch, durable
 * at commit. The map grows when full, up to a configured ceiling.
 */
#ifndef NYCKEL_STORE_H
#define NYCKEL_STORE_H

#include "cellmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The layout of the records. 1: first; 2: eb and pl member records of
 * age-labelled slices per label year; 3: eb and ec sums in month cells
 * only (agg_sums_by_month()); 4: sequence records keyed slice before
 * period; 5: one sequence record a slice and year (cell_seq_record());
 * 6: member records keyed subject before slice (agg_member_key()).
 * Entities are unchanged since 1, so --rebuild upgrades any schema from
 * STORE_SCHEMA_ENTITIES on. */
#define STORE_SCHEMA_VERSION 6
#define STORE_SCHEMA_ENTITIES 1
#define STORE_SCHEMA_SEQ_KEYS 4    /* 4: "muni/domain/slice/period" */
#define STORE_SCHEMA_SEQ_RECORDS 5 /* from it on: cell_seq_record() */
#define STORE_SCHEMA_KEY "schema"
#define STORE_EMAPFULL (-1201)   /* map full: grow and redo the transaction */
#define STORE_EFULL (-1202)      /* map at its configured maximum */
#define STORE_ESCHEMA (-1203)    /* state directory of a newer schema */
#define STORE_EOLDSCHEMA (-1204) /* of an older one: --rebuild upgrades */

struct store;
struct store_txn;

/* Open (creating) the environment in dir, whose map may grow to
 * max_bytes. 0 or a negative code (store_strerror). */
int store_open(const char *dir, uint64_t max_bytes, struct store **out);
/* The same for --rebuild, which also opens a store of an older schema
 * (from STORE_SCHEMA_ENTITIES on) and upgrades it: it puts
 * STORE_SCHEMA_KEY = STORE_SCHEMA_VERSION with the rebuilt records. */
int store_open_for_rebuild(const char *dir, uint64_t max_bytes,
                           struct store **out);
/* Close; NULL-safe, nulls *s. No transaction may be open. */
void store_close(struct store **s);

/* Begin a write (write = true; one at a time) or read transaction. */
int store_txn_begin(struct store *s, bool write, struct store_txn **t);
/* Commit durably; *t is gone either way. A failed commit changed
 * nothing. */
int store_txn_commit(struct store_txn **t);
/* Abort; NULL-safe, nulls *t. */
void store_txn_abort(struct store_txn **t);

/* A cellmap_load_fn over an open transaction (ctx is the txn). */
int store_load(void *txn, enum cellmap_db db, const char *key, void **val,
               size_t *len);
/* Put key (len 0: delete; deleting an absent key is fine). */
int store_put(struct store_txn *t, enum cellmap_db db, const char *key,
              const void *val, size_t len);

/* A named uint64 of the meta database; *found false (and *v 0) when
 * it was never put. */
int store_meta_get(struct store_txn *t, const char *name, uint64_t *v,
                   bool *found);
int store_meta_put(struct store_txn *t, const char *name, uint64_t v);

/* A compacted, consistent copy of the environment (one read
 * transaction, so it may run while another process writes) into dir,
 * created if missing, which must hold no environment yet. */
int store_backup(struct store *s, const char *dir);

/* Delete every record of db (in a write transaction). */
int store_clear(struct store_txn *t, enum cellmap_db db);

/* Write every dirty record of cm, in key order; a cell whose counters
 * are all zero is deleted instead. */
int store_flush(struct store_txn *t, struct cellmap *cm);

/* The global sequence (0 in a new store) and its update. */
int store_seq_get(struct store_txn *t, uint64_t *seq);
int store_seq_put(struct store_txn *t, uint64_t seq);

/* Call fn for every record of db whose key starts with prefix, in key
 * order, until fn returns nonzero (returned). Borrowed pointers last
 * until fn returns. */
typedef int (*store_scan_fn)(void *ctx, const char *key, size_t klen,
                             const void *val, size_t len);
int store_scan(struct store_txn *t, enum cellmap_db db, const char *prefix,
               store_scan_fn fn, void *ctx);

/* store_scan of the keys under prefix whose part after their parts-th
 * '/' (a cell's slice, after "muni/domain/period/") starts with sub.
 * Keys sharing everything up to that '/' are a group; in each, a seek
 * to sub, the matching keys, then a seek past the group, instead of a
 * walk of every key (a rollup's slices are a few of a period's). Keys
 * with fewer slashes are skipped. */
int store_scan_sub(struct store_txn *t, enum cellmap_db db, const char *prefix,
                   int parts, const char *sub, store_scan_fn fn, void *ctx);

/* After STORE_EMAPFULL (no transaction open): double the map, up to the
 * maximum. 0, or STORE_EFULL when already there. */
int store_grow(struct store *s);
/* The global sequence as of the last successful commit. */
uint64_t store_committed_seq(const struct store *s);
/* Current map size, bytes. */
uint64_t store_map_bytes(const struct store *s);

/* How much of the map is taken (for self-metrics, stats.h). */
struct store_usage {
    uint64_t map_bytes;  /* the map's current size */
    uint64_t used_bytes; /* pages up to the highest one written: what the
                            map must hold (free pages inside included) */
    uint64_t max_bytes;  /* the ceiling it may grow to (--max-db-size) */
};
/* Fill *u from the environment's info and stats; from the thread that
 * writes (it reads the current meta page). 0 or a negative code. */
int store_usage(struct store *s, struct store_usage *u);

/*
 * The pages of the map a process has read stay mapped into it and count
 * in its resident set although they are the kernel's page cache: after
 * a backfill, every page of the store. When more than budget bytes of
 * file-backed pages are resident (/proc/self/statm), drop the map's
 * pages from this process (madvise MADV_DONTNEED: the map is a shared,
 * read-only file mapping, the data stays in the page cache and comes
 * back on the next read as a minor fault). While the process's own
 * (anonymous) memory is above STORE_OWN_MEMORY, the budget shrinks by
 * the excess, down to STORE_MAP_FLOOR: the whole resident set stays
 * near budget + STORE_OWN_MEMORY, as the peak RSS target wants (issue
 * 8: a 10 M-event backfill had a 45 MiB heap).
 *
 * The first trim, and then one every STORE_PAGEOUT_EVERY at most, pages
 * them out instead (MADV_PAGEOUT): the kernel also takes them out of its
 * page cache, and they come back from the file one page at a time
 * (MDB_NORDAHEAD). LMDB's writes leave the page cache in large folios
 * (up to 1 MiB each here), and a fault maps a large folio whole: the
 * random lookups of a live feed filled a 48 MiB budget within about 30
 * groups, and after every trim the feed faulted its way down the trees
 * again (a third of its lookups' time). Without MADV_PAGEOUT (kernels
 * before 5.4) every trim drops.
 *
 * 2 when paged out, 1 when dropped, 0 when under budget (or none is
 * set), or a negative code.
 */
#define STORE_OWN_MEMORY (UINT64_C(40) << 20)
#define STORE_MAP_FLOOR (UINT64_C(8) << 20)
#define STORE_PAGEOUT_EVERY (INT64_C(5) * 1000000000) /* ns */
int store_trim(struct store *s);
/* The same with another budget than store_set_resident_max()'s (0:
 * none), e.g. a lower one at quiet moments. */
int store_trim_below(struct store *s, uint64_t budget);
/* The budget of store_trim() (0, the default: never trim), which then
 * also runs every few hundred reads and puts, in the middle of a
 * transaction too (what a transaction changes is in its own memory, not
 * the map). */
void store_set_resident_max(struct store *s, uint64_t bytes);
/* Reads and puts between two such looks: as many as the room left under
 * the budget at the last look allows at STORE_MAP_PER_OP each (a read
 * that faults maps 16 pages or a large folio, and a read or put touches
 * a few), between STORE_TRIM_READS_MIN and STORE_TRIM_READS. A group's
 * publishing reads tens of thousands of scattered records, its commit
 * puts thousands. */
#define STORE_TRIM_READS 256
#define STORE_TRIM_READS_MIN 16
#define STORE_MAP_PER_OP (UINT64_C(256) << 10)

/* True when rc means the environment is unusable (restart needed). */
bool store_is_fatal(int rc);

/* Text for a store code, an LMDB code or -errno. */
const char *store_strerror(int rc);

#endif
