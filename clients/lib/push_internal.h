/*
 * push_internal.h — private to libnyckel: what the stream reader
 * (push_read.c) needs from the pusher (push.c) beyond the public API.
 */
#ifndef NYCKEL_PUSH_INTERNAL_H
#define NYCKEL_PUSH_INTERNAL_H

#include "nyckel.h"

#include <stdint.h>

/* Count one input record that the reader itself refused (bad CSV,
 * bad header, line too long) as read and rejected locally, and report
 * it. origin is copied. Returns NYCKEL_EREJECTED, or the pusher's
 * sticky error when it has failed. */
int push_reject_local(struct nyckel_push *p, const char *origin, uint64_t line,
                      const char *reason, const char *text);

/* How long the reader may block waiting for input before it should call
 * nyckel_push_poll(p, 0): -1 when the pusher has nothing to do (no
 * partial batch, nothing unacknowledged), else a few milliseconds. */
int push_idle_ms(const struct nyckel_push *p);

#endif
