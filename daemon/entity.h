/*
 * entity.h — revision rules of DESIGN §2, pure. An entity is
 * (source, kind, id); its stored record is the latest revision, whether
 * it is a tombstone, and the event's canonical wire bytes, from which
 * its old contribution is recomputed when a higher revision arrives.
 */
#ifndef NYCKEL_ENTITY_H
#define NYCKEL_ENTITY_H

#include "event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENTITY_KEY_MAX                                                         \
    160                 /* bytes incl. NUL: two ids, a kind, two separators */
#define ENTITY_HEADER 9 /* revision (8, little endian) + deleted (1) */

enum entity_verdict {
    ENTITY_NEW,       /* first revision seen: accepted */
    ENTITY_REVISED,   /* higher revision: accepted, replaces the old */
    ENTITY_DUPLICATE, /* same revision again: no effect */
    ENTITY_STALE,     /* lower revision: no effect */
};

/* "source\x1fkind\x1fid" into key[ENTITY_KEY_MAX] (ids hold no control
 * characters, so the separator is unambiguous). 0 or -ENAMETOOLONG. */
int entity_key(char *key, const struct event *e);
/* The same from its parts. */
int entity_key_of(char *key, const char *source, enum event_kind kind,
                  const char *id);

/* What a new revision does to a stored one. */
enum entity_verdict entity_judge(bool have_old, uint64_t old_revision,
                                 uint64_t new_revision);

/* The stored record: header then raw bytes. Returns its length;
 * out must hold ENTITY_HEADER + raw_len bytes. */
size_t entity_record_encode(uint64_t revision, bool deleted, const void *raw,
                            size_t raw_len, unsigned char *out);
/* Parts of a stored record; raw points into val. 0 or -EPROTO. */
int entity_record_decode(const void *val, size_t len, uint64_t *revision,
                         bool *deleted, const void **raw, size_t *raw_len);

#endif
