/*
 * config.h — nyckeld's settings: built-in defaults, then a configuration
 * file (--config, INI), then the environment, then argv, into one
 * immutable struct. Knows the --help text, and --check-config's checks.
 */
#ifndef NYCKEL_CONFIG_H
#define NYCKEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_PATH_MAX 512
#define CONFIG_ENDPOINT_MAX 256

/* Embedded default: loopback only (DESIGN §6). */
#define CONFIG_DEFAULT_INGEST "tcp://127.0.0.1:7710"
#define CONFIG_DEFAULT_PUB "tcp://127.0.0.1:7711"
#define CONFIG_DEFAULT_QUERY "tcp://127.0.0.1:7712"

enum config_mode {
    CONFIG_MODE_RUN,     /* serve */
    CONFIG_MODE_HELP,    /* --help printed, exit 0 */
    CONFIG_MODE_VERSION, /* --version printed, exit 0 */
    CONFIG_MODE_REBUILD, /* recompute the aggregates, exit */
    CONFIG_MODE_VERIFY,  /* compare recomputed with stored, exit */
    CONFIG_MODE_BACKUP,  /* copy the store to backup_dir, exit */
    CONFIG_MODE_CHECK,   /* --check-config: config_check(), exit */
};

struct config {
    enum config_mode mode;
    char config_file[CONFIG_PATH_MAX];  /* the file read, or "" */
    char state_dir[CONFIG_PATH_MAX];    /* LMDB environment directory */
    char backup_dir[CONFIG_PATH_MAX];   /* --backup target */
    char ingest[CONFIG_ENDPOINT_MAX];   /* ROUTER endpoint */
    char pub[CONFIG_ENDPOINT_MAX];      /* PUB endpoint */
    char query[CONFIG_ENDPOINT_MAX];    /* ROUTER endpoint */
    int32_t as_of_day;                  /* fixed as-of day number, -1 = clock */
    int log_level;                      /* LOG_ERROR..LOG_DEBUG (log.h) */
    uint64_t max_db_bytes;              /* LMDB map ceiling, bytes */
    uint64_t map_resident_bytes;        /* store pages kept mapped, at
                                           most (store_trim()); 0: all */
    int heartbeat_ms;                   /* heartbeat interval, ms (1000) */
    char curve_secret[CONFIG_PATH_MAX]; /* server secret key file, or "" */
    char keys[CONFIG_PATH_MAX];         /* clients' keys file, or "" */
    bool insecure; /* --insecure: non-loopback endpoints without CURVE */
    int publish_interval_s; /* public updates of a slice at most once in
                               this many seconds; 0: every change */
    int suppress_below;     /* counts 1..suppress_below-1 are served as null
                               (suppressed), 0 or 1: off (default 5) */
    char metrics_listen[CONFIG_ENDPOINT_MAX]; /* "host:port" of the
                                                 Prometheus endpoint, or
                                                 "" (off) */
};

/* True when endpoint reaches this host only: ipc://, inproc://, or tcp://
 * to 127.0.0.0/8, [::1] or localhost. */
bool config_endpoint_is_local(const char *endpoint);

/*
 * Parse argv, the configuration file (--config FILE, else
 * $NYCKEL_CONFIG; none by default) and the environment (NYCKEL_STATE_DIR,
 * NYCKEL_AS_OF, NYCKEL_LOG_LEVEL) into *cfg; each setting from the first
 * of argv, environment, file, built-in default that gives it. Defaults:
 * the endpoints above; state dir $XDG_STATE_HOME/nyckel, else
 * $HOME/.local/state/nyckel, else ./nyckel-state; log level info;
 * max db size 64 GiB; map resident 48 MiB; heartbeat 1000 ms.
 * --help and --version print to stdout and set mode. Returns 0, or -1
 * after printing "nyckeld: <what is wrong>" (for the file
 * "nyckeld: FILE:LINE: <what is wrong>") and a hint to stderr; *cfg is
 * untouched then.
 */
int config_parse(int argc, char **argv, struct config *cfg);

/* Reads and parses the keys file at path: 0, or -1 with a reason in
 * why. main passes auth's loader: config does not depend on auth. */
typedef int (*config_keys_check_fn)(const char *path, char *why,
                                    size_t why_len);

/*
 * --check-config: check what cfg names, without creating or binding
 * anything: the state directory exists and is writable, or its parent
 * is (nyckeld creates only the last component); the CURVE secret key
 * loads (keyfile_read); the keys file reads and parses (keys_check); the
 * endpoints are well formed (tcp host:port, ipc path that fits a UNIX
 * socket address in an existing directory). Then "nyckeld: configuration
 * OK" and the effective settings, "key = value" a line (an empty value:
 * the default; secrets only as file names), to stdout and 0; or each
 * problem, "nyckeld: <what>: <why>", to stderr and 1.
 */
int config_check(const struct config *cfg, config_keys_check_fn keys_check);

#endif
