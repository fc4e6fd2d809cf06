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

/* The key of topic's sequence record (CELLMAP_SEQS) into
 * out[CELL_KEY_MAX]: "muni/domain/slice/period", so that the periods of
 * a slice, which one change of a month cell renumbers together, lie
 * side by side in the store. 0, or -EINVAL (out then "") when topic
 * has fewer than four parts. */
int cell_seq_key(char *out, const char *topic);

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
