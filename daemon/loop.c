/*
 * loop.c — poll, timers and signals (see loop.h). The service manager
 * hears from here too (notify.h): READY=1 when the loop starts, since by
 * then the store is open and every socket is bound; WATCHDOG=1 from the
 * loop itself, so a loop that no longer turns gets nyckeld restarted.
 */
#include "loop.h"

#include "clock.h"
#include "log.h"
#include "notify.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* The store's pages this process keeps mapped, at most (store_trim(),
 * --map-resident): past it they are left to the kernel's page cache, so
 * that nyckeld's resident set is its own memory, not the store's size.
 * Checked after every ingest group and every few hundred reads and puts
 * (a look at /proc/self/statm). A trim drops every page of the map, and
 * the next lookups fault their way down the trees again: each fault
 * maps its 16 neighbours too (the kernel's fault-around), or a large
 * folio whole (store_trim_below() pages out now and then so that they
 * come back small), so a few hundred lookups fill tens of MiB. Trimming
 * whenever a budget of two thirds was passed did so every other group
 * of a live feed and made a third of its time. So two thirds are kept
 * once a heartbeat (queries read through the map too), the whole budget
 * at once. */
static uint64_t loop_map_resident_beat(uint64_t budget)
{
    return budget / 3 * 2;
}

/* store_trim_below(), saying once that it cannot. */
static void loop_trim(struct store *st, uint64_t budget, bool *warned)
{
    int rc = store_trim_below(st, budget);
    if (rc < 0 && !*warned)
        log_warn("loop: cannot trim the store's mapped pages: %s",
                 store_strerror(rc));
    *warned = *warned || rc < 0;
}

/* The public stream forgets a slice it sent nothing of for this long
 * (publish_sweep()), looking once in that time. */
#define LOOP_SLOT_IDLE_MS 60000

static volatile sig_atomic_t loop_stop_signal;
static volatile sig_atomic_t loop_next_day;

static void loop_on_signal(int sig)
{
    if (sig == SIGUSR1)
        loop_next_day = 1;
    else
        loop_stop_signal = sig;
}

void loop_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = loop_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_run(const struct loop_parts *parts)
{
    /* queries are answered on their own thread (query_start) */
    zmq_pollitem_t items[2] = {
        {.socket = ingest_socket(parts->ingest), .events = ZMQ_POLLIN},
        {.socket = publish_socket(parts->publish), .events = ZMQ_POLLIN},
    };
    int32_t as_of = parts->as_of;
    int64_t next_beat = loop_now_ms();
    int64_t next_sweep = next_beat + LOOP_SLOT_IDLE_MS;
    bool trim_warned = false;
    store_set_resident_max(parts->store, parts->map_resident);
    int rc = 0;
    struct notify *nt = NULL;
    notify_new(&nt);
    notify_ready(nt, store_committed_seq(parts->store), as_of, next_beat);

    while (!loop_stop_signal) {
        int64_t now = loop_now_ms();
        if (now >= next_beat) {
            publish_heartbeat(parts->publish, store_committed_seq(parts->store),
                              as_of);
            next_beat = now + parts->heartbeat_ms;
            loop_trim(parts->store, loop_map_resident_beat(parts->map_resident),
                      &trim_warned);
        }
        if (now >= next_sweep) {
            publish_sweep(parts->publish, LOOP_SLOT_IDLE_MS);
            next_sweep = now + LOOP_SLOT_IDLE_MS;
        }
        int64_t wait = next_beat - now;
        int64_t to_midnight = clock_ms_to_midnight();
        if (to_midnight < wait)
            wait = to_midnight;
        int64_t to_notify =
            notify_tick(nt, store_committed_seq(parts->store), as_of, now);
        if (to_notify < wait)
            wait = to_notify;
        int64_t to_flush = publish_flush(parts->publish);
        if (to_flush < wait)
            wait = to_flush;
        if (zmq_poll(items, 2, (long)(wait > 0 ? wait : 0)) < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            log_error("loop: poll: %s", zmq_strerror(-rc));
            goto out;
        }
        if (loop_next_day) {
            loop_next_day = 0;
            if (clock_is_fixed())
                clock_set_fixed(clock_as_of() + 1);
        }
        int32_t today = clock_as_of();
        if (today != as_of &&
            ingest_rollover(parts->ingest, as_of, today) == 0) {
            as_of = today; /* else tried again on the next turn */
            query_set_as_of(parts->query, as_of);
        }
        if (items[0].revents & ZMQ_POLLIN) {
            rc = ingest_handle(parts->ingest, as_of);
            if (rc)
                goto out;
            loop_trim(parts->store, parts->map_resident, &trim_warned);
        }
        if (items[1].revents & ZMQ_POLLIN)
            publish_handle(parts->publish);
    }
    log_info("loop: %s received, stopping",
             loop_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
out:
    if (rc)
        notify_stopping(nt, "stopping: fatal error, see the log");
    else
        notify_stopping(nt, loop_stop_signal == SIGINT ? "stopping: SIGINT"
                                                       : "stopping: SIGTERM");
    notify_destroy(&nt);
    return rc;
}
