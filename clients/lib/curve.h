/*
 * curve.h — private to libnyckel: the one place where a client socket
 * becomes a CURVE client and where its handshakes are watched. Used by
 * the pusher (push.c), queries (query.c) and the subscriber (sub.c).
 *
 * Why a monitor: ZeroMQ hides a refused handshake. A client whose key
 * nyckeld's authenticator refuses, or that has the wrong server key,
 * just never gets an answer, which looks exactly like a nyckeld that is
 * down. ZeroMQ does report the failure as a socket monitor event; each
 * socket gets a monitor (an inproc PAIR) whose events turn a failed
 * handshake into an error code at once. The monitor is set up with or
 * without CURVE: a client without keys that meets a nyckeld requiring
 * them gets NYCKEL_EMECHANISM instead of a timeout.
 *
 * What ZeroMQ 4.3 reports on the client side (measured, and asserted
 * in tests/unit/test_lib_curve.c):
 *   nyckeld's authenticator refuses the key   HANDSHAKE_FAILED_AUTH (400),
 *                                             no reconnect
 *   CURVE on one side only                    HANDSHAKE_FAILED_PROTOCOL
 *                                             (MECHANISM_MISMATCH), no
 *                                             reconnect
 *   wrong server public key                   the server cannot open the
 *                                             HELLO and drops the
 *                                             connection: HANDSHAKE_FAILED_
 *                                             NO_DETAIL (EPIPE), again at
 *                                             every reconnect (100 ms)
 * CURVE on one side only also ends that way when the server sees the
 * mismatch first and drops the connection before the client has read
 * its greeting (seen against nyckeld with a client without keys).
 * NO_DETAIL is also what a nyckeld killed in the middle of a handshake
 * gives, once; so it counts as a failure only after CURVE_NO_DETAIL_MAX
 * in a row without a successful handshake between them.
 */
#ifndef NYCKEL_CURVE_H
#define NYCKEL_CURVE_H

#include "nyckel_sub.h"

#define CURVE_NO_DETAIL_MAX 3 /* dropped handshakes in a row = failure */

struct curve_mon;

/*
 * Check curve (NULL: no CURVE, *out untouched, returns 0) and copy it
 * into *out with the public key derived again from the secret one.
 * Returns 0 or NYCKEL_EKEY (a key is not Z85, or libzmq has no CURVE).
 */
int curve_copy(struct nyckel_curve *out, const struct nyckel_curve *curve);

/*
 * Prepare sock, created on ctx and not yet connected: with curve (NULL:
 * none) set ZMQ_CURVE_SERVERKEY, _PUBLICKEY, _SECRETKEY; then start a
 * monitor of its handshake events in *mon. Call before zmq_connect().
 * Returns 0, NYCKEL_EKEY, or -errno; on failure *mon is NULL.
 */
int curve_sock_setup(void *ctx, void *sock, const struct nyckel_curve *curve,
                     struct curve_mon **mon);

/* The monitor's socket, for zmq_poll (ZMQ_POLLIN); NULL for NULL. */
void *curve_mon_socket(const struct curve_mon *m);

/*
 * Read every event waiting on m without blocking. Returns 0 (no failure
 * so far; also for m NULL), NYCKEL_EAUTH, NYCKEL_EHANDSHAKE,
 * NYCKEL_EMECHANISM (sticky: returned again by later calls), or -errno
 * when the monitor socket failed.
 */
int curve_mon_check(struct curve_mon *m);

/* Stop monitoring and close the monitor; call before closing the
 * monitored socket. NULL-safe; sets *m to NULL. */
void curve_mon_close(struct curve_mon **m);

/* Overwrite n bytes at p with zeros in a way the compiler keeps (for
 * copies of secret keys). */
void curve_wipe(void *p, size_t n);

#endif
