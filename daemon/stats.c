/*
 * stats.c — nyckeld's own counters and their Prometheus text (see
 * stats.h).
 *
 * One mutex guards the values: the main thread takes it once per batch
 * (not per event) and per subscription request, the HTTP thread once
 * per scrape to copy them. C11 atomics per counter would avoid the lock
 * but let a scrape see a histogram bucket without its count; a copy
 * under a lock is race-free by construction and costs nothing at these
 * rates.
 */
#include "stats.h"

#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

const double stats_commit_le[STATS_COMMIT_BUCKETS] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5,
};

struct stats {
    pthread_mutex_t lock;
    struct stats_values v;   /* under lock */
    struct timespec start;   /* CLOCK_MONOTONIC at stats_new */
    const struct auth *auth; /* borrowed; NULL: no CURVE */
};

static double stats_seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

struct stats *stats_new(const struct auth *auth)
{
    struct stats *s = xcalloc(1, sizeof(*s));
    struct timespec now;
    pthread_mutex_init(&s->lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    clock_gettime(CLOCK_REALTIME, &now);
    s->v.version = NYCKEL_VERSION;
    s->v.start_time_s =
        (double)now.tv_sec + (double)(now.tv_nsec / 1000000) / 1e3;
    s->auth = auth;
    return s;
}

void stats_destroy(struct stats **sp)
{
    struct stats *s = sp ? *sp : NULL;
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
    *sp = NULL;
}

void stats_add_batch(struct stats *s, const struct stats_batch *b)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    struct stats_values *v = &s->v;
    v->events_received += b->events;
    if (b->refused && b->refusal < STATS_REFUSALS) {
        v->batches_refused[b->refusal]++;
    } else if (!b->refused) {
        v->batches_accepted++;
        for (int i = 0; i < STATS_STATUSES; i++)
            v->events[i] += b->status[i];
        for (int r = 0; r < REASON_COUNT; r++)
            v->rejected[r] += b->rejected[r];
        int k = 0;
        while (k < STATS_COMMIT_BUCKETS && b->commit_s > stats_commit_le[k])
            k++;
        if (k < STATS_COMMIT_BUCKETS)
            v->commit_bucket[k]++; /* above the last: in the count only */
        v->commit_count++;
        v->commit_seconds_sum += b->commit_s;
    }
    pthread_mutex_unlock(&s->lock);
}

void stats_set_store(struct stats *s, uint64_t seq, uint64_t map_bytes,
                     uint64_t used_bytes, uint64_t max_bytes)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->v.seq = seq;
    s->v.map_bytes = map_bytes;
    s->v.used_bytes = used_bytes;
    s->v.max_bytes = max_bytes;
    pthread_mutex_unlock(&s->lock);
}

void stats_subscriptions_add(struct stats *s, int64_t delta)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    if (delta >= 0)
        s->v.subscriptions += (uint64_t)delta;
    else if ((uint64_t)-delta < s->v.subscriptions)
        s->v.subscriptions -= (uint64_t)-delta;
    else
        s->v.subscriptions = 0;
    pthread_mutex_unlock(&s->lock);
}

void stats_snapshot(struct stats *s, struct stats_values *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->v;
    pthread_mutex_unlock(&s->lock);
    out->uptime_s = stats_seconds_since(&s->start);
    out->handshakes_refused = auth_refused(s->auth); /* atomic in auth.c */
}

const char *stats_status_name(enum stats_status st)
{
    static const char *const names[STATS_STATUSES] = {
        [STATS_ACCEPTED] = "accepted",
        [STATS_DUPLICATE] = "duplicate",
        [STATS_STALE] = "stale",
        [STATS_REJECTED] = "rejected",
    };
    return (int)st >= 0 && st < STATS_STATUSES ? names[st] : "unknown";
}

const char *stats_refusal_name(enum stats_refusal r)
{
    static const char *const names[STATS_REFUSALS] = {
        [STATS_REFUSED_MALFORMED] = "malformed",
        [STATS_REFUSED_OVERSIZED] = "oversized",
        [STATS_REFUSED_PROTOCOL] = "protocol",
        [STATS_REFUSED_TOO_MANY_EVENTS] = "too_many_events",
        [STATS_REFUSED_STORAGE_FULL] = "storage_full",
        [STATS_REFUSED_FORBIDDEN] = "forbidden",
        [STATS_REFUSED_INTERNAL] = "internal",
    };
    return (int)r >= 0 && r < STATS_REFUSALS ? names[r] : "unknown";
}

/* ------------------------------------------------------------ render */

/* A sample value as Prometheus reads it (Go's ParseFloat): integers
 * plainly, others in the shortest form that reads back the same. */
static void stats_put_number(FILE *out, double v)
{
    if (isnan(v)) {
        fputs("NaN", out);
        return;
    }
    if (isinf(v)) {
        fputs(v > 0 ? "+Inf" : "-Inf", out);
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        fprintf(out, "%.0f", v);
        return;
    }
    char buf[32];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, out);
}

/* A label value in double quotes: backslash, double quote and line feed
 * escaped as the format wants (\\, \", \n); everything else as it is. */
static void stats_put_label(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        if (*s == '\\')
            fputs("\\\\", out);
        else if (*s == '"')
            fputs("\\\"", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

/* The # HELP and # TYPE lines of a metric (help is ours: no backslash,
 * no newline). */
static void stats_put_head(FILE *out, const char *name, const char *type,
                           const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void stats_put_u64(FILE *out, const char *name, const char *type,
                          const char *help, uint64_t v)
{
    stats_put_head(out, name, type, help);
    fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

static void stats_put_labelled(FILE *out, const char *name, const char *label,
                               const char *value, uint64_t v)
{
    fprintf(out, "%s{%s=", name, label);
    stats_put_label(out, value);
    fprintf(out, "} %llu\n", (unsigned long long)v);
}

int stats_render(FILE *out, const struct stats_values *v)
{
    stats_put_head(out, "nyckel_build_info", "gauge",
                   "nyckeld's version as a label; the value is always 1.");
    fputs("nyckel_build_info{version=", out);
    stats_put_label(out, v->version);
    fputs("} 1\n", out);

    stats_put_head(out, "nyckel_start_time_seconds", "gauge",
                   "When nyckeld started, Unix time in seconds.");
    fputs("nyckel_start_time_seconds ", out);
    stats_put_number(out, v->start_time_s);
    fputc('\n', out);
    stats_put_head(out, "nyckel_uptime_seconds", "gauge",
                   "Seconds since nyckeld started.");
    fputs("nyckel_uptime_seconds ", out);
    stats_put_number(out, v->uptime_s);
    fputc('\n', out);

    stats_put_u64(out, "nyckel_events_received_total", "counter",
                  "Events in ingest batches that could be decoded.",
                  v->events_received);
    stats_put_head(out, "nyckel_events_total", "counter",
                   "Events of applied batches by the status in their ack.");
    for (int i = 0; i < STATS_STATUSES; i++)
        stats_put_labelled(out, "nyckel_events_total", "status",
                           stats_status_name((enum stats_status)i),
                           v->events[i]);
    stats_put_head(out, "nyckel_events_rejected_total", "counter",
                   "Rejected events by reason code.");
    for (int r = REASON_OK + 1; r < REASON_COUNT; r++)
        stats_put_labelled(out, "nyckel_events_rejected_total", "reason",
                           reason_code((enum reason)r), v->rejected[r]);

    stats_put_u64(out, "nyckel_batches_accepted_total", "counter",
                  "Ingest batches applied, committed and acknowledged.",
                  v->batches_accepted);
    stats_put_head(out, "nyckel_batches_refused_total", "counter",
                   "Ingest batches refused whole (nothing of them applied), "
                   "by reason.");
    for (int i = 0; i < STATS_REFUSALS; i++)
        stats_put_labelled(out, "nyckel_batches_refused_total", "reason",
                           stats_refusal_name((enum stats_refusal)i),
                           v->batches_refused[i]);

    stats_put_head(out, "nyckel_batch_commit_seconds", "histogram",
                   "Time from an accepted batch's receipt to its durable "
                   "commit (validation, aggregation, LMDB commit and sync).");
    uint64_t cum = 0;
    for (int i = 0; i < STATS_COMMIT_BUCKETS; i++) {
        cum += v->commit_bucket[i];
        fputs("nyckel_batch_commit_seconds_bucket{le=\"", out);
        stats_put_number(out, stats_commit_le[i]);
        fprintf(out, "\"} %llu\n", (unsigned long long)cum);
    }
    fprintf(out, "nyckel_batch_commit_seconds_bucket{le=\"+Inf\"} %llu\n",
            (unsigned long long)v->commit_count);
    fputs("nyckel_batch_commit_seconds_sum ", out);
    stats_put_number(out, v->commit_seconds_sum);
    fprintf(out, "\nnyckel_batch_commit_seconds_count %llu\n",
            (unsigned long long)v->commit_count);

    stats_put_u64(out, "nyckel_sequence", "gauge",
                  "Global sequence number of the last commit.", v->seq);
    stats_put_u64(out, "nyckel_store_map_size_bytes", "gauge",
                  "Current size of the LMDB map.", v->map_bytes);
    stats_put_u64(out, "nyckel_store_used_bytes", "gauge",
                  "Bytes of the LMDB map in use (up to its highest page "
                  "written).",
                  v->used_bytes);
    stats_put_u64(out, "nyckel_store_max_size_bytes", "gauge",
                  "Size the LMDB map may grow to (--max-db-size); at it "
                  "batches are refused as storage_full.",
                  v->max_bytes);
    stats_put_u64(out, "nyckel_subscriptions", "gauge",
                  "Subscription requests on the updates socket granted and "
                  "not yet withdrawn (also by a disconnect).",
                  v->subscriptions);
    stats_put_u64(out, "nyckel_handshakes_refused_total", "counter",
                  "CURVE handshakes refused (unknown key, no key, no "
                  "CURVE).",
                  v->handshakes_refused);
    return ferror(out) ? -EIO : 0;
}
