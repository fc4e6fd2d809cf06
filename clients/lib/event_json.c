/*
 * event_json.c — one JSON object or one set of named CSV cells → one
 * protobuf nyckel.Event (see event_json.h for the rules and reasons).
 *
 * The field tables are the generated protobuf-c descriptors themselves:
 * a name is a common field when nyckel.Event has a scalar field of that
 * name, a kind when it names one of Event's body messages, and a body
 * field when that body message has it. Adding a field to nyckel.proto
 * therefore needs no change here. Values are written through the
 * descriptors' offsets; protobuf_c_message_free_unpacked() frees the
 * result because every piece is malloc'd on its own.
 *
 * JSON is parsed by jansson (duplicate keys refused); CSV cells arrive
 * already split by libcsv in push_read.c, so only scalar text is parsed
 * here, strictly (no blanks, no '+', no hex, no fractions).
 */
#include "event_json.h"

#include "nyckel.h"
#include "push_mem.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KIND_LIST "payment, placement, decision, referral or budget"

/* An integer as sign and magnitude, so that the whole int64 and uint64
 * ranges fit in one representation before the field's range is known. */
struct intval {
    bool neg;     /* true: value is -mag */
    uint64_t mag; /* magnitude */
};

static int reject(struct event_error *err, const char *reason, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

static int reject(struct event_error *err, const char *reason, const char *fmt,
                  ...)
{
    va_list ap;

    snprintf(err->reason, sizeof err->reason, "%s", reason);
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return NYCKEL_EREJECTED;
}

/* A field name fit for a message: at most 32 bytes, printable ASCII
 * only, so that an odd key cannot smuggle control bytes into a log. */
static const char *shown(const char *name, char buf[static 40])
{
    size_t i;

    for (i = 0; name[i] && i < 32; i++)
        buf[i] = (name[i] > 0x20 && name[i] < 0x7f && name[i] != '"') ? name[i]
                                                                      : '?';
    buf[i] = '\0';
    if (name[i])
        snprintf(buf + i, 40 - i, "...");
    return buf;
}

/* True when s is short and made of [a-z_] only: safe to echo back. */
static bool echoable(const char *s)
{
    size_t i;

    for (i = 0; s[i]; i++)
        if (i >= 24 || !((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return false;
    return i > 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF,
 * no NUL (text fields travel as C strings). */
static bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i];
        size_t n;
        uint32_t cp;

        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* ------------------------------------------------------------ names */

/* The body field of nyckel.Event named kind, or NULL. */
static const ProtobufCFieldDescriptor *kind_field(const char *kind)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(
            &nyckel__event__descriptor, kind);

    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE ||
        !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return NULL;
    return f;
}

/* The common (non-body) field of nyckel.Event named name, or NULL. */
static const ProtobufCFieldDescriptor *common_field(const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(
            &nyckel__event__descriptor, name);

    if (!f || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    return f;
}

/* Where name goes: on the event itself or on its body. Sets *target and
 * returns the field, or NULL when name is not a field of this kind. */
static const ProtobufCFieldDescriptor *find_field(Nyckel__Event *ev,
                                                  ProtobufCMessage *body,
                                                  const char *name,
                                                  ProtobufCMessage **target)
{
    const ProtobufCFieldDescriptor *f = common_field(name);

    if (f) {
        *target = &ev->base;
        return f;
    }
    f = protobuf_c_message_descriptor_get_field_by_name(body->descriptor, name);
    if (!f || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    *target = body;
    return f;
}

/* Make the event with an empty body of kind kf. Returns the body. */
static ProtobufCMessage *event_make(const ProtobufCFieldDescriptor *kf,
                                    Nyckel__Event **out)
{
    const ProtobufCMessageDescriptor *bd = kf->descriptor;
    Nyckel__Event *ev = push_xmalloc(sizeof *ev);
    ProtobufCMessage *body = push_xmalloc(bd->sizeof_message);

    nyckel__event__init(ev);
    protobuf_c_message_init(bd, body);
    *(ProtobufCMessage **)((char *)ev + kf->offset) = body;
    ev->body_case = (Nyckel__Event__BodyCase)kf->id;
    *out = ev;
    return body;
}

/* ------------------------------------------------------------ setters */

static void *slot(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (char *)m + f->offset;
}

static void set_has(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    /* proto2 optional scalars carry a has_ flag; strings do not */
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
        *(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
}

static void set_string(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const char *s, size_t len)
{
    char **p = slot(m, f);

    free(*p);
    *p = push_xstrndup(s, len);
}

static void set_bool(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                     bool v)
{
    *(protobuf_c_boolean *)slot(m, f) = v;
    set_has(m, f);
}

/* Check v against the range of an integer field of type t and give its
 * two's complement bits in *bits. */
static bool int_in_range(ProtobufCType t, struct intval v, uint64_t *bits)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (v.neg ? v.mag > (uint64_t)INT64_MAX + 1 : v.mag > INT64_MAX)
            return false;
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (v.neg ? v.mag > (uint64_t)INT32_MAX + 1 : v.mag > INT32_MAX)
            return false;
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (v.neg && v.mag)
            return false;
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if ((v.neg && v.mag) || v.mag > UINT32_MAX)
            return false;
        break;
    default:
        return false;
    }
    *bits = v.neg ? (uint64_t)0 - v.mag : v.mag;
    return true;
}

static bool is_int_type(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return true;
    default:
        return false;
    }
}

static bool is_64(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_INT64 || t == PROTOBUF_C_TYPE_SINT64 ||
           t == PROTOBUF_C_TYPE_SFIXED64 || t == PROTOBUF_C_TYPE_UINT64 ||
           t == PROTOBUF_C_TYPE_FIXED64;
}

static const char *range_text(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return "0..4294967295";
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return "0..18446744073709551615";
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return "-2147483648..2147483647";
    default:
        return "-9223372036854775808..9223372036854775807";
    }
}

/* Store integer bits into a field's value slot (32 or 64 bits wide). */
static void store_int(void *dst, ProtobufCType t, uint64_t bits)
{
    if (is_64(t)) {
        memcpy(dst, &bits, sizeof bits);
    } else {
        uint32_t b32 = (uint32_t)bits;
        memcpy(dst, &b32, sizeof b32);
    }
}

/* Set a singular integer field, or append to a repeated one. */
static int set_int(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                   struct intval v, struct event_error *err)
{
    char nb[40];
    uint64_t bits;

    if (!int_in_range(f->type, v, &bits))
        return reject(err, "out_of_range", "\"%s\" is outside %s",
                      shown(f->name, nb), range_text(f->type));
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *n = (size_t *)((char *)m + f->quantifier_offset);
        void **arr = slot(m, f);
        size_t w = is_64(f->type) ? 8 : 4;

        *arr = push_xrealloc(*arr, (*n + 1) * w);
        store_int((char *)*arr + *n * w, f->type, bits);
        (*n)++;
    } else {
        store_int(slot(m, f), f->type, bits);
        set_has(m, f);
    }
    return 0;
}

/* ------------------------------------------------------------ JSON */

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction or exponent";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int json_int(const json_t *v, struct intval *out)
{
    json_int_t i;

    if (!json_is_integer(v))
        return -1;
    i = json_integer_value(v);
    out->neg = i < 0;
    out->mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    return 0;
}

static int json_set(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                    const json_t *v, struct event_error *err)
{
    char nb[40];
    struct intval iv;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t i;
        const json_t *e;

        if (!is_int_type(f->type))
            return reject(err, "bad_type", "\"%s\" is not supported",
                          shown(f->name, nb));
        if (!json_is_array(v))
            return reject(err, "bad_type",
                          "\"%s\" must be an array of integers, not %s",
                          shown(f->name, nb), json_type_name(v));
        json_array_foreach(v, i, e)
        {
            int rc;

            if (json_int(e, &iv))
                return reject(err, "bad_type",
                              "\"%s\"[%zu] must be an integer, not %s",
                              shown(f->name, nb), i, json_type_name(e));
            rc = set_int(m, f, iv, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        if (!json_is_string(v))
            return reject(err, "bad_type", "\"%s\" must be a string, not %s",
                          shown(f->name, nb), json_type_name(v));
        set_string(m, f, json_string_value(v), json_string_length(v));
        return 0;
    }
    if (f->type == PROTOBUF_C_TYPE_BOOL) {
        if (!json_is_boolean(v))
            return reject(err, "bad_type",
                          "\"%s\" must be true or false, not %s",
                          shown(f->name, nb), json_type_name(v));
        set_bool(m, f, json_is_true(v));
        return 0;
    }
    if (is_int_type(f->type)) {
        if (json_int(v, &iv))
            return reject(err, "bad_type", "\"%s\" must be an integer, not %s",
                          shown(f->name, nb), json_type_name(v));
        return set_int(m, f, iv, err);
    }
    return reject(err, "bad_type", "\"%s\" is not supported",
                  shown(f->name, nb));
}

int event_from_json(const char *json, size_t len, Nyckel__Event **out,
                    struct event_error *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    const json_t *kind, *v;
    const char *key;
    const ProtobufCFieldDescriptor *kf;
    ProtobufCMessage *body;
    Nyckel__Event *ev = NULL;
    char nb[40];
    int rc = 0;

    *out = NULL;
    if (len > NYCKEL_LINE_MAX_BYTES)
        return reject(err, "line_too_long", "over %d bytes",
                      NYCKEL_LINE_MAX_BYTES);
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        const char *reason =
            json_error_code(&jerr) == json_error_numeric_overflow
                ? "out_of_range"
                : "bad_json";

        if (jerr.column > 0)
            return reject(err, reason, "column %d: %s", jerr.column, jerr.text);
        return reject(err, reason, "%s", jerr.text);
    }
    if (!json_is_object(root)) {
        rc = reject(err, "bad_json", "not a JSON object but %s",
                    json_type_name(root));
        goto out;
    }
    kind = json_object_get(root, "kind");
    if (!kind || json_is_null(kind)) {
        rc = reject(err, "missing_field", "no \"kind\" (" KIND_LIST ")");
        goto out;
    }
    if (!json_is_string(kind)) {
        rc = reject(err, "bad_type", "\"kind\" must be a string, not %s",
                    json_type_name(kind));
        goto out;
    }
    kf = kind_field(json_string_value(kind));
    if (!kf) {
        if (echoable(json_string_value(kind)))
            rc = reject(err, "unknown_kind", "kind \"%s\" is not " KIND_LIST,
                        json_string_value(kind));
        else
            rc = reject(err, "unknown_kind", "kind is not " KIND_LIST);
        goto out;
    }
    body = event_make(kf, &ev);
    json_object_foreach(root, key, v)
    {
        ProtobufCMessage *target;
        const ProtobufCFieldDescriptor *f;

        if (!strcmp(key, "kind") || json_is_null(v))
            continue;
        f = find_field(ev, body, key, &target);
        if (!f) {
            rc = reject(err, "unknown_field",
                        "\"%s\" is not a field of a %s event", shown(key, nb),
                        kf->name);
            goto out;
        }
        rc = json_set(target, f, v, err);
        if (rc)
            goto out;
    }
    *out = ev;
    ev = NULL;
out:
    event_free(&ev);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------ cells */

/* Strict decimal: optional '-', then digits only. */
static int text_int(const char *s, struct intval *out, bool *overflow)
{
    uint64_t mag = 0;
    const char *p = s;

    *overflow = false;
    out->neg = *p == '-';
    if (out->neg)
        p++;
    if (!*p)
        return -1;
    for (; *p; p++) {
        unsigned d;

        if (*p < '0' || *p > '9')
            return -1;
        d = (unsigned)(*p - '0');
        if (mag > (UINT64_MAX - d) / 10)
            *overflow = true;
        else
            mag = mag * 10 + d;
    }
    out->mag = mag;
    return 0;
}

static int cell_int(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                    const char *s, struct event_error *err)
{
    char nb[40];
    struct intval iv;
    bool overflow;

    if (text_int(s, &iv, &overflow))
        return reject(err, "bad_type", "\"%s\" must be a decimal integer",
                      shown(f->name, nb));
    if (overflow)
        return reject(err, "out_of_range", "\"%s\" is outside %s",
                      shown(f->name, nb), range_text(f->type));
    return set_int(m, f, iv, err);
}

static int cell_set(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                    const char *s, struct event_error *err)
{
    char nb[40];
    size_t len = strlen(s);

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        char item[32];

        if (!is_int_type(f->type))
            return reject(err, "bad_type", "\"%s\" is not supported",
                          shown(f->name, nb));
        for (const char *p = s;;) {
            const char *e = strchr(p, ';');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            int rc;

            if (n == 0 || n >= sizeof item)
                return reject(err, "bad_type",
                              "\"%s\" must be integers separated by ';'",
                              shown(f->name, nb));
            memcpy(item, p, n);
            item[n] = '\0';
            rc = cell_int(m, f, item, err);
            if (rc)
                return rc;
            if (!e)
                return 0;
            p = e + 1;
        }
    }
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        if (!utf8_valid(s, len))
            return reject(err, "bad_encoding", "\"%s\" is not valid UTF-8",
                          shown(f->name, nb));
        set_string(m, f, s, len);
        return 0;
    }
    if (f->type == PROTOBUF_C_TYPE_BOOL) {
        if (!strcasecmp(s, "true") || !strcmp(s, "1"))
            set_bool(m, f, true);
        else if (!strcasecmp(s, "false") || !strcmp(s, "0"))
            set_bool(m, f, false);
        else
            return reject(err, "bad_type", "\"%s\" must be true, false, 1 or 0",
                          shown(f->name, nb));
        return 0;
    }
    if (is_int_type(f->type))
        return cell_int(m, f, s, err);
    return reject(err, "bad_type", "\"%s\" is not supported",
                  shown(f->name, nb));
}

int event_from_record(size_t n, const char *const *names,
                      const char *const *values, Nyckel__Event **out,
                      struct event_error *err)
{
    const char *kind = NULL;
    const ProtobufCFieldDescriptor *kf;
    ProtobufCMessage *body;
    Nyckel__Event *ev = NULL;
    size_t total = 0;
    char nb[40];
    int rc = 0;

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!values[i] || !*values[i])
            continue;
        total += strlen(values[i]);
        if (names[i] && !strcmp(names[i], "kind"))
            kind = values[i];
    }
    if (total > NYCKEL_LINE_MAX_BYTES)
        return reject(err, "line_too_long", "over %d bytes",
                      NYCKEL_LINE_MAX_BYTES);
    if (!kind)
        return reject(err, "missing_field", "no \"kind\" (" KIND_LIST ")");
    kf = kind_field(kind);
    if (!kf) {
        if (echoable(kind))
            return reject(err, "unknown_kind", "kind \"%s\" is not " KIND_LIST,
                          kind);
        return reject(err, "unknown_kind", "kind is not " KIND_LIST);
    }
    body = event_make(kf, &ev);
    for (size_t i = 0; i < n; i++) {
        ProtobufCMessage *target;
        const ProtobufCFieldDescriptor *f;

        if (!values[i] || !*values[i] ||
            (names[i] && !strcmp(names[i], "kind")))
            continue;
        f = names[i] ? find_field(ev, body, names[i], &target) : NULL;
        if (!f) {
            rc = reject(err, "unknown_field",
                        "\"%s\" is not a field of a %s event",
                        shown(names[i] ? names[i] : "", nb), kf->name);
            goto out;
        }
        rc = cell_set(target, f, values[i], err);
        if (rc)
            goto out;
    }
    *out = ev;
    ev = NULL;
out:
    event_free(&ev);
    return rc;
}

void event_free(Nyckel__Event **ev)
{
    if (!ev || !*ev)
        return;
    protobuf_c_message_free_unpacked(&(*ev)->base, NULL);
    *ev = NULL;
}
