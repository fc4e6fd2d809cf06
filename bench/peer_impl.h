/*
 * peer_impl.h — private to the peers of nyckel-bench (peer.c,
 * peer_redis.c, peer_pg.c): the operations each peer implements behind
 * peer.h, and what they share: running a server process in a directory
 * of its own, a string-keyed hash map for client-side state, and the eb
 * slice names as nyckeld spells them.
 */
#ifndef NYCKEL_BENCH_PEER_IMPL_H
#define NYCKEL_BENCH_PEER_IMPL_H

#include "peer.h"
#include "period.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PEER_START_TIMEOUT_MS 30000 /* a server must answer within */
#define PEER_STOP_TIMEOUT_MS 30000  /* then SIGKILL */
#define PEER_FIELD_MAX 64           /* bytes of a kept id/code incl. NUL */

/* What a peer does behind peer.h; p->impl is its own state. */
struct peer_ops {
    const char *name;
    /* server up and answering in p->dir on p->port; p->impl set */
    int (*start)(struct peer *p);
    int (*reset)(struct peer *p);
    int (*load)(struct peer *p, const struct bench_events *ev,
                struct peer_load_result *r);
    int (*eb_figures)(struct peer *p, const struct bench_slice *s,
                      struct bench_eb_figures *f);
    /* server stopped, p->impl freed; the directory is removed by peer.c */
    void (*stop)(struct peer *p);
};

struct peer {
    const struct peer_ops *ops;
    char *dir;  /* owned; the peer's directory */
    int port;   /* 127.0.0.1 TCP port */
    void *impl; /* the peer's own state, owned by ops */
};

extern const struct peer_ops peer_redis_ops;
extern const struct peer_ops peer_pg_ops;

/* ------------------------------------------------------------ process */

/* Start argv[0] (searched in PATH when it has no '/') as a child with
 * stdin from /dev/null, stdout and stderr appended to log_path and no
 * other open files; as user uid/gid unless uid is (uid_t)-1. 0 and
 * *pid, or -1 with a message. The child exits 127 when exec fails. */
int peer_spawn(const char *const *argv, const char *log_path, uid_t uid,
               gid_t gid, pid_t *pid);
/* peer_spawn() and wait: 0 when it exited 0, else -1 with a message
 * naming log_path. */
int peer_run(const char *const *argv, const char *log_path, uid_t uid,
             gid_t gid);
/* Is child pid still running? false once it has exited (reaped). */
bool peer_child_alive(pid_t pid);
/* Send sig to child pid and reap it; SIGKILL after timeout_ms. 0, or -1
 * when it had to be killed. */
int peer_child_stop(pid_t pid, int sig, int timeout_ms);

/* ---------------------------------------------------------- files */

/* Make dir (and missing parents); dir itself must not exist. 0 or -1
 * with a message. */
int peer_mkdir_new(const char *dir);
/* The last lines of a server's log to stderr (why it did not start). */
void peer_log_tail(const char *path, int lines);
/* rm -rf path; a missing path is fine. 0 or -1. */
int peer_rmtree(const char *path);

/* ------------------------------------------------------------- misc */

/* Allocation that aborts on out of memory (STYLE 8). */
void *peer_xmalloc(size_t n);
void *peer_xcalloc(size_t n, size_t size);
void *peer_xrealloc(void *p, size_t n);
char *peer_xstrdup(const char *s);

/* Monotonic seconds. */
double peer_now(void);
/* Sleep ms milliseconds. */
void peer_sleep_ms(int ms);

/* Is s a category slice ("category=...")? Those keep paid only. */
bool peer_slice_is_category(const char *slice);

/* --------------------------------------------------------- hash map */

/* String keys (copied) to borrowed values; open addressing, grows at
 * half full. */
struct peer_map;

struct peer_map *peer_map_new(void);
/* Frees the map, its keys, and each value with free_value (may be
 * NULL); NULL-safe, nulls *m. */
void peer_map_destroy(struct peer_map **m, void (*free_value)(void *));
/* The value of key, or NULL. */
void *peer_map_get(const struct peer_map *m, const char *key);
/* Insert key (absent) with value; the map copies key. */
void peer_map_put(struct peer_map *m, const char *key, void *value);
/* Entries in the map. */
size_t peer_map_size(const struct peer_map *m);

#endif
