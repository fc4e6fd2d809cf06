/*
 * nkfault.h — the undo log shared by the LD_PRELOAD layer (nkfault.c)
 * and the tool that applies it (nkfault-rollback.c). Test-only.
 *
 * The log is a sequence of records, each a fixed header, the path and
 * then the data, appended with one write(2) per record by the process
 * under test. A SIGKILL can cut the last record short; readers stop at
 * the first incomplete or unrecognised record.
 */
#ifndef NKFAULT_H
#define NKFAULT_H

#include <stdint.h>

#define NKFAULT_MAGIC 0x55464b4eu /* "NKFU" little-endian */
#define NKFAULT_PATH_MAX 4096     /* bytes of a path, NUL excluded */

enum nkfault_rec_type {
    /* before a write (or ftruncate) not yet durable: the bytes it is
     * about to replace and the file's size before it */
    NKFAULT_REC_UNDO = 1,
    /* after a successful fsync/fdatasync/msync(MS_SYNC): everything
     * written to the file before it is durable */
    NKFAULT_REC_SYNCED = 2,
    /* after a write through an O_SYNC/O_DSYNC descriptor: that range
     * is durable (earlier writes to other ranges are not) */
    NKFAULT_REC_DURABLE = 3,
    /* after sync(2)/syncfs(2): every file is durable; path is "*" */
    NKFAULT_REC_SYNCED_ALL = 4,
};

struct nkfault_rec {
    uint32_t magic;     /* NKFAULT_MAGIC */
    uint32_t type;      /* enum nkfault_rec_type */
    uint64_t offset;    /* bytes: where the write starts */
    uint64_t len;       /* bytes written (UNDO: bytes of data that follow,
                           the part of the range that existed before) */
    uint64_t span;      /* bytes: the length of the write itself */
    uint64_t prev_size; /* bytes: the file's size before the write */
    uint32_t path_len;  /* bytes of path that follow, no NUL */
    uint32_t pid;       /* of the writer, for the record's reader */
};

#endif
