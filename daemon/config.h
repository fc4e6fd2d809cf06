/*
 * config.h — nyckeld's settings: defaults, then environment, then argv,
 * into one immutable struct. Knows the --help text.
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
};

struct config {
    enum config_mode mode;
    char state_dir[CONFIG_PATH_MAX];    /* LMDB environment directory */
    char backup_dir[CONFIG_PATH_MAX];   /* --backup target */
    char ingest[CONFIG_ENDPOINT_MAX];   /* ROUTER endpoint */
    char pub[CONFIG_ENDPOINT_MAX];      /* PUB endpoint */
    char query[CONFIG_ENDPOINT_MAX];    /* ROUTER endpoint */
    int32_t as_of_day;                  /* fixed as-of day number, -1 = clock */
    int log_level;                      /* LOG_ERROR..LOG_DEBUG (log.h) */
    uint64_t max_db_bytes;              /* LMDB map ceiling, bytes */
    int heartbeat_ms;                   /* heartbeat interval, ms (1000) */
    char curve_secret[CONFIG_PATH_MAX]; /* server secret key file, or "" */
    char keys[CONFIG_PATH_MAX];         /* clients' keys file, or "" */
    bool insecure; /* --insecure: non-loopback endpoints without CURVE */
    char metrics_listen[CONFIG_ENDPOINT_MAX]; /* "host:port" of the
                                                 Prometheus endpoint, or
                                                 "" (off) */
};

/* True when endpoint reaches this host only: ipc://, inproc://, or tcp://
 * to 127.0.0.0/8, [::1] or localhost. */
bool config_endpoint_is_local(const char *endpoint);

/*
 * Parse argv (and the environment: NYCKEL_STATE_DIR, NYCKEL_AS_OF,
 * NYCKEL_LOG_LEVEL) into *cfg. Defaults: the endpoints above; state dir
 * $NYCKEL_STATE_DIR, else $XDG_STATE_HOME/nyckel, else
 * $HOME/.local/state/nyckel, else ./nyckel-state; log level info;
 * max db size 64 GiB; heartbeat 1000 ms.
 * --help and --version print to stdout and set mode. Returns 0, or -1
 * after printing "nyckeld: <what is wrong>" and a hint to stderr.
 */
int config_parse(int argc, char **argv, struct config *cfg);

#endif
