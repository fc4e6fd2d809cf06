/*
 * test_store_scan.c — store_scan_sub() on a real LMDB file: under a
 * prefix, the keys whose part after their third '/' starts with a given
 * text, in key order, and no other; the same as store_scan() and a
 * filter (a rollup query reads its slices this way). The keys include
 * what could trip its seeks: a day's group that sorts before its month's
 * ('-' < '/'), a slash inside a slice, a slice that is a prefix of the
 * text, one that shares a prefix with it, an empty slice, a key with
 * fewer slashes, a group just past another ("2014/", "20140/") and
 * keys just outside the prefix.
 */
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "store_dir.h"

#define MAX_BYTES (UINT64_C(16) << 20)
#define SEEN_MAX 32

static const char *const keys[] = {
    "0127/eb/2013-12/unit=z",     "0127/eb/2014",
    "0127/eb/2014-01-15/unit=d",  "0127/eb/2014-01-15/zz=1",
    "0127/eb/2014-01/category=a", "0127/eb/2014-01/total",
    "0127/eb/2014-01/unit",       "0127/eb/2014-01/unit=a/b",
    "0127/eb/2014-01/unit=b",     "0127/eb/2014-01/unitx=c",
    "0127/eb/2014-02/",           "0127/eb/2014-Q1/setting=x,unit=y",
    "0127/eb/2014-Q1/unit=f",     "0127/eb/2014-Q1/zzz=1",
    "0127/eb/2014/unit=e",        "0127/eb/2014/zz=2",
    "0127/eb/20140/unit=k",       "0127/eb/2014x",
    "0127/eb/2015-01/unit=g",     "0127/ec/2014-01/unit=h",
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

struct seen {
    char v[SEEN_MAX][64];
    size_t n;
    size_t stop_after; /* 0: never */
    const char *sub;   /* for filter_sub */
};

static int collect(void *ctx, const char *key, size_t klen, const void *val,
                   size_t len)
{
    struct seen *s = ctx;
    assert_true(s->n < SEEN_MAX && klen < sizeof(s->v[0]));
    assert_int_equal(len, 1);
    assert_int_equal(*(const char *)val, 'v');
    memcpy(s->v[s->n], key, klen);
    s->v[s->n++][klen] = '\0';
    return s->stop_after && s->n == s->stop_after ? 7 : 0;
}

/* store_scan_fn: collect when the part after the third '/' starts with
 * s->sub (the plain walk store_scan_sub must match). */
static int filter_sub(void *ctx, const char *key, size_t klen, const void *val,
                      size_t len)
{
    struct seen *s = ctx;
    size_t i = 0, slen = strlen(s->sub);
    int slashes = 0;
    while (i < klen && slashes < 3)
        slashes += key[i++] == '/';
    if (slashes < 3 || klen - i < slen || memcmp(key + i, s->sub, slen) != 0)
        return 0;
    return collect(ctx, key, klen, val, len);
}

static struct store *open_with_keys(void)
{
    struct store *st;
    struct store_txn *t;
    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    assert_int_equal(store_txn_begin(st, true, &t), 0);
    for (size_t i = 0; i < N_KEYS; i++)
        assert_int_equal(store_put(t, CELLMAP_CELLS, keys[i], "v", 1), 0);
    assert_int_equal(store_txn_commit(&t), 0);
    return st;
}

/* store_scan_sub and the filtered walk agree, and return 0. */
static void scan_both(struct store_txn *t, const char *prefix, const char *sub,
                      struct seen *fast)
{
    struct seen walk = {.sub = sub};
    memset(fast, 0, sizeof(*fast));
    assert_int_equal(
        store_scan_sub(t, CELLMAP_CELLS, prefix, 3, sub, collect, fast), 0);
    assert_int_equal(store_scan(t, CELLMAP_CELLS, prefix, filter_sub, &walk),
                     0);
    assert_int_equal(fast->n, walk.n);
    for (size_t i = 0; i < walk.n; i++)
        assert_string_equal(fast->v[i], walk.v[i]);
}

static void test_scan_sub(void **state)
{
    (void)state;
    struct store *st = open_with_keys();
    struct store_txn *t;
    struct seen s;
    assert_int_equal(store_txn_begin(st, false, &t), 0);

    scan_both(t, "0127/eb/2014", "unit=", &s);
    const char *want[] = {
        "0127/eb/2014-01-15/unit=d", "0127/eb/2014-01/unit=a/b",
        "0127/eb/2014-01/unit=b",    "0127/eb/2014-Q1/unit=f",
        "0127/eb/2014/unit=e",       "0127/eb/20140/unit=k",
    };
    assert_int_equal(s.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < s.n; i++)
        assert_string_equal(s.v[i], want[i]);

    scan_both(t, "0127/eb/2014", "setting=", &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0], "0127/eb/2014-Q1/setting=x,unit=y");

    scan_both(t, "0127/eb/2014", "zz", &s); /* zz=1, zzz=1, zz=2 */
    assert_int_equal(s.n, 3);
    assert_string_equal(s.v[0], "0127/eb/2014-01-15/zz=1");
    assert_string_equal(s.v[1], "0127/eb/2014-Q1/zzz=1");
    assert_string_equal(s.v[2], "0127/eb/2014/zz=2");

    scan_both(t, "0127/eb/2014", "nothing=", &s);
    assert_int_equal(s.n, 0);

    /* an empty text: every key with three slashes under the prefix */
    scan_both(t, "0127/eb/2014", "", &s);
    assert_int_equal(s.n, 15);
    assert_string_equal(s.v[0], "0127/eb/2014-01-15/unit=d");
    assert_string_equal(s.v[14], "0127/eb/20140/unit=k");

    /* the whole database */
    scan_both(t, "", "unit=", &s);
    assert_int_equal(s.n, 9);
    assert_string_equal(s.v[0], "0127/eb/2013-12/unit=z");
    assert_string_equal(s.v[8], "0127/ec/2014-01/unit=h");

    /* fn's nonzero stops the scan and is returned */
    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    assert_int_equal(store_scan_sub(t, CELLMAP_CELLS, "0127/eb/2014", 3,
                                    "unit=", collect, &s),
                     7);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[1], "0127/eb/2014-01/unit=a/b");

    store_txn_abort(&t);
    store_close(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scan_sub, store_dir_setup,
                                        store_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
