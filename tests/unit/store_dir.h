/*
 * store_dir.h — a temporary state directory for the unit tests that open
 * a real LMDB store (test_store_schema, test_store_trim, test_store_scan):
 * made by setup, emptied of LMDB's two files and removed by teardown.
 */
#ifndef NYCKEL_TEST_STORE_DIR_H
#define NYCKEL_TEST_STORE_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

/* cmocka group or test setup: make dir. */
static int store_dir_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/nyckel-test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

/* cmocka teardown: remove dir and the store in it. */
static int store_dir_teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    unlink(path);
    return rmdir(dir);
}

#endif
