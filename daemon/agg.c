/*
 * agg.c — the list of aggregation domains (see agg.h).
 */
#include "agg.h"

#include "agg_eb.h"
#include "agg_ec.h"
#include "agg_inv.h"
#include "agg_pl.h"
#include "entity.h"
#include "hash.h"
#include "period.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct agg_domain *const agg_domains[] = {
    &agg_eb, &agg_pl, &agg_inv, &agg_ec, NULL,
};

const struct agg_domain *agg_domain_find(const char *name)
{
    for (size_t i = 0; agg_domains[i]; i++)
        if (strcmp(agg_domains[i]->name, name) == 0)
            return agg_domains[i];
    return NULL;
}

void agg_acc_init(struct agg_acc *a)
{
    a->cap = 256;
    a->n = 0;
    a->slots = xmalloc(a->cap * sizeof(*a->slots));
    a->keys = xcalloc(a->cap, sizeof(*a->keys));
}

void agg_acc_free(struct agg_acc *a)
{
    free(a->slots);
    free(a->keys);
    *a = (struct agg_acc){0};
}

/* (period, raw) in one nonzero word: month indexes are below 2^20
 * (PERIOD_YEAR_MAX * 12), kinds below 8, raw slices below 256. */
static uint64_t agg_acc_key(const struct period *p, int raw)
{
    return 1 | (uint64_t)(p->kind & 7) << 1 | (uint64_t)(raw & 0xff) << 4 |
           (uint64_t)((uint32_t)p->first_month & 0xfffff) << 12 |
           (uint64_t)((uint32_t)p->last_month & 0xfffff) << 32;
}

static size_t agg_acc_slot(const struct agg_acc *a, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 32) & (a->cap - 1);
    while (a->keys[i] && a->keys[i] != key)
        i = (i + 1) & (a->cap - 1);
    return i;
}

int64_t *agg_acc_at(struct agg_acc *a, const struct period *p, int raw)
{
    if ((a->n + 1) * 2 > a->cap) {
        struct agg_acc old = *a;
        a->cap *= 2;
        a->slots = xmalloc(a->cap * sizeof(*a->slots));
        a->keys = xcalloc(a->cap, sizeof(*a->keys));
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i]) {
                size_t j = agg_acc_slot(a, old.keys[i]);
                a->slots[j] = old.slots[i];
                a->keys[j] = old.keys[i];
            }
        free(old.slots);
        free(old.keys);
    }
    uint64_t key = agg_acc_key(p, raw);
    size_t i = agg_acc_slot(a, key);
    if (!a->keys[i]) {
        a->slots[i] = (struct agg_acc_entry){.period = *p, .raw = raw};
        a->keys[i] = key;
        a->n++;
    }
    return a->slots[i].d;
}

void agg_metric_set(struct metric *out, size_t *n, const char *id,
                    const char *label, const char *unit, double num, double den,
                    bool ratio)
{
    struct metric *x = &out[(*n)++];
    x->id = id;
    x->label = label;
    x->unit = unit;
    x->is_null = ratio && den == 0;
    x->value = x->is_null ? 0 : (ratio ? num / den : num);
}

int agg_apply(struct cellmap *m, const struct event *e, int sign, int32_t as_of)
{
    for (size_t i = 0; agg_domains[i]; i++) {
        int rc = agg_domains[i]->apply(m, e, sign, as_of);
        if (rc)
            return rc;
    }
    return 0;
}

int agg_advance(struct cellmap *m, const struct event *e, int32_t old_as_of,
                int32_t new_as_of)
{
    for (size_t i = 0; agg_domains[i]; i++) {
        if (!agg_domains[i]->advance)
            continue;
        int rc = agg_domains[i]->advance(m, e, old_as_of, new_as_of);
        if (rc)
            return rc;
    }
    return 0;
}

int agg_asof_mark_key(struct cellmap *m, const char *entity_key, int sign)
{
    char key[CELLMAP_KEY_MAX];
    if (snprintf(key, sizeof(key), "%s%s", AGG_ASOF_PREFIX, entity_key) >=
        (int)sizeof(key))
        return -ENAMETOOLONG;
    static const char one = 1;
    return cellmap_put(m, CELLMAP_MEMBERS, key, &one, sign > 0 ? 1 : 0);
}

int agg_asof_mark(struct cellmap *m, const struct event *e, int sign)
{
    char ekey[ENTITY_KEY_MAX];
    int rc = entity_key(ekey, e);
    return rc ? rc : agg_asof_mark_key(m, ekey, sign);
}

bool agg_period_crosses_year(const struct period *p)
{
    return period_month_year(p->first_month) !=
           period_month_year(p->last_month);
}

bool agg_sums_by_month(const struct period *p, const char *slice)
{
    return !agg_period_crosses_year(p) || !agg_slice_by_age(slice);
}

int agg_sum_months(struct cellmap *m, const char *muni, const char *domain,
                   int32_t first, int32_t last, const char *slice,
                   size_t n_counters, const int *idx, size_t n_idx,
                   int64_t *sum)
{
    int64_t c[CELL_COUNTERS_MAX];
    if (n_counters > CELL_COUNTERS_MAX)
        return -EINVAL;
    for (int32_t month = first; month <= last; month++) {
        int rc = agg_month_read(m, muni, domain, month, slice, n_counters, c);
        if (rc)
            return rc;
        for (size_t i = 0; i < n_idx; i++)
            sum[idx[i]] += c[idx[i]];
    }
    return 0;
}

#define AGG_MONTHS_SPAN 48   /* months a memo entry keeps: a bitmap */
#define AGG_MONTHS_SLICES 64 /* entries; past them reads go to the map */

/* The month cells of one slice read so far, around the first one. */
struct agg_months_slice {
    char id[CELL_KEY_MAX];             /* "muni\0domain\0slice\0" */
    const char *muni, *domain, *slice; /* into id */
    int32_t base;                      /* the month of c[0] */
    uint64_t loaded;                   /* bit i: c[i] read */
    int64_t c[AGG_MONTHS_SPAN][CELL_COUNTERS_MAX];
};

struct agg_months {
    size_t n;                      /* entries, at most AGG_MONTHS_SLICES */
    struct agg_months_slice *last; /* the one found last */
    /* the entries by agg_months_hash(), open addressing; a large group
     * has more slices than entries, and a miss must stay cheap */
    struct agg_months_slice *slot[2 * AGG_MONTHS_SLICES];
};

static size_t agg_months_hash(const char *muni, size_t a, const char *domain,
                              size_t b, const char *slice, size_t c)
{
    uint64_t h = hash_bytes(0, muni, a);
    h = hash_bytes(h, domain, b);
    return (size_t)hash_bytes(h, slice, c) & (2 * AGG_MONTHS_SLICES - 1);
}

struct agg_months *agg_months_new(void)
{
    return xcalloc(1, sizeof(struct agg_months));
}

void agg_months_free(struct agg_months **mm)
{
    if (!mm || !*mm)
        return;
    for (size_t i = 0; i < 2 * AGG_MONTHS_SLICES; i++)
        free((*mm)->slot[i]);
    free(*mm);
    *mm = NULL;
}

static bool agg_months_is(const struct agg_months_slice *e, const char *muni,
                          const char *domain, const char *slice)
{
    return strcmp(e->slice, slice) == 0 && strcmp(e->muni, muni) == 0 &&
           strcmp(e->domain, domain) == 0;
}

/* The entry of muni/domain/slice, made around month when new; NULL
 * when the memo is full or the names too long. */
static struct agg_months_slice *agg_months_of(struct agg_months *mm,
                                              const char *muni,
                                              const char *domain,
                                              const char *slice, int32_t month)
{
    if (mm->last && agg_months_is(mm->last, muni, domain, slice))
        return mm->last;
    size_t a = strlen(muni) + 1, b = strlen(domain) + 1, c = strlen(slice) + 1;
    size_t i = agg_months_hash(muni, a, domain, b, slice, c);
    for (; mm->slot[i]; i = (i + 1) & (2 * AGG_MONTHS_SLICES - 1))
        if (agg_months_is(mm->slot[i], muni, domain, slice))
            return mm->last = mm->slot[i];
    if (mm->n == AGG_MONTHS_SLICES || a + b + c > CELL_KEY_MAX)
        return NULL;
    struct agg_months_slice *e = xmalloc(sizeof(*e));
    mm->slot[i] = e;
    memcpy(e->id, muni, a);
    memcpy(e->id + a, domain, b);
    memcpy(e->id + a + b, slice, c);
    e->muni = e->id;
    e->domain = e->id + a;
    e->slice = e->id + a + b;
    e->base = month - AGG_MONTHS_SPAN / 2;
    e->loaded = 0;
    mm->n++;
    return mm->last = e;
}

static int agg_month_read_cell(struct cellmap *m, const char *muni,
                               const char *domain, int32_t month,
                               const char *slice, size_t n_counters,
                               int64_t *out)
{
    char key[CELL_KEY_MAX];
    struct period pm = period_of(PERIOD_MONTH, month);
    int rc = cell_key(key, muni, domain, &pm, slice);
    return rc ? rc : cell_read(m, key, out, n_counters);
}

int agg_month_read(struct cellmap *m, const char *muni, const char *domain,
                   int32_t month, const char *slice, size_t n_counters,
                   int64_t *out)
{
    struct agg_months *mm = cellmap_memo(m);
    struct agg_months_slice *e =
        mm && n_counters <= CELL_COUNTERS_MAX
            ? agg_months_of(mm, muni, domain, slice, month)
            : NULL;
    if (!e || month < e->base || month - e->base >= AGG_MONTHS_SPAN)
        return agg_month_read_cell(m, muni, domain, month, slice, n_counters,
                                   out);
    int i = month - e->base;
    if (!(e->loaded >> i & 1)) {
        int rc = agg_month_read_cell(m, muni, domain, month, slice,
                                     CELL_COUNTERS_MAX, e->c[i]);
        if (rc)
            return rc;
        e->loaded |= UINT64_C(1) << i;
    }
    memcpy(out, e->c[i], n_counters * sizeof(*out));
    return 0;
}

int agg_emit_month_readers(const char *muni, const char *domain, int32_t m,
                           const char *slice, agg_emit_fn emit, void *ctx)
{
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
    char key[CELL_KEY_MAX];
    int rc;
    for (size_t i = 0; i < n; i++)
        if (agg_sums_by_month(&pers[i], slice) &&
            ((rc = cell_key(key, muni, domain, &pers[i], slice)) ||
             (rc = emit(ctx, key))))
            return rc;
    return 0;
}

int agg_member_key(char *key, const char *muni, const char *domain,
                   const char *subject, int year, const char *slice)
{
    int n = year > 0 ? snprintf(key, CELL_KEY_MAX, "%s/%s/%s\x1f%d:%s", muni,
                                domain, subject, year, slice)
                     : snprintf(key, CELL_KEY_MAX, "%s/%s/%s\x1f%s", muni,
                                domain, subject, slice);
    if (n < 0 || n >= CELL_KEY_MAX) {
        key[0] = '\0';
        return -ENAMETOOLONG;
    }
    return 0;
}

bool agg_slice_by_age(const char *slice)
{
    return strncmp(slice, "age_band=", 9) == 0 ||
           strncmp(slice, "gender=", 7) == 0;
}

/* "muni/domain/<space>/<when>/slice" */
static int agg_aux_key(char *key, const char *muni, const char *domain,
                       const char *space, const char *when, const char *slice)
{
    const char *parts[5] = {muni, domain, space, when, slice};
    return cell_join(key, parts, 5);
}

static int agg_day_key(char *key, const char *muni, const char *domain,
                       int32_t day, const char *slice, int shift)
{
    char date[11];
    period_date_format(day, date);
    return agg_aux_key(key, muni, domain, shift ? "dayp" : "day", date, slice);
}

static int agg_last_key(char *key, const char *muni, const char *domain,
                        int32_t month, const char *slice, int shift)
{
    char when[8];
    period_month_format(month, when);
    return agg_aux_key(key, muni, domain, shift > 0 ? "lastn" : "lastp", when,
                       slice);
}

int agg_day_add(struct cellmap *m, const char *muni, const char *domain,
                int32_t day, const char *slice, int shift, int counter,
                int sign)
{
    char key[CELL_KEY_MAX];
    int64_t d[AGG_DAY_COUNTERS] = {0};
    d[counter] = sign;
    int rc = agg_day_key(key, muni, domain, day, slice, shift);
    return rc ? rc : cell_add(m, key, d, AGG_DAY_COUNTERS);
}

int agg_last_add(struct cellmap *m, const char *muni, const char *domain,
                 int32_t month, const char *slice, int shift, int sign)
{
    char key[CELL_KEY_MAX];
    int64_t d = sign;
    int rc = agg_last_key(key, muni, domain, month, slice, shift);
    return rc ? rc : cell_add(m, key, &d, 1);
}

int agg_count_on(struct cellmap *m, const struct cell_key_parts *k,
                 int32_t as_of, int last_idx, size_t n_counters, int64_t *count)
{
    int32_t month = period_month_of_day(as_of);
    int label = period_month_year(k->period.first_month);
    bool by_age = agg_slice_by_age(k->slice);
    int shift = by_age ? label - period_month_year(month - 1) : 0;
    char key[CELL_KEY_MAX];
    int64_t c[CELL_COUNTERS_MAX], d[AGG_DAY_COUNTERS];
    int rc;
    if (n_counters > CELL_COUNTERS_MAX)
        return -EINVAL;
    if (shift) {
        if ((rc = agg_last_key(key, k->muni, k->domain, month - 1, k->slice,
                               shift)) ||
            (rc = cell_read(m, key, c, 1)))
            return rc;
        *count = c[0];
    } else {
        struct period prev = period_of(PERIOD_MONTH, month - 1);
        if ((rc = cell_key(key, k->muni, k->domain, &prev, k->slice)) ||
            (rc = cell_read(m, key, c, n_counters)))
            return rc;
        *count = c[last_idx];
    }
    shift = by_age ? label - period_month_year(month) : 0;
    for (int32_t day = period_month_first_day(month); day <= as_of; day++) {
        if ((rc = agg_day_key(key, k->muni, k->domain, day, k->slice, shift)) ||
            (rc = cell_read(m, key, d, AGG_DAY_COUNTERS)))
            return rc;
        *count += d[AGG_DAY_IN] - d[AGG_DAY_OUT];
    }
    return 0;
}

size_t agg_count_prefixes(const char *muni, const char *domain, int32_t as_of,
                          char out[AGG_COUNT_PREFIXES][CELL_KEY_MAX])
{
    int32_t month = period_month_of_day(as_of);
    char day[8], last[8];
    period_month_format(month, day);
    period_month_format(month - 1, last);
    snprintf(out[0], CELL_KEY_MAX, "%s/%s/day/%s-", muni, domain, day);
    snprintf(out[1], CELL_KEY_MAX, "%s/%s/dayp/%s-", muni, domain, day);
    snprintf(out[2], CELL_KEY_MAX, "%s/%s/lastn/%s/", muni, domain, last);
    snprintf(out[3], CELL_KEY_MAX, "%s/%s/lastp/%s/", muni, domain, last);
    return AGG_COUNT_PREFIXES;
}

int agg_affected_with_running(const struct cell_key_parts *k, int32_t as_of,
                              agg_emit_fn emit, void *ctx)
{
    char key[CELL_KEY_MAX];
    int rc;
    if ((rc = cell_key(key, k->muni, k->domain, &k->period, k->slice)) ||
        (rc = emit(ctx, key)))
        return rc;
    int32_t now = period_month_of_day(as_of);
    if (k->period.kind != PERIOD_MONTH || k->period.last_month != now - 1)
        return 0;
    struct period pers[PERIOD_CONTAINING_MAX];
    size_t n = period_containing(now, pers, PERIOD_CONTAINING_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!period_is_running(&pers[i], as_of))
            continue;
        if ((rc = cell_key(key, k->muni, k->domain, &pers[i], k->slice)) ||
            (rc = emit(ctx, key)))
            return rc;
    }
    return 0;
}
