/*
 * test_config.c — config_parse: defaults, each option, the configuration
 * file, environment against file against argv, --help and --version,
 * and every kind of refusal; config_check (--check-config).
 *
 * Table-driven: one row per command line, environment and configuration
 * file, with the expected settings or the expected piece of the error
 * message. Every row runs in the same process, which also proves
 * config_parse can be called again and again (getopt is reinitialised).
 * The environment is cleared before each row; stdout and stderr are
 * captured in an anonymous tmpfile(). A row's configuration file is
 * written with mkstemp into a mkdtemp directory and both are removed
 * after the row (or by the teardown, after a failure), so the test
 * leaves no files behind. In a row, "@FILE" stands for that file's path
 * and "@DIR" for its directory; the file is given as --config @FILE
 * unless the row names @FILE itself (NYCKEL_CONFIG, say).
 */
#include "config.h"
#include "log.h"
#include "period.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
#define OUT_MAX 16384
#define PATH_MAX_TEST 1024
#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)
#define MAP_NEVER UINT64_MAX /* ok_case.map_resident: --map-resident 0 */

/* Every variable config.c reads. */
static const char *const env_names[] = {
    "NYCKEL_STATE_DIR",
    "NYCKEL_AS_OF",
    "NYCKEL_LOG_LEVEL",
    "NYCKEL_SUPPRESS_BELOW",
    "NYCKEL_PUBLISH_INTERVAL",
    "XDG_STATE_HOME",
    "HOME",
    "NYCKEL_CONFIG",
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

/* The row's temporary directory and configuration file, or "". */
static char tmp_dir[256], tmp_file[512];

/* Makes the directory and writes text into a file in it. */
static void tmp_make(const char *text)
{
    const char *base = getenv("TMPDIR");
    int fd;

    snprintf(tmp_dir, sizeof(tmp_dir), "%s/nyckel-cfg.XXXXXX",
             base && base[0] == '/' ? base : "/tmp");
    assert_non_null(mkdtemp(tmp_dir));
    snprintf(tmp_file, sizeof(tmp_file), "%s/nyckeld.XXXXXX", tmp_dir);
    fd = mkstemp(tmp_file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Removes what tmp_make made (NULL-safe: nothing when nothing is). */
static void tmp_remove(void)
{
    if (tmp_file[0])
        unlink(tmp_file);
    if (tmp_dir[0])
        rmdir(tmp_dir);
    tmp_file[0] = tmp_dir[0] = '\0';
}

/* s with "@FILE" and "@DIR" replaced, into out (cap bytes). */
static const char *expand(const char *s, char *out, size_t cap)
{
    size_t n = 0;

    while (*s) {
        const char *rep = NULL;
        size_t skip = 1;
        if (strncmp(s, "@FILE", 5) == 0)
            rep = tmp_file, skip = 5;
        else if (strncmp(s, "@DIR", 4) == 0)
            rep = tmp_dir, skip = 4;
        size_t len = rep ? strlen(rep) : 1;
        assert_true(n + len < cap);
        memcpy(out + n, rep ? rep : s, len);
        n += len;
        s += skip;
    }
    out[n] = '\0';
    return out;
}

/* Teardown of every test: undo a capture left open by a failure, and
 * remove a temporary file left behind. */
static int test_restore(void **state)
{
    (void)state;
    tmp_remove();
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

/* True when a row names its file itself. */
static bool names_file(const char *const *list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        if (strstr(list[i], "@FILE") != NULL || strstr(list[i], "@DIR"))
            return true;
    return false;
}

/* Runs config_parse on "nyckeld" + args with env (name/value pairs,
 * NULL-ended) and, when file is not NULL, a configuration file of that
 * text (tmp_make; removed by the caller, tmp_remove), capturing stdout
 * and stderr. */
static int run_parse_file(const char *const *args, const char *const *env,
                          const char *file, struct config *cfg, char *out,
                          char *err)
{
    static char store[ARGS_MAX + 2][PATH_MAX_TEST];
    char *argv[ARGS_MAX + 3];
    char value[PATH_MAX_TEST];
    int argc = 0;
    struct capture co, ce;
    int rc;

    env_clear();
    if (file != NULL)
        tmp_make(file);
    for (size_t i = 0; env != NULL && env[i] != NULL; i += 2)
        assert_int_equal(
            setenv(env[i], expand(env[i + 1], value, sizeof(value)), 1), 0);
    snprintf(store[argc], sizeof(store[argc]), "nyckeld");
    argv[argc] = store[argc];
    argc++;
    if (file != NULL && !names_file(args) && !names_file(env)) {
        snprintf(store[argc], sizeof(store[argc]), "--config");
        argv[argc] = store[argc];
        argc++;
        snprintf(store[argc], sizeof(store[argc]), "%s", tmp_file);
        argv[argc] = store[argc];
        argc++;
    }
    for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
        assert_true(argc < ARGS_MAX + 2);
        expand(args[i], store[argc], sizeof(store[argc]));
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

static int run_parse(const char *const *args, const char *const *env,
                     struct config *cfg, char *out, char *err)
{
    return run_parse_file(args, env, NULL, cfg, out, err);
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
    const char *file;           /* configuration file's text, or NULL */
    enum config_mode mode;
    const char *state_dir;            /* NULL: "./nyckel-state" */
    const char *ingest, *pub, *query; /* NULL: the default */
    const char *as_of;                /* NULL: -1, follow the clock */
    const char *log_level;            /* NULL: "info" */
    uint64_t max_db_bytes;            /* 0: 64 GiB */
    uint64_t map_resident;            /* 0: 48 MiB; MAP_NEVER: 0 */
    bool insecure;                    /* --insecure given */
    /* NULL: "/etc/nyckel/server.key" and "/etc/nyckel/keys" when the
     * name says CURVE, else "" */
    const char *curve_secret, *keys;
    const char *metrics_listen; /* NULL: "" */
};

/* A file that sets every setting; line 3 is the section. */
#define FILE_EVERY_KEY                                                         \
    "# nyckeld.conf of a test\n"                                               \
    "; both kinds of comment\n"                                                \
    "[nyckeld]\n"                                                              \
    "state-dir = /srv/nyckel\n"                                                \
    "ingest = tcp://0.0.0.0:8710\n"                                            \
    "pub = ipc:///run/nyckel/pub\n"                                            \
    "query = tcp://[::1]:8712\n"                                               \
    "as-of = 2014-09-01\n"                                                     \
    "log-level = debug\n"                                                      \
    "max-db-size = 2G\n"                                                       \
    "map-resident = 96M\n"                                                     \
    "curve-secret = /etc/nyckel/server.key\n"                                  \
    "keys = /etc/nyckel/keys\n"                                                \
    "insecure = yes\n"                                                         \
    "metrics-listen = 127.0.0.1:9771\n"

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
    {.name = "--map-resident 0: never trim",
     .args = {"--map-resident", "0"},
     .map_resident = MAP_NEVER},
    {.name = "--map-resident 64M",
     .args = {"--map-resident", "64M"},
     .map_resident = 64 * MIB},
    {.name = "--map-resident 1M, the minimum of a budget",
     .args = {"--map-resident", "1M"},
     .map_resident = MIB},
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
    {.name = "--check-config",
     .args = {"--check-config"},
     .mode = CONFIG_MODE_CHECK},
    {.name = "--check-config with a file",
     .args = {"--check-config"},
     .file = "[nyckeld]\nlog-level = warn\n",
     .mode = CONFIG_MODE_CHECK,
     .log_level = "warn"},
    {.name = "--metrics-listen",
     .args = {"--metrics-listen", "127.0.0.1:9771"},
     .metrics_listen = "127.0.0.1:9771"},

    /* The configuration file: every key. */
    {.name = "every key from the file, CURVE",
     .file = FILE_EVERY_KEY,
     .state_dir = "/srv/nyckel",
     .ingest = "tcp://0.0.0.0:8710",
     .pub = "ipc:///run/nyckel/pub",
     .query = "tcp://[::1]:8712",
     .as_of = "2014-09-01",
     .log_level = "debug",
     .max_db_bytes = 2 * GIB,
     .map_resident = 96 * MIB,
     .insecure = true,
     .metrics_listen = "127.0.0.1:9771"},
    {.name = "every key from the file, via NYCKEL_CONFIG, CURVE",
     .env = {"NYCKEL_CONFIG", "@FILE", NULL},
     .file = FILE_EVERY_KEY,
     .state_dir = "/srv/nyckel",
     .ingest = "tcp://0.0.0.0:8710",
     .pub = "ipc:///run/nyckel/pub",
     .query = "tcp://[::1]:8712",
     .as_of = "2014-09-01",
     .log_level = "debug",
     .max_db_bytes = 2 * GIB,
     .map_resident = 96 * MIB,
     .insecure = true,
     .metrics_listen = "127.0.0.1:9771"},
    {.name = "--config=FILE form, --config before NYCKEL_CONFIG",
     .args = {"--config=@FILE"},
     .env = {"NYCKEL_CONFIG", "/nonexistent/nyckeld.conf", NULL},
     .file = "[nyckeld]\nlog-level = error\n",
     .log_level = "error"},
    {.name = "--config given twice: the last counts",
     .args = {"--config", "/nonexistent/nyckeld.conf", "--config", "@FILE"},
     .file = "[nyckeld]\nlog-level = error\n",
     .log_level = "error"},
    {.name = "an empty file", .file = ""},
    {.name = "comments and blank lines only",
     .file = "# a\n; b\n\n   \n\t# c\n"},
    {.name = "a section of nothing", .file = "[nyckeld]\n"},
    {.name = "layout: BOM, CRLF, indentation, no spaces, section twice",
     .file = "\xEF\xBB\xBF[nyckeld]\r\n"
             "  log-level=warn\r\n"
             "\tas-of   =   2014-08-31   \r\n"
             "[nyckeld] # again\r\n"
             "max-db-size = 1m\r\n",
     .log_level = "warn",
     .as_of = "2014-08-31",
     .max_db_bytes = MIB},
    {.name = "a line without a newline at the end",
     .file = "[nyckeld]\nlog-level = debug",
     .log_level = "debug"},
    {.name = "'#' and ';' inside a value are part of it",
     .file = "[nyckeld]\ningest = ipc:///run/a#1\npub = ipc:///run/b;2\n",
     .ingest = "ipc:///run/a#1",
     .pub = "ipc:///run/b;2"},
    {.name = "empty values are the defaults",
     .file = "[nyckeld]\nstate-dir =\ningest =\npub=\nquery =\nas-of =\n"
             "log-level =\nmax-db-size =\ncurve-secret =\nkeys =\n"
             "insecure =\nmetrics-listen =\n",
     .env = {"HOME", "/home/kim", NULL},
     .state_dir = "/home/kim/.local/state/nyckel"},
    {.name = "insecure = true",
     .file = "[nyckeld]\ninsecure = true\n",
     .insecure = true},
    {.name = "insecure = 1",
     .file = "[nyckeld]\ninsecure = 1\n",
     .insecure = true},
    {.name = "insecure = false", .file = "[nyckeld]\ninsecure = false\n"},
    {.name = "insecure = no", .file = "[nyckeld]\ninsecure = no\n"},
    {.name = "insecure = 0", .file = "[nyckeld]\ninsecure = 0\n"},
    {.name = "off this host with insecure = true in the file",
     .file = "[nyckeld]\ningest = tcp://0.0.0.0:8710\ninsecure = true\n",
     .ingest = "tcp://0.0.0.0:8710",
     .insecure = true},
    {.name = "off this host: file's endpoint, --insecure",
     .args = {"--insecure"},
     .file = "[nyckeld]\ningest = tcp://0.0.0.0:8710\ninsecure = false\n",
     .ingest = "tcp://0.0.0.0:8710",
     .insecure = true},
    {.name = "file's curve-secret, argv's keys: CURVE on the merged result",
     .args = {"--keys", "/etc/nyckel/keys"},
     .file = "[nyckeld]\ncurve-secret = /etc/nyckel/server.key\n"
             "ingest = tcp://0.0.0.0:8710\n",
     .ingest = "tcp://0.0.0.0:8710",
     .curve_secret = "/etc/nyckel/server.key",
     .keys = "/etc/nyckel/keys"},
    {.name = "a maintenance mode with a file",
     .args = {"--verify"},
     .file = "[nyckeld]\nstate-dir = /srv/nyckel\n",
     .mode = CONFIG_MODE_VERIFY,
     .state_dir = "/srv/nyckel"},

    /* Precedence: defaults < file < environment < argv. */
    {.name = "log-level: file",
     .file = "[nyckeld]\nlog-level = warn\n",
     .log_level = "warn"},
    {.name = "log-level: environment over file",
     .env = {"NYCKEL_LOG_LEVEL", "debug", NULL},
     .file = "[nyckeld]\nlog-level = warn\n",
     .log_level = "debug"},
    {.name = "log-level: argv over environment over file",
     .args = {"--log-level", "error"},
     .env = {"NYCKEL_LOG_LEVEL", "debug", NULL},
     .file = "[nyckeld]\nlog-level = warn\n",
     .log_level = "error"},
    {.name = "as-of: file",
     .file = "[nyckeld]\nas-of = 2014-01-01\n",
     .as_of = "2014-01-01"},
    {.name = "as-of: environment over file",
     .env = {"NYCKEL_AS_OF", "2014-08-31", NULL},
     .file = "[nyckeld]\nas-of = 2014-01-01\n",
     .as_of = "2014-08-31"},
    {.name = "as-of: argv over environment over file",
     .args = {"--as-of", "2014-09-01"},
     .env = {"NYCKEL_AS_OF", "2014-08-31", NULL},
     .file = "[nyckeld]\nas-of = 2014-01-01\n",
     .as_of = "2014-09-01"},
    {.name = "as-of: argv over a bad environment unread, and a file",
     .args = {"--as-of", "2014-09-01"},
     .env = {"NYCKEL_AS_OF", "yesterday", NULL},
     .file = "[nyckeld]\nas-of = 2014-01-01\n",
     .as_of = "2014-09-01"},
    {.name = "state-dir: file over XDG_STATE_HOME and HOME",
     .env = {"XDG_STATE_HOME", "/xdg", "HOME", "/home/kim", NULL},
     .file = "[nyckeld]\nstate-dir = /srv/file\n",
     .state_dir = "/srv/file"},
    {.name = "state-dir: NYCKEL_STATE_DIR over file",
     .env = {"NYCKEL_STATE_DIR", "/srv/env", NULL},
     .file = "[nyckeld]\nstate-dir = /srv/file\n",
     .state_dir = "/srv/env"},
    {.name = "state-dir: argv over environment over file",
     .args = {"--state-dir", "/srv/argv"},
     .env = {"NYCKEL_STATE_DIR", "/srv/env", NULL},
     .file = "[nyckeld]\nstate-dir = /srv/file\n",
     .state_dir = "/srv/argv"},
    {.name = "argv over file: endpoints, size, metrics, CURVE files",
     .args = {"--ingest", "tcp://127.0.0.1:9710", "--max-db-size", "1M",
              "--metrics-listen", "[::1]:9772", "--curve-secret", "/a.key",
              "--keys", "/b"},
     .file = "[nyckeld]\ningest = tcp://127.0.0.1:8710\n"
             "pub = tcp://127.0.0.1:8711\nmax-db-size = 1T\n"
             "metrics-listen = 127.0.0.1:9771\n"
             "curve-secret = /etc/nyckel/server.key\n"
             "keys = /etc/nyckel/keys\n",
     .ingest = "tcp://127.0.0.1:9710",
     .pub = "tcp://127.0.0.1:8711",
     .max_db_bytes = MIB,
     .metrics_listen = "[::1]:9772",
     .curve_secret = "/a.key",
     .keys = "/b"},

    /* Relative paths in the file: relative to its directory; on the
     * command line and in the environment, to the working directory. */
    {.name = "relative paths in the file, from its directory",
     .file = "[nyckeld]\nstate-dir = state\n"
             "curve-secret = keys/server.key\nkeys = ../keys\n",
     .state_dir = "@DIR/state",
     .curve_secret = "@DIR/keys/server.key",
     .keys = "@DIR/../keys"},
    {.name = "absolute paths in the file as written",
     .file = "[nyckeld]\nstate-dir = /srv/nyckel\n",
     .state_dir = "/srv/nyckel"},
    {.name = "relative paths on the command line as given, with a file",
     .args = {"--state-dir", "state", "--curve-secret", "s.key", "--keys", "k"},
     .env = {"NYCKEL_LOG_LEVEL", "info", NULL},
     .file = "[nyckeld]\nstate-dir = other\ncurve-secret = x.key\n"
             "keys = y\n",
     .state_dir = "state",
     .curve_secret = "s.key",
     .keys = "k"},
    {.name = "relative NYCKEL_STATE_DIR as given, with a file",
     .env = {"NYCKEL_STATE_DIR", "state", NULL},
     .file = "[nyckeld]\nstate-dir = other\n",
     .state_dir = "state"},
};

static void test_parse_ok(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct config cfg;
        char want[PATH_MAX_TEST];
        print_message("row %zu: %s\n", i, c->name);
        int rc = run_parse_file(c->args, c->env, c->file, &cfg, out, err);

        if (rc != 0)
            print_error("stderr: %s\n", err);
        assert_int_equal(rc, 0);
        assert_string_equal(err, "");
        assert_int_equal(cfg.mode, c->mode);
        if (c->mode == CONFIG_MODE_HELP) {
            assert_non_null(strstr(out, "Usage: nyckeld"));
            tmp_remove();
            continue;
        }
        if (c->mode == CONFIG_MODE_VERSION) {
            assert_string_equal(out, "nyckeld " NYCKEL_VERSION "\n");
            tmp_remove();
            continue;
        }
        assert_string_equal(out, "");
        assert_string_equal(cfg.config_file, c->file ? tmp_file : "");
        assert_string_equal(cfg.state_dir,
                            c->state_dir
                                ? expand(c->state_dir, want, sizeof(want))
                                : "./nyckel-state");
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
        assert_int_equal(cfg.map_resident_bytes,
                         c->map_resident == MAP_NEVER ? 0
                         : c->map_resident            ? c->map_resident
                                                      : 48 * MIB);
        assert_int_equal(cfg.heartbeat_ms, 1000);
        assert_int_equal(cfg.insecure, c->insecure);
        bool curve = strstr(c->name, "CURVE") != NULL;
        assert_string_equal(cfg.curve_secret,
                            c->curve_secret
                                ? expand(c->curve_secret, want, sizeof(want))
                            : curve ? "/etc/nyckel/server.key"
                                    : "");
        assert_string_equal(cfg.keys, c->keys
                                          ? expand(c->keys, want, sizeof(want))
                                      : curve ? "/etc/nyckel/keys"
                                              : "");
        assert_string_equal(cfg.metrics_listen,
                            c->metrics_listen ? c->metrics_listen : "");
        tmp_remove();
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
    {{"--map-resident", "1023K"}, {NULL}, "'1023K' is below the minimum"},
    {{"--map-resident", "-1"}, {NULL}, "'-1' is not a size"},
    {{"--map-resident", "00"}, {NULL}, "'00' is below the minimum"},
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
    {{"--insecure=yes"}, {NULL}, "option '--insecure' takes no argument"},
    {{"--check-config=1"}, {NULL}, "option '--check-config' takes no argument"},

    /* The configuration file: cannot be read. */
    {{"--config", ""}, {NULL}, "--config: empty path"},
    {{"--config"}, {NULL}, "option '--config' needs an argument"},
    {{"--config", "/nonexistent/nyckeld.conf"},
     {NULL},
     "--config /nonexistent/nyckeld.conf: No such file or directory"},
    {{NULL},
     {"NYCKEL_CONFIG", "/nonexistent/nyckeld.conf", NULL},
     "NYCKEL_CONFIG /nonexistent/nyckeld.conf: No such file or directory"},
};

/* The same with a configuration file (@FILE, in @DIR). */
struct file_bad_case {
    const char *args[ARGS_MAX];
    const char *env[2 * 5 + 1];
    const char *message; /* must appear in "nyckeld: <message>" */
    const char *file;    /* the file's text */
};

static const struct file_bad_case file_bad_cases[] = {
    {{"--config", "@DIR"}, {NULL}, "--config @DIR: Is a directory", ""},

    /* Its lines: each refusal names the file and the line. */
    {{NULL},
     {NULL},
     "@FILE:2: unknown setting 'stat-dir'",
     "[nyckeld]\nstat-dir = /srv\n"},
    {{NULL},
     {NULL},
     "@FILE:3: unknown setting 'Log-Level'",
     "[nyckeld]\n\nLog-Level = info\n"},
    {{NULL},
     {NULL},
     "@FILE:2: unknown setting 'heartbeat'",
     "[nyckeld]\nheartbeat = 5\n"},
    {{NULL}, {NULL}, "@FILE:2: unknown setting ''", "[nyckeld]\n= 5\n"},
    {{NULL},
     {NULL},
     "@FILE:1: unknown section '[nyckled]'",
     "[nyckled]\nlog-level = info\n"},
    {{NULL},
     {NULL},
     "@FILE:4: unknown section '[other]'",
     "# c\n[nyckeld]\nlog-level = info\n[other]\n"},
    {{NULL},
     {NULL},
     "@FILE:2: unknown section '[ nyckeld ]'",
     "\n[ nyckeld ]\n"},
    {{NULL},
     {NULL},
     "@FILE:2: 'log-level' comes before the [nyckeld]",
     "# c\nlog-level = info\n[nyckeld]\n"},
    {{NULL},
     {NULL},
     "@FILE:5: 'log-level' is already set on line 2",
     "[nyckeld]\nlog-level = info\n\n# again\nlog-level = debug\n"},
    {{NULL},
     {NULL},
     "@FILE:3: 'as-of' is already set on line 2",
     "[nyckeld]\nas-of =\nas-of = 2014-01-01\n"},
    {{NULL},
     {NULL},
     "@FILE:4: 'keys' is already set on line 2",
     "[nyckeld]\nkeys = /a\n[nyckeld]\nkeys = /b\n"},
    {{NULL},
     {NULL},
     "@FILE:2: 'rebuild' is for the command line only",
     "[nyckeld]\nrebuild = true\n"},
    {{NULL},
     {NULL},
     "@FILE:2: 'config' is for the command line only",
     "[nyckeld]\nconfig = /etc/x\n"},
    {{NULL},
     {NULL},
     "@FILE:2: 'check-config' is for the command line",
     "[nyckeld]\ncheck-config = 1\n"},
    {{NULL},
     {NULL},
     "@FILE:2: not 'key = value', a [section] or a comment",
     "[nyckeld]\ninsecure\n"},
    {{NULL},
     {NULL},
     "@FILE:1: not 'key = value', a [section] or a comment",
     "[nyckeld\nlog-level = info\n"},
    {{NULL},
     {NULL},
     "@FILE:3: not 'key = value'",
     "[nyckeld]\nlog-level = info\n  continued\n"},

    /* Bad values: the messages of the options, after FILE:LINE: key. */
    {{NULL},
     {NULL},
     "@FILE:2: as-of: '2014-02-30' is not a date",
     "[nyckeld]\nas-of = 2014-02-30\n"},
    {{NULL},
     {NULL},
     "@FILE:2: log-level: unknown level 'loud'",
     "[nyckeld]\nlog-level = loud\n"},
    {{NULL},
     {NULL},
     "@FILE:2: log-level: unknown level 'info # debug'",
     "[nyckeld]\nlog-level = info # debug\n"},
    {{NULL},
     {NULL},
     "@FILE:2: log-level: unknown level 'info ; debug'",
     "[nyckeld]\nlog-level = info ; debug\n"},
    {{NULL},
     {NULL},
     "@FILE:2: max-db-size: '1.5G' is not a size",
     "[nyckeld]\nmax-db-size = 1.5G\n"},
    {{NULL},
     {NULL},
     "@FILE:2: max-db-size: '1023K' is below the minimum",
     "[nyckeld]\nmax-db-size = 1023K\n"},
    {{NULL},
     {NULL},
     "@FILE:2: max-db-size: '16777216T' is too large",
     "[nyckeld]\nmax-db-size = 16777216T\n"},
    {{NULL},
     {NULL},
     "@FILE:2: ingest: 'localhost:7710' is not an endpoint",
     "[nyckeld]\ningest = localhost:7710\n"},
    {{NULL},
     {NULL},
     "@FILE:3: pub: endpoint contains a space",
     "[nyckeld]\n\npub = tcp://a b:1\n"},
    {{NULL},
     {NULL},
     "@FILE:2: query: 'tcp://' is not an endpoint",
     "[nyckeld]\nquery = tcp://\n"},
    {{NULL},
     {NULL},
     "@FILE:2: metrics-listen: '9771' is not host:port",
     "[nyckeld]\nmetrics-listen = 9771\n"},
    {{NULL},
     {NULL},
     "@FILE:2: insecure: 'maybe' is not true or false",
     "[nyckeld]\ninsecure = maybe\n"},
    {{NULL},
     {NULL},
     "@FILE:2: insecure: 'True' is not true or false",
     "[nyckeld]\ninsecure = True\n"},
    {{NULL},
     {NULL},
     "@FILE:2: state-dir: write the value without quotes",
     "[nyckeld]\nstate-dir = \"/srv/nyckel\"\n"},
    {{NULL},
     {NULL},
     "@FILE:2: keys: write the value without quotes",
     "[nyckeld]\nkeys = '/etc/nyckel/keys'\n"},
    /* Every line is checked, also one that argv overrides. */
    {{"--log-level", "info"},
     {NULL},
     "@FILE:2: log-level: unknown level",
     "[nyckeld]\nlog-level = loud\n"},
    {{NULL},
     {"NYCKEL_AS_OF", "2014-01-01", NULL},
     "@FILE:2: as-of: 'x' is not a date",
     "[nyckeld]\nas-of = x\n"},
    /* The first error stops: line 2's, not line 3's. */
    {{NULL},
     {NULL},
     "@FILE:2: unknown setting 'a'",
     "[nyckeld]\na = 1\nb = 2\n"},
    /* An environment value over the file is checked as before. */
    {{NULL},
     {"NYCKEL_LOG_LEVEL", "verbose", NULL},
     "NYCKEL_LOG_LEVEL: unknown level 'verbose'",
     "[nyckeld]\nlog-level = info\n"},
    /* A bad option is found before the file is read. */
    {{"--bogus"}, {NULL}, "unknown option '--bogus'", "[nyckeld]\nx = 1\n"},

    /* The checks of the merged result. */
    {{NULL},
     {NULL},
     "--ingest and --pub are the same endpoint",
     "[nyckeld]\ningest = tcp://127.0.0.1:8000\n"
     "pub = tcp://127.0.0.1:8000\n"},
    {{"--query", "tcp://127.0.0.1:8000"},
     {NULL},
     "--pub and --query are the same endpoint",
     "[nyckeld]\npub = tcp://127.0.0.1:8000\n"},
    {{NULL},
     {NULL},
     "--curve-secret and --keys go together",
     "[nyckeld]\ncurve-secret = /etc/nyckel/server.key\n"},
    {{NULL},
     {NULL},
     "--curve-secret and --keys go together",
     "[nyckeld]\ncurve-secret = /etc/nyckel/server.key\nkeys =\n"},
    {{NULL},
     {NULL},
     "--ingest tcp://0.0.0.0:8710 is reachable from other",
     "[nyckeld]\ningest = tcp://0.0.0.0:8710\n"},
    {{NULL},
     {NULL},
     "--ingest tcp://0.0.0.0:8710 is reachable from other",
     "[nyckeld]\ningest = tcp://0.0.0.0:8710\ninsecure = no\n"},
    {{"--check-config"},
     {NULL},
     "--pub tcp://10.0.0.5:7711 is reachable from other hosts",
     "[nyckeld]\npub = tcp://10.0.0.5:7711\n"},
};

/* Runs one refusal and checks the two-line message and untouched cfg;
 * with file, a configuration file of that text. */
static void expect_refusal_file(const char *const *args, const char *const *env,
                                const char *file, const char *want)
{
    static char out[OUT_MAX], err[OUT_MAX];
    static const char hint[] = "\nTry 'nyckeld --help'.\n";
    char message[PATH_MAX_TEST];
    struct config cfg, before;
    size_t len;

    memset(&cfg, 0xa5, sizeof(cfg));
    before = cfg;
    print_message("expect: %s\n", want);
    assert_int_equal(run_parse_file(args, env, file, &cfg, out, err), -1);
    expand(want, message, sizeof(message));
    tmp_remove();
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

static void expect_refusal(const char *const *args, const char *const *env,
                           const char *message)
{
    expect_refusal_file(args, env, NULL, message);
}

static void test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        expect_refusal(bad_cases[i].args, bad_cases[i].env,
                       bad_cases[i].message);
}

static void test_file_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(file_bad_cases) / sizeof(file_bad_cases[0]);
         i++)
        expect_refusal_file(file_bad_cases[i].args, file_bad_cases[i].env,
                            file_bad_cases[i].file, file_bad_cases[i].message);
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
        "--suppress-below N",
        "--publish-interval SEC",
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
        "--state-dir, $NYCKEL_STATE_DIR, state-dir in the configuration "
        "file,\n  $XDG_STATE_HOME/nyckel, $HOME/.local/state/nyckel, "
        "./nyckel-state\n",
        "NYCKEL_CONFIG     as --config",
        "NYCKEL_STATE_DIR  as --state-dir",
        "NYCKEL_AS_OF      as --as-of",
        "NYCKEL_LOG_LEVEL  as --log-level",
        "Command-line options override the environment, and the environment",
        "overrides the configuration file",
        /* the configuration file */
        "--config FILE",
        "--check-config",
        "Configuration file (--config FILE, else $NYCKEL_CONFIG",
        "[nyckeld]",
        "state-dir, ingest, pub,\n  query, as-of, log-level, max-db-size, "
        "map-resident, curve-secret,\n  keys, insecure",
        "--map-resident SIZE",
        "(default 48M)",
        "(true or false, yes or no, 1 or 0), metrics-listen",
        "an empty value\n  means the default",
        "A key given twice",
        "A relative path\n  (state-dir, curve-secret, keys) is relative to "
        "the directory of FILE",
        "Lines starting with '#' or ';' are\n  comments",
        "Lines may be up to 1024 bytes long",
        "the command line,\n  the environment, the configuration file, the "
        "built-in default",
        "or --check-config found a problem",
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

/* ------------------------------------------------------------------ */
/* The file's ceilings: lines of 1024 bytes; a relative path joined to
 * the file's directory must still fit 511 bytes.                      */

static void test_file_lengths(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX], text[4096];
    static const char key[] = "[nyckeld]\nstate-dir = /";
    const size_t head = sizeof(key) - 1 - strlen("[nyckeld]\n");
    struct config cfg;
    char want[PATH_MAX_TEST];

    (void)state;
    /* "state-dir = /" (13) + 498 = 511 bytes: a line and a path that fit */
    snprintf(text, sizeof(text), "%s%0498d\n", key, 0);
    assert_int_equal(run_parse_file(NULL, NULL, text, &cfg, out, err), 0);
    assert_int_equal(strlen(cfg.state_dir), 499);
    tmp_remove();
    /* 13 + 1011 = 1024 bytes, the longest line: refused for the path */
    snprintf(text, sizeof(text), "%s%01011d\n", key, 0);
    assert_int_equal(head + 1011, 1024);
    expect_refusal_file(NULL, NULL, text,
                        "@FILE:2: state-dir: path longer than 511 bytes");
    /* 1025 bytes: the line itself; also in a comment */
    snprintf(text, sizeof(text), "%s%01012d\n", key, 0);
    expect_refusal_file(NULL, NULL, text,
                        "@FILE:2: line longer than 1024 bytes");
    snprintf(text, sizeof(text), "[nyckeld]\n\n#%01024d\n", 0);
    expect_refusal_file(NULL, NULL, text,
                        "@FILE:3: line longer than 1024 bytes");
    /* a relative path of 490 bytes after "/tmp/nyckel-cfg.XXXXXX/" (23 or
     * more): 513 or more, over 511 once joined */
    snprintf(text, sizeof(text), "[nyckeld]\nkeys = %0490d\n", 0);
    expect_refusal_file(NULL, NULL, text,
                        "@FILE:2: keys: path longer than 511 bytes");
    /* the same path absolute is taken as written */
    snprintf(text, sizeof(text),
             "[nyckeld]\ncurve-secret = /%0479d\nkeys = /k\n", 0);
    assert_int_equal(run_parse_file(NULL, NULL, text, &cfg, out, err), 0);
    assert_int_equal(strlen(cfg.curve_secret), 480);
    snprintf(want, sizeof(want), "/%0479d", 0);
    assert_string_equal(cfg.curve_secret, want);
    tmp_remove();
}

/* --config given as a relative path: the file's directory is relative
 * too, so a relative path in the file is the two joined. */
static void test_relative_config_path(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX];
    char cwd[PATH_MAX_TEST], rel[PATH_MAX_TEST], want[2 * PATH_MAX_TEST];
    const char *args[3] = {"--config", NULL, NULL};
    struct config cfg;

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    tmp_make("[nyckeld]\nstate-dir = state\nkeys = k\ncurve-secret = /s\n");
    /* the file in the working directory: paths as written */
    assert_int_equal(chdir(tmp_dir), 0);
    args[1] = strrchr(tmp_file, '/') + 1;
    assert_int_equal(run_parse(args, NULL, &cfg, out, err), 0);
    assert_string_equal(cfg.state_dir, "state");
    assert_string_equal(cfg.keys, "k");
    assert_string_equal(cfg.curve_secret, "/s");
    /* "nyckel-cfg.XXXXXX/nyckeld.XXXXXX" from the parent directory */
    assert_int_equal(chdir(".."), 0);
    snprintf(rel, sizeof(rel), "%s", strrchr(tmp_dir, '/') + 1);
    snprintf(want, sizeof(want), "%s/state", rel);
    snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "/%s",
             strrchr(tmp_file, '/') + 1);
    args[1] = rel;
    assert_int_equal(run_parse(args, NULL, &cfg, out, err), 0);
    assert_string_equal(cfg.state_dir, want);
    assert_int_equal(chdir(cwd), 0);
    tmp_remove();
}

/* ------------------------------------------------------------------ */
/* config_check (--check-config): what the settings name, on disk.     */

/* A stand-in for auth_keys_load: a keys file holding "bad" is refused. */
static int fake_keys_check(const char *path, char *why, size_t why_len)
{
    char text[64] = "";
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    if (strstr(text, "bad") == NULL)
        return 0;
    snprintf(why, why_len, "%s line 1: bad client", path);
    return -1;
}

/* The CurveZMQ reference server key pair (RFC 26's test vectors). */
#define SERVER_SECRET "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

struct check_case {
    const char *name;
    const char *args[ARGS_MAX]; /* @DIR: a fresh temporary directory */
    int want;                   /* config_check's return */
    const char *out;            /* NULL, or a piece of stdout */
    const char *err;            /* NULL, or a piece of stderr */
};

static const struct check_case check_cases[] = {
    {"state dir to be made in a writable parent",
     {"--state-dir", "@DIR/state", "--as-of", "2014-09-01"},
     0,
     "nyckeld: configuration OK\n"
     "# configuration file: none\n"
     "state-dir = @DIR/state\n"
     "ingest = tcp://127.0.0.1:7710\n"
     "pub = tcp://127.0.0.1:7711\n"
     "query = tcp://127.0.0.1:7712\n"
     "as-of = 2014-09-01\n"
     "log-level = info\n"
     "max-db-size = 64G\n"
     "map-resident = 48M\n"
     "curve-secret =\n"
     "keys =\n"
     "insecure = false\n"
     "metrics-listen =\n",
     NULL},
    {"an existing state dir, sizes in the largest unit",
     {"--state-dir", "@DIR", "--max-db-size", "1536M"},
     0,
     "max-db-size = 1536M\n",
     NULL},
    {"a size of bytes",
     {"--state-dir", "@DIR", "--max-db-size", "1048577"},
     0,
     "max-db-size = 1048577\n",
     NULL},
    {"map-resident 0: never trimmed, printed as 0",
     {"--state-dir", "@DIR", "--map-resident", "0"},
     0,
     "max-db-size = 64G\nmap-resident = 0\ncurve-secret =\n",
     NULL},
    {"every setting printed",
     {"--state-dir", "@DIR", "--ingest", "ipc://@DIR/in", "--pub",
      "tcp://*:7711", "--query", "inproc://q", "--metrics-listen",
      "127.0.0.1:9771", "--insecure"},
     0,
     "ingest = ipc://@DIR/in\npub = tcp://*:7711\nquery = inproc://q\n"
     "as-of =\nlog-level = info\nmax-db-size = 64G\nmap-resident = 48M\n"
     "curve-secret =\nkeys =\ninsecure = true\n"
     "metrics-listen = 127.0.0.1:9771\n",
     NULL},
    {"CURVE files that load: named, never shown",
     {"--state-dir", "@DIR", "--curve-secret", "@DIR/server.key", "--keys",
      "@DIR/keys"},
     0,
     "curve-secret = @DIR/server.key\nkeys = @DIR/keys\n",
     NULL},
    {"state dir whose parent does not exist",
     {"--state-dir", "@DIR/a/b"},
     1,
     NULL,
     "nyckeld: state-dir @DIR/a/b: does not exist, and nor does @DIR/a"},
    {"state dir that is a file",
     {"--state-dir", "@DIR/server.key"},
     1,
     NULL,
     "nyckeld: state-dir @DIR/server.key: not a directory\n"},
    {"state dir under a file",
     {"--state-dir", "@DIR/server.key/state"},
     1,
     NULL,
     "state-dir @DIR/server.key/state: Not a directory\n"},
    {"missing key files",
     {"--state-dir", "@DIR", "--curve-secret", "@DIR/none.key", "--keys",
      "@DIR/none"},
     1,
     NULL,
     "nyckeld: curve-secret: @DIR/none.key: No such file or directory\n"
     "nyckeld: keys: @DIR/none: No such file or directory\n"
     "nyckeld: configuration has 2 problems\n"},
    {"a secret key others may read, a keys file that does not parse",
     {"--state-dir", "@DIR", "--curve-secret", "@DIR/open.key", "--keys",
      "@DIR/bad-keys"},
     1,
     NULL,
     "nyckeld: curve-secret: @DIR/open.key: a secret key must not be "
     "readable by group or others (chmod 600)\n"
     "nyckeld: keys: @DIR/bad-keys line 1: bad client\n"
     "nyckeld: configuration has 2 problems\n"},
    {"endpoints ZeroMQ would refuse",
     {"--state-dir", "@DIR", "--ingest", "tcp://127.0.0.1:0", "--pub",
      "ipc://@DIR/none/pub", "--query", "udp://127.0.0.1:7712", "--insecure"},
     1,
     NULL,
     "nyckeld: ingest tcp://127.0.0.1:0: not tcp://HOST:PORT (PORT 1 to "
     "65535 or *)\n"
     "nyckeld: pub ipc://@DIR/none/pub: directory @DIR/none: No such file "
     "or directory\n"
     "nyckeld: query udp://127.0.0.1:7712: transport 'udp' is not tcp, ipc "
     "or inproc\n"
     "nyckeld: configuration has 3 problems\n"},
    {"more endpoints ZeroMQ would refuse",
     {"--state-dir", "@DIR", "--ingest", "tcp://127.0.0.1:65536", "--pub",
      "tcp://127.0.0.1", "--query",
      "ipc:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
     1,
     NULL,
     "nyckeld: ingest tcp://127.0.0.1:65536: not tcp://HOST:PORT"},
    {"an ipc path too long for a UNIX socket",
     {"--state-dir", "@DIR", "--query",
      "ipc:///aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
     1,
     NULL,
     "the path is longer than 107 bytes, the most a UNIX socket takes\n"},
};

/* Writes text to dir/name with mode. */
static void write_file(const char *dir, const char *name, const char *text,
                       mode_t mode)
{
    char path[PATH_MAX_TEST];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void remove_file(const char *dir, const char *name)
{
    char path[PATH_MAX_TEST];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static void test_check(void **state)
{
    static char out[OUT_MAX], err[OUT_MAX], want[OUT_MAX];
    static const char *const files[] = {"server.key", "open.key", "keys",
                                        "bad-keys"};

    (void)state;
    for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const struct check_case *c = &check_cases[i];
        struct config cfg;
        struct capture co, ce;
        struct stat st;

        print_message("row %zu: %s\n", i, c->name);
        tmp_make("");
        write_file(tmp_dir, "server.key", "# secret\n" SERVER_SECRET "\n",
                   0600);
        write_file(tmp_dir, "open.key", SERVER_SECRET "\n", 0644);
        write_file(tmp_dir, "keys", "# none yet\n", 0644);
        write_file(tmp_dir, "bad-keys", "bad\n", 0644);
        if (run_parse(c->args, NULL, &cfg, out, err) != 0)
            print_error("stderr: %s\n", err);
        assert_string_equal(err, "");
        capture_begin(&co, stdout);
        capture_begin(&ce, stderr);
        int rc = config_check(&cfg, fake_keys_check);
        capture_end(&ce, err, OUT_MAX);
        capture_end(&co, out, OUT_MAX);
        if (c->out && !strstr(out, expand(c->out, want, sizeof(want))))
            print_error("stdout: %s\nwant: %s\n", out, want);
        if (c->err && !strstr(err, expand(c->err, want, sizeof(want))))
            print_error("stderr: %s\nwant: %s\n", err, want);
        assert_int_equal(rc, c->want);
        if (c->out)
            assert_non_null(strstr(out, expand(c->out, want, sizeof(want))));
        if (c->err)
            assert_non_null(strstr(err, expand(c->err, want, sizeof(want))));
        if (rc == 0) {
            assert_string_equal(err, "");
            assert_true(strncmp(out, "nyckeld: configuration OK\n", 26) == 0);
        } else {
            assert_string_equal(out, "");
        }
        /* nothing made, no secret shown */
        assert_true(stat(cfg.state_dir, &st) == 0 || errno == ENOENT ||
                    errno == ENOTDIR);
        assert_null(strstr(out, "JTKVSB"));
        assert_null(strstr(err, "JTKVSB"));
        if (strcmp(c->args[1], "@DIR/state") == 0)
            assert_int_equal(stat(cfg.state_dir, &st), -1);
        for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
            remove_file(tmp_dir, files[f]);
        tmp_remove();
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
        cmocka_unit_test_teardown(test_file_bad, test_restore),
        cmocka_unit_test_teardown(test_lengths, test_restore),
        cmocka_unit_test_teardown(test_help_text, test_restore),
        cmocka_unit_test_teardown(test_file_lengths, test_restore),
        cmocka_unit_test_teardown(test_relative_config_path, test_restore),
        cmocka_unit_test_teardown(test_check, test_restore),
        cmocka_unit_test_teardown(test_parse_again_after_error, test_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
