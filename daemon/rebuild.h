/*
 * rebuild.h — `nyckeld --rebuild` and `--verify` (DESIGN §2): every
 * aggregate is a pure function of the latest stored revisions and the
 * store's as-of day, so it can be recomputed from the entities alone,
 * compared with what is stored, or put in its place.
 */
#ifndef NYCKEL_REBUILD_H
#define NYCKEL_REBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

struct rebuild_report {
    uint64_t entities;      /* entity records read */
    uint64_t tombstones;    /* of which deleted */
    uint64_t records;       /* cell and member records recomputed */
    uint64_t differences;   /* --verify: records that differ */
};

/*
 * Recompute every cell and member record from the stored entities as of
 * the store's as-of day. With verify, compare them with the stored ones
 * and print each difference to out; else replace the stored ones in one
 * write transaction. Progress goes to stderr when it is a terminal.
 * 0, or a negative code (a stored entity that no longer decodes is
 * -EPROTO).
 */
int rebuild_run(struct store *st, bool verify, FILE *out,
                struct rebuild_report *r);

#endif
