/*
 * config.c — nyckeld's settings: built-in defaults, then a configuration
 * file, then the environment, then argv, into one struct that main hands
 * out read-only; and --check-config's look at what they name.
 *
 * Why this way: an operator must be able to predict the daemon from its
 * command line, its configuration file and --help alone, and a typo must
 * stop it at once with exit 2 rather than run it against the wrong
 * directory or port. So every value is checked here, before any store or
 * socket is touched; every value has a ceiling and a value that does not
 * fit is an error, never silently truncated; every line of the file is
 * checked, also a setting that the environment or the command line
 * overrides; and the --help text below is the manual, kept beside the
 * code that implements it. config_parse fills a local struct and copies
 * it out only on success, and reinitialises getopt, so tests can call it
 * many times in one process.
 *
 * The file is INI, read with libinih (ini.h) through a reader of our
 * own: libinih as Debian builds it passes the handler no line number and
 * splits a line longer than its buffer into two, so the reader counts
 * the lines, refuses one longer than CONFIG_LINE_MAX and checks each
 * [section] line (libinih reports none to the handler).
 */
#include "config.h"

#include "keyfile.h"
#include "log.h"
#include "period.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define CONFIG_DEFAULT_MAX_DB_BYTES (UINT64_C(64) << 30) /* 64 GiB */
#define CONFIG_MIN_MAX_DB_BYTES (UINT64_C(1) << 20)      /* 1 MiB */
#define CONFIG_DEFAULT_MAP_RESIDENT (UINT64_C(48) << 20) /* 48 MiB */
#define CONFIG_DEFAULT_HEARTBEAT_MS 1000
#define CONFIG_DEFAULT_SUPPRESS_BELOW 5
#define CONFIG_SUPPRESS_MAX 1000
#define CONFIG_DEFAULT_PUBLISH_INTERVAL_S 60
#define CONFIG_PUBLISH_INTERVAL_MAX 3600
#define CONFIG_STATE_SUBDIR "nyckel"
#define CONFIG_HOME_STATE_SUBDIR ".local/state/nyckel"
#define CONFIG_FALLBACK_STATE_DIR "./nyckel-state"
/* User values are quoted in errors only up to this many bytes. */
#define CONFIG_QUOTE_MAX "64"
#define CONFIG_QUOTE_MAX_N 64
/* Bytes of one line of the configuration file, without its newline. */
#define CONFIG_LINE_MAX 1024
/* Bytes of a keys file, as auth.c reads it (--check-config). */
/* The only section of the configuration file. */
#define CONFIG_SECTION "nyckeld"

/* The --help text states these limits in words. */
_Static_assert(CONFIG_PATH_MAX == 512, "update the --help text: DIR");
_Static_assert(CONFIG_ENDPOINT_MAX == 256, "update the --help text: EP");
_Static_assert(CONFIG_LINE_MAX == 1024, "update the --help text: lines");

/* The settings the command line and the file both set (some also the
 * environment), in the order --check-config prints them. */
enum config_key {
    CONFIG_KEY_STATE_DIR,
    CONFIG_KEY_INGEST,
    CONFIG_KEY_PUB,
    CONFIG_KEY_QUERY,
    CONFIG_KEY_AS_OF,
    CONFIG_KEY_LOG_LEVEL,
    CONFIG_KEY_MAX_DB_SIZE,
    CONFIG_KEY_MAP_RESIDENT,
    CONFIG_KEY_CURVE_SECRET,
    CONFIG_KEY_KEYS,
    CONFIG_KEY_INSECURE,
    CONFIG_KEY_METRICS_LISTEN,
    CONFIG_KEY_SUPPRESS_BELOW,
    CONFIG_KEY_PUBLISH_INTERVAL,
    CONFIG_KEY_COUNT,
};

/* getopt values of the options without a short form, above any char: a
 * setting's is CONFIG_OPT_KEY + its enum config_key. */
enum {
    CONFIG_OPT_KEY = 256,
    CONFIG_OPT_REBUILD = CONFIG_OPT_KEY + CONFIG_KEY_COUNT,
    CONFIG_OPT_VERIFY,
    CONFIG_OPT_BACKUP,
    CONFIG_OPT_CONFIG,
    CONFIG_OPT_CHECK_CONFIG,
};

/* "+": stop at the first non-option, never permute argv. ":": report a
 * missing argument as ':' so the message is ours, not getopt's. */
static const char config_optstring[] = "+:hV";

static const struct option config_options[] = {
    {"state-dir", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_STATE_DIR},
    {"ingest", required_argument, NULL, CONFIG_OPT_KEY + CONFIG_KEY_INGEST},
    {"pub", required_argument, NULL, CONFIG_OPT_KEY + CONFIG_KEY_PUB},
    {"query", required_argument, NULL, CONFIG_OPT_KEY + CONFIG_KEY_QUERY},
    {"as-of", required_argument, NULL, CONFIG_OPT_KEY + CONFIG_KEY_AS_OF},
    {"log-level", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_LOG_LEVEL},
    {"max-db-size", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_MAX_DB_SIZE},
    {"map-resident", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_MAP_RESIDENT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"rebuild", no_argument, NULL, CONFIG_OPT_REBUILD},
    {"verify", no_argument, NULL, CONFIG_OPT_VERIFY},
    {"backup", required_argument, NULL, CONFIG_OPT_BACKUP},
    {"curve-secret", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_CURVE_SECRET},
    {"keys", required_argument, NULL, CONFIG_OPT_KEY + CONFIG_KEY_KEYS},
    {"insecure", no_argument, NULL, CONFIG_OPT_KEY + CONFIG_KEY_INSECURE},
    {"metrics-listen", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_METRICS_LISTEN},
    {"suppress-below", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_SUPPRESS_BELOW},
    {"publish-interval", required_argument, NULL,
     CONFIG_OPT_KEY + CONFIG_KEY_PUBLISH_INTERVAL},
    {"config", required_argument, NULL, CONFIG_OPT_CONFIG},
    {"check-config", no_argument, NULL, CONFIG_OPT_CHECK_CONFIG},
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
    "      --config FILE       read the settings below from FILE first (see\n"
    "                          Configuration file)\n"
    "      --check-config      check the settings and the directory, key\n"
    "                          files and endpoints they name, without\n"
    "                          starting or creating anything; print the\n"
    "                          settings and exit 0, or the problems and\n"
    "                          exit 1\n"
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
    "      --map-resident SIZE the store's pages kept mapped into nyckeld,\n"
    "                          at most (it reads through LMDB's map); past\n"
    "                          that they are dropped from its resident set\n"
    "                          (the kernel's page cache keeps them; the\n"
    "                          first time, and then once in 5 s at most,\n"
    "                          it is asked to page them out), and at\n"
    "                          each heartbeat past two thirds of it; less\n"
    "                          while nyckeld's own memory is over 40M, by\n"
    "                          as much (down to 8M); at least 1M, or 0:\n"
    "                          never (faster, but the resident set grows\n"
    "                          to the store's size) (default 48M)\n"
    "  -h, --help              print this help and exit\n"
    "  -V, --version           print the version and exit\n"
    "\n"
    "Authentication (CURVE, on all three sockets):\n"
    "      --curve-secret FILE\n"
    "                          the server's secret key (nyckel-keygen NAME\n"
    "                          writes NAME.key; clients get NAME.pub)\n"
    "      --keys FILE         the clients allowed in, one per line:\n"
    "                          <public key> <role> <municipality>[,...]\n"
    "                          role exporter (push), subscriber (read) or\n"
    "                          admin (both); '*' for every municipality;\n"
    "                          '#' starts a comment. Both or neither.\n"
    "      --insecure          allow endpoints off this host without CURVE\n"
    "                          (by default nyckeld refuses to start so)\n"
    "\n"
    "Privacy:\n"
    "      --suppress-below N  serve counts of persons, households,\n"
    "                          referrals, decisions and investigations\n"
    "                          from 1 to N-1, and every figure computed\n"
    "                          from them, as null with status suppressed,\n"
    "                          in query results and updates alike; only an\n"
    "                          admin key asking for exact values gets them\n"
    "                          (0 to 1000, default 5; 0: off, for trusted\n"
    "                          local use)\n"
    "      --publish-interval SEC\n"
    "                          send a slice's change to a client that is\n"
    "                          not an admin at most once in SEC seconds\n"
    "                          (the latest state when they are up), and\n"
    "                          only when none of its figures is\n"
    "                          suppressed, so that no one learns a single\n"
    "                          payment from two totals; admins get every\n"
    "                          change at once on topics \"!<topic>\"\n"
    "                          (0 to 3600, default 60; 0: every change)\n"
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

static const char config_help_file[] =
    "\n"
    "Configuration file (--config FILE, else $NYCKEL_CONFIG; none by "
    "default):\n"
    "  One section, [nyckeld]; one 'key = value' a line, the keys named as\n"
    "  the long options above without the dashes: state-dir, ingest, pub,\n"
    "  query, as-of, log-level, max-db-size, map-resident, curve-secret,\n"
    "  keys, insecure\n"
    "  (true or false, yes or no, 1 or 0), metrics-listen,\n"
    "  suppress-below, publish-interval. The modes\n"
    "  (--check-config, --rebuild, --verify, --backup, ...) and --config are\n"
    "  for the command line only. Lines starting with '#' or ';' are\n"
    "  comments; a value is the rest of its line, spaces around it removed,\n"
    "  without quotes (a '#' or ';' in it is part of it); an empty value\n"
    "  means the default. A key given twice, an unknown key or section, or a\n"
    "  bad value is an error, reported as FILE:LINE. A relative path\n"
    "  (state-dir, curve-secret, keys) is relative to the directory of FILE.\n"
    "  Lines may be up to 1024 bytes long. Every setting, with its default:\n"
    "  nyckeld.conf.example in nyckel's documentation (share/doc/nyckel).\n"
    "  Each setting comes from the first that gives it: the command line,\n"
    "  the environment, the configuration file, the built-in default.\n";

static const char config_help_env[] =
    "\n"
    "State directory, the first that is set:\n"
    "  --state-dir, $NYCKEL_STATE_DIR, state-dir in the configuration file,\n"
    "  $XDG_STATE_HOME/nyckel, $HOME/.local/state/nyckel, ./nyckel-state\n"
    "(XDG_STATE_HOME and HOME count only when they are absolute paths.)\n"
    "\n"
    "Environment:\n"
    "  NYCKEL_CONFIG     as --config\n"
    "  NYCKEL_STATE_DIR  as --state-dir\n"
    "  NYCKEL_AS_OF      as --as-of\n"
    "  NYCKEL_LOG_LEVEL  as --log-level\n"
    "  NYCKEL_SUPPRESS_BELOW  as --suppress-below\n"
    "  NYCKEL_PUBLISH_INTERVAL  as --publish-interval\n"
    "  XDG_STATE_HOME, HOME  for the default state directory\n"
    "Command-line options override the environment, and the environment\n"
    "overrides the configuration file; an empty variable counts as unset.\n"
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
    "  1  runtime failure (store, sockets, ...), --verify found a\n"
    "     difference, or --check-config found a problem\n"
    "  2  bad usage: unknown option, stray argument or bad value, on the\n"
    "     command line, in the environment or in the configuration file\n";

/* Sets one setting of c from text v; what names the source in messages
 * ("--ingest", "NYCKEL_AS_OF", "FILE:3: ingest"). 0, or -1 after
 * config_error. */
typedef int (*config_set_fn)(struct config *c, const char *v, const char *what);

struct config_setting {
    const char *name; /* the long option, and the key in the file */
    const char *env;  /* the variable that sets it too, or NULL */
    bool path;        /* a path: in the file, relative to its directory */
    config_set_fn set;
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
    cfg->map_resident_bytes = CONFIG_DEFAULT_MAP_RESIDENT;
    cfg->heartbeat_ms = CONFIG_DEFAULT_HEARTBEAT_MS;
    cfg->suppress_below = CONFIG_DEFAULT_SUPPRESS_BELOW;
    cfg->publish_interval_s = CONFIG_DEFAULT_PUBLISH_INTERVAL_S;
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
 * when it binds (and --check-config before, config_check_endpoint). */
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
static int config_parse_size(const char *s, uint64_t *bytes, const char *what)
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
        config_error("%s: '%." CONFIG_QUOTE_MAX "s' is below the minimum "
                     "of 1M (1048576 bytes)",
                     what, s);
        return -1;
    }
    *bytes = v;
    return 0;
bad:
    config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not a size (bytes, or a "
                 "whole number with K, M, G or T)",
                 what, s);
    return -1;
big:
    config_error("%s: '%." CONFIG_QUOTE_MAX "s' is too large", what, s);
    return -1;
}

/* ------------------------------------------------------------ setters */

static int config_set_state_dir(struct config *c, const char *v,
                                const char *what)
{
    return config_set_path(c->state_dir, v, what);
}

static int config_set_ingest(struct config *c, const char *v, const char *what)
{
    return config_set_endpoint(c->ingest, v, what);
}

static int config_set_pub(struct config *c, const char *v, const char *what)
{
    return config_set_endpoint(c->pub, v, what);
}

static int config_set_query(struct config *c, const char *v, const char *what)
{
    return config_set_endpoint(c->query, v, what);
}

static int config_set_as_of(struct config *c, const char *v, const char *what)
{
    int32_t day;

    /* Day -1 (1969-12-31) would mean "follow the clock" (config.h), so
     * the range starts at day 0. */
    if (period_date_parse(v, &day) != 0 || day < 0) {
        config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not a date "
                     "(YYYY-MM-DD, 1970-01-01 to 2199-12-31)",
                     what, v);
        return -1;
    }
    c->as_of_day = day;
    return 0;
}

static int config_set_log_level(struct config *c, const char *v,
                                const char *what)
{
    int level = log_level_parse(v);

    if (level < 0) {
        config_error("%s: unknown level '%." CONFIG_QUOTE_MAX "s' "
                     "(error, warn, info or debug)",
                     what, v);
        return -1;
    }
    c->log_level = level;
    return 0;
}

static int config_set_max_db_size(struct config *c, const char *v,
                                  const char *what)
{
    return config_parse_size(v, &c->max_db_bytes, what);
}

static int config_set_map_resident(struct config *c, const char *v,
                                   const char *what)
{
    if (strcmp(v, "0") == 0) {
        c->map_resident_bytes = 0; /* never trim */
        return 0;
    }
    return config_parse_size(v, &c->map_resident_bytes, what);
}

static int config_set_curve_secret(struct config *c, const char *v,
                                   const char *what)
{
    return config_set_path(c->curve_secret, v, what);
}

static int config_set_keys(struct config *c, const char *v, const char *what)
{
    return config_set_path(c->keys, v, what);
}

/* The flag passes "true"; the file any of the six words. */
static int config_set_insecure(struct config *c, const char *v,
                               const char *what)
{
    static const char *const words[] = {"false", "true", "no", "yes", "0", "1"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(v, words[i]) == 0) {
            c->insecure = i % 2 == 1;
            return 0;
        }
    config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not true or false "
                 "(true, false, yes, no, 1 or 0)",
                 what, v);
    return -1;
}

static int config_set_metrics_listen(struct config *c, const char *v,
                                     const char *what)
{
    return config_set_listen(c->metrics_listen, v, what);
}

/* 0 (off) to CONFIG_SUPPRESS_MAX. */
static int config_set_suppress_below(struct config *c, const char *v,
                                     const char *what)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > CONFIG_SUPPRESS_MAX || v[0] == '-' ||
        v[0] == '+' || v[0] == ' ') {
        config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not a number from 0 "
                     "to %d",
                     what, v, CONFIG_SUPPRESS_MAX);
        return -1;
    }
    c->suppress_below = (int)n;
    return 0;
}

/* Seconds, 0 to CONFIG_PUBLISH_INTERVAL_MAX. */
static int config_set_publish_interval(struct config *c, const char *v,
                                       const char *what)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > CONFIG_PUBLISH_INTERVAL_MAX ||
        v[0] == '-' || v[0] == '+' || v[0] == ' ') {
        config_error("%s: '%." CONFIG_QUOTE_MAX "s' is not a number of "
                     "seconds from 0 to %d",
                     what, v, CONFIG_PUBLISH_INTERVAL_MAX);
        return -1;
    }
    c->publish_interval_s = (int)n;
    return 0;
}

static const struct config_setting config_settings[CONFIG_KEY_COUNT] = {
    [CONFIG_KEY_STATE_DIR] = {"state-dir", "NYCKEL_STATE_DIR", true,
                              config_set_state_dir},
    [CONFIG_KEY_INGEST] = {"ingest", NULL, false, config_set_ingest},
    [CONFIG_KEY_PUB] = {"pub", NULL, false, config_set_pub},
    [CONFIG_KEY_QUERY] = {"query", NULL, false, config_set_query},
    [CONFIG_KEY_AS_OF] = {"as-of", "NYCKEL_AS_OF", false, config_set_as_of},
    [CONFIG_KEY_LOG_LEVEL] = {"log-level", "NYCKEL_LOG_LEVEL", false,
                              config_set_log_level},
    [CONFIG_KEY_MAX_DB_SIZE] = {"max-db-size", NULL, false,
                                config_set_max_db_size},
    [CONFIG_KEY_MAP_RESIDENT] = {"map-resident", NULL, false,
                                 config_set_map_resident},
    [CONFIG_KEY_CURVE_SECRET] = {"curve-secret", NULL, true,
                                 config_set_curve_secret},
    [CONFIG_KEY_KEYS] = {"keys", NULL, true, config_set_keys},
    [CONFIG_KEY_INSECURE] = {"insecure", NULL, false, config_set_insecure},
    [CONFIG_KEY_METRICS_LISTEN] = {"metrics-listen", NULL, false,
                                   config_set_metrics_listen},
    [CONFIG_KEY_SUPPRESS_BELOW] = {"suppress-below", "NYCKEL_SUPPRESS_BELOW",
                                   false, config_set_suppress_below},
    [CONFIG_KEY_PUBLISH_INTERVAL] = {"publish-interval",
                                     "NYCKEL_PUBLISH_INTERVAL", false,
                                     config_set_publish_interval},
};

/* ---------------------------------------------------- the file (INI) */

/* One configuration file being read; lives during config_file_load. */
struct config_file {
    FILE *f;
    const char *path;               /* as given, for messages; borrowed */
    char base[CONFIG_PATH_MAX];     /* its directory with a '/', or "" */
    struct config *c;               /* receives the settings; borrowed */
    bool *given;                    /* [CONFIG_KEY_COUNT]: set, not empty */
    int key_line[CONFIG_KEY_COUNT]; /* line of each key seen, 0: none */
    int line;                       /* number of the line being parsed */
    bool failed;                    /* an error was printed */
    char text[CONFIG_LINE_MAX + 2]; /* that line, its '\n', a NUL */
    size_t len, pos;                /* its bytes, those handed to inih */
};

/* The reader's checks of a new line: a [section] other than ours. */
static int config_file_check_section(struct config_file *cf)
{
    const char *p = cf->text, *end;

    if (cf->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* a UTF-8 byte order mark, as libinih allows */
    while (isspace((unsigned char)*p))
        p++;
    /* libinih's reading: the name is what lies between '[' and the first
     * ']', the rest of the line is ignored; no ']' is its syntax error. */
    if (*p != '[' || (end = strchr(p + 1, ']')) == NULL)
        return 0;
    size_t n = (size_t)(end - p - 1);
    if (n == strlen(CONFIG_SECTION) && strncmp(p + 1, CONFIG_SECTION, n) == 0)
        return 0;
    config_error("%s:%d: unknown section '[%.*s]' (the only one is "
                 "[" CONFIG_SECTION "])",
                 cf->path, cf->line,
                 (int)(n < CONFIG_QUOTE_MAX_N ? n : CONFIG_QUOTE_MAX_N), p + 1);
    return -1;
}

/* Reads the next line into cf->text: 0, 1 at the end of the file, or -1
 * after an error (a read error, a NUL byte, a line too long). */
static int config_file_next_line(struct config_file *cf)
{
    size_t len = 0;
    int ch;
    bool too_long = false, nul = false;

    while ((ch = getc(cf->f)) != EOF && ch != '\n') {
        if (ch == '\0')
            nul = true;
        if (len < CONFIG_LINE_MAX)
            cf->text[len++] = (char)ch;
        else
            too_long = true;
    }
    if (ferror(cf->f)) {
        config_error("%s: %s", cf->path, strerror(errno));
        return -1;
    }
    if (ch == EOF && len == 0)
        return 1;
    cf->line++;
    if (too_long) {
        config_error("%s:%d: line longer than %d bytes", cf->path, cf->line,
                     CONFIG_LINE_MAX);
        return -1;
    }
    if (nul) {
        config_error("%s:%d: holds a NUL byte", cf->path, cf->line);
        return -1;
    }
    if (ch == '\n')
        cf->text[len++] = '\n';
    cf->text[len] = '\0';
    cf->len = len;
    cf->pos = 0;
    return config_file_check_section(cf);
}

/* libinih's fgets: hands over the current line, in pieces of at most
 * num - 1 bytes (one piece: its buffer is larger than our lines). */
static char *config_file_reader(char *str, int num, void *stream)
{
    struct config_file *cf = stream;

    if (cf->failed || num < 2)
        return NULL;
    if (cf->pos == cf->len) {
        int rc = config_file_next_line(cf);
        if (rc != 0) {
            cf->failed = rc < 0;
            return NULL;
        }
    }
    size_t n = cf->len - cf->pos;
    if (n > (size_t)num - 1)
        n = (size_t)num - 1;
    memcpy(str, cf->text + cf->pos, n);
    str[n] = '\0';
    cf->pos += n;
    return str;
}

/* One "name = value" of section (libinih's handler): nonzero to go on. */
static int config_file_handler(void *user, const char *section,
                               const char *name, const char *value)
{
    struct config_file *cf = user;
    char what[CONFIG_PATH_MAX + 64], joined[2 * CONFIG_PATH_MAX];
    int k;

    if (section[0] == '\0') {
        config_error("%s:%d: '%." CONFIG_QUOTE_MAX "s' comes before the "
                     "[" CONFIG_SECTION "] section",
                     cf->path, cf->line, name);
        goto fail;
    }
    for (k = 0; k < CONFIG_KEY_COUNT; k++)
        if (strcmp(name, config_settings[k].name) == 0)
            break;
    if (k == CONFIG_KEY_COUNT) {
        bool option = false;
        for (const struct option *o = config_options; o->name; o++)
            option = option || strcmp(name, o->name) == 0;
        if (option)
            config_error("%s:%d: '%s' is for the command line only "
                         "(--%s)",
                         cf->path, cf->line, name, name);
        else
            config_error("%s:%d: unknown setting '%." CONFIG_QUOTE_MAX "s'",
                         cf->path, cf->line, name);
        goto fail;
    }
    if (cf->key_line[k] != 0) {
        config_error("%s:%d: '%s' is already set on line %d", cf->path,
                     cf->line, name, cf->key_line[k]);
        goto fail;
    }
    cf->key_line[k] = cf->line;
    if (value[0] == '\0')
        return 1; /* the default */
    snprintf(what, sizeof(what), "%s:%d: %s", cf->path, cf->line, name);
    if (value[0] == '"' || value[0] == '\'') {
        config_error("%s: write the value without quotes", what);
        goto fail;
    }
    if (config_settings[k].path && value[0] != '/' && cf->base[0] != '\0') {
        /* a join that does not fit is cut at 1023 bytes, still too long
         * for the setter, which refuses it */
        snprintf(joined, sizeof(joined), "%s%s", cf->base, value);
        value = joined;
    }
    if (config_settings[k].set(cf->c, value, what) != 0)
        goto fail;
    cf->given[k] = true;
    return 1;
fail:
    cf->failed = true;
    return 0;
}

/*
 * Reads the file path (named by what: "--config" or "NYCKEL_CONFIG")
 * into *c, marking given[k] for each setting it sets. 0, or -1 after
 * config_error.
 */
static int config_file_load(struct config *c, const char *path,
                            const char *what, bool *given)
{
    static char comment_prefixes[] = ";#";
    struct config_file *cf = xcalloc(1, sizeof(*cf));
    const char *slash = strrchr(path, '/');
    struct stat st;
    int rc = -1, parsed;

    cf->path = path;
    cf->c = c;
    cf->given = given;
    if (slash != NULL) /* path fits CONFIG_PATH_MAX, so its directory */
        memcpy(cf->base, path, (size_t)(slash - path) + 1);
    if ((cf->f = fopen(path, "r")) == NULL) {
        config_error("%s %s: %s", what, path, strerror(errno));
        goto out;
    }
    if (fstat(fileno(cf->f), &st) == 0 && S_ISDIR(st.st_mode)) {
        config_error("%s %s: %s", what, path, strerror(EISDIR));
        goto out;
    }
    /* Debian's libinih makes its build options run-time switches: a
     * line buffer on the heap larger than our longest line, so one read
     * is one line; comments only at the start of a line (a value may
     * hold '#' or ';'); no continuation lines; stop at the first error. */
    ini_use_stack = false;
    ini_allow_realloc = false;
    ini_initial_alloc = CONFIG_LINE_MAX + 8;
    ini_max_line = CONFIG_LINE_MAX + 8;
    ini_allow_multiline = false;
    ini_allow_inline_comments = false;
    ini_start_comment_prefixes = comment_prefixes;
    ini_allow_no_value = false;
    ini_allow_bom = true;
    ini_stop_on_first_error = true;
    parsed = ini_parse_stream(config_file_reader, cf, config_file_handler, cf);
    if (cf->failed)
        goto out;
    if (parsed > 0) {
        config_error("%s:%d: not 'key = value', a [section] or a comment", path,
                     parsed);
        goto out;
    }
    if (parsed < 0) {
        config_error("%s: libinih failed (%d)", path, parsed);
        goto out;
    }
    rc = 0;
out:
    if (cf->f != NULL)
        fclose(cf->f);
    free(cf);
    return rc;
}

/* ----------------------------------------------------------- merging */

/* The state directory when nothing set it. */
static int config_default_state_dir(struct config *cfg)
{
    const char *v;

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
 * unless --insecure says otherwise (when serving, or checking that). */
static int config_check_curve(const struct config *cfg)
{
    if (!cfg->curve_secret[0] != !cfg->keys[0]) {
        config_error("--curve-secret and --keys go together: the server's "
                     "key and the clients' keys");
        return -1;
    }
    if (cfg->curve_secret[0] || cfg->insecure ||
        (cfg->mode != CONFIG_MODE_RUN && cfg->mode != CONFIG_MODE_CHECK))
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
    struct config c, scratch;
    /* The settings argv gave (the last of each), borrowed from argv. */
    const char *arg[CONFIG_KEY_COUNT] = {NULL};
    bool given[CONFIG_KEY_COUNT] = {false};
    const char *file = NULL, *file_what = "--config";
    char what[32];
    int opt;

    config_defaults(&c);
    scratch = c;
    optind = 0; /* GNU: full reinitialisation, for repeated calls */
    opterr = 0; /* messages are ours */
    while ((opt = getopt_long(argc, argv, config_optstring, config_options,
                              NULL)) != -1) {
        if (opt >= CONFIG_OPT_KEY && opt < CONFIG_OPT_KEY + CONFIG_KEY_COUNT) {
            /* Checked now, in argv's order; applied after the file. */
            int k = opt - CONFIG_OPT_KEY;
            const char *v = k == CONFIG_KEY_INSECURE ? "true" : optarg;
            snprintf(what, sizeof(what), "--%s", config_settings[k].name);
            if (config_settings[k].set(&scratch, v, what) != 0)
                return -1;
            arg[k] = v;
            continue;
        }
        switch (opt) {
        case CONFIG_OPT_REBUILD:
            c.mode = CONFIG_MODE_REBUILD;
            break;
        case CONFIG_OPT_VERIFY:
            c.mode = CONFIG_MODE_VERIFY;
            break;
        case CONFIG_OPT_CHECK_CONFIG:
            c.mode = CONFIG_MODE_CHECK;
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
        case CONFIG_OPT_CONFIG:
            if (config_set_path(c.config_file, optarg, "--config") != 0)
                return -1;
            file = optarg;
            break;
        case 'h':
            /* Help wins over whatever follows: the user asked for it. */
            fputs(config_help_usage, stdout);
            fputs(config_help_file, stdout);
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
    /* Lowest first: the defaults are in c; the file; the environment;
     * argv. */
    if (file == NULL && (file = config_getenv("NYCKEL_CONFIG")) != NULL) {
        file_what = "NYCKEL_CONFIG";
        if (config_set_path(c.config_file, file, file_what) != 0)
            return -1;
    }
    if (file != NULL && config_file_load(&c, file, file_what, given) != 0)
        return -1;
    for (int k = 0; k < CONFIG_KEY_COUNT; k++) {
        const struct config_setting *s = &config_settings[k];
        const char *v;
        if (arg[k] != NULL) {
            snprintf(what, sizeof(what), "--%s", s->name);
            if (s->set(&c, arg[k], what) != 0)
                return -1; /* not reached: checked above */
        } else if (s->env != NULL && (v = config_getenv(s->env)) != NULL) {
            if (s->set(&c, v, s->env) != 0)
                return -1;
        } else {
            continue;
        }
        given[k] = true;
    }
    if ((!given[CONFIG_KEY_STATE_DIR] && config_default_state_dir(&c) != 0) ||
        config_check_endpoints(&c) != 0 || config_check_curve(&c) != 0)
        return -1;
    *cfg = c;
    return 0;
}

/* ----------------------------------------------------- --check-config */

static int config_problem(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* "nyckeld: <problem>" to stderr; 1, to count it. */
static int config_problem(const char *fmt, ...)
{
    va_list ap;

    fputs("nyckeld: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* The directory part of path (at most CONFIG_PATH_MAX bytes) into dir:
 * "a/b/" and "a/b" give "a", "b" gives ".", "/b" gives "/". */
static void config_dirname(const char *path, char dir[CONFIG_PATH_MAX])
{
    size_t n = strnlen(path, CONFIG_PATH_MAX - 1);

    while (n > 1 && path[n - 1] == '/')
        n--;
    while (n > 0 && path[n - 1] != '/')
        n--;
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0) {
        memcpy(dir, ".", 2);
        return;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
}

/* store_open makes the state directory with one mkdir: it must exist
 * (and be ours to use), or its parent must. */
static int config_check_state_dir(const char *dir)
{
    char parent[CONFIG_PATH_MAX], data[CONFIG_PATH_MAX + 16];
    struct stat st;

    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return config_problem("state-dir %s: not a directory", dir);
        if (access(dir, R_OK | W_OK | X_OK) != 0)
            return config_problem("state-dir %s: %s", dir, strerror(errno));
        snprintf(data, sizeof(data), "%s/data.mdb", dir);
        if (access(data, F_OK) == 0 && access(data, R_OK | W_OK) != 0)
            return config_problem("state-dir %s: %s", data, strerror(errno));
        return 0;
    }
    if (errno != ENOENT)
        return config_problem("state-dir %s: %s", dir, strerror(errno));
    config_dirname(dir, parent);
    if (stat(parent, &st) != 0)
        return config_problem("state-dir %s: does not exist, and nor does "
                              "%s (nyckeld creates only the last "
                              "directory)",
                              dir, parent);
    if (!S_ISDIR(st.st_mode))
        return config_problem("state-dir %s: %s is not a directory", dir,
                              parent);
    if (access(parent, W_OK | X_OK) != 0)
        return config_problem("state-dir %s: does not exist and cannot be "
                              "made in %s: %s",
                              dir, parent, strerror(errno));
    return 0;
}

/* What ZeroMQ would refuse when binding ep (named name), beyond the
 * shape config_set_endpoint checked: 0, or 1 after saying why. */
static int config_check_endpoint(const char *name, const char *ep)
{
    const char *sep = strstr(ep, "://"), *addr = sep + 3;
    size_t tlen = (size_t)(sep - ep);

    if (tlen == 3 && strncmp(ep, "tcp", 3) == 0) {
        const char *colon = strrchr(addr, ':');
        const char *port = colon ? colon + 1 : "";
        size_t digits = strspn(port, "0123456789");
        long n = digits > 0 && digits <= 5 ? strtol(port, NULL, 10) : 0;
        bool port_ok = strcmp(port, "*") == 0 ||
                       (port[digits] == '\0' && n >= 1 && n <= 65535);
        bool host_ok = colon != NULL && colon != addr &&
                       (addr[0] != '[' || colon[-1] == ']');
        if (!port_ok || !host_ok)
            return config_problem("%s %s: not tcp://HOST:PORT (PORT 1 to "
                                  "65535 or *)",
                                  name, ep);
        return 0;
    }
    if (tlen == 3 && strncmp(ep, "ipc", 3) == 0) {
        struct sockaddr_un un;
        char dir[CONFIG_PATH_MAX];
        struct stat st;
        if (strlen(addr) >= sizeof(un.sun_path))
            return config_problem("%s %s: the path is longer than %zu "
                                  "bytes, the most a UNIX socket takes",
                                  name, ep, sizeof(un.sun_path) - 1);
        if (addr[0] == '@' || strcmp(addr, "*") == 0)
            return 0; /* abstract, or a name ZeroMQ makes up */
        config_dirname(addr, dir);
        if (stat(dir, &st) != 0)
            return config_problem("%s %s: directory %s: %s", name, ep, dir,
                                  strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return config_problem("%s %s: %s is not a directory", name, ep,
                                  dir);
        return 0;
    }
    if (tlen == 6 && strncmp(ep, "inproc", 6) == 0)
        return 0;
    return config_problem("%s %s: transport '%.*s' is not tcp, ipc or "
                          "inproc",
                          name, ep, (int)tlen, ep);
}

/* bytes as the largest K/M/G/T it is a whole number of. */
static void config_format_size(uint64_t bytes, char out[32])
{
    static const char units[] = "TGMK";

    for (int i = 0; i < 4; i++) {
        unsigned shift = 10 * (unsigned)(4 - i);
        if (bytes != 0 && bytes % (UINT64_C(1) << shift) == 0) {
            snprintf(out, 32, "%llu%c", (unsigned long long)(bytes >> shift),
                     units[i]);
            return;
        }
    }
    snprintf(out, 32, "%llu", (unsigned long long)bytes);
}

/* "key = value", or "key =" when the value is empty (the default). */
static void config_print_setting(FILE *out, const char *key, const char *v)
{
    fprintf(out, "%s =%s%s\n", key, v[0] ? " " : "", v);
}

/* The effective settings, as a [nyckeld] section would give them. */
static void config_print(const struct config *cfg, FILE *out)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    char as_of[11] = "", size[32], resident[32];
    const char *v[CONFIG_KEY_COUNT];

    if (cfg->as_of_day >= 0)
        period_date_format(cfg->as_of_day, as_of);
    config_format_size(cfg->max_db_bytes, size);
    config_format_size(cfg->map_resident_bytes, resident); /* 0: "0" */
    v[CONFIG_KEY_STATE_DIR] = cfg->state_dir;
    v[CONFIG_KEY_INGEST] = cfg->ingest;
    v[CONFIG_KEY_PUB] = cfg->pub;
    v[CONFIG_KEY_QUERY] = cfg->query;
    v[CONFIG_KEY_AS_OF] = as_of;
    v[CONFIG_KEY_LOG_LEVEL] = cfg->log_level >= 0 && cfg->log_level <= LOG_DEBUG
                                  ? levels[cfg->log_level]
                                  : "?";
    v[CONFIG_KEY_MAX_DB_SIZE] = size;
    v[CONFIG_KEY_MAP_RESIDENT] = resident;
    v[CONFIG_KEY_CURVE_SECRET] = cfg->curve_secret; /* the file's name */
    v[CONFIG_KEY_KEYS] = cfg->keys;
    v[CONFIG_KEY_INSECURE] = cfg->insecure ? "true" : "false";
    v[CONFIG_KEY_METRICS_LISTEN] = cfg->metrics_listen;
    char below[16];
    snprintf(below, sizeof(below), "%d", cfg->suppress_below);
    v[CONFIG_KEY_SUPPRESS_BELOW] = below;
    char interval[16];
    snprintf(interval, sizeof(interval), "%d", cfg->publish_interval_s);
    v[CONFIG_KEY_PUBLISH_INTERVAL] = interval;
    fprintf(out, "nyckeld: configuration OK\n");
    fprintf(out, "# configuration file: %s\n",
            cfg->config_file[0] ? cfg->config_file : "none");
    for (int k = 0; k < CONFIG_KEY_COUNT; k++)
        config_print_setting(out, config_settings[k].name, v[k]);
    fflush(out);
}

int config_check(const struct config *cfg, config_keys_check_fn keys_check)
{
    char why[CONFIG_PATH_MAX + 256];
    int problems = 0;

    problems += config_check_state_dir(cfg->state_dir);
    problems += config_check_endpoint("ingest", cfg->ingest);
    problems += config_check_endpoint("pub", cfg->pub);
    problems += config_check_endpoint("query", cfg->query);
    if (cfg->curve_secret[0]) {
        char z85[KEYFILE_Z85_LEN + 1];
        if (keyfile_read(cfg->curve_secret, true, z85, why, sizeof(why)))
            problems += config_problem("curve-secret: %s", why);
        memset(z85, 0, sizeof(z85));
    }
    if (cfg->keys[0]) {
        if (keys_check(cfg->keys, why, sizeof(why)))
            problems += config_problem("keys: %s", why);
    }
    if (problems > 0) {
        config_problem("configuration has %d problem%s", problems,
                       problems == 1 ? "" : "s");
        return 1;
    }
    config_print(cfg, stdout);
    return 0;
}
