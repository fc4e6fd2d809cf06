#include "hash.h"

#include <string.h>

static uint64_t hash_mix(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

uint64_t hash_bytes(uint64_t seed, const void *p, size_t len)
{
    const unsigned char *key = p;
    uint64_t h = 0x9E3779B97F4A7C15ULL * (seed + 1) ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    if (i < len)
        memcpy(&tail, key + i, len - i);
    return hash_mix(h ^ tail);
}
