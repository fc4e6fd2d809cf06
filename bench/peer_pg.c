/*
 * peer_pg.c — the PostgreSQL peer of nyckel-bench (see peer.h): the
 * batch way to the same figures, as a team with a database would do it.
 *
 * initdb makes a cluster in the peer's directory (as the postgres user
 * when the bench runs as root, since initdb and postgres refuse root);
 * postgres runs as a child on 127.0.0.1 only, no Unix socket, trust
 * authentication, durable commits (synchronous_commit and fsync at their
 * defaults). A load COPYs every payment row (tombstones and all
 * revisions included) into a table, together with a small table of the
 * periods containing each month (filled from daemon/period.c, so that the
 * period ids are nyckeld's), commits, and then runs one SQL statement
 * that keeps each entity's latest revision (the first one sent when a
 * revision came twice), drops tombstones, computes each household's
 * monthly net per raw slice (total, unit, age band labelled by the year
 * before and the year of the month, category) and from those the eb
 * figures of every (municipality, period, slice) into a figures table,
 * and commits. The load's time is both commits' wall time.
 */
#include "peer_impl.h"

#include <errno.h>
#include <glob.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG_DB "nyckel_bench"
#define PG_COPY_FLUSH 65536 /* bytes of COPY text per PQputCopyData */
#define PG_MONTHS ((PERIOD_YEAR_MAX - PERIOD_YEAR_MIN + 1) * 12)
#define PG_WORK_MEM "256MB" /* the figures' sorts and hashes in memory */

struct pg_peer {
    pid_t pid;
    uid_t uid; /* the server's user; (uid_t)-1: ours */
    gid_t gid;
    char bindir[PATH_MAX]; /* "" : programs from PATH */
    char data[PATH_MAX];
    char log[PATH_MAX];
    PGconn *db;            /* to PG_DB */
    int64_t seq;           /* rows copied since the last reset */
    unsigned char *months; /* PG_MONTHS flags: a payment of month seen */
};

/* A growable COPY text buffer. */
struct pg_buf {
    char *p;
    size_t n, cap;
};

static const char pg_schema[] =
    "CREATE TABLE events ("
    " seq bigint NOT NULL, source text NOT NULL, id text NOT NULL,"
    " revision bigint NOT NULL, deleted boolean NOT NULL,"
    " municipality text, unit text, household text,"
    " month int, amount_ore bigint, category text, head_birth_year int);"
    /* month index -> the periods containing it (daemon/period.c), once
     * with the age band label of the period (the year it starts in) and
     * once with label 0, which slices without age bands join */
    "CREATE TABLE month_periods ("
    " month int NOT NULL, period text NOT NULL, label_year int NOT NULL,"
    " first_month int NOT NULL, PRIMARY KEY (month, period, label_year));"
    "CREATE TABLE figures ("
    " municipality text NOT NULL, period text NOT NULL, slice text NOT NULL,"
    " paid_ore bigint NOT NULL, households bigint NOT NULL,"
    " household_months bigint NOT NULL,"
    " PRIMARY KEY (municipality, period, slice));"
    /* daemon/cell.c cell_age_band() */
    "CREATE FUNCTION age_band(age int) RETURNS text"
    " LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$"
    " SELECT CASE WHEN age <= 12 THEN '0-12' WHEN age <= 17 THEN '13-17'"
    " WHEN age <= 20 THEN '18-20' WHEN age <= 24 THEN '21-24'"
    " WHEN age <= 64 THEN '25-64' ELSE '65+' END $$;";

/*
 * The eb figures of DESIGN §4 from the latest revisions, in two steps so
 * that the planner sees real row counts (an estimate of a few hundred
 * rows instead of millions made it sort millions of rows on disk).
 *
 * First each member's monthly net: a member is a household in a raw
 * slice; age bands are labelled by the year the periods start in (a
 * month's periods start in its year, R12 windows perhaps in the year
 * before), so a payment counts in the band of both years and a period
 * takes the label of its first year; other slices have label 0. Each
 * month a member counts in (net > 0) also gets the member's previous
 * such month: the member is new to a period in the first of its months
 * there, the one whose previous month lies before the period's start.
 * Distinct households per period are then a plain count, without a
 * (period, household) grouping.
 */
static const char pg_nets_sql[] =
    "CREATE TEMP TABLE nets ON COMMIT DROP AS "
    "WITH latest AS ("
    "  SELECT DISTINCT ON (source, id) deleted, municipality, unit,"
    "   household, month, amount_ore, category, head_birth_year"
    "  FROM events ORDER BY source, id, revision DESC, seq"
    "), net AS ("
    "  SELECT l.municipality, s.slice, s.label_year, l.household, l.month,"
    "   sum(l.amount_ore) AS net_ore"
    "  FROM latest l CROSS JOIN LATERAL (VALUES"
    "   ('total', 0),"
    "   ('unit=' || l.unit, 0),"
    "   ('age_band=' || age_band(l.month / 12 - 1 - l.head_birth_year),"
    "    l.month / 12 - 1),"
    "   ('age_band=' || age_band(l.month / 12 - l.head_birth_year),"
    "    l.month / 12),"
    "   ('category=' || l.category, 0)) AS s(slice, label_year)"
    "  WHERE NOT l.deleted"
    "  GROUP BY 1, 2, 3, 4, 5"
    ") "
    "SELECT municipality, slice, label_year, month, net_ore,"
    " CASE WHEN net_ore > 0 THEN lag(month) OVER (PARTITION BY"
    "  municipality, slice, label_year, household, net_ore > 0"
    "  ORDER BY month) END AS prev_month "
    "FROM net";

/* Then every (municipality, period, slice): the months of the period. */
static const char pg_figures_sql[] =
    "INSERT INTO figures "
    "SELECT n.municipality, mp.period, n.slice, sum(n.net_ore),"
    " CASE WHEN n.slice LIKE 'category=%' THEN -1"
    "  ELSE count(*) FILTER (WHERE n.net_ore > 0 AND"
    "   (n.prev_month IS NULL OR n.prev_month < mp.first_month)) END,"
    " CASE WHEN n.slice LIKE 'category=%' THEN -1"
    "  ELSE count(*) FILTER (WHERE n.net_ore > 0) END "
    "FROM nets n JOIN month_periods mp"
    " ON mp.month = n.month AND mp.label_year = n.label_year "
    "GROUP BY 1, 2, 3";

/* ------------------------------------------------------------- helpers */

/* Run sql (one or more statements); 0 or -1 with the server's message. */
static int pg_exec(PGconn *db, const char *sql)
{
    PGresult *res = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    if (rc)
        fprintf(stderr, "peer: pg: %.60s...: %s", sql, PQerrorMessage(db));
    PQclear(res);
    return rc;
}

static void pg_notice_ignore(void *arg, const char *message)
{
    (void)arg; /* "does not exist, skipping" and the like */
    (void)message;
}

static PGconn *pg_connect(int port, const char *db, bool quiet)
{
    char info[256];
    snprintf(info, sizeof(info),
             "host=127.0.0.1 port=%d user=postgres dbname=%s "
             "connect_timeout=5",
             port, db);
    PGconn *c = PQconnectdb(info);
    if (PQstatus(c) != CONNECTION_OK) {
        if (!quiet)
            fprintf(stderr, "peer: pg: connect to %s: %s", db,
                    PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, pg_notice_ignore, NULL);
    return c;
}

static void pg_buf_add(struct pg_buf *b, const char *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = peer_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

/* A COPY text field: \N for NULL, else s escaped; then sep. */
static void pg_buf_field(struct pg_buf *b, const char *s, char sep)
{
    if (!s) {
        pg_buf_add(b, "\\N", 2);
    } else {
        for (; *s; s++) {
            char esc[2] = {'\\', *s};
            if (*s == '\\' || *s == '\t' || *s == '\n' || *s == '\r') {
                esc[1] = *s == '\t'   ? 't'
                         : *s == '\n' ? 'n'
                         : *s == '\r' ? 'r'
                                      : '\\';
                pg_buf_add(b, esc, 2);
            } else {
                pg_buf_add(b, s, 1);
            }
        }
    }
    pg_buf_add(b, &sep, 1);
}

static void pg_buf_int(struct pg_buf *b, bool have, long long v, char sep)
{
    char num[24];
    snprintf(num, sizeof(num), "%lld", v);
    pg_buf_field(b, have ? num : NULL, sep);
}

/* Send the buffer as COPY data when it is full enough (or force). */
static int pg_copy_flush(PGconn *db, struct pg_buf *b, bool force)
{
    if (b->n == 0 || (!force && b->n < PG_COPY_FLUSH))
        return 0;
    if (PQputCopyData(db, b->p, (int)b->n) != 1) {
        fprintf(stderr, "peer: pg: COPY: %s", PQerrorMessage(db));
        return -1;
    }
    b->n = 0;
    return 0;
}

/* Finish a COPY; 0 when the server took it. */
static int pg_copy_end(PGconn *db, struct pg_buf *b, const char *what)
{
    int rc = pg_copy_flush(db, b, true);
    if (PQputCopyEnd(db, rc ? "client error" : NULL) != 1) {
        fprintf(stderr, "peer: pg: COPY %s: %s", what, PQerrorMessage(db));
        rc = -1;
    }
    PGresult *res;
    while ((res = PQgetResult(db))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            fprintf(stderr, "peer: pg: COPY %s: %s", what,
                    PQresultErrorMessage(res));
            rc = -1;
        }
        PQclear(res);
    }
    return rc;
}

static int pg_copy_begin(PGconn *db, const char *sql)
{
    PGresult *res = PQexec(db, sql);
    int rc = PQresultStatus(res) == PGRES_COPY_IN ? 0 : -1;
    if (rc)
        fprintf(stderr, "peer: pg: %s: %s", sql, PQerrorMessage(db));
    PQclear(res);
    return rc;
}

/* One payment as a row of events; *month_seen its month, or -1. */
static void pg_event_row(struct pg_buf *b, const Nyckel__Event *e, int64_t seq,
                         int32_t *month_seen)
{
    const Nyckel__Payment *p = e->payment;
    int32_t m;
    bool have_m = p->month && period_month_parse(p->month, &m) == 0;
    *month_seen = have_m ? m : -1;
    pg_buf_int(b, true, (long long)seq, '\t');
    pg_buf_field(b, e->source, '\t');
    pg_buf_field(b, e->id, '\t');
    pg_buf_int(b, true, (long long)e->revision, '\t');
    pg_buf_field(b, e->has_deleted && e->deleted ? "t" : "f", '\t');
    pg_buf_field(b, e->municipality, '\t');
    pg_buf_field(b, e->unit, '\t');
    pg_buf_field(b, p->household, '\t');
    pg_buf_int(b, have_m, have_m ? m : 0, '\t');
    pg_buf_int(b, p->has_amount_ore, (long long)p->amount_ore, '\t');
    pg_buf_field(b, p->category, '\t');
    pg_buf_int(b, p->has_head_birth_year, (long long)p->head_birth_year, '\n');
}

/* A payment the peer can keep: what nyckeld needs to identify and
 * (unless a tombstone) aggregate it. */
static bool pg_usable(const Nyckel__Event *e)
{
    const Nyckel__Payment *p = e->payment;
    int32_t m;
    if (!e->source || !e->id || !e->has_revision || e->revision < 1 ||
        e->revision > INT64_MAX)
        return false;
    if (e->has_deleted && e->deleted)
        return true;
    return e->municipality && e->unit && p->household && p->category &&
           p->month && period_month_parse(p->month, &m) == 0 &&
           p->has_amount_ore && p->has_head_birth_year;
}

/* ----------------------------------------------------------- database */

/* A fresh database PG_DB with the schema, and p->db connected to it. */
static int pg_create_db(struct peer *p)
{
    struct pg_peer *pp = p->impl;
    int rc = -1;
    if (pp->db) {
        PQfinish(pp->db);
        pp->db = NULL;
    }
    PGconn *admin = pg_connect(p->port, "postgres", false);
    if (!admin)
        return -1;
    if (pg_exec(admin, "DROP DATABASE IF EXISTS " PG_DB " WITH (FORCE)") ||
        pg_exec(admin, "CREATE DATABASE " PG_DB))
        goto out;
    if (!(pp->db = pg_connect(p->port, PG_DB, false)) ||
        pg_exec(pp->db, pg_schema))
        goto out;
    pp->seq = 0;
    memset(pp->months, 0, PG_MONTHS);
    rc = 0;
out:
    PQfinish(admin);
    return rc;
}

/* The directory of initdb and postgres: $NYCKEL_PG_BINDIR, else the
 * newest /usr/lib/postgresql/N/bin (Debian), else "" (PATH). */
static void pg_find_bindir(char *out, size_t cap)
{
    const char *env = getenv("NYCKEL_PG_BINDIR");
    glob_t g;
    long best = -1;
    out[0] = '\0';
    if (env && *env) {
        snprintf(out, cap, "%s/", env);
        return;
    }
    if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &g) != 0)
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        long v =
            strtol(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL, 10);
        if (v > best) {
            best = v;
            snprintf(out, cap, "%.*s", (int)(strlen(g.gl_pathv[i]) - 8),
                     g.gl_pathv[i]); /* keeps ".../bin/" */
        }
    }
    globfree(&g);
}

/* Is the server on the port ours (our data directory)? */
static bool pg_is_ours(PGconn *c, const char *data)
{
    PGresult *res = PQexec(c, "SHOW data_directory");
    bool ours = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                strcmp(PQgetvalue(res, 0, 0), data) == 0;
    PQclear(res);
    return ours;
}

/*
 * The server runs as uid/gid and must reach dir: every ancestor needs
 * search permission for it. The bench's work directory is typically
 * made by mkdtemp (0700, root): add o+x (search, not listing) to such
 * an ancestor when it is ours, else say which one is in the way.
 */
static int pg_make_reachable(const char *dir, uid_t uid, gid_t gid)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return -1;
    for (char *slash = strrchr(path, '/'); slash && slash > path;
         slash = strrchr(path, '/')) {
        *slash = '\0';
        struct stat st;
        if (stat(path, &st))
            continue;
        bool can = st.st_uid == uid   ? (st.st_mode & S_IXUSR) != 0
                   : st.st_gid == gid ? (st.st_mode & S_IXGRP) != 0
                                      : (st.st_mode & S_IXOTH) != 0;
        if (can)
            continue;
        if (st.st_uid != geteuid() ||
            chmod(path, (st.st_mode & 07777) | S_IXOTH)) {
            fprintf(stderr,
                    "peer: pg: the postgres user cannot reach %s: %s is "
                    "mode %o; make it searchable (chmod o+x)\n",
                    dir, path, (unsigned)(st.st_mode & 07777));
            return -1;
        }
        fprintf(stderr,
                "peer: pg: note: chmod o+x %s, so that the postgres "
                "user reaches %s\n",
                path, dir);
    }
    return 0;
}

/* ----------------------------------------------------------- peer ops */

static void pg_stop(struct peer *p)
{
    struct pg_peer *pp = p->impl;
    if (!pp)
        return;
    if (pp->db)
        PQfinish(pp->db);
    /* SIGINT: fast shutdown, a checkpoint, then exit */
    if (pp->pid > 0)
        peer_child_stop(pp->pid, SIGINT, PEER_STOP_TIMEOUT_MS);
    free(pp->months);
    free(pp);
    p->impl = NULL;
}

static int pg_start(struct peer *p)
{
    struct pg_peer *pp = peer_xcalloc(1, sizeof(*pp));
    char initdb[PATH_MAX + 16], postgres[PATH_MAX + 16], port[16];
    char initdb_log[PATH_MAX];
    p->impl = pp;
    pp->months = peer_xcalloc(PG_MONTHS, 1);
    pp->uid = (uid_t)-1;
    pp->gid = (gid_t)-1;
    pg_find_bindir(pp->bindir, sizeof(pp->bindir));
    snprintf(initdb, sizeof(initdb), "%sinitdb", pp->bindir);
    snprintf(postgres, sizeof(postgres), "%spostgres", pp->bindir);
    snprintf(port, sizeof(port), "%d", p->port);
    snprintf(pp->data, sizeof(pp->data), "%s/data", p->dir);
    snprintf(pp->log, sizeof(pp->log), "%s/postgres.log", p->dir);
    snprintf(initdb_log, sizeof(initdb_log), "%s/initdb.log", p->dir);
    if (geteuid() == 0) {
        /* initdb and postgres refuse to run as root */
        struct passwd *pw = getpwnam("postgres");
        if (!pw) {
            fprintf(stderr, "peer: pg: running as root and there is no "
                            "postgres user to run the server as\n");
            goto fail_quiet;
        }
        pp->uid = pw->pw_uid;
        pp->gid = pw->pw_gid;
        if (chown(p->dir, pp->uid, pp->gid)) {
            fprintf(stderr, "peer: pg: chown %s: %s\n", p->dir,
                    strerror(errno));
            goto fail_quiet;
        }
        if (pg_make_reachable(p->dir, pp->uid, pp->gid))
            goto fail_quiet;
    }
    /* --no-sync: only initdb's own files; the server fsyncs its WAL */
    const char *init_argv[] = {initdb,     "-D",         pp->data,    "-U",
                               "postgres", "-A",         "trust",     "-E",
                               "UTF8",     "--locale=C", "--no-sync", NULL};
    if (peer_run(init_argv, initdb_log, pp->uid, pp->gid)) {
        peer_log_tail(initdb_log, 10);
        goto fail_quiet;
    }
    /* loopback TCP only, no Unix socket (its path length is capped) */
    const char *pg_argv[] = {postgres,
                             "-D",
                             pp->data,
                             "-p",
                             port,
                             "-c",
                             "listen_addresses=127.0.0.1",
                             "-c",
                             "unix_socket_directories=",
                             NULL};
    if (peer_spawn(pg_argv, pp->log, pp->uid, pp->gid, &pp->pid))
        goto fail;
    for (double t0 = peer_now();;) {
        if (!peer_child_alive(pp->pid)) {
            pp->pid = 0;
            fprintf(stderr, "peer: pg: postgres exited at start\n");
            goto fail;
        }
        PGconn *c = pg_connect(p->port, "postgres", true);
        if (c) {
            bool ours = pg_is_ours(c, pp->data);
            PQfinish(c);
            if (!ours) {
                fprintf(stderr,
                        "peer: pg: another server answers on "
                        "127.0.0.1:%d\n",
                        p->port);
                goto fail;
            }
            break;
        }
        if (peer_now() - t0 > PEER_START_TIMEOUT_MS / 1000.0) {
            fprintf(stderr,
                    "peer: pg: no answer on 127.0.0.1:%d within %d ms\n",
                    p->port, PEER_START_TIMEOUT_MS);
            goto fail;
        }
        peer_sleep_ms(50);
    }
    if (pg_create_db(p))
        goto fail;
    return 0;
fail:
    peer_log_tail(pp->log, 10);
fail_quiet:
    pg_stop(p);
    return -1;
}

static int pg_reset(struct peer *p)
{
    return pg_create_db(p);
}

/* COPY the usable payments of ev (and the periods of their months);
 * counts to r. */
static int pg_copy_events(struct pg_peer *pp, const struct bench_events *ev,
                          struct peer_load_result *r, size_t *skipped)
{
    struct pg_buf b = {0};
    int rc = -1;
    if (pg_copy_begin(pp->db, "COPY events FROM STDIN"))
        goto out;
    for (size_t i = 0; i < ev->n; i++) {
        const Nyckel__Event *e = ev->ev[i];
        int32_t m;
        if (e->body_case != NYCKEL__EVENT__BODY_PAYMENT)
            continue;
        r->payments++;
        if (!pg_usable(e)) {
            (*skipped)++;
            continue;
        }
        pg_event_row(&b, e, ++pp->seq, &m);
        r->ops++;
        if (m >= PERIOD_YEAR_MIN * 12 && m < PERIOD_YEAR_MIN * 12 + PG_MONTHS)
            pp->months[m - PERIOD_YEAR_MIN * 12] = 1;
        if (pg_copy_flush(pp->db, &b, false)) {
            pg_copy_end(pp->db, &b, "events");
            goto out;
        }
    }
    if (pg_copy_end(pp->db, &b, "events"))
        goto out;
    /* every month seen so far, also in earlier loads */
    if (pg_exec(pp->db, "TRUNCATE month_periods") ||
        pg_copy_begin(pp->db, "COPY month_periods FROM STDIN"))
        goto out;
    for (int32_t i = 0; i < PG_MONTHS; i++) {
        if (!pp->months[i])
            continue;
        int32_t m = PERIOD_YEAR_MIN * 12 + i;
        struct period pers[PERIOD_CONTAINING_MAX];
        size_t n = period_containing(m, pers, PERIOD_CONTAINING_MAX);
        for (size_t k = 0; k < n; k++) {
            char id[PERIOD_ID_MAX];
            period_format(&pers[k], id);
            for (int any = 0; any < 2; any++) {
                pg_buf_int(&b, true, m, '\t');
                pg_buf_field(&b, id, '\t');
                pg_buf_int(&b, true,
                           any ? 0 : period_month_year(pers[k].first_month),
                           '\t');
                pg_buf_int(&b, true, pers[k].first_month, '\n');
            }
        }
    }
    if (pg_copy_end(pp->db, &b, "month_periods"))
        goto out;
    rc = 0;
out:
    free(b.p);
    return rc;
}

static int pg_load(struct peer *p, const struct bench_events *ev,
                   struct peer_load_result *r)
{
    struct pg_peer *pp = p->impl;
    size_t skipped = 0;
    double t0 = peer_now();
    r->events = ev->n;
    if (pg_exec(pp->db, "BEGIN"))
        return -1;
    if (pg_copy_events(pp, ev, r, &skipped) || pg_exec(pp->db, "COMMIT")) {
        pg_exec(pp->db, "ROLLBACK");
        return -1;
    }
    double t1 = peer_now();
    /* ANALYZE: the planner has no statistics of a table just filled */
    if (pg_exec(pp->db, "SET work_mem = '" PG_WORK_MEM "'") ||
        pg_exec(pp->db, "BEGIN"))
        return -1;
    if (pg_exec(pp->db, "ANALYZE events, month_periods") ||
        pg_exec(pp->db, pg_nets_sql) || pg_exec(pp->db, "ANALYZE nets") ||
        pg_exec(pp->db, "TRUNCATE figures") ||
        pg_exec(pp->db, pg_figures_sql) || pg_exec(pp->db, "COMMIT")) {
        pg_exec(pp->db, "ROLLBACK");
        return -1;
    }
    double t2 = peer_now();
    r->seconds = t2 - t0;
    snprintf(r->detail, sizeof(r->detail),
             "COPY %zu rows %.2f s, SQL (analyze, figures) %.2f s, "
             "work_mem " PG_WORK_MEM "%s",
             r->ops, t1 - t0, t2 - t1,
             skipped ? ", some payments unusable (skipped)" : "");
    if (skipped)
        fprintf(stderr,
                "peer: pg: %zu payments without the fields the peer "
                "needs, skipped\n",
                skipped);
    return 0;
}

static int pg_eb_figures(struct peer *p, const struct bench_slice *s,
                         struct bench_eb_figures *f)
{
    struct pg_peer *pp = p->impl;
    const char *params[3] = {s->muni, s->period, s->slice};
    PGresult *res = PQexecParams(
        pp->db,
        "SELECT paid_ore, households, household_months FROM figures"
        " WHERE municipality = $1 AND period = $2 AND slice = $3",
        3, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "peer: pg: figures of %s %s %s: %s", s->muni, s->period,
                s->slice, PQerrorMessage(pp->db));
        rc = -1;
    } else if (PQntuples(res) == 1) {
        f->paid_ore = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        f->households = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        f->household_months = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    } else if (peer_slice_is_category(s->slice)) {
        f->households = f->household_months = -1;
    }
    PQclear(res);
    return rc;
}

const struct peer_ops peer_pg_ops = {
    .name = "pg",
    .start = pg_start,
    .reset = pg_reset,
    .load = pg_load,
    .eb_figures = pg_eb_figures,
    .stop = pg_stop,
};
