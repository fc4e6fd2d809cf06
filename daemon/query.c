/*
 * query.c — snapshots and queries over a read transaction (see query.h).
 *
 * The slices of a rollup are found from the stored cells they depend on
 * (query_rollup). Metrics come from the domain, exactly as for updates.
 * A health query is answered from the self-metrics (stats.h) instead.
 */
#include "query.h"

#include "agg.h"
#include "cell.h"
#include "codec.h"
#include "log.h"
#include "period.h"
#include "publish.h"
#include "router.h"
#include "stats.h"
#include "suppress.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define QUERY_STOP_CHECK_MS 100 /* the thread's poll timeout */

struct query {
    struct router *router;
    struct store *st;
    struct stats *stats; /* borrowed; NULL: health answers store figures */
    atomic_int as_of;    /* the loop's as-of day (health answers) */
    int suppress_below;  /* suppress.h threshold of non-exact answers */
    pthread_t thread;    /* answering, once query_start() ran */
    bool started;        /* thread runs */
    atomic_bool stop;    /* asks the thread to end */
};

int query_new(void *zctx, const char *endpoint, struct auth *auth,
              struct store *st, struct query **out)
{
    struct router *r;
    int rc = router_new(zctx, endpoint, CODEC_QUERY_MAX_BYTES * 4, auth, &r);
    if (rc)
        return rc;
    *out = xcalloc(1, sizeof(**out));
    (*out)->router = r;
    (*out)->st = st;
    return 0;
}

void query_destroy(struct query **qp)
{
    struct query *q = qp ? *qp : NULL;
    if (!q)
        return;
    if (q->started) {
        atomic_store(&q->stop, true);
        pthread_join(q->thread, NULL);
    }
    router_destroy(&q->router);
    free(q);
    *qp = NULL;
}

void query_set_stats(struct query *q, struct stats *stats)
{
    q->stats = stats;
}

void query_set_suppress_below(struct query *q, int below)
{
    q->suppress_below = below;
}

/* One slice of the answer with the storage its strings point into. */
struct answer_slice {
    char key[CELL_KEY_MAX];
    struct cell_key_parts parts;
    char dimbuf[CELL_SLICE_MAX];
    struct codec_dim dims[CELL_DIMS_MAX];
    struct metric m[AGG_METRICS_MAX];
    struct codec_metric cm[AGG_METRICS_MAX];
    size_t n_metrics;
    size_t n_dims;
    uint64_t seq;      /* the slice's last update */
    size_t n_previous; /* compared: metrics one year earlier */
    struct metric pm[AGG_METRICS_MAX];
    struct codec_metric pcm[AGG_METRICS_MAX];
    struct codec_metric ccm[AGG_METRICS_MAX]; /* change, % */
};

struct answer {
    struct answer_slice **v; /* each its own allocation: the strings
                                of a slice point into it */
    size_t n, cap;
    int suppress_below; /* suppress.h threshold; 0: exact values */
    const char *error;
    char text[200];
};

/* True when slice's dim keys are exactly the rollup's, in order. */
static bool query_slice_is_rollup(const char *slice, const char *rollup)
{
    char buf[CELL_SLICE_MAX];
    const char *k[CELL_DIMS_MAX], *v[CELL_DIMS_MAX];
    int n = cell_slice_split(slice, buf, sizeof(buf), k, v);
    if (n <= 0)
        return false;
    const char *r = rollup;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(k[i]);
        if (strncmp(r, k[i], len) != 0 || (r[len] != ',' && r[len] != '\0'))
            return false;
        r += len;
        if (*r == ',')
            r++;
        else if (i + 1 < n)
            return false;
    }
    return *r == '\0';
}

/* True when every filter (k, v) the slice has a dim k of is matched. */
static bool query_slice_matches(const char *slice, const struct codec_query *q)
{
    char buf[CELL_SLICE_MAX];
    const char *k[CELL_DIMS_MAX], *v[CELL_DIMS_MAX];
    int n = cell_slice_split(slice, buf, sizeof(buf), k, v);
    for (size_t f = 0; f < q->n_filters; f++) {
        bool found = false, ok = false;
        for (int i = 0; i < n; i++)
            if (strcmp(k[i], q->filters[f].key) == 0) {
                found = true;
                ok = strcmp(v[i], q->filters[f].value) == 0;
            }
        if (!found || !ok)
            return false;
    }
    return true;
}

/* The same day one year earlier (29 February: the 28th). */
static int32_t query_year_before(int32_t day)
{
    int y, m, d;
    period_ymd_from_day(day, &y, &m, &d);
    if (m == 2 && d == 29)
        d = 28;
    return period_day_from_ymd(y - 1, m, d);
}

/*
 * What a period is compared with (DESIGN §4): the same period a year
 * earlier; for a running period the same elapsed part, which for
 * periods starting in January is the year-to-date through the same
 * month a year earlier.
 */
static struct period query_previous(const struct period *p, int32_t as_of)
{
    if (period_is_running(p, as_of) &&
        period_month_of_year(p->first_month) == 1)
        return period_of(PERIOD_YTD, period_month_of_day(as_of) - 12);
    return period_shift_years(p, -1);
}

/* Fill s's previous-year metrics and the change in percent. */
static int query_compare(struct answer_slice *s, struct cellmap *cm,
                         const struct agg_domain *d, int32_t as_of, int below)
{
    struct period prev = query_previous(&s->parts.period, as_of);
    int32_t prev_as_of = query_year_before(as_of);
    char key[CELL_KEY_MAX];
    struct cell_key_parts k;
    size_t n;
    int rc = cell_key(key, s->parts.muni, d->name, &prev, s->parts.slice);
    if (rc || cell_key_split(key, &k))
        return 0;
    if ((rc = d->metrics(cm, &k, prev_as_of, s->pm, &n)))
        return rc;
    /* the year before is served as this year is: a change from or to a
     * suppressed value is null too */
    suppress_to_wire(d->name, s->pm, n, below, false, s->pcm);
    for (size_t i = 0; i < n && i < s->n_metrics; i++) {
        const struct metric *now = &s->m[i], *then = &s->pm[i];
        bool none = now->is_null || then->is_null || then->value == 0;
        s->ccm[i] = (struct codec_metric){
            .id = now->id,
            .unit = "percent",
            .is_null = none,
            .value =
                none ? 0
                     : (now->value - then->value) / fabs(then->value) * 100.0};
    }
    s->n_previous = n < s->n_metrics ? n : s->n_metrics;
    return 0;
}

static int query_add_slice(struct answer *a, struct cellmap *cm,
                           const struct agg_domain *d, const char *muni,
                           const struct period *p, const char *slice,
                           int32_t as_of, bool compare)
{
    if (a->n == QUERY_MAX_SLICES) {
        a->error = "too_large";
        snprintf(a->text, sizeof(a->text),
                 "more than %d slices: narrow the period range or rollup",
                 QUERY_MAX_SLICES);
        return 0;
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    struct answer_slice *s = xmalloc(sizeof(*s));
    int rc = cell_key(s->key, muni, d->name, p, slice);
    if (rc || cell_key_split(s->key, &s->parts)) {
        free(s);
        return 0;
    }
    size_t n_m;
    if ((rc = d->metrics(cm, &s->parts, as_of, s->m, &n_m))) {
        free(s);
        return rc;
    }
    suppress_to_wire(d->name, s->m, n_m, a->suppress_below, true, s->cm);
    const char *dk[CELL_DIMS_MAX], *dv[CELL_DIMS_MAX];
    int n_d =
        cell_slice_split(s->parts.slice, s->dimbuf, sizeof(s->dimbuf), dk, dv);
    for (int i = 0; i < n_d; i++)
        s->dims[i] = (struct codec_dim){.key = dk[i], .value = dv[i]};
    s->n_dims = n_d > 0 ? (size_t)n_d : 0;
    s->n_metrics = n_m;
    s->n_previous = 0;
    rc = cell_seq_get(cm, &s->parts, &s->seq);
    if (rc == 0 && compare)
        rc = query_compare(s, cm, d, as_of, a->suppress_below);
    if (rc) {
        free(s);
        return rc;
    }
    a->v[a->n++] = s;
    return 0;
}

static void query_refuse(struct answer *a, const char *error, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

static void query_refuse(struct answer *a, const char *error, const char *fmt,
                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    a->error = error;
    vsnprintf(a->text, sizeof(a->text), fmt, ap);
    va_end(ap);
}

/* The periods period..period_to (same kind) into out; count or -1. */
static int query_periods(const struct codec_query *q, struct period *out,
                         struct answer *a)
{
    struct period first, last;
    if (!q->period) {
        query_refuse(a, "missing_period", "a period is required");
        return -1;
    }
    if (period_parse(q->period, &first)) {
        query_refuse(a, "bad_period", "period '%s' is not a period id",
                     q->period);
        return -1;
    }
    out[0] = first;
    if (!q->period_to)
        return 1;
    if (period_parse(q->period_to, &last) || last.kind != first.kind ||
        last.last_month < first.last_month) {
        query_refuse(a, "bad_period",
                     "period_to '%s' is not a later period of the same kind",
                     q->period_to);
        return -1;
    }
    int n = 0;
    for (int32_t m = first.last_month; m <= last.last_month;) {
        if (n == QUERY_MAX_PERIODS) {
            query_refuse(a, "too_large", "more than %d periods",
                         QUERY_MAX_PERIODS);
            return -1;
        }
        struct period p = period_of(first.kind, m);
        out[n++] = p;
        m = p.last_month + 1;
    }
    return n;
}

static bool query_rollup_known(const struct agg_domain *d, const char *rollup)
{
    char buf[CELL_SLICE_MAX];
    snprintf(buf, sizeof(buf), "%s", rollup);
    char *save = NULL;
    for (char *dim = strtok_r(buf, ",", &save); dim;
         dim = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(dim);
        const char *r = d->rollups;
        bool found = false;
        while (*r && !found) {
            const char *end = strchr(r, ',');
            size_t n = end ? (size_t)(end - r) : strlen(r);
            found = n == len && strncmp(r, dim, n) == 0;
            r += n + (end ? 1 : 0);
        }
        if (!found)
            return false;
    }
    return true;
}

/*
 * The slices a rollup lists. A slice of period p is listed when a stored
 * cell its figures depend on exists: not only p's own cell but also, say,
 * the R12 window that carries its long-term figures, the month before a
 * running period or the year that holds its budget. The domain's
 * affected() is that dependency read the other way, so every stored
 * cell with the rollup's dims in the years the periods span (and the
 * year before) is expanded through it, and the day and month-end cells
 * of running periods' point-in-time counts (agg_count_prefixes()) name
 * slices of every running period. A slice found through its own
 * period's cell is listed as before; one found only through another
 * period's cell is listed when one of its figures is not zero.
 */
struct candidate {
    int period; /* index into the query's periods */
    bool own;   /* the period's own cell is stored */
    char *slice;
};

struct candidates {
    struct candidate *v;
    size_t n, cap;
    const struct agg_domain *d;
    const char *rollup;
    const struct period *ps; /* the query's periods, ascending */
    int n_p;
    int32_t as_of;
    const char *source; /* period id of the cell being expanded */
};

static void candidates_free(struct candidates *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].slice);
    free(c->v);
}

static void candidates_add(struct candidates *c, int period, bool own,
                           const char *slice, size_t len)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    char *s = xmalloc(len + 1);
    memcpy(s, slice, len);
    s[len] = '\0';
    c->v[c->n++] = (struct candidate){.period = period, .own = own, .slice = s};
}

/* The index of the query's period with id pid, or -1. */
static int candidates_period(const struct candidates *c, const char *pid,
                             size_t len)
{
    char id[PERIOD_ID_MAX];
    struct period p;
    if (len >= sizeof(id))
        return -1;
    memcpy(id, pid, len);
    id[len] = '\0';
    if (period_parse(id, &p) || p.kind != c->ps[0].kind)
        return -1;
    int lo = 0, hi = c->n_p - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->ps[mid].last_month == p.last_month)
            return c->ps[mid].first_month == p.first_month ? mid : -1;
        if (c->ps[mid].last_month < p.last_month)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* agg_emit_fn: keep topic "muni/dom/period/slice" when its period is one
 * of the query's. */
static int candidates_emit(void *ctx, const char *topic)
{
    struct candidates *c = ctx;
    const char *pid = strchr(topic, '/');
    pid = pid ? strchr(pid + 1, '/') : NULL;
    const char *slice = pid ? strchr(pid + 1, '/') : NULL;
    if (!slice)
        return 0;
    pid++;
    int i = candidates_period(c, pid, (size_t)(slice - pid));
    if (i < 0)
        return 0;
    bool own = strncmp(pid, c->source, (size_t)(slice - pid)) == 0 &&
               c->source[slice - pid] == '\0';
    candidates_add(c, i, own, slice + 1, strlen(slice + 1));
    return 0;
}

/* store_scan_fn: expand one stored cell of the domain. */
static int candidates_collect(void *ctx, const char *key, size_t klen,
                              const void *val, size_t len)
{
    (void)val;
    (void)len;
    struct candidates *c = ctx;
    struct cell_key_parts k;
    if (cell_key_split_n(key, klen, &k) ||
        !query_slice_is_rollup(k.slice, c->rollup))
        return 0;
    c->source = k.period_id;
    return c->d->affected(&k, c->as_of, candidates_emit, c);
}

/* store_scan_fn: a day or month-end cell "muni/dom/space/when/slice"
 * (agg_count_prefixes()) names a slice of every running period. */
static int candidates_collect_counts(void *ctx, const char *key, size_t klen,
                                     const void *val, size_t len)
{
    (void)val;
    (void)len;
    struct candidates *c = ctx;
    const char *s = key, *end = key + klen;
    for (int slashes = 0; slashes < 4 && s < end; s++)
        slashes += *s == '/';
    char slice[CELL_SLICE_MAX];
    if (s >= end || (size_t)(end - s) >= sizeof(slice))
        return 0;
    memcpy(slice, s, (size_t)(end - s));
    slice[end - s] = '\0';
    if (!query_slice_is_rollup(slice, c->rollup))
        return 0;
    for (int i = 0; i < c->n_p; i++)
        if (period_is_running(&c->ps[i], c->as_of))
            candidates_add(c, i, false, slice, strlen(slice));
    return 0;
}

static int candidate_cmp(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->period != y->period)
        return x->period < y->period ? -1 : 1;
    return strcmp(x->slice, y->slice);
}

/* True when one of the slice's figures is neither null nor zero. */
static bool answer_slice_has_figures(const struct answer_slice *s)
{
    for (size_t i = 0; i < s->n_metrics; i++)
        if (!s->m[i].is_null && s->m[i].value != 0)
            return true;
    return false;
}

static int query_rollup(struct answer *a, struct store_txn *t,
                        struct cellmap *cm, const struct agg_domain *d,
                        const struct codec_query *q, const struct period *ps,
                        int n_p, int32_t as_of)
{
    struct candidates c = {
        .d = d, .rollup = q->rollup, .ps = ps, .n_p = n_p, .as_of = as_of};
    int first = period_month_year(ps[0].first_month) - 1;
    int last = period_month_year(ps[n_p - 1].last_month);
    int rc = 0;
    /* the rollup's slices all start with its first dimension and '=':
     * only those of each period are read */
    char sub[CELL_SLICE_MAX];
    size_t dim = strcspn(q->rollup, ",");
    if (dim + 2 > sizeof(sub))
        return 0; /* no slice has so long a dimension */
    memcpy(sub, q->rollup, dim);
    memcpy(sub + dim, "=", 2);
    for (int y = first; y <= last && rc == 0; y++) {
        char prefix[CELL_KEY_MAX];
        snprintf(prefix, sizeof(prefix), "%s/%s/%04d", q->municipality, d->name,
                 y);
        rc = store_scan_sub(t, CELLMAP_CELLS, prefix, 3, sub,
                            candidates_collect, &c);
    }
    bool running = false;
    for (int i = 0; i < n_p; i++)
        running = running || period_is_running(&ps[i], as_of);
    char counts[AGG_COUNT_PREFIXES][CELL_KEY_MAX];
    size_t n_counts =
        running ? agg_count_prefixes(q->municipality, d->name, as_of, counts)
                : 0;
    for (size_t i = 0; i < n_counts && rc == 0; i++)
        rc = store_scan(t, CELLMAP_CELLS, counts[i], candidates_collect_counts,
                        &c);
    if (c.n)
        qsort(c.v, c.n, sizeof(*c.v), candidate_cmp);
    for (size_t i = 0; rc == 0 && i < c.n && !a->error;) {
        size_t j = i;
        bool own = false;
        for (; j < c.n && c.v[j].period == c.v[i].period &&
               strcmp(c.v[j].slice, c.v[i].slice) == 0;
             j++)
            own = own || c.v[j].own;
        if (query_slice_matches(c.v[i].slice, q)) {
            size_t before = a->n;
            rc = query_add_slice(a, cm, d, q->municipality, &ps[c.v[i].period],
                                 c.v[i].slice, as_of, q->compare_previous_year);
            if (rc == 0 && !own && a->n > before &&
                !answer_slice_has_figures(a->v[a->n - 1]))
                free(a->v[--a->n]);
        }
        i = j;
    }
    candidates_free(&c);
    return rc;
}

static int query_domain(struct answer *a, struct store_txn *t,
                        struct cellmap *cm, const struct agg_domain *d,
                        const struct codec_query *q, const struct period *ps,
                        int n_p, int32_t as_of)
{
    if (q->rollup)
        return query_rollup(a, t, cm, d, q, ps, n_p, as_of);
    /* the total, or the one slice the filters name */
    char slice[CELL_SLICE_MAX] = CELL_TOTAL;
    size_t off = 0;
    for (size_t f = 0; f < q->n_filters; f++)
        off += (size_t)snprintf(slice + off, sizeof(slice) - off, "%s%s=%s",
                                f ? "," : "", q->filters[f].key,
                                q->filters[f].value);
    if (off >= sizeof(slice))
        return 0;
    int rc = 0;
    for (int i = 0; i < n_p && rc == 0 && !a->error; i++)
        rc = query_add_slice(a, cm, d, q->municipality, &ps[i], slice, as_of,
                             q->compare_previous_year);
    return rc;
}

static bool query_municipality_ok(const char *m)
{
    if (!m || strlen(m) != 4)
        return false;
    for (int i = 0; i < 4; i++)
        if (m[i] < '0' || m[i] > '9')
            return false;
    return true;
}

/* The answer to a health query: the self-metrics of stats (may be NULL:
 * zeros) with the store's sequence and map use read now. */
static int query_health(struct store *st, struct stats *stats, int32_t as_of,
                        uint8_t **out, size_t *out_len)
{
    struct stats_values v;
    struct store_usage u;
    struct codec_count rejected[REASON_COUNT], refused[STATS_REFUSALS];
    size_t n_rejected = 0;
    char as_of_s[11];

    memset(&v, 0, sizeof(v));
    v.version = NYCKEL_VERSION;
    if (stats)
        stats_snapshot(stats, &v);
    v.seq = store_committed_seq(st);
    if (store_usage(st, &u) == 0) {
        v.map_bytes = u.map_bytes;
        v.used_bytes = u.used_bytes;
        v.max_bytes = u.max_bytes;
    }
    for (int r = REASON_OK + 1; r < REASON_COUNT; r++)
        rejected[n_rejected++] = (struct codec_count){
            .name = reason_code((enum reason)r), .value = v.rejected[r]};
    for (int i = 0; i < STATS_REFUSALS; i++)
        refused[i] = (struct codec_count){
            .name = stats_refusal_name((enum stats_refusal)i),
            .value = v.batches_refused[i]};
    struct codec_health h = {
        .version = v.version,
        .start_unix_ms = (uint64_t)(v.start_time_s * 1000.0 + 0.5),
        .uptime_ms = (uint64_t)(v.uptime_s * 1000.0),
        .events_received = v.events_received,
        .events_accepted = v.events[STATS_ACCEPTED],
        .events_duplicate = v.events[STATS_DUPLICATE],
        .events_stale = v.events[STATS_STALE],
        .events_rejected = v.events[STATS_REJECTED],
        .n_rejected = n_rejected,
        .rejected = rejected,
        .batches_accepted = v.batches_accepted,
        .n_refused = STATS_REFUSALS,
        .batches_refused = refused,
        .commit_seconds_sum = v.commit_seconds_sum,
        .map_bytes = v.map_bytes,
        .used_bytes = v.used_bytes,
        .max_bytes = v.max_bytes,
        .subscriptions = v.subscriptions,
        .handshakes_refused = v.handshakes_refused,
    };
    period_date_format(as_of, as_of_s);
    return codec_health_encode(v.seq, as_of_s, &h, out, out_len);
}

/* Health is for whoever may see everything: an admin key, or anyone
 * when there is no CURVE. */
static bool query_may_health(const struct auth_client *who)
{
    return who && (who->role == AUTH_ADMIN || who->role == AUTH_ANONYMOUS);
}

/* query_run, with the self-metrics for a health query. */
static int query_answer(struct store *st, struct stats *stats,
                        const struct auth_client *who, const void *buf,
                        size_t len, int32_t as_of, int suppress_below,
                        uint8_t **out, size_t *out_len)
{
    struct codec_query q = {0};
    struct answer a = {.suppress_below = suppress_below};
    struct store_txn *t = NULL;
    struct cellmap *cm = NULL;
    struct agg_months *mm = NULL;
    struct period *ps = xmalloc(QUERY_MAX_PERIODS * sizeof(*ps));
    uint64_t seq = 0;
    int n_p = 0;
    int rc = codec_query_decode(buf, len, &q);
    if (rc) {
        query_refuse(&a, rc == CODEC_EPROTOCOL ? "protocol" : "malformed",
                     "%s%s%s", codec_strerror(rc), q.why[0] ? ": " : "", q.why);
        rc = 0;
        goto reply;
    }
    if (q.health && !query_may_health(who)) {
        query_refuse(&a, "forbidden",
                     "only an admin key may ask for nyckeld's health");
        goto reply;
    }
    if (q.health) {
        rc = query_health(st, stats, as_of, out, out_len);
        goto out;
    }
    if (!query_municipality_ok(q.municipality)) {
        query_refuse(&a, "bad_municipality",
                     "municipality must be a 4-digit kommunkod");
        goto reply;
    }
    if (!auth_reads(who)) {
        query_refuse(&a, "forbidden", "this client's key may not query");
        goto reply;
    }
    if (!auth_may_read(who, q.municipality)) {
        query_refuse(&a, "forbidden_municipality",
                     "this client may not read municipality %s",
                     q.municipality);
        goto reply;
    }
    if (q.exact && who->role != AUTH_ADMIN) {
        query_refuse(&a, "forbidden",
                     "only an admin key may ask for exact values");
        goto reply;
    }
    if (q.exact)
        a.suppress_below = 0;
    if ((n_p = query_periods(&q, ps, &a)) < 0)
        goto reply;
    const struct agg_domain *ds[CODEC_QUERY_MAX_LIST + 8];
    size_t n_d = 0;
    if (q.n_domains == 0) {
        /* every domain that has the rollup asked for */
        for (size_t i = 0; agg_domains[i]; i++)
            if (!q.rollup || query_rollup_known(agg_domains[i], q.rollup))
                ds[n_d++] = agg_domains[i];
        if (n_d == 0) {
            query_refuse(&a, "unknown_rollup", "no domain has rollup '%s'",
                         q.rollup);
            goto reply;
        }
    }
    for (size_t i = 0; i < q.n_domains; i++) {
        if (!(ds[n_d++] = agg_domain_find(q.domains[i]))) {
            query_refuse(&a, "unknown_domain", "unknown domain '%s'",
                         q.domains[i]);
            goto reply;
        }
    }
    for (size_t i = 0; q.rollup && i < n_d; i++)
        if (!query_rollup_known(ds[i], q.rollup)) {
            query_refuse(&a, "unknown_rollup", "unknown rollup '%s'", q.rollup);
            goto reply;
        }
    if ((rc = store_txn_begin(st, false, &t)) || (rc = store_seq_get(t, &seq)))
        goto reply;
    /* The as-of day the snapshot's records are of: the loop's may have
     * moved on by a rollover that this snapshot predates (or the other
     * way round) when queries run on their own thread. */
    uint64_t stored_as_of;
    bool found;
    if ((rc = store_meta_get(t, PUBLISH_AS_OF_KEY, &stored_as_of, &found)))
        goto reply;
    if (found)
        as_of = (int32_t)(int64_t)stored_as_of;
    cm = cellmap_new(store_load, t);
    mm = agg_months_new(); /* a query reads the same months many times */
    cellmap_set_memo(cm, mm);
    for (size_t i = 0; i < n_d && rc == 0 && !a.error; i++)
        rc = query_domain(&a, t, cm, ds[i], &q, ps, n_p, as_of);

reply:
    if (rc) {
        log_error("query: %s", store_strerror(rc));
        query_refuse(&a, "internal", "%s", store_strerror(rc));
    }
    struct codec_slice *cs = xcalloc(a.n ? a.n : 1, sizeof(*cs));
    for (size_t i = 0; i < a.n && !a.error; i++) {
        struct answer_slice *s = a.v[i];
        cs[i] = (struct codec_slice){.municipality = s->parts.muni,
                                     .domain = s->parts.domain,
                                     .period = s->parts.period_id,
                                     .n_dims = s->n_dims,
                                     .dims = s->dims,
                                     .n_metrics = s->n_metrics,
                                     .metrics = s->cm,
                                     .seq = s->seq,
                                     .n_previous = s->n_previous,
                                     .previous = s->pcm,
                                     .change_pct = s->ccm};
    }
    char as_of_s[11];
    period_date_format(as_of, as_of_s);
    rc = codec_result_encode(seq, as_of_s, a.error ? 0 : a.n, cs, a.error,
                             a.error ? a.text : NULL, out, out_len);
    free(cs);
out:
    for (size_t i = 0; i < a.n; i++)
        free(a.v[i]);
    free(a.v);
    free(ps);
    cellmap_destroy(&cm);
    agg_months_free(&mm);
    store_txn_abort(&t);
    codec_query_free(&q);
    return rc;
}

int query_run(struct store *st, const struct auth_client *who, const void *buf,
              size_t len, int32_t as_of, int suppress_below, uint8_t **out,
              size_t *out_len)
{
    return query_answer(st, NULL, who, buf, len, as_of, suppress_below, out,
                        out_len);
}

static int query_on_request(void *ctx, const struct auth_client *who,
                            const void *payload, size_t len, uint8_t **reply,
                            size_t *reply_len)
{
    struct query *q = ctx;
    if (query_answer(q->st, q->stats, who, payload, len, atomic_load(&q->as_of),
                     q->suppress_below, reply, reply_len))
        *reply = NULL; /* could not even encode a refusal: no answer */
    return 0;
}

void query_set_as_of(struct query *q, int32_t as_of)
{
    atomic_store(&q->as_of, as_of);
}

/* The query thread: answer whatever waits, check for the stop now and
 * then. It owns the query socket from its start to its end. */
static void *query_main(void *arg)
{
    struct query *q = arg;
    zmq_pollitem_t item = {.socket = router_socket(q->router),
                           .events = ZMQ_POLLIN};
    while (!atomic_load(&q->stop)) {
        int n = zmq_poll(&item, 1, QUERY_STOP_CHECK_MS);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_error("query: poll: %s", zmq_strerror(errno));
            break;
        }
        if (n > 0 && (item.revents & ZMQ_POLLIN))
            router_serve(q->router, query_on_request, NULL, q);
    }
    return NULL;
}

int query_start(struct query *q)
{
    /* The thread inherits this mask: SIGTERM and the others go to the
     * main loop, which stops on them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&q->thread, NULL, query_main, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        return -rc;
    q->started = true;
    return 0;
}
