/*
 * metrics_http.c — GET /metrics over libmicrohttpd (see metrics_http.h).
 *
 * The listening socket is made here, not by libmicrohttpd, so that a
 * bind failure is reported with its errno ("Address already in use")
 * and nyckeld can say so and exit 1 before it reports ready. The server
 * thread is started with every signal blocked: SIGTERM, SIGINT and
 * SIGUSR1 must reach the main thread, whose zmq_poll they interrupt.
 */
#include "metrics_http.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define METRICS_HTTP_BACKLOG 16
#define METRICS_HTTP_CONNECTIONS 32 /* at once; more wait or are refused */
#define METRICS_HTTP_TIMEOUT_S 10   /* an idle connection is closed */

struct metrics_http {
    struct MHD_Daemon *daemon;
    struct stats *stats; /* borrowed */
};

/* "HOST:PORT" into host (an IPv6 address without its brackets) and
 * port; -1 when it is not that or does not fit. */
static int metrics_http_split(const char *listen, char *host, size_t host_len,
                              char *port, size_t port_len)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || colon[1] == '\0')
        return -1;
    const char *h = listen;
    size_t n = (size_t)(colon - listen);
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return -1;
        h++;
        n -= 2;
    } else if (memchr(h, ':', n)) {
        return -1; /* an IPv6 address needs its brackets */
    }
    if (n >= host_len || strlen(colon + 1) >= port_len)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    memcpy(port, colon + 1, strlen(colon + 1) + 1);
    return 0;
}

/* A listening socket on the first address of host:port that binds;
 * -errno (of the last attempt) or EAI_* (negative, as getaddrinfo's)
 * in *err. */
static int metrics_http_listen(const char *host, const char *port, int *err,
                               bool *gai)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    *gai = rc != 0;
    if (rc) {
        *err = rc;
        return -1;
    }
    int fd = -1;
    *err = EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        int one = 1;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            *err = errno;
            continue;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) ||
            listen(fd, METRICS_HTTP_BACKLOG) ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
            *err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* libmicrohttpd's own complaints (a failed accept, ...), one log line
 * each. */
__attribute__((format(printf, 2, 0))) static void
metrics_http_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[256];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_warn("metrics: %s", buf);
}

/* Queue a response of len bytes of body (owned: freed by libmicrohttpd
 * when must_free, else static). */
static enum MHD_Result metrics_http_reply(struct MHD_Connection *c,
                                          unsigned status, const char *type,
                                          void *body, size_t len,
                                          bool must_free)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (must_free)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result metrics_http_static(struct MHD_Connection *c,
                                           unsigned status, const char *text)
{
    return metrics_http_reply(c, status, "text/plain; charset=utf-8",
                              (void *)text, strlen(text), false);
}

/* The request handler (MHD_AccessHandlerCallback), in the server's
 * thread: answers at the first call, before any request body. */
static enum MHD_Result metrics_http_answer(void *cls, struct MHD_Connection *c,
                                           const char *url, const char *method,
                                           const char *version,
                                           const char *upload_data,
                                           size_t *upload_data_size,
                                           void **con_cls)
{
    struct metrics_http *h = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return metrics_http_static(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                   "method not allowed: GET " METRICS_HTTP_PATH
                                   "\n");
    if (strcmp(url, METRICS_HTTP_PATH) != 0)
        return metrics_http_static(
            c, MHD_HTTP_NOT_FOUND,
            "not found: the metrics are at " METRICS_HTTP_PATH "\n");

    struct stats_values v;
    stats_snapshot(h->stats, &v);
    char *body = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&body, &len);
    if (!out)
        return metrics_http_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                   "out of memory\n");
    int rc = stats_render(out, &v);
    if (fclose(out) || rc) {
        free(body);
        return metrics_http_static(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                   "could not render the metrics\n");
    }
    return metrics_http_reply(c, MHD_HTTP_OK, METRICS_HTTP_CONTENT_TYPE, body,
                              len, true);
}

int metrics_http_start(const char *listen, struct stats *stats,
                       struct metrics_http **out, char *why, size_t why_len)
{
    char host[256], port[16];
    int err;
    bool gai;

    *out = NULL;
    if (metrics_http_split(listen, host, sizeof(host), port, sizeof(port))) {
        snprintf(why, why_len, "'%s' is not HOST:PORT", listen);
        return -1;
    }
    int fd = metrics_http_listen(host, port, &err, &gai);
    if (fd < 0) {
        snprintf(why, why_len, "bind %s: %s", listen,
                 gai ? gai_strerror(err) : strerror(err));
        return -1;
    }
    struct metrics_http *h = xcalloc(1, sizeof(*h));
    h->stats = stats;

    /* The server's thread inherits this mask: no signal goes there. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    h->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        metrics_http_answer, h, MHD_OPTION_EXTERNAL_LOGGER, metrics_http_log,
        NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
        MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!h->daemon) {
        snprintf(why, why_len, "serve %s: libmicrohttpd would not start",
                 listen);
        /* fd not closed: libmicrohttpd may have done it; nyckeld exits */
        free(h);
        return -1;
    }
    log_info("metrics: serving http://%s%s", listen, METRICS_HTTP_PATH);
    *out = h;
    return 0;
}

void metrics_http_stop(struct metrics_http **hp)
{
    struct metrics_http *h = hp ? *hp : NULL;
    if (!h)
        return;
    MHD_stop_daemon(h->daemon); /* joins its thread, closes the socket */
    free(h);
    *hp = NULL;
}
