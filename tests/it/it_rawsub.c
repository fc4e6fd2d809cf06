/*
 * it_rawsub.c — a bare ZeroMQ subscriber for tests/it/curve.sh: it
 * connects (with CURVE keys when given), subscribes to a prefix ("" for
 * everything), and prints the topic of every message it receives, one a
 * line, for the seconds given. No library in between, so the test sees
 * every byte nyckeld sends to this peer. The last line is "received N"
 * (messages, heartbeats included); exit 0, or 1 when it cannot connect.
 *
 * Usage: it_rawsub PUB-ENDPOINT SECONDS PREFIX [KEY-FILE SERVER-PUB-FILE]
 */
#include "keyfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: it_rawsub PUB-ENDPOINT SECONDS PREFIX "
                        "[KEY-FILE SERVER-PUB-FILE]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (argc == 6) {
        char secret[KEYFILE_Z85_LEN + 1], public[KEYFILE_Z85_LEN + 1];
        char server[KEYFILE_Z85_LEN + 1], why[600];
        if (keyfile_read(argv[4], true, secret, why, sizeof(why)) ||
            keyfile_read(argv[5], false, server, why, sizeof(why)) ||
            keyfile_public_of(secret, public)) {
            fprintf(stderr, "it_rawsub: %s\n", why);
            return 1;
        }
        zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, KEYFILE_Z85_LEN);
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, public, KEYFILE_Z85_LEN);
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, KEYFILE_Z85_LEN);
    }
    zmq_setsockopt(sock, ZMQ_SUBSCRIBE, argv[3], strlen(argv[3]));
    if (zmq_connect(sock, argv[1])) {
        fprintf(stderr, "it_rawsub: connect: %s\n", zmq_strerror(errno));
        return 1;
    }
    long long end = now_ms() + atoll(argv[2]) * 1000;
    unsigned long received = 0;
    for (long long t; (t = now_ms()) < end;) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, (long)(end - t)) <= 0)
            continue;
        zmq_msg_t topic;
        zmq_msg_init(&topic);
        if (zmq_msg_recv(&topic, sock, 0) < 0)
            break;
        printf("%.*s\n", (int)zmq_msg_size(&topic),
               (const char *)zmq_msg_data(&topic));
        received++;
        while (zmq_msg_more(&topic)) { /* the body */
            zmq_msg_close(&topic);
            zmq_msg_init(&topic);
            if (zmq_msg_recv(&topic, sock, 0) < 0)
                break;
        }
        zmq_msg_close(&topic);
    }
    printf("received %lu\n", received);
    fflush(stdout);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}
