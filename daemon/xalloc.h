/*
 * xalloc.h — allocation that aborts on out-of-memory (STYLE 8): a daemon
 * that cannot allocate a few bytes cannot keep its promises anyway, and
 * systemd restarts it; every caller is spared a path that is never
 * tested.
 */
#ifndef NYCKEL_XALLOC_H
#define NYCKEL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
