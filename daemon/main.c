/*
 * main.c — nyckeld: wiring only. Configuration, the store, the three
 * sockets, the loop, and an orderly shutdown.
 *
 * Exit status: 0 after SIGTERM/SIGINT (or --help/--version), 1 when the
 * daemon could not start or the store failed, 2 for bad usage.
 */
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "ingest.h"
#include "log.h"
#include "loop.h"
#include "metrics_http.h"
#include "period.h"
#include "publish.h"
#include "query.h"
#include "rebuild.h"
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define MAIN_REBUILD_GROWTHS 64 /* map doublings for one --rebuild */

/* The rebuilt records are written beside the old ones until the
 * commit, so a map of less than twice the pages in use may fill up
 * half-way, and the rebuild starts again: grow it first (within
 * --max-db-size; the map is address space, the file grows as it is
 * written). */
static void main_rebuild_room(struct store *st)
{
    struct store_usage u;
    while (store_usage(st, &u) == 0 && u.map_bytes < 2 * u.used_bytes &&
           store_grow(st) == 0)
        ;
}

/* --rebuild and --verify: 0 done and clean, 1 failed or differences. */
static int main_rebuild(const struct config *cfg)
{
    bool verify = cfg->mode == CONFIG_MODE_VERIFY;
    const char *what = verify ? "verify" : "rebuild";
    struct store *st = NULL;
    struct rebuild_report r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc =
        verify ? store_open(cfg->state_dir, cfg->max_db_bytes, &st)
               : store_open_for_rebuild(cfg->state_dir, cfg->max_db_bytes, &st);
    if (rc) {
        log_error("store: open %s: %s", cfg->state_dir, store_strerror(rc));
        return 1;
    }
    /* The recomputed records are written in one transaction beside the
     * old ones until it commits: a store that fills more than half its
     * map needs a bigger one. Grow first, and should it still fill,
     * grow and redo, as a batch does. */
    if (!verify)
        main_rebuild_room(st);
    for (int tries = 0;; tries++) {
        rc = rebuild_run(st, verify, stdout, &r);
        if (rc != STORE_EMAPFULL || tries == MAIN_REBUILD_GROWTHS)
            break;
        if ((rc = store_grow(st)))
            break;
        log_info("%s: map full, grown to %llu MiB, starting again", what,
                 (unsigned long long)(store_map_bytes(st) >> 20));
    }
    store_close(&st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc) {
        log_error("%s: %s", what, store_strerror(rc));
        return 1;
    }
    printf("nyckeld %s: %llu entities (%llu deleted), %llu records "
           "recomputed, %s in %.2f s\n",
           what, (unsigned long long)r.entities,
           (unsigned long long)r.tombstones, (unsigned long long)r.records,
           verify ? (r.differences ? "DIFFERENCES FOUND" : "no difference")
                  : "stored",
           s);
    if (verify && r.differences) {
        printf("nyckeld verify: %llu records differ\n",
               (unsigned long long)r.differences);
        return 1;
    }
    return 0;
}

/* --backup DIR: 0 done, 1 failed. */
static int main_backup(const struct config *cfg)
{
    struct store *st = NULL;
    int rc = store_open(cfg->state_dir, cfg->max_db_bytes, &st);
    if (rc) {
        log_error("store: open %s: %s", cfg->state_dir, store_strerror(rc));
        return 1;
    }
    uint64_t seq = store_committed_seq(st);
    rc = store_backup(st, cfg->backup_dir);
    store_close(&st);
    if (rc) {
        log_error("backup: %s: %s", cfg->backup_dir, store_strerror(rc));
        return 1;
    }
    printf("nyckeld backup: %s copied to %s (sequence %llu or later)\n",
           cfg->state_dir, cfg->backup_dir, (unsigned long long)seq);
    return 0;
}

/* --check-config: the keys file loads as auth_new would load it. */
static int main_keys_check(const char *path, char *why, size_t why_len)
{
    struct auth_client *clients = NULL;
    size_t n = 0;
    if (auth_keys_load(path, &clients, &n, why, why_len))
        return -1;
    auth_clients_free(clients, n);
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg;
    if (config_parse(argc, argv, &cfg))
        return 2;
    if (cfg.mode == CONFIG_MODE_HELP || cfg.mode == CONFIG_MODE_VERSION)
        return 0;
    log_set_level(cfg.log_level);
    if (cfg.mode == CONFIG_MODE_REBUILD || cfg.mode == CONFIG_MODE_VERIFY)
        return main_rebuild(&cfg);
    if (cfg.mode == CONFIG_MODE_BACKUP)
        return main_backup(&cfg);
    if (cfg.mode == CONFIG_MODE_CHECK)
        return config_check(&cfg, main_keys_check);
    clock_set_fixed(cfg.as_of_day);
    loop_signals_install();

    int status = 1, rc;
    struct store *st = NULL;
    struct publish *pub = NULL;
    struct ingest *in = NULL;
    struct query *q = NULL;
    struct auth *auth = NULL;
    struct stats *stats = NULL;
    struct metrics_http *http = NULL;
    void *zctx = zmq_ctx_new();
    char why[512];

    if ((rc = store_open(cfg.state_dir, cfg.max_db_bytes, &st))) {
        log_error("store: open %s: %s", cfg.state_dir, store_strerror(rc));
        goto out;
    }
    /* the ZAP handler before any socket binds */
    if (cfg.curve_secret[0] &&
        auth_new(zctx, cfg.curve_secret, cfg.keys, &auth, why, sizeof(why))) {
        log_error("auth: %s", why);
        goto out;
    }
    if ((rc = publish_new(zctx, cfg.pub, auth, &pub))) {
        log_error("publish: bind %s: %s", cfg.pub, zmq_strerror(-rc));
        goto out;
    }
    if ((rc = ingest_new(zctx, cfg.ingest, auth, st, pub, &in))) {
        log_error("ingest: bind %s: %s", cfg.ingest, zmq_strerror(-rc));
        goto out;
    }
    if ((rc = query_new(zctx, cfg.query, auth, st, &q))) {
        log_error("query: bind %s: %s", cfg.query, zmq_strerror(-rc));
        goto out;
    }
    if (auth_start(auth, zctx, why, sizeof(why))) {
        log_error("auth: %s", why);
        goto out;
    }
    query_set_suppress_below(q, cfg.suppress_below);
    publish_set_suppress_below(pub, cfg.suppress_below);
    publish_set_interval(pub, (int64_t)cfg.publish_interval_s * 1000);
    stats = stats_new(auth);
    ingest_set_stats(in, stats);
    query_set_stats(q, stats);
    publish_set_stats(pub, stats);
    if (cfg.metrics_listen[0] && metrics_http_start(cfg.metrics_listen, stats,
                                                    &http, why, sizeof(why))) {
        log_error("metrics: %s", why);
        goto out;
    }
    int32_t store_as_of;
    if ((rc = publish_as_of_load(st, clock_as_of(), &store_as_of))) {
        log_error("store: read as-of day: %s", store_strerror(rc));
        goto out;
    }
    char as_of[11];
    period_date_format(clock_as_of(), as_of);
    log_info("nyckeld %s: state %s, ingest %s, pub %s, query %s, as-of %s%s, "
             "%s",
             NYCKEL_VERSION, cfg.state_dir, cfg.ingest, cfg.pub, cfg.query,
             as_of, cfg.as_of_day >= 0 ? " (fixed)" : "",
             auth ? "CURVE" : "no CURVE (loopback)");

    /* Catch up with the clock before the first query is answered (the
     * loop would do it on its first turn, but queries have their own
     * thread): a restart must not answer as of the day it stopped. */
    if (store_as_of != clock_as_of() &&
        ingest_rollover(in, store_as_of, clock_as_of()) == 0)
        store_as_of = clock_as_of(); /* else the loop tries again */
    query_set_as_of(q, store_as_of);
    if ((rc = query_start(q))) {
        log_error("query: start its thread: %s", strerror(-rc));
        goto out;
    }
    struct loop_parts parts = {.store = st,
                               .ingest = in,
                               .query = q,
                               .publish = pub,
                               .heartbeat_ms = cfg.heartbeat_ms,
                               .map_resident = cfg.map_resident_bytes,
                               .as_of = store_as_of};
    rc = loop_run(&parts);
    status = rc ? 1 : 0;
    if (rc)
        log_error("nyckeld: stopping after a store failure (%s); the batch "
                  "was not acknowledged",
                  store_strerror(rc));
out:
    metrics_http_stop(&http);
    query_destroy(&q);
    ingest_destroy(&in);
    publish_destroy(&pub);
    stats_destroy(&stats);
    auth_destroy(&auth);
    store_close(&st);
    zmq_ctx_term(zctx);
    if (status == 0)
        log_info("nyckeld: stopped");
    return status;
}
