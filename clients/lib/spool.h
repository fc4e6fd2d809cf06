/*
 * spool.h — private to libnyckel: the push spool, a directory holding
 * every batch that was sealed but not yet acknowledged, one file per
 * batch, named by its batch id, containing exactly the IngestBatch frame
 * that is (re)sent. A batch file is complete or absent: it is written to
 * a temporary name, fsync'd, renamed and the directory fsync'd before the
 * batch is first sent; it is deleted after the batch's ack.
 *
 * One process at a time: spool_open() takes an exclusive flock on
 * DIR/.lock, so two pushers never resend each other's batches.
 */
#ifndef NYCKEL_SPOOL_H
#define NYCKEL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

/* Create dir (and its parents, mode 0700) if missing, lock it, and remove
 * temporary files a killed process left (never-sent, incomplete
 * batches). Returns 0 and *out, NYCKEL_ELOCKED, or -errno. */
int spool_open(struct spool **out, const char *dir);

/* Unlock and free; the files stay. NULL-safe; sets *s to NULL. */
void spool_close(struct spool **s);

/* The directory as given to spool_open(); valid until spool_close(). */
const char *spool_path(const struct spool *s);

/* Ids of the batch files present, ascending, in *ids (caller frees) and
 * their number in *n. Returns 0 or -errno. */
int spool_list(struct spool *s, uint64_t **ids, size_t *n);

/* Durably store frame buf[0..len) as batch id. Returns 0 or -errno (the
 * temporary file is removed on failure). */
int spool_write(struct spool *s, uint64_t id, const void *buf, size_t len);

/* Read batch id into *buf (caller frees) and *len. Returns 0, -EFBIG when
 * the file is larger than max bytes, or -errno. */
int spool_read(struct spool *s, uint64_t id, size_t max, uint8_t **buf,
               size_t *len);

/* Delete batch id (after its ack). Returns 0 or -errno; a missing file
 * is not an error. */
int spool_remove(struct spool *s, uint64_t id);

/* Rename an unusable batch file to ID.batch.bad so that it is neither
 * sent nor lost. Returns 0 or -errno. */
int spool_set_aside(struct spool *s, uint64_t id);

#endif
