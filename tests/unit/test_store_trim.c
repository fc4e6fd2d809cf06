/*
 * test_store_trim.c — store_trim() on a real LMDB file: after reading
 * 8 MiB of records through the map, the process has them resident; a
 * trim under a small budget drops them from the process (the file-backed
 * resident pages shrink by most of the 8 MiB), the first one out of the
 * page cache as well, the next within STORE_PAGEOUT_EVERY not (mincore),
 * every record reads back unchanged afterwards, under a budget the pages
 * fit in (or none) nothing is done, and with a budget set reads trim as they go; the
 * process's own memory past STORE_OWN_MEMORY takes from the budget.
 */
#include "store.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

#define MAX_BYTES (UINT64_C(256) << 20)
/* two passes over the records make STORE_TRIM_READS reads */
#define RECORDS (STORE_TRIM_READS / 2)
#define RECORD_BYTES ((8 << 20) / RECORDS) /* 8 MiB in all */


/* Resident bytes of this process from /proc/self/statm: file-backed
 * (and shared) ones when shared, else its own (anonymous) ones. */
static uint64_t resident(bool shared)
{
    unsigned long size, all, file;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%lu %lu %lu", &size, &all, &file), 3);
    fclose(f);
    return (uint64_t)(shared ? file : all - file) *
           (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t resident_shared(void)
{
    return resident(true);
}

/* Bytes of the store's file in the kernel's page cache (mincore() on a
 * mapping of this test's own, which it never reads). */
static uint64_t page_cached(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
    size_t pages = ((size_t)sb.st_size + page - 1) / page;
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    unsigned char *vec = malloc(pages);
    assert_non_null(vec);
    assert_int_equal(mincore(map, (size_t)sb.st_size, vec), 0);
    for (size_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    free(vec);
    munmap(map, (size_t)sb.st_size);
    close(fd);
    return (uint64_t)n * page;
}

static unsigned char record[RECORD_BYTES], want[RECORD_BYTES];

static void record_of(int i, char *key, unsigned char *val)
{
    snprintf(key, 32, "0127/eb/rec-%05d", i);
    memset(val, 'a' + i % 26, RECORD_BYTES);
}

/* Read every record and check its bytes. */
static void read_all(struct store *st)
{
    struct store_txn *t;
    char key[32];
    assert_int_equal(store_txn_begin(st, false, &t), 0);
    for (int i = 0; i < RECORDS; i++) {
        void *val;
        size_t len;
        record_of(i, key, want);
        assert_int_equal(store_load(t, CELLMAP_CELLS, key, &val, &len), 0);
        assert_int_equal(len, RECORD_BYTES);
        assert_memory_equal(val, want, RECORD_BYTES);
        free(val);
    }
    store_txn_abort(&t);
}

/* A store in dir holding the 8 MiB of records. */
static struct store *open_with_records(void)
{
    struct store *st;
    struct store_txn *t;
    char key[32];
    assert_int_equal(store_open(dir, MAX_BYTES, &st), 0);
    assert_int_equal(store_txn_begin(st, true, &t), 0);
    for (int i = 0; i < RECORDS; i++) {
        record_of(i, key, record);
        assert_int_equal(
            store_put(t, CELLMAP_CELLS, key, record, RECORD_BYTES), 0);
    }
    assert_int_equal(store_txn_commit(&t), 0);
    return st;
}

static void test_trim(void **state)
{
    (void)state;
    struct store *st = open_with_records();

    read_all(st);
    uint64_t before = resident_shared();
    assert_int_equal(store_trim(st), 0); /* no budget set */
    store_set_resident_max(st, UINT64_MAX);
    assert_int_equal(store_trim(st), 0); /* within budget */
    uint64_t cached = page_cached();
    store_set_resident_max(st, 1);
    assert_int_equal(store_trim(st), 2); /* the first one pages out */
    uint64_t after = resident_shared();
    assert_true(before > after);
    assert_true(before - after >= (UINT64_C(6) << 20));
    /* and out of the page cache too */
    assert_true(page_cached() + (UINT64_C(6) << 20) <= cached);

    store_set_resident_max(st, 0);
    read_all(st); /* the pages come back, from the file */
    assert_true(resident_shared() >= after + (UINT64_C(6) << 20));
    cached = page_cached();
    assert_true(cached >= (UINT64_C(6) << 20));

    /* a budget of its own (the loop's once a heartbeat) */
    assert_int_equal(store_trim_below(st, 0), 0); /* none */
    assert_int_equal(store_trim_below(st, UINT64_MAX), 0);
    assert_int_equal(store_trim_below(st, 1), 1); /* within 5 s: drops */
    assert_true(resident_shared() + (UINT64_C(6) << 20) <= before);
    assert_true(page_cached() + (UINT64_C(1) << 20) >= cached); /* kept */
    read_all(st);

    /* with a budget, reads trim as they go: reads are counted from the
     * first one under a budget, and the STORE_TRIM_READS-th, the last of
     * two passes, trims before it reads */
    assert_int_equal(store_trim(st), 0);
    store_set_resident_max(st, 1);
    assert_int_equal(store_trim(st), 1);
    uint64_t low = resident_shared();
    read_all(st);
    read_all(st);
    /* without the trim, all 8 MiB (see above); with it, what the reads
     * after it mapped: much less, though mapping faults map neighbours */
    assert_true(resident_shared() < low + (UINT64_C(4) << 20));
    store_close(&st);
}

/* While the process's own memory passes STORE_OWN_MEMORY, the budget
 * shrinks by the excess: with the records mapped and a budget 16 MiB
 * above what is resident (plus any excess already there, as under
 * AddressSanitizer), nothing is trimmed; with 32 MiB more of heap
 * touched past STORE_OWN_MEMORY, the same budget trims; freed, it does
 * not. */
static void test_trim_own_memory(void **state)
{
    (void)state;
    struct store *st = open_with_records();
    read_all(st);

    uint64_t own0 = resident(false);
    uint64_t excess0 = own0 > STORE_OWN_MEMORY ? own0 - STORE_OWN_MEMORY : 0;
    uint64_t budget = resident_shared() + excess0 + (UINT64_C(16) << 20);
    assert_int_equal(store_trim_below(st, budget), 0);
    size_t heap = (size_t)(own0 < STORE_OWN_MEMORY ? STORE_OWN_MEMORY - own0
                                                   : 0) +
                  (size_t)(UINT64_C(32) << 20);
    unsigned char *own = malloc(heap);
    assert_non_null(own);
    memset(own, 1, heap); /* resident, not only reserved */
    assert_int_equal(store_trim_below(st, budget), 2); /* its first */
    free(own);
#ifndef __SANITIZE_ADDRESS__ /* its quarantine keeps freed memory */
    read_all(st);
    assert_int_equal(store_trim_below(st, budget), 0);
#endif
    store_close(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trim, store_dir_setup,
                                        store_dir_teardown),
        cmocka_unit_test_setup_teardown(test_trim_own_memory, store_dir_setup,
                                        store_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
