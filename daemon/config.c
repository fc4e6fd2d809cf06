/*
 * config.c — nyckeld's settings: embedded defaults, then the
 * environment, then argv, into one struct that main hands out read-only.
 *
 * Why this way: an operator must be able to predict the daemon from its
 * command line and --help alone, and a typo must stop it at once with
 * exit 2 rather than run it against the wrong directory or port. So
 * every value is checked here, before any file or socket is touched;
 * every value has a ceiling and a value that does not fit is an error,
 * never silently truncated; and the --help text below is the manual,
 * kept beside the code that implements it. config_parse fills a local
 * struct and copies it out only on success, and reinitialises getopt,
 * so tests can call it many times in one process.
 */
#include "config.h"

#include "log.h"
#include "period.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define CONFIG_DEFAULT_MAX_DB_BYTES (UINT64_C(64) << 30) /* 64 GiB */
#define CONFIG_MIN_MAX_DB_BYTES (UINT64_C(1) << 20)      /* 1 MiB */
#define CONFIG_DEFAULT_HEARTBEAT_MS 1000
#define CONFIG_STATE_SUBDIR "nyckel"
#define CONFIG_HOME_STATE_SUBDIR ".local/state/nyckel"
#define CONFIG_FALLBACK_STATE_DIR "./nyckel-state"
/* User values are quoted in errors only up to this many bytes. */
#define CONFIG_QUOTE_MAX "64"

/* The --help text states these limits in words. */
_Static_assert(CONFIG_PATH_MAX == 512, "update the --help text: DIR");
_Static_assert(CONFIG_ENDPOINT_MAX == 256, "update the --help text: EP");

/* getopt values of the options without a short form: above any char. */
enum {
    CONFIG_OPT_STATE_DIR = 256,
    CONFIG_OPT_INGEST,
    CONFIG_OPT_PUB,
    CONFIG_OPT_QUERY,
    CONFIG_OPT_AS_OF,
    CONFIG_OPT_LOG_LEVEL,
    CONFIG_OPT_MAX_DB_SIZE,
    CONFIG_OPT_REBUILD,
    CONFIG_OPT_VERIFY,
    CONFIG_OPT_BACKUP,
    CONFIG_OPT_CURVE_SECRET,
    CONFIG_OPT_KEYS,
    CONFIG_OPT_INSECURE,
    CONFIG_OPT_METRICS_LISTEN,
};

/* "+": stop at the first non-option, never permute argv. ":": report a
 * missing argument as ':' so the message is ours, not getopt's. */
static const char config_optstring[] = "+:hV";

static const struct option config_options[] = {
    {"state-dir", required_argument, NULL, CONFIG_OPT_STATE_DIR},
    {"ingest", required_argument, NULL, CONFIG_OPT_INGEST},
    {"pub", required_argument, NULL, CONFIG_OPT_PUB},
    {"query", required_argument, NULL, CONFIG_OPT_QUERY},
    {"as-of", required_argument, NULL, CONFIG_OPT_AS_OF},
    {"log-level", required_argument, NULL, CONFIG_OPT_LOG_LEVEL},
    {"max-db-size", required_argument, NULL, CONFIG_OPT_MAX_DB_SIZE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"rebuild", no_argument, NULL, CONFIG_OPT_REBUILD},
    {"verify", no_argument, NULL, CONFIG_OPT_VERIFY},
    {"backup", required_argument, NULL, CONFIG_OPT_BACKUP},
    {"curve-secret", required_argument, NULL, CONFIG_OPT_CURVE_SECRET},
    {"keys", required_argument, NULL, CONFIG_OPT_KEYS},
    {"insecure", no_argument, NULL, CONFIG_OPT_INSECURE},
    {"metrics-listen", required_argument, NULL, CONFIG_OPT_METRICS_LISTEN},
    {NULL, 0, NULL, 0},
};

/*
 * The manual. Every line is at most 79 columns. It must stay true: an
 * option, a default or a limit changed above is changed here too.
 */
static const char config_help_usage[] =
    "Usage: nyckeld [OPTION]...\n"
    "Keep the key ratios (nyckeltal) of municipal social services: take\n"
    "case-system events over ZeroMQ, aggregate them in LMDB, publish live\n"
    "updates and answer snapshot queries.\n"
    "\n"
    "Options:\n"
    "      --state-dir DIR     directory of the LMDB environment (default:\n"
    "                          see State directory below)\n"
    "      --ingest EP         endpoint for exporters' batches, ROUTER\n"
    "                          (default " CONFIG_DEFAULT_INGEST ")\n"
    "      --pub EP            endpoint for live updates and heartbeats, PUB\n"
    "                          (default " CONFIG_DEFAULT_PUB ")\n"
    "      --query EP          endpoint for snapshots and queries, ROUTER\n"
    "                          (default " CONFIG_DEFAULT_QUERY ")\n"
    "      --as-of YYYY-MM-DD  fix the as-of date (1970-01-01 to 2199-12-31)\n"
    "                          instead of following the civil date in\n"
    "                          Europe/Stockholm; for tests and replays\n"
    "      --log-level LEVEL   error, warn, info or debug (default info)\n"
    "      --max-db-size SIZE  ceiling of the LMDB map, in bytes; a suffix\n"
    "                          K, M, G or T multiplies by 1024, 1024^2,\n"
    "                          1024^3 or 1024^4; at least 1M (default 64G)\n"
    "  -h, --help              print this help and exit\n"
    "  -V, --version           print the version and exit\n"
    "\n"
    "Authentication (CURVE, on all three sockets):\n"
    "      --curve-secret FILE the server's secret key (nyckel-keygen NAME\n"
    "                          writes NAME.key; clients get NAME.pub)\n"
    "      --keys FILE         the clients allowed in, one per line:\n"
    "                          <public key> <role> <municipality>[,...]\n"
    "                          role exporter (push), subscriber (read) or\n"
    "                          admin (both); '*' for every municipality;\n"
    "                          '#' starts a comment. Both or neither.\n"
    "      --insecure          allow endpoints off this host without CURVE\n"
    "                          (by default nyckeld refuses to start so)\n"
    "\n"
    "Monitoring:\n"
    "      --metrics-listen HOST:PORT\n"
    "                          serve self-metrics as Prometheus text at\n"
    "                          http://HOST:PORT/metrics (default: off;\n"
    "                          e.g. 127.0.0.1:9771)\n"
    "\n"
    "Maintenance (they exit when done; --rebuild and --verify with the\n"
    "daemon stopped):\n"
    "      --rebuild           recompute every aggregate from the stored\n"
    "                          entities alone and replace the stored ones\n"
    "                          in one transaction (also upgrading a store\n"
    "                          of an older schema); exit 0 when done\n"
    "      --verify            recompute every aggregate in memory and\n"
    "                          compare with the stored ones; print each\n"
    "                          difference, exit 1 if there is one\n"
    "      --backup DIR        copy the store, compacted and consistent, into\n"
    "                          DIR (new or empty), also while nyckeld runs;\n"
    "                          restore by starting nyckeld with --state-dir\n"
    "                          DIR\n"
    "\n"
    "EP is a ZeroMQ endpoint, transport://address, such as\n"
    "tcp://127.0.0.1:7710 or ipc:///run/nyckel/query; the defaults listen\n"
    "on loopback only. The three endpoints must differ. DIR may be up to\n"
    "511 bytes long, EP up to 255; a longer value is an error.\n"
    "Options given twice: the last one counts. Long options may be\n"
    "shortened to a unique prefix (--state for --state-dir).\n";

static const char config_help_env[] =
    "\n"
    "State directory, the first that is set:\n"
    "  --state-dir, $NYCKEL_STATE_DIR, $XDG_STATE_HOME/nyckel,\n"
    "  $HOME/.local/state/nyckel, ./nyckel-state\n"
    "(XDG_STATE_HOME and HOME count only when they are absolute paths.)\n"
    "\n"
    "Environment:\n"
    "  NYCKEL_STATE_DIR  as --state-dir\n"
    "  NYCKEL_AS_OF      as --as-of\n"
    "  NYCKEL_LOG_LEVEL  as --log-level\n"
    "  XDG_STATE_HOME, HOME  for the default state directory\n"
    "Command-line options override the environment; an empty variable\n"
    "counts as unset.\n"
    "\n"
    "The as-of date rolls over at midnight in Stockholm: CET (UTC+1), and\n"
    "CEST (UTC+2) from the last Sunday of March 01:00 UTC to the last\n"
    "Sunday of October 01:00 UTC. It is computed without tzdata; TZ has\n"
    "no effect.\n";

static const char config_help_exit[] =
    "\n"
    "Signals:\n"
    "  SIGTERM, SIGINT  finish the batch in hand, close the store, exit 0\n"
    "  SIGUSR1          with --as-of: move the fixed date on by one day,\n"
    "                   as midnight would (for tests and replays)\n"
    "\n"
    "Exit status:\n"
    "  0  success, also after SIGTERM or SIGINT\n"
    "  1  runtime failure (store, sockets, ...), or --verify found a\n"
    "     difference\n"
    "  2  bad usage: unknown option, stray argument or bad value\n";

/* Values from argv that the environment may supply instead. Borrowed
 * from argv, valid during config_parse only. */
struct config_argv {
    const char *state_dir;
    const char *as_of;
    const char *log_level;
};

static void config_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* "nyckeld: <what is wrong>" and the hint, to stderr. */
static void config_error(const char *fmt, ...)
{
    va_list ap;

    fputs("nyckeld: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'nyckeld --help'.\n", stderr);
}

static void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = CONFIG_MODE_RUN;
    memcpy(cfg->ingest, CONFIG_DEFAULT_INGEST, sizeof(CONFIG_DEFAULT_INGEST));
    memcpy(cfg->pub, CONFIG_DEFAULT_PUB, sizeof(CONFIG_DEFAULT_PUB));
    memcpy(cfg->query, CONFIG_DEFAULT_QUERY, sizeof(CONFIG_DEFAULT_QUERY));
    cfg->as_of_day = -1;
    cfg->log_level = LOG_INFO;
    cfg->max_db_bytes = CONFIG_DEFAULT_MAX_DB_BYTES;
    cfg->heartbeat_ms = CONFIG_DEFAULT_HEARTBEAT_MS;
}

/* The name of an option by its getopt value, for messages. */
static const char *config_option_name(int val)
{
    for (const struct option *o = config_options; o->name != NULL; o++)
        if (o->val == val)
            return o->name;
    return NULL;
}

/* An environment variable, with the empty string counted as unset. */
static const char *config_getenv(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* dst = a followed by b; -1 if it does not fit in cap bytes. */
static int config_join(char *dst, size_t cap, const char *a, const char *b)
{
    int n = snprintf(dst, cap, "%s%s", a, b);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int config_set_path(char *dst, const char *src, const char *what)
{
    if (src[0] == '\0') {
        config_error("%s: empty path", what);
        return -1;
    }
    if (config_join(dst, CONFIG_PATH_MAX, src, "") != 0) {
        config_error("%s: path longer than %d bytes", what,
                     CONFIG_PATH_MAX - 1);
        return -1;
    }
    return 0;
}

/* Checks the shape transport://address only; ZeroMQ judges the rest
 * when it binds. */
static int config_set_endpoint(char *dst, const char *src, const char *what)
{
    const char *sep = strstr(src, "://");

    if (strlen(src) >= CONFIG_ENDPOINT_MAX) {
        config_error("%s: endpoint longer than %d bytes", what,
                     CONFIG_ENDPOINT_MAX - 1);
        return -1;
    }
    if (sep == NULL || sep == src || sep[3] == '\0') {
        config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not an endpoint "
                     "(transport://address, e.g. tcp://127.0.0.1:7710)",
                     what, src);
        return -1;
    }
    for (const char *p = src; *p != '\0'; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            config_error("%s: endpoint contains a space or control "
                         "character",
                         what);
            return -1;
        }
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* "host:port" (host an IPv4 address, [IPv6] or localhost; port 1-65535)
 * of an HTTP listener. */
static int config_set_listen(char *dst, const char *src, const char *what)
{
    const char *colon = strrchr(src, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == src || !end || *end || colon[1] == '\0' ||
        port < 1 || port > 65535 || strlen(src) >= CONFIG_ENDPOINT_MAX) {
        config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not host:port "
                     "(e.g. 127.0.0.1:9771)",
                     what, src);
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* Decimal digits and an optional K/M/G/T (either case), power of 1024. */
static int config_parse_size(const char *s, uint64_t *bytes)
{
    static const char units[] = "KMGT";
    uint64_t v = 0;
    unsigned shift = 0;
    const char *p = s;

    if (*p < '0' || *p > '9')
        goto bad;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            goto big;
        v = v * 10 + digit;
    }
    if (*p != '\0') {
        const char *u = strchr(units, toupper((unsigned char)*p));
        if (u == NULL)
            goto bad;
        shift = 10 * (unsigned)(u - units + 1); /* K = 2^10 ... T = 2^40 */
        p++;
    }
    if (*p != '\0')
        goto bad;
    if (v > (UINT64_MAX >> shift))
        goto big;
    v <<= shift;
#if SIZE_MAX < UINT64_MAX
    if (v > SIZE_MAX)
        goto big;
#endif
    if (v < CONFIG_MIN_MAX_DB_BYTES) {
        config_error("--max-db-size: '%." CONFIG_QUOTE_MAX "s' is below "
                     "the minimum of 1M (1048576 bytes)",
                     s);
        return -1;
    }
    *bytes = v;
    return 0;
bad:
    config_error("--max-db-size: '%." CONFIG_QUOTE_MAX "s' is not a size "
                 "(bytes, or a whole number with K, M, G or T)",
                 s);
    return -1;
big:
    config_error("--max-db-size: '%." CONFIG_QUOTE_MAX "s' is too large", s);
    return -1;
}

static int config_resolve_state_dir(struct config *cfg, const char *arg)
{
    const char *v;

    if (arg != NULL)
        return config_set_path(cfg->state_dir, arg, "--state-dir");
    if ((v = config_getenv("NYCKEL_STATE_DIR")) != NULL)
        return config_set_path(cfg->state_dir, v, "NYCKEL_STATE_DIR");
    /* The XDG base directory spec: relative values are to be ignored. */
    if ((v = config_getenv("XDG_STATE_HOME")) != NULL && v[0] == '/') {
        if (config_join(cfg->state_dir, CONFIG_PATH_MAX, v,
                        "/" CONFIG_STATE_SUBDIR) == 0)
            return 0;
        config_error("XDG_STATE_HOME: state directory path longer than %d "
                     "bytes",
                     CONFIG_PATH_MAX - 1);
        return -1;
    }
    if ((v = config_getenv("HOME")) != NULL && v[0] == '/') {
        if (config_join(cfg->state_dir, CONFIG_PATH_MAX, v,
                        "/" CONFIG_HOME_STATE_SUBDIR) == 0)
            return 0;
        config_error("HOME: state directory path longer than %d bytes",
                     CONFIG_PATH_MAX - 1);
        return -1;
    }
    memcpy(cfg->state_dir, CONFIG_FALLBACK_STATE_DIR,
           sizeof(CONFIG_FALLBACK_STATE_DIR));
    return 0;
}

static int config_resolve_as_of(struct config *cfg, const char *arg)
{
    const char *what = "--as-of";
    const char *v = arg;
    int32_t day;

    if (v == NULL) {
        what = "NYCKEL_AS_OF";
        v = config_getenv(what);
    }
    if (v == NULL)
        return 0; /* follow the clock */
    /* Day -1 (1969-12-31) would mean "follow the clock" (config.h), so
     * the range starts at day 0. */
    if (period_date_parse(v, &day) != 0 || day < 0) {
        config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not a date "
                     "(YYYY-MM-DD, 1970-01-01 to 2199-12-31)",
                     what, v);
        return -1;
    }
    cfg->as_of_day = day;
    return 0;
}

static int config_resolve_log_level(struct config *cfg, const char *arg)
{
    const char *what = "--log-level";
    const char *v = arg;
    int level;

    if (v == NULL) {
        what = "NYCKEL_LOG_LEVEL";
        v = config_getenv(what);
    }
    if (v == NULL)
        return 0;
    level = log_level_parse(v);
    if (level < 0) {
        config_error("%s: unknown level '%." CONFIG_QUOTE_MAX "s' "
                     "(error, warn, info or debug)",
                     what, v);
        return -1;
    }
    cfg->log_level = level;
    return 0;
}

/* Binding one endpoint twice fails late and obscurely; say it now. */
static int config_check_endpoints(const struct config *cfg)
{
    const char *msg = NULL;

    if (strcmp(cfg->ingest, cfg->pub) == 0)
        msg = "--ingest and --pub";
    else if (strcmp(cfg->ingest, cfg->query) == 0)
        msg = "--ingest and --query";
    else if (strcmp(cfg->pub, cfg->query) == 0)
        msg = "--pub and --query";
    if (msg == NULL)
        return 0;
    config_error("%s are the same endpoint", msg);
    return -1;
}

bool config_endpoint_is_local(const char *endpoint)
{
    static const char *const local[] = {"ipc://", "inproc://", "tcp://127.",
                                        "tcp://[::1]:", "tcp://localhost:"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (strncmp(endpoint, local[i], strlen(local[i])) == 0)
            return true;
    return false;
}

/* CURVE takes both files; without it, only endpoints on this host
 * unless --insecure says otherwise. */
static int config_check_curve(const struct config *cfg)
{
    if (!cfg->curve_secret[0] != !cfg->keys[0]) {
        config_error("--curve-secret and --keys go together: the server's "
                     "key and the clients' keys");
        return -1;
    }
    if (cfg->curve_secret[0] || cfg->insecure || cfg->mode != CONFIG_MODE_RUN)
        return 0;
    const char *const eps[] = {cfg->ingest, cfg->pub, cfg->query};
    const char *const names[] = {"--ingest", "--pub", "--query"};
    for (int i = 0; i < 3; i++)
        if (!config_endpoint_is_local(eps[i])) {
            config_error("%s %." CONFIG_QUOTE_MAX "s is reachable from other "
                         "hosts: give --curve-secret and --keys, or "
                         "--insecure",
                         names[i], eps[i]);
            return -1;
        }
    return 0;
}

/* A '?' from getopt: an unknown option, or an argument given to one
 * that takes none ("--help=x"). */
static void config_error_unknown(char **argv)
{
    const char *name = optopt != 0 ? config_option_name(optopt) : NULL;

    if (name != NULL)
        config_error("option '--%s' takes no argument", name);
    else if (optopt != 0)
        config_error("unknown option '-%c'", optopt);
    else
        config_error("unknown option '%." CONFIG_QUOTE_MAX "s'",
                     argv[optind - 1]);
}

int config_parse(int argc, char **argv, struct config *cfg)
{
    struct config c;
    struct config_argv a = {NULL, NULL, NULL};
    int opt;

    config_defaults(&c);
    optind = 0; /* GNU: full reinitialisation, for repeated calls */
    opterr = 0; /* messages are ours */
    while ((opt = getopt_long(argc, argv, config_optstring, config_options,
                              NULL)) != -1) {
        switch (opt) {
        case CONFIG_OPT_STATE_DIR:
            a.state_dir = optarg;
            break;
        case CONFIG_OPT_INGEST:
            if (config_set_endpoint(c.ingest, optarg, "--ingest") != 0)
                return -1;
            break;
        case CONFIG_OPT_PUB:
            if (config_set_endpoint(c.pub, optarg, "--pub") != 0)
                return -1;
            break;
        case CONFIG_OPT_QUERY:
            if (config_set_endpoint(c.query, optarg, "--query") != 0)
                return -1;
            break;
        case CONFIG_OPT_AS_OF:
            a.as_of = optarg;
            break;
        case CONFIG_OPT_LOG_LEVEL:
            a.log_level = optarg;
            break;
        case CONFIG_OPT_MAX_DB_SIZE:
            if (config_parse_size(optarg, &c.max_db_bytes) != 0)
                return -1;
            break;
        case CONFIG_OPT_REBUILD:
            c.mode = CONFIG_MODE_REBUILD;
            break;
        case CONFIG_OPT_VERIFY:
            c.mode = CONFIG_MODE_VERIFY;
            break;
        case CONFIG_OPT_BACKUP:
            if (strlen(optarg) >= sizeof(c.backup_dir) || !*optarg) {
                fprintf(stderr,
                        "nyckeld: --backup: directory name empty "
                        "or longer than %zu bytes\n"
                        "Try 'nyckeld --help'.\n",
                        sizeof(c.backup_dir) - 1);
                return -1;
            }
            memcpy(c.backup_dir, optarg, strlen(optarg) + 1);
            c.mode = CONFIG_MODE_BACKUP;
            break;
        case CONFIG_OPT_CURVE_SECRET:
            if (config_set_path(c.curve_secret, optarg, "--curve-secret"))
                return -1;
            break;
        case CONFIG_OPT_KEYS:
            if (config_set_path(c.keys, optarg, "--keys"))
                return -1;
            break;
        case CONFIG_OPT_INSECURE:
            c.insecure = true;
            break;
        case CONFIG_OPT_METRICS_LISTEN:
            if (config_set_listen(c.metrics_listen, optarg, "--metrics-listen"))
                return -1;
            break;
        case 'h':
            /* Help wins over whatever follows: the user asked for it. */
            fputs(config_help_usage, stdout);
            fputs(config_help_env, stdout);
            fputs(config_help_exit, stdout);
            fflush(stdout);
            c.mode = CONFIG_MODE_HELP;
            *cfg = c;
            return 0;
        case 'V':
            printf("nyckeld %s\n", NYCKEL_VERSION);
            fflush(stdout);
            c.mode = CONFIG_MODE_VERSION;
            *cfg = c;
            return 0;
        case ':': {
            const char *name = config_option_name(optopt);
            config_error("option '--%s' needs an argument",
                         name != NULL ? name : "?");
            return -1;
        }
        default:
            config_error_unknown(argv);
            return -1;
        }
    }
    if (optind < argc) {
        config_error("unexpected argument '%." CONFIG_QUOTE_MAX "s'",
                     argv[optind]);
        return -1;
    }
    if (config_resolve_state_dir(&c, a.state_dir) != 0 ||
        config_resolve_as_of(&c, a.as_of) != 0 ||
        config_resolve_log_level(&c, a.log_level) != 0 ||
        config_check_endpoints(&c) != 0 || config_check_curve(&c) != 0)
        return -1;
    *cfg = c;
    return 0;
}
