/*
 * bench_events.h — the workload of nyckel-bench (issue 8): nyckel-gen's
 * JSON Lines, generated once into the work directory, parsed once into
 * protobuf events (struct bench_events, bench.h) with libnyckel's own
 * JSON reader, and packed into IngestBatch frames before anything is
 * timed.
 */
#ifndef NYCKEL_BENCH_EVENTS_H
#define NYCKEL_BENCH_EVENTS_H

#include "bench.h"

#include <stddef.h>
#include <stdint.h>

#define BENCH_MUNI_MAX 16 /* municipalities: nyckel-gen takes at most 16 */
#define BENCH_EPARSE (-1001) /* a line nyckel-gen wrote did not parse */
#define BENCH_ECHILD (-1002) /* a program the bench ran failed */

/* What nyckel-gen is asked for. */
struct bench_gen {
    const char *gen;         /* path of nyckel-gen (borrowed) */
    const char *work_dir;    /* where events.jsonl is written (borrowed) */
    unsigned municipalities; /* 1..BENCH_MUNI_MAX */
    unsigned households;     /* per municipality, nyckel-gen --households */
    unsigned duplicates_pct; /* nyckel-gen --duplicates */
};

/* The kommunkod of the i-th municipality (i < BENCH_MUNI_MAX): four
 * digits, static storage. */
const char *bench_muni_code(unsigned i);

/* Run nyckel-gen as g says into <work_dir>/events.jsonl. Writes the
 * command line, as a shell would take it, into cmd (cmd_size bytes).
 * 0 and *path (owned by the caller, free()), or -errno / BENCH_ECHILD
 * with a message on stderr. */
int bench_events_generate(const struct bench_gen *g, char *cmd, size_t cmd_size,
                          char **path);

/* Parse every line of the JSON Lines file at path (taken: owned by *out
 * from then on, also on failure) into *out. 0, or -errno / BENCH_EPARSE
 * with a message naming the line on stderr; *out is empty then. */
int bench_events_load(char **path, struct bench_events *out);

/* Free what *ev holds and zero it; NULL-safe. */
void bench_events_free(struct bench_events *ev);

/* IngestBatch frames, packed in advance. */
struct bench_frames {
    uint8_t **frame;    /* n packed IngestBatch frames, owned */
    size_t *len;        /* n frame sizes, bytes, each <= 1 MiB */
    uint32_t *n_events; /* n event counts, each 1..max_events */
    uint64_t first_id;  /* frame i has batch id first_id + i */
    size_t n;           /* frames */
    size_t bytes;       /* sum of len */
};

/* Pack ev[0..n) in order into frames of at most max_events events
 * (1..1000) and 1 MiB each, batch ids first_id, first_id + 1, ... The
 * frames do not point into ev. 0 or -EINVAL (an event alone is over
 * 1 MiB, or max_events out of range). */
int bench_frames_pack(Nyckel__Event *const *ev, size_t n, size_t max_events,
                      uint64_t first_id, struct bench_frames *out);

/* Free the frames and zero *f; NULL-safe. */
void bench_frames_free(struct bench_frames *f);

#endif
