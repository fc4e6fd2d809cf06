/*
 * agg.c — the list of aggregation domains (see agg.h).
 */
#include "agg.h"

#include <string.h>

#include "agg_eb.h"

const struct agg_domain *const agg_domains[] = {
    &agg_eb,
    NULL,
};

const struct agg_domain *agg_domain_find(const char *name)
{
    for (size_t i = 0; agg_domains[i]; i++)
        if (strcmp(agg_domains[i]->name, name) == 0)
            return agg_domains[i];
    return NULL;
}

int agg_apply(struct cellmap *m, const struct event *e, int sign)
{
    for (size_t i = 0; agg_domains[i]; i++) {
        int rc = agg_domains[i]->apply(m, e, sign);
        if (rc)
            return rc;
    }
    return 0;
}
