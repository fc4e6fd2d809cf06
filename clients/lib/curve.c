/*
 * curve.c — CURVE for libnyckel's client sockets (curve.h) and the
 * public key loading of nyckel_sub.h (nyckel_curve_load and _from_z85).
 *
 * Key files are read by daemon/keyfile.c, shared as it is with nyckeld,
 * so that client and server agree on the format; the Z85 codec and the
 * key derivation are libzmq's.
 */
#include "curve.h"

#include "keyfile.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

_Static_assert(NYCKEL_CURVE_KEY_LEN == KEYFILE_Z85_LEN,
               "nyckel_sub.h and keyfile.h disagree on the key length");

#define CURVE_MON_EVENTS                                                       \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |    \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
#define CURVE_EVENT_BYTES 6 /* uint16 event, uint32 value (ZeroMQ 4.x) */
#define CURVE_MON_EP_MAX 64 /* "inproc://nyckel-curve-mon-N" */

struct curve_mon {
    void *sock;      /* the monitored socket, borrowed */
    void *pair;      /* PAIR connected to its monitor endpoint, owned */
    int no_detail;   /* dropped handshakes since the last success */
    int failed;      /* sticky NYCKEL_E* code, or 0 */
    uint32_t status; /* AUTH: the ZAP status code; PROTOCOL: the error */
};

/* Monitor endpoints are process-wide names (inproc lives per context,
 * but the pusher, queries and subscribers of one process may share
 * nothing else): a counter keeps them distinct. */
static atomic_uint curve_mon_seq;

void curve_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;

    while (n--)
        *v++ = 0;
}

/* ------------------------------------------------------------ keys */

int nyckel_curve_from_z85(struct nyckel_curve *c, const char *secret_z85,
                          const char *server_z85)
{
    if (!c)
        return -EINVAL;
    memset(c, 0, sizeof *c);
    if (!zmq_has("curve") || !keyfile_z85_valid(secret_z85) ||
        !keyfile_z85_valid(server_z85) ||
        keyfile_public_of(secret_z85, c->public_key))
        goto fail;
    memcpy(c->secret_key, secret_z85, NYCKEL_CURVE_KEY_LEN + 1);
    memcpy(c->server_key, server_z85, NYCKEL_CURVE_KEY_LEN + 1);
    return 0;
fail:
    curve_wipe(c, sizeof *c);
    return NYCKEL_EKEY;
}

int nyckel_curve_load(struct nyckel_curve *c, const char *key_file,
                      const char *server_key_file, char *why, size_t why_len)
{
    char secret[KEYFILE_Z85_LEN + 1], server[KEYFILE_Z85_LEN + 1];
    char scratch[2];
    int rc = NYCKEL_EKEY;

    if (!why || !why_len) {
        why = scratch;
        why_len = sizeof scratch;
    }
    why[0] = '\0';
    if (!c)
        return -EINVAL;
    memset(c, 0, sizeof *c);
    if (!zmq_has("curve")) {
        snprintf(why, why_len, "this libzmq was built without CURVE");
        return NYCKEL_EKEY;
    }
    if (!key_file || !*key_file || !server_key_file || !*server_key_file) {
        snprintf(why, why_len,
                 "both a key file and a server key file are "
                 "needed");
        return NYCKEL_EKEY;
    }
    if (keyfile_read(key_file, true, secret, why, why_len) ||
        keyfile_read(server_key_file, false, server, why, why_len))
        goto out;
    rc = nyckel_curve_from_z85(c, secret, server);
    if (rc)
        snprintf(why, why_len, "%s: not a usable CURVE secret key", key_file);
out:
    curve_wipe(secret, sizeof secret);
    return rc;
}

int curve_copy(struct nyckel_curve *out, const struct nyckel_curve *curve)
{
    struct nyckel_curve in;

    if (!curve)
        return 0;
    /* curve may be out itself, and is the caller's to check: copy first,
     * NUL-terminate, and accept only what from_z85 accepts */
    memcpy(&in, curve, sizeof in);
    in.secret_key[NYCKEL_CURVE_KEY_LEN] = '\0';
    in.server_key[NYCKEL_CURVE_KEY_LEN] = '\0';
    int rc = nyckel_curve_from_z85(out, in.secret_key, in.server_key);
    curve_wipe(&in, sizeof in);
    return rc;
}

/* ------------------------------------------------------------ sockets */

int curve_sock_setup(void *ctx, void *sock, const struct nyckel_curve *curve,
                     struct curve_mon **mon)
{
    struct nyckel_curve k;
    char ep[CURVE_MON_EP_MAX];
    struct curve_mon *m = NULL;
    int zero = 0;
    int rc = 0;

    *mon = NULL;
    if (curve) {
        rc = curve_copy(&k, curve);
        if (rc)
            return rc;
        if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, k.server_key,
                           NYCKEL_CURVE_KEY_LEN) ||
            zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, k.public_key,
                           NYCKEL_CURVE_KEY_LEN) ||
            zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k.secret_key,
                           NYCKEL_CURVE_KEY_LEN))
            rc = zmq_errno() == EINVAL ? NYCKEL_EKEY : -zmq_errno();
        curve_wipe(&k, sizeof k);
        if (rc)
            return rc;
    }

    snprintf(ep, sizeof ep, "inproc://nyckel-curve-mon-%u",
             atomic_fetch_add(&curve_mon_seq, 1));
    m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->sock = sock;
    if (zmq_socket_monitor(sock, ep, CURVE_MON_EVENTS)) {
        rc = -zmq_errno();
        free(m);
        return rc;
    }
    /* connected before the socket connects: events sent to a monitor
     * without a peer are dropped. No receive limit: libzmq sends events
     * blocking, from its I/O thread, so a full queue (a pusher idle for
     * minutes while nyckeld drops handshake after handshake) would stall
     * that thread; a handshake event at most every reconnect interval
     * costs next to nothing to keep. */
    m->pair = zmq_socket(ctx, ZMQ_PAIR);
    if (!m->pair || zmq_setsockopt(m->pair, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_setsockopt(m->pair, ZMQ_RCVHWM, &zero, sizeof zero) ||
        zmq_connect(m->pair, ep)) {
        rc = -zmq_errno();
        curve_mon_close(&m);
        return rc;
    }
    *mon = m;
    return 0;
}

void *curve_mon_socket(const struct curve_mon *m)
{
    return m ? m->pair : NULL;
}

static void curve_mon_event(struct curve_mon *m, uint16_t event, uint32_t value)
{
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        m->no_detail = 0;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        /* 400 is a refusal; 300 (temporary) and 500 (the authenticator's
         * own failure) are not retried by ZeroMQ either */
        m->failed = NYCKEL_EAUTH;
        m->status = value;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        m->failed = value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
                        ? NYCKEL_EMECHANISM
                        : NYCKEL_EHANDSHAKE;
        m->status = value;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        if (++m->no_detail >= CURVE_NO_DETAIL_MAX)
            m->failed = NYCKEL_EHANDSHAKE;
        break;
    default:
        break;
    }
}

int curve_mon_check(struct curve_mon *m)
{
    if (!m)
        return 0;
    while (!m->failed) {
        zmq_msg_t ev;
        uint16_t event = 0;
        uint32_t value = 0;
        int more;

        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, m->pair, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();

            zmq_msg_close(&ev);
            return e == EAGAIN || e == EINTR ? 0 : -e;
        }
        if (zmq_msg_size(&ev) == CURVE_EVENT_BYTES) {
            const uint8_t *d = zmq_msg_data(&ev);

            memcpy(&event, d, sizeof event);
            memcpy(&value, d + 2, sizeof value);
        }
        more = zmq_msg_more(&ev);
        /* the second frame is the peer's endpoint: not needed */
        while (more && zmq_msg_recv(&ev, m->pair, 0) >= 0)
            more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        curve_mon_event(m, event, value);
    }
    return m->failed;
}

void curve_mon_close(struct curve_mon **mp)
{
    struct curve_mon *m;

    if (!mp || !*mp)
        return;
    m = *mp;
    /* drained first, so that no event send can be blocked while
     * zmq_socket_monitor() waits for the monitor's lock */
    while (m->pair) {
        zmq_msg_t ev;

        zmq_msg_init(&ev);
        int n = zmq_msg_recv(&ev, m->pair, ZMQ_DONTWAIT);
        zmq_msg_close(&ev);
        if (n < 0)
            break;
    }
    zmq_socket_monitor(m->sock, NULL, 0);
    if (m->pair)
        zmq_close(m->pair);
    free(m);
    *mp = NULL;
}
