/*
 * cell.h — naming and encoding of aggregate cells (DESIGN §5, §6).
 *
 * A cell is one (municipality, domain, period, slice); its key is the
 * update topic, "0127/eb/2014-T2/unit=ekb", so keys sort by
 * municipality, domain and period and a rollup is a key-prefix scan.
 * A slice is "total" or "dim=value[,dim=value]". The value is an array
 * of int64 counters whose meaning each domain defines; a cell whose
 * counters are all zero is not stored.
 */
#ifndef NYCKEL_CELL_H
#define NYCKEL_CELL_H

#include "cellmap.h"
#include "period.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CELL_KEY_MAX CELLMAP_KEY_MAX
#define CELL_SLICE_MAX 160 /* longest slice text incl. NUL */
#define CELL_COUNTERS_MAX 24
#define CELL_TOTAL "total"
#define CELL_DIMS_MAX 4 /* dims in one slice */

/* Writes parts[0..n) joined by '/' into key[CELL_KEY_MAX]: the hottest
 * string of a batch (every cell update names its cell), so by hand, not
 * snprintf. 0, or -ENAMETOOLONG (key then ""). */
int cell_join(char *key, const char *const *parts, size_t n);

/* Writes "muni/domain/period/slice" into key[CELL_KEY_MAX].
 * 0, or -ENAMETOOLONG. */
int cell_key(char *key, const char *muni, const char *domain,
             const struct period *p, const char *slice);

/* The parts of a cell key; strings point into parts->buf. */
struct cell_key_parts {
    char buf[CELL_KEY_MAX];
    const char *muni, *domain, *period_id, *slice;
    struct period period;
};
/* 0, or -EINVAL when key is not a well-formed cell key. */
int cell_key_split(const char *key, struct cell_key_parts *parts);
/* The same for a key of len bytes, not NUL-terminated (a scanned one). */
int cell_key_split_n(const char *key, size_t len, struct cell_key_parts *parts);

/* Sequence records (CELLMAP_SEQS). The sequence of a topic's last
 * update lives in the record of its slice and its period's year,
 * "muni/domain/year/slice": PERIOD_YEAR_SLOTS uint64 (0: none yet) in
 * period_year_slot() order. A change of one month renumbers up to 29
 * periods of a slice in two years, and an event changes a domain's
 * slices together; with one record a slice and year and the slices of a
 * year side by side, a commit rewrites a few records on a few pages
 * instead of a record and often a page a topic (issue 8). */
#define CELL_SEQ_RECORD_LEN (PERIOD_YEAR_SLOTS * sizeof(uint64_t))
/* The key of k's sequence record into out[CELL_KEY_MAX]; returns the
 * slot of k's period in it, or -ENAMETOOLONG. */
int cell_seq_record(char *out, const struct cell_key_parts *k);
/* The sequence of the last update of k's topic into *seq, 0 when none. */
int cell_seq_get(struct cellmap *m, const struct cell_key_parts *k,
                 uint64_t *seq);
/* Make seq the last update of k's topic; the one before into *prev
 * (NULL: not wanted). */
int cell_seq_set(struct cellmap *m, const struct cell_key_parts *k,
                 uint64_t seq, uint64_t *prev);

/* Counters of the cell at key (all zero when absent); n <= CELL_COUNTERS_MAX.
 */
int cell_read(struct cellmap *m, const char *key, int64_t *counters, size_t n);
/* Add delta[0..n) to the cell at key. */
int cell_add(struct cellmap *m, const char *key, const int64_t *delta,
             size_t n);
/* True when the n counters in val are all zero (or val is shorter). */
bool cell_is_zero(const void *val, size_t len);

/* Age band of someone born in birth_year at the start of year, DESIGN §5:
 * "0-12", "13-17", "18-20", "21-24", "25-64", "65+". */
const char *cell_age_band(int birth_year, int year);

/* The slice "dim=value" into out[CELL_SLICE_MAX] (dim NULL: value
 * alone, e.g. CELL_TOTAL), cut short as snprintf would. By hand: every
 * event names a slice per raw slice it moves, and snprintf was a tenth
 * of a --rebuild. */
void cell_slice_of(char *out, const char *dim, const char *value);

/* Split a slice "a=x,b=y" into up to CELL_DIMS_MAX (key, value) pairs
 * written into buf; returns the count, 0 for "total", -EINVAL if
 * malformed. */
int cell_slice_split(const char *slice, char *buf, size_t cap,
                     const char **keys, const char **values);

#endif
