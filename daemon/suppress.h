/*
 * suppress.h — small-number suppression (issue 7): what a client that is
 * not an admin asking for exact values may see of a slice's metrics.
 *
 * A count of persons, households, referrals, decisions or
 * investigations from 1 to threshold - 1 could point at someone, and so
 * could every figure computed from the same few: such a metric is
 * served as null with status "suppressed". Each metric names the counts
 * it rests on (its bases, below); it is suppressed when one of them is
 * small. Zero is not small (nobody to point at), and stored values stay
 * exact: suppression happens when serving.
 *
 *   eb   households: every figure of the slice (paid too: one household's
 *        payments); long_term_households also itself and long_term_share
 *   pl   persons: every figure; started, ended, active_at_end also
 *        themselves (placements of few persons)
 *   inv  each count itself, and each share or average through the
 *        counts it divides
 *   ec   none (money of a unit, not of persons)
 *
 * A base that is null in the slice (eb's category slices keep only
 * paid) is unknown, and unknown is not small.
 */
#ifndef NYCKEL_SUPPRESS_H
#define NYCKEL_SUPPRESS_H

#include "agg.h"
#include "codec.h"

#include <stddef.h>

#define SUPPRESS_DEFAULT_BELOW 5 /* --suppress-below */

enum suppress_status {
    SUPPRESS_OK,         /* served as it is */
    SUPPRESS_NULL,       /* null in itself (no denominator, not kept) */
    SUPPRESS_SUPPRESSED, /* served as null: rests on a small count */
};

/* "ok", "null", "suppressed". */
const char *suppress_status_name(enum suppress_status s);

/*
 * The status of each of the n metrics m of a slice of domain, for
 * threshold below (0 or 1: nothing is small), into status[0..n); with
 * apply, each suppressed metric of m is also made null. Metrics the
 * table does not know rest on nothing.
 */
void suppress_slice(const char *domain, struct metric *m, size_t n, int below,
                    bool apply, enum suppress_status *status);

/* The n metrics m of a slice of domain as wire metrics out[0..n), each
 * with its status for threshold below and suppressed ones made null in m
 * and out (suppress_slice with apply); labels only with with_labels
 * (query answers carry them, updates do not). True when none is
 * suppressed. What query answers and updates both serve. */
bool suppress_to_wire(const char *domain, struct metric *m, size_t n, int below,
                      bool with_labels, struct codec_metric *out);

#endif
