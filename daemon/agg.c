/*
 * agg.c — the list of aggregation domains (see agg.h).
 */
#include "agg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agg_eb.h"
#include "agg_pl.h"
#include "entity.h"

const struct agg_domain *const agg_domains[] = {
    &agg_eb,
    &agg_pl,
    NULL,
};

const struct agg_domain *agg_domain_find(const char *name)
{
    for (size_t i = 0; agg_domains[i]; i++)
        if (strcmp(agg_domains[i]->name, name) == 0)
            return agg_domains[i];
    return NULL;
}

int agg_apply(struct cellmap *m, const struct event *e, int sign,
              int32_t as_of)
{
    for (size_t i = 0; agg_domains[i]; i++) {
        int rc = agg_domains[i]->apply(m, e, sign, as_of);
        if (rc)
            return rc;
    }
    return 0;
}

int agg_advance(struct cellmap *m, const struct event *e, int32_t old_as_of,
                int32_t new_as_of)
{
    for (size_t i = 0; agg_domains[i]; i++) {
        if (!agg_domains[i]->advance)
            continue;
        int rc = agg_domains[i]->advance(m, e, old_as_of, new_as_of);
        if (rc)
            return rc;
    }
    return 0;
}

int agg_asof_mark(struct cellmap *m, const struct event *e, int sign)
{
    char ekey[ENTITY_KEY_MAX], key[CELLMAP_KEY_MAX];
    int rc = entity_key(ekey, e);
    if (rc)
        return rc;
    if (snprintf(key, sizeof(key), "%s%s", AGG_ASOF_PREFIX, ekey) >=
        (int)sizeof(key))
        return -ENAMETOOLONG;
    static const char one = 1;
    return cellmap_put(m, CELLMAP_MEMBERS, key, &one, sign > 0 ? 1 : 0);
}
