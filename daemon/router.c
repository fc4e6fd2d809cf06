/*
 * router.c — request/reply over a ROUTER socket (see router.h).
 */
#include "router.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <zmq.h>

struct router {
    void *sock;
    struct auth *auth; /* borrowed, outlives the router */
};

int router_new(void *zctx, const char *endpoint, int64_t max_frame_bytes,
               struct auth *auth, struct router **out)
{
    void *sock = zmq_socket(zctx, ZMQ_ROUTER);
    if (!sock)
        return -errno;
    int linger = 0, rc = auth_server_socket(auth, sock);
    if (rc) {
        zmq_close(sock);
        return rc;
    }
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_frame_bytes,
                   sizeof(max_frame_bytes));
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_bind(sock, endpoint)) {
        rc = -errno;
        zmq_close(sock);
        return rc;
    }
    *out = xcalloc(1, sizeof(**out));
    (*out)->sock = sock;
    (*out)->auth = auth;
    return 0;
}

void router_destroy(struct router **rp)
{
    struct router *r = rp ? *rp : NULL;
    if (!r)
        return;
    zmq_close(r->sock);
    free(r);
    *rp = NULL;
}

void *router_socket(struct router *r)
{
    return r->sock;
}

/* One request: routing frames into env, the last frame into payload. */
static int router_recv(void *sock, zmq_msg_t *env, int *n_env,
                       zmq_msg_t *payload)
{
    int more = 1;
    *n_env = 0;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
            int rc = -errno;
            zmq_msg_close(&part);
            return rc;
        }
        more = zmq_msg_more(&part);
        if (!more) {
            zmq_msg_move(payload, &part);
        } else if (*n_env < ROUTER_ENVELOPE_MAX) {
            zmq_msg_init(&env[*n_env]);
            zmq_msg_move(&env[(*n_env)++], &part);
        }
        zmq_msg_close(&part);
    }
    return 0;
}

int router_serve(struct router *r, router_handler_fn fn, router_after_fn after,
                 void *ctx)
{
    /* A bounded turn, so that signals, the loop's timers (heartbeat,
     * midnight) and the other socket get their turn under a steady
     * load. */
    for (int turn = 0; turn < ROUTER_TURN_MAX; turn++) {
        zmq_msg_t env[ROUTER_ENVELOPE_MAX], payload;
        int n_env = 0;
        zmq_msg_init(&payload);
        int rc = router_recv(r->sock, env, &n_env, &payload);
        if (rc == 0) {
            uint8_t *reply = NULL;
            size_t reply_len = 0;
            const struct auth_client *who =
                auth_client_of(r->auth, zmq_msg_gets(&payload, "User-Id"));
            rc = fn(ctx, who, zmq_msg_data(&payload), zmq_msg_size(&payload),
                    &reply, &reply_len);
            if (reply) {
                for (int i = 0; i < n_env; i++)
                    zmq_msg_send(&env[i], r->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
                if (zmq_send(r->sock, reply, reply_len, ZMQ_DONTWAIT) < 0)
                    log_debug("router: reply: %s", zmq_strerror(errno));
                free(reply);
            }
            if (after)
                after(ctx);
        } else {
            if (rc != -EAGAIN)
                log_warn("router: receive: %s", zmq_strerror(-rc));
            zmq_msg_close(&payload);
            for (int i = 0; i < n_env; i++)
                zmq_msg_close(&env[i]);
            return 0;
        }
        zmq_msg_close(&payload);
        for (int i = 0; i < n_env; i++)
            zmq_msg_close(&env[i]);
        if (rc)
            return rc;
    }
    return 0;
}
