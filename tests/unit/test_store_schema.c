/*
 * test_store_schema.c — the schema version of a state directory, on real
 * LMDB files in a temporary directory: a new store gets the current
 * version; nyckeld refuses one of an older version (with the advice to
 * run --rebuild) or a newer one; --rebuild opens an older one, recomputes
 * its records from the entities and leaves it at the current version, so
 * that nyckeld opens it again. A newer one is refused by --rebuild too.
 * The sequence records of a store before STORE_SCHEMA_SEQ_RECORDS, one
 * a topic under either of the two keys of before, move into the records
 * of now (cell_seq_record(): one a slice and year), once.
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

/* k's strings point into k itself: split in place, never copied */
static void parts_of(struct cell_key_parts *k, const char *topic)
{
    assert_int_equal(cell_key_split(topic, k), 0);
}

static void test_seq_record(void **state)
{
    (void)state;
    char out[CELL_KEY_MAX];
    struct cell_key_parts k;
    parts_of(&k, "0127/eb/2014-T2/unit=ekb");
    assert_int_equal(cell_seq_record(out, &k), 13);
    assert_string_equal(out, "0127/eb/2014/unit=ekb");
    parts_of(&k, "0180/pl/2015-08-R12/setting=hvb,regi=extern");
    assert_int_equal(cell_seq_record(out, &k), 41);
    assert_string_equal(out, "0180/pl/2015/setting=hvb,regi=extern");
    /* whatever follows the third '/' is the slice */
    parts_of(&k, "0127/inv/2014/unit=a/b");
    assert_int_equal(cell_seq_record(out, &k), 21);
    assert_string_equal(out, "0127/inv/2014/unit=a/b");

    /* one record keeps the periods of a slice and year apart */
    struct cellmap *m = cellmap_new(NULL, NULL);
    struct cell_key_parts t2;
    parts_of(&t2, "0127/eb/2014-T2/total");
    struct cell_key_parts y;
    parts_of(&y, "0127/eb/2014/total");
    struct cell_key_parts t2_2015;
    parts_of(&t2_2015, "0127/eb/2015-T2/total");
    struct cell_key_parts t2_ekb;
    parts_of(&t2_ekb, "0127/eb/2014-T2/unit=ekb");
    uint64_t prev = 99, seq = 99;
    assert_int_equal(cell_seq_set(m, &t2, 5, &prev), 0);
    assert_int_equal(prev, 0);
    assert_int_equal(cell_seq_set(m, &t2, 9, &prev), 0);
    assert_int_equal(prev, 5);
    assert_int_equal(cell_seq_set(m, &y, 7, NULL), 0);
    assert_int_equal(cell_seq_get(m, &t2, &seq), 0);
    assert_int_equal(seq, 9);
    assert_int_equal(cell_seq_get(m, &y, &seq), 0);
    assert_int_equal(seq, 7);
    assert_int_equal(cell_seq_get(m, &t2_2015, &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(cell_seq_get(m, &t2_ekb, &seq), 0);
    assert_int_equal(seq, 0);
    const void *val;
    size_t len;
    assert_int_equal(
        cellmap_get(m, CELLMAP_SEQS, "0127/eb/2014/total", &val, &len), 0);
    assert_int_equal(len, CELL_SEQ_RECORD_LEN);
    cellmap_destroy(&m);
}

/* The sequence of topic's last update in the store: 0 when none. */
static uint64_t seq_of(struct store *st, const char *topic)
{
    struct store_txn *t;
    uint64_t v = 99;
    struct cell_key_parts k;
    parts_of(&k, topic);
    assert_int_equal(store_txn_begin(st, false, &t), 0);
    struct cellmap *m = cellmap_new(store_load, t);
    assert_int_equal(cell_seq_get(m, &k, &v), 0);
    cellmap_destroy(&m);
    store_txn_abort(&t);
    return v;
}

/* The length of the value under key in the sequence db: 0 when none. */
static size_t seq_len(struct store *st, const char *key)
{
    struct store_txn *t;
    void *val = NULL;
    size_t len = 0;
    assert_int_equal(store_txn_begin(st, false, &t), 0);
    int rc = store_load(t, CELLMAP_SEQS, key, &val, &len);
    store_txn_abort(&t);
    assert_true(rc == 0 || rc == 1);
    free(val);
    return rc == 0 ? len : 0;
}

/* Records of a store of schema before (3: under the topic; 4: slice
 * before period) move into the records of now, twice the same. */
static void seq_records_moved(uint64_t before, const char *key_a,
                              const char *key_b, const char *key_c)
{
    struct store *st = NULL;
    struct store_txn *t;
    struct rebuild_report r;
    const uint64_t a = 42, b = 7, c = 11;
    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    assert_int_equal(store_txn_begin(st, true, &t), 0);
    assert_int_equal(store_put(t, CELLMAP_SEQS, key_a, &a, sizeof(a)), 0);
    assert_int_equal(store_put(t, CELLMAP_SEQS, key_b, &b, sizeof(b)), 0);
    assert_int_equal(store_put(t, CELLMAP_SEQS, key_c, &c, sizeof(c)), 0);
    assert_int_equal(store_txn_commit(&t), 0);
    store_close(&st);
    schema_put(before);

    /* twice: the second rebuild finds the records of now and leaves them */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_open_for_rebuild(dir, MAX_BYTES, &st), 0);
        assert_int_equal(rebuild_run(st, false, stdout, &r), 0);
        store_close(&st);
        assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
        assert_int_equal(seq_of(st, "0127/eb/2014-T2/unit=ekb"), a);
        assert_int_equal(seq_of(st, "0127/eb/2014/total"), b);
        assert_int_equal(seq_of(st, "0127/inv/2015-03-R12/unit=a/b"), c);
        assert_int_equal(seq_of(st, "0127/eb/2014-T1/unit=ekb"), 0);
        assert_int_equal(seq_of(st, "0127/eb/2014-T2/total"), 0);
        /* one record each, and nothing else */
        assert_int_equal(seq_len(st, "0127/eb/2014/unit=ekb"),
                         CELL_SEQ_RECORD_LEN);
        assert_int_equal(seq_len(st, "0127/eb/2014/total"),
                         CELL_SEQ_RECORD_LEN);
        assert_int_equal(seq_len(st, "0127/inv/2015/unit=a/b"),
                         CELL_SEQ_RECORD_LEN);
        assert_int_equal(seq_len(st, "0127/eb/2014-T2/unit=ekb"), 0);
        assert_int_equal(seq_len(st, "0127/eb/unit=ekb/2014-T2"), 0);
        store_close(&st);
    }
}

static void test_topic_seq_keys_moved(void **state)
{
    (void)state;
    seq_records_moved(STORE_SCHEMA_SEQ_KEYS - 1, "0127/eb/2014-T2/unit=ekb",
                      "0127/eb/2014/total", "0127/inv/2015-03-R12/unit=a/b");
}

static void test_slice_seq_keys_moved(void **state)
{
    (void)state;
    seq_records_moved(STORE_SCHEMA_SEQ_KEYS, "0127/eb/unit=ekb/2014-T2",
                      "0127/eb/total/2014", "0127/inv/unit=a/b/2015-03-R12");
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
        cmocka_unit_test(test_seq_record),
        cmocka_unit_test_setup_teardown(test_topic_seq_keys_moved,
                                        store_dir_setup, store_dir_teardown),
        cmocka_unit_test_setup_teardown(test_slice_seq_keys_moved,
                                        store_dir_setup, store_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
