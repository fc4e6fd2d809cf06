/*
 * nyckel_sub.h — the query and subscribe half of libnyckel (DESIGN §6, §8).
 *
 * Three parts, all in plain C structs (no protobuf, no ZeroMQ types):
 *
 *  - nyckel_query_run(): one snapshot query to nyckeld's query endpoint,
 *    answered by a struct nyckel_result the caller owns; or, with
 *    nyckel_query.health, nyckeld's own counters (struct nyckel_health);
 *    nyckel_query_session_*() for many queries over one connection.
 *  - struct nyckel_sub: a subscriber that keeps a set of slices current
 *    with the Clone pattern: subscribe first, then snapshot, then apply
 *    sequenced updates; a broken per-slice chain (gap) or a silent
 *    publisher makes it snapshot again. Poll-style with a callback.
 *  - nyckel_format_*(): the JSON-lines, CSV and table renderings of
 *    slices that nyckel-query and nyckel-watch print.
 *
 * Self-contained: include/nyckel.h includes this header at its end, but
 * it can be used alone. Names used: nyckel_dim, nyckel_metric,
 * nyckel_slice, nyckel_count, nyckel_health, nyckel_result,
 * nyckel_query*, nyckel_sub*,
 * nyckel_format*, nyckel_curve*, NYCKEL_SUB_*, NYCKEL_QUERY_*,
 * NYCKEL_FORMAT_*, NYCKEL_CURVE_*, NYCKEL_EKEY, NYCKEL_EAUTH,
 * NYCKEL_EHANDSHAKE, NYCKEL_EMECHANISM.
 *
 * CURVE (encryption and authentication, issue 7) is shared by both
 * halves: a struct nyckel_curve with this client's key pair and
 * nyckeld's public key, loaded once from key files, is handed to the
 * pusher (nyckel_push_opts.curve), the subscriber (nyckel_sub_config.
 * curve) and nyckel_query_run_curve(); see "CURVE" below.
 *
 * Return codes: 0 (or a length where stated), -errno, or one of the
 * NYCKEL_SUB_E* and CURVE codes below; nyckel_sub_strerror() knows all
 * of them. Not thread-safe per object; distinct objects may be used by
 * distinct threads.
 */
#ifndef NYCKEL_SUB_H
#define NYCKEL_SUB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NYCKEL_SUB_PROTOCOL 1 /* wire protocol version spoken */

/* Embedded defaults: loopback only (DESIGN §6). */
#define NYCKEL_SUB_DEFAULT_QUERY "tcp://127.0.0.1:7712"
#define NYCKEL_SUB_DEFAULT_PUB "tcp://127.0.0.1:7711"
#define NYCKEL_SUB_DEFAULT_TIMEOUT_MS 5000 /* wait for a query answer */
#define NYCKEL_SUB_DEFAULT_SILENCE_MS 3000 /* no heartbeat: reconnect */

#define NYCKEL_QUERY_MAX_LIST 16 /* domains, filters per query */
#define NYCKEL_QUERY_MAX_REPLY_BYTES (64L << 20) /* larger replies dropped */
#define NYCKEL_SUB_MAX_UPDATE_BYTES (1L << 20)   /* larger PUB frames dropped */
#define NYCKEL_SUB_MAX_SLICES 262144 /* slices a subscriber holds at most */

/* Own error codes (below -1000 so that -errno passes through). */
#define NYCKEL_SUB_ETIMEOUT (-1501)   /* no answer within the timeout */
#define NYCKEL_SUB_EMALFORMED (-1502) /* reply is not a valid message */
#define NYCKEL_SUB_EPROTOCOL (-1503)  /* reply speaks another protocol */
#define NYCKEL_SUB_EREFUSED (-1504)   /* query refused: see error/text */
#define NYCKEL_SUB_ETOOMANY (-1505)   /* over NYCKEL_QUERY_MAX_LIST */

/*
 * CURVE codes, returned by both halves (the push half too). A refused
 * or failed handshake is reported as soon as ZeroMQ reports it on the
 * socket, instead of as a timeout (the sockets are monitored, with or
 * without CURVE, so that a client without keys learns that nyckeld
 * wants them).
 */
#define NYCKEL_EKEY (-1510)       /* key unusable, or libzmq without CURVE */
#define NYCKEL_EAUTH (-1511)      /* nyckeld refused this client's key */
#define NYCKEL_EHANDSHAKE (-1512) /* handshake failed: wrong server key? */
#define NYCKEL_EMECHANISM (-1513) /* CURVE on one side only */

/* Text for a NYCKEL_SUB_E* or CURVE code or a -errno (also ZeroMQ's);
 * static. */
const char *nyckel_sub_strerror(int code);

/* ------------------------------------------------------------ CURVE */

#define NYCKEL_CURVE_KEY_LEN 40 /* a 32-byte CURVE key as Z85 text */

/*
 * What a client needs to talk CURVE to nyckeld, as Z85 text. Plain
 * values: copy freely; whoever holds one should clear it when done
 * (it holds a secret key). The library takes a copy (nyckel_push_new,
 * nyckel_sub_new) or reads it during the call (nyckel_query_run_curve)
 * and checks it again; it derives the public key itself from
 * secret_key and never reads public_key.
 */
struct nyckel_curve {
    char secret_key[NYCKEL_CURVE_KEY_LEN + 1]; /* this client's, Z85 */
    char public_key[NYCKEL_CURVE_KEY_LEN + 1]; /* of secret_key, Z85; for
                                                  messages ("add this key
                                                  to nyckeld's keys file") */
    char server_key[NYCKEL_CURVE_KEY_LEN + 1]; /* nyckeld's public, Z85 */
};

/*
 * Fill *c from key files as nyckel-keygen writes them (issue 7):
 * key_file holds this client's secret key (NAME.key: Z85 on the first
 * line that is not a '#' comment; refused when group or others may read
 * it), server_key_file nyckeld's public key (its .pub). Returns 0, or
 * NYCKEL_EKEY with a reason for people in why ("client.key: a secret key
 * must not be readable by group or others (chmod 600)"; why may be NULL
 * when why_len is 0). On failure *c is cleared.
 */
int nyckel_curve_load(struct nyckel_curve *c, const char *key_file,
                      const char *server_key_file, char *why, size_t why_len);

/*
 * Fill *c from keys already in memory (Z85, 40 characters each): for
 * adapters that keep their keys elsewhere. Returns 0 or NYCKEL_EKEY (not
 * a key, or this libzmq was built without CURVE); on failure *c is
 * cleared.
 */
int nyckel_curve_from_z85(struct nyckel_curve *c, const char *secret_z85,
                          const char *server_z85);

/* ------------------------------------------------------------ values */

struct nyckel_dim {
    const char *key;   /* "unit", "age_band", ...; never NULL in results */
    const char *value; /* "ekb", "25-64", ...; never NULL in results */
};

struct nyckel_metric {
    const char *id;     /* stable id, "households"; never NULL in results */
    const char *label;  /* Swedish label, NULL when not sent */
    const char *unit;   /* kr|count|ratio|share|months|days, NULL: not sent */
    int is_null;        /* nonzero: no value (zero denominator, or
                           suppressed) */
    double value;       /* money in kronor; 0 when is_null */
    const char *status; /* "ok", "null" or "suppressed" (the value rests
                           on a count below nyckeld's --suppress-below);
                           NULL when not sent */
};

struct nyckel_slice {
    const char *municipality; /* kommunkod, "0127"; "" if not sent */
    const char *domain;       /* eb|pl|inv|ec; "" if not sent */
    const char *period;       /* DESIGN §3 id, "2014-T2"; "" if not sent */
    size_t n_dims;            /* 0 = the total */
    const struct nyckel_dim *dims; /* in rollup order */
    size_t n_metrics;
    const struct nyckel_metric *metrics; /* in the order received */
    uint64_t seq; /* this slice's last update, 0 = never published */
    /*
     * Year-on-year comparison, only in answers to a query with
     * compare_previous_year (else n_previous is 0 and both NULL):
     * previous[i] is metric previous[i].id of the same slice one year
     * earlier (for a running period the same elapsed part), in the order
     * received; change_pct[i] is the change of that same id in percent
     * (12.5 means +12.5 %), is_null where the earlier value is 0 or null.
     * Both arrays have n_previous entries; label and unit as sent (NULL
     * when not sent; the formats then use the metric's own unit).
     */
    size_t n_previous;
    const struct nyckel_metric *previous;
    const struct nyckel_metric *change_pct;
};

/* A count by name. */
struct nyckel_count {
    const char *name; /* reason code, "bad_date"; never NULL in results */
    uint64_t value;
};

/*
 * nyckeld's own counters since it started (issue 7): the answer to a
 * health query (nyckel_query.health), the same figures its Prometheus
 * endpoint (--metrics-listen) serves. A field nyckeld did not send is 0.
 */
struct nyckel_health {
    const char *version;      /* nyckeld's version, "" if not sent */
    uint64_t start_unix_ms;   /* when it started, Unix time, ms */
    uint64_t uptime_ms;       /* since then */
    uint64_t events_received; /* in ingest batches that could be decoded */
    uint64_t events_accepted; /* events of applied batches by status: */
    uint64_t events_duplicate;
    uint64_t events_stale;
    uint64_t events_rejected;
    size_t n_rejected; /* rejected events per reason code, every code */
    const struct nyckel_count *rejected;
    uint64_t batches_accepted; /* applied, committed, acknowledged */
    size_t n_batches_refused;  /* batches refused whole per reason */
    const struct nyckel_count *batches_refused;
    double commit_seconds_sum;   /* receipt to durable commit, summed over
                                    the accepted batches, seconds */
    uint64_t map_bytes;          /* LMDB map size now */
    uint64_t used_bytes;         /* of it in use */
    uint64_t max_bytes;          /* the ceiling it may grow to */
    uint64_t subscriptions;      /* granted subscription requests held */
    uint64_t handshakes_refused; /* CURVE handshakes refused */
};

/*
 * A query answer, or a subscriber's current view. All strings and
 * arrays belong to the result and live until nyckel_result_destroy()
 * (or, for a subscriber's view, until its next poll).
 */
struct nyckel_result {
    uint32_t protocol; /* as sent by nyckeld */
    uint64_t seq;      /* sequence the slices reflect (health: of the
                          last commit) */
    const char *as_of; /* YYYY-MM-DD, "" if not sent */
    size_t n_slices;
    struct nyckel_slice *slices;
    const char *error; /* reason code when refused, else NULL */
    const char *text;  /* refusal text for people, NULL if not sent */
    const struct nyckel_health *health; /* the answer to a health query
                                           (no slices), else NULL */
};

/* NULL-safe; sets *r to NULL. */
void nyckel_result_destroy(struct nyckel_result **r);

/*
 * The slice's name as used in topics and CSV: "total" when it has no
 * dims, else "k=v" joined by ',' in dims order ("setting=institution,
 * regi=extern"). Writes a NUL-terminated string into buf; returns its
 * length, or -ENOSPC when size is too small (buf then holds a truncated,
 * terminated prefix when size > 0).
 */
int nyckel_slice_name(const struct nyckel_slice *s, char *buf, size_t size);

/*
 * Fallback Swedish label and unit of a DESIGN §4 metric, for messages
 * that did not carry them (updates carry no labels). Sets *label and
 * *unit (either pointer may be NULL) to static strings, or to NULL and
 * returns -ENOENT when (domain, id) is unknown. domain may be NULL.
 */
int nyckel_metric_info(const char *domain, const char *id, const char **label,
                       const char **unit);

/* ------------------------------------------------------------ queries */

struct nyckel_query {
    const char *municipality;   /* required */
    size_t n_domains;           /* 0 = all served domains */
    const char *const *domains; /* n_domains strings */
    const char *period;         /* NULL: nyckeld decides (may refuse) */
    const char *period_to;      /* NULL: just period */
    const char *rollup;         /* "unit", "setting,regi"; NULL = totals */
    size_t n_filters;           /* keep slices whose dims match all */
    const struct nyckel_dim *filters;
    int compare_previous_year; /* nonzero: ask for year-on-year change */
    int exact;  /* nonzero: ask for unsuppressed values; nyckeld answers
                   an admin key only, others get error "forbidden" */
    int health; /* nonzero: ask for nyckeld's own counters instead
                   (result->health); every other field is then unused,
                   municipality too. nyckeld answers an admin key, or
                   anyone without CURVE; others get error "forbidden" */
};

/*
 * Send q to the ROUTER at endpoint (NULL: NYCKEL_SUB_DEFAULT_QUERY) on a
 * fresh DEALER socket (linger 0) and wait at most timeout_ms (<= 0:
 * NYCKEL_SUB_DEFAULT_TIMEOUT_MS) for the answer.
 *
 * Returns 0 with *out owned by the caller, also when nyckeld refused the
 * query ((*out)->error set). Otherwise *out is NULL and the return is
 * NYCKEL_SUB_ETIMEOUT (no answer), NYCKEL_SUB_EMALFORMED (also: a
 * health query answered without health), NYCKEL_SUB_EPROTOCOL,
 * NYCKEL_SUB_ETOOMANY, -EINVAL (no municipality, and not a health
 * query), -EINTR (a signal arrived while waiting) or another -errno.
 */
int nyckel_query_run(const char *endpoint, const struct nyckel_query *q,
                     int timeout_ms, struct nyckel_result **out);

/*
 * nyckel_query_run() over CURVE: the DEALER is a CURVE client with
 * curve's keys (read during the call only); curve NULL is plain
 * nyckel_query_run(). Also returns NYCKEL_EKEY (curve holds no usable
 * keys), NYCKEL_EAUTH (nyckeld refused the key), NYCKEL_EHANDSHAKE or
 * NYCKEL_EMECHANISM, as soon as ZeroMQ reports the failed handshake
 * (usually within milliseconds; a wrong server key after about three
 * reconnects, some 200 ms), not after timeout_ms.
 */
int nyckel_query_run_curve(const char *endpoint, const struct nyckel_query *q,
                           int timeout_ms, const struct nyckel_curve *curve,
                           struct nyckel_result **out);

/*
 * Many queries over one connection, one after the other (nyckel-query
 * --batch): nyckel_query_run_curve() costs a ZeroMQ context, a socket
 * and a handshake per query; a session pays them once.
 *
 * nyckel_query_session_open() connects to endpoint (NULL:
 * NYCKEL_SUB_DEFAULT_QUERY), over CURVE when curve is not NULL (its keys
 * are copied, and wiped at close). Returns 0 with *out to close with
 * nyckel_query_session_close(), NYCKEL_EKEY, -EINVAL, -EPROTONOSUPPORT
 * or another -errno.
 *
 * nyckel_query_session_run() sends q and waits for its answer as
 * nyckel_query_run_curve() does, with the same returns. After any
 * return but 0 (a timeout, say) the session opens a fresh socket for
 * the next query, so that a late answer is never taken for the next
 * one's.
 */
struct nyckel_query_session;
int nyckel_query_session_open(const char *endpoint,
                              const struct nyckel_curve *curve,
                              struct nyckel_query_session **out);
int nyckel_query_session_run(struct nyckel_query_session *s,
                             const struct nyckel_query *q, int timeout_ms,
                             struct nyckel_result **out);
/* Closes *s (NULL or an open session) and sets it to NULL. */
void nyckel_query_session_close(struct nyckel_query_session **s);

/* ------------------------------------------------------------ subscribe */

struct nyckel_sub_config {
    const char *query_endpoint; /* NULL: NYCKEL_SUB_DEFAULT_QUERY */
    const char *pub_endpoint;   /* NULL: NYCKEL_SUB_DEFAULT_PUB */
    const char *municipality;   /* required */
    const char *domain;         /* NULL: every domain */
    const char *period;         /* NULL: every period, see below */
    const char *rollup;         /* NULL: total slices only; "setting,regi" */
    int timeout_ms;             /* snapshot answer; <= 0: default */
    int silence_ms; /* no PUB message this long: reconnect; <= 0: 3000 */
    const struct nyckel_curve *curve; /* NULL: no CURVE; else copied, and
                                         both sockets are CURVE clients */
    int exact; /* nonzero: the admins' stream ("!<topic>": every change at
                  once, exact values) and exact snapshots; nyckeld grants
                  it to admin keys only. Otherwise updates are suppressed
                  and come at most once a slice per nyckeld's
                  --publish-interval */
};

enum nyckel_sub_kind {
    NYCKEL_SUB_SNAPSHOT = 1, /* a snapshot replaced the view: seq, as_of */
    NYCKEL_SUB_UPDATE,       /* an update was applied: slice, seq, as_of */
    NYCKEL_SUB_HEARTBEAT,    /* seq = last published, as_of */
    NYCKEL_SUB_GAP,          /* slice's chain broken: slice = the update,
                                seq, prev_seq, held_seq; resnapshot says
                                whether a snapshot follows */
    NYCKEL_SUB_SILENCE,      /* nothing from PUB for silence_ms:
                                reconnecting, then snapshot */
    NYCKEL_SUB_NO_ANSWER,    /* snapshot query unanswered: retrying */
};

struct nyckel_sub_event {
    enum nyckel_sub_kind kind;
    uint64_t seq;                     /* see kinds */
    const char *as_of;                /* "" when unknown */
    const struct nyckel_slice *slice; /* UPDATE, GAP; else NULL */
    uint64_t prev_seq;                /* GAP: the update's prev_seq */
    uint64_t held_seq; /* GAP: what the view held for the slice */
    int resnapshot;    /* GAP: nonzero when a snapshot follows */
    int elapsed_ms;    /* SILENCE, NO_ANSWER: how long it waited */
};

/*
 * Called from nyckel_sub_poll() for each event. ev and everything it
 * points to are valid only during the call; the callback must not call
 * nyckel_sub_poll() or nyckel_sub_destroy().
 */
typedef void nyckel_sub_fn(const struct nyckel_sub_event *ev, void *arg);

struct nyckel_sub;

/*
 * A subscriber for cfg (copied; cfg's strings may be freed afterwards).
 * Nothing is connected until the first poll. fn may be NULL.
 *
 * With cfg->period set, the view is a snapshot (a Query for the
 * municipality, domain, period and rollup) kept current by updates:
 * an update is ignored when its seq <= the slice's held seq, applied
 * when its prev_seq equals the held seq (0 for a slice not in the
 * snapshot), and otherwise is a gap: a fresh snapshot is taken.
 * Without a period no snapshot can cover every period: a slice enters
 * the view with its first update whatever its prev_seq; a later gap is
 * reported (GAP, resnapshot 0) and the update, which carries the whole
 * slice, adopted.
 *
 * A poll never blocks longer than asked: the snapshot query runs on a
 * fresh DEALER polled beside the SUB socket. Updates that arrive while
 * a snapshot is in flight wait in ZeroMQ's queue and are judged against
 * the new snapshot.
 *
 * Returns 0 and *out, -EINVAL (no municipality) or NYCKEL_EKEY
 * (cfg->curve holds no usable keys).
 */
int nyckel_sub_new(const struct nyckel_sub_config *cfg, nyckel_sub_fn *fn,
                   void *arg, struct nyckel_sub **out);

/* NULL-safe; closes the sockets; sets *s to NULL. */
void nyckel_sub_destroy(struct nyckel_sub **s);

/*
 * Do the work that is due and wait at most timeout_ms (0: do not wait)
 * for messages; returns after handling whatever arrived, possibly
 * sooner than timeout_ms. Callbacks run from here. Returns 0, -EINTR
 * when a signal interrupted the wait (call again or stop),
 * NYCKEL_SUB_EREFUSED when nyckeld refused the snapshot query (the view
 * then carries error and text; further polls return it again),
 * NYCKEL_SUB_EPROTOCOL or NYCKEL_SUB_EMALFORMED for an answer that
 * cannot be used, NYCKEL_EAUTH, NYCKEL_EHANDSHAKE or NYCKEL_EMECHANISM
 * when a handshake with the query or PUB endpoint failed, or another
 * -errno for a ZeroMQ failure (-EINVAL or -EPROTONOSUPPORT for an
 * endpoint that cannot be used). After any code but -EINTR the
 * subscriber is failed and only good for destroy.
 */
int nyckel_sub_poll(struct nyckel_sub *s, int timeout_ms);

/*
 * The current view: seq is the last snapshot or applied update, as_of
 * the latest seen. Borrowed: valid until the next poll or destroy.
 */
const struct nyckel_result *nyckel_sub_view(const struct nyckel_sub *s);

/* Last heartbeat's seq (0: none yet) and how many snapshots were
 * applied so far. */
uint64_t nyckel_sub_heartbeat_seq(const struct nyckel_sub *s);
unsigned nyckel_sub_snapshots(const struct nyckel_sub *s);

/* ------------------------------------------------------------ formats */

/*
 * One JSON object and '\n' for slice s (DESIGN §8), e.g.
 * {"municipality":"0127","domain":"eb","period":"2014","slice":{},
 *  "seq":12,"as_of":"2014-09-01","metrics":{"paid":853.30,...}}
 * slice holds the dims, metrics keep the received order (a repeated id
 * is written once), null for absent or non-finite values; kr with two
 * decimals, count as an integer, other units in the shortest form that
 * reads back to the same double. seq and as_of are the caller's (a
 * query's seq, or an update's). Strings are escaped by jansson; invalid
 * UTF-8 becomes U+FFFD. A compared slice (n_previous > 0) also has
 * "previous":{id:value,...} (numbers as in metrics) and
 * "change_pct":{id:percent,...} (shortest form, null where the earlier
 * value was 0 or null) after "metrics". Returns 0 or -EIO when out failed.
 */
int nyckel_format_json(FILE *out, const struct nyckel_slice *s, uint64_t seq,
                       const char *as_of);

/* nyckel_format_json() for each slice of r with r's seq and as_of. */
int nyckel_format_json_result(FILE *out, const struct nyckel_result *r);

/*
 * CSV (RFC 4180 quoting, '\n' line ends): header
 * municipality,domain,period,slice,seq,as_of,<metric ids> where the ids
 * are the union over r's slices in order of first appearance, then one
 * row per slice; slice "total" or "k=v,...", numbers as in JSON, empty
 * for null or a metric the slice lacks. When a slice of r is compared
 * (n_previous > 0) the metric columns are followed, for each metric id,
 * by prev_<id>,change_pct_<id> (empty where a slice has no comparison).
 * Returns 0 or -EIO.
 */
int nyckel_format_csv(FILE *out, const struct nyckel_result *r);

#define NYCKEL_FORMAT_SEQ_ROW 0x1u   /* table: a row with each slice's seq */
#define NYCKEL_FORMAT_NO_HEADER 0x2u /* table: leave out the header line */
#define NYCKEL_FORMAT_ASCII 0x4u     /* table: "-" instead of "–" for null */

/*
 * Human-readable table: a header line (municipality, period, as_of,
 * seq), then one block per domain in order of first appearance; rows
 * are metrics (id, Swedish label, values), columns are the slices of
 * that domain. Values in Swedish notation (space as thousands
 * separator, decimal comma): kr with two decimals ("12 345,60 kr"),
 * counts as integers, shares as percent with one decimal ("34,1 %"),
 * months and ratios with two decimals, days with one, "–" for null.
 * In a block with compared slices each slice has three columns: the
 * value, the value one year earlier (headed by that period) and the
 * change ("förändring", "+12,2 %", "–" for null).
 * flags: NYCKEL_FORMAT_*. Returns 0 or -EIO.
 */
int nyckel_format_table(FILE *out, const struct nyckel_result *r,
                        unsigned flags);

/*
 * The JSON/CSV text of one metric value as described for
 * nyckel_format_json(): "null", "853.30", "2057", "6.47". unit NULL is
 * looked up with nyckel_metric_info(domain, m->id). Returns the length,
 * or -ENOSPC (buf needs 32 bytes at most for any value).
 */
int nyckel_format_number(char *buf, size_t size, const struct nyckel_metric *m,
                         const char *domain);

#ifdef __cplusplus
}
#endif

#endif
