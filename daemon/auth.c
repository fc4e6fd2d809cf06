/*
 * auth.c — CURVE, the ZAP handler and client scopes (see auth.h).
 *
 * The handler thread owns one REP socket on inproc://zeromq.zap.01 and
 * reads only the client table, which never changes after auth_new(), so
 * the threads share it without locks. Refusals are logged once per
 * (address, key) among the last AUTH_SEEN_MAX refused, so a peer that
 * retries every 100 ms does not flood the log.
 */
#include "auth.h"

#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* A draft option in libzmq 4.3 (zmq.h hides it without
 * ZMQ_BUILD_DRAFT_API); auth_server_socket() checks that it takes. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define AUTH_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define AUTH_KEYS_FILE_MAX (1024 * 1024) /* bytes of a keys file */
#define AUTH_SEEN_MAX 256                /* refused peers remembered */
#define AUTH_POLL_MS 100                 /* the handler checks stop */
#define AUTH_MONITOR_LOG_MS 60000        /* one line a minute per socket */

/* A server socket's monitor: its failed handshakes. */
struct auth_monitor {
    char endpoint[64]; /* inproc endpoint of the monitor */
    void *pair;        /* PAIR connected to it, used by the thread only */
    uint64_t unlogged; /* refusals since the last log line */
    int64_t logged_ms; /* when that line was written, 0 never */
};

struct auth {
    struct auth_client *clients; /* sorted by key */
    size_t n_clients;
    char secret[KEYFILE_Z85_LEN + 1];
    void *zap; /* REP, used by the handler thread only */
    struct auth_monitor mons[AUTH_SOCKETS_MAX];
    size_t n_mons;
    pthread_t thread;
    bool running;
    atomic_bool stop;
    atomic_uint_fast64_t refused;
    uint64_t seen[AUTH_SEEN_MAX]; /* hashes of refused (address, key) */
    size_t seen_next;
};

static const struct auth_client auth_anonymous = {.role = AUTH_ANONYMOUS,
                                                  .all_munis = true};

/* ---------------------------------------------------------- keys file */

static int auth_key_cmp(const void *a, const void *b)
{
    return strcmp(((const struct auth_client *)a)->key,
                  ((const struct auth_client *)b)->key);
}

static int auth_muni_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 5);
}

static bool auth_muni_ok(const char *s, size_t len)
{
    if (len != 4)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

void auth_clients_free(struct auth_client *clients, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(clients[i].munis);
    free(clients);
}

/* The municipalities field of one line into c. 0 or -1 with why. */
static int auth_parse_munis(struct auth_client *c, char *field,
                            const char *where, char *why, size_t why_len)
{
    if (strcmp(field, "*") == 0) {
        c->all_munis = true;
        return 0;
    }
    char *save = NULL;
    for (char *m = strtok_r(field, ",", &save); m;
         m = strtok_r(NULL, ",", &save)) {
        if (!auth_muni_ok(m, strlen(m))) {
            snprintf(why, why_len,
                     "%s: '%.20s' is not a municipality (4 digits, or '*' "
                     "for all)",
                     where, m);
            return -1;
        }
        if (c->n_munis == AUTH_MUNIS_MAX) {
            snprintf(why, why_len, "%s: more than %d municipalities", where,
                     AUTH_MUNIS_MAX);
            return -1;
        }
        if (!c->munis)
            c->munis = xcalloc(AUTH_MUNIS_MAX, sizeof(*c->munis));
        memcpy(c->munis[c->n_munis++], m, 5);
    }
    if (c->n_munis == 0) {
        snprintf(why, why_len, "%s: no municipality", where);
        return -1;
    }
    qsort(c->munis, c->n_munis, sizeof(*c->munis), auth_muni_cmp);
    return 0;
}

/* One line "<key> <role> <munis>" into c. 0 or -1 with why. */
static int auth_parse_line(struct auth_client *c, char *line, const char *where,
                           char *why, size_t why_len)
{
    char *save = NULL;
    char *key = strtok_r(line, " \t", &save);
    char *role = strtok_r(NULL, " \t", &save);
    char *munis = strtok_r(NULL, " \t", &save);
    char *extra = strtok_r(NULL, " \t", &save);
    if (!key || !role || !munis || extra) {
        snprintf(why, why_len,
                 "%s: expected '<public key> <role> <municipality>[,...]'",
                 where);
        return -1;
    }
    if (!keyfile_z85_valid(key)) {
        snprintf(why, why_len, "%s: not a public key (%d Z85 characters)",
                 where, KEYFILE_Z85_LEN);
        return -1;
    }
    memcpy(c->key, key, KEYFILE_Z85_LEN + 1);
    if (strcmp(role, "exporter") == 0)
        c->role = AUTH_EXPORTER;
    else if (strcmp(role, "subscriber") == 0)
        c->role = AUTH_SUBSCRIBER;
    else if (strcmp(role, "admin") == 0)
        c->role = AUTH_ADMIN;
    else {
        snprintf(why, why_len,
                 "%s: role '%.20s' is not exporter, subscriber or admin", where,
                 role);
        return -1;
    }
    return auth_parse_munis(c, munis, where, why, why_len);
}

int auth_keys_parse(const char *text, const char *name,
                    struct auth_client **clients, size_t *n, char *why,
                    size_t why_len)
{
    struct auth_client *v = NULL;
    size_t count = 0, cap = 0;
    size_t line_no = 0;
    const char *p = text;
    char line[1024 + 8 * AUTH_MUNIS_MAX], where[300];

    while (*p) {
        size_t len = strcspn(p, "\n");
        line_no++;
        snprintf(where, sizeof(where), "%.256s line %zu", name, line_no);
        if (len >= sizeof(line)) {
            snprintf(why, why_len, "%s: line too long", where);
            goto fail;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (p[len] == '\n');
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
            line[--len] = '\0';
        const char *s = line + strspn(line, " \t");
        if (!*s || *s == '#') /* no key starts with '#' (keyfile.c) */
            continue;
        if (count == AUTH_CLIENTS_MAX) {
            snprintf(why, why_len, "%s: more than %d clients", where,
                     AUTH_CLIENTS_MAX);
            goto fail;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            v = xrealloc(v, cap * sizeof(*v));
        }
        memset(&v[count], 0, sizeof(v[count]));
        count++;
        if (auth_parse_line(&v[count - 1], line, where, why, why_len))
            goto fail;
    }
    if (count)
        qsort(v, count, sizeof(*v), auth_key_cmp);
    for (size_t i = 1; i < count; i++)
        if (strcmp(v[i - 1].key, v[i].key) == 0) {
            snprintf(why, why_len, "%.256s: key %.40s is listed twice", name,
                     v[i].key);
            goto fail;
        }
    *clients = v;
    *n = count;
    return 0;
fail:
    auth_clients_free(v, count);
    return -1;
}

/* The whole file, NUL-terminated (malloc'd), or NULL with why. */
static char *auth_read_file(const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(AUTH_KEYS_FILE_MAX + 1);
    size_t n = fread(buf, 1, AUTH_KEYS_FILE_MAX + 1, f);
    bool err = ferror(f);
    fclose(f);
    if (err || n > AUTH_KEYS_FILE_MAX) {
        snprintf(why, why_len, "%s: %s", path,
                 err ? "read error" : "larger than 1 MiB");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        snprintf(why, why_len, "%s: holds a NUL byte", path);
        free(buf);
        return NULL;
    }
    return buf;
}

int auth_keys_load(const char *path, struct auth_client **clients, size_t *n,
                   char *why, size_t why_len)
{
    char *text = auth_read_file(path, why, why_len);
    int rc = text ? auth_keys_parse(text, path, clients, n, why, why_len) : -1;
    free(text);
    return rc;
}

/* -------------------------------------------------------------- scopes */

static const struct auth_client *auth_find(const struct auth *a,
                                           const char *key)
{
    struct auth_client probe;
    if (strlen(key) != KEYFILE_Z85_LEN)
        return NULL;
    memcpy(probe.key, key, KEYFILE_Z85_LEN + 1);
    return bsearch(&probe, a->clients, a->n_clients, sizeof(*a->clients),
                   auth_key_cmp);
}

const struct auth_client *auth_client_of(const struct auth *a,
                                         const char *user_id)
{
    if (!a)
        return &auth_anonymous;
    return user_id ? auth_find(a, user_id) : NULL;
}

static bool auth_covers(const struct auth_client *c, const char *muni)
{
    if (c->all_munis)
        return true;
    char m[5];
    if (!muni || !auth_muni_ok(muni, strlen(muni)))
        return false;
    memcpy(m, muni, 5);
    return bsearch(m, c->munis, c->n_munis, sizeof(*c->munis), auth_muni_cmp) !=
           NULL;
}

bool auth_may_push(const struct auth_client *c, const char *muni)
{
    return c && c->role != AUTH_SUBSCRIBER && auth_covers(c, muni);
}

bool auth_reads(const struct auth_client *c)
{
    return c && c->role != AUTH_EXPORTER;
}

bool auth_may_read(const struct auth_client *c, const char *muni)
{
    return auth_reads(c) && auth_covers(c, muni);
}

/* One root against the prefix asked for (see auth_subscriptions). */
static int auth_subscribe_root(const char *root, size_t root_len,
                               const char *prefix, size_t len, auth_topic_fn fn,
                               void *ctx)
{
    if (len <= root_len && memcmp(root, prefix, len) == 0)
        return fn(ctx, root, root_len);
    if (len > root_len && memcmp(root, prefix, root_len) == 0)
        return fn(ctx, prefix, len);
    return 0;
}

/* A grant of the admins' stream: "!" before the topic. */
struct auth_bang {
    auth_topic_fn fn;
    void *ctx;
};

static int auth_bang_topic(void *ctx, const char *prefix, size_t len)
{
    struct auth_bang *b = ctx;
    char topic[512];
    if (len + 1 >= sizeof(topic))
        return 0;
    topic[0] = '!';
    memcpy(topic + 1, prefix, len);
    return b->fn(b->ctx, topic, len + 1);
}

int auth_subscriptions(const struct auth_client *c, const char *prefix,
                       size_t len, const char *const *open_roots,
                       auth_topic_fn fn, void *ctx)
{
    if (!auth_reads(c))
        return 0;
    if (len && prefix[0] == '!') { /* exact values: admins only */
        if (c->role != AUTH_ADMIN)
            return 0;
        struct auth_bang b = {fn, ctx};
        static const char *const no_roots[] = {NULL};
        return auth_subscriptions(c, prefix + 1, len - 1, no_roots,
                                  auth_bang_topic, &b);
    }
    if (c->all_munis)
        return fn(ctx, prefix, len);
    int rc = 0;
    for (size_t i = 0; rc == 0 && open_roots && open_roots[i]; i++)
        rc = auth_subscribe_root(open_roots[i], strlen(open_roots[i]), prefix,
                                 len, fn, ctx);
    for (size_t i = 0; rc == 0 && i < c->n_munis; i++) {
        char root[6];
        memcpy(root, c->munis[i], 4);
        root[4] = '/';
        root[5] = '\0';
        rc = auth_subscribe_root(root, 5, prefix, len, fn, ctx);
    }
    return rc;
}

uint64_t auth_refused(const struct auth *a)
{
    return a ? atomic_load(&a->refused) : 0;
}

/* --------------------------------------------------------- ZAP handler */

/* FNV-1a over the refused peer's address and key. */
static uint64_t auth_peer_hash(const char *address, const char *key)
{
    uint64_t h = 1469598103934665603u;
    for (const char *s = address; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    h = (h ^ '|') * 1099511628211u;
    for (const char *s = key; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Log a refusal, once per peer among the last AUTH_SEEN_MAX. */
static void auth_log_refusal(struct auth *a, const char *address,
                             const char *key, const char *why)
{
    atomic_fetch_add(&a->refused, 1);
    uint64_t h = auth_peer_hash(address, key);
    for (size_t i = 0; i < AUTH_SEEN_MAX; i++)
        if (a->seen[i] == h)
            return;
    a->seen[a->seen_next] = h;
    a->seen_next = (a->seen_next + 1) % AUTH_SEEN_MAX;
    log_warn("auth: refused %s from %s%s%s (further refusals of this peer "
             "not logged)",
             why, address[0] ? address : "?", key[0] ? ", key " : "", key);
}

/* Frame i of a request into out (NUL-terminated, cut at cap). */
static void auth_frame_text(zmq_msg_t *f, char *out, size_t cap)
{
    size_t n = zmq_msg_size(f);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, zmq_msg_data(f), n);
    out[n] = '\0';
}

#define AUTH_ZAP_FRAMES 7 /* version .. credentials, for CURVE */

/* Answer one ZAP request (RFC 27). */
static void auth_zap_answer(struct auth *a)
{
    zmq_msg_t f[AUTH_ZAP_FRAMES + 1];
    int n = 0, more = 1;
    while (more && n <= AUTH_ZAP_FRAMES) {
        zmq_msg_init(&f[n]);
        if (zmq_msg_recv(&f[n], a->zap, 0) < 0) {
            zmq_msg_close(&f[n]);
            break;
        }
        more = zmq_msg_more(&f[n]);
        n++;
    }
    while (more) { /* more frames than any request has: drain */
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, a->zap, 0) < 0)
            more = 0;
        else
            more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        n = AUTH_ZAP_FRAMES + 1; /* malformed */
    }
    char version[8] = "", request_id[256] = "", domain[64] = "",
         address[64] = "", mechanism[16] = "", key[KEYFILE_Z85_LEN + 1] = "";
    const char *status = "400", *text = "malformed ZAP request";
    const char *user = "";
    if (n >= 6) {
        auth_frame_text(&f[0], version, sizeof(version));
        auth_frame_text(&f[2], domain, sizeof(domain));
        auth_frame_text(&f[3], address, sizeof(address));
        auth_frame_text(&f[5], mechanism, sizeof(mechanism));
    }
    if (n >= 2) {
        size_t len = zmq_msg_size(&f[1]);
        if (len < sizeof(request_id)) {
            memcpy(request_id, zmq_msg_data(&f[1]), len);
            request_id[len] = '\0';
        }
    }
    const struct auth_client *c = NULL;
    if (n != AUTH_ZAP_FRAMES || strcmp(version, "1.0") != 0) {
        /* text stays "malformed ZAP request" */
    } else if (strcmp(domain, AUTH_DOMAIN) != 0) {
        text = "unknown ZAP domain";
    } else if (strcmp(mechanism, "CURVE") != 0 || zmq_msg_size(&f[6]) != 32) {
        text = "CURVE required";
    } else {
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        if (!(c = auth_find(a, key)))
            text = "unknown key";
    }
    if (c) {
        status = "200";
        text = "OK";
        user = c->key;
    } else {
        auth_log_refusal(a, address, key, text);
    }
    size_t request_len = n >= 2 ? zmq_msg_size(&f[1]) : 0;
    zmq_send(a->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(a->zap, n >= 2 ? zmq_msg_data(&f[1]) : "", request_len,
             ZMQ_SNDMORE);
    zmq_send(a->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(a->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(a->zap, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(a->zap, "", 0, 0);
    for (int i = 0; i < n && i <= AUTH_ZAP_FRAMES; i++)
        zmq_msg_close(&f[i]);
}

static int64_t auth_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One monitor event (v1: event and value, then the socket's endpoint):
 * a handshake failed before it reached the ZAP handler, e.g. a peer
 * without CURVE. Counted; logged at most once a minute per socket. */
static void auth_monitor_event(struct auth *a, struct auth_monitor *m)
{
    zmq_msg_t f;
    char endpoint[128] = "";
    int more = 1, i = 0;
    while (more) {
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, m->pair, 0) < 0) {
            zmq_msg_close(&f);
            return;
        }
        more = zmq_msg_more(&f);
        if (i++ == 1)
            auth_frame_text(&f, endpoint, sizeof(endpoint));
        zmq_msg_close(&f);
    }
    atomic_fetch_add(&a->refused, 1);
    m->unlogged++;
    int64_t now = auth_now_ms();
    if (m->logged_ms && now - m->logged_ms < AUTH_MONITOR_LOG_MS)
        return;
    log_warn("auth: refused %llu handshake%s on %s without CURVE or with a "
             "protocol error (at most one such line a minute)",
             (unsigned long long)m->unlogged, m->unlogged == 1 ? "" : "s",
             endpoint);
    m->unlogged = 0;
    m->logged_ms = now;
}

static void *auth_zap_thread(void *arg)
{
    struct auth *a = arg;
    zmq_pollitem_t items[1 + AUTH_SOCKETS_MAX];
    items[0] = (zmq_pollitem_t){a->zap, 0, ZMQ_POLLIN, 0};
    for (size_t i = 0; i < a->n_mons; i++)
        items[1 + i] = (zmq_pollitem_t){a->mons[i].pair, 0, ZMQ_POLLIN, 0};
    while (!atomic_load(&a->stop)) {
        int rc = zmq_poll(items, 1 + (int)a->n_mons, AUTH_POLL_MS);
        if (rc < 0 && zmq_errno() == ETERM)
            break;
        if (rc <= 0)
            continue;
        if (items[0].revents & ZMQ_POLLIN)
            auth_zap_answer(a);
        for (size_t i = 0; i < a->n_mons; i++)
            if (items[1 + i].revents & ZMQ_POLLIN)
                auth_monitor_event(a, &a->mons[i]);
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

int auth_new(void *zctx, const char *secret_file, const char *keys_file,
             struct auth **out, char *why, size_t why_len)
{
    if (!zmq_has("curve")) {
        snprintf(why, why_len, "libzmq was built without CURVE");
        return -1;
    }
    struct auth *a = xcalloc(1, sizeof(*a));
    atomic_init(&a->stop, false);
    atomic_init(&a->refused, 0);
    if (keyfile_read(secret_file, true, a->secret, why, why_len) ||
        auth_keys_load(keys_file, &a->clients, &a->n_clients, why, why_len))
        goto fail;
    int linger = 0;
    if (!(a->zap = zmq_socket(zctx, ZMQ_REP)) ||
        zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof(linger)) ||
        zmq_bind(a->zap, AUTH_ZAP_ENDPOINT)) {
        snprintf(why, why_len, "ZAP handler: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    log_info("auth: CURVE on, %zu client keys from %s", a->n_clients,
             keys_file);
    *out = a;
    return 0;
fail:
    if (a->zap)
        zmq_close(a->zap);
    auth_clients_free(a->clients, a->n_clients);
    free(a);
    return -1;
}

int auth_start(struct auth *a, void *zctx, char *why, size_t why_len)
{
    if (!a)
        return 0;
    int linger = 0;
    for (size_t i = 0; i < a->n_mons; i++) {
        struct auth_monitor *m = &a->mons[i];
        if (!(m->pair = zmq_socket(zctx, ZMQ_PAIR)) ||
            zmq_setsockopt(m->pair, ZMQ_LINGER, &linger, sizeof(linger)) ||
            zmq_connect(m->pair, m->endpoint)) {
            snprintf(why, why_len, "socket monitor: %s",
                     zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    if (pthread_create(&a->thread, NULL, auth_zap_thread, a)) {
        snprintf(why, why_len, "ZAP handler: cannot start its thread");
        return -1;
    }
    a->running = true;
    return 0;
}

void auth_destroy(struct auth **ap)
{
    struct auth *a = ap ? *ap : NULL;
    if (!a)
        return;
    if (a->running) {
        atomic_store(&a->stop, true);
        pthread_join(a->thread, NULL);
    }
    for (size_t i = 0; i < a->n_mons; i++)
        if (a->mons[i].pair)
            zmq_close(a->mons[i].pair);
    zmq_close(a->zap);
    auth_clients_free(a->clients, a->n_clients);
    free(a);
    *ap = NULL;
}

int auth_server_socket(struct auth *a, void *sock)
{
    if (!a)
        return 0;
    if (a->n_mons == AUTH_SOCKETS_MAX || a->running)
        return -EINVAL;
    struct auth_monitor *m = &a->mons[a->n_mons];
    snprintf(m->endpoint, sizeof(m->endpoint), "inproc://nyckel-auth-%p-%zu",
             (void *)a, a->n_mons);
    if (zmq_socket_monitor(sock, m->endpoint,
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        return -zmq_errno();
    a->n_mons++;
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, AUTH_DOMAIN,
                       strlen(AUTH_DOMAIN)) ||
        zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof(one)) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, a->secret, KEYFILE_Z85_LEN))
        return -zmq_errno();
    return 0;
}
