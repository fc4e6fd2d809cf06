/*
 * nyckel-bench — the benchmark of issue 8: starts real nyckeld
 * processes on loopback with a fresh state directory each, loads them
 * with nyckel-gen's mixed workload and measures
 *
 *   backfill   events/s from IngestBatch frames packed before the
 *              clock starts, W batches in flight, first send to last
 *              (durable) ack, every ack checked; and through nyckel-push
 *              from the JSON Lines file;
 *   live       ingest-to-update latency at 1 000 and 10 000 events/s
 *              with 9 reading subscribers and 1 stalled one;
 *   query      one-slice and full municipality-year snapshots while the
 *              1 000 events/s phase runs;
 *   rebuild    nyckeld --rebuild, entities/s;
 *   memory     nyckeld's peak RSS (VmHWM) after the backfill;
 *   disk       LMDB bytes per accepted event;
 *   peers      Redis and PostgreSQL (peer.h) loaded with the same events,
 *              and a cross-check of eb figures on sample slices;
 *   floor      nyckel-floor (bench/floor): nyckeld's ingestion without
 *              aggregation, only the entity records DESIGN §2 requires,
 *              on the same batches and live rates: how fast and small
 *              any design keeping the contract can be on this machine.
 *
 * Every figure is the median, min and max over --runs runs. Progress
 * goes to stderr, figures to stdout, and with --report a Markdown report
 * with the machine, the commands, the figures and the issue's targets.
 * A benchmark never asserts on time (STYLE): the exit status is 1 only
 * when something did not work (a rejected event, a missing ack, a
 * program that failed, a cross-check mismatch).
 *
 * How a live update tells its latency: every live event is a new
 * payment of 1 öre to one municipality and one month outside the
 * history, so the "paid" metric of <muni>/eb/<month>/total, in kronor,
 * times 100 is the number k of live events the update includes; each
 * batch whose last event is among the first k gets the latency receive
 * time − its send time, the first time a subscriber sees such a k.
 *
 * Built only by `make bench`; the peers (peer.c, peer_redis.c,
 * peer_pg.c) are compiled in with BENCH_HAVE_PEERS when present.
 */
#define _XOPEN_SOURCE 700 /* nftw() */

#include "bench.h"
#include "bench_events.h"
#include "nyckel.h"
#include "nyckel.pb-c.h"
#include "period.h"
#ifdef BENCH_HAVE_PEERS
#include "peer.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define PROG "nyckel-bench"
#define RUNS_MAX 50
#define WORK_MAX 1024        /* the work directory's path, bytes incl. NUL */
#define AS_OF "2015-06-30"   /* after nyckel-gen's default history */
#define LIVE_MONTH "2015-02" /* in no history: the live events' month */
#define LIVE_PAID_ON "2015-02-05"
#define LIVE_READERS 9       /* subscribers that read; plus 1 stalled */
#define LIVE_RATES 2         /* 1 000 and 10 000 events/s */
#define LIVE_HOUSEHOLDS 997  /* live payments cycle over these */
#define ACK_WAIT_MS 120000   /* no ack for this long: the bench fails */
#define UPDATE_WAIT_MS 30000 /* after the last ack, for the last update */
#define START_TRIES 5        /* nyckeld exited at start: try again */
#define START_WAIT_MS 20000  /* for nyckeld to answer a health query */
#define STOP_WAIT_MS 120000  /* for nyckeld to exit after SIGTERM */
#define QUERY_TIMEOUT_MS 10000
#define QUERY_PAUSE_US 2000   /* between two queries of the query thread */
#define QUERY_ONE_PER_FULL 10 /* one-slice queries per full snapshot */
#define SAMPLE_SLICES 56      /* cross-checked slices: 7 periods x 4 x 2 */
#define DEFAULT_RUNS 3
#define DEFAULT_MUNIS 10
#define DEFAULT_HOUSEHOLDS 1000 /* x 10 municipalities: about 325 k events */
#define DEFAULT_DUPLICATES 1
#define DEFAULT_WINDOW 16
#define DEFAULT_LIVE_S 10
#define DEFAULT_PORT 21700        /* below the ephemeral range (32768-) */
#define EVENTS_PER_HOUSEHOLD 32.5 /* nyckel-gen, all kinds, for --help */
#define FLOOR_TOPIC "floor"       /* nyckel-floor's topic: events since start */

/* What --only picks. */
enum part {
    PART_BACKFILL = 1u << 0,
    PART_PUSH = 1u << 1,
    PART_LIVE = 1u << 2,
    PART_QUERY = 1u << 3,
    PART_REBUILD = 1u << 4,
    PART_PEERS = 1u << 5,
    PART_FLOOR = 1u << 6,
    PART_ALL = (1u << 7) - 1,
};

static const char *const part_names[] = {"backfill", "push",  "live", "query",
                                         "rebuild",  "peers", "floor"};

struct opts {
    const char *bin;          /* --bin DIR */
    const char *work_parent;  /* --work DIR: the run's dir is made inside */
    bool keep;                /* --keep */
    unsigned runs;            /* --runs */
    unsigned munis;           /* --municipalities */
    unsigned households;      /* --households */
    unsigned duplicates;      /* --duplicates, percent */
    unsigned window;          /* --window, batches in flight */
    unsigned live_s;          /* --live-seconds, per rate */
    const char *peers;        /* --peers LIST */
    unsigned parts;           /* --only, enum part bits */
    const char *report;       /* --report FILE or NULL */
    int port;                 /* --port, first of 5 */
    const char *map_resident; /* --map-resident SIZE for nyckeld, or NULL */
};

/* A series of per-run figures. */
struct series {
    double v[RUNS_MAX];
    unsigned n;
};

struct peer_res {
    char name[16];         /* "redis", "pg" */
    struct series eps;     /* events given per second */
    struct series seconds; /* wall time of a load */
    size_t events, payments, ops;
    char detail[256];    /* peer_load_result.detail of the last run */
    unsigned compared;   /* slices cross-checked */
    unsigned mismatches; /* of them different */
    bool ran;
};

/* The live part's figures, per rate. */
struct live_res {
    struct series p50[LIVE_RATES], p99[LIVE_RATES], max[LIVE_RATES];
    uint64_t events[LIVE_RATES], batches[LIVE_RATES];
    uint64_t updates[LIVE_RATES]; /* updates of the topic, 9 readers */
    uint64_t msgs;                /* all PUB messages the 9 read */
    uint64_t missed[LIVE_RATES];  /* readers that never saw the end */
    double lag_ms[LIVE_RATES];    /* sender behind its schedule, max */
    bool ran;
    /* queries during the first rate */
    struct series q1_p50, q1_p99, qf_p50, qf_p99;
    uint64_t q1_n, qf_n, qf_slices;
    bool query_ran;
};

struct results {
    struct series bf_eps, bf_s;    /* pre-encoded backfill */
    uint64_t bf_batches, bf_bytes; /* frames and their bytes */
    uint64_t accepted, duplicate, stale;
    struct series push_eps, push_s;  /* nyckel-push */
    uint64_t push_resent;            /* events nyckel-push sent again */
    struct series rss_mib;           /* VmHWM after the backfill */
    struct series anon_mib;          /* RssAnon then: the heap */
    struct series file_mib;          /* RssFile then: map pages, libraries */
    struct series disk_bpe;          /* st_blocks * 512 / accepted */
    struct series used_bpe;          /* LMDB pages in use / accepted */
    uint64_t disk_bytes, used_bytes; /* of the last run */
    struct series rebuild_eps, rebuild_s;
    uint64_t entities, tombstones;
    unsigned rebuild_failed;    /* runs whose --rebuild failed */
    struct live_res live;       /* nyckeld */
    struct live_res floor_live; /* nyckel-floor */
    /* nyckel-floor: the same backfill without aggregation */
    struct series floor_eps, floor_bpe, floor_used_bpe, floor_read_eps;
    struct series floor_decode_us, floor_store_us, floor_commit_us;
    struct series floor_ack_us; /* per event, inside nyckel-floor */
    uint64_t floor_accepted, floor_entities;
    /* peers and cross-check */
    struct peer_res peer[4];
    unsigned n_peers;
    unsigned n_samples; /* slices with nyckeld's figures */
};

/* One nyckeld (or nyckel-floor) process. */
struct daemon {
    const char *name; /* NULL: nyckeld */
    pid_t pid;
    char ingest[64], pub[64], query[64]; /* endpoints */
    char log[PATH_MAX];                  /* its stdout and stderr */
};

struct bench {
    struct opts o;
    char work[WORK_MAX]; /* the work directory */
    char nyckeld[PATH_MAX], gen[PATH_MAX], push[PATH_MAX], query[PATH_MAX];
    char floor[PATH_MAX]; /* nyckel-floor (there only if the floor runs) */
    char gen_cmd[8192];   /* as run, for the report */
    void *zctx;
    struct bench_events ev;
    struct bench_frames frames;
    struct results r;
    struct bench_slice samples[SAMPLE_SLICES];
    struct bench_eb_figures nyckeld_fig[SAMPLE_SLICES];
    bool failed_keep; /* a failure: keep the work dir for its logs */
    char live_muni[8];
    int port; /* first of the 5 ports in use: --port, or moved on */
};

static volatile sig_atomic_t g_child = 0; /* nyckeld running, for signals */

/* ------------------------------------------------------------ utilities */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p) {
        fprintf(stderr, PROG ": out of memory\n");
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q) {
        fprintf(stderr, PROG ": out of memory\n");
        abort();
    }
    return q;
}

static void progress(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void progress(const char *fmt, ...)
{
    va_list ap;

    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void series_add(struct series *s, double x)
{
    if (s->n < RUNS_MAX)
        s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void series_stats(const struct series *s, double *med, double *min,
                         double *max)
{
    double v[RUNS_MAX];

    memcpy(v, s->v, s->n * sizeof *v);
    qsort(v, s->n, sizeof *v, cmp_double);
    *min = v[0];
    *max = v[s->n - 1];
    *med = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

/* "median (min–max)" with prec decimals, or "—" without runs. */
static const char *series_fmt(const struct series *s, int prec, char *buf,
                              size_t n)
{
    double med, min, max;

    if (!s->n) {
        snprintf(buf, n, "—");
        return buf;
    }
    series_stats(s, &med, &min, &max);
    if (s->n == 1)
        snprintf(buf, n, "%.*f", prec, med);
    else
        snprintf(buf, n, "%.*f (%.*f–%.*f)", prec, med, prec, min, prec, max);
    return buf;
}

static double series_median(const struct series *s)
{
    double med, min, max;

    if (!s->n)
        return NAN;
    series_stats(s, &med, &min, &max);
    return med;
}

/* Nearest-rank percentile of v[0..n) (sorted here); NAN when empty. */
static double percentile(double *v, size_t n, double p)
{
    size_t i;

    if (!n)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    i = (size_t)ceil(p * (double)n);
    return v[i ? i - 1 : 0];
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ children */

/* Start argv with stdout and stderr appended to log. pid or -errno. */
static pid_t spawn(const char *const *argv, const char *log)
{
    pid_t pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        int e = errno;

        close(fd);
        return -e;
    }
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, PROG ": %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    return pid;
}

/* Wait for pid; timeout_ms < 0: for ever. 0 and *status, -ETIMEDOUT. */
static int child_wait(pid_t pid, int timeout_ms, int *status)
{
    int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;

    for (;;) {
        pid_t w = waitpid(pid, status, timeout_ms < 0 ? 0 : WNOHANG);

        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return -errno;
        if (timeout_ms >= 0 && now_ns() > end)
            return -ETIMEDOUT;
        if (timeout_ms >= 0)
            usleep(2000);
    }
}

/* Run argv to its end, output to log, wall time in *seconds. 0 when it
 * exited 0, BENCH_ECHILD (with a message) otherwise, or -errno. */
static int run_tool(const char *const *argv, const char *log, double *seconds)
{
    int64_t t0 = now_ns();
    pid_t pid = spawn(argv, log);
    int status = 0, rc;

    if (pid < 0)
        return (int)pid;
    rc = child_wait(pid, -1, &status);
    if (seconds)
        *seconds = (double)(now_ns() - t0) / 1e9;
    if (rc)
        return rc;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, PROG ": %s failed (exit status %d), see %s\n", argv[0],
                WIFEXITED(status) ? WEXITSTATUS(status) : -1, log);
        return BENCH_ECHILD;
    }
    return 0;
}

static void on_signal(int sig)
{
    if (g_child > 0)
        kill((pid_t)g_child, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ------------------------------------------------------------ nyckeld */

static int health(struct bench *b, const struct daemon *d, int timeout_ms,
                  struct nyckel_result **res)
{
    struct nyckel_query q = {.health = 1};

    (void)b;
    return nyckel_query_run(d->query, &q, timeout_ms, res);
}

/* Start nyckeld on state_dir; tag names its log. Returns once it answers
 * a health query. */
static int daemon_start(struct bench *b, const char *state_dir, const char *tag,
                        struct daemon *d)
{
    struct nyckel_result *res = NULL;
    int64_t end = now_ns() + (int64_t)START_WAIT_MS * 1000000;
    int rc, status, tries = 0;
    const char *argv[] = {b->nyckeld, "--state-dir",
                          state_dir,  "--ingest",
                          d->ingest,  "--pub",
                          d->pub,     "--query",
                          d->query,   "--as-of",
                          AS_OF,      "--suppress-below",
                          "0",        "--publish-interval",
                          "0",        "--log-level",
                          "warn",     NULL,
                          NULL,       NULL};
    if (b->o.map_resident) {
        size_t n = sizeof(argv) / sizeof(argv[0]);
        argv[n - 3] = "--map-resident";
        argv[n - 2] = b->o.map_resident;
    }

    snprintf(d->log, sizeof d->log, "%s/nyckeld-%s.log", b->work, tag);
again:
    snprintf(d->ingest, sizeof d->ingest, "tcp://127.0.0.1:%d", b->port);
    snprintf(d->pub, sizeof d->pub, "tcp://127.0.0.1:%d", b->port + 1);
    snprintf(d->query, sizeof d->query, "tcp://127.0.0.1:%d", b->port + 2);
    d->pid = spawn(argv, d->log);
    if (d->pid < 0) {
        rc = (int)d->pid;
        d->pid = 0;
        return rc;
    }
    g_child = d->pid;
    for (;;) {
        rc = health(b, d, 300, &res);
        if (!rc && !res->error) {
            nyckel_result_destroy(&res);
            return 0;
        }
        nyckel_result_destroy(&res);
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            d->pid = 0;
            g_child = 0;
            /* a port may be some client's ephemeral port for a while
             * (the default ones are in Linux's ephemeral range): move
             * on by 5, within 100 ports of --port */
            if (++tries < START_TRIES) {
                b->port = b->o.port + (b->port - b->o.port + 5) % 100;
                progress("nyckeld exited at start (see %s), again on ports "
                         "%d-%d",
                         d->log, b->port, b->port + 4);
                goto again;
            }
            fprintf(stderr, PROG ": nyckeld exited at start, see %s\n", d->log);
            return BENCH_ECHILD;
        }
        if (now_ns() > end) {
            fprintf(stderr, PROG ": nyckeld does not answer, see %s\n", d->log);
            return -ETIMEDOUT;
        }
        usleep(20000);
    }
}

/* SIGTERM, wait for a clean exit 0. NULL-safe on a stopped daemon. */
static int daemon_stop(struct daemon *d)
{
    int status = 0, rc;

    if (d->pid <= 0)
        return 0;
    kill(d->pid, SIGTERM);
    rc = child_wait(d->pid, STOP_WAIT_MS, &status);
    if (rc == -ETIMEDOUT) {
        kill(d->pid, SIGKILL);
        child_wait(d->pid, -1, &status);
        fprintf(stderr, PROG ": %s did not stop, killed; see %s\n",
                d->name ? d->name : "nyckeld", d->log);
        rc = BENCH_ECHILD;
    } else if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status))) {
        fprintf(stderr, PROG ": %s exited with status %d, see %s\n",
                d->name ? d->name : "nyckeld", status, d->log);
        rc = BENCH_ECHILD;
    }
    d->pid = 0;
    g_child = 0;
    return rc;
}

/* The line "<name>: N kB" of pid's /proc status, N in KiB, or -1. */
static long proc_status_kib(pid_t pid, const char *name)
{
    char path[64], line[256];
    long kib = -1;
    size_t len = strlen(name);
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':' &&
            sscanf(line + len + 1, "%ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* VmHWM of pid in KiB, or -1. */
static long vm_hwm_kib(pid_t pid)
{
    return proc_status_kib(pid, "VmHWM");
}

/* Check nyckeld's counters after events were sent: none rejected, and
 * accepted + duplicate + stale == events; with resent (nyckel-push
 * resends a batch whose ack is late), at least events, the excess in
 * *resent, and accepted == accepted_want unless that is 0. */
static int daemon_check_counts(struct bench *b, const struct daemon *d,
                               uint64_t events, uint64_t accepted_want,
                               uint64_t *resent)
{
    struct nyckel_result *res = NULL;
    const struct nyckel_health *h;
    uint64_t acked;
    int rc = health(b, d, QUERY_TIMEOUT_MS, &res);

    if (rc || res->error || !res->health) {
        fprintf(stderr, PROG ": health query failed: %s\n",
                rc           ? nyckel_strerror(rc)
                : res->error ? res->error
                             : "none");
        nyckel_result_destroy(&res);
        return rc ? rc : BENCH_ECHILD;
    }
    h = res->health;
    acked = h->events_accepted + h->events_duplicate + h->events_stale;
    if (h->events_rejected || (resent ? acked < events : acked != events) ||
        (accepted_want && h->events_accepted != accepted_want)) {
        fprintf(stderr,
                PROG ": FAILED: nyckeld counts %" PRIu64 " accepted, %" PRIu64
                     " duplicate, %" PRIu64 " stale, %" PRIu64
                     " rejected of %" PRIu64 " events sent\n",
                h->events_accepted, h->events_duplicate, h->events_stale,
                h->events_rejected, events);
        rc = BENCH_ECHILD;
    } else if (resent) {
        *resent = acked - events;
    }
    nyckel_result_destroy(&res);
    return rc;
}

/* ------------------------------------------------------------ acks */

/* The acks expected for up to two sets of frames with adjoining ids. */
struct acks {
    const struct bench_frames *f[2];
    uint8_t *seen[2];
    size_t nf;
    uint64_t batches, events; /* acked so far */
    uint64_t accepted, duplicate, stale;
};

static void acks_init(struct acks *a, const struct bench_frames *f0,
                      const struct bench_frames *f1)
{
    memset(a, 0, sizeof *a);
    a->f[a->nf++] = f0;
    if (f1)
        a->f[a->nf++] = f1;
    for (size_t i = 0; i < a->nf; i++)
        a->seen[i] = xcalloc(a->f[i]->n ? a->f[i]->n : 1, 1);
}

static void acks_fini(struct acks *a)
{
    for (size_t i = 0; i < a->nf; i++)
        free(a->seen[i]);
    memset(a, 0, sizeof *a);
}

/* Check and count one IngestAck. 0, or BENCH_ECHILD with a loud message
 * (a rejected batch or event, an unknown batch, a wrong count). */
static int acks_take(struct acks *a, const void *data, size_t len)
{
    Nyckel__IngestAck *m = nyckel__ingest_ack__unpack(NULL, len, data);
    const struct bench_frames *f = NULL;
    size_t fi = 0, i = 0;
    int rc = BENCH_ECHILD;

    if (!m || !m->has_batch_id) {
        fprintf(stderr, PROG ": FAILED: an ack that does not decode\n");
        goto out;
    }
    for (fi = 0; fi < a->nf; fi++) {
        f = a->f[fi];
        if (m->batch_id >= f->first_id && m->batch_id - f->first_id < f->n)
            break;
    }
    if (fi == a->nf) {
        fprintf(stderr, PROG ": FAILED: ack of unknown batch %" PRIu64 "\n",
                m->batch_id);
        goto out;
    }
    i = (size_t)(m->batch_id - f->first_id);
    if (a->seen[fi][i]) {
        rc = 0; /* a second ack of a batch: not counted twice */
        goto out;
    }
    if (!m->has_status || m->status != NYCKEL__STATUS__ACCEPTED) {
        fprintf(
            stderr, PROG ": FAILED: batch %" PRIu64 " refused whole: %s: %s\n",
            m->batch_id, m->reason ? m->reason : "?", m->text ? m->text : "");
        goto out;
    }
    if (m->n_acks != f->n_events[i]) {
        fprintf(stderr,
                PROG ": FAILED: batch %" PRIu64 ": %zu acks for %u events\n",
                m->batch_id, m->n_acks, f->n_events[i]);
        goto out;
    }
    for (size_t k = 0; k < m->n_acks; k++) {
        const Nyckel__EventAck *e = m->acks[k];

        switch (e->has_status ? e->status
                              : NYCKEL__STATUS__STATUS_UNSPECIFIED) {
        case NYCKEL__STATUS__ACCEPTED:
            a->accepted++;
            break;
        case NYCKEL__STATUS__DUPLICATE:
            a->duplicate++;
            break;
        case NYCKEL__STATUS__STALE:
            a->stale++;
            break;
        default:
            fprintf(stderr,
                    PROG ": FAILED: batch %" PRIu64 " event %zu rejected: "
                         "%s: %s\n",
                    m->batch_id, k, e->reason ? e->reason : "?",
                    e->text ? e->text : "");
            goto out;
        }
    }
    a->seen[fi][i] = 1;
    a->batches++;
    a->events += m->n_acks;
    rc = 0;
out:
    if (m)
        nyckel__ingest_ack__free_unpacked(m, NULL);
    return rc;
}

/* Receive every ack that is ready (wait_ms: for the first). */
static int acks_recv(struct acks *a, void *sock, int wait_ms)
{
    zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
    int n = zmq_poll(&it, 1, wait_ms);

    if (n < 0)
        return -zmq_errno();
    for (;;) {
        zmq_msg_t msg;
        int rc;

        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
            int e = zmq_errno();

            zmq_msg_close(&msg);
            return e == EAGAIN ? 0 : -e;
        }
        rc = acks_take(a, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
        if (rc)
            return rc;
    }
}

static void *dealer_open(struct bench *b, const char *ep)
{
    void *s = zmq_socket(b->zctx, ZMQ_DEALER);
    int zero = 0, big = 1000000;

    if (!s)
        return NULL;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &big, sizeof big);
    zmq_setsockopt(s, ZMQ_RCVHWM, &big, sizeof big);
    if (zmq_connect(s, ep)) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* Send frame i of f without copying it (f outlives the socket). */
static int frame_send(void *sock, const struct bench_frames *f, size_t i)
{
    zmq_msg_t msg;

    zmq_msg_init_data(&msg, f->frame[i], f->len[i], NULL, NULL);
    if (zmq_msg_send(&msg, sock, 0) < 0) {
        int e = zmq_errno();

        zmq_msg_close(&msg);
        return -e;
    }
    return 0;
}

/* ------------------------------------------------------------ backfill */

/* Send every frame with window batches in flight; first send to last
 * ack in *seconds; every ack checked. */
static int backfill_frames(struct bench *b, const struct daemon *d,
                           struct acks *a, double *seconds)
{
    const struct bench_frames *f = &b->frames;
    void *sock = dealer_open(b, d->ingest);
    size_t next = 0;
    int64_t t0, last = 0;
    int rc = 0;

    if (!sock)
        return -zmq_errno();
    acks_init(a, f, NULL);
    t0 = now_ns();
    while (a->batches < f->n) {
        while (next < f->n && next - a->batches < b->o.window) {
            rc = frame_send(sock, f, next++);
            if (rc)
                goto out;
        }
        uint64_t before = a->batches;

        rc = acks_recv(a, sock, ACK_WAIT_MS);
        if (rc)
            goto out;
        if (a->batches == before) {
            fprintf(stderr,
                    PROG ": FAILED: no ack for %d s (%" PRIu64
                         " of %zu batches acked)\n",
                    ACK_WAIT_MS / 1000, a->batches, f->n);
            rc = -ETIMEDOUT;
            goto out;
        }
        last = now_ns();
    }
    *seconds = (double)(last - t0) / 1e9;
out:
    zmq_close(sock);
    return rc;
}

/* Size of the LMDB data file and the bytes of pages in use
 * (mdb_stat -ef: pages used - free pages, times the page size). */
static int store_size(const char *state_dir, uint64_t *alloc, uint64_t *used)
{
    char path[PATH_MAX + 32], line[256];
    unsigned long long psize = 0, pages = 0, free_pages = 0;
    struct stat st;
    FILE *p;

    snprintf(path, sizeof path, "%s/data.mdb", state_dir);
    if (stat(path, &st))
        return -errno;
    *alloc = (uint64_t)st.st_blocks * 512;
    *used = 0;
    snprintf(path, sizeof path, "mdb_stat -ef '%s' 2>/dev/null", state_dir);
    p = popen(path, "r");
    if (!p)
        return 0;
    while (fgets(line, sizeof line, p)) {
        sscanf(line, " Page size: %llu", &psize);
        sscanf(line, " Number of pages used: %llu", &pages);
        sscanf(line, " Free pages: %llu", &free_pages);
    }
    pclose(p);
    if (psize && pages >= free_pages)
        *used = (pages - free_pages) * psize;
    return 0;
}

/* nyckeld --rebuild on state_dir: wall time and entity count. */
static int rebuild(struct bench *b, const char *state_dir, unsigned run,
                   double *seconds, uint64_t *entities, uint64_t *tombstones)
{
    char log[PATH_MAX], line[512];
    unsigned long long e = 0, t = 0;
    const char *argv[] = {b->nyckeld,    "--rebuild", "--state-dir",
                          state_dir,     "--as-of",   AS_OF,
                          "--log-level", "warn",      NULL};
    FILE *f;
    int rc;

    snprintf(log, sizeof log, "%s/rebuild-%u.log", b->work, run);
    rc = run_tool(argv, log, seconds);
    if (rc)
        return rc;
    f = fopen(log, "r");
    if (!f)
        return -errno;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "nyckeld rebuild: ");

        if (p && sscanf(p, "nyckeld rebuild: %llu entities (%llu", &e, &t) >= 1)
            break;
    }
    fclose(f);
    if (!e) {
        fprintf(stderr, PROG ": no entity count in %s\n", log);
        return BENCH_ECHILD;
    }
    *entities = e;
    *tombstones = t;
    return 0;
}

/* ------------------------------------------------------------ live */

struct live_batch {
    int64_t send_ns; /* monotonic, just before the send */
    uint64_t last_k; /* live events up to and including this batch */
    int rate;        /* index into the rates */
};

struct live {
    void *zctx;
    const char *pub; /* endpoint */
    bool floor;      /* nyckel-floor: its commits' event counts, as text */
    char prefix[32]; /* "<muni>/eb/<month>/": the readers' subscription */
    char topic[64];  /* the slice whose paid counts the live events */
    struct live_batch *b;
    size_t nb;
    atomic_size_t n_sent; /* batches whose send_ns is set */
    atomic_int stop;
};

struct reader {
    struct live *lv;
    pthread_t th;
    bool started;
    atomic_int ready;     /* a heartbeat came: subscribed */
    atomic_ullong last_k; /* highest k seen */
    double *lat[LIVE_RATES];
    size_t n_lat[LIVE_RATES];
    size_t next_b; /* first batch not yet seen in an update */
    uint64_t msgs, updates[LIVE_RATES];
    int rc;
};

/* The live events an update of the topic includes, in *k: nyckeld's
 * paid in öre, or nyckel-floor's count of events since its start.
 * -1 for a message that does not decode. */
static int update_k(const struct live *lv, const void *data, size_t len,
                    uint64_t *k)
{
    *k = 0;
    if (lv->floor) {
        char buf[32], *end;

        if (len == 0 || len >= sizeof buf)
            return -1;
        memcpy(buf, data, len);
        buf[len] = '\0';
        *k = strtoull(buf, &end, 10);
        return *end ? -1 : 0;
    }
    Nyckel__Update *u = nyckel__update__unpack(NULL, len, data);

    if (!u)
        return -1;
    if (u->slice)
        for (size_t i = 0; i < u->slice->n_metrics; i++) {
            const Nyckel__Metric *m = u->slice->metrics[i];

            if (m->id && !strcmp(m->id, "paid") && m->has_value)
                *k = (uint64_t)llround(m->value * 100);
        }
    nyckel__update__free_unpacked(u, NULL);
    return 0;
}

static void reader_update(struct reader *r, const void *data, size_t len,
                          int64_t t)
{
    struct live *lv = r->lv;
    uint64_t k;
    size_t sent;

    if (update_k(lv, data, len, &k))
        return;
    sent = atomic_load_explicit(&lv->n_sent, memory_order_acquire);
    /* counted for the rate of the batch this update is waited for */
    r->updates[lv->b[r->next_b < sent ? r->next_b
                     : sent           ? sent - 1
                                      : 0]
                   .rate]++;
    while (r->next_b < sent && lv->b[r->next_b].last_k <= k) {
        const struct live_batch *lb = &lv->b[r->next_b++];

        r->lat[lb->rate][r->n_lat[lb->rate]++] =
            (double)(t - lb->send_ns) / 1e6;
    }
    if (k > atomic_load(&r->last_k))
        atomic_store(&r->last_k, k);
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct live *lv = r->lv;
    void *s = zmq_socket(lv->zctx, ZMQ_SUB);
    int zero = 0, big = 1000000;
    size_t topic_len = strlen(lv->topic);

    if (!s) {
        r->rc = -zmq_errno();
        return NULL;
    }
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVHWM, &big, sizeof big);
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, lv->prefix, strlen(lv->prefix));
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "heartbeat", 9);
    if (zmq_connect(s, lv->pub)) {
        r->rc = -zmq_errno();
        goto out;
    }
    while (!atomic_load(&lv->stop)) {
        zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};

        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        for (;;) {
            zmq_msg_t topic, body;
            int64_t t;

            zmq_msg_init(&topic);
            if (zmq_msg_recv(&topic, s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&topic);
                break;
            }
            t = now_ns();
            zmq_msg_init(&body);
            if (zmq_msg_more(&topic))
                zmq_msg_recv(&body, s, 0);
            while (zmq_msg_more(&body)) { /* more frames: not ours */
                zmq_msg_close(&body);
                zmq_msg_init(&body);
                zmq_msg_recv(&body, s, 0);
            }
            if (zmq_msg_size(&topic) == 9 &&
                !memcmp(zmq_msg_data(&topic), "heartbeat", 9)) {
                atomic_store(&r->ready, 1);
            } else {
                r->msgs++;
                if (zmq_msg_size(&topic) == topic_len &&
                    !memcmp(zmq_msg_data(&topic), lv->topic, topic_len))
                    reader_update(r, zmq_msg_data(&body), zmq_msg_size(&body),
                                  t);
            }
            zmq_msg_close(&body);
            zmq_msg_close(&topic);
        }
    }
out:
    zmq_close(s);
    return NULL;
}

/* The query thread: one-slice and full municipality-year snapshots in a
 * loop until stop, over one DEALER. */
struct qthread {
    void *zctx;
    const char *ep;
    const char *muni;
    pthread_t th;
    atomic_int stop;
    double *one, *full; /* latencies, ms */
    size_t n_one, n_full, cap_one, cap_full;
    uint64_t full_slices; /* slices in the last full snapshot */
    int rc;
};

/* The rollups of a full municipality-year snapshot: the totals, then
 * every rollup nyckeld keeps (daemon/agg_*.c), and the setting x regi
 * of the reports. */
static const char *const full_rollups[] = {
    NULL,      "unit",        "age_band",     "category",
    "setting", "regi",        "setting,regi", "target",
    "gender",  "legal_basis", "intervention", "reporter",
};
#define N_FULL_ROLLUPS (sizeof full_rollups / sizeof full_rollups[0])

/* One query and its answer on sock; slices in *n. */
static int query_once(void *sock, const char *muni, const char *domain,
                      const char *period, const char *rollup, size_t *n)
{
    Nyckel__Query q = NYCKEL__QUERY__INIT;
    Nyckel__QueryResult *res = NULL;
    char *domains[1] = {(char *)domain};
    uint8_t buf[512];
    size_t len;
    zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
    zmq_msg_t msg;
    int rc = 0;

    q.has_protocol = 1;
    q.protocol = NYCKEL_PROTOCOL;
    q.municipality = (char *)muni;
    q.n_domains = domain ? 1 : 0;
    q.domains = domain ? domains : NULL;
    q.period = (char *)period;
    q.rollup = (char *)rollup;
    len = nyckel__query__get_packed_size(&q);
    if (len > sizeof buf)
        return -EMSGSIZE;
    nyckel__query__pack(&q, buf);
    if (zmq_send(sock, buf, len, 0) < 0)
        return -zmq_errno();
    if (zmq_poll(&it, 1, QUERY_TIMEOUT_MS) <= 0) {
        fprintf(stderr, PROG ": FAILED: no answer to a query in %d s\n",
                QUERY_TIMEOUT_MS / 1000);
        return -ETIMEDOUT;
    }
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) < 0) {
        rc = -zmq_errno();
        goto out;
    }
    res = nyckel__query_result__unpack(NULL, zmq_msg_size(&msg),
                                       zmq_msg_data(&msg));
    if (!res || res->error) {
        fprintf(stderr, PROG ": FAILED: query %s %s %s refused: %s: %s\n", muni,
                period, rollup ? rollup : "total",
                res && res->error ? res->error : "malformed",
                res && res->text ? res->text : "");
        rc = BENCH_ECHILD;
        goto out;
    }
    *n = res->n_slices;
out:
    if (res)
        nyckel__query_result__free_unpacked(res, NULL);
    zmq_msg_close(&msg);
    return rc;
}

static void push_lat(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = x;
}

static void *qthread_main(void *arg)
{
    struct qthread *q = arg;
    void *s = zmq_socket(q->zctx, ZMQ_DEALER);
    int zero = 0;

    if (!s) {
        q->rc = -zmq_errno();
        return NULL;
    }
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(s, q->ep)) {
        q->rc = -zmq_errno();
        goto out;
    }
    while (!atomic_load(&q->stop)) {
        size_t n, total = 0;
        int64_t t0;

        for (int i = 0; i < QUERY_ONE_PER_FULL && !atomic_load(&q->stop); i++) {
            t0 = now_ns();
            q->rc = query_once(s, q->muni, "eb", LIVE_MONTH, NULL, &n);
            if (q->rc)
                goto out;
            push_lat(&q->one, &q->n_one, &q->cap_one,
                     (double)(now_ns() - t0) / 1e6);
            usleep(QUERY_PAUSE_US);
        }
        t0 = now_ns();
        for (size_t i = 0; i < N_FULL_ROLLUPS; i++) {
            q->rc = query_once(s, q->muni, NULL, "2014", full_rollups[i], &n);
            if (q->rc)
                goto out;
            total += n;
        }
        push_lat(&q->full, &q->n_full, &q->cap_full,
                 (double)(now_ns() - t0) / 1e6);
        q->full_slices = total;
        usleep(QUERY_PAUSE_US);
    }
out:
    zmq_close(s);
    return NULL;
}

/* The live payments: n of 1 öre each, unique ids, households cycling. */
struct live_events {
    Nyckel__Event *ev;
    Nyckel__Payment *pay;
    Nyckel__Event **ptr;
    char (*id)[24];
    char (*hh)[24];
    size_t n;
};

static void live_events_make(struct live_events *le, size_t n, const char *muni)
{
    le->n = n;
    le->ev = xcalloc(n, sizeof *le->ev);
    le->pay = xcalloc(n, sizeof *le->pay);
    le->ptr = xcalloc(n, sizeof *le->ptr);
    le->id = xcalloc(n, sizeof *le->id);
    le->hh = xcalloc(n, sizeof *le->hh);
    for (size_t i = 0; i < n; i++) {
        Nyckel__Event *e = &le->ev[i];
        Nyckel__Payment *p = &le->pay[i];

        nyckel__event__init(e);
        nyckel__payment__init(p);
        snprintf(le->id[i], sizeof le->id[i], "live-%07zu", i + 1);
        snprintf(le->hh[i], sizeof le->hh[i], "hh-live-%04zu",
                 i % LIVE_HOUSEHOLDS);
        e->source = (char *)"bench-live";
        e->id = le->id[i];
        e->has_revision = 1;
        e->revision = 1;
        e->municipality = (char *)muni;
        e->unit = (char *)"ekb";
        e->body_case = NYCKEL__EVENT__BODY_PAYMENT;
        e->payment = p;
        p->household = le->hh[i];
        p->month = (char *)LIVE_MONTH;
        p->paid_on = (char *)LIVE_PAID_ON;
        p->has_amount_ore = 1;
        p->amount_ore = 1;
        p->category = (char *)"livsuppehalle";
        p->has_head_birth_year = 1;
        p->head_birth_year = 1980;
        le->ptr[i] = e;
    }
}

static void live_events_free(struct live_events *le)
{
    free(le->ev);
    free(le->pay);
    free(le->ptr);
    free(le->id);
    free(le->hh);
    memset(le, 0, sizeof *le);
}

static void sleep_until(int64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000),
                          .tv_nsec = (long)(t % 1000000000)};

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Lowest last_k over the readers. */
static uint64_t readers_min_k(struct reader *rd)
{
    uint64_t k = UINT64_MAX;

    for (int i = 0; i < LIVE_READERS; i++) {
        uint64_t v = atomic_load(&rd[i].last_k);

        if (v < k)
            k = v;
    }
    return k;
}

/* The live phase on a running nyckeld loaded with the backfill. */
static int live_run(struct bench *b, const struct daemon *d, bool queries,
                    bool floor)
{
    static const int rates[LIVE_RATES] = {1000, 10000};
    struct results *res = &b->r;
    struct live_res *out = floor ? &res->floor_live : &res->live;
    struct live lv = {0};
    struct live_events le = {0};
    struct bench_frames fr[LIVE_RATES] = {{0}};
    struct reader *rd = xcalloc(LIVE_READERS, sizeof *rd);
    struct qthread qt = {0};
    struct acks a = {0};
    void *stalled = NULL, *dealer = NULL;
    size_t n_rate[LIVE_RATES], total = 0, bi = 0;
    uint64_t id0 = (uint64_t)time(NULL) << 20;
    bool qt_started = false;
    int rc = 0, zero = 0;

    for (int r = 0; r < LIVE_RATES; r++) {
        n_rate[r] = (size_t)rates[r] * b->o.live_s;
        total += n_rate[r];
    }
    live_events_make(&le, total, b->live_muni);
    for (size_t r = 0, off = 0; r < LIVE_RATES; r++) {
        rc = bench_frames_pack(le.ptr + off, n_rate[r], (size_t)rates[r] / 1000,
                               r ? fr[0].first_id + fr[0].n : id0, &fr[r]);
        if (rc)
            goto out;
        off += n_rate[r];
    }
    lv.zctx = b->zctx;
    lv.pub = d->pub;
    lv.floor = floor;
    if (floor) {
        snprintf(lv.prefix, sizeof lv.prefix, "%s", FLOOR_TOPIC);
        snprintf(lv.topic, sizeof lv.topic, "%s", FLOOR_TOPIC);
    } else {
        snprintf(lv.prefix, sizeof lv.prefix, "%s/eb/%s/", b->live_muni,
                 LIVE_MONTH);
        snprintf(lv.topic, sizeof lv.topic, "%s/eb/%s/total", b->live_muni,
                 LIVE_MONTH);
    }
    lv.nb = fr[0].n + fr[1].n;
    lv.b = xcalloc(lv.nb, sizeof *lv.b);
    for (int r = 0; r < LIVE_RATES; r++)
        for (size_t i = 0; i < fr[r].n; i++, bi++) {
            lv.b[bi].rate = r;
            lv.b[bi].last_k =
                (bi ? lv.b[bi - 1].last_k : 0) + fr[r].n_events[i];
        }

    /* subscribers: 9 readers, then the stalled one */
    for (int i = 0; i < LIVE_READERS; i++) {
        rd[i].lv = &lv;
        for (int r = 0; r < LIVE_RATES; r++)
            rd[i].lat[r] = xcalloc(lv.nb, sizeof(double));
        if (pthread_create(&rd[i].th, NULL, reader_main, &rd[i])) {
            rc = -EAGAIN;
            goto out;
        }
        rd[i].started = true;
    }
    stalled = zmq_socket(b->zctx, ZMQ_SUB);
    zmq_setsockopt(stalled, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(stalled, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect(stalled, d->pub);
    {
        zmq_pollitem_t it = {.socket = stalled, .events = ZMQ_POLLIN};
        int64_t end = now_ns() + 5000000000LL;
        bool ready = false;

        /* the stalled subscriber reads one message (it is subscribed),
         * the readers wait for a heartbeat; then the stalled one never
         * reads again */
        if (zmq_poll(&it, 1, 5000) != 1) {
            fprintf(stderr, PROG ": FAILED: the stalled subscriber got "
                                 "nothing in 5 s\n");
            rc = -ETIMEDOUT;
            goto out;
        }
        while (!ready && now_ns() < end) {
            ready = true;
            for (int i = 0; i < LIVE_READERS; i++)
                ready = ready && atomic_load(&rd[i].ready);
            if (!ready)
                usleep(10000);
        }
        if (!ready) {
            fprintf(stderr, PROG ": FAILED: subscribers got no heartbeat\n");
            rc = -ETIMEDOUT;
            goto out;
        }
    }
    dealer = dealer_open(b, d->ingest);
    if (!dealer) {
        rc = -zmq_errno();
        goto out;
    }
    acks_init(&a, &fr[0], &fr[1]);

    bi = 0;
    for (int r = 0; r < LIVE_RATES; r++) {
        int64_t t0, lag = 0, end;
        uint64_t want = lv.b[bi + fr[r].n - 1].last_k;

        if (queries && r == 0) {
            qt.zctx = b->zctx;
            qt.ep = d->query;
            qt.muni = b->live_muni;
            if (pthread_create(&qt.th, NULL, qthread_main, &qt)) {
                rc = -EAGAIN;
                goto out;
            }
            qt_started = true;
        }
        progress("live: %d events/s for %u s (%zu batches of %u)", rates[r],
                 b->o.live_s, fr[r].n, fr[r].n_events[0]);
        t0 = now_ns() + 1000000;
        for (size_t i = 0; i < fr[r].n; i++, bi++) {
            int64_t due = t0 + (int64_t)i * 1000000, t;

            sleep_until(due);
            rc = acks_recv(&a, dealer, 0);
            if (rc)
                goto out;
            t = now_ns();
            if (t - due > lag)
                lag = t - due;
            lv.b[bi].send_ns = t;
            atomic_store_explicit(&lv.n_sent, bi + 1, memory_order_release);
            rc = frame_send(dealer, &fr[r], i);
            if (rc)
                goto out;
        }
        if (qt_started && r == 0) {
            atomic_store(&qt.stop, 1);
            pthread_join(qt.th, NULL);
            qt_started = false;
            if (qt.rc) {
                rc = qt.rc;
                goto out;
            }
        }
        out->lag_ms[r] = (double)lag / 1e6;
        /* every ack of the phase, then its last update everywhere */
        end = now_ns() + (int64_t)ACK_WAIT_MS * 1000000;
        while (a.events < want) {
            uint64_t before = a.events;

            rc = acks_recv(&a, dealer, 1000);
            if (rc)
                goto out;
            if (a.events > before) { /* no ack for ACK_WAIT_MS fails */
                end = now_ns() + (int64_t)ACK_WAIT_MS * 1000000;
            } else if (now_ns() > end) {
                fprintf(stderr,
                        PROG ": FAILED: live acks missing (%" PRIu64
                             " of %" PRIu64 " events)\n",
                        a.events, want);
                rc = -ETIMEDOUT;
                goto out;
            }
        }
        end = now_ns() + (int64_t)UPDATE_WAIT_MS * 1000000;
        while (readers_min_k(rd) < want && now_ns() < end)
            usleep(10000);
        for (int i = 0; i < LIVE_READERS; i++)
            if (atomic_load(&rd[i].last_k) < want)
                out->missed[r]++;
        out->events[r] = n_rate[r];
        out->batches[r] = fr[r].n;
    }

out:
    atomic_store(&lv.stop, 1);
    if (qt_started) {
        atomic_store(&qt.stop, 1);
        pthread_join(qt.th, NULL);
    }
    for (int i = 0; i < LIVE_READERS; i++)
        if (rd[i].started) {
            pthread_join(rd[i].th, NULL);
            if (!rc && rd[i].rc)
                rc = rd[i].rc;
        }
    if (!rc) {
        for (int r = 0; r < LIVE_RATES; r++) {
            size_t n = 0;
            double *all;

            for (int i = 0; i < LIVE_READERS; i++)
                n += rd[i].n_lat[r];
            all = xcalloc(n, sizeof *all);
            n = 0;
            for (int i = 0; i < LIVE_READERS; i++) {
                memcpy(all + n, rd[i].lat[r], rd[i].n_lat[r] * sizeof *all);
                n += rd[i].n_lat[r];
                out->updates[r] += rd[i].updates[r];
            }
            if (n) {
                series_add(&out->p50[r], percentile(all, n, 0.50));
                series_add(&out->p99[r], percentile(all, n, 0.99));
                series_add(&out->max[r], all[n - 1]);
            }
            free(all);
        }
        for (int i = 0; i < LIVE_READERS; i++)
            out->msgs += rd[i].msgs;
        out->ran = true;
        if (queries) {
            series_add(&out->q1_p50, percentile(qt.one, qt.n_one, 0.50));
            series_add(&out->q1_p99, percentile(qt.one, qt.n_one, 0.99));
            series_add(&out->qf_p50, percentile(qt.full, qt.n_full, 0.50));
            series_add(&out->qf_p99, percentile(qt.full, qt.n_full, 0.99));
            out->q1_n += qt.n_one;
            out->qf_n += qt.n_full;
            out->qf_slices = qt.full_slices;
            out->query_ran = true;
        }
    }
    if (dealer)
        zmq_close(dealer);
    if (stalled)
        zmq_close(stalled);
    acks_fini(&a);
    for (int i = 0; i < LIVE_READERS; i++)
        for (int r = 0; r < LIVE_RATES; r++)
            free(rd[i].lat[r]);
    free(rd);
    free(qt.one);
    free(qt.full);
    free(lv.b);
    for (int r = 0; r < LIVE_RATES; r++)
        bench_frames_free(&fr[r]);
    live_events_free(&le);
    return rc;
}

/* ------------------------------------------------------------ cross-check */

static const char *const units[] = {"ekb", "ekb-unga", "ekb-etablering"};
static const char *const bands[] = {"18-20", "21-24", "25-64", "65+"};
static const char *const cats[] = {"livsuppehalle", "boende",
                                   "tillfalligt_boende", "ovrigt"};

/* SAMPLE_SLICES slices: every period kind with every slice kind twice,
 * over the municipalities and the history's years and months. */
static void samples_make(struct bench *b)
{
    static const enum period_kind kinds[] = {
        PERIOD_MONTH, PERIOD_QUARTER, PERIOD_TERTIAL, PERIOD_HALF,
        PERIOD_YEAR,  PERIOD_YTD,     PERIOD_R12};

    for (unsigned i = 0; i < SAMPLE_SLICES; i++) {
        struct bench_slice *s = &b->samples[i];
        int y = 2012 + (int)(i % 3), m = 1 + (int)(i * 5 % 12);
        struct period p = period_of(kinds[i % 7], period_month_from_ym(y, m));
        char pid[PERIOD_ID_MAX];

        period_format(&p, pid);
        snprintf(s->muni, sizeof s->muni, "%s",
                 bench_muni_code((i * 3) % b->o.munis));
        snprintf(s->period, sizeof s->period, "%s", pid);
        switch ((i / 7) % 4) {
        case 0:
            snprintf(s->slice, sizeof s->slice, "total");
            break;
        case 1:
            snprintf(s->slice, sizeof s->slice, "unit=%s", units[i % 3]);
            break;
        case 2:
            snprintf(s->slice, sizeof s->slice, "age_band=%s", bands[i % 4]);
            break;
        default:
            snprintf(s->slice, sizeof s->slice, "category=%s", cats[i % 4]);
        }
    }
}

static int64_t json_count(const json_t *metrics, const char *id)
{
    const json_t *v = json_object_get(metrics, id);

    return json_is_number(v) ? (int64_t)llround(json_number_value(v)) : -1;
}

/* nyckeld's eb figures of s through nyckel-query --format json. */
static int nyckeld_figures(struct bench *b, const struct daemon *d,
                           const struct bench_slice *s,
                           struct bench_eb_figures *f)
{
    char cmd[PATH_MAX + 512], key[64], line[65536];
    const char *eq = strchr(s->slice, '=');
    json_error_t jerr;
    unsigned lines = 0;
    FILE *p;
    int rc = 0, st;

    memset(f, 0, sizeof *f);
    if (eq) {
        snprintf(key, sizeof key, "%.*s", (int)(eq - s->slice), s->slice);
        snprintf(cmd, sizeof cmd,
                 "'%s' --query %s -m %s -d eb -p %s -r %s -w '%s' "
                 "--format json",
                 b->query, d->query, s->muni, s->period, key, s->slice);
    } else {
        snprintf(cmd, sizeof cmd,
                 "'%s' --query %s -m %s -d eb -p %s "
                 "--format json",
                 b->query, d->query, s->muni, s->period);
    }
    p = popen(cmd, "r");
    if (!p)
        return -errno;
    while (fgets(line, sizeof line, p)) {
        json_t *o = json_loads(line, 0, &jerr);
        const json_t *m = json_object_get(o, "metrics");
        const json_t *paid = json_object_get(m, "paid");

        if (!o || !m) {
            json_decref(o);
            rc = BENCH_EPARSE;
            continue;
        }
        lines++;
        f->paid_ore = json_is_number(paid)
                          ? (int64_t)llround(json_number_value(paid) * 100)
                          : 0;
        f->households = json_count(m, "households");
        f->household_months = json_count(m, "household_months");
        json_decref(o);
    }
    st = pclose(p);
    if (st != 0 || lines > 1 || rc) {
        fprintf(stderr, PROG ": %s: exit %d, %u lines\n", cmd, st, lines);
        return rc ? rc : BENCH_ECHILD;
    }
    if (!strncmp(s->slice, "category=", 9))
        f->households = f->household_months = -1;
    else if (f->households < 0)
        f->households = 0;
    if (f->household_months < 0 && strncmp(s->slice, "category=", 9))
        f->household_months = 0;
    return 0;
}

#ifdef BENCH_HAVE_PEERS
static bool figures_equal(const struct bench_eb_figures *x,
                          const struct bench_eb_figures *y, bool paid_only)
{
    return x->paid_ore == y->paid_ore &&
           (paid_only || (x->households == y->households &&
                          x->household_months == y->household_months));
}
#endif

/* ------------------------------------------------------------ the parts */

/* Pre-encoded backfill on a fresh store; then peak RSS, the store's
 * size, --rebuild; then, on nyckeld restarted on that store, the
 * cross-check figures (first run) and the live and query parts. */
static int run_nyckeld(struct bench *b, unsigned run)
{
    struct results *res = &b->r;
    unsigned parts = b->o.parts;
    char state[PATH_MAX], tag[32];
    struct daemon d = {0};
    struct acks a = {0};
    double s;
    uint64_t alloc = 0, used = 0;
    long kib;
    bool restart = (parts & (PART_LIVE | PART_QUERY)) ||
                   (run == 0 && (parts & PART_PEERS));
    int rc;

    snprintf(state, sizeof state, "%s/state-%u", b->work, run);
    snprintf(tag, sizeof tag, "backfill-%u", run);
    rc = daemon_start(b, state, tag, &d);
    if (rc)
        goto out;
    progress("run %u: backfill of %zu events in %zu pre-encoded batches, "
             "window %u",
             run + 1, b->ev.n, b->frames.n, b->o.window);
    rc = backfill_frames(b, &d, &a, &s);
    if (rc)
        goto out;
    rc = daemon_check_counts(b, &d, b->ev.n, 0, NULL);
    if (rc)
        goto out;
    series_add(&res->bf_s, s);
    series_add(&res->bf_eps, (double)b->ev.n / s);
    res->accepted = a.accepted;
    res->duplicate = a.duplicate;
    res->stale = a.stale;
    progress("run %u: backfill %.2f s, %.0f events/s (%" PRIu64
             " accepted, %" PRIu64 " duplicate, %" PRIu64 " stale)",
             run + 1, s, (double)b->ev.n / s, a.accepted, a.duplicate, a.stale);
    long hwm_kib = kib = vm_hwm_kib(d.pid);
    if (kib > 0)
        series_add(&res->rss_mib, (double)kib / 1024);
    /* VmHWM counts the LMDB map's pages too (file-backed, the kernel's
     * to drop): the heap is RssAnon */
    kib = proc_status_kib(d.pid, "RssAnon");
    if (kib > 0)
        series_add(&res->anon_mib, (double)kib / 1024);
    kib = proc_status_kib(d.pid, "RssFile");
    if (kib > 0)
        series_add(&res->file_mib, (double)kib / 1024);
    rc = daemon_stop(&d);
    if (rc)
        goto out;
    rc = store_size(state, &alloc, &used);
    if (rc)
        goto out;
    res->disk_bytes = alloc;
    res->used_bytes = used;
    series_add(&res->disk_bpe, (double)alloc / (double)a.accepted);
    if (used)
        series_add(&res->used_bpe, (double)used / (double)a.accepted);
    progress("run %u: peak RSS %.1f MiB, data.mdb %.1f MiB (%.0f bytes per "
             "accepted event)",
             run + 1, (double)hwm_kib / 1024, (double)alloc / (1 << 20),
             (double)alloc / (double)a.accepted);

    if (parts & PART_REBUILD) {
        uint64_t e = 0, t = 0;

        if (rebuild(b, state, run, &s, &e, &t)) {
            /* reported, and the exit status says so; the other parts
             * go on (a failed --rebuild leaves the store as it was) */
            fprintf(stderr, PROG ": FAILED: --rebuild (run %u)\n", run + 1);
            res->rebuild_failed++;
        } else {
            series_add(&res->rebuild_s, s);
            series_add(&res->rebuild_eps, (double)e / s);
            res->entities = e;
            res->tombstones = t;
            progress("run %u: rebuild of %" PRIu64 " entities in %.2f s",
                     run + 1, e, s);
        }
    }

    if (restart) {
        snprintf(tag, sizeof tag, "live-%u", run);
        rc = daemon_start(b, state, tag, &d);
        if (rc)
            goto out;
        if (run == 0 && parts & PART_PEERS) {
            progress("cross-check: nyckeld's figures of %u slices",
                     SAMPLE_SLICES);
            for (unsigned i = 0; i < SAMPLE_SLICES && !rc; i++)
                rc = nyckeld_figures(b, &d, &b->samples[i], &b->nyckeld_fig[i]);
            if (rc)
                goto out;
            res->n_samples = SAMPLE_SLICES;
        }
        if (parts & (PART_LIVE | PART_QUERY)) {
            rc = live_run(b, &d, parts & PART_QUERY, false);
            if (rc)
                goto out;
            /* nyckeld's counters start at its start */
            rc = daemon_check_counts(
                b, &d, res->live.events[0] + res->live.events[1], 0, NULL);
            if (rc)
                goto out;
        }
        rc = daemon_stop(&d);
    }
out:
    if (rc)
        daemon_stop(&d);
    acks_fini(&a);
    if (!rc)
        rm_tree(state);
    return rc;
}

/* Backfill through nyckel-push from the JSON Lines file. */
static int run_push(struct bench *b, unsigned run)
{
    char state[PATH_MAX], spool[PATH_MAX], log[PATH_MAX], tag[32];
    struct daemon d = {0};
    uint64_t resent = 0;
    double s;
    int rc;

    snprintf(state, sizeof state, "%s/push-state-%u", b->work, run);
    snprintf(spool, sizeof spool, "%s/push-spool-%u", b->work, run);
    snprintf(log, sizeof log, "%s/nyckel-push-%u.log", b->work, run);
    snprintf(tag, sizeof tag, "push-%u", run);
    rc = daemon_start(b, state, tag, &d);
    if (rc)
        return rc;
    {
        const char *argv[] = {
            b->push,    "-q", "--ingest", d.ingest, "--batch-size",   "1000",
            "--window", "16", "--spool",  spool,    b->ev.jsonl_path, NULL};

        progress("run %u: nyckel-push of %zu events", run + 1, b->ev.n);
        rc = run_tool(argv, log, &s);
    }
    if (!rc)
        rc = daemon_check_counts(b, &d, b->ev.n, b->r.accepted, &resent);
    if (!rc) {
        b->r.push_resent += resent;
        series_add(&b->r.push_s, s);
        series_add(&b->r.push_eps, (double)b->ev.n / s);
        progress("run %u: nyckel-push %.2f s, %.0f events/s", run + 1, s,
                 (double)b->ev.n / s);
    }
    if (daemon_stop(&d) && !rc)
        rc = BENCH_ECHILD;
    if (!rc) {
        rm_tree(state);
        rm_tree(spool);
    }
    return rc;
}

/* The peers of --peers, each loaded --runs times, then cross-checked. */
/* ------------------------------------------------------------ floor */

/* Whether the file at path holds needle. */
static bool file_has(const char *path, const char *needle)
{
    char line[1024];
    bool found = false;
    FILE *f = fopen(path, "r");

    if (!f)
        return false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Start nyckel-floor serve on dir (with a PUB and a query endpoint when
 * pub); tag names its log. Returns once it says it is ready. */
static int floor_start(struct bench *b, const char *dir, const char *tag,
                       bool pub, struct daemon *d)
{
    int64_t end = now_ns() + (int64_t)START_WAIT_MS * 1000000;
    int status;

    d->name = "nyckel-floor";
    snprintf(d->log, sizeof d->log, "%s/floor-%s.log", b->work, tag);
    snprintf(d->ingest, sizeof d->ingest, "tcp://127.0.0.1:%d", b->port);
    snprintf(d->pub, sizeof d->pub, "tcp://127.0.0.1:%d", b->port + 1);
    snprintf(d->query, sizeof d->query, "tcp://127.0.0.1:%d", b->port + 2);
    const char *argv[] = {
        b->floor, "serve", dir, d->ingest, pub ? d->pub : NULL, d->query, NULL};

    d->pid = spawn(argv, d->log);
    if (d->pid < 0) {
        int rc = (int)d->pid;

        d->pid = 0;
        return rc;
    }
    g_child = d->pid;
    while (!file_has(d->log, "ready on")) {
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            d->pid = 0;
            g_child = 0;
            fprintf(stderr, PROG ": nyckel-floor exited at start, see %s\n",
                    d->log);
            return BENCH_ECHILD;
        }
        if (now_ns() > end) {
            fprintf(stderr, PROG ": nyckel-floor is not ready, see %s\n",
                    d->log);
            return -ETIMEDOUT;
        }
        usleep(10000);
    }
    return 0;
}

/* nyckel-floor's time per event, from the line it prints at its end. */
static int floor_phases(struct bench *b, const char *log)
{
    struct results *res = &b->r;
    char line[1024];
    double dec, sto, com, ack;
    bool found = false;
    FILE *f = fopen(log, "r");

    if (!f)
        return -errno;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "per event: ");

        found = p && sscanf(p,
                            "per event: decode %lf us, entities %lf us, "
                            "commit %lf us, ack %lf us",
                            &dec, &sto, &com, &ack) == 4;
    }
    fclose(f);
    if (!found) {
        fprintf(stderr, PROG ": no time per event in %s\n", log);
        return BENCH_ECHILD;
    }
    series_add(&res->floor_decode_us, dec);
    series_add(&res->floor_store_us, sto);
    series_add(&res->floor_commit_us, com);
    series_add(&res->floor_ack_us, ack);
    return 0;
}

/* nyckel-floor read on dir: entities/s of reading and decoding every
 * entity record, the floor of --rebuild. */
static int floor_read(struct bench *b, const char *dir, unsigned run)
{
    char log[PATH_MAX];
    unsigned long long e = 0;
    double s;
    const char *argv[] = {b->floor, "read", dir, NULL};
    int rc;

    snprintf(log, sizeof log, "%s/floor-read-%u.log", b->work, run);
    rc = run_tool(argv, log, &s);
    if (rc)
        return rc;
    FILE *f = fopen(log, "r");
    char line[512];

    if (!f)
        return -errno;
    while (!e && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "nyckel-floor read: ");

        if (p)
            sscanf(p, "nyckel-floor read: %llu entities", &e);
    }
    fclose(f);
    if (!e) {
        fprintf(stderr, PROG ": no entity count in %s\n", log);
        return BENCH_ECHILD;
    }
    b->r.floor_entities = e;
    series_add(&b->r.floor_read_eps, (double)e / s);
    return 0;
}

/* The floor: the same pre-encoded backfill into nyckel-floor, which
 * keeps the entity records and nothing else; its store's size; reading
 * it back; and with the live part, the live rates on it. */
static int run_floor(struct bench *b, unsigned run)
{
    struct results *res = &b->r;
    char dir[PATH_MAX], tag[32];
    struct daemon d = {0};
    struct acks a = {0};
    uint64_t alloc = 0, used = 0;
    double s;
    int rc;

    snprintf(dir, sizeof dir, "%s/floor-%u", b->work, run);
    snprintf(tag, sizeof tag, "backfill-%u", run);
    rc = floor_start(b, dir, tag, false, &d);
    if (rc)
        goto out;
    progress("run %u: nyckel-floor: backfill of the same %zu batches", run + 1,
             b->frames.n);
    rc = backfill_frames(b, &d, &a, &s);
    if (rc)
        goto out;
    rc = daemon_stop(&d);
    if (rc)
        goto out;
    /* the same revision rules: the same verdicts as nyckeld's */
    if (res->bf_eps.n &&
        (a.accepted != res->accepted || a.duplicate != res->duplicate ||
         a.stale != res->stale)) {
        fprintf(stderr,
                PROG ": FAILED: nyckel-floor: %" PRIu64 " accepted, %" PRIu64
                     " duplicate, %" PRIu64 " stale; nyckeld: %" PRIu64
                     ", %" PRIu64 ", %" PRIu64 "\n",
                a.accepted, a.duplicate, a.stale, res->accepted, res->duplicate,
                res->stale);
        rc = BENCH_ECHILD;
        goto out;
    }
    res->floor_accepted = a.accepted;
    series_add(&res->floor_eps, (double)b->ev.n / s);
    rc = floor_phases(b, d.log);
    if (rc)
        goto out;
    rc = store_size(dir, &alloc, &used);
    if (rc)
        goto out;
    series_add(&res->floor_bpe, (double)alloc / (double)a.accepted);
    if (used)
        series_add(&res->floor_used_bpe, (double)used / (double)a.accepted);
    rc = floor_read(b, dir, run);
    if (rc)
        goto out;
    progress("run %u: nyckel-floor: %.0f events/s, %.0f bytes per event, "
             "read %.0f entities/s",
             run + 1, (double)b->ev.n / s, (double)alloc / (double)a.accepted,
             b->r.floor_read_eps.v[b->r.floor_read_eps.n - 1]);
    if (b->o.parts & PART_LIVE) {
        snprintf(tag, sizeof tag, "live-%u", run);
        rc = floor_start(b, dir, tag, true, &d);
        if (rc)
            goto out;
        rc = live_run(b, &d, b->o.parts & PART_QUERY, true);
        if (rc)
            goto out;
        rc = daemon_stop(&d);
    }
out:
    if (rc)
        daemon_stop(&d);
    acks_fini(&a);
    if (!rc)
        rm_tree(dir);
    return rc;
}

static int run_peers(struct bench *b)
{
#ifdef BENCH_HAVE_PEERS
    char list[256], *save = NULL, dir[PATH_MAX];
    int rc = 0, port = b->port + 3;

    snprintf(list, sizeof list, "%s", b->o.peers);
    for (char *name = strtok_r(list, ",", &save); name && !rc;
         name = strtok_r(NULL, ",", &save), port++) {
        struct peer_res *pr = &b->r.peer[b->r.n_peers++];
        struct peer *p = NULL;

        snprintf(pr->name, sizeof pr->name, "%s", name);
        snprintf(dir, sizeof dir, "%s/peer-%s", b->work, name);
        progress("peer %s: starting on port %d", name, port);
        if (peer_start(name, dir, port, &p)) {
            rc = BENCH_ECHILD;
            break;
        }
        for (unsigned run = 0; run < b->o.runs && !rc; run++) {
            struct peer_load_result lr;

            memset(&lr, 0, sizeof lr);
            if (peer_reset(p) || peer_load(p, &b->ev, &lr)) {
                fprintf(stderr, PROG ": FAILED: peer %s: load failed\n", name);
                rc = BENCH_ECHILD;
                break;
            }
            series_add(&pr->seconds, lr.seconds);
            series_add(&pr->eps, (double)lr.events / lr.seconds);
            pr->events = lr.events;
            pr->payments = lr.payments;
            pr->ops = lr.ops;
            snprintf(pr->detail, sizeof pr->detail, "%s", lr.detail);
            progress("run %u: peer %s %.2f s, %.0f events/s (%s)", run + 1,
                     name, lr.seconds, (double)lr.events / lr.seconds,
                     lr.detail);
        }
        pr->ran = !rc;
        for (unsigned i = 0; !rc && i < b->r.n_samples; i++) {
            const struct bench_slice *s = &b->samples[i];
            const struct bench_eb_figures *n = &b->nyckeld_fig[i];
            struct bench_eb_figures f;

            if (peer_eb_figures(p, s, &f)) {
                fprintf(stderr, PROG ": FAILED: peer %s: figures of %s %s %s\n",
                        name, s->muni, s->period, s->slice);
                rc = BENCH_ECHILD;
                break;
            }
            pr->compared++;
            if (!figures_equal(n, &f, !strncmp(s->slice, "category=", 9))) {
                pr->mismatches++;
                printf("MISMATCH %s %s/eb/%s/%s: nyckeld paid_ore %" PRId64
                       " households %" PRId64 " household_months %" PRId64
                       "; %s %" PRId64 " %" PRId64 " %" PRId64 "\n",
                       name, s->muni, s->period, s->slice, n->paid_ore,
                       n->households, n->household_months, name, f.paid_ore,
                       f.households, f.household_months);
            }
        }
        peer_stop(&p);
    }
    return rc;
#else
    (void)b;
    fprintf(stderr, PROG ": built without the peers (bench/peer*.c)\n");
    return -ENOTSUP;
#endif
}

/* ------------------------------------------------------------ report */

static void machine_cpu(char *buf, size_t n)
{
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");

    snprintf(buf, n, "unknown");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *p = strchr(line, ':');

        if (!strncmp(line, "model name", 10) && p) {
            p += 2;
            p[strcspn(p, "\n")] = '\0';
            snprintf(buf, n, "%s", p);
            break;
        }
    }
    fclose(f);
}

static long long machine_ram_mib(void)
{
    char line[256];
    long long kib = 0;
    FILE *f = fopen("/proc/meminfo", "r");

    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %lld", &kib) == 1)
            break;
    fclose(f);
    return kib / 1024;
}

static const char *fs_name(const char *dir, char *buf, size_t n)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } fs[] = {
        {0xEF53, "ext4 (ext2/3/4)"},
        {0x58465342, "xfs"},
        {0x9123683E, "btrfs"},
        {0x01021994, "tmpfs"},
        {0x794c7630, "overlayfs"},
        {0x2fc12fc1, "zfs"},
        {0x6969, "nfs"},
        {0xF2F52010, "f2fs"},
    };
    struct statfs st;

    if (statfs(dir, &st)) {
        snprintf(buf, n, "unknown");
        return buf;
    }
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
        if ((unsigned long)st.f_type == fs[i].magic) {
            snprintf(buf, n, "%s", fs[i].name);
            return buf;
        }
    snprintf(buf, n, "type 0x%lx", (unsigned long)st.f_type);
    return buf;
}

/* Two outputs: plain lines on stdout, Markdown in the report. */
struct out {
    FILE *md; /* NULL: no report */
};

static void md(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void md(struct out *o, const char *fmt, ...)
{
    va_list ap;

    if (!o->md)
        return;
    va_start(ap, fmt);
    vfprintf(o->md, fmt, ap);
    va_end(ap);
}

/* A figure: on stdout "what: value unit", in the report a table row. */
static void figure(struct out *o, const char *what, const char *value,
                   const char *unit)
{
    const char *sp = *unit ? " " : "";

    printf("%-44s %s%s%s\n", what, value, sp, unit);
    md(o, "| %s | %s%s%s |\n", what, value, sp, unit);
}

/* The live part's rows; what: "live" or "floor: live". */
static void live_figures(struct out *o, const struct live_res *lr,
                         const char *what)
{
    static const char *const rate_names[] = {"1 000", "10 000"};
    char buf[256], buf2[256];

    for (int k = 0; k < LIVE_RATES; k++) {
        snprintf(buf2, sizeof buf2, "%s at %s events/s: p50 / p99 / max", what,
                 rate_names[k]);
        snprintf(buf, sizeof buf, "%s / ",
                 series_fmt(&lr->p50[k], 2, (char[64]){0}, 64));
        strncat(buf, series_fmt(&lr->p99[k], 2, (char[64]){0}, 64),
                sizeof buf - strlen(buf) - 1);
        strncat(buf, " / ", sizeof buf - strlen(buf) - 1);
        strncat(buf, series_fmt(&lr->max[k], 2, (char[64]){0}, 64),
                sizeof buf - strlen(buf) - 1);
        figure(o, buf2, buf, "ms");
        snprintf(buf2, sizeof buf2, "%s at %s events/s: updates of the %s",
                 what, rate_names[k], strcmp(what, "live") ? "topic" : "slice");
        snprintf(buf, sizeof buf,
                 "%" PRIu64 " to 9 readers (%" PRIu64 " events in %" PRIu64
                 " batches per run, readers missing the last: %" PRIu64
                 ", sender lag max %.2f ms)",
                 lr->updates[k], lr->events[k], lr->batches[k], lr->missed[k],
                 lr->lag_ms[k]);
        figure(o, buf2, buf, "");
    }
    snprintf(buf, sizeof buf, "%" PRIu64, lr->msgs);
    snprintf(buf2, sizeof buf2, "%s: PUB messages read by the 9 readers", what);
    figure(o, buf2, buf, "(all runs)");
}

/* The query rows of a live part; with full, the municipality-year
 * snapshots too. */
static void query_figures(struct out *o, const struct live_res *lr,
                          const char *what, bool full)
{
    char buf[256], buf2[256], name[128];

    snprintf(buf, sizeof buf, "%s / ",
             series_fmt(&lr->q1_p50, 3, (char[64]){0}, 64));
    strncat(buf, series_fmt(&lr->q1_p99, 3, (char[64]){0}, 64),
            sizeof buf - strlen(buf) - 1);
    snprintf(buf2, sizeof buf2, "ms (%" PRIu64 " queries)", lr->q1_n);
    snprintf(name, sizeof name, "%s one slice while ingesting: p50 / p99",
             what);
    figure(o, name, buf, buf2);
    if (!full)
        return;
    snprintf(buf, sizeof buf, "%s / ",
             series_fmt(&lr->qf_p50, 2, (char[64]){0}, 64));
    strncat(buf, series_fmt(&lr->qf_p99, 2, (char[64]){0}, 64),
            sizeof buf - strlen(buf) - 1);
    snprintf(buf2, sizeof buf2,
             "ms (%" PRIu64 " snapshots of %zu queries, %" PRIu64
             " slices each)",
             lr->qf_n, N_FULL_ROLLUPS, lr->qf_slices);
    snprintf(name, sizeof name,
             "%s municipality-year while ingesting: p50 / p99", what);
    figure(o, name, buf, buf2);
}

/* met / not met for a figure against a target. */
static const char *verdict(double v, double target, bool at_least)
{
    if (isnan(v))
        return "not measured";
    return (at_least ? v >= target : v <= target) ? "met" : "not met";
}

/* A row of the targets: what nyckeld measured, and the floor's figure
 * for the same target (NAN: none; shown with prec decimals and unit)
 * with fv, its verdict against it. */
static void target_row(struct out *o, const char *what, const char *target,
                       const char *measured, const char *v, double floor,
                       int prec, const char *unit, const char *fv)
{
    char fl[128] = "—";
    bool beyond =
        !isnan(floor) && !strcmp(v, "not met") && !strcmp(fv, "not met");

    if (!strncmp(v, "not measured", 12))
        measured = "—";
    if (!isnan(floor))
        snprintf(fl, sizeof fl, "%.*f%s", prec, floor, unit);
    printf("target %-38s %s: %s (%s; floor %s)%s\n", what, target, v, measured,
           fl, beyond ? ": out of reach here" : "");
    md(o, "| %s | %s | %s | %s | **%s**%s |\n", what, target, measured, fl, v,
       beyond ? "; out of reach here, the floor misses it too" : "");
}

static void report(struct bench *b, int argc, char **argv, unsigned mismatches)
{
    struct results *r = &b->r;
    struct out o = {0};
    char buf[256], buf2[256], cpu[256], fsn[64], date[64];
    struct utsname un;
    time_t now = time(NULL);
    double bf = series_median(&r->bf_eps);

    if (b->o.report) {
        o.md = fopen(b->o.report, "w");
        if (!o.md)
            fprintf(stderr, PROG ": %s: %s\n", b->o.report, strerror(errno));
    }
    machine_cpu(cpu, sizeof cpu);
    uname(&un);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fs_name(b->work, fsn, sizeof fsn);

    md(&o,
       "# nyckel-bench results\n\n"
       "Written by `nyckel-bench` (`make bench`, issue 8); every figure "
       "is the median (min–max) over %u run%s.\n\n",
       b->o.runs, b->o.runs == 1 ? "" : "s");
    md(&o, "## Machine\n\n| | |\n|---|---|\n");
    md(&o, "| CPU | %s |\n| nproc | %ld |\n| RAM | %lld MiB |\n", cpu,
       sysconf(_SC_NPROCESSORS_ONLN), machine_ram_mib());
    md(&o,
       "| kernel | %s %s |\n| work dir filesystem | %s |\n| date | %s "
       "|\n\n",
       un.sysname, un.release, fsn, date);
    printf("machine: %s, %ld CPUs, %lld MiB, %s %s, work dir on %s, %s\n", cpu,
           sysconf(_SC_NPROCESSORS_ONLN), machine_ram_mib(), un.sysname,
           un.release, fsn, date);

    md(&o,
       "## Workload\n\n%zu events from nyckel-gen (%u municipalities × "
       "%u households, payments, placements, referrals, decisions and "
       "budgets, with revisions, reversals, tombstones and %u %% "
       "duplicate lines); nyckeld answered %" PRIu64 " accepted, %" PRIu64
       " duplicate, %" PRIu64 " stale, none rejected. Pre-encoded: %" PRIu64
       " IngestBatch frames of at most 1000 events, %.1f MiB.\n\n",
       b->ev.n, b->o.munis, b->o.households, b->o.duplicates, r->accepted,
       r->duplicate, r->stale, (uint64_t)b->frames.n,
       (double)b->frames.bytes / (1 << 20));
    printf("workload: %zu events (%u municipalities x %u households), "
           "%zu batches\n",
           b->ev.n, b->o.munis, b->o.households, b->frames.n);

    md(&o, "## Commands\n\n```\n");
    for (int i = 0; i < argc; i++)
        md(&o, "%s%s", i ? " " : "", argv[i]);
    md(&o, "\n%s\n", b->gen_cmd);
    md(&o,
       "%s --state-dir STATE --ingest tcp://127.0.0.1:%d --pub "
       "tcp://127.0.0.1:%d --query tcp://127.0.0.1:%d --as-of %s "
       "--suppress-below 0 --publish-interval 0 --log-level warn%s%s\n",
       b->nyckeld, b->port, b->port + 1, b->port + 2, AS_OF,
       b->o.map_resident ? " --map-resident " : "",
       b->o.map_resident ? b->o.map_resident : "");
    md(&o,
       "%s -q --ingest tcp://127.0.0.1:%d --batch-size 1000 --window 16 "
       "--spool SPOOL %s\n",
       b->push, b->port, b->ev.jsonl_path);
    md(&o, "%s --rebuild --state-dir STATE --as-of %s --log-level warn\n",
       b->nyckeld, AS_OF);
    if (r->floor_eps.n) {
        md(&o, "%s serve FLOOR tcp://127.0.0.1:%d\n", b->floor, b->port);
        md(&o, "%s read FLOOR\n", b->floor);
        if (r->floor_live.ran)
            md(&o,
               "%s serve FLOOR tcp://127.0.0.1:%d tcp://127.0.0.1:%d "
               "tcp://127.0.0.1:%d\n",
               b->floor, b->port, b->port + 1, b->port + 2);
    }
    md(&o, "```\n\nEach run starts nyckeld on a fresh state directory "
           "(in the work directory) for the pre-encoded backfill, measures "
           "its peak RSS, stops it, measures the store, runs `--rebuild` on "
           "it, and starts nyckeld again on it for the live and query "
           "parts; nyckel-push gets a fresh nyckeld of its own.\n");
    if (r->floor_eps.n)
        md(&o, "\nThe floor: each run also sends the same batches to "
               "nyckel-floor (bench/floor), which is nyckeld's ingestion "
               "without aggregation: the same decoding, rules and revision "
               "judgement, each entity's record (its latest revision and "
               "bytes, which DESIGN §2 requires for revisions, tombstones and "
               "--rebuild) in LMDB, the same group commit, durable, and the "
               "same acks. Its store is then measured and read back "
               "(`read`: every entity record read and decoded, the floor of "
               "--rebuild), and it is started again on it for the live rates "
               "and queries: it publishes one message per commit (what the "
               "readers time), and a second thread answers each query after "
               "one lookup in a read transaction. A target the floor misses "
               "too is out of reach on this machine for any design that keeps "
               "the contract with LMDB and nyckeld's codec.\n");
    md(&o, "\n");

    md(&o, "## Figures\n\n| | median (min–max) |\n|---|---|\n");
    if (r->bf_eps.n) {
        figure(&o, "backfill, pre-encoded, durable and acked",
               series_fmt(&r->bf_eps, 0, buf, sizeof buf), "events/s");
        snprintf(buf2, sizeof buf2, "backfill, pre-encoded (window %u), time",
                 b->o.window);
        figure(&o, buf2, series_fmt(&r->bf_s, 2, buf, sizeof buf), "s");
    }
    if (r->push_eps.n) {
        figure(&o, "backfill through nyckel-push (JSON Lines)",
               series_fmt(&r->push_eps, 0, buf, sizeof buf), "events/s");
        figure(&o, "backfill through nyckel-push, time",
               series_fmt(&r->push_s, 2, buf, sizeof buf), "s");
        snprintf(buf, sizeof buf, "%" PRIu64, r->push_resent);
        figure(&o, "nyckel-push: events resent after a late ack", buf,
               "(all runs)");
    }
    if (r->live.ran)
        live_figures(&o, &r->live, "live");
    if (r->live.query_ran)
        query_figures(&o, &r->live, "query", true);
    if (r->rebuild_failed) {
        snprintf(buf, sizeof buf, "FAILED in %u run%s (see the logs)",
                 r->rebuild_failed, r->rebuild_failed == 1 ? "" : "s");
        figure(&o, "--rebuild", buf, "");
    }
    if (r->rebuild_eps.n) {
        snprintf(buf2, sizeof buf2,
                 "entities/s (%" PRIu64 " entities, %" PRIu64 " deleted)",
                 r->entities, r->tombstones);
        figure(&o, "--rebuild", series_fmt(&r->rebuild_eps, 0, buf, sizeof buf),
               buf2);
        figure(&o, "--rebuild, time",
               series_fmt(&r->rebuild_s, 2, buf, sizeof buf), "s");
    }
    if (r->rss_mib.n) {
        snprintf(buf2, sizeof buf2, "MiB after %" PRIu64 " accepted events",
                 r->accepted);
        figure(&o, "peak RSS of nyckeld (VmHWM)",
               series_fmt(&r->rss_mib, 1, buf, sizeof buf), buf2);
        if (r->anon_mib.n)
            figure(&o, "RSS then: anonymous (heap)",
                   series_fmt(&r->anon_mib, 1, buf, sizeof buf), "MiB");
        if (r->file_mib.n)
            figure(&o, "RSS then: file-backed (LMDB map pages and libraries)",
                   series_fmt(&r->file_mib, 1, buf, sizeof buf), "MiB");
    }
    if (r->disk_bpe.n) {
        snprintf(buf2, sizeof buf2,
                 "bytes (data.mdb %.1f MiB allocated / %" PRIu64
                 " accepted events)",
                 (double)r->disk_bytes / (1 << 20), r->accepted);
        figure(&o, "disk per stored event",
               series_fmt(&r->disk_bpe, 1, buf, sizeof buf), buf2);
        if (r->used_bpe.n) {
            snprintf(buf2, sizeof buf2,
                     "bytes (LMDB pages in use, mdb_stat -ef: %.1f MiB)",
                     (double)r->used_bytes / (1 << 20));
            figure(&o, "disk per stored event, pages in use",
                   series_fmt(&r->used_bpe, 1, buf, sizeof buf), buf2);
        }
    }
    if (r->floor_eps.n) {
        figure(&o, "floor (nyckel-floor): backfill, durable and acked",
               series_fmt(&r->floor_eps, 0, buf, sizeof buf), "events/s");
        snprintf(buf, sizeof buf, "decode %s, ",
                 series_fmt(&r->floor_decode_us, 2, (char[64]){0}, 64));
        strncat(buf, "entity records ", sizeof buf - strlen(buf) - 1);
        strncat(buf, series_fmt(&r->floor_store_us, 2, (char[64]){0}, 64),
                sizeof buf - strlen(buf) - 1);
        strncat(buf, ", commit ", sizeof buf - strlen(buf) - 1);
        strncat(buf, series_fmt(&r->floor_commit_us, 2, (char[64]){0}, 64),
                sizeof buf - strlen(buf) - 1);
        strncat(buf, ", ack ", sizeof buf - strlen(buf) - 1);
        strncat(buf, series_fmt(&r->floor_ack_us, 2, (char[64]){0}, 64),
                sizeof buf - strlen(buf) - 1);
        figure(&o, "floor: time per event inside nyckel-floor", buf, "µs");
        snprintf(buf2, sizeof buf2, "bytes (data.mdb / %" PRIu64 " accepted)",
                 r->floor_accepted);
        figure(&o, "floor: disk per stored event (entity records alone)",
               series_fmt(&r->floor_bpe, 1, buf, sizeof buf), buf2);
        if (r->floor_used_bpe.n)
            figure(&o, "floor: disk per stored event, pages in use",
                   series_fmt(&r->floor_used_bpe, 1, buf, sizeof buf), "bytes");
        snprintf(buf2, sizeof buf2, "entities/s (%" PRIu64 " entities)",
                 r->floor_entities);
        figure(&o, "floor: read and decode every entity record",
               series_fmt(&r->floor_read_eps, 0, buf, sizeof buf), buf2);
    }
    if (r->floor_live.ran)
        live_figures(&o, &r->floor_live, "floor: live");
    if (r->floor_live.query_ran)
        query_figures(&o, &r->floor_live, "floor: query", false);
    for (unsigned i = 0; i < r->n_peers; i++) {
        const struct peer_res *p = &r->peer[i];

        if (!p->eps.n)
            continue;
        snprintf(buf2, sizeof buf2, "peer %s: load", p->name);
        figure(&o, buf2, series_fmt(&p->eps, 0, buf, sizeof buf),
               "events/s (all events given)");
        snprintf(buf2, sizeof buf2, "peer %s: time", p->name);
        snprintf(buf, sizeof buf,
                 "%s s; %zu of %zu events are payments; %zu "
                 "ops; %s",
                 series_fmt(&p->seconds, 2, (char[64]){0}, 64), p->payments,
                 p->events, p->ops, p->detail);
        figure(&o, buf2, buf, "");
        snprintf(buf2, sizeof buf2, "nyckeld / %s throughput", p->name);
        snprintf(buf, sizeof buf, "%.1f", bf / series_median(&p->eps));
        figure(&o, buf2, buf, "×");
        snprintf(buf2, sizeof buf2, "cross-check with %s", p->name);
        snprintf(buf, sizeof buf, "%u of %u slices differ", p->mismatches,
                 p->compared);
        figure(&o, buf2, buf, "");
    }
    if (r->n_peers)
        md(&o,
           "\nThe peers keep only the eb domain (payments): they are "
           "given all %zu events, in the order nyckeld got them, and "
           "skip every event that is not a payment; nyckeld maintains "
           "all four domains. Redis keeps the counters with pipelined "
           "HINCRBY from a C client (hiredis, appendfsync everysec); "
           "PostgreSQL loads the events with COPY and computes the eb "
           "figures in SQL. The cross-check compares paid (öre), "
           "households and household_months (paid only for category "
           "slices) of %u slices over every period kind and slice kind "
           "with nyckel-query's figures.\n",
           b->ev.n, r->n_samples);

    md(&o, "\n## Targets of issue 8\n\n"
           "| target | wanted | measured | floor (nyckel-floor) | |\n"
           "|---|---|---|---|---|\n");
    double fbf = series_median(&r->floor_eps);

    snprintf(buf, sizeof buf, "%.0f events/s", bf);
    target_row(&o, "backfill, durable and acked", "≥ 500 000 events/s", buf,
               verdict(bf, 500000, true), fbf, 0, " events/s",
               verdict(fbf, 500000, true));
    for (unsigned i = 0; i < r->n_peers; i++) {
        double peer = series_median(&r->peer[i].eps);
        double ratio = bf / peer, fratio = fbf / peer;

        snprintf(buf2, sizeof buf2, "backfill vs %s", r->peer[i].name);
        snprintf(buf, sizeof buf, "%.1f×", ratio);
        target_row(&o, buf2, "≥ 10×", buf, verdict(ratio, 10, true), fratio, 1,
                   "×", verdict(fratio, 10, true));
    }
    {
        double p99 = series_median(&r->live.p99[0]);
        double fp99 = series_median(&r->floor_live.p99[0]);
        double frb = series_median(&r->floor_read_eps);
        double fbpe = series_median(&r->floor_bpe);
        double q99 = series_median(&r->live.q1_p99);
        double fq99 = series_median(&r->floor_live.q1_p99);
        double rb = series_median(&r->rebuild_eps);
        double rss = series_median(&r->rss_mib);
        double bpe = series_median(&r->disk_bpe);

        snprintf(buf, sizeof buf, "%.2f ms", p99);
        target_row(&o, "live p99 at 1 000 events/s, stalled subscriber",
                   "≤ 5 ms", buf, verdict(p99, 5, false), fp99, 2, " ms",
                   verdict(fp99, 5, false));
        snprintf(buf, sizeof buf, "%.3f ms", q99);
        target_row(&o, "one-slice query p99 while ingesting", "≤ 1 ms", buf,
                   verdict(q99, 1, false), fq99, 3, " ms",
                   verdict(fq99, 1, false));
        snprintf(buf, sizeof buf, "%.0f entities/s", rb);
        target_row(&o, "--rebuild", "≥ 1 000 000 entities/s", buf,
                   verdict(rb, 1000000, true), frb, 0, " entities/s",
                   verdict(frb, 1000000, true));
        /* rss is in MiB, the target in MB (10^6 bytes) */
        double rss_mb = rss * 1048576.0 / 1e6;
        snprintf(buf, sizeof buf, "%.1f MiB (%.1f MB) at %" PRIu64 " events",
                 rss, rss_mb, r->accepted);
        snprintf(buf2, sizeof buf2, "%s%s", verdict(rss_mb, 100, false),
                 rss_mb <= 100 && r->accepted < 10000000
                     ? " at this size (10 M events not measured)"
                     : "");
        target_row(&o, "peak RSS", "≤ 100 MB for 10 M events", buf, buf2, NAN,
                   0, "", "");
        snprintf(buf, sizeof buf, "%.1f bytes", bpe);
        target_row(&o, "disk per stored event", "≤ 200 bytes", buf,
                   verdict(bpe, 200, false), fbpe, 1, " bytes",
                   verdict(fbpe, 200, false));
    }
    if (r->n_samples && !r->n_peers) {
        printf("cross-check: nyckeld's figures of %u slices, no peer to "
               "compare with\n",
               r->n_samples);
        md(&o,
           "\nCross-check: nyckeld's figures of %u slices were read; "
           "no peer to compare them with (--peers none).\n",
           r->n_samples);
    }
    if (mismatches) {
        md(&o, "\n**Cross-check: %u slices differ** (listed on stdout).\n",
           mismatches);
    }
    md(&o,
       "\nA benchmark reports; it never asserts on time. Live latency "
       "is the time from the send of a batch to the first update of "
       "`<muni>/eb/%s/total` whose paid (each live payment is 1 öre) "
       "includes it, pooled over 9 reading subscribers (subscribed to "
       "`<muni>/eb/%s/`, the public stream of that month's eb "
       "slices) while a 10th, "
       "subscribed to everything, never reads. The one-slice query is "
       "eb/%s/total of that municipality; the municipality-year "
       "snapshot is %zu queries of 2014 over all domains: the totals "
       "and each rollup.\n",
       LIVE_MONTH, LIVE_MONTH, LIVE_MONTH, N_FULL_ROLLUPS);
    md(&o, "\nWhere the time goes, and what the floor says about each "
           "target that is not met: `bench/ANALYSIS.md`.\n");
    if (o.md) {
        fclose(o.md);
        progress("report written to %s", b->o.report);
    }
}

/* ------------------------------------------------------------ main */

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: " PROG " [OPTION]...\n"
        "Benchmark nyckeld (issue 8): backfill, live latency, queries,\n"
        "--rebuild, memory and disk, against Redis and PostgreSQL and\n"
        "against the floor of any design on this machine (nyckel-floor).\n"
        "Starts its own nyckeld processes on loopback and removes what\n"
        "it made. Progress on stderr, figures on stdout.\n"
        "\n"
        "Options:\n"
        "  --bin DIR             where nyckeld, nyckel-gen, nyckel-push,\n"
        "                        nyckel-query and nyckel-floor are (default:\n"
        "                        the directory of this program)\n"
        "  --work DIR            make the work directory (stores, logs, the\n"
        "                        JSON Lines) inside DIR (default /tmp)\n"
        "  --keep                keep the work directory (it is also kept\n"
        "                        after a failure, for its logs)\n"
        "  --runs N              runs of each measurement, 1..%d (default "
        "%d)\n"
        "  --municipalities N    municipalities of nyckel-gen, 1..%d "
        "(default %d)\n"
        "  --households N        households per municipality (default %d);\n"
        "                        about %.1f events per household with all\n"
        "                        kinds, so the default is about %.0f k events\n"
        "  --duplicates PCT      lines sent twice by nyckel-gen (default %d)\n"
        "  --window N            batches in flight in the pre-encoded\n"
        "                        backfill, 1..64 (default %d)\n"
        "  --live-seconds S      length of each live rate (default %d)\n"
        "  --peers LIST          redis,pg or none (default: %s)\n"
        "  --only LIST           run only these parts: backfill, push, live,\n"
        "                        query, rebuild, peers, floor (default: all);\n"
        "                        live, query, rebuild and peers need a\n"
        "                        backfill and make one; floor runs\n"
        "                        nyckel-floor (nyckeld's ingestion without\n"
        "                        aggregation) on the same batches, and with\n"
        "                        live also on the live rates\n"
        "  --port N              first of 5 loopback ports: nyckeld's ingest,\n"
        "                        pub and query, then the peers (default %d;\n"
        "                        when nyckeld cannot bind them, the next 5\n"
        "                        within 100 are tried)\n"
        "  --report FILE         also write the results in Markdown to FILE\n"
        "  --map-resident SIZE   give nyckeld --map-resident SIZE (its pages\n"
        "                        of the store kept mapped; 0: all of them)\n"
        "  -h, --help            this text\n"
        "\n"
        "Exit status: 0 done; 1 something failed (a rejected event, a\n"
        "missing ack, a program that failed, a cross-check mismatch);\n"
        "2 usage error. Times never make it fail.\n",
        RUNS_MAX, DEFAULT_RUNS, BENCH_MUNI_MAX, DEFAULT_MUNIS,
        DEFAULT_HOUSEHOLDS, EVENTS_PER_HOUSEHOLD,
        EVENTS_PER_HOUSEHOLD * DEFAULT_MUNIS * DEFAULT_HOUSEHOLDS / 1000,
        DEFAULT_DUPLICATES, DEFAULT_WINDOW, DEFAULT_LIVE_S,
#ifdef BENCH_HAVE_PEERS
        "redis,pg",
#else
        "none; this build has no peers",
#endif
        DEFAULT_PORT);
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max || s[0] == '-')
        return -EINVAL;
    *out = (unsigned)v;
    return 0;
}

static int parse_parts(const char *s, unsigned *out)
{
    char buf[256], *save = NULL;

    *out = 0;
    snprintf(buf, sizeof buf, "%s", s);
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        size_t i;

        for (i = 0; i < sizeof part_names / sizeof part_names[0]; i++)
            if (!strcmp(t, part_names[i]))
                break;
        if (i == sizeof part_names / sizeof part_names[0])
            return -EINVAL;
        *out |= 1u << i;
    }
    return *out ? 0 : -EINVAL;
}

static int check_peers(const char *s)
{
    char buf[256], *save = NULL;

    if (!strcmp(s, "none"))
        return 0;
#ifndef BENCH_HAVE_PEERS
    return -ENOTSUP;
#endif
    snprintf(buf, sizeof buf, "%s", s);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, "redis") && strcmp(t, "pg"))
            return -EINVAL;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    enum {
        O_BIN = 256,
        O_WORK,
        O_KEEP,
        O_RUNS,
        O_MUNIS,
        O_HH,
        O_DUPS,
        O_WINDOW,
        O_LIVE,
        O_PEERS,
        O_ONLY,
        O_PORT,
        O_REPORT,
        O_MAP_RESIDENT,
    };
    static const struct option lo[] = {
        {"bin", required_argument, NULL, O_BIN},
        {"work", required_argument, NULL, O_WORK},
        {"keep", no_argument, NULL, O_KEEP},
        {"runs", required_argument, NULL, O_RUNS},
        {"municipalities", required_argument, NULL, O_MUNIS},
        {"households", required_argument, NULL, O_HH},
        {"duplicates", required_argument, NULL, O_DUPS},
        {"window", required_argument, NULL, O_WINDOW},
        {"live-seconds", required_argument, NULL, O_LIVE},
        {"peers", required_argument, NULL, O_PEERS},
        {"only", required_argument, NULL, O_ONLY},
        {"port", required_argument, NULL, O_PORT},
        {"report", required_argument, NULL, O_REPORT},
        {"map-resident", required_argument, NULL, O_MAP_RESIDENT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned port = DEFAULT_PORT;
    int c, rc = 0;

    *o = (struct opts){
        .work_parent = "/tmp",
        .runs = DEFAULT_RUNS,
        .munis = DEFAULT_MUNIS,
        .households = DEFAULT_HOUSEHOLDS,
        .duplicates = DEFAULT_DUPLICATES,
        .window = DEFAULT_WINDOW,
        .live_s = DEFAULT_LIVE_S,
#ifdef BENCH_HAVE_PEERS
        .peers = "redis,pg",
#else
        .peers = "none",
#endif
        .parts = PART_ALL,
    };
    while (!rc && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_BIN:
            o->bin = optarg;
            break;
        case O_WORK:
            o->work_parent = optarg;
            break;
        case O_KEEP:
            o->keep = true;
            break;
        case O_RUNS:
            rc = parse_uint(optarg, 1, RUNS_MAX, &o->runs);
            break;
        case O_MUNIS:
            rc = parse_uint(optarg, 1, BENCH_MUNI_MAX, &o->munis);
            break;
        case O_HH:
            rc = parse_uint(optarg, 1, 10000000, &o->households);
            break;
        case O_DUPS:
            rc = parse_uint(optarg, 0, 100, &o->duplicates);
            break;
        case O_WINDOW:
            rc = parse_uint(optarg, 1, NYCKEL_WINDOW_MAX, &o->window);
            break;
        case O_LIVE:
            rc = parse_uint(optarg, 1, 3600, &o->live_s);
            break;
        case O_PEERS:
            o->peers = optarg;
            rc = check_peers(optarg);
            if (rc == -ENOTSUP)
                fprintf(stderr, PROG ": this build has no peers "
                                     "(bench/peer*.c): use --peers none\n");
            break;
        case O_ONLY:
            rc = parse_parts(optarg, &o->parts);
            break;
        case O_PORT:
            rc = parse_uint(optarg, 1024, 65400, &port);
            break;
        case O_REPORT:
            o->report = optarg;
            break;
        case O_MAP_RESIDENT:
            o->map_resident = optarg; /* nyckeld checks it at its start */
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            rc = -EINVAL;
        }
        if (rc && c != '?' && c != O_PEERS)
            fprintf(stderr, PROG ": bad value for --%s: %s\n",
                    lo[c - O_BIN].name, optarg);
    }
    if (!rc && optind < argc) {
        fprintf(stderr, PROG ": unexpected argument: %s\n", argv[optind]);
        rc = -EINVAL;
    }
    o->port = (int)port;
    return rc;
}

static int find_bin(struct bench *b, const char *argv0)
{
    char self[PATH_MAX - 32], dir[PATH_MAX - 32];
    struct {
        char *path;
        const char *name;
    } progs[] = {{b->nyckeld, "nyckeld"},
                 {b->gen, "nyckel-gen"},
                 {b->push, "nyckel-push"},
                 {b->query, "nyckel-query"}};

    if (b->o.bin) {
        if (snprintf(dir, sizeof dir, "%s", b->o.bin) >= (int)sizeof dir)
            return -ENAMETOOLONG;
    } else {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

        if (n <= 0)
            snprintf(self, sizeof self, "%s", argv0);
        else
            self[n] = '\0';
        snprintf(dir, sizeof dir, "%s", self);
        if (strrchr(dir, '/'))
            *strrchr(dir, '/') = '\0';
        else
            snprintf(dir, sizeof dir, ".");
    }
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        snprintf(progs[i].path, PATH_MAX, "%s/%s", dir, progs[i].name);
        if (access(progs[i].path, X_OK)) {
            fprintf(stderr, PROG ": %s: %s (see --bin)\n", progs[i].path,
                    strerror(errno));
            return -ENOENT;
        }
    }
    snprintf(b->floor, sizeof b->floor, "%s/nyckel-floor", dir);
    if ((b->o.parts & PART_FLOOR) && access(b->floor, X_OK)) {
        fprintf(stderr,
                PROG ": %s: %s (see --bin; `make bench` builds it, or leave "
                     "the floor out with --only)\n",
                b->floor, strerror(errno));
        return -ENOENT;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct bench bench;
    struct bench *b = &bench;
    struct bench_gen g;
    char *path = NULL;
    char tmpl[WORK_MAX];
    unsigned mismatches = 0;
    int rc;

    if (parse_args(argc, argv, &b->o)) {
        usage(stderr);
        return 2;
    }
    if (find_bin(b, argv[0]))
        return 2;
    b->port = b->o.port;
    /* the bench's nyckeld settings are on the command line; an
     * environment meant for another nyckeld must not add to them */
    unsetenv("NYCKEL_CONFIG");
    unsetenv("NYCKEL_STATE_DIR");
    unsetenv("NYCKEL_AS_OF");
    unsetenv("NYCKEL_LOG_LEVEL");
    unsetenv("NYCKEL_SUPPRESS_BELOW");
    unsetenv("NYCKEL_PUBLISH_INTERVAL");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    if (strlen(b->o.work_parent) + 24 > WORK_MAX) {
        fprintf(stderr, PROG ": --work: path too long\n");
        return 2;
    }
    snprintf(tmpl, sizeof tmpl, "%s/nyckel-bench.XXXXXX", b->o.work_parent);
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, PROG ": mkdtemp %s: %s\n", tmpl, strerror(errno));
        return 1;
    }
    snprintf(b->work, sizeof b->work, "%s", tmpl);
    progress("work directory %s", b->work);
    b->zctx = zmq_ctx_new();

    g = (struct bench_gen){.gen = b->gen,
                           .work_dir = b->work,
                           .municipalities = b->o.munis,
                           .households = b->o.households,
                           .duplicates_pct = b->o.duplicates};
    progress("generating %u municipalities x %u households with nyckel-gen",
             b->o.munis, b->o.households);
    rc = bench_events_generate(&g, b->gen_cmd, sizeof b->gen_cmd, &path);
    if (rc)
        goto out;
    rc = bench_events_load(&path, &b->ev);
    if (rc)
        goto out;
    rc = bench_frames_pack(b->ev.ev, b->ev.n, NYCKEL_BATCH_MAX_EVENTS,
                           (uint64_t)time(NULL) << 24, &b->frames);
    if (rc)
        goto out;
    progress("workload: %zu events, %zu frames, %.1f MiB pre-encoded", b->ev.n,
             b->frames.n, (double)b->frames.bytes / (1 << 20));
    snprintf(b->live_muni, sizeof b->live_muni, "%s", bench_muni_code(0));
    samples_make(b);

    for (unsigned run = 0; run < b->o.runs; run++) {
        if (b->o.parts & ~(unsigned)(PART_PUSH | PART_FLOOR)) {
            rc = run_nyckeld(b, run);
            if (rc)
                goto out;
        }
        if (b->o.parts & PART_PUSH) {
            rc = run_push(b, run);
            if (rc)
                goto out;
        }
        if (b->o.parts & PART_FLOOR) {
            rc = run_floor(b, run);
            if (rc)
                goto out;
        }
    }
    if (b->o.parts & PART_PEERS && strcmp(b->o.peers, "none")) {
        rc = run_peers(b);
        if (rc)
            goto out;
        for (unsigned i = 0; i < b->r.n_peers; i++)
            mismatches += b->r.peer[i].mismatches;
    }

    report(b, argc, argv, mismatches);
    if (mismatches) {
        fprintf(stderr, PROG ": FAILED: %u cross-checked slices differ\n",
                mismatches);
        rc = BENCH_ECHILD;
    }
    if (b->r.rebuild_failed) {
        b->failed_keep = true;
        rc = BENCH_ECHILD;
    }
out:
    if (rc && rc != BENCH_ECHILD)
        fprintf(stderr, PROG ": FAILED: %s\n",
                rc < 0 && rc > -1000 ? strerror(-rc) : "see above");
    free(path);
    /* every socket is closed: the context's end waits for libzmq to let
     * go of the frames it was given without a copy */
    if (b->zctx)
        zmq_ctx_term(b->zctx);
    bench_frames_free(&b->frames);
    bench_events_free(&b->ev);
    if (rc && !mismatches)
        b->failed_keep = true;
    if (b->o.keep || b->failed_keep)
        progress("work directory kept: %s", b->work);
    else
        rm_tree(b->work);
    return rc ? 1 : 0;
}
