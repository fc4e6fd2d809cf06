/*
 * notify.c — READY/STATUS/WATCHDOG/STOPPING for the service manager
 * (see notify.h).
 *
 * libsystemd's sd_notify() sends: one datagram with our credentials to
 * $NOTIFY_SOCKET, a path or an abstract ('@') socket. The rate in STATUS=
 * is kept here because ingest exposes no event counters: the committed
 * global sequence counts published slice updates, the one live measure
 * of work done that the loop can read (store_committed_seq).
 */
#include "notify.h"

#include "log.h"
#include "period.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

/* One sample per NOTIFY_SAMPLE_MS; a full ring spans NOTIFY_WINDOW_MS. */
#define NOTIFY_SAMPLES (NOTIFY_WINDOW_MS / NOTIFY_SAMPLE_MS + 1)
#define NOTIFY_STATUS_MAX 160 /* STATUS= text, bytes incl. NUL */
#define NOTIFY_MSG_MAX 256    /* one datagram, bytes incl. NUL */

struct notify_sample {
    int64_t at_ms; /* monotonic ms */
    uint64_t seq;  /* committed global sequence at at_ms */
};

struct notify {
    bool enabled;             /* $NOTIFY_SOCKET is set */
    bool failing;             /* the last send failed (logged once) */
    int64_t watchdog_ms;      /* WATCHDOG=1 interval, ms; 0: none */
    int64_t next_watchdog_ms; /* monotonic ms of the next WATCHDOG=1 */
    int64_t next_status_ms;   /* monotonic ms of the next STATUS= check */
    int64_t next_sample_ms;   /* monotonic ms of the next rate sample */
    struct notify_sample samples[NOTIFY_SAMPLES]; /* ring, oldest at head */
    size_t head;                    /* index of the oldest sample */
    size_t n_samples;               /* 0..NOTIFY_SAMPLES */
    char status[NOTIFY_STATUS_MAX]; /* the STATUS= text last sent */
};

int notify_new(struct notify **out)
{
    struct notify *n = xcalloc(1, sizeof(*n));
    const char *sock = getenv("NOTIFY_SOCKET");
    n->enabled = sock && *sock;
    if (n->enabled) {
        uint64_t usec = 0;
        int rc = sd_watchdog_enabled(0, &usec);
        if (rc < 0)
            log_warn("notify: $WATCHDOG_USEC: %s; no watchdog pings",
                     strerror(-rc));
        else if (rc > 0)
            /* half the timeout, as sd_watchdog_enabled(3) advises */
            n->watchdog_ms = usec >= 2000 ? (int64_t)(usec / 2000) : 1;
    }
    *out = n;
    return 0;
}

void notify_destroy(struct notify **n)
{
    if (!n || !*n)
        return;
    free(*n);
    *n = NULL;
}

static void notify_send(struct notify *n, const char *msg)
{
    int rc = sd_notify(0, msg);
    /* One line per outage, not one per second while it lasts. */
    if (rc < 0 && !n->failing)
        log_warn("notify: send to $NOTIFY_SOCKET: %s", strerror(-rc));
    n->failing = rc < 0;
}

static void notify_sample_add(struct notify *n, uint64_t seq, int64_t now_ms)
{
    size_t i;
    if (n->n_samples == NOTIFY_SAMPLES) {
        i = n->head; /* overwrite the oldest */
        n->head = (n->head + 1) % NOTIFY_SAMPLES;
    } else {
        i = (n->head + n->n_samples) % NOTIFY_SAMPLES;
        n->n_samples++;
    }
    n->samples[i] = (struct notify_sample){.at_ms = now_ms, .seq = seq};
}

/* "serving; seq 8148, 56.0 updates/s over the last minute; as-of
 * 2015-06-01". Until the ring is full its oldest sample is the one taken
 * at READY, hence "since start". */
static void notify_status_format(const struct notify *n, uint64_t seq,
                                 int32_t as_of, int64_t now_ms, char *out,
                                 size_t cap)
{
    char day[11];
    period_date_format(as_of, day);
    const struct notify_sample *old = &n->samples[n->head];
    int64_t span_ms = n->n_samples ? now_ms - old->at_ms : 0;
    if (span_ms < 1000 || seq < old->seq) {
        snprintf(out, cap, "serving; seq %llu; as-of %s",
                 (unsigned long long)seq, day);
        return;
    }
    double rate = (double)(seq - old->seq) * 1000.0 / (double)span_ms;
    snprintf(out, cap, "serving; seq %llu, %.1f updates/s %s; as-of %s",
             (unsigned long long)seq, rate,
             n->n_samples == NOTIFY_SAMPLES ? "over the last minute"
                                            : "since start",
             day);
}

void notify_ready(struct notify *n, uint64_t seq, int32_t as_of, int64_t now_ms)
{
    if (!n->enabled)
        return;
    notify_sample_add(n, seq, now_ms);
    n->next_sample_ms = now_ms + NOTIFY_SAMPLE_MS;
    n->next_status_ms = now_ms + NOTIFY_STATUS_MS;
    n->next_watchdog_ms = now_ms + n->watchdog_ms;
    notify_status_format(n, seq, as_of, now_ms, n->status, sizeof(n->status));
    char msg[NOTIFY_MSG_MAX];
    snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s%s", n->status,
             n->watchdog_ms ? "\nWATCHDOG=1" : "");
    notify_send(n, msg);
    if (n->watchdog_ms)
        log_info("notify: ready; watchdog every %lld ms",
                 (long long)n->watchdog_ms);
    else
        log_info("notify: ready; no watchdog");
}

int64_t notify_tick(struct notify *n, uint64_t seq, int32_t as_of,
                    int64_t now_ms)
{
    if (!n->enabled)
        return NOTIFY_NEVER_MS;
    if (n->watchdog_ms && now_ms >= n->next_watchdog_ms) {
        notify_send(n, "WATCHDOG=1");
        n->next_watchdog_ms = now_ms + n->watchdog_ms;
    }
    if (now_ms >= n->next_sample_ms) {
        notify_sample_add(n, seq, now_ms);
        n->next_sample_ms = now_ms + NOTIFY_SAMPLE_MS;
    }
    if (now_ms >= n->next_status_ms) {
        char text[NOTIFY_STATUS_MAX];
        notify_status_format(n, seq, as_of, now_ms, text, sizeof(text));
        if (strcmp(text, n->status) != 0) {
            char msg[NOTIFY_MSG_MAX];
            snprintf(msg, sizeof(msg), "STATUS=%s", text);
            notify_send(n, msg);
            memcpy(n->status, text, sizeof(text));
        }
        n->next_status_ms = now_ms + NOTIFY_STATUS_MS;
    }
    int64_t next = n->next_status_ms;
    if (n->next_sample_ms < next)
        next = n->next_sample_ms;
    if (n->watchdog_ms && n->next_watchdog_ms < next)
        next = n->next_watchdog_ms;
    return next > now_ms ? next - now_ms : 0;
}

void notify_stopping(struct notify *n, const char *why)
{
    if (!n->enabled)
        return;
    char msg[NOTIFY_MSG_MAX];
    snprintf(msg, sizeof(msg), "STOPPING=1\nSTATUS=%s", why);
    notify_send(n, msg);
}
