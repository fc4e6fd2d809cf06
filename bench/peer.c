/*
 * peer.c — the peers of nyckel-bench (issue 8, see peer.h): dispatch by
 * name, and what both peers need to run a real server beside the bench:
 * a directory of their own that is removed again, a child process with
 * its output in a log file that is stopped and reaped (never left
 * running), and a small hash map for the Redis client's state.
 *
 * Servers are children of the bench process (not daemonized), so that
 * the bench knows their pid, can tell a server that died at start from
 * one that is slow, and waits for it at stop.
 */
#include "peer_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ dispatch */

static const struct peer_ops *const peer_all[] = {&peer_redis_ops,
                                                  &peer_pg_ops};

int peer_start(const char *name, const char *dir, int port, struct peer **out)
{
    const struct peer_ops *ops = NULL;
    *out = NULL;
    for (size_t i = 0; i < sizeof(peer_all) / sizeof(peer_all[0]); i++)
        if (strcmp(name, peer_all[i]->name) == 0)
            ops = peer_all[i];
    if (!ops) {
        fprintf(stderr, "peer: unknown peer \"%s\" (redis or pg)\n", name);
        return -1;
    }
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "peer: %s: port %d out of range\n", name, port);
        return -1;
    }
    if (peer_mkdir_new(dir))
        return -1;
    struct peer *p = peer_xcalloc(1, sizeof(*p));
    p->ops = ops;
    p->dir = peer_xstrdup(dir);
    p->port = port;
    if (ops->start(p)) {
        /* start stopped whatever it had started and showed its log */
        fprintf(stderr, "peer: %s: could not start in %s\n", name, dir);
        peer_rmtree(dir);
        free(p->dir);
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

int peer_reset(struct peer *p)
{
    return p->ops->reset(p);
}

int peer_load(struct peer *p, const struct bench_events *ev,
              struct peer_load_result *r)
{
    memset(r, 0, sizeof(*r));
    return p->ops->load(p, ev, r);
}

int peer_eb_figures(struct peer *p, const struct bench_slice *s,
                    struct bench_eb_figures *f)
{
    memset(f, 0, sizeof(*f));
    return p->ops->eb_figures(p, s, f);
}

void peer_stop(struct peer **pp)
{
    struct peer *p = *pp;
    if (!p)
        return;
    p->ops->stop(p);
    if (peer_rmtree(p->dir))
        fprintf(stderr, "peer: %s: could not remove %s\n", p->ops->name,
                p->dir);
    free(p->dir);
    free(p);
    *pp = NULL;
}

/* ------------------------------------------------------------ process */

/* In the child: never returns. */
static void peer_child_exec(const char *const *argv, const char *log_path,
                            uid_t uid, gid_t gid, pid_t parent)
{
    int in = open("/dev/null", O_RDONLY);
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || log < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 ||
        dup2(log, 2) < 0)
        _exit(127);
    /* the bench's own sockets and files are none of the server's
     * business, and a server holding them would keep them open */
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        close(fd);
    if (uid != (uid_t)-1 && (setgid(gid) || setuid(uid))) {
        fprintf(stderr, "peer: setuid %d: %s\n", (int)uid, strerror(errno));
        _exit(127);
    }
#ifdef __linux__
    /* a bench that dies must not leave servers behind; SIGINT stops
     * both redis and postgres cleanly. Set after setuid, which clears
     * it. */
    prctl(PR_SET_PDEATHSIG, SIGINT);
    if (getppid() != parent)
        _exit(127); /* the bench died before prctl */
#endif
    /* the bench may block or ignore signals; a server must not inherit
     * that, or it would not stop when asked */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "peer: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int peer_spawn(const char *const *argv, const char *log_path, uid_t uid,
               gid_t gid, pid_t *pid)
{
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c < 0) {
        fprintf(stderr, "peer: fork for %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    if (c == 0)
        peer_child_exec(argv, log_path, uid, gid, parent);
    *pid = c;
    return 0;
}

int peer_run(const char *const *argv, const char *log_path, uid_t uid,
             gid_t gid)
{
    pid_t c;
    int st;
    if (peer_spawn(argv, log_path, uid, gid, &c))
        return -1;
    while (waitpid(c, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "peer: wait for %s: %s\n", argv[0],
                    strerror(errno));
            return -1;
        }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    fprintf(stderr, "peer: %s failed (%s %d), see %s\n", argv[0],
            WIFEXITED(st) ? "exit" : "signal",
            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), log_path);
    return -1;
}

bool peer_child_alive(pid_t pid)
{
    int st;
    return waitpid(pid, &st, WNOHANG) == 0;
}

int peer_child_stop(pid_t pid, int sig, int timeout_ms)
{
    int st;
    if (kill(pid, sig) && errno == ESRCH) {
        waitpid(pid, &st, WNOHANG);
        return 0;
    }
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid || (w < 0 && errno == ECHILD))
            return 0;
        peer_sleep_ms(10);
    }
    fprintf(stderr, "peer: pid %d did not stop in %d ms, killing it\n",
            (int)pid, timeout_ms);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

/* ---------------------------------------------------------- files */

void peer_log_tail(const char *path, int lines)
{
    char buf[8192];
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    /* the end of the log says why a server did not come up */
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    long from = size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *start = buf + n;
    for (int seen = 0; start > buf && seen <= lines; start--)
        if (start[-1] == '\n' && ++seen > lines)
            break;
    fprintf(stderr, "peer: the end of %s:\n%s", path, start);
    if (n && buf[n - 1] != '\n')
        fputc('\n', stderr);
}

int peer_mkdir_new(const char *dir)
{
    char buf[PATH_MAX];
    if (!*dir || strlen(dir) >= sizeof(buf)) {
        fprintf(stderr, "peer: bad directory \"%s\"\n", dir);
        return -1;
    }
    strcpy(buf, dir);
    /* parents may exist; the directory itself must be new, so that
     * peer_stop() removes nothing that was there before */
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST) {
            fprintf(stderr, "peer: mkdir %s: %s\n", buf, strerror(errno));
            return -1;
        }
        *s = '/';
    }
    if (mkdir(dir, 0755)) {
        fprintf(stderr, "peer: mkdir %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int peer_rmtree_at(int parent, const char *name)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW))
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(parent, name, 0) && errno != ENOENT ? -1 : 0;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            peer_rmtree_at(dirfd(d), e->d_name))
            rc = -1;
    closedir(d);
    if (unlinkat(parent, name, AT_REMOVEDIR) && errno != ENOENT)
        rc = -1;
    return rc;
}

int peer_rmtree(const char *path)
{
    return peer_rmtree_at(AT_FDCWD, path);
}

/* ------------------------------------------------------------- misc */

void *peer_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

void *peer_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

void *peer_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

char *peer_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(peer_xmalloc(n), s, n);
}

double peer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void peer_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

bool peer_slice_is_category(const char *slice)
{
    return strncmp(slice, "category=", 9) == 0;
}

/* --------------------------------------------------------- hash map */

struct peer_map_slot {
    char *key; /* owned; NULL: empty */
    uint64_t hash;
    void *value;
};

struct peer_map {
    struct peer_map_slot *slot;
    size_t cap; /* power of two */
    size_t n;
};

static uint64_t peer_map_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct peer_map *peer_map_new(void)
{
    struct peer_map *m = peer_xcalloc(1, sizeof(*m));
    m->cap = 1024;
    m->slot = peer_xcalloc(m->cap, sizeof(*m->slot));
    return m;
}

void peer_map_destroy(struct peer_map **mp, void (*free_value)(void *))
{
    struct peer_map *m = *mp;
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key) {
            free(m->slot[i].key);
            if (free_value)
                free_value(m->slot[i].value);
        }
    free(m->slot);
    free(m);
    *mp = NULL;
}

static struct peer_map_slot *peer_map_find(const struct peer_map *m,
                                           const char *key, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);
    while (m->slot[i].key &&
           (m->slot[i].hash != h || strcmp(m->slot[i].key, key) != 0))
        i = (i + 1) & (m->cap - 1);
    return &m->slot[i];
}

void *peer_map_get(const struct peer_map *m, const char *key)
{
    struct peer_map_slot *s = peer_map_find(m, key, peer_map_hash(key));
    return s->key ? s->value : NULL;
}

void peer_map_put(struct peer_map *m, const char *key, void *value)
{
    if (2 * (m->n + 1) > m->cap) {
        struct peer_map old = *m;
        m->cap *= 2;
        m->slot = peer_xcalloc(m->cap, sizeof(*m->slot));
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i].key)
                *peer_map_find(m, old.slot[i].key, old.slot[i].hash) =
                    old.slot[i];
        free(old.slot);
    }
    uint64_t h = peer_map_hash(key);
    struct peer_map_slot *s = peer_map_find(m, key, h);
    if (!s->key) {
        s->key = peer_xstrdup(key);
        s->hash = h;
        m->n++;
    }
    s->value = value;
}

size_t peer_map_size(const struct peer_map *m)
{
    return m->n;
}
