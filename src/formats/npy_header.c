/* NPY headers: NumPy's exact bytes when writing, a small parser of the header dict when
 * reading; see npy_header.h. */
#include "formats/npy_header.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "formats/le_bytes.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_BYTES 6
#define NPY_ALIGN 64
/* NumPy leaves room for the growth axis (the first, in C order) to reach this many digits. */
#define NPY_GROWTH_AXIS_MAX_DIGITS 21

static const struct {
    const char *element_type;
    const char *descr;
} npy_descrs[] = {
    {"uint8", "|u1"},   {"int8", "|i1"},    {"bool", "|b1"},    {"uint16", "<u2"},
    {"int16", "<i2"},   {"uint32", "<u4"},  {"int32", "<i4"},   {"uint64", "<u8"},
    {"int64", "<i8"},   {"float16", "<f2"}, {"float32", "<f4"}, {"float64", "<f8"},
};

const char *mlps_npy_descr_of(const char *element_type)
{
    for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; i++)
        if (strcmp(npy_descrs[i].element_type, element_type) == 0)
            return npy_descrs[i].descr;
    return NULL;
}

/* The item size a descr names ("<f4" -> 4), or 0 when it is not a plain numeric descr. */
static unsigned descr_element_bytes(const char *descr)
{
    const char *p = descr;
    if (*p == '<' || *p == '>' || *p == '|' || *p == '=')
        p++;
    if (!isalpha((unsigned char)*p))
        return 0;
    p++;
    unsigned bytes = 0;
    for (; isdigit((unsigned char)*p) && bytes <= 64; p++)
        bytes = bytes * 10 + (unsigned)(*p - '0');
    return *p == '\0' && bytes >= 1 && bytes <= 64 ? bytes : 0;
}

int mlps_npy_descr_for(const mlps_format_params *params, const char **descr,
                       unsigned *element_bytes, mlps_error *err)
{
    const char *type = params->element_type ? params->element_type : "uint8";
    *descr = mlps_npy_descr_of(type);
    if (!*descr) {
        char valid[256] = "";
        for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; i++) {
            strncat(valid, i ? ", " : "", sizeof valid - strlen(valid) - 1);
            strncat(valid, npy_descrs[i].element_type, sizeof valid - strlen(valid) - 1);
        }
        return mlps_fail_usage(err, -EINVAL,
                               "dataset.record_element_type '%s' has no NumPy dtype (valid: %s)",
                               type, valid);
    }
    unsigned bytes = descr_element_bytes(*descr);
    if (params->element_bytes && params->element_bytes != bytes)
        return mlps_fail_usage(err, -EINVAL,
                               "dataset.record_element_type '%s' is %u bytes per element, not %u",
                               type, bytes, params->element_bytes);
    *element_bytes = bytes;
    return 0;
}

size_t mlps_npy_header_format(const char *descr, const uint64_t *shape, unsigned ndim,
                              unsigned char *out)
{
    char text[MLPS_NPY_HEADER_MAX];
    if (ndim > MLPS_NPY_WRITE_MAX_DIMS)
        return 0;
    int len = snprintf(text, sizeof text, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                       descr);
    for (unsigned i = 0; i < ndim; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, "%s%" PRIu64, i ? ", " : "",
                        shape[i]);
    len += snprintf(text + len, sizeof text - (size_t)len, "%s), }", ndim == 1 ? "," : "");
    if (ndim > 0) {
        char first[24];
        int digits = snprintf(first, sizeof first, "%" PRIu64, shape[0]);
        for (int i = digits; i < NPY_GROWTH_AXIS_MAX_DIGITS; i++)
            text[len++] = ' ';
    }
    size_t text_len = (size_t)len + 1; /* the closing newline */
    size_t prefix = NPY_MAGIC_BYTES + 2 + 2;
    size_t pad = NPY_ALIGN - (prefix + text_len) % NPY_ALIGN;
    memcpy(out, NPY_MAGIC, NPY_MAGIC_BYTES);
    out[6] = 1;
    out[7] = 0;
    mlps_put_le16(out + 8, (uint16_t)(text_len + pad));
    memcpy(out + prefix, text, (size_t)len);
    memset(out + prefix + (size_t)len, ' ', pad);
    out[prefix + (size_t)len + pad] = '\n';
    return prefix + text_len + pad;
}

/* --- parsing --- */

typedef struct npy_cursor {
    const char *p, *end;
} npy_cursor;

static void skip_spaces(npy_cursor *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

static bool accept(npy_cursor *c, char ch)
{
    skip_spaces(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool parse_quoted(npy_cursor *c, char *out, size_t size)
{
    skip_spaces(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return false;
    char quote = *c->p++;
    size_t n = 0;
    for (; c->p < c->end && *c->p != quote; c->p++) {
        if (n + 1 >= size)
            return false;
        out[n++] = *c->p;
    }
    out[n] = '\0';
    if (c->p >= c->end)
        return false;
    c->p++;
    return true;
}

static bool parse_word(npy_cursor *c, const char *word)
{
    skip_spaces(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool parse_shape(npy_cursor *c, mlps_npy_array *array)
{
    if (!accept(c, '('))
        return false;
    array->ndim = 0;
    for (;;) {
        if (accept(c, ')'))
            return true;
        if (array->ndim == MLPS_NPY_MAX_DIMS)
            return false;
        skip_spaces(c);
        uint64_t v = 0;
        const char *start = c->p;
        for (; c->p < c->end && isdigit((unsigned char)*c->p); c->p++) {
            if (v > (UINT64_MAX - 9) / 10)
                return false;
            v = v * 10 + (uint64_t)(*c->p - '0');
        }
        if (c->p == start)
            return false;
        array->shape[array->ndim++] = v;
        if (!accept(c, ',')) {
            return accept(c, ')');
        }
    }
}

bool mlps_npy_header_parse_text(const char *text, size_t len, mlps_npy_array *array)
{
    npy_cursor c = {text, text + len};
    bool have_descr = false, have_order = false, have_shape = false;
    if (!accept(&c, '{'))
        return false;
    while (!accept(&c, '}')) {
        char key[32];
        if (!parse_quoted(&c, key, sizeof key) || !accept(&c, ':'))
            return false;
        if (strcmp(key, "descr") == 0 && !have_descr) {
            have_descr = parse_quoted(&c, array->descr, sizeof array->descr);
            if (!have_descr)
                return false;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (parse_word(&c, "True"))
                array->fortran_order = true;
            else if (parse_word(&c, "False"))
                array->fortran_order = false;
            else
                return false;
            have_order = true;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (!parse_shape(&c, array))
                return false;
            have_shape = true;
        } else {
            return false;
        }
        if (!accept(&c, ',')) {
            if (!accept(&c, '}'))
                return false;
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return false;
    skip_spaces(&c);
    if (c.p != c.end)
        return false;
    array->element_bytes = descr_element_bytes(array->descr);
    if (!array->element_bytes)
        return false;
    uint64_t count = 1;
    for (unsigned i = 0; i < array->ndim; i++) {
        if (array->shape[i] && count > UINT64_MAX / array->shape[i])
            return false;
        count *= array->shape[i];
    }
    if (count > UINT64_MAX / array->element_bytes)
        return false;
    array->data_bytes = count * array->element_bytes;
    return true;
}

int mlps_npy_header_parse(const mlps_source *source, uint64_t offset, uint64_t limit,
                          mlps_npy_array *array, mlps_error *err)
{
    unsigned char prefix[12];
    memset(array, 0, sizeof *array);
    if (limit < 10)
        return mlps_fail(err, -EPROTO, "%s: NPY array at offset %" PRIu64
                         " is %" PRIu64 " bytes, too short for a header",
                         source->name, offset, limit);
    int rc = mlps_source_read(source, prefix, limit < 12 ? 10 : 12, offset, err);
    if (rc)
        return rc;
    if (memcmp(prefix, NPY_MAGIC, NPY_MAGIC_BYTES) != 0)
        return mlps_fail(err, -EPROTO, "%s: no NPY magic (\\x93NUMPY) at offset %" PRIu64,
                         source->name, offset);
    unsigned major = prefix[6];
    uint64_t text_len, text_at;
    if (major == 1) {
        text_len = (uint64_t)prefix[8] | (uint64_t)prefix[9] << 8;
        text_at = 10;
    } else if ((major == 2 || major == 3) && limit >= 12) {
        text_len = (uint64_t)prefix[8] | (uint64_t)prefix[9] << 8 | (uint64_t)prefix[10] << 16 |
                   (uint64_t)prefix[11] << 24;
        text_at = 12;
    } else {
        return mlps_fail(err, -EPROTO, "%s: unsupported NPY version %u.%u at offset %" PRIu64,
                         source->name, major, prefix[7], offset);
    }
    if (text_len > MLPS_NPY_PARSE_MAX_HEADER || text_at + text_len > limit)
        return mlps_fail(err, -EPROTO,
                         "%s: NPY header length %" PRIu64 " at offset %" PRIu64
                         " runs past the array's %" PRIu64 " bytes",
                         source->name, text_len, offset + 8, limit);
    char text[MLPS_NPY_PARSE_MAX_HEADER];
    rc = mlps_source_read(source, text, (size_t)text_len, offset + text_at, err);
    if (rc)
        return rc;
    if (!mlps_npy_header_parse_text(text, (size_t)text_len, array))
        return mlps_fail(err, -EPROTO,
                         "%s: malformed NPY header dict at offset %" PRIu64
                         " (expected {'descr': ..., 'fortran_order': ..., 'shape': (...)})",
                         source->name, offset + text_at);
    array->header_bytes = text_at + text_len;
    if (array->data_bytes > limit - array->header_bytes)
        return mlps_fail(err, -EPROTO,
                         "%s: NPY array at offset %" PRIu64 " declares %" PRIu64
                         " data bytes but only %" PRIu64 " follow its header",
                         source->name, offset, array->data_bytes, limit - array->header_bytes);
    return 0;
}
