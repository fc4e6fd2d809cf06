/*
 * test_config.c — config_parse: defaults, each option, environment
 * against argv, --help and --version, and every kind of refusal.
 *
 * Table-driven: one row per command line and environment, with the
 * expected settings or the expected piece of the error message. Every
 * row runs in the same process, which also proves config_parse can be
 * called again and again (getopt is reinitialised). The environment is
 * cleared before each row; stdout and stderr are captured in an
 * anonymous tmpfile(), so the test leaves no files behind.
 */
#include "config.h"
#include "log.h"
#include "period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka.h needs these four before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#ifndef NYCKEL_VERSION
#define NYCKEL_VERSION "0.0.0"
#endif

#define ARGS_MAX 12
#define OUT_MAX 8192
#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)

/* Every variable config.c reads. */
static const char *const env_names[] = {
    "NYCKEL_STATE_DIR", "NYCKEL_AS_OF", "NYCKEL_LOG_LEVEL",
    "XDG_STATE_HOME",   "HOME",
};
#define ENV_COUNT (sizeof(env_names) / sizeof(env_names[0]))

/* Output of one stream captured in an unnamed temporary file. */
struct capture {
    FILE *stream;
    int saved_fd;
    FILE *tmp;
};

/* The captures in progress, so a test that fails or crashes inside
 * config_parse still gets its stdout and stderr back (test_restore). */
static struct capture *captures_open[2];

static void capture_begin(struct capture *c, FILE *stream)
{
    fflush(stream);
    captures_open[stream == stdout ? 0 : 1] = c;
    c->stream = stream;
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved_fd = dup(fileno(stream));
    assert_true(c->saved_fd >= 0);
    assert_true(dup2(fileno(c->tmp), fileno(stream)) >= 0);
}

/* Restores the stream and copies what was written into out (NUL-ended). */
static void capture_end(struct capture *c, char *out, size_t cap)
{
    size_t n;

    fflush(c->stream);
    assert_true(dup2(c->saved_fd, fileno(c->stream)) >= 0);
    close(c->saved_fd);
    captures_open[c->stream == stdout ? 0 : 1] = NULL;
    rewind(c->tmp);
    n = fread(out, 1, cap - 1, c->tmp);
    out[n] = '\0';
    fclose(c->tmp);
}

/* Teardown of every test: undo a capture left open by a failure. */
static int test_restore(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct capture *c = captures_open[i];
        if (c == NULL)
            continue;
        fflush(c->stream);
        dup2(c->saved_fd, fileno(c->stream));
        close(c->saved_fd);
        fclose(c->tmp);
        captures_open[i] = NULL;
    }
    return 0;
}

static void env_clear(void)
{
    for (size_t i = 0; i < ENV_COUNT; i++)
        unsetenv(env_names[i]);
}

/* Runs config_parse on "nyckeld" + args with env (name/value pairs,
 * NULL-ended), capturing stdout and stderr. */
static int run_parse(const char *const *args, const char *const *env,
                     struct config *cfg, char *out, char *err)
{
    static char store[ARGS_MAX][1024];
    char *argv[ARGS_MAX + 1];
    int argc = 0;
    struct capture co, ce;
    int rc;

    env_clear();
    for (size_t i = 0; env != NULL && env[i] != NULL; i += 2)
        assert_int_equal(setenv(env[i], env[i + 1], 1), 0);
    snprintf(store[argc], sizeof(store[argc]), "nyckeld");
    argv[argc] = store[argc];
    argc++;
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        assert_true(argc < ARGS_MAX);
        assert_true(strlen(args[i]) < sizeof(store[argc]));
        snprintf(store[argc], sizeof(store[argc]), "%s", args[i]);
        argv[argc] = store[argc];
        argc++;
    }
    argv[argc] = NULL;
    capture_begin(&co, stdout);
    capture_begin(&ce, stderr);
    rc = config_parse(argc, argv, cfg);
    capture_end(&ce, err, OUT_MAX);
    capture_end(&co, out, OUT_MAX);
    env_clear();
    return rc;
}

static int32_t day_of(const char *ymd)
{
    int32_t day = -1;
    assert_int_equal(period_date_parse(ymd, &day), 0);
    return day;
}

/* ------------------------------------------------------------------ */
/* Successful parses. NULL / 0 in an expectation means the default.   */

struct ok_case {
    const char *name;
    const char *args[ARGS_MAX];
    const char *env[2 * 5 + 1]; /* name, value, ..., NULL */
    enum config_mode mode;
    const char *state_dir;            /* NULL: "./nyckel-state" */
    const char *ingest, *pub, *query; /* NULL: the default */
    const char *as_of;                /* NULL: -1, follow the clock */
    const char *log_level;            /* NULL: "info" */
    uint64_t max_db_bytes;            /* 0: 64 GiB */
    bool insecure;                    /* --insecure given */
};

static const struct ok_case ok_cases[] = {
    {.name = "defaults, empty environment"},

    /* State directory resolution, first that is set. */
    {.name = "HOME",
     .env = {"HOME", "/home/kim", NULL},
     .state_dir = "/home/kim/.local/state/nyckel"},
    {.name = "relative HOME is ignored", .env = {"HOME", "home/kim", NULL}},
    {.name = "XDG_STATE_HOME before HOME",
     .env = {"XDG_STATE_HOME", "/xdg", "HOME", "/home/kim", NULL},
     .state_dir = "/xdg/nyckel"},
    {.name = "relative XDG_STATE_HOME is ignored (XDG spec)",
     .env = {"XDG_STATE_HOME", "xdg", "HOME", "/home/kim", NULL},
     .state_dir = "/home/kim/.local/state/nyckel"},
    {.name = "NYCKEL_STATE_DIR before XDG_STATE_HOME",
     .env = {"NYCKEL_STATE_DIR", "/srv/nyckel", "XDG_STATE_HOME", "/xdg", NULL},
     .state_dir = "/srv/nyckel"},
    {.name = "empty NYCKEL_STATE_DIR counts as unset",
     .env = {"NYCKEL_STATE_DIR", "", "HOME", "/home/kim", NULL},
     .state_dir = "/home/kim/.local/state/nyckel"},
    {.name = "--state-dir before NYCKEL_STATE_DIR",
     .args = {"--state-dir", "/var/lib/nyckel"},
     .env = {"NYCKEL_STATE_DIR", "/srv/nyckel", NULL},
     .state_dir = "/var/lib/nyckel"},
    {.name = "--state-dir=DIR form, relative path kept as given",
     .args = {"--state-dir=state"},
     .state_dir = "state"},

    /* Endpoints. */
    {.name = "all three endpoints, on this host",
     .args = {"--ingest", "tcp://localhost:8710", "--pub",
              "ipc:///run/nyckel/pub", "--query=tcp://[::1]:8712"},
     .ingest = "tcp://localhost:8710",
     .pub = "ipc:///run/nyckel/pub",
     .query = "tcp://[::1]:8712"},
    {.name = "off this host with --insecure",
     .args = {"--ingest", "tcp://0.0.0.0:8710", "--insecure"},
     .ingest = "tcp://0.0.0.0:8710",
     .insecure = true},
    {.name = "off this host with CURVE",
     .args = {"--ingest", "tcp://0.0.0.0:8710", "--pub",
              "ipc:///run/nyckel/pub", "--query=tcp://[::1]:8712",
              "--curve-secret", "/etc/nyckel/server.key", "--keys",
              "/etc/nyckel/keys"},
     .ingest = "tcp://0.0.0.0:8710",
     .pub = "ipc:///run/nyckel/pub",
     .query = "tcp://[::1]:8712"},

    /* As-of date. 2014-09-01 = 16314, 2014-08-31 = 16313. */
    {.name = "--as-of",
     .args = {"--as-of", "2014-09-01"},
     .as_of = "2014-09-01"},
    {.name = "NYCKEL_AS_OF",
     .env = {"NYCKEL_AS_OF", "2014-08-31", NULL},
     .as_of = "2014-08-31"},
    {.name = "--as-of before NYCKEL_AS_OF",
     .args = {"--as-of", "2014-09-01"},
     .env = {"NYCKEL_AS_OF", "2014-08-31", NULL},
     .as_of = "2014-09-01"},
    {.name = "--as-of overrides a bad NYCKEL_AS_OF unread",
     .args = {"--as-of", "2014-09-01"},
     .env = {"NYCKEL_AS_OF", "yesterday", NULL},
     .as_of = "2014-09-01"},
    {.name = "--as-of 1970-01-01 is day 0, the first allowed",
     .args = {"--as-of", "1970-01-01"},
     .as_of = "1970-01-01"},
    {.name = "--as-of 2199-12-31, the last allowed",
     .args = {"--as-of", "2199-12-31"},
     .as_of = "2199-12-31"},
    {.name = "empty NYCKEL_AS_OF counts as unset",
     .env = {"NYCKEL_AS_OF", "", NULL}},

    /* Log level. */
    {.name = "--log-level error",
     .args = {"--log-level", "error"},
     .log_level = "error"},
    {.name = "--log-level warn",
     .args = {"--log-level", "warn"},
     .log_level = "warn"},
    {.name = "--log-level info",
     .args = {"--log-level", "info"},
     .log_level = "info"},
    {.name = "--log-level debug",
     .args = {"--log-level", "debug"},
     .log_level = "debug"},
    {.name = "NYCKEL_LOG_LEVEL",
     .env = {"NYCKEL_LOG_LEVEL", "debug", NULL},
     .log_level = "debug"},
    {.name = "--log-level before NYCKEL_LOG_LEVEL",
     .args = {"--log-level", "error"},
     .env = {"NYCKEL_LOG_LEVEL", "debug", NULL},
     .log_level = "error"},
    {.name = "an option given twice: the last counts",
     .args = {"--log-level", "warn", "--log-level", "debug"},
     .log_level = "debug"},

    /* Map size: powers of 1024. */
    {.name = "--max-db-size bytes, exactly the 1 MiB minimum",
     .args = {"--max-db-size", "1048576"},
     .max_db_bytes = MIB},
    {.name = "--max-db-size 1024K = 1M, the minimum",
     .args = {"--max-db-size", "1024K"},
     .max_db_bytes = MIB},
    {.name = "--max-db-size 1024k: lower case",
     .args = {"--max-db-size", "1024k"},
     .max_db_bytes = MIB},
    {.name = "--max-db-size 1M",
     .args = {"--max-db-size", "1M"},
     .max_db_bytes = MIB},
    {.name = "--max-db-size 2g: lower case, 2 * 1024^3 = 2147483648",
     .args = {"--max-db-size", "2g"},
     .max_db_bytes = UINT64_C(2147483648)},
    {.name = "--max-db-size 1T = 1024^4 = 1099511627776",
     .args = {"--max-db-size", "1T"},
     .max_db_bytes = UINT64_C(1099511627776)},
    {.name = "--max-db-size 16777215T = (2^24 - 1) * 2^40, largest",
     .args = {"--max-db-size", "16777215T"},
     .max_db_bytes = (UINT64_C(16777215) << 40)},

    /* Help and version win, even over a bad environment. */
    {.name = "--help", .args = {"--help"}, .mode = CONFIG_MODE_HELP},
    {.name = "-h", .args = {"-h"}, .mode = CONFIG_MODE_HELP},
    {.name = "--help before a bad option and a bad environment",
     .args = {"--help", "--bogus"},
     .env = {"NYCKEL_AS_OF", "yesterday", NULL},
     .mode = CONFIG_MODE_HELP},
    {.name = "--version", .args = {"--version"}, .mode = CONFIG_MODE_VERSION},
    {.name = "-V", .args = {"-V"}, .mode = CONFIG_MODE_VERSION},

    /* Maintenance modes. */
    {.name = "--rebuild", .args = {"--rebuild"}, .mode = CONFIG_MODE_REBUILD},
    {.name = "--verify", .args = {"--verify"}, .mode = CONFIG_MODE_VERIFY},
};

static void test_parse_ok(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct config cfg;
        int rc = run_parse(c->args, c->env, &cfg, out, err);

        print_message("row %zu: %s\n", i, c->name);
        if (rc != 0)
            print_error("stderr: %s\n", err);
        assert_int_equal(rc, 0);
        assert_string_equal(err, "");
        assert_int_equal(cfg.mode, c->mode);
        if (c->mode == CONFIG_MODE_HELP) {
            assert_non_null(strstr(out, "Usage: nyckeld"));
            continue;
        }
        if (c->mode == CONFIG_MODE_VERSION) {
            assert_string_equal(out, "nyckeld " NYCKEL_VERSION "\n");
            continue;
        }
        assert_string_equal(out, "");
        assert_string_equal(cfg.state_dir,
                            c->state_dir ? c->state_dir : "./nyckel-state");
        assert_string_equal(cfg.ingest,
                            c->ingest ? c->ingest : "tcp://127.0.0.1:7710");
        assert_string_equal(cfg.pub, c->pub ? c->pub : "tcp://127.0.0.1:7711");
        assert_string_equal(cfg.query,
                            c->query ? c->query : "tcp://127.0.0.1:7712");
        assert_int_equal(cfg.as_of_day, c->as_of ? day_of(c->as_of) : -1);
        assert_int_equal(cfg.log_level,
                         log_level_parse(c->log_level ? c->log_level : "info"));
        assert_int_equal(cfg.max_db_bytes,
                         c->max_db_bytes ? c->max_db_bytes : 64 * GIB);
        assert_int_equal(cfg.heartbeat_ms, 1000);
        assert_int_equal(cfg.insecure, c->insecure);
        bool curve = strstr(c->name, "CURVE") != NULL;
        assert_string_equal(cfg.curve_secret,
                            curve ? "/etc/nyckel/server.key" : "");
        assert_string_equal(cfg.keys, curve ? "/etc/nyckel/keys" : "");
    }
}

/* The day numbers behind the as-of rows, by hand: 2014-01-01 = 16071
 * (44 * 365 + 11 leap days), + 243 days of january..august. */
static void test_as_of_day_numbers(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX];
    const char *args[] = {"--as-of", "2014-09-01", NULL};
    struct config cfg;

    (void)state;
    assert_int_equal(run_parse(args, NULL, &cfg, out, err), 0);
    assert_int_equal(cfg.as_of_day, 16314);
}

/* ------------------------------------------------------------------ */
/* Refusals: -1, one message with the hint, *cfg untouched.            */

struct bad_case {
    const char *args[ARGS_MAX];
    const char *env[2 * 5 + 1];
    const char *message; /* must appear in "nyckeld: <message>" */
};

static const struct bad_case bad_cases[] = {
    /* Dates: not a calendar date, wrong shape, out of range. */
    {{"--as-of", "2014-02-30"}, {NULL}, "--as-of: '2014-02-30' is not a date"},
    {{"--as-of", "2014-9-1"}, {NULL}, "--as-of: '2014-9-1' is not a date"},
    {{"--as-of", "2014-09-01x"}, {NULL}, "is not a date"},
    {{"--as-of", ""}, {NULL}, "--as-of: '' is not a date"},
    /* Day -1 would read as "follow the clock". */
    {{"--as-of", "1969-12-31"}, {NULL}, "--as-of: '1969-12-31' is not"},
    {{"--as-of", "2200-01-01"}, {NULL}, "--as-of: '2200-01-01' is not"},
    {{NULL},
     {"NYCKEL_AS_OF", "yesterday", NULL},
     "NYCKEL_AS_OF: 'yesterday' is not a date"},

    /* Levels are lower case words. */
    {{"--log-level", "loud"}, {NULL}, "--log-level: unknown level 'loud'"},
    {{"--log-level", "INFO"}, {NULL}, "--log-level: unknown level 'INFO'"},
    {{"--log-level", "3"}, {NULL}, "unknown level '3'"},
    {{NULL},
     {"NYCKEL_LOG_LEVEL", "verbose", NULL},
     "NYCKEL_LOG_LEVEL: unknown level 'verbose'"},

    /* Options and arguments. */
    {{"--bogus"}, {NULL}, "unknown option '--bogus'"},
    {{"--bogus=1"}, {NULL}, "unknown option '--bogus=1'"},
    {{"-x"}, {NULL}, "unknown option '-x'"},
    {{"--help=yes"}, {NULL}, "option '--help' takes no argument"},
    {{"--version=2"}, {NULL}, "option '--version' takes no argument"},
    {{"--bogus", "--help"}, {NULL}, "unknown option '--bogus'"},
    {{"--state-dir"}, {NULL}, "option '--state-dir' needs an argument"},
    {{"--log-level", "info", "--max-db-size"},
     {NULL},
     "option '--max-db-size' needs an argument"},
    {{"extra"}, {NULL}, "unexpected argument 'extra'"},
    {{"--log-level", "debug", "extra"}, {NULL}, "unexpected argument 'extra'"},
    {{"--", "extra"}, {NULL}, "unexpected argument 'extra'"},
    {{"-"}, {NULL}, "unexpected argument '-'"},

    /* Sizes. */
    {{"--max-db-size", ""}, {NULL}, "--max-db-size: '' is not a size"},
    {{"--max-db-size", "big"}, {NULL}, "'big' is not a size"},
    {{"--max-db-size", "1.5G"}, {NULL}, "'1.5G' is not a size"},
    {{"--max-db-size", "-1"}, {NULL}, "'-1' is not a size"},
    {{"--max-db-size", "+1G"}, {NULL}, "'+1G' is not a size"},
    {{"--max-db-size", " 1G"}, {NULL}, "' 1G' is not a size"},
    {{"--max-db-size", "1MB"}, {NULL}, "'1MB' is not a size"},
    {{"--max-db-size", "1P"}, {NULL}, "'1P' is not a size"},
    {{"--max-db-size", "G"}, {NULL}, "'G' is not a size"},
    /* 1048575 = 1 MiB - 1; 1023K = 1047552 */
    {{"--max-db-size", "1048575"}, {NULL}, "is below the minimum of 1M"},
    {{"--max-db-size", "1023K"}, {NULL}, "'1023K' is below the minimum"},
    {{"--max-db-size", "0"}, {NULL}, "'0' is below the minimum"},
    /* 16777216T = 2^24 * 2^40 = 2^64: one past UINT64_MAX */
    {{"--max-db-size", "16777216T"}, {NULL}, "'16777216T' is too large"},
    /* 2^64 = 18446744073709551616 */
    {{"--max-db-size", "18446744073709551616"}, {NULL}, "is too large"},

    /* Paths and endpoints. */
    {{"--state-dir", ""}, {NULL}, "--state-dir: empty path"},
    {{"--ingest", ""}, {NULL}, "--ingest: '' is not an endpoint"},
    {{"--ingest", "localhost:7710"},
     {NULL},
     "--ingest: 'localhost:7710' is not an endpoint"},
    {{"--pub", "://127.0.0.1:7711"}, {NULL}, "is not an endpoint"},
    {{"--query", "tcp://"}, {NULL}, "--query: 'tcp://' is not an endpoint"},
    {{"--query", "tcp://a b:1"}, {NULL}, "--query: endpoint contains a"},
    {{"--pub", "tcp://127.0.0.1:7710"},
     {NULL},
     "--ingest and --pub are the same endpoint"},
    {{"--query", "tcp://127.0.0.1:7710"},
     {NULL},
     "--ingest and --query are the same endpoint"},
    {{"--pub", "ipc:///x", "--query", "ipc:///x"},
     {NULL},
     "--pub and --query are the same endpoint"},
    /* CURVE: both files or neither; off this host only with CURVE or
     * --insecure */
    {{"--keys", "/etc/nyckel/keys"},
     {NULL},
     "--curve-secret and --keys go together"},
    {{"--curve-secret", "/etc/nyckel/server.key"},
     {NULL},
     "--curve-secret and --keys go together"},
    {{"--ingest", "tcp://0.0.0.0:8710"},
     {NULL},
     "--ingest tcp://0.0.0.0:8710 is reachable from other hosts"},
    {{"--pub", "tcp://10.0.0.5:7711"},
     {NULL},
     "--pub tcp://10.0.0.5:7711 is reachable from other hosts"},
    {{"--query", "tcp://*:7712"},
     {NULL},
     "--query tcp://*:7712 is reachable from other hosts"},
    {{"--metrics-listen", "9771"}, {NULL}, "--metrics-listen: '9771' is not"},
    {{"--metrics-listen", "127.0.0.1:0"},
     {NULL},
     "--metrics-listen: '127.0.0.1:0' is not"},
    {{"--metrics-listen", "127.0.0.1:x"},
     {NULL},
     "--metrics-listen: '127.0.0.1:x' is not"},
};

/* Runs one refusal and checks the two-line message and untouched cfg. */
static void expect_refusal(const char *const *args, const char *const *env,
                           const char *message)
{
    static char out[OUT_MAX], err[OUT_MAX];
    static const char hint[] = "\nTry 'nyckeld --help'.\n";
    struct config cfg, before;
    size_t len;

    memset(&cfg, 0xa5, sizeof(cfg));
    before = cfg;
    print_message("expect: %s\n", message);
    assert_int_equal(run_parse(args, env, &cfg, out, err), -1);
    assert_string_equal(out, "");
    assert_memory_equal(&cfg, &before, sizeof(cfg));
    len = strlen(err);
    assert_true(strncmp(err, "nyckeld: ", 9) == 0);
    assert_true(len > sizeof(hint) - 1);
    assert_string_equal(err + len - (sizeof(hint) - 1), hint);
    /* Exactly two lines: the message, then the hint. */
    assert_ptr_equal(strchr(err, '\n'), err + len - (sizeof(hint) - 1));
    if (strstr(err, message) == NULL)
        print_error("stderr: %s\n", err);
    assert_non_null(strstr(err, message));
}

static void test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        expect_refusal(bad_cases[i].args, bad_cases[i].env,
                       bad_cases[i].message);
}

/* ------------------------------------------------------------------ */
/* Ceilings: a value one byte too long is refused, never truncated.    */

struct length_case {
    const char *option; /* "--state-dir", or NULL: use env */
    const char *env;    /* variable to set when option is NULL */
    const char *prefix;
    size_t fill; /* 'a' bytes after the prefix */
    const char *suffix;
    const char *want; /* NULL: accepted; else error fragment */
};

static const struct length_case length_cases[] = {
    /* CONFIG_PATH_MAX 512: 511 bytes fit with the NUL, 512 do not. */
    {"--state-dir", NULL, "/", 510, "", NULL},
    {"--state-dir", NULL, "/", 511, "", "path longer than 511 bytes"},
    {NULL, "NYCKEL_STATE_DIR", "/", 510, "", NULL},
    {NULL, "NYCKEL_STATE_DIR", "/", 511, "",
     "NYCKEL_STATE_DIR: path longer than 511 bytes"},
    /* "/" + 503 + "/nyckel" (7) = 511 fits; one more does not. */
    {NULL, "XDG_STATE_HOME", "/", 503, "", NULL},
    {NULL, "XDG_STATE_HOME", "/", 504, "", "XDG_STATE_HOME: state"},
    /* "/" + 490 + "/.local/state/nyckel" (20) = 511 fits. */
    {NULL, "HOME", "/", 490, "", NULL},
    {NULL, "HOME", "/", 491, "", "HOME: state directory path longer"},
    /* CONFIG_ENDPOINT_MAX 256: "ipc:///" (7) + 248 = 255 (tcp to a
     * made-up host would be off this host). */
    {"--ingest", NULL, "ipc:///", 248, "", NULL},
    {"--ingest", NULL, "tcp://", 245, ":7710",
     "--ingest: endpoint longer than 255 bytes"},
    {"--pub", NULL, "tcp://", 245, ":7711", "--pub: endpoint longer"},
    {"--query", NULL, "tcp://", 245, ":7712", "--query: endpoint longer"},
    {"--query", NULL, "tcp://", 900, ":7712", "--query: endpoint longer"},
};

static void test_lengths(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX];
    char value[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(length_cases) / sizeof(length_cases[0]);
         i++) {
        const struct length_case *c = &length_cases[i];
        size_t p = strlen(c->prefix);
        const char *args[3] = {NULL, NULL, NULL};
        const char *env[3] = {NULL, NULL, NULL};
        struct config cfg;

        assert_true(p + c->fill + strlen(c->suffix) < sizeof(value));
        memcpy(value, c->prefix, p);
        memset(value + p, 'a', c->fill);
        strcpy(value + p + c->fill, c->suffix);
        if (c->option != NULL) {
            args[0] = c->option;
            args[1] = value;
        } else {
            env[0] = c->env;
            env[1] = value;
        }
        print_message("row %zu: %s, %zu bytes\n", i,
                      c->option ? c->option : c->env, strlen(value));
        if (c->want != NULL) {
            expect_refusal(args, env, c->want);
            continue;
        }
        assert_int_equal(run_parse(args, env, &cfg, out, err), 0);
        assert_string_equal(err, "");
        if (c->option == NULL || strcmp(c->option, "--state-dir") == 0) {
            assert_int_equal(strlen(cfg.state_dir), 511);
            assert_memory_equal(cfg.state_dir, value, strlen(value));
        } else {
            assert_string_equal(cfg.ingest, value);
        }
    }
}

/* ------------------------------------------------------------------ */
/* --help tells the truth: every option, default, variable, signal and
 * exit code is in it, and it fits an 80-column terminal.              */

static void test_help_text(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX];
    static const char *const must[] = {
        "Usage: nyckeld [OPTION]...",
        "--state-dir DIR",
        "--ingest EP",
        "--pub EP",
        "--query EP",
        "--as-of YYYY-MM-DD",
        "--log-level LEVEL",
        "--max-db-size SIZE",
        "--curve-secret FILE",
        "--keys FILE",
        "--insecure",
        "--metrics-listen HOST:PORT",
        "-h, --help",
        "-V, --version",
        "error, warn, info or debug (default info)",
        "(default tcp://127.0.0.1:7710)",
        "(default tcp://127.0.0.1:7711)",
        "(default tcp://127.0.0.1:7712)",
        "(default 64G)",
        "at least 1M",
        "1970-01-01 to 2199-12-31",
        "Europe/Stockholm",
        "--state-dir, $NYCKEL_STATE_DIR, $XDG_STATE_HOME/nyckel,",
        "$HOME/.local/state/nyckel, ./nyckel-state",
        "NYCKEL_STATE_DIR  as --state-dir",
        "NYCKEL_AS_OF      as --as-of",
        "NYCKEL_LOG_LEVEL  as --log-level",
        "Command-line options override the environment",
        "511 bytes",
        "EP up to 255",
        "SIGTERM, SIGINT  finish the batch in hand, close the store, exit 0",
        "  0  success",
        "  1  runtime failure",
        "  2  bad usage",
    };
    const char *args[] = {"--help", NULL};
    struct config cfg;

    (void)state;
    assert_int_equal(run_parse(args, NULL, &cfg, out, err), 0);
    assert_int_equal(cfg.mode, CONFIG_MODE_HELP);
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
        if (strstr(out, must[i]) == NULL)
            print_error("help lacks: %s\n", must[i]);
        assert_non_null(strstr(out, must[i]));
    }
    /* The maintenance modes and the test-day signal are documented. */
    assert_non_null(strstr(out, "--rebuild"));
    assert_non_null(strstr(out, "--verify"));
    assert_non_null(strstr(out, "SIGUSR1"));
    for (const char *line = out; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(nl - line <= 79);
        line = nl + 1;
    }
}

/* After a refusal, getopt state must not leak into the next parse. */
static void test_parse_again_after_error(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX];
    const char *bad[] = {"--log-level", "debug", "--bogus", "x", NULL};
    const char *good[] = {"--log-level", "warn", NULL};
    struct config cfg;

    (void)state;
    assert_int_equal(run_parse(bad, NULL, &cfg, out, err), -1);
    assert_int_equal(run_parse(good, NULL, &cfg, out, err), 0);
    assert_int_equal(cfg.log_level, LOG_WARN);
    assert_int_equal(run_parse(good, NULL, &cfg, out, err), 0);
    assert_int_equal(cfg.log_level, LOG_WARN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_parse_ok, test_restore),
        cmocka_unit_test_teardown(test_as_of_day_numbers, test_restore),
        cmocka_unit_test_teardown(test_parse_bad, test_restore),
        cmocka_unit_test_teardown(test_lengths, test_restore),
        cmocka_unit_test_teardown(test_help_text, test_restore),
        cmocka_unit_test_teardown(test_parse_again_after_error, test_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
