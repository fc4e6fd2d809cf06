/*
 * log.h — one line per event to stderr:
 * "2026-11-23T10:00:00Z nyckeld[pid] warn ingest: batch 42: why".
 * Callers write "module: what: why". Never log subject ids or event
 * field values: the data is sekretess.
 */
#ifndef NYCKEL_LOG_H
#define NYCKEL_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Lines above this level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);
/* "error"/"warn"/"info"/"debug" → level; -1 if unknown. */
int log_level_parse(const char *name);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
