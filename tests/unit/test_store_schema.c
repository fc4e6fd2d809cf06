/*
 * test_store_schema.c — the schema version of a state directory, on real
 * LMDB files in a temporary directory: a new store gets the current
 * version; nyckeld refuses one of an older version (with the advice to
 * run --rebuild) or a newer one; --rebuild opens an older one, recomputes
 * its records from the entities and leaves it at the current version, so
 * that nyckeld opens it again. A newer one is refused by --rebuild too.
 * The sequence records of a store before STORE_SCHEMA_SEQ_KEYS move to
 * their keys of now (cell_seq_key(): slice before period), once.
 */
#include "cell.h"
#include "rebuild.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "store_dir.h"

#define MAX_BYTES (UINT64_C(64) << 20)

static uint64_t schema_of(struct store *st)
{
    struct store_txn *t;
    uint64_t v = 0;
    bool found = false;
    assert_int_equal(store_txn_begin(st, false, &t), 0);
    assert_int_equal(store_meta_get(t, STORE_SCHEMA_KEY, &v, &found), 0);
    store_txn_abort(&t);
    assert_true(found);
    return v;
}

/* Open the store, put the schema version v, close. */
static void schema_put(uint64_t v)
{
    struct store *st = NULL;
    struct store_txn *t;
    assert_int_equal(store_open_for_rebuild(dir, MAX_BYTES, &st), 0);
    assert_int_equal(store_txn_begin(st, true, &t), 0);
    assert_int_equal(store_meta_put(t, STORE_SCHEMA_KEY, v), 0);
    assert_int_equal(store_txn_commit(&t), 0);
    store_close(&st);
}

static void test_new_store_is_current(void **state)
{
    (void)state;
    struct store *st = NULL;
    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    assert_int_equal(schema_of(st), STORE_SCHEMA_VERSION);
    store_close(&st);
}

static void test_older_needs_rebuild(void **state)
{
    (void)state;
    struct store *st = NULL;
    struct rebuild_report r;
    assert_true(STORE_SCHEMA_ENTITIES < STORE_SCHEMA_VERSION);
    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    store_close(&st);
    schema_put(STORE_SCHEMA_ENTITIES);

    assert_int_equal(store_open(dir, MAX_BYTES, &st), STORE_EOLDSCHEMA);
    assert_null(st);
    assert_non_null(strstr(store_strerror(STORE_EOLDSCHEMA), "--rebuild"));

    assert_int_equal(store_open_for_rebuild(dir, MAX_BYTES, &st), 0);
    assert_int_equal(schema_of(st), STORE_SCHEMA_ENTITIES);
    assert_int_equal(rebuild_run(st, false, stdout, &r), 0);
    assert_int_equal(schema_of(st), STORE_SCHEMA_VERSION);
    store_close(&st);

    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    store_close(&st);
}

static void test_seq_key(void **state)
{
    (void)state;
    char out[CELL_KEY_MAX];
    assert_int_equal(cell_seq_key(out, "0127/eb/2014-T2/unit=ekb"), 0);
    assert_string_equal(out, "0127/eb/unit=ekb/2014-T2");
    assert_int_equal(
        cell_seq_key(out, "0180/pl/2014-08-R12/setting=hvb,regi=extern"), 0);
    assert_string_equal(out, "0180/pl/setting=hvb,regi=extern/2014-08-R12");
    /* whatever follows the third '/' is the slice */
    assert_int_equal(cell_seq_key(out, "0127/inv/2014/unit=a/b"), 0);
    assert_string_equal(out, "0127/inv/unit=a/b/2014");
    assert_int_equal(cell_seq_key(out, "0127/eb/2014"), -EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(cell_seq_key(out, "heartbeat"), -EINVAL);
}

/* The uint64 of a sequence record: 0 when there is none. */
static uint64_t seq_of(struct store *st, const char *key)
{
    struct store_txn *t;
    void *val = NULL;
    size_t len = 0;
    uint64_t v = 0;
    assert_int_equal(store_txn_begin(st, false, &t), 0);
    int rc = store_load(t, CELLMAP_SEQS, key, &val, &len);
    store_txn_abort(&t);
    assert_true(rc == 0 || rc == 1);
    if (rc == 0) {
        assert_int_equal(len, sizeof(v));
        memcpy(&v, val, sizeof(v));
    }
    free(val);
    return v;
}

static void test_older_seq_keys_moved(void **state)
{
    (void)state;
    struct store *st = NULL;
    struct store_txn *t;
    struct rebuild_report r;
    const uint64_t a = 42, b = 7;
    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    assert_int_equal(store_txn_begin(st, true, &t), 0);
    assert_int_equal(
        store_put(t, CELLMAP_SEQS, "0127/eb/2014-T2/unit=ekb", &a, sizeof(a)),
        0);
    assert_int_equal(
        store_put(t, CELLMAP_SEQS, "0127/eb/2014/total", &b, sizeof(b)), 0);
    assert_int_equal(store_txn_commit(&t), 0);
    store_close(&st);
    schema_put(STORE_SCHEMA_SEQ_KEYS - 1);

    /* twice: the second rebuild finds the keys of now and leaves them */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_open_for_rebuild(dir, MAX_BYTES, &st), 0);
        assert_int_equal(rebuild_run(st, false, stdout, &r), 0);
        store_close(&st);
        assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
        assert_int_equal(seq_of(st, "0127/eb/unit=ekb/2014-T2"), a);
        assert_int_equal(seq_of(st, "0127/eb/total/2014"), b);
        assert_int_equal(seq_of(st, "0127/eb/2014-T2/unit=ekb"), 0);
        assert_int_equal(seq_of(st, "0127/eb/2014/total"), 0);
        store_close(&st);
    }
}

static void test_newer_refused(void **state)
{
    (void)state;
    struct store *st = NULL;
    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    store_close(&st);
    schema_put(STORE_SCHEMA_VERSION + 1);
    assert_int_equal(store_open(dir, MAX_BYTES, &st), STORE_ESCHEMA);
    assert_int_equal(store_open_for_rebuild(dir, MAX_BYTES, &st),
                     STORE_ESCHEMA);
    assert_null(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_store_is_current,
                                        store_dir_setup, store_dir_teardown),
        cmocka_unit_test_setup_teardown(test_older_needs_rebuild,
                                        store_dir_setup, store_dir_teardown),
        cmocka_unit_test_setup_teardown(test_newer_refused, store_dir_setup,
                                        store_dir_teardown),
        cmocka_unit_test(test_seq_key),
        cmocka_unit_test_setup_teardown(test_older_seq_keys_moved,
                                        store_dir_setup, store_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
