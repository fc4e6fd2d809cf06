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

#define ROUTER_GROUP_MAX 64 /* requests in one group, at most */

struct router_msg {
    zmq_msg_t env[ROUTER_ENVELOPE_MAX]; /* the peer's routing frames */
    int n_env;
    zmq_msg_t payload;
};

int router_serve_group(struct router *r, size_t max_requests, size_t max_bytes,
                       router_group_fn fn, router_after_fn after, void *ctx)
{
    struct router_msg msg[ROUTER_GROUP_MAX];
    struct router_request req[ROUTER_GROUP_MAX];
    size_t n = 0, bytes = 0;
    if (max_requests > ROUTER_GROUP_MAX)
        max_requests = ROUTER_GROUP_MAX;
    while (n < max_requests && (n == 0 || bytes < max_bytes)) {
        struct router_msg *m = &msg[n];
        zmq_msg_init(&m->payload);
        int rc = router_recv(r->sock, m->env, &m->n_env, &m->payload);
        if (rc) {
            if (rc != -EAGAIN)
                log_warn("router: receive: %s", zmq_strerror(-rc));
            zmq_msg_close(&m->payload);
            for (int i = 0; i < m->n_env; i++)
                zmq_msg_close(&m->env[i]);
            break;
        }
        req[n] = (struct router_request){
            .who =
                auth_client_of(r->auth, zmq_msg_gets(&m->payload, "User-Id")),
            .payload = zmq_msg_data(&m->payload),
            .len = zmq_msg_size(&m->payload),
        };
        bytes += req[n].len;
        n++;
    }
    if (n == 0)
        return 0;
    int rc = fn(ctx, req, n);
    for (size_t k = 0; k < n; k++) {
        if (req[k].reply) {
            for (int i = 0; i < msg[k].n_env; i++)
                zmq_msg_send(&msg[k].env[i], r->sock,
                             ZMQ_SNDMORE | ZMQ_DONTWAIT);
            if (zmq_send(r->sock, req[k].reply, req[k].reply_len,
                         ZMQ_DONTWAIT) < 0)
                log_debug("router: reply: %s", zmq_strerror(errno));
            free(req[k].reply);
        }
        zmq_msg_close(&msg[k].payload);
        for (int i = 0; i < msg[k].n_env; i++)
            zmq_msg_close(&msg[k].env[i]);
    }
    if (after)
        after(ctx);
    return rc;
}

struct router_single {
    router_handler_fn fn;
    router_after_fn after;
    void *ctx;
};

static int router_single(void *ctx, struct router_request *req, size_t n)
{
    (void)n; /* groups of one */
    struct router_single *s = ctx;
    return s->fn(s->ctx, req->who, req->payload, req->len, &req->reply,
                 &req->reply_len);
}

static void router_single_after(void *ctx)
{
    struct router_single *s = ctx;
    if (s->after)
        s->after(s->ctx);
}

int router_serve(struct router *r, router_handler_fn fn, router_after_fn after,
                 void *ctx)
{
    /* A bounded turn, so that signals, the loop's timers (heartbeat,
     * midnight) and the other socket get their turn under a steady
     * load. */
    struct router_single s = {fn, after, ctx};
    for (int turn = 0; turn < ROUTER_TURN_MAX; turn++) {
        int rc =
            router_serve_group(r, 1, 0, router_single, router_single_after, &s);
        if (rc)
            return rc;
    }
    return 0;
}
