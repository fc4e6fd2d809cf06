/*
 * peer_redis.c — the Redis peer of nyckel-bench (see peer.h): what a
 * team would build on Redis instead of nyckeld, done well.
 *
 * redis-server runs as a child in the peer's directory with its append
 * only file synced every second (appendfsync everysec, no RDB saves).
 * This client keeps what it needs to decide each event in its own
 * memory, as such a client would: per payment entity its latest revision
 * and contribution (revisions, duplicates, stale events, tombstones), and
 * per (household, raw slice) member its net paid per month. For every
 * accepted change it computes, exactly as daemon/agg_eb.c does, the
 * deltas of the eb cells it changes, and sends them as HINCRBY on one
 * hash per cell ("0127/eb/2014-Q3/unit=ekb", fields paid, households,
 * household_months): the sums (paid, household_months) in the month's
 * cell, which a longer period adds up when read (as nyckeld's
 * agg_sums_by_month(): age-band slices of R12 windows across new year
 * keep them in their own cell), the distinct households in every
 * period where they change, plus HINCRBY of the member's month net (hash
 * "m:0127/eb/unit=ekb/hh-1", field "2014-08") so that Redis holds the
 * state the counters rest on. Commands are pipelined: up to two chunks
 * in flight, the older chunk's replies read while the next is built, so
 * the server works while the client computes. A load is done when the
 * last reply has been read.
 */
#include "peer_impl.h"

#include "cell.h"

#include <hiredis.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDIS_CHUNK 4096      /* commands per pipeline chunk */
#define REDIS_MEMBER_REACH 11 /* periods containing m: m-11..m+11 */
#define REDIS_KEY_MAX 256     /* bytes of a cell or member key */
#define REDIS_CONNECT_TIMEOUT_MS 500
#define REDIS_MONTHS                                                           \
    ((PERIOD_YEAR_MAX - PERIOD_YEAR_MIN + 1) * 12) /* month cache slots */

/* What one live payment adds to the figures. */
struct redis_contrib {
    char muni[8];
    char unit[PEER_FIELD_MAX];
    char household[PEER_FIELD_MAX];
    char category[PEER_FIELD_MAX];
    int32_t month; /* month index */
    int64_t amount_ore;
    int head_birth_year;
};

/* The latest revision of one payment entity. */
struct redis_entity {
    uint64_t revision;
    bool live; /* false: a tombstone, c unused */
    struct redis_contrib c;
};

/* One month of a member: net paid öre, never 0 (removed then). */
struct redis_month {
    int32_t month;
    int64_t net_ore;
};

/* A household in one raw slice: its months sorted. */
struct redis_member {
    struct redis_month *m;
    size_t n, cap;
};

/* The periods containing one month, with their ids. */
struct redis_periods {
    size_t n;
    struct period p[PERIOD_CONTAINING_MAX];
    char id[PERIOD_CONTAINING_MAX][PERIOD_ID_MAX];
    int first_year[PERIOD_CONTAINING_MAX]; /* labels age bands */
    char month_id[8];                      /* "2014-08" */
};

struct redis_peer {
    pid_t pid;
    char log[PATH_MAX];
    redisContext *c;
    struct peer_map *entities;     /* "source\x1fid" -> struct redis_entity */
    struct peer_map *members;      /* member key -> struct redis_member */
    struct redis_periods **months; /* REDIS_MONTHS lazily filled */
    size_t outstanding;            /* commands sent, replies not read */
    size_t ops;                    /* commands in this load */
    double wait_s;                 /* time blocked on replies */
};

/* ------------------------------------------------------------ pipeline */

/* Read n replies; each must be an integer (HINCRBY) or status. */
static int redis_drain(struct redis_peer *rp, size_t n)
{
    double t0 = peer_now();
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(rp->c, (void **)&reply) != REDIS_OK) {
            fprintf(stderr, "peer: redis: %s\n", rp->c->errstr);
            rc = -1;
            goto out;
        }
        rp->outstanding--;
        if (reply->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "peer: redis: %s\n", reply->str);
            rc = -1;
        }
        freeReplyObject(reply);
        if (rc)
            goto out;
    }
out:
    rp->wait_s += peer_now() - t0;
    return rc;
}

/* Queue one command; reads the older chunk's replies when two chunks
 * are in flight. */
static int redis_send(struct redis_peer *rp, int argc, const char **argv,
                      const size_t *lens)
{
    if (redisAppendCommandArgv(rp->c, argc, argv, lens) != REDIS_OK) {
        fprintf(stderr, "peer: redis: %s\n", rp->c->errstr);
        return -1;
    }
    rp->outstanding++;
    rp->ops++;
    if (rp->outstanding >= 2 * REDIS_CHUNK)
        return redis_drain(rp, REDIS_CHUNK);
    return 0;
}

static int redis_hincrby(struct redis_peer *rp, const char *key,
                         const char *field, int64_t delta)
{
    char num[24];
    const char *argv[4] = {"HINCRBY", key, field, num};
    size_t lens[4] = {7, strlen(key), strlen(field), 0};
    lens[3] = (size_t)snprintf(num, sizeof(num), "%lld", (long long)delta);
    return redis_send(rp, 4, argv, lens);
}

/* One command now, its reply to *out (free with freeReplyObject). */
static int redis_call(struct redis_peer *rp, redisReply **out, const char *fmt,
                      ...)
{
    if (redis_drain(rp, rp->outstanding))
        return -1;
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(rp->c, fmt, ap);
    va_end(ap);
    if (!reply) {
        fprintf(stderr, "peer: redis: %s\n", rp->c->errstr);
        return -1;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "peer: redis: %s\n", reply->str);
        freeReplyObject(reply);
        return -1;
    }
    *out = reply;
    return 0;
}

/* ------------------------------------------------------- client state */

static const struct redis_periods *redis_periods_of(struct redis_peer *rp,
                                                    int32_t month)
{
    size_t i = (size_t)(month - PERIOD_YEAR_MIN * 12);
    if (!rp->months[i]) {
        struct redis_periods *ps = peer_xcalloc(1, sizeof(*ps));
        ps->n = period_containing(month, ps->p, PERIOD_CONTAINING_MAX);
        for (size_t k = 0; k < ps->n; k++) {
            period_format(&ps->p[k], ps->id[k]);
            ps->first_year[k] = period_month_year(ps->p[k].first_month);
        }
        period_month_format(month, ps->month_id);
        rp->months[i] = ps;
    }
    return rp->months[i];
}

/* Bits of the months m-11..m+11 in which member mb counts (net > 0). */
static uint32_t redis_member_window(const struct redis_member *mb, int32_t m)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < mb->n; i++) {
        int32_t d = mb->m[i].month - (m - REDIS_MEMBER_REACH);
        if (d >= 0 && d <= 2 * REDIS_MEMBER_REACH && mb->m[i].net_ore > 0)
            mask |= 1u << d;
    }
    return mask;
}

/* Add delta to member key's net of month m; its window before and after
 * to *before, *after. */
static void redis_member_move(struct redis_peer *rp, const char *key, int32_t m,
                              int64_t delta, uint32_t *before, uint32_t *after)
{
    struct redis_member *mb = peer_map_get(rp->members, key);
    if (!mb) {
        mb = peer_xcalloc(1, sizeof(*mb));
        peer_map_put(rp->members, key, mb);
    }
    *before = redis_member_window(mb, m);
    size_t i = 0;
    while (i < mb->n && mb->m[i].month < m)
        i++;
    if (i < mb->n && mb->m[i].month == m) {
        mb->m[i].net_ore += delta;
        if (mb->m[i].net_ore == 0) {
            memmove(&mb->m[i], &mb->m[i + 1], (mb->n - i - 1) * sizeof(*mb->m));
            mb->n--;
        }
    } else if (delta != 0) {
        if (mb->n == mb->cap) {
            mb->cap = mb->cap ? 2 * mb->cap : 8;
            mb->m = peer_xrealloc(mb->m, mb->cap * sizeof(*mb->m));
        }
        memmove(&mb->m[i + 1], &mb->m[i], (mb->n - i) * sizeof(*mb->m));
        mb->m[i] = (struct redis_month){m, delta};
        mb->n++;
    }
    *after = redis_member_window(mb, m);
}

/* What a flip of month m did to period per: households entering or
 * leaving it, and months counted (as daemon/member.c). */
static void redis_period_delta(const struct period *per, int32_t m,
                               uint32_t before, uint32_t after,
                               int64_t *households, int64_t *months)
{
    uint32_t bits = 0;
    for (int32_t x = per->first_month; x <= per->last_month; x++) {
        int32_t d = x - (m - REDIS_MEMBER_REACH);
        if (d >= 0 && d <= 2 * REDIS_MEMBER_REACH)
            bits |= 1u << d;
    }
    int nb = __builtin_popcount(before & bits);
    int na = __builtin_popcount(after & bits);
    *households = (na != 0) - (nb != 0);
    *months = na - nb;
}

static void redis_member_free(void *v)
{
    struct redis_member *mb = v;
    free(mb->m);
    free(mb);
}

static void redis_state_clear(struct redis_peer *rp)
{
    peer_map_destroy(&rp->entities, free);
    peer_map_destroy(&rp->members, redis_member_free);
    rp->entities = peer_map_new();
    rp->members = peer_map_new();
}

/* ------------------------------------------------------- aggregation */

enum redis_raw { REDIS_RAW_TOTAL, REDIS_RAW_UNIT, REDIS_RAW_AGE_BAND };

/* Move the member of raw slice r (age bands labelled by year) and the
 * cells of the periods it labels, by delta of contribution c. */
/* True when period p keeps raw slice r's sums in its own cell: an
 * age-band slice of an R12 window across new year. */
static bool redis_own_sums(const struct period *p, enum redis_raw r)
{
    return r == REDIS_RAW_AGE_BAND && period_month_year(p->first_month) !=
                                          period_month_year(p->last_month);
}

static int redis_move(struct redis_peer *rp, const struct redis_contrib *c,
                      const struct redis_periods *ps, enum redis_raw r,
                      int year, int64_t delta)
{
    char slice[PEER_FIELD_MAX + 16], key[REDIS_KEY_MAX];
    int n;
    if (r == REDIS_RAW_TOTAL)
        snprintf(slice, sizeof(slice), "total");
    else if (r == REDIS_RAW_UNIT)
        snprintf(slice, sizeof(slice), "unit=%s", c->unit);
    else
        snprintf(slice, sizeof(slice), "age_band=%s",
                 cell_age_band(c->head_birth_year, year));
    n = r == REDIS_RAW_AGE_BAND ? snprintf(key, sizeof(key), "m:%s/eb/%d:%s/%s",
                                           c->muni, year, slice, c->household)
                                : snprintf(key, sizeof(key), "m:%s/eb/%s/%s",
                                           c->muni, slice, c->household);
    if (n < 0 || n >= (int)sizeof(key))
        return -1;
    uint32_t before, after;
    redis_member_move(rp, key, c->month, delta, &before, &after);
    if (redis_hincrby(rp, key, ps->month_id, delta))
        return -1;
    for (size_t i = 0; i < ps->n; i++) {
        if (r == REDIS_RAW_AGE_BAND && ps->first_year[i] != year)
            continue;
        bool sums = ps->p[i].kind == PERIOD_MONTH ||
                    redis_own_sums(&ps->p[i], r);
        int64_t households = 0, months = 0;
        if (before != after)
            redis_period_delta(&ps->p[i], c->month, before, after, &households,
                               &months);
        if (!sums)
            months = 0;
        if (!sums && !households)
            continue;
        snprintf(key, sizeof(key), "%s/eb/%s/%s", c->muni, ps->id[i], slice);
        if ((sums && redis_hincrby(rp, key, "paid", delta)) ||
            (households && redis_hincrby(rp, key, "households", households)) ||
            (months && redis_hincrby(rp, key, "household_months", months)))
            return -1;
    }
    return 0;
}

/* Add (sign 1) or take out (-1) the contribution of one payment. */
static int redis_apply(struct redis_peer *rp, const struct redis_contrib *c,
                       int sign)
{
    int64_t delta = sign * c->amount_ore;
    if (delta == 0)
        return 0; /* moves no net, flips no month */
    const struct redis_periods *ps = redis_periods_of(rp, c->month);
    int year = period_month_year(c->month);
    char key[REDIS_KEY_MAX];
    if (redis_move(rp, c, ps, REDIS_RAW_TOTAL, year, delta) ||
        redis_move(rp, c, ps, REDIS_RAW_UNIT, year, delta) ||
        /* the periods containing the month start in its year or (R12)
         * the year before: a member per label */
        redis_move(rp, c, ps, REDIS_RAW_AGE_BAND, year - 1, delta) ||
        redis_move(rp, c, ps, REDIS_RAW_AGE_BAND, year, delta))
        return -1;
    snprintf(key, sizeof(key), "%s/eb/%s/category=%s", c->muni, ps->month_id,
             c->category);
    return redis_hincrby(rp, key, "paid", delta) ? -1 : 0;
}

/* The contribution of a payment event; -1 when a field the peer needs is
 * missing or too long (nyckeld would reject the event). */
static int redis_contrib_of(const Nyckel__Event *e, struct redis_contrib *c)
{
    const Nyckel__Payment *p = e->payment;
    if (!e->municipality || strlen(e->municipality) >= sizeof(c->muni) ||
        !e->unit || strlen(e->unit) >= sizeof(c->unit) || !p->household ||
        strlen(p->household) >= sizeof(c->household) || !p->category ||
        strlen(p->category) >= sizeof(c->category) || !p->month ||
        period_month_parse(p->month, &c->month) || !p->has_amount_ore ||
        !p->has_head_birth_year)
        return -1;
    strcpy(c->muni, e->municipality);
    strcpy(c->unit, e->unit);
    strcpy(c->household, p->household);
    strcpy(c->category, p->category);
    c->amount_ore = p->amount_ore;
    c->head_birth_year = (int)p->head_birth_year;
    return 0;
}

/* One payment event: judged by revision, then old contribution out, new
 * in. *skipped set for an event the peer cannot use. */
static int redis_event(struct redis_peer *rp, const Nyckel__Event *e,
                       bool *skipped)
{
    char key[2 * PEER_FIELD_MAX + 2];
    struct redis_contrib c;
    bool deleted = e->has_deleted && e->deleted;
    *skipped = false;
    if (!e->source || !e->id || !e->has_revision || e->revision < 1 ||
        (!deleted && redis_contrib_of(e, &c)) ||
        snprintf(key, sizeof(key), "%s\x1f%s", e->source, e->id) >=
            (int)sizeof(key)) {
        *skipped = true;
        return 0;
    }
    struct redis_entity *ent = peer_map_get(rp->entities, key);
    if (ent && e->revision <= ent->revision)
        return 0; /* duplicate or stale */
    if (!ent) {
        ent = peer_xcalloc(1, sizeof(*ent));
        peer_map_put(rp->entities, key, ent);
    } else if (ent->live && redis_apply(rp, &ent->c, -1))
        return -1;
    ent->revision = e->revision;
    ent->live = !deleted;
    if (deleted)
        return 0;
    ent->c = c;
    return redis_apply(rp, &ent->c, 1);
}

/* ----------------------------------------------------------- peer ops */

static void redis_stop(struct peer *p)
{
    struct redis_peer *rp = p->impl;
    if (!rp)
        return;
    if (rp->c)
        redisFree(rp->c);
    /* SIGTERM: redis fsyncs the append only file and exits */
    if (rp->pid > 0)
        peer_child_stop(rp->pid, SIGTERM, PEER_STOP_TIMEOUT_MS);
    peer_map_destroy(&rp->entities, free);
    peer_map_destroy(&rp->members, redis_member_free);
    if (rp->months)
        for (size_t i = 0; i < REDIS_MONTHS; i++)
            free(rp->months[i]);
    free(rp->months);
    free(rp);
    p->impl = NULL;
}

/* Connected to our own server (not another one on the port)? */
static int redis_try_connect(struct redis_peer *rp, int port)
{
    struct timeval tv = {0, REDIS_CONNECT_TIMEOUT_MS * 1000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return -1;
    }
    redisReply *reply = redisCommand(c, "INFO server");
    const char *pidline =
        reply && reply->type == REDIS_REPLY_STRING ? reply->str : NULL;
    pidline = pidline ? strstr(pidline, "process_id:") : NULL;
    bool ours = pidline && atol(pidline + 11) == (long)rp->pid;
    if (reply)
        freeReplyObject(reply);
    if (!ours) {
        redisFree(c);
        return -1;
    }
    rp->c = c;
    return 0;
}

static int redis_start(struct peer *p)
{
    struct redis_peer *rp = peer_xcalloc(1, sizeof(*rp));
    char port[16];
    p->impl = rp;
    rp->months = peer_xcalloc(REDIS_MONTHS, sizeof(*rp->months));
    redis_state_clear(rp);
    snprintf(port, sizeof(port), "%d", p->port);
    snprintf(rp->log, sizeof(rp->log), "%s/redis.log", p->dir);
    const char *argv[] = {"redis-server",
                          "--port",
                          port,
                          "--bind",
                          "127.0.0.1",
                          "--dir",
                          p->dir,
                          "--appendonly",
                          "yes",
                          "--appendfsync",
                          "everysec",
                          "--save",
                          "",
                          "--daemonize",
                          "no",
                          NULL};
    if (peer_spawn(argv, rp->log, (uid_t)-1, (gid_t)-1, &rp->pid))
        goto fail;
    for (double t0 = peer_now();;) {
        if (!peer_child_alive(rp->pid)) {
            rp->pid = 0;
            fprintf(stderr, "peer: redis: redis-server exited at start\n");
            goto fail;
        }
        if (redis_try_connect(rp, p->port) == 0)
            return 0;
        if (peer_now() - t0 > PEER_START_TIMEOUT_MS / 1000.0) {
            fprintf(stderr,
                    "peer: redis: no answer on 127.0.0.1:%d within %d ms\n",
                    p->port, PEER_START_TIMEOUT_MS);
            goto fail;
        }
        peer_sleep_ms(50);
    }
fail:
    peer_log_tail(rp->log, 10);
    redis_stop(p);
    return -1;
}

/* After FLUSHALL: rewrite the append only file so that every load
 * starts from the same small file. */
/* Wait until no AOF rewrite runs or is scheduled (Redis starts them
 * by itself as the file grows). 0, or -1 after a minute. */
static int redis_aof_idle(struct redis_peer *rp)
{
    redisReply *reply;
    for (double t0 = peer_now(); peer_now() - t0 < 60;) {
        if (redis_call(rp, &reply, "INFO persistence"))
            return -1;
        bool busy =
            reply->str && (strstr(reply->str, "aof_rewrite_in_progress:1") ||
                           strstr(reply->str, "aof_rewrite_scheduled:1"));
        freeReplyObject(reply);
        if (!busy)
            return 0;
        peer_sleep_ms(20);
    }
    fprintf(stderr, "peer: redis: BGREWRITEAOF did not finish\n");
    return -1;
}

/* Rewrite the AOF (after a reset): one of Redis's own may be running,
 * and a second BGREWRITEAOF is then refused, so wait for it first. */
static int redis_rewrite_aof(struct redis_peer *rp)
{
    redisReply *reply;
    if (redis_aof_idle(rp) || redis_call(rp, &reply, "BGREWRITEAOF"))
        return -1;
    freeReplyObject(reply);
    return redis_aof_idle(rp);
}

static int redis_reset(struct peer *p)
{
    struct redis_peer *rp = p->impl;
    redisReply *reply;
    if (redis_call(rp, &reply, "FLUSHALL SYNC"))
        return -1;
    freeReplyObject(reply);
    redis_state_clear(rp);
    return redis_rewrite_aof(rp);
}

static int redis_load(struct peer *p, const struct bench_events *ev,
                      struct peer_load_result *r)
{
    struct redis_peer *rp = p->impl;
    size_t skipped = 0;
    double t0 = peer_now();
    rp->ops = 0;
    rp->wait_s = 0;
    r->events = ev->n;
    for (size_t i = 0; i < ev->n; i++) {
        const Nyckel__Event *e = ev->ev[i];
        bool skip;
        if (e->body_case != NYCKEL__EVENT__BODY_PAYMENT)
            continue;
        r->payments++;
        if (redis_event(rp, e, &skip))
            return -1;
        skipped += skip;
    }
    if (redis_drain(rp, rp->outstanding))
        return -1;
    r->seconds = peer_now() - t0;
    r->ops = rp->ops;
    snprintf(r->detail, sizeof(r->detail),
             "%zu HINCRBY (%.1f per payment) in chunks of %d, %.1f s of "
             "%.1f s waiting for replies, %zu entities, %zu members%s",
             rp->ops, r->payments ? (double)rp->ops / (double)r->payments : 0,
             REDIS_CHUNK, rp->wait_s, r->seconds, peer_map_size(rp->entities),
             peer_map_size(rp->members),
             skipped ? ", some payments unusable (skipped)" : "");
    if (skipped)
        fprintf(stderr,
                "peer: redis: %zu payments without the fields the "
                "peer needs, skipped\n",
                skipped);
    return 0;
}

/* The fields paid, households and household_months of the hash of
 * (s's municipality and slice, period id) into v[3]. */
static int redis_cell(struct redis_peer *rp, const struct bench_slice *s,
                      const char *period, int64_t *v)
{
    char key[REDIS_KEY_MAX];
    redisReply *reply;
    if (snprintf(key, sizeof(key), "%s/eb/%s/%s", s->muni, period,
                 s->slice) >= (int)sizeof(key))
        return -1;
    if (redis_call(rp, &reply, "HMGET %s paid households household_months",
                   key))
        return -1;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        freeReplyObject(reply);
        fprintf(stderr, "peer: redis: HMGET %s: unexpected reply\n", key);
        return -1;
    }
    for (size_t i = 0; i < 3; i++)
        v[i] = reply->element[i]->type == REDIS_REPLY_STRING
                   ? strtoll(reply->element[i]->str, NULL, 10)
                   : 0;
    freeReplyObject(reply);
    return 0;
}

/* A period's figures: its own cell, the sums added up over its months
 * unless it keeps them itself (redis_own_sums()). */
static int redis_eb_figures(struct peer *p, const struct bench_slice *s,
                            struct bench_eb_figures *f)
{
    struct redis_peer *rp = p->impl;
    struct period per;
    int64_t v[3];
    if (period_parse(s->period, &per) || redis_cell(rp, s, s->period, v))
        return -1;
    bool by_age = strncmp(s->slice, "age_band=", 9) == 0;
    if (per.kind != PERIOD_MONTH &&
        !redis_own_sums(&per, by_age ? REDIS_RAW_AGE_BAND : REDIS_RAW_TOTAL)) {
        v[0] = v[2] = 0;
        for (int32_t m = per.first_month; m <= per.last_month; m++) {
            char id[PERIOD_ID_MAX];
            int64_t mv[3];
            struct period pm = period_of(PERIOD_MONTH, m);
            period_format(&pm, id);
            if (redis_cell(rp, s, id, mv))
                return -1;
            v[0] += mv[0];
            v[2] += mv[2];
        }
    }
    f->paid_ore = v[0];
    f->households = peer_slice_is_category(s->slice) ? -1 : v[1];
    f->household_months = peer_slice_is_category(s->slice) ? -1 : v[2];
    return 0;
}

const struct peer_ops peer_redis_ops = {
    .name = "redis",
    .start = redis_start,
    .reset = redis_reset,
    .load = redis_load,
    .eb_figures = redis_eb_figures,
    .stop = redis_stop,
};
