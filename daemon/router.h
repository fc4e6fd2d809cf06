/*
 * router.h — a bound ZeroMQ ROUTER socket that answers requests: the
 * common part of the ingest and query sockets. A request is any number
 * of routing frames (kept, up to ROUTER_ENVELOPE_MAX) and a payload
 * frame; the reply goes back with the same routing frames, so DEALER and
 * REQ clients both work.
 */
#ifndef NYCKEL_ROUTER_H
#define NYCKEL_ROUTER_H

#include "auth.h"

#include <stddef.h>
#include <stdint.h>

#define ROUTER_ENVELOPE_MAX 8
#define ROUTER_TURN_MAX                                                        \
    1 /* requests per router_serve(): a signal or a                            \
       * timer waits for one batch at most */

struct router;

/* Bind a ROUTER of zmq context zctx at endpoint, a CURVE server of auth
 * (may be NULL: none); frames over max_frame_bytes make ZeroMQ drop the
 * peer. 0 or -errno. */
int router_new(void *zctx, const char *endpoint, int64_t max_frame_bytes,
               struct auth *auth, struct router **out);
void router_destroy(struct router **r);
void *router_socket(struct router *r);

/* Answers one payload from client who (auth_client_of() of the
 * message's User-Id; NULL when the auth knows no such client): *reply
 * (malloc'd, freed by the router) or NULL for no reply. A nonzero return
 * stops router_serve with that code. */
typedef int (*router_handler_fn)(void *ctx, const struct auth_client *who,
                                 const void *payload, size_t len,
                                 uint8_t **reply, size_t *reply_len);

/* Called after each reply has been sent (may be NULL). */
typedef void (*router_after_fn)(void *ctx);

/* One request of a group (router_serve_group). */
struct router_request {
    const struct auth_client *who; /* auth_client_of() its User-Id */
    const void *payload;           /* valid during the group's fn */
    size_t len;                    /* bytes */
    uint8_t *reply;                /* set by fn, malloc'd; NULL: none */
    size_t reply_len;              /* bytes */
};

/* Answers the n requests of a group at once (each reply into its
 * request). A nonzero return stops router_serve_group with that code,
 * after the replies were sent. */
typedef int (*router_group_fn)(void *ctx, struct router_request *reqs,
                               size_t n);

/* Handle the requests waiting on the socket as one group: receive the
 * first, then more while they are waiting, up to max_requests and until
 * max_bytes of payload are in hand; fn once; send each reply in order;
 * after once. 0 at once when nothing waits; else 0 or fn's return. */
int router_serve_group(struct router *r, size_t max_requests, size_t max_bytes,
                       router_group_fn fn, router_after_fn after, void *ctx);

/* Handle the requests waiting on the socket, at most ROUTER_TURN_MAX:
 * fn, send its reply, then after. 0, or fn's nonzero return (after its
 * reply was sent). */
int router_serve(struct router *r, router_handler_fn fn, router_after_fn after,
                 void *ctx);

#endif
