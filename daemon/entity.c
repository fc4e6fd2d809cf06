/*
 * entity.c — revision rules and entity records (see entity.h).
 */
#include "entity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int entity_key_of(char *key, const char *source, enum event_kind kind,
                  const char *id)
{
    int n = snprintf(key, ENTITY_KEY_MAX, "%s\x1f%s\x1f%s", source,
                     event_enum_name(ENUM_KIND, kind), id);
    return n < 0 || n >= ENTITY_KEY_MAX ? -ENAMETOOLONG : 0;
}

int entity_key(char *key, const struct event *e)
{
    return entity_key_of(key, e->source, e->kind, e->id);
}

enum entity_verdict entity_judge(bool have_old, uint64_t old_revision,
                                 uint64_t new_revision)
{
    if (!have_old)
        return ENTITY_NEW;
    if (new_revision > old_revision)
        return ENTITY_REVISED;
    if (new_revision == old_revision)
        return ENTITY_DUPLICATE;
    return ENTITY_STALE;
}

size_t entity_record_encode(uint64_t revision, bool deleted, const void *raw,
                            size_t raw_len, unsigned char *out)
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(revision >> (8 * i));
    out[8] = deleted ? 1 : 0;
    if (raw_len)
        memcpy(out + ENTITY_HEADER, raw, raw_len);
    return ENTITY_HEADER + raw_len;
}

int entity_record_decode(const void *val, size_t len, uint64_t *revision,
                         bool *deleted, const void **raw, size_t *raw_len)
{
    const unsigned char *p = val;
    if (len < ENTITY_HEADER || p[8] > 1)
        return -EPROTO;
    uint64_t r = 0;
    for (int i = 0; i < 8; i++)
        r |= (uint64_t)p[i] << (8 * i);
    *revision = r;
    *deleted = p[8] == 1;
    *raw = p + ENTITY_HEADER;
    *raw_len = len - ENTITY_HEADER;
    return 0;
}
