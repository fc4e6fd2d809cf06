/*
 * nyckel-watch — a live view of chosen slices: snapshot plus sequenced
 * updates (libnyckel's struct nyckel_sub, the Clone pattern).
 *
 * On a terminal: a table redrawn in place at most ~5 times a second.
 * Otherwise (or --format json): one JSON line per applied update, in
 * nyckel-query's per-slice format with the update's seq and as_of, and
 * {"event":"snapshot","seq":N} followed by the slices it holds for each
 * snapshot taken. Gaps, silence
 * and unanswered snapshots are reported on stderr (on the status line
 * of the terminal table).
 *
 * Exit status: 0 after --for SEC or on SIGINT/SIGTERM; 1 when --for
 * ran out without nyckeld ever answering, or on a runtime failure (a
 * key nyckeld refuses, an unreadable key file); 2 usage error or
 * snapshot query refused.
 */
#include "lib/cli.h"
#include "nyckel_sub.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define PROG "nyckel-watch"
#define EXIT_NO_ANSWER 1
#define EXIT_USAGE 2
#define REDRAW_MS 200 /* at most ~5 redraws a second */
#define STATUS_MAX 256

enum format { FORMAT_AUTO, FORMAT_TABLE, FORMAT_JSON };

struct opts {
    struct nyckel_sub_config cfg;
    struct cli_conn conn; /* --query, --pub, --key, ... */
    enum format format;
    double for_s; /* 0: until a signal */
};

struct watch {
    const struct opts *o;
    int tty;          /* stdout is a terminal: redraw in place */
    int json;         /* JSON lines, else table */
    int dirty;        /* the table needs a redraw */
    int out_rc;       /* first output failure, -errno */
    unsigned updates; /* applied so far */
    unsigned heartbeats;
    time_t last_change; /* wall clock of the last snapshot/update, 0 none */
    const char *state;  /* "connecting", "live", ... for the status line */
    char notice[STATUS_MAX + 16]; /* "HH:MM:SS " + last gap/silence/... */
    struct nyckel_sub *sub;       /* set once created; for its view */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: " PROG " --municipality CODE [options]\n"
            "Follow key ratios of one municipality live: a snapshot, then\n"
            "every update nyckeld publishes.\n"
            "\n"
            "Options:\n"
            "  -m, --municipality CODE  kommunkod, e.g. 0127 (required)\n"
            "  -d, --domain D           eb, pl, inv or ec (default: all)\n"
            "  -p, --period P           period id, e.g. 2014 or 2014-08\n"
            "                           (default: every period; no snapshot)\n"
            "  -r, --rollup R           slices of this rollup, e.g. unit or\n"
            "                           setting,regi (default: the totals)\n"
            "      --for SEC            stop after SEC seconds (exit 0)\n"
            "      --exact              exact values and every change at once\n"
            "                           (admin keys only); otherwise small\n"
            "                           counts are suppressed and a slice's\n"
            "                           change comes at most once per\n"
            "                           nyckeld's --publish-interval\n"
            "  -f, --format F           table (default on a terminal) or json\n"
            "  -t, --timeout MS         wait this long for a snapshot (default "
            "%d)\n",
            NYCKEL_SUB_DEFAULT_TIMEOUT_MS);
    cli_conn_help(out, 6, 27, CLI_USES_QUERY | CLI_USES_PUB | CLI_USES_KEYS);
    fputs("  -h, --help               this text\n"
          "  -V, --version            print the version\n"
          "\n"
          "Exit status: 0 after --for or on SIGINT/SIGTERM, 1 no answer from\n"
          "nyckeld (also: it refused this client's key, or a key file cannot\n"
          "be read), 2 usage error or snapshot refused.\n",
          out);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* Returns -1 to go on, or an exit status. */
static int parse(int argc, char **argv, struct opts *o)
{
    enum { OPT_FOR = 256, OPT_EXACT };
    static const struct option longopts[] = {
        {"municipality", required_argument, NULL, 'm'},
        {"domain", required_argument, NULL, 'd'},
        {"period", required_argument, NULL, 'p'},
        {"rollup", required_argument, NULL, 'r'},
        {"for", required_argument, NULL, OPT_FOR},
        {"exact", no_argument, NULL, OPT_EXACT},
        {"format", required_argument, NULL, 'f'},
        CLI_CONN_LONGOPTS,
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    const char *why;

    o->cfg.query_endpoint = NYCKEL_SUB_DEFAULT_QUERY;
    o->cfg.pub_endpoint = NYCKEL_SUB_DEFAULT_PUB;
    o->cfg.timeout_ms = NYCKEL_SUB_DEFAULT_TIMEOUT_MS;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:d:p:r:f:t:hV", longopts, NULL)) !=
           -1) {
        if (cli_conn_option(&o->conn, c, optarg))
            continue;
        switch (c) {
        case 'm':
            o->cfg.municipality = optarg;
            break;
        case 'd':
            if (strchr(optarg, ',') || strchr(optarg, '/'))
                return usage_error("--domain takes one domain, not '%s'",
                                   optarg);
            o->cfg.domain = optarg;
            break;
        case 'p':
            if (strchr(optarg, '/'))
                return usage_error("bad period '%s'", optarg);
            o->cfg.period = optarg;
            break;
        case 'r':
            o->cfg.rollup = strcmp(optarg, "total") == 0 ? NULL : optarg;
            break;
        case OPT_EXACT:
            o->cfg.exact = 1;
            break;
        case OPT_FOR:
            errno = 0;
            o->for_s = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->for_s > 0) ||
                o->for_s > 1e7)
                return usage_error("--for wants seconds > 0, not '%s'", optarg);
            break;
        case 'f':
            if (strcmp(optarg, "table") == 0)
                o->format = FORMAT_TABLE;
            else if (strcmp(optarg, "json") == 0)
                o->format = FORMAT_JSON;
            else
                return usage_error("unknown format '%s' (table or json)",
                                   optarg);
            break;
        case 't': {
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v <= 0 || v > INT_MAX)
                return usage_error("--timeout wants milliseconds > 0, not '%s'",
                                   optarg);
            o->cfg.timeout_ms = (int)v;
            break;
        }
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf(PROG " " NYCKEL_VERSION "\n");
            return EXIT_SUCCESS;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if ((why = cli_conn_check(&o->conn)))
        return usage_error("%s", why);
    if (o->conn.query)
        o->cfg.query_endpoint = o->conn.query;
    if (o->conn.pub)
        o->cfg.pub_endpoint = o->conn.pub;
    if (!o->cfg.municipality || !*o->cfg.municipality ||
        strchr(o->cfg.municipality, '/'))
        return usage_error("--municipality CODE is required");
    return -1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A message for people: stderr, or the status line of the table. */
static void say(struct watch *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct watch *w, const char *fmt, ...)
{
    char msg[STATUS_MAX];
    char clock[16] = "";
    time_t t = time(NULL);
    struct tm tm;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!w->tty || w->json)
        fprintf(stderr, PROG ": %s\n", msg);
    if (localtime_r(&t, &tm))
        strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    snprintf(w->notice, sizeof w->notice, "%s %s", clock, msg);
    w->dirty = 1;
}

static void note_output(struct watch *w)
{
    if (fflush(stdout) != 0 && !w->out_rc)
        w->out_rc = -errno;
}

static void on_event(const struct nyckel_sub_event *ev, void *arg)
{
    struct watch *w = arg;
    const struct nyckel_sub_config *cfg = &w->o->cfg;
    char name[256];

    switch (ev->kind) {
    case NYCKEL_SUB_SNAPSHOT:
        w->last_change = time(NULL);
        w->state = "live";
        if (w->json) {
            printf("{\"event\":\"snapshot\",\"seq\":%llu}\n",
                   (unsigned long long)ev->seq);
            /* then the state it holds, so that a reader of the lines
             * always has every slice's current values */
            const struct nyckel_result *view =
                w->sub ? nyckel_sub_view(w->sub) : NULL;
            int rc = view ? nyckel_format_json_result(stdout, view) : 0;
            if (rc && !w->out_rc)
                w->out_rc = rc;
            note_output(w);
        }
        w->dirty = 1;
        break;
    case NYCKEL_SUB_UPDATE:
        w->updates++;
        w->last_change = time(NULL);
        if (w->json) {
            int rc = nyckel_format_json(stdout, ev->slice, ev->seq, ev->as_of);
            if (rc && !w->out_rc)
                w->out_rc = rc;
            note_output(w);
        }
        w->dirty = 1;
        break;
    case NYCKEL_SUB_HEARTBEAT:
        w->heartbeats++;
        if (!cfg->period)
            w->state = "live"; /* nothing to snapshot: live at once */
        if (w->tty && !w->json)
            w->dirty = 1; /* the status line shows the heartbeat */
        break;
    case NYCKEL_SUB_GAP:
        nyckel_slice_name(ev->slice, name, sizeof name);
        say(w, "gap on %s/%s/%s/%s: update %llu follows %llu, held %llu: %s",
            ev->slice->municipality, ev->slice->domain, ev->slice->period, name,
            (unsigned long long)ev->seq, (unsigned long long)ev->prev_seq,
            (unsigned long long)ev->held_seq,
            ev->resnapshot ? "taking a fresh snapshot" : "adopting the update");
        if (ev->resnapshot)
            w->state = "snapshotting";
        break;
    case NYCKEL_SUB_SILENCE:
        say(w, "no heartbeat from %s for %d ms: reconnecting%s",
            cfg->pub_endpoint, ev->elapsed_ms,
            cfg->period ? " and taking a fresh snapshot" : "");
        w->state = cfg->period ? "reconnecting" : "live";
        break;
    case NYCKEL_SUB_NO_ANSWER:
        say(w, "no answer from %s within %d ms (is nyckeld running?): retrying",
            cfg->query_endpoint, ev->elapsed_ms);
        w->state = "waiting for nyckeld";
        break;
    }
}

/* Replace each '\n' of buf with "\033[K\n" so that a redraw clears what
 * a longer previous frame left on the line. */
static void write_frame(const char *buf, size_t len)
{
    fputs("\033[H", stdout);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            fputs("\033[K", stdout);
        putchar(buf[i]);
    }
    fputs("\033[J", stdout);
}

static void draw(struct watch *w, const struct nyckel_sub *sub)
{
    const struct nyckel_sub_config *cfg = &w->o->cfg;
    const struct nyckel_result *v = nyckel_sub_view(sub);
    char *buf = NULL;
    size_t len = 0;
    char clock[16] = "–", changed[16] = "–";
    time_t t = time(NULL);
    struct tm tm;

    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        w->out_rc = -errno;
        return;
    }
    if (localtime_r(&t, &tm))
        strftime(clock, sizeof clock, "%H:%M:%S", &tm);
    if (w->last_change && localtime_r(&w->last_change, &tm))
        strftime(changed, sizeof changed, "%H:%M:%S", &tm);
    fprintf(mem, PROG "  kommun %s  domän %s  period %s  rollup %s  %s\n",
            cfg->municipality, cfg->domain ? cfg->domain : "alla",
            cfg->period ? cfg->period : "alla",
            cfg->rollup ? cfg->rollup : "total", clock);
    fprintf(mem,
            "seq %llu  heartbeat %llu  as_of %s  senast ändrad %s  "
            "snapshots %u  updates %u\n",
            (unsigned long long)v->seq,
            (unsigned long long)nyckel_sub_heartbeat_seq(sub),
            v->as_of && *v->as_of ? v->as_of : "–", changed,
            nyckel_sub_snapshots(sub), w->updates);
    fprintf(mem, "%s%s%s\n", w->state ? w->state : "connecting",
            w->notice[0] ? "  |  " : "", w->notice);
    int rc = nyckel_format_table(
        mem, v, NYCKEL_FORMAT_SEQ_ROW | NYCKEL_FORMAT_NO_HEADER);
    if (fclose(mem) != 0 || rc) {
        free(buf);
        if (!w->out_rc)
            w->out_rc = rc ? rc : -EIO;
        return;
    }
    if (w->tty) {
        write_frame(buf, len);
    } else {
        fwrite(buf, 1, len, stdout);
        putchar('\n');
    }
    free(buf);
    note_output(w);
}

/* Whether nyckeld was ever heard from: a snapshot, or without a period
 * (no snapshot) a heartbeat or update. */
static int heard(const struct watch *w, const struct nyckel_sub *sub)
{
    if (nyckel_sub_snapshots(sub))
        return 1;
    return !w->o->cfg.period && (w->heartbeats || w->updates);
}

static int run(struct opts *o)
{
    struct watch w;
    struct nyckel_sub *sub = NULL;
    int status = EXIT_SUCCESS;

    memset(&w, 0, sizeof w);
    w.o = o;
    w.tty = isatty(STDOUT_FILENO);
    w.json = o->format == FORMAT_JSON || (o->format == FORMAT_AUTO && !w.tty);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char why[512];
    int rc = cli_conn_load(&o->conn, why, sizeof why);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", why);
        return EXIT_FAILURE;
    }
    o->cfg.curve = cli_conn_curve(&o->conn);
    rc = nyckel_sub_new(&o->cfg, on_event, &w, &sub);
    w.sub = sub;
    if (rc) {
        fprintf(stderr, PROG ": %s\n", nyckel_sub_strerror(rc));
        return EXIT_FAILURE;
    }
    if (w.tty && !w.json)
        fputs("\033[H\033[2J\033[?25l", stdout); /* clear, hide cursor */

    long long start = now_ms();
    long long end =
        o->for_s > 0 ? start + (long long)llround(o->for_s * 1000) : 0;
    long long last_draw = 0;
    w.dirty = 1;
    while (!stop_signal) {
        long long now = now_ms();
        if (end && now >= end)
            break;
        int wait = REDRAW_MS;
        if (end && end - now < wait)
            wait = (int)(end - now);
        rc = nyckel_sub_poll(sub, wait);
        if (rc == -EINTR)
            continue;
        if (rc) {
            const struct nyckel_result *v = nyckel_sub_view(sub);
            char where[512];
            snprintf(where, sizeof where, "nyckeld (%s, %s)",
                     o->cfg.query_endpoint, o->cfg.pub_endpoint);
            if (w.tty && !w.json)
                fputs("\033[?25h\n", stdout);
            if (rc == NYCKEL_SUB_EREFUSED) {
                fprintf(stderr, PROG ": %s: %s\n", v->error,
                        v->text && *v->text ? v->text : "snapshot refused");
                status = EXIT_USAGE;
            } else if (rc == -EINVAL || rc == -EPROTONOSUPPORT) {
                fprintf(stderr, PROG ": cannot use endpoint %s or %s: %s\n",
                        o->cfg.query_endpoint, o->cfg.pub_endpoint,
                        nyckel_sub_strerror(rc));
                status = EXIT_USAGE;
            } else if (cli_conn_fail(stderr, PROG, &o->conn, where, rc)) {
                status = EXIT_FAILURE;
            } else {
                fprintf(stderr, PROG ": %s\n", nyckel_sub_strerror(rc));
                status = EXIT_FAILURE;
            }
            goto out;
        }
        now = now_ms();
        if (!w.json && w.dirty && now - last_draw >= REDRAW_MS) {
            draw(&w, sub);
            w.dirty = 0;
            last_draw = now;
        }
        if (w.out_rc)
            break;
    }
    if (!w.json && w.dirty && !w.out_rc)
        draw(&w, sub);
    if (w.tty && !w.json)
        fputs("\033[?25h", stdout); /* cursor back */
    if (w.out_rc) {
        fprintf(stderr, PROG ": writing output: %s\n",
                strerror(w.out_rc < 0 && w.out_rc > -1000 ? -w.out_rc : EIO));
        status = EXIT_FAILURE;
    } else if (!stop_signal && !heard(&w, sub)) {
        fprintf(stderr,
                PROG ": no answer from %s within %.3g s (is nyckeld "
                     "running?)\n",
                o->cfg.period ? o->cfg.query_endpoint : o->cfg.pub_endpoint,
                o->for_s);
        status = EXIT_NO_ANSWER;
    }
out:
    fflush(stdout);
    nyckel_sub_destroy(&sub);
    return status;
}

int main(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    int status = parse(argc, argv, &o);
    if (status < 0)
        status = run(&o);
    cli_conn_fini(&o.conn);
    return status;
}
