/*
 * notify.h — nyckeld's side of the service manager's notification
 * protocol (sd_notify(3); systemd/nyckeld.service is Type=notify):
 * READY=1 once the store is open and the sockets are bound, STATUS= with
 * the global sequence, its rate and the as-of day, WATCHDOG=1 at half of
 * $WATCHDOG_USEC, STOPPING=1 when nyckeld stops.
 *
 * The loop drives it with its own monotonic clock (now_ms), so nothing
 * here sleeps or reads a clock. Without $NOTIFY_SOCKET (not started by
 * systemd, most tests) every call does nothing. The only file that
 * includes <systemd/sd-daemon.h> (STYLE 2).
 */
#ifndef NYCKEL_NOTIFY_H
#define NYCKEL_NOTIFY_H

#include <stdint.h>

#define NOTIFY_STATUS_MS 1000     /* STATUS= refreshed at most this often */
#define NOTIFY_SAMPLE_MS 5000     /* one rate sample per this interval */
#define NOTIFY_WINDOW_MS 60000    /* the rate is over this window */
#define NOTIFY_NEVER_MS INT64_MAX /* notify_tick: nothing ever due */

struct notify;

/* Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (the watchdog is
 * on only when WATCHDOG_PID is ours or unset). Always 0. */
int notify_new(struct notify **out);
/* NULL-safe, nulls *n. */
void notify_destroy(struct notify **n);

/* The service is up: READY=1 with a first STATUS= and WATCHDOG=1. seq is
 * the committed global sequence, as_of the as-of day (day number). */
void notify_ready(struct notify *n, uint64_t seq, int32_t as_of,
                  int64_t now_ms);

/* Whatever is due at now_ms: WATCHDOG=1, a refreshed STATUS= (sent only
 * when its text changed). Returns the ms until something is due next
 * (>= 0), NOTIFY_NEVER_MS when nothing ever is. */
int64_t notify_tick(struct notify *n, uint64_t seq, int32_t as_of,
                    int64_t now_ms);

/* STOPPING=1 with STATUS=why (a short text, e.g. "stopping: SIGTERM"). */
void notify_stopping(struct notify *n, const char *why);

#endif
