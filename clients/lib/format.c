/*
 * format.c — how libnyckel prints slices: JSON lines (DESIGN §8), CSV
 * and a human table, shared by nyckel-query and nyckel-watch.
 *
 * JSON numbers are not left to jansson: DESIGN §8 wants kronor with
 * exactly two decimals ("853.30") and other ratios in the shortest form
 * that reads back to the same double, and jansson's real formatting is
 * a fixed %.17g (plus ".0"). So every JSON *string* (keys and values)
 * is encoded by jansson, every number by nyckel_format_number(), and
 * the punctuation between them is literal. Output never depends on the
 * process locale's LC_NUMERIC: the clients never call setlocale(), and
 * the table's Swedish notation is produced here explicitly.
 */
#include "nyckel_sub.h"
#include "sub_wire.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Absent strings print as empty. */
static const char *nz(const char *s)
{
    return s ? s : "";
}

/* ------------------------------------------------------------ metrics */

struct metric_info {
    const char *domain;
    const char *id;
    const char *label;
    const char *unit;
};

/* DESIGN §4, the fallback when a message carries no label or unit. */
static const struct metric_info metric_infos[] = {
    {"eb", "paid", "utbetalt bistånd, kr", "kr"},
    {"eb", "households", "biståndshushåll", "count"},
    {"eb", "household_months", "biståndsmånader", "count"},
    {"eb", "households_per_month", "hushåll per månad, snitt", "ratio"},
    {"eb", "avg_months", "genomsnittlig biståndstid, mån", "months"},
    {"eb", "paid_per_household_month", "bistånd per hushåll och månad, kr",
     "kr"},
    {"eb", "long_term_households", "hushåll med långvarigt bistånd", "count"},
    {"eb", "long_term_share", "andel långvarigt", "share"},
    {"eb", "temp_housing_share", "andel till tillfälligt boende", "share"},
    {"pl", "care_days", "vårddygn", "count"},
    {"pl", "annual_placements", "årsplaceringar", "ratio"},
    {"pl", "cost", "kostnad, kr", "kr"},
    {"pl", "cost_per_care_day", "snittkostnad per vårddygn, kr", "kr"},
    {"pl", "cost_per_annual_placement", "kostnad per årsplacering, kr", "kr"},
    {"pl", "persons", "placerade personer", "count"},
    {"pl", "started", "påbörjade", "count"},
    {"pl", "ended", "avslutade", "count"},
    {"pl", "active_at_end", "pågående vid periodens slut", "count"},
    {"pl", "external_cost_share", "andel extern kostnad", "share"},
    {"inv", "referrals", "anmälningar/aktualiseringar", "count"},
    {"inv", "opened", "inledda utredningar", "count"},
    {"inv", "referral_conversion", "andel anmälningar som leder till utredning",
     "share"},
    {"inv", "ongoing", "utredningar som har pågått", "count"},
    {"inv", "closed", "avslutade utredningar", "count"},
    {"inv", "closed_within_4_months", "varav inom fyra månader", "count"},
    {"inv", "within_4_months_share", "andel inom fyra månader", "share"},
    {"inv", "avg_investigation_days", "genomsnittligt antal utredningsdagar",
     "days"},
    {"inv", "granted", "bifall", "count"},
    {"inv", "rejected", "avslag", "count"},
    {"inv", "rejection_share", "andel avslag", "share"},
    {"inv", "not_executed_3_months", "ej verkställda beslut > 3 mån", "count"},
    {"ec", "budget", "årsbudget, kr", "kr"},
    {"ec", "budget_to_date", "ackumulerad budget", "kr"},
    {"ec", "outcome", "utfall, kr", "kr"},
    {"ec", "deviation", "budgetavvikelse", "kr"},
    {"ec", "consumed_share", "förbrukat %", "share"},
    {"ec", "forecast", "årsprognos (kostnadstakt)", "kr"},
    {"ec", "forecast_deviation", "prognosavvikelse", "kr"},
    {"ec", "rolling_annual_cost", "rullande årskostnad", "kr"},
};

static const struct {
    const char *domain;
    const char *title;
} domain_titles[] = {
    {"eb", "ekonomiskt bistånd"},
    {"pl", "placeringar, vård utanför hemmet"},
    {"inv", "utredningar och beslut"},
    {"ec", "ekonomi"},
};

int nyckel_metric_info(const char *domain, const char *id, const char **label,
                       const char **unit)
{
    size_t n = sizeof metric_infos / sizeof metric_infos[0];
    for (size_t i = 0; id && i < n; i++) {
        if (strcmp(metric_infos[i].id, id) != 0)
            continue;
        if (domain && *domain && strcmp(metric_infos[i].domain, domain) != 0)
            continue;
        if (label)
            *label = metric_infos[i].label;
        if (unit)
            *unit = metric_infos[i].unit;
        return 0;
    }
    if (label)
        *label = NULL;
    if (unit)
        *unit = NULL;
    return -ENOENT;
}

static const char *metric_unit(const struct nyckel_metric *m,
                               const char *domain)
{
    const char *unit = m->unit;
    if (!unit || !*unit)
        nyckel_metric_info(domain, m->id, NULL, &unit);
    return unit ? unit : "";
}

static const struct nyckel_metric *find_metric(const struct nyckel_slice *s,
                                               const char *id)
{
    for (size_t k = 0; k < s->n_metrics; k++)
        if (strcmp(s->metrics[k].id ? s->metrics[k].id : "", id) == 0)
            return &s->metrics[k];
    return NULL;
}

/* ------------------------------------------------------------ comparison */

/* Index of id in s->previous (the first), or -1. */
static long find_previous(const struct nyckel_slice *s, const char *id)
{
    for (size_t k = 0; k < s->n_previous; k++)
        if (strcmp(s->previous[k].id ? s->previous[k].id : "", id) == 0)
            return (long)k;
    return -1;
}

/* s->previous[k], with the unit of the slice's own metric of that id
 * when the message carried none (then DESIGN §4's fallback applies). */
static struct nyckel_metric previous_value(const struct nyckel_slice *s,
                                           size_t k)
{
    struct nyckel_metric m = s->previous[k];
    if (!m.unit || !*m.unit) {
        const struct nyckel_metric *cur = find_metric(s, m.id ? m.id : "");
        if (cur)
            m.unit = cur->unit;
    }
    return m;
}

/* s->change_pct[k], a percentage: always a plain number. */
static struct nyckel_metric change_value(const struct nyckel_slice *s, size_t k)
{
    struct nyckel_metric m = s->change_pct[k];
    m.label = NULL;
    m.unit = "ratio";
    return m;
}

/* Nonzero when some slice of r carries a comparison. */
static int result_compared(const struct nyckel_result *r)
{
    for (size_t i = 0; i < r->n_slices; i++)
        if (r->slices[i].n_previous)
            return 1;
    return 0;
}

int nyckel_slice_name(const struct nyckel_slice *s, char *buf, size_t size)
{
    size_t len = 0;
    int over = 0;

#define PUT(str)                                                               \
    do {                                                                       \
        const char *p_ = (str);                                                \
        size_t n_ = strlen(p_);                                                \
        if (len + n_ < size)                                                   \
            memcpy(buf + len, p_, n_);                                         \
        else {                                                                 \
            if (len < size)                                                    \
                memcpy(buf + len, p_, size - 1 - len);                         \
            over = 1;                                                          \
        }                                                                      \
        len += n_;                                                             \
    } while (0)

    if (size == 0)
        return -ENOSPC;
    if (s->n_dims == 0)
        PUT("total");
    for (size_t i = 0; i < s->n_dims; i++) {
        if (i)
            PUT(",");
        PUT(s->dims[i].key ? s->dims[i].key : "");
        PUT("=");
        PUT(s->dims[i].value ? s->dims[i].value : "");
    }
#undef PUT
    buf[over ? size - 1 : len] = '\0';
    return over ? -ENOSPC : (int)len;
}

/* The name in a malloc'd string. */
static char *slice_name_dup(const struct nyckel_slice *s)
{
    char small[256];
    int n = nyckel_slice_name(s, small, sizeof small);
    if (n >= 0)
        return sub_xstrdup(small);
    size_t need = 6; /* "total" */
    for (size_t i = 0; i < s->n_dims; i++)
        need += strlen(s->dims[i].key ? s->dims[i].key : "") +
                strlen(s->dims[i].value ? s->dims[i].value : "") + 2;
    char *buf = sub_xmalloc(need);
    nyckel_slice_name(s, buf, need);
    return buf;
}

/* ------------------------------------------------------------ numbers */

/* Below this magnitude kr and count print in fixed notation. */
#define FIXED_MAX 1e15

static void fix_negative_zero(char *buf)
{
    /* "-0", "-0.00" come from tiny negatives; they mean zero. */
    if (buf[0] != '-')
        return;
    for (const char *p = buf + 1; *p; p++)
        if (*p != '0' && *p != '.')
            return;
    memmove(buf, buf + 1, strlen(buf));
}

/* Shortest %.Ng (N = 15..17) that reads back to v exactly. */
static void shortest(char *buf, size_t size, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fix_negative_zero(buf);
}

int nyckel_format_number(char *buf, size_t size, const struct nyckel_metric *m,
                         const char *domain)
{
    char tmp[64];
    const char *unit = metric_unit(m, domain);
    double v = m->value;

    if (m->is_null || !isfinite(v))
        snprintf(tmp, sizeof tmp, "null");
    else if (strcmp(unit, "kr") == 0 && fabs(v) < FIXED_MAX)
        snprintf(tmp, sizeof tmp, "%.2f", v);
    else if (strcmp(unit, "count") == 0 && fabs(v) < FIXED_MAX)
        snprintf(tmp, sizeof tmp, "%.0f", v);
    else
        shortest(tmp, sizeof tmp, v);
    fix_negative_zero(tmp);

    size_t n = strlen(tmp);
    if (n >= size) {
        if (size)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, tmp, n + 1);
    return (int)n;
}

/* ------------------------------------------------------------ JSON */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlongs */
        unsigned hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
        if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80;
        unsigned hi = c == 0xf4 ? 0x8f : 0xbf; /* <= U+10FFFF */
        if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 ||
            (p[3] & 0xc0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* A copy of s with every invalid UTF-8 byte replaced by U+FFFD. */
static char *utf8_sanitize(const char *s)
{
    size_t n = strlen(s);
    char *out = sub_xmalloc(n * 3 + 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        size_t k = utf8_seq_len(p);
        if (k) {
            memcpy(out + o, p, k);
            o += k;
            p += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
        }
    }
    out[o] = '\0';
    return out;
}

/* s as a JSON string literal (NULL: null), encoded by jansson. */
static int json_put_string(FILE *out, const char *s)
{
    if (!s)
        return fputs("null", out) < 0 ? -EIO : 0;
    json_t *j = json_string(s);
    if (!j) {
        char *clean = utf8_sanitize(s);
        j = json_string(clean);
        free(clean);
    }
    if (!j)
        return -ENOMEM;
    char small[256];
    size_t flags = JSON_ENCODE_ANY | JSON_COMPACT;
    size_t need = json_dumpb(j, small, sizeof small, flags);
    int rc = 0;
    if (need == 0) {
        rc = -ENOMEM;
    } else if (need <= sizeof small) {
        if (fwrite(small, 1, need, out) != need)
            rc = -EIO;
    } else {
        char *big = json_dumps(j, flags);
        if (!big)
            rc = -ENOMEM;
        else if (fputs(big, out) < 0)
            rc = -EIO;
        free(big);
    }
    json_decref(j);
    return rc;
}

/* ,"previous":{...} or (change) ,"change_pct":{...} of a compared slice;
 * a repeated id is written once. */
static int json_put_comparison(FILE *out, const struct nyckel_slice *s,
                               int change)
{
    char num[64];
    if (fputs(change ? ",\"change_pct\":{" : ",\"previous\":{", out) < 0)
        return -EIO;
    int first = 1;
    for (size_t i = 0; i < s->n_previous; i++) {
        const char *id = s->previous[i].id ? s->previous[i].id : "";
        if (find_previous(s, id) != (long)i)
            continue;
        if (!first && fputc(',', out) == EOF)
            return -EIO;
        first = 0;
        int rc = json_put_string(out, id);
        if (rc)
            return rc;
        struct nyckel_metric m =
            change ? change_value(s, i) : previous_value(s, i);
        if (nyckel_format_number(num, sizeof num, &m, s->domain) < 0)
            snprintf(num, sizeof num, "null");
        if (fputc(':', out) == EOF || fputs(num, out) < 0)
            return -EIO;
    }
    return fputc('}', out) == EOF ? -EIO : 0;
}

int nyckel_format_json(FILE *out, const struct nyckel_slice *s, uint64_t seq,
                       const char *as_of)
{
    int rc = 0;
    char num[64];

#define TRY(expr)                                                              \
    do {                                                                       \
        rc = (expr);                                                           \
        if (rc)                                                                \
            goto out;                                                          \
    } while (0)
#define LIT(str) TRY(fputs((str), out) < 0 ? -EIO : 0)

    LIT("{\"municipality\":");
    TRY(json_put_string(out, s->municipality ? s->municipality : ""));
    LIT(",\"domain\":");
    TRY(json_put_string(out, s->domain ? s->domain : ""));
    LIT(",\"period\":");
    TRY(json_put_string(out, s->period ? s->period : ""));
    LIT(",\"slice\":{");
    for (size_t i = 0; i < s->n_dims; i++) {
        const char *key = s->dims[i].key ? s->dims[i].key : "";
        size_t j = 0;
        while (j < i && strcmp(s->dims[j].key ? s->dims[j].key : "", key))
            j++;
        if (j < i) /* a JSON object names each key once */
            continue;
        if (i)
            LIT(",");
        TRY(json_put_string(out, key));
        LIT(":");
        TRY(json_put_string(out, s->dims[i].value ? s->dims[i].value : ""));
    }
    snprintf(num, sizeof num,
             "},\"seq\":%llu,\"as_of\":", (unsigned long long)seq);
    LIT(num);
    TRY(json_put_string(out, as_of));
    LIT(",\"metrics\":{");
    int first = 1;
    for (size_t i = 0; i < s->n_metrics; i++) {
        const struct nyckel_metric *m = &s->metrics[i];
        const char *id = m->id ? m->id : "";
        size_t j = 0;
        while (j < i && strcmp(s->metrics[j].id ? s->metrics[j].id : "", id))
            j++;
        if (j < i)
            continue;
        if (!first)
            LIT(",");
        first = 0;
        TRY(json_put_string(out, id));
        LIT(":");
        if (nyckel_format_number(num, sizeof num, m, s->domain) < 0)
            snprintf(num, sizeof num, "null");
        LIT(num);
    }
    LIT("}");
    /* "status": {id: "ok"|"null"|"suppressed"} when nyckeld sent them */
    first = 1;
    for (size_t i = 0; i < s->n_metrics; i++) {
        const struct nyckel_metric *m = &s->metrics[i];
        const char *id = m->id ? m->id : "";
        size_t j = 0;
        while (j < i && strcmp(s->metrics[j].id ? s->metrics[j].id : "", id))
            j++;
        if (j < i || !m->status)
            continue;
        LIT(first ? ",\"status\":{" : ",");
        first = 0;
        TRY(json_put_string(out, id));
        LIT(":");
        TRY(json_put_string(out, m->status));
    }
    if (!first)
        LIT("}");
    if (s->n_previous) {
        TRY(json_put_comparison(out, s, 0));
        TRY(json_put_comparison(out, s, 1));
    }
    LIT("}\n");
#undef LIT
#undef TRY
out:
    return rc;
}

int nyckel_format_json_result(FILE *out, const struct nyckel_result *r)
{
    for (size_t i = 0; i < r->n_slices; i++) {
        int rc = nyckel_format_json(out, &r->slices[i], r->seq, r->as_of);
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ CSV */

static int csv_put(FILE *out, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n"))
        return fputs(s, out) < 0 ? -EIO : 0;
    if (fputc('"', out) == EOF)
        return -EIO;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && fputc('"', out) == EOF)
            return -EIO;
        if (fputc(*p, out) == EOF)
            return -EIO;
    }
    return fputc('"', out) == EOF ? -EIO : 0;
}

/* The distinct metric ids of r's slices in order of first appearance,
 * then (with_previous) those only compared; the array borrows r's
 * strings. */
static const char **metric_ids(const struct nyckel_result *r, size_t *n_out,
                               int with_previous)
{
    size_t cap = 16, n = 0;
    const char **ids = sub_xmalloc(cap * sizeof *ids);
    for (size_t pass = 0; pass < (with_previous ? 2u : 1u); pass++) {
        for (size_t i = 0; i < r->n_slices; i++) {
            const struct nyckel_slice *s = &r->slices[i];
            size_t n_ms = pass ? s->n_previous : s->n_metrics;
            const struct nyckel_metric *ms = pass ? s->previous : s->metrics;
            for (size_t k = 0; k < n_ms; k++) {
                const char *id = ms[k].id ? ms[k].id : "";
                size_t j = 0;
                while (j < n && strcmp(ids[j], id))
                    j++;
                if (j < n)
                    continue;
                if (n == cap) {
                    cap *= 2;
                    ids = sub_xrealloc(ids, cap * sizeof *ids);
                }
                ids[n++] = id;
            }
        }
    }
    *n_out = n;
    return ids;
}

/* A CSV field: number text, empty for null. */
static int csv_number(FILE *out, const struct nyckel_metric *m,
                      const char *domain)
{
    char num[64];
    if (m->is_null || nyckel_format_number(num, sizeof num, m, domain) < 0 ||
        strcmp(num, "null") == 0)
        return 0;
    return fputs(num, out) < 0 ? -EIO : 0;
}

/* prefix + id as one header field. */
static int csv_put_prefixed(FILE *out, const char *prefix, const char *id)
{
    size_t len = strlen(prefix) + strlen(id) + 1;
    char *name = sub_xmalloc(len);
    snprintf(name, len, "%s%s", prefix, id);
    int rc = csv_put(out, name);
    free(name);
    return rc;
}

static bool metric_suppressed(const struct nyckel_metric *m)
{
    return m->status && strcmp(m->status, "suppressed") == 0;
}

/* True when some value of r is suppressed: CSV then says which, in a
 * last column (an empty cell alone cannot tell them from null). */
static bool result_suppressed(const struct nyckel_result *r)
{
    for (size_t i = 0; i < r->n_slices; i++) {
        const struct nyckel_slice *s = &r->slices[i];
        for (size_t j = 0; j < s->n_metrics; j++)
            if (metric_suppressed(&s->metrics[j]))
                return true;
        for (size_t j = 0; j < s->n_previous; j++)
            if (metric_suppressed(&s->previous[j]))
                return true;
    }
    return false;
}

/* The suppressed column of slice s: the ids of its suppressed values
 * (prev_<id> for an earlier year's) separated by ';', as one field. */
static int csv_suppressed(FILE *out, const struct nyckel_slice *s)
{
    size_t len = 1;
    for (size_t j = 0; j < s->n_metrics; j++)
        len += strlen(s->metrics[j].id) + 1;
    for (size_t j = 0; j < s->n_previous; j++)
        len += strlen(s->previous[j].id) + 6;
    char *ids = sub_xmalloc(len);
    size_t at = 0;
    ids[0] = '\0';
    for (size_t j = 0; j < s->n_metrics; j++)
        if (metric_suppressed(&s->metrics[j]))
            at += (size_t)snprintf(ids + at, len - at, "%s%s", at ? ";" : "",
                                   s->metrics[j].id);
    for (size_t j = 0; j < s->n_previous; j++)
        if (metric_suppressed(&s->previous[j]))
            at += (size_t)snprintf(ids + at, len - at, "%sprev_%s",
                                   at ? ";" : "", s->previous[j].id);
    int rc = at ? csv_put(out, ids) : 0;
    free(ids);
    return rc;
}

int nyckel_format_csv(FILE *out, const struct nyckel_result *r)
{
    int rc = 0;
    size_t n_ids = 0, n_cmp = 0;
    const char **ids = metric_ids(r, &n_ids, 0);
    const char **cmp = result_compared(r) ? metric_ids(r, &n_cmp, 1) : NULL;
    bool suppressed = result_suppressed(r);
    char num[64];

#define TRY(expr)                                                              \
    do {                                                                       \
        rc = (expr);                                                           \
        if (rc)                                                                \
            goto out;                                                          \
    } while (0)
#define LIT(str) TRY(fputs((str), out) < 0 ? -EIO : 0)

    LIT("municipality,domain,period,slice,seq,as_of");
    for (size_t j = 0; j < n_ids; j++) {
        LIT(",");
        TRY(csv_put(out, ids[j]));
    }
    for (size_t j = 0; j < n_cmp; j++) {
        LIT(",");
        TRY(csv_put_prefixed(out, "prev_", cmp[j]));
        LIT(",");
        TRY(csv_put_prefixed(out, "change_pct_", cmp[j]));
    }
    if (suppressed)
        LIT(",suppressed");
    LIT("\n");
    for (size_t i = 0; i < r->n_slices; i++) {
        const struct nyckel_slice *s = &r->slices[i];
        char *name = slice_name_dup(s);
        TRY(csv_put(out, s->municipality));
        LIT(",");
        TRY(csv_put(out, s->domain));
        LIT(",");
        TRY(csv_put(out, s->period));
        LIT(",");
        rc = csv_put(out, name);
        free(name);
        if (rc)
            goto out;
        snprintf(num, sizeof num, ",%llu,", (unsigned long long)r->seq);
        LIT(num);
        TRY(csv_put(out, r->as_of));
        for (size_t j = 0; j < n_ids; j++) {
            LIT(",");
            const struct nyckel_metric *m = find_metric(s, ids[j]);
            if (m)
                TRY(csv_number(out, m, s->domain));
        }
        for (size_t j = 0; j < n_cmp; j++) {
            long k = find_previous(s, cmp[j]);
            struct nyckel_metric m;
            LIT(",");
            if (k >= 0) {
                m = previous_value(s, (size_t)k);
                TRY(csv_number(out, &m, s->domain));
            }
            LIT(",");
            if (k >= 0) {
                m = change_value(s, (size_t)k);
                TRY(csv_number(out, &m, s->domain));
            }
        }
        if (suppressed) {
            LIT(",");
            TRY(csv_suppressed(out, s));
        }
        LIT("\n");
    }
#undef LIT
#undef TRY
out:
    free(cmp);
    free(ids);
    return rc;
}

/* ------------------------------------------------------------ table */

/* Display width of UTF-8 text: one column per code point (enough for
 * Swedish labels; no wide or combining characters are expected). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            w++;
    return w;
}

static int put_padded(FILE *out, const char *s, size_t width, int right)
{
    size_t w = text_width(s);
    size_t pad = width > w ? width - w : 0;
    if (right && fprintf(out, "%*s", (int)pad, "") < 0)
        return -EIO;
    if (fputs(s, out) < 0)
        return -EIO;
    if (!right && fprintf(out, "%*s", (int)pad, "") < 0)
        return -EIO;
    return 0;
}

/*
 * "-1234567.89" → "-1 234 567,89" into buf (size >= 2 * strlen(in) + 1).
 * Also works for exponent forms, which have at most one integer digit.
 */
static void swedish_digits(char *buf, const char *in)
{
    const char *p = in;
    char *o = buf;
    if (*p == '-' || *p == '+')
        *o++ = *p++;
    size_t int_len = strspn(p, "0123456789");
    for (size_t i = 0; i < int_len; i++) {
        *o++ = p[i];
        size_t left = int_len - i - 1;
        if (left && left % 3 == 0)
            *o++ = ' ';
    }
    for (p += int_len; *p; p++)
        *o++ = *p == '.' ? ',' : *p;
    *o = '\0';
}

static void human_value(char *buf, size_t size, const struct nyckel_metric *m,
                        const char *domain, unsigned flags)
{
    char raw[64], grouped[140];
    const char *unit = metric_unit(m, domain);
    const char *suffix = "";
    double v = m->value;

    if (m->status && strcmp(m->status, "suppressed") == 0) {
        /* as in official statistics: "x", not shown for privacy */
        snprintf(buf, size, "x");
        return;
    }
    if (m->is_null || !isfinite(v)) {
        snprintf(buf, size, "%s", (flags & NYCKEL_FORMAT_ASCII) ? "-" : "–");
        return;
    }
    int fixed = fabs(v) < FIXED_MAX;
    if (strcmp(unit, "kr") == 0) {
        snprintf(raw, sizeof raw, fixed ? "%.2f" : "%.6g", v);
        suffix = " kr";
    } else if (strcmp(unit, "count") == 0) {
        snprintf(raw, sizeof raw, fixed ? "%.0f" : "%.6g", v);
    } else if (strcmp(unit, "share") == 0) {
        snprintf(raw, sizeof raw, fixed ? "%.1f" : "%.6g", v * 100.0);
        suffix = " %";
    } else if (strcmp(unit, "months") == 0) {
        snprintf(raw, sizeof raw, fixed ? "%.2f" : "%.6g", v);
        suffix = " mån";
    } else if (strcmp(unit, "days") == 0) {
        snprintf(raw, sizeof raw, fixed ? "%.1f" : "%.6g", v);
        suffix = " d";
    } else if (strcmp(unit, "ratio") == 0) {
        snprintf(raw, sizeof raw, fixed ? "%.2f" : "%.6g", v);
    } else {
        shortest(raw, sizeof raw, v);
    }
    fix_negative_zero(raw);
    swedish_digits(grouped, raw);
    snprintf(buf, size, "%s%s", grouped, suffix);
}

struct table_row {
    const char *id;    /* borrowed from a slice */
    const char *label; /* borrowed, or static fallback, or "" */
};

static const char *domain_title(const char *domain)
{
    for (size_t i = 0; i < sizeof domain_titles / sizeof domain_titles[0]; i++)
        if (strcmp(domain_titles[i].domain, domain) == 0)
            return domain_titles[i].title;
    return "";
}

/* "a" or "a, b" or "a..z": the distinct values of one slice field. */
static void describe_field(char *buf, size_t size,
                           const struct nyckel_result *r, size_t field)
{
    const char *first = NULL, *last = NULL;
    size_t distinct = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_slices; i++) {
        const struct nyckel_slice *s = &r->slices[i];
        const char *v = field == 0 ? s->municipality : s->period;
        v = v ? v : "";
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const struct nyckel_slice *t = &r->slices[j];
            const char *w = field == 0 ? t->municipality : t->period;
            seen = strcmp(w ? w : "", v) == 0;
        }
        if (seen)
            continue;
        if (!first)
            first = v;
        last = v;
        distinct++;
    }
    if (distinct == 0)
        snprintf(buf, size, "–");
    else if (distinct == 1)
        snprintf(buf, size, "%s", first);
    else if (distinct == 2)
        snprintf(buf, size, "%s, %s", first, last);
    else
        snprintf(buf, size, "%s .. %s (%zu)", first, last, distinct);
}

/* "+12,2 %": a change in percent, one decimal, always signed but zero. */
static void human_change(char *buf, size_t size, const struct nyckel_metric *m,
                         unsigned flags)
{
    char raw[64], grouped[140];
    double v = m->value;

    if (m->is_null || !isfinite(v)) {
        snprintf(buf, size, "%s", (flags & NYCKEL_FORMAT_ASCII) ? "-" : "–");
        return;
    }
    snprintf(raw, sizeof raw, fabs(v) < FIXED_MAX ? "%+.1f" : "%+.6g", v);
    if (strcmp(raw, "+0.0") == 0 || strcmp(raw, "-0.0") == 0)
        snprintf(raw, sizeof raw, "0.0");
    swedish_digits(grouped, raw);
    snprintf(buf, size, "%s %%", grouped);
}

/* Heading of a previous-year column: period one year earlier ("2013-T2"
 * for "2014-T2"), or "fg år" when period does not start with a year. */
static void previous_period(char *buf, size_t size, const char *period)
{
    const char *p = nz(period);
    if (strspn(p, "0123456789") >= 4 && strncmp(p, "0000", 4) != 0) {
        int year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 +
                   (p[2] - '0') * 10 + (p[3] - '0');
        snprintf(buf, size, "%04d%s", year - 1, p + 4);
    } else {
        snprintf(buf, size, "fg år");
    }
}

/* The text of one cell: metric row j (id), slice s, sub-column k (0 the
 * value, 1 the previous year's, 2 the change); "" when s lacks it. */
static void table_cell(char *buf, size_t size, const struct nyckel_slice *s,
                       const char *id, size_t k, const char *domain,
                       unsigned flags)
{
    buf[0] = '\0';
    if (k == 0) {
        const struct nyckel_metric *m = find_metric(s, id);
        if (m)
            human_value(buf, size, m, domain, flags);
        return;
    }
    long at = find_previous(s, id);
    if (at < 0)
        return;
    struct nyckel_metric m =
        k == 1 ? previous_value(s, (size_t)at) : change_value(s, (size_t)at);
    if (k == 1)
        human_value(buf, size, &m, domain, flags);
    else
        human_change(buf, size, &m, flags);
}

/* Columns name their period (municipality) when r holds several. In a
 * block with a compared slice each slice has three columns (n_sub). */
static int table_block(FILE *out, const struct nyckel_result *r,
                       const char *domain, unsigned flags, int multi_period,
                       int multi_muni)
{
    int rc = 0;
    size_t n_cols = 0, n_rows = 0, rows_cap = 16, n_sub = 1;
    size_t *cols = sub_xcalloc(r->n_slices, sizeof *cols);
    struct table_row *rows = sub_xmalloc(rows_cap * sizeof *rows);
    char **heads = NULL;
    size_t *widths = NULL;
    char val[160];

    for (size_t i = 0; i < r->n_slices; i++) {
        const struct nyckel_slice *s = &r->slices[i];
        if (strcmp(nz(s->domain), domain) != 0)
            continue;
        cols[n_cols++] = i;
        if (s->n_previous)
            n_sub = 3;
        for (size_t k = 0; k < s->n_metrics; k++) {
            const struct nyckel_metric *m = &s->metrics[k];
            const char *id = m->id ? m->id : "";
            size_t j = 0;
            while (j < n_rows && strcmp(rows[j].id, id))
                j++;
            if (j == n_rows) {
                if (n_rows == rows_cap) {
                    rows_cap *= 2;
                    rows = sub_xrealloc(rows, rows_cap * sizeof *rows);
                }
                rows[n_rows].id = id;
                rows[n_rows].label = NULL;
                n_rows++;
            }
            if (!rows[j].label && m->label && *m->label)
                rows[j].label = m->label;
        }
    }
    size_t id_w = text_width(domain),
           label_w = text_width(domain_title(domain));
    for (size_t j = 0; j < n_rows; j++) {
        if (!rows[j].label)
            nyckel_metric_info(domain, rows[j].id, &rows[j].label, NULL);
        if (!rows[j].label)
            rows[j].label = "";
        if (text_width(rows[j].id) > id_w)
            id_w = text_width(rows[j].id);
        if (text_width(rows[j].label) > label_w)
            label_w = text_width(rows[j].label);
    }
    if (text_width("seq") > id_w)
        id_w = text_width("seq");

    /* cell (column c, sub-column k) is index c * n_sub + k */
    heads = sub_xcalloc(n_cols * n_sub, sizeof *heads);
    widths = sub_xcalloc(n_cols * n_sub, sizeof *widths);
    for (size_t c = 0; c < n_cols; c++) {
        const struct nyckel_slice *s = &r->slices[cols[c]];
        char *name = slice_name_dup(s);
        size_t len = strlen(name) + strlen(nz(s->period)) +
                     strlen(nz(s->municipality)) + 3;
        heads[c * n_sub] = sub_xmalloc(len);
        snprintf(heads[c * n_sub], len, "%s%s%s%s%s",
                 multi_muni ? nz(s->municipality) : "", multi_muni ? " " : "",
                 multi_period ? nz(s->period) : "", multi_period ? " " : "",
                 name);
        free(name);
        if (n_sub == 3) {
            previous_period(val, sizeof val, s->period);
            heads[c * n_sub + 1] = sub_xstrdup(val);
            heads[c * n_sub + 2] = sub_xstrdup("förändring");
        }
        for (size_t k = 0; k < n_sub; k++) {
            size_t *w = &widths[c * n_sub + k];
            *w = text_width(heads[c * n_sub + k]);
            for (size_t j = 0; j < n_rows; j++) {
                table_cell(val, sizeof val, s, rows[j].id, k, domain, flags);
                if (text_width(val) > *w)
                    *w = text_width(val);
            }
        }
        if (flags & NYCKEL_FORMAT_SEQ_ROW) {
            snprintf(val, sizeof val, "%llu", (unsigned long long)s->seq);
            if (text_width(val) > widths[c * n_sub])
                widths[c * n_sub] = text_width(val);
        }
    }

#define TRY(expr)                                                              \
    do {                                                                       \
        rc = (expr);                                                           \
        if (rc)                                                                \
            goto out;                                                          \
    } while (0)
#define LIT(str) TRY(fputs((str), out) < 0 ? -EIO : 0)
/* Compared slices stand apart by two more spaces. */
#define GAP(c, k) LIT(n_sub > 1 && (c) > 0 && (k) == 0 ? "    " : "  ")

    /* Title line doubles as the column heading line. */
    LIT("\n");
    TRY(put_padded(out, domain, id_w, 0));
    LIT("  ");
    TRY(put_padded(out, domain_title(domain), label_w, 0));
    for (size_t c = 0; c < n_cols; c++) {
        for (size_t k = 0; k < n_sub; k++) {
            GAP(c, k);
            TRY(put_padded(out, heads[c * n_sub + k], widths[c * n_sub + k],
                           1));
        }
    }
    LIT("\n");
    for (size_t j = 0; j < n_rows; j++) {
        TRY(put_padded(out, rows[j].id, id_w, 0));
        LIT("  ");
        TRY(put_padded(out, rows[j].label, label_w, 0));
        for (size_t c = 0; c < n_cols; c++) {
            for (size_t k = 0; k < n_sub; k++) {
                table_cell(val, sizeof val, &r->slices[cols[c]], rows[j].id, k,
                           domain, flags);
                GAP(c, k);
                TRY(put_padded(out, val, widths[c * n_sub + k], 1));
            }
        }
        LIT("\n");
    }
    if (flags & NYCKEL_FORMAT_SEQ_ROW) {
        TRY(put_padded(out, "seq", id_w, 0));
        LIT("  ");
        TRY(put_padded(out, "senaste ändring", label_w, 0));
        for (size_t c = 0; c < n_cols; c++) {
            for (size_t k = 0; k < n_sub; k++) {
                if (k == 0)
                    snprintf(val, sizeof val, "%llu",
                             (unsigned long long)r->slices[cols[c]].seq);
                else
                    val[0] = '\0';
                GAP(c, k);
                TRY(put_padded(out, val, widths[c * n_sub + k], 1));
            }
        }
        LIT("\n");
    }
#undef GAP
#undef LIT
#undef TRY
out:
    for (size_t c = 0; heads && c < n_cols * n_sub; c++)
        free(heads[c]);
    free(heads);
    free(widths);
    free(rows);
    free(cols);
    return rc;
}

int nyckel_format_table(FILE *out, const struct nyckel_result *r,
                        unsigned flags)
{
    int rc = 0;
    char munis[160], periods[160];

    if (!(flags & NYCKEL_FORMAT_NO_HEADER)) {
        describe_field(munis, sizeof munis, r, 0);
        describe_field(periods, sizeof periods, r, 1);
        if (fprintf(out, "kommun %s  period %s  as_of %s  seq %llu\n", munis,
                    periods, r->as_of && *r->as_of ? r->as_of : "–",
                    (unsigned long long)r->seq) < 0)
            return -EIO;
    }
    if (r->n_slices == 0)
        return fputs("\n(inga värden)\n", out) < 0 ? -EIO : 0;

    int multi_period = 0, multi_muni = 0;
    for (size_t i = 1; i < r->n_slices; i++) {
        multi_period |=
            strcmp(nz(r->slices[0].period), nz(r->slices[i].period)) != 0;
        multi_muni |= strcmp(nz(r->slices[0].municipality),
                             nz(r->slices[i].municipality)) != 0;
    }
    /* One block per domain, in order of first appearance. */
    for (size_t i = 0; i < r->n_slices && !rc; i++) {
        const char *d = nz(r->slices[i].domain);
        size_t j = 0;
        while (j < i && strcmp(nz(r->slices[j].domain), d) != 0)
            j++;
        if (j == i)
            rc = table_block(out, r, d, flags, multi_period, multi_muni);
    }
    return rc;
}
