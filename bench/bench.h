/*
 * bench.h — what the parts of nyckel-bench (issue 8) share: the
 * workload, parsed once from nyckel-gen's JSON Lines, and the eb figures
 * the three systems (nyckeld, Redis, PostgreSQL) are cross-checked on.
 *
 * nyckel-bench is a benchmark, not part of nyckeld: it links libnyckel
 * (the client library, for the JSON reader event_from_json) and the
 * daemon's pure period and cell modules (period.c, cell.c) so that every
 * system computes the same periods and age bands.
 */
#ifndef NYCKEL_BENCH_H
#define NYCKEL_BENCH_H

#include "nyckel.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* The workload: every line nyckel-gen wrote, in order, parsed. Owned by
 * bench_events_load()/bench_events_free(). */
struct bench_events {
    Nyckel__Event **ev; /* n parsed events, in the order sent */
    size_t n;           /* events */
    char *jsonl_path;   /* the JSON Lines file they came from */
};

/* One eb slice to cross-check: municipality "0127", a period id as
 * nyckeld names it ("2014-08", "2014-Q3", "2014-T2", "2014-H1", "2014",
 * "2014-08-YTD", "2014-08-R12"; see daemon/period.h) and a slice
 * ("total", "unit=ekb", "age_band=25-64", "category=boende"). */
struct bench_slice {
    char muni[8];
    char period[24];
    char slice[64];
};

/* The eb figures compared (DESIGN §4): paid in öre, distinct households
 * with net paid > 0 in some month of the period, and the sum over the
 * period's months of households with net paid > 0 that month. For a
 * category= slice only paid_ore is defined (the others are -1). */
struct bench_eb_figures {
    int64_t paid_ore;
    int64_t households;
    int64_t household_months;
};

#endif
