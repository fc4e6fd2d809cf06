/*
 * nyckel-push — send JSON Lines or CSV exports of case-system events to
 * nyckeld in acknowledged, spooled batches and report the outcome
 * (DESIGN §8). A thin command line over libnyckel's pusher
 * (include/nyckel.h): options, files, progress line, summary, exit code.
 */
#include "lib/cli.h"
#include "nyckel.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define PROG "nyckel-push"
#define EXIT_REJECTED 2 /* delivered, but some events were rejected */

static volatile sig_atomic_t stop_signal; /* set by SIGINT/SIGTERM */

struct cli {
    struct nyckel_push_opts o;
    struct cli_conn conn;     /* --ingest, --key, ... */
    enum nyckel_input format; /* --format, or AUTO: by extension */
    bool quiet;
    bool progress;       /* stderr is a TTY and not --quiet */
    int64_t start_ms;    /* monotonic, for events/s */
    char *spool_default; /* owned when the default was built */
};

static void usage(FILE *out)
{
    fputs(
        "Usage: " PROG " [OPTION]... FILE...\n"
        "Send case-system events (kind payment, placement, decision,\n"
        "referral or budget) from JSON Lines or CSV files to nyckeld in\n"
        "acknowledged batches and report what nyckeld made of them.\n"
        "\n"
        "A FILE ending in .jsonl, .ndjson or .json is read as JSON Lines (one\n"
        "object per line), one ending in .csv as CSV (a header row of field\n"
        "names, then one event per row; an empty cell is an absent field,\n"
        "monthly_ore is 12 integers separated by ';', booleans are\n"
        "true/false/1/0). '-' reads standard input, as JSON Lines unless\n"
        "--format says otherwise. Field names are those of nyckel.proto.\n"
        "\n"
        "Options:\n",
        out);
    cli_conn_help(out, 6, 24, CLI_USES_INGEST | CLI_USES_KEYS);
    fputs(
        "      --format json|csv\n"
        "                        read every FILE in this format\n"
        "      --batch-size N    events per batch, 1..1000 (default 500)\n"
        "      --window N        batches in flight at once, 1..64 (default 4)\n"
        "      --ack-timeout MS  resend a batch, with the same batch id, "
        "after\n"
        "                        MS milliseconds without an ack (default "
        "5000)\n"
        "      --give-up SEC     stop with exit status 1 when a batch has had\n"
        "                        no ack for SEC seconds since it was first\n"
        "                        sent (default 120)\n"
        "      --spool DIR       keep unacknowledged batches in DIR (default\n"
        "                        $XDG_STATE_HOME/nyckel/push-spool, or\n"
        "                        ~/.local/state/nyckel/push-spool)\n"
        "  -q, --quiet           no progress line; print the summary only\n"
        "                        when something was rejected or failed\n"
        "  -h, --help            show this help and exit\n"
        "  -V, --version         show the version and exit\n"
        "\n"
        "Every batch is written to the spool before it is first sent and\n"
        "deleted once nyckeld has acknowledged it. Batches that a killed,\n"
        "interrupted or failed run left in the spool are sent first, with\n"
        "their original batch ids, by the next run on the same spool; only\n"
        "one run at a time may use a spool. Sending an event twice is\n"
        "harmless: nyckeld answers a revision it already has as duplicate.\n"
        "\n"
        "A line that cannot be read as an event (bad JSON or CSV, unknown\n"
        "kind or field, a value of the wrong type, an integer out of range)\n"
        "is rejected here and never sent. At the end a summary goes to\n"
        "standard error: accepted, duplicate, stale and rejected events,\n"
        "rejections by reason, and the first 20 rejected events as\n"
        "FILE:LINE: reason: text (FILE is stdin for '-'; a batch left by an\n"
        "earlier run shows as spool:BATCHID:INDEX, INDEX counted from 0).\n"
        "When standard error is a terminal, a progress line shows events\n"
        "read, events acknowledged and events per second.\n"
        "\n"
        "With --key and --server-key the connection is encrypted and\n"
        "nyckeld checks the key: a key it refuses, or a wrong server key,\n"
        "stops the run at once (exit status 1; the batches stay in the\n"
        "spool).\n"
        "\n"
        "Exit status: 0 all events delivered and none rejected; 2 all\n"
        "delivered but some rejected; 1 not everything delivered (gave up,\n"
        "interrupted, refused key, unreadable file, key or spool) or bad\n"
        "usage.\n",
        out);
}

static int bad_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
    return EXIT_FAILURE;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Strict decimal in [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: waits return EINTR; a second signal kills */
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void show_progress(const struct nyckel_push_summary *s, void *arg)
{
    const struct cli *c = arg;
    uint64_t acked =
        s->accepted + s->duplicate + s->stale + s->rejected - s->rejected_local;
    double secs = (double)(now_ms() - c->start_ms) / 1000.0;

    fprintf(stderr,
            "\r" PROG ": %" PRIu64 " read, %" PRIu64 " acked, %.0f "
            "events/s\033[K",
            s->read, acked, secs > 0 ? (double)acked / secs : 0.0);
}

/* $XDG_STATE_HOME/nyckel/push-spool or ~/.local/state/nyckel/push-spool */
static char *default_spool(void)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char *out;
    size_t n;

    /* the XDG spec: a relative XDG_STATE_HOME is invalid, ignore it */
    if (state && state[0] == '/') {
        n = strlen(state) + sizeof "/nyckel/push-spool";
        out = malloc(n);
        if (!out)
            abort();
        snprintf(out, n, "%s/nyckel/push-spool", state);
        return out;
    }
    if (!home || home[0] != '/') {
        const struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || home[0] != '/')
        return NULL;
    n = strlen(home) + sizeof "/.local/state/nyckel/push-spool";
    out = malloc(n);
    if (!out)
        abort();
    snprintf(out, n, "%s/.local/state/nyckel/push-spool", home);
    return out;
}

enum opt_id {
    OPT_FORMAT = 1000,
    OPT_BATCH,
    OPT_WINDOW,
    OPT_ACK_TIMEOUT,
    OPT_GIVE_UP,
    OPT_SPOOL,
};

/* Returns -1 to go on, else the exit status. */
static int parse_args(struct cli *c, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_CONN_LONGOPTS,
        {"format", required_argument, NULL, OPT_FORMAT},
        {"batch-size", required_argument, NULL, OPT_BATCH},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT},
        {"give-up", required_argument, NULL, OPT_GIVE_UP},
        {"spool", required_argument, NULL, OPT_SPOOL},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    long v;

    const char *why;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":qhV", longopts, NULL)) != -1) {
        if (cli_conn_option(&c->conn, ch, optarg))
            continue;
        switch (ch) {
        case OPT_FORMAT:
            if (!strcmp(optarg, "json"))
                c->format = NYCKEL_INPUT_JSON;
            else if (!strcmp(optarg, "csv"))
                c->format = NYCKEL_INPUT_CSV;
            else
                return bad_usage("--format must be json or csv, not '%s'",
                                 optarg);
            break;
        case OPT_BATCH:
            if (parse_long(optarg, 1, NYCKEL_BATCH_MAX_EVENTS, &v))
                return bad_usage("--batch-size must be 1..1000, not '%s'",
                                 optarg);
            c->o.batch_size = (unsigned)v;
            break;
        case OPT_WINDOW:
            if (parse_long(optarg, 1, NYCKEL_WINDOW_MAX, &v))
                return bad_usage("--window must be 1..64, not '%s'", optarg);
            c->o.window = (unsigned)v;
            break;
        case OPT_ACK_TIMEOUT:
            if (parse_long(optarg, 1, 3600000, &v))
                return bad_usage("--ack-timeout must be 1..3600000 ms, "
                                 "not '%s'",
                                 optarg);
            c->o.ack_timeout_ms = (int)v;
            break;
        case OPT_GIVE_UP:
            if (parse_long(optarg, 1, INT_MAX / 1000, &v))
                return bad_usage("--give-up must be 1..2147483 seconds, "
                                 "not '%s'",
                                 optarg);
            c->o.give_up_ms = (int)v * 1000;
            break;
        case OPT_SPOOL:
            if (!*optarg)
                return bad_usage("--spool needs a directory");
            c->o.spool_dir = optarg;
            break;
        case 'q':
            c->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf(PROG " " NYCKEL_VERSION "\n");
            return EXIT_SUCCESS;
        case ':':
            return bad_usage("option '%s' needs a value", argv[optind - 1]);
        default:
            return bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if ((why = cli_conn_check(&c->conn)))
        return bad_usage("%s", why);
    if (optind == argc)
        return bad_usage("no input FILE given (use - for standard input)");
    c->o.endpoint = c->conn.ingest;
    return -1;
}

/* Check every FILE before anything is sent. */
static int check_files(const struct cli *c, int n, char **files)
{
    for (int i = 0; i < n; i++) {
        struct stat st;

        if (!strcmp(files[i], "-"))
            continue;
        if (c->format == NYCKEL_INPUT_AUTO &&
            nyckel_input_from_name(files[i]) == NYCKEL_INPUT_AUTO)
            return bad_usage("%s: cannot tell the format from the name; "
                             "use --format json|csv",
                             files[i]);
        if (stat(files[i], &st) || access(files[i], R_OK)) {
            fprintf(stderr, PROG ": %s: %s\n", files[i], strerror(errno));
            return EXIT_FAILURE;
        }
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, PROG ": %s: %s\n", files[i], strerror(EISDIR));
            return EXIT_FAILURE;
        }
    }
    return -1;
}

static void print_summary(const struct nyckel_push *p, const char *spool,
                          bool delivered, bool quiet)
{
    struct nyckel_push_summary s;
    const struct nyckel_rejection *r;
    const char *code;
    uint64_t n, shown = 0;

    nyckel_push_summary(p, &s);
    if (quiet && delivered && !s.rejected)
        return;
    if (s.recovered_batches)
        fprintf(stderr,
                PROG ": sent %" PRIu64 " batches (%" PRIu64 " events) left "
                     "in the spool by an earlier run\n",
                s.recovered_batches, s.recovered_events);
    if (s.spool_bad)
        fprintf(stderr,
                PROG ": %" PRIu64 " unreadable spool files renamed *.bad in "
                     "%s\n",
                s.spool_bad, spool);
    if (s.recovered_events)
        fprintf(stderr,
                PROG ": %" PRIu64 " events (%" PRIu64 " read, %" PRIu64
                     " from the spool): ",
                s.read + s.recovered_events, s.read, s.recovered_events);
    else
        fprintf(stderr, PROG ": %" PRIu64 " events read: ", s.read);
    fprintf(stderr,
            "%" PRIu64 " accepted, %" PRIu64 " duplicate, %" PRIu64
            " stale, %" PRIu64 " rejected\n",
            s.accepted, s.duplicate, s.stale, s.rejected);
    if (s.rejected) {
        fprintf(stderr, PROG ": rejected by reason:");
        for (size_t i = 0; (code = nyckel_push_reason(p, i, &n)); i++)
            fprintf(stderr, "%s %s %" PRIu64, i ? "," : "", code, n);
        fputc('\n', stderr);
        for (size_t i = 0; (r = nyckel_push_rejection(p, i)); i++) {
            fprintf(stderr, "%s:%" PRIu64 ": %s: %s\n", r->origin, r->line,
                    r->reason, r->text);
            shown++;
        }
        if (s.rejected > shown)
            fprintf(stderr, PROG ": ... and %" PRIu64 " more rejected\n",
                    s.rejected - shown);
    }
    if (s.resends || s.retries || s.bad_replies)
        fprintf(stderr,
                PROG ": %" PRIu64 " resends after a timeout, %" PRIu64
                     " retries after a refusal, %" PRIu64
                     " replies not understood\n",
                s.resends, s.retries, s.bad_replies);
    if (!delivered && s.unacked_batches)
        fprintf(stderr,
                PROG ": %" PRIu64 " unacknowledged batches kept in %s; the "
                     "next run sends them first\n",
                s.unacked_batches, spool);
}

int main(int argc, char **argv)
{
    struct cli c = {.format = NYCKEL_INPUT_AUTO};
    struct nyckel_push *p = NULL;
    bool delivered = true;
    int status, rc = 0;

    status = parse_args(&c, argc, argv);
    if (status >= 0)
        return status;
    status = check_files(&c, argc - optind, argv + optind);
    if (status >= 0)
        return status;
    {
        char why[512];

        if (cli_conn_load(&c.conn, why, sizeof why)) {
            fprintf(stderr, PROG ": %s\n", why);
            return EXIT_FAILURE;
        }
        c.o.curve = cli_conn_curve(&c.conn);
    }
    if (!c.o.spool_dir) {
        c.spool_default = default_spool();
        if (!c.spool_default)
            return bad_usage("no home directory for the spool; use "
                             "--spool DIR");
        c.o.spool_dir = c.spool_default;
    }
    c.progress = !c.quiet && isatty(STDERR_FILENO);
    c.start_ms = now_ms();
    if (c.progress) {
        c.o.progress = show_progress;
        c.o.arg = &c;
    }
    rc = nyckel_push_new(&p, &c.o);
    if (rc) {
        fprintf(stderr, PROG ": cannot start (spool %s, ingest %s): %s\n",
                c.o.spool_dir,
                c.o.endpoint ? c.o.endpoint : NYCKEL_INGEST_ENDPOINT,
                nyckel_strerror(rc));
        free(c.spool_default);
        cli_conn_fini(&c.conn);
        return EXIT_FAILURE;
    }
    catch_signals();

    for (int i = optind; i < argc && !stop_signal; i++) {
        bool is_stdin = !strcmp(argv[i], "-");
        const char *name = is_stdin ? "stdin" : argv[i];
        int fd = is_stdin ? STDIN_FILENO : open(argv[i], O_RDONLY | O_CLOEXEC);
        enum nyckel_input fmt = c.format;

        if (fd < 0) {
            fprintf(stderr, PROG ": %s: %s\n", argv[i], strerror(errno));
            delivered = false;
            continue;
        }
        if (is_stdin && fmt == NYCKEL_INPUT_AUTO)
            fmt = NYCKEL_INPUT_JSON;
        rc = nyckel_push_read_fd(p, fd, name, fmt);
        if (!is_stdin)
            close(fd);
        if (rc == -EINTR || rc == NYCKEL_EGIVEUP)
            break;
        if (rc && nyckel_push_poll(p, 0))
            break; /* the pusher itself failed (e.g. the spool): stop */
        if (rc) {
            /* the file failed: say so, go on with the others */
            if (c.progress)
                fputs("\r\033[K", stderr);
            fprintf(stderr, PROG ": %s: %s\n", argv[i], nyckel_strerror(rc));
            delivered = false;
            rc = 0;
        }
    }
    if (!rc && !stop_signal)
        rc = nyckel_push_flush(p);
    if (c.progress)
        fputs("\r\033[K", stderr);
    if (rc == -EINTR || stop_signal) {
        fprintf(stderr, PROG ": interrupted by signal %d\n", (int)stop_signal);
        delivered = false;
        rc = nyckel_push_seal(p); /* what was read goes to the spool */
        if (rc)
            fprintf(stderr, PROG ": spool %s: %s\n", c.o.spool_dir,
                    nyckel_strerror(rc));
    } else if (rc == NYCKEL_EGIVEUP) {
        fprintf(stderr,
                PROG ": gave up: a batch had no acknowledgement from %s for "
                     "%d s\n",
                c.o.endpoint ? c.o.endpoint : NYCKEL_INGEST_ENDPOINT,
                (c.o.give_up_ms ? c.o.give_up_ms : 120000) / 1000);
        delivered = false;
    } else if (rc) {
        if (!cli_conn_fail(stderr, PROG, &c.conn,
                           c.o.endpoint ? c.o.endpoint : NYCKEL_INGEST_ENDPOINT,
                           rc))
            fprintf(stderr, PROG ": %s\n", nyckel_strerror(rc));
        delivered = false;
    }
    print_summary(p, c.o.spool_dir, delivered, c.quiet);
    {
        struct nyckel_push_summary s;

        nyckel_push_summary(p, &s);
        status = !delivered   ? EXIT_FAILURE
                 : s.rejected ? EXIT_REJECTED
                              : EXIT_SUCCESS;
    }
    nyckel_push_destroy(&p);
    free(c.spool_default);
    cli_conn_fini(&c.conn);
    return status;
}
