/*
 * cell.c — cell keys, counters and slice names (see cell.h).
 */
#include "cell.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cell_join(char *key, const char *const *parts, size_t n)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(parts[i]);
        if (at + len + (i + 1 < n) >= CELL_KEY_MAX) {
            key[0] = '\0';
            return -ENAMETOOLONG;
        }
        memcpy(key + at, parts[i], len);
        at += len;
        if (i + 1 < n)
            key[at++] = '/';
    }
    key[at] = '\0';
    return 0;
}

int cell_key(char *key, const char *muni, const char *domain,
             const struct period *p, const char *slice)
{
    char pid[PERIOD_ID_MAX];
    period_format(p, pid);
    const char *parts[4] = {muni, domain, pid, slice};
    return cell_join(key, parts, 4);
}

int cell_seq_record(char *out, const struct cell_key_parts *k)
{
    char year[16];
    int y = period_month_year(k->period.last_month);
    if (y >= 1000 && y <= 9999) { /* always, for a parsed period */
        for (int i = 3; i >= 0; i--, y /= 10)
            year[i] = (char)('0' + y % 10);
        year[4] = '\0';
    } else {
        snprintf(year, sizeof(year), "%d", y);
    }
    const char *parts[4] = {k->muni, k->domain, year, k->slice};
    int rc = cell_join(out, parts, 4);
    return rc ? rc : period_year_slot(&k->period);
}

int cell_seq_get(struct cellmap *m, const struct cell_key_parts *k,
                 uint64_t *seq)
{
    char key[CELL_KEY_MAX];
    const void *val;
    size_t len;
    int slot = cell_seq_record(key, k);
    *seq = 0;
    if (slot < 0)
        return slot;
    int rc = cellmap_get(m, CELLMAP_SEQS, key, &val, &len);
    if (rc == 0 && len >= ((size_t)slot + 1) * sizeof(*seq))
        memcpy(seq, (const uint8_t *)val + (size_t)slot * sizeof(*seq),
               sizeof(*seq));
    return rc;
}

int cell_seq_set(struct cellmap *m, const struct cell_key_parts *k,
                 uint64_t seq, uint64_t *prev)
{
    char key[CELL_KEY_MAX];
    size_t len;
    int rc = 0;
    int slot = cell_seq_record(key, k);
    if (slot < 0)
        return slot;
    uint8_t *v =
        cellmap_edit(m, CELLMAP_SEQS, key, CELL_SEQ_RECORD_LEN, &len, &rc);
    if (!v)
        return rc;
    uint8_t *at = v + (size_t)slot * sizeof(seq);
    if (prev)
        memcpy(prev, at, sizeof(*prev));
    memcpy(at, &seq, sizeof(seq));
    return 0;
}

int cell_key_split(const char *key, struct cell_key_parts *parts)
{
    return cell_key_split_n(key, strlen(key), parts);
}

int cell_key_split_n(const char *key, size_t len, struct cell_key_parts *parts)
{
    if (len >= sizeof(parts->buf) || memchr(key, '\0', len))
        return -EINVAL;
    memcpy(parts->buf, key, len);
    parts->buf[len] = '\0';
    char *f[4];
    char *p = parts->buf;
    for (int i = 0; i < 3; i++) {
        f[i] = p;
        p = strchr(p, '/');
        if (!p)
            return -EINVAL;
        *p++ = '\0';
    }
    f[3] = p;
    if (!*f[0] || !*f[1] || !*f[3] || period_parse(f[2], &parts->period))
        return -EINVAL;
    parts->muni = f[0];
    parts->domain = f[1];
    parts->period_id = f[2];
    parts->slice = f[3];
    return 0;
}

int cell_read(struct cellmap *m, const char *key, int64_t *counters, size_t n)
{
    const void *val;
    size_t len;
    memset(counters, 0, n * sizeof(*counters));
    int rc = cellmap_get(m, CELLMAP_CELLS, key, &val, &len);
    if (rc)
        return rc;
    size_t have = len / sizeof(int64_t);
    if (have)
        memcpy(counters, val, (have < n ? have : n) * sizeof(int64_t));
    return 0;
}

int cell_add(struct cellmap *m, const char *key, const int64_t *delta, size_t n)
{
    /* adding nothing would still load and dirty the cell (and publish
     * it): distinct counters often move in a few of the periods only */
    size_t k = 0;
    while (k < n && delta[k] == 0)
        k++;
    if (k == n)
        return 0;
    size_t len;
    int err;
    unsigned char *val =
        cellmap_edit(m, CELLMAP_CELLS, key, n * sizeof(int64_t), &len, &err);
    if (!val)
        return err;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        memcpy(&v, val + i * sizeof(v), sizeof(v));
        v += delta[i];
        memcpy(val + i * sizeof(v), &v, sizeof(v));
    }
    return 0;
}

/* Appends s to out[*at..CELL_SLICE_MAX - 1), cut short at the end. */
static void cell_slice_put(char *out, size_t *at, const char *s)
{
    size_t len = strlen(s);
    if (len > CELL_SLICE_MAX - 1 - *at)
        len = CELL_SLICE_MAX - 1 - *at;
    memcpy(out + *at, s, len);
    *at += len;
}

void cell_slice_of(char *out, const char *dim, const char *value)
{
    size_t at = 0;
    if (dim) {
        cell_slice_put(out, &at, dim);
        cell_slice_put(out, &at, "=");
    }
    cell_slice_put(out, &at, value);
    out[at] = '\0';
}

bool cell_is_zero(const void *val, size_t len)
{
    /* a word at a time: counters are int64, and every payment asks it
     * of the 29 periods of each of its slices */
    const unsigned char *p = val;
    size_t i = 0;
    for (; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t)) {
        uint64_t w;
        memcpy(&w, p + i, sizeof(w));
        if (w)
            return false;
    }
    for (; i < len; i++)
        if (p[i])
            return false;
    return true;
}

const char *cell_age_band(int birth_year, int year)
{
    int age = year - birth_year;
    if (age <= 12)
        return "0-12";
    if (age <= 17)
        return "13-17";
    if (age <= 20)
        return "18-20";
    if (age <= 24)
        return "21-24";
    if (age <= 64)
        return "25-64";
    return "65+";
}

int cell_slice_split(const char *slice, char *buf, size_t cap,
                     const char **keys, const char **values)
{
    if (strcmp(slice, CELL_TOTAL) == 0)
        return 0;
    size_t len = strlen(slice);
    if (len + 1 > cap)
        return -EINVAL;
    memcpy(buf, slice, len + 1);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || n == CELL_DIMS_MAX)
            return -EINVAL;
        *eq = '\0';
        keys[n] = tok;
        values[n] = eq + 1;
        n++;
    }
    return n ? n : -EINVAL;
}
