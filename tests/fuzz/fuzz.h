/*
 * fuzz.h — what a fuzz target (fuzz_*.c) shares with replay.c: the
 * libFuzzer entry point, and the decoder's return for the last input so
 * that the replay can hold committed ok-* and bad-* inputs to their
 * outcome. A target aborts (with a line on stderr) when an invariant
 * breaks; the sanitizers abort on memory and undefined behaviour.
 */
#ifndef NYCKEL_FUZZ_H
#define NYCKEL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Run the target on data[0..size). Always returns 0 (libFuzzer's
 * contract); a broken invariant aborts. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The target's outcome for the last input: 0 accepted, else its refusal
 * or error code (CODEC_E* for batch and query, NYCKEL_E* for push). */
extern int fuzz_last_rc;

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
