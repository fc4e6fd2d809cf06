/*
 * push_mem.h — allocation wrappers for the push half of libnyckel.
 *
 * House rule: inputs are bounded before anything is allocated for them,
 * so running out of memory is not a condition the callers can handle
 * usefully; the wrappers abort instead of returning NULL.
 */
#ifndef NYCKEL_PUSH_MEM_H
#define NYCKEL_PUSH_MEM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void push_oom(size_t n)
{
    fprintf(stderr, "libnyckel: out of memory allocating %zu bytes\n", n);
    abort();
}

static inline void *push_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        push_oom(n);
    return p;
}

static inline void *push_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        push_oom(n * size);
    return p;
}

static inline void *push_xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (!p)
        push_oom(n);
    return p;
}

static inline char *push_xstrndup(const char *s, size_t n)
{
    char *p = push_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static inline char *push_xstrdup(const char *s)
{
    return push_xstrndup(s, strlen(s));
}

#endif
