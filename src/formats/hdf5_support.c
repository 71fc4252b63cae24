/* HDF5 plumbing: a read-only virtual file driver over an mlps_source and error capture; see
 * hdf5_support.h. The driver is registered with the library once per process. */
#include "formats/hdf5_support.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keeps the first entry of an upward walk: the innermost failure, the most specific. */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *entry, void *data)
{
    char *message = data;
    if (n == 0 && entry->desc)
        snprintf(message, 256, "%s() %s", entry->func_name ? entry->func_name : "?",
                 entry->desc);
    return 0;
}

static herr_t remember_error(hid_t stack, void *data)
{
    mlps_hdf5_quiet *quiet = data;
    quiet->last_error[0] = '\0';
    H5Ewalk2(stack, H5E_WALK_UPWARD, keep_innermost, quiet->last_error);
    return 0;
}

void mlps_hdf5_quiet_begin(mlps_hdf5_quiet *quiet)
{
    H5Eget_auto2(H5E_DEFAULT, &quiet->function, &quiet->data);
    quiet->last_error[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, remember_error, quiet);
}

void mlps_hdf5_quiet_end(const mlps_hdf5_quiet *quiet)
{
    H5Eset_auto2(H5E_DEFAULT, quiet->function, quiet->data);
}

int mlps_hdf5_fail(const mlps_hdf5_quiet *quiet, mlps_error *err, int code, const char *what)
{
    const char *detail = quiet && quiet->last_error[0] ? quiet->last_error
                                                       : "no detail from the HDF5 library";
    return mlps_fail(err, code, "%s: %s", what, detail);
}

/* --- the read-only driver --- */

typedef struct source_driver_info {
    mlps_hdf5_source *context;
} source_driver_info;

typedef struct source_file {
    H5FD_t public; /* first, as the library requires */
    mlps_hdf5_source *context;
    haddr_t end_of_address;
} source_file;

static H5FD_t *source_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)name, (void)maxaddr;
    const source_driver_info *info = H5Pget_driver_info(fapl);
    if (!info || (flags & (H5F_ACC_RDWR | H5F_ACC_CREAT | H5F_ACC_TRUNC)))
        return NULL;
    source_file *file = calloc(1, sizeof *file);
    if (file)
        file->context = info->context;
    return file ? &file->public : NULL;
}

static herr_t source_close(H5FD_t *file)
{
    free(file);
    return 0;
}

static herr_t source_query(const H5FD_t *file, unsigned long *flags)
{
    (void)file;
    *flags = H5FD_FEAT_ACCUMULATE_METADATA;
    return 0;
}

static haddr_t source_get_eoa(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const source_file *)file)->end_of_address;
}

static herr_t source_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t address)
{
    (void)type;
    ((source_file *)file)->end_of_address = address;
    return 0;
}

static haddr_t source_get_eof(const H5FD_t *file, H5FD_mem_t type)
{
    (void)type;
    return ((const source_file *)file)->context->source->size;
}

/* Bytes past the end of the file read as zeros, as with the library's own drivers. */
static herr_t source_read(H5FD_t *handle, H5FD_mem_t type, hid_t dxpl, haddr_t address,
                          size_t size, void *buffer)
{
    (void)type, (void)dxpl;
    source_file *file = (source_file *)handle;
    const mlps_source *source = file->context->source;
    size_t inside = 0;
    if (address < source->size)
        inside = source->size - address < size ? (size_t)(source->size - address) : size;
    if (inside) {
        int rc = mlps_source_read(source, buffer, inside, address, file->context->err);
        if (rc) {
            file->context->rc = rc;
            return -1;
        }
    }
    memset((unsigned char *)buffer + inside, 0, size - inside);
    return 0;
}

static herr_t source_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t address,
                           size_t size, const void *buffer)
{
    (void)file, (void)type, (void)dxpl, (void)address, (void)size, (void)buffer;
    return -1;
}

static const H5FD_class_t source_class = {
    .name = "mlps_source",
    .maxaddr = (haddr_t)INT64_MAX,
    .fc_degree = H5F_CLOSE_WEAK,
    .fapl_size = sizeof(source_driver_info),
    .open = source_open,
    .close = source_close,
    .query = source_query,
    .get_eoa = source_get_eoa,
    .set_eoa = source_set_eoa,
    .get_eof = source_get_eof,
    .read = source_read,
    .write = source_write,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

static pthread_once_t registration = PTHREAD_ONCE_INIT;
static hid_t source_driver = H5I_INVALID_HID;

static void register_driver(void)
{
    source_driver = H5FDregister(&source_class);
}

hid_t mlps_hdf5_open_source(mlps_hdf5_source *context)
{
    const char *name = context->source->name;
    pthread_once(&registration, register_driver);
    if (source_driver < 0)
        return mlps_hdf5_fail(context->quiet, context->err, -EIO,
                              "cannot register the HDF5 source driver");
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    source_driver_info info = {context};
    hid_t file = H5I_INVALID_HID;
    if (fapl >= 0 && H5Pset_driver(fapl, source_driver, &info) >= 0)
        file = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (file >= 0)
        return file;
    if (context->rc)
        return context->rc;
    char what[512];
    snprintf(what, sizeof what, "%s: not a readable HDF5 file", name);
    return mlps_hdf5_fail(context->quiet, context->err, -EBADMSG, what);
}
