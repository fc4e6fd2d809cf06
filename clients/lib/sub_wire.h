/*
 * sub_wire.h — private to libnyckel's query/subscribe half: the one door
 * between the public plain-C structs of nyckel_sub.h and the generated
 * protobuf-c code, plus the allocation wrappers query.c, sub.c and
 * format.c share. Implemented in query.c.
 */
#ifndef NYCKEL_SUB_WIRE_H
#define NYCKEL_SUB_WIRE_H

#include <stddef.h>

#include "curve.h"
#include "nyckel.pb-c.h"
#include "nyckel_sub.h"

/* Allocation that aborts on OOM (house style: no half-built values). */
void *sub_xmalloc(size_t size);
void *sub_xcalloc(size_t n, size_t size);
void *sub_xrealloc(void *p, size_t size);
/* A copy of s; NULL gives NULL. */
char *sub_xstrdup(const char *s);
/* A copy of s; NULL gives "". */
char *sub_xstrdup0(const char *s);

/*
 * Deep copy of a wire Slice into *dst (every string and array owned by
 * dst, free with sub_wire_slice_fini). Absent strings become "" except
 * label and unit, which stay NULL. dst->seq is src's seq (0 if absent).
 * previous is copied as received and change_pct matched to it by id
 * (n_previous entries each; a change not sent is null).
 */
void sub_wire_slice_from_pb(struct nyckel_slice *dst, const Nyckel__Slice *src);

/* Free what *s owns and zero it; NULL-safe. */
void sub_wire_slice_fini(struct nyckel_slice *s);

/*
 * A fresh DEALER on ctx connected to endpoint, linger 0, incoming frames
 * capped at NYCKEL_QUERY_MAX_REPLY_BYTES, a CURVE client with curve's
 * keys (NULL: none), its handshakes monitored in *mon (curve.h; close
 * *mon before *sock). Returns 0, *sock and *mon, or NYCKEL_EKEY or
 * -errno with both NULL.
 */
int sub_wire_dealer_open(void *ctx, const char *endpoint,
                         const struct nyckel_curve *curve, void **sock,
                         struct curve_mon **mon);

/* Pack q into one Query frame and send it on sock without blocking.
 * Returns 0, NYCKEL_SUB_ETOOMANY, -EINVAL or -errno. */
int sub_wire_query_send(void *sock, const struct nyckel_query *q);

/*
 * Receive one QueryResult frame that is ready on sock (the caller has
 * polled) and convert it. Returns 0 and *out (caller owns; also when
 * refused, then (*out)->error is set), NYCKEL_SUB_EMALFORMED,
 * NYCKEL_SUB_EPROTOCOL, or -errno.
 */
int sub_wire_result_recv(void *sock, struct nyckel_result **out);

/* Monotonic clock in milliseconds. */
long long sub_wire_now_ms(void);

#endif
