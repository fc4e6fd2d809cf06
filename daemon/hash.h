#ifndef NYCKEL_HASH_H
#define NYCKEL_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * A fast, well-mixed 64-bit hash of len bytes for in-memory tables (the
 * batch's records, the topics of a commit). Eight bytes at a time, every
 * output bit depending on every input bit, so a table may take the low
 * bits. Not for anything stored: it may change between versions.
 */
uint64_t hash_bytes(uint64_t seed, const void *p, size_t len);

#endif
