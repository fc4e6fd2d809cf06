/*
 * event_json.h — private to libnyckel: one input record (a JSON object
 * text, or named text cells as in a CSV row) → one protobuf nyckel.Event
 * (DESIGN §2, §8).
 *
 * Field names are the proto field names, looked up in the generated
 * descriptors, plus "kind" which selects the body. Only the form is
 * checked here (JSON syntax, JSON types, known names, integer ranges,
 * UTF-8); values are passed through unchanged for nyckeld to validate,
 * and absent fields stay absent so that nyckeld can say missing_field.
 *
 * Local rejection reasons (struct event_error.reason):
 *   bad_json       not valid JSON, or not one JSON object
 *   bad_type       a value of the wrong JSON type, or a cell that does
 *                  not parse as the field's type (integer, boolean)
 *   unknown_field  a name that is not a field of the event's kind
 *   unknown_kind   "kind" is not payment|placement|decision|referral|budget
 *   missing_field  no "kind"
 *   out_of_range   an integer outside its field's range
 *   bad_encoding   a cell that is not UTF-8 or holds a NUL byte
 *   line_too_long  over NYCKEL_LINE_MAX_BYTES of text
 */
#ifndef NYCKEL_EVENT_JSON_H
#define NYCKEL_EVENT_JSON_H

#include "nyckel.pb-c.h"

#include <stddef.h>

#define EVENT_REASON_MAX 32 /* reason code buffer, bytes incl. NUL */
#define EVENT_TEXT_MAX 160  /* reason text buffer, bytes incl. NUL */

/* Why a record was not converted. */
struct event_error {
    char reason[EVENT_REASON_MAX]; /* machine code, see above */
    char text[EVENT_TEXT_MAX];     /* one line naming the field */
};

/* Convert the JSON object text json[0..len) (no NUL needed). Returns 0
 * and *out (owned by the caller, free with event_free), or
 * NYCKEL_EREJECTED with *err filled and *out NULL. JSON null counts as
 * absent. */
int event_from_json(const char *json, size_t len, Nyckel__Event **out,
                    struct event_error *err);

/* Convert n named cells: values[i] is the text of field names[i]; NULL
 * or "" is absent. Integers are decimal, booleans true/false/1/0 (any
 * case), repeated integers separated by ';'. Names must be distinct.
 * Returns as event_from_json(). */
int event_from_record(size_t n, const char *const *names,
                      const char *const *values, Nyckel__Event **out,
                      struct event_error *err);

/* Free an event made by this module; NULL-safe; sets *ev to NULL. */
void event_free(Nyckel__Event **ev);

#endif
