/*
 * auth.h — who may connect, and what each client may push and read
 * (issue 7). With a server key (--curve-secret) and a keys file (--keys),
 * all three sockets are CURVE servers in ZAP domain "nyckel" with the
 * domain enforced, and a ZAP handler (RFC 27) in a thread of its own
 * decides every handshake from the keys file: an unknown key, no handler
 * or a crashed one all mean refusal. The handler names an accepted
 * client by its public key ("User-Id" of each message it sends), from
 * which auth_client_of() finds its role and municipalities.
 *
 * Without keys every peer is the anonymous client: it may push and read
 * every municipality (the embedded default, on loopback only) and is
 * served like a subscriber.
 *
 * Keys file: one client a line, "<public key Z85> <role>
 * <municipality>[,<municipality>...]" with role exporter (push only),
 * subscriber (read only) or admin (both, and exact small counts), "*"
 * for every municipality; blank lines and lines starting with '#' are
 * skipped.
 */
#ifndef NYCKEL_AUTH_H
#define NYCKEL_AUTH_H

#include "keyfile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_DOMAIN "nyckel"  /* the ZAP domain of every socket */
#define AUTH_CLIENTS_MAX 4096 /* lines of a keys file */
#define AUTH_MUNIS_MAX 400    /* municipalities of one client */

enum auth_role {
    AUTH_ANONYMOUS,  /* no CURVE: push and read all, served as subscriber */
    AUTH_EXPORTER,   /* push its municipalities' events */
    AUTH_SUBSCRIBER, /* read its municipalities' figures */
    AUTH_ADMIN,      /* both, and exact small counts */
};

struct auth_client {
    char key[KEYFILE_Z85_LEN + 1]; /* public key, Z85; "" when anonymous */
    enum auth_role role;
    bool all_munis;   /* "*": every municipality */
    char (*munis)[5]; /* 4-digit codes, sorted; n_munis of them */
    size_t n_munis;
};

struct auth;

/*
 * Load the server's secret key and the keys file, and bind the ZAP
 * handler's socket on zctx (before any socket binds). 0, or -1 with a
 * reason for the user in why ("file line N: what").
 */
int auth_new(void *zctx, const char *secret_file, const char *keys_file,
             struct auth **out, char *why, size_t why_len);
/* Start answering, once every server socket is made (auth_server_socket):
 * handshakes that came in before wait until then. NULL-safe. 0 or -1
 * with why. */
int auth_start(struct auth *a, void *zctx, char *why, size_t why_len);
/* Stop the handler and free; NULL-safe, nulls *a. Call before the
 * context is terminated. */
void auth_destroy(struct auth **a);

/* Make sock a CURVE server of a (before bind) and watch its failed
 * handshakes (a peer without CURVE never reaches the ZAP handler: it is
 * counted and logged from the socket's monitor, at most once a minute
 * per socket). With a NULL, nothing. At most AUTH_SOCKETS_MAX sockets.
 * 0 or -errno. */
#define AUTH_SOCKETS_MAX 4
int auth_server_socket(struct auth *a, void *sock);

/* The client named by user_id (a message's "User-Id", may be NULL): with
 * a NULL the anonymous client; NULL when a knows no such client. The
 * pointer lives as long as a. */
const struct auth_client *auth_client_of(const struct auth *a,
                                         const char *user_id);

/* What the client may do, for municipality muni (4 digits). */
bool auth_may_push(const struct auth_client *c, const char *muni);
bool auth_may_read(const struct auth_client *c, const char *muni);
/* True when the client may read at all (of some municipality). */
bool auth_reads(const struct auth_client *c);

/*
 * The subscriptions client c (may be NULL: none) gets when it asks for
 * topic prefix (len bytes): fn(ctx, p, p_len) for each. A client of every
 * municipality gets prefix itself; another, of the roots "<m>/" of its
 * municipalities and open_roots (NULL-terminated: topics every reading
 * client may have), each root that begins with prefix, and prefix itself
 * where it lies inside a root. A client that may not read gets none. A
 * prefix starting with '!' asks for the admins' exact stream: granted
 * (with its '!') to admins only, within their municipalities.
 * Returns the first nonzero fn return, else 0.
 */
typedef int (*auth_topic_fn)(void *ctx, const char *prefix, size_t len);
int auth_subscriptions(const struct auth_client *c, const char *prefix,
                       size_t len, const char *const *open_roots,
                       auth_topic_fn fn, void *ctx);

/* Handshakes refused so far. */
uint64_t auth_refused(const struct auth *a);

/* Read and parse the keys file at path (for auth_new and
 * --check-config) into *clients (sorted, freed with auth_clients_free).
 * 0, or -1 with why ("path: ..." or "path line N: ..."). */
int auth_keys_load(const char *path, struct auth_client **clients, size_t *n,
                   char *why, size_t why_len);

/* Parse a keys file's text (for auth_keys_load and tests) into *clients
 * (sorted by key, freed with auth_clients_free). 0, or -1 with why. */
int auth_keys_parse(const char *text, const char *name,
                    struct auth_client **clients, size_t *n, char *why,
                    size_t why_len);
void auth_clients_free(struct auth_client *clients, size_t n);

#endif
