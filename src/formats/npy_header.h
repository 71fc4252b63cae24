/* The NPY array header shared by the npy and npz formats: written byte for byte as NumPy's
 * numpy.save writes it (so a file of ours and NumPy's differ only in the array's values), and
 * parsed back to find where an array's data lies.
 *
 * Layout: "\x93NUMPY", version (1.0 while the header length fits 16 bits, else 2.0), the header
 * length (u16 or u32 LE), then the text "{'descr': '|u1', 'fortran_order': False, 'shape': (d1,
 * d2, n), }", space-padded (with NumPy's 21-digit growth room for the first axis) and ended by a
 * newline so that the data starts on a 64-byte boundary. */
#ifndef MLPS_FORMATS_NPY_HEADER_H
#define MLPS_FORMATS_NPY_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "formats/format.h"

#define MLPS_NPY_MAX_DIMS 8
#define MLPS_NPY_DESCR_MAX 16
/* A header we write never exceeds this (three axes, short descr); parsing accepts up to
 * MLPS_NPY_PARSE_MAX_HEADER. */
#define MLPS_NPY_HEADER_MAX 256
#define MLPS_NPY_WRITE_MAX_DIMS 3
#define MLPS_NPY_PARSE_MAX_HEADER 65536

typedef struct mlps_npy_array {
    char descr[MLPS_NPY_DESCR_MAX]; /* NumPy's dtype string: "|u1", "<f4" */
    bool fortran_order;
    unsigned ndim;
    uint64_t shape[MLPS_NPY_MAX_DIMS];
    unsigned element_bytes;  /* from descr */
    uint64_t header_bytes;   /* magic through the newline: where the data starts */
    uint64_t data_bytes;     /* product of shape x element_bytes */
} mlps_npy_array;

/* NumPy's dtype string for a dataset.record_element_type name ("uint8" -> "|u1", "float32" ->
 * "<f4"), or NULL when the name is unknown. */
const char *mlps_npy_descr_of(const char *element_type);

/* The descr and item size for params->element_type (NULL means uint8), checked against
 * params->element_bytes (0 means "take it from the type"); a usage error naming
 * dataset.record_element_type otherwise. */
int mlps_npy_descr_for(const mlps_format_params *params, const char **descr,
                       unsigned *element_bytes, mlps_error *err);

/* Writes the complete header for a C-order array of descr and shape (at most
 * MLPS_NPY_WRITE_MAX_DIMS axes) into out (at least MLPS_NPY_HEADER_MAX bytes) and returns its
 * length, or 0 for more axes. */
size_t mlps_npy_header_format(const char *descr, const uint64_t *shape, unsigned ndim,
                              unsigned char *out);

/* Reads and checks the header of an NPY array stored at offset of source, whose bytes must lie
 * within [offset, offset + limit); errors name source->name and the offset. */
int mlps_npy_header_parse(const mlps_source *source, uint64_t offset, uint64_t limit,
                          mlps_npy_array *array, mlps_error *err);

/* Parses the header text (the part after the length field) into array's descr, fortran_order,
 * shape, element_bytes and data_bytes; returns false when it is not a NumPy header dict. */
bool mlps_npy_header_parse_text(const char *text, size_t len, mlps_npy_array *array);

#endif
