/*
 * metrics_http.h — the self-metrics (stats.h) as Prometheus text
 * exposition on an HTTP endpoint of their own (--metrics-listen, issue
 * 7), so that standard monitoring can scrape nyckeld: GET /metrics.
 *
 * libmicrohttpd serves it from one internal thread, which only ever
 * takes a snapshot of the counters (stats_snapshot); the main loop is
 * never involved, so a slow or stuck scraper cannot delay a batch.
 * Plain HTTP without authentication: the counters hold no subject data,
 * and the endpoint is meant for loopback or a monitoring network.
 */
#ifndef NYCKEL_METRICS_HTTP_H
#define NYCKEL_METRICS_HTTP_H

#include "stats.h"

#include <stddef.h>

#define METRICS_HTTP_PATH "/metrics"
#define METRICS_HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http;

/*
 * Bind listen ("HOST:PORT": an IPv4 address, "[IPv6 address]" or a host
 * name such as localhost; the first of its addresses that binds is
 * used) and serve GET (and HEAD) /metrics from stats (borrowed, outlives
 * the server) in a thread of its own: 200 with METRICS_HTTP_CONTENT_TYPE,
 * 404 for another path, 405 for another method. Returns 0 and *out, or
 * -1 with what failed in why ("bind 127.0.0.1:9771: Address already in
 * use").
 */
int metrics_http_start(const char *listen, struct stats *stats,
                       struct metrics_http **out, char *why, size_t why_len);

/* Stop serving (waits for the thread), close the socket; NULL-safe,
 * nulls *h. */
void metrics_http_stop(struct metrics_http **h);

#endif
