/*
 * test_store_schema.c — the schema version of a state directory, on real
 * LMDB files in a temporary directory: a new store gets the current
 * version; nyckeld refuses one of an older version (with the advice to
 * run --rebuild) or a newer one; --rebuild opens an older one, recomputes
 * its records from the entities and leaves it at the current version, so
 * that nyckeld opens it again. A newer one is refused by --rebuild too.
 */
#include "rebuild.h"
#include "store.h"

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
