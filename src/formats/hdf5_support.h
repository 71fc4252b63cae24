/* HDF5 plumbing for the hdf5 format: opening a file read-only through an mlps_source (a
 * small virtual file driver, so the library reads only the metadata it needs through the
 * storage layer instead of the whole file), and turning the library's error stack into one
 * mlps_error line instead of letting it print to stderr. */
#ifndef MLPS_FORMATS_HDF5_SUPPORT_H
#define MLPS_FORMATS_HDF5_SUPPORT_H

#include <hdf5.h>

#include "core/error.h"
#include "formats/format.h"

/* For the span of one call of ours, the library's automatic error printing is replaced (per
 * thread in the thread-safe library) by a handler that remembers the innermost message of the
 * last failed library call, so later cleanup calls cannot lose it. */
typedef struct mlps_hdf5_quiet {
    H5E_auto2_t function;
    void *data;
    char last_error[256];
} mlps_hdf5_quiet;
void mlps_hdf5_quiet_begin(mlps_hdf5_quiet *quiet);
void mlps_hdf5_quiet_end(const mlps_hdf5_quiet *quiet);

/* Records a run failure "<what>: <the last library error remembered by quiet>". */
int mlps_hdf5_fail(const mlps_hdf5_quiet *quiet, mlps_error *err, int code, const char *what);

/* What the driver reads through; a read error of the source stays in err and rc. */
typedef struct mlps_hdf5_source {
    const mlps_source *source;
    mlps_error *err;
    int rc;
    const mlps_hdf5_quiet *quiet; /* where library errors are remembered */
} mlps_hdf5_source;

/* Opens the file read-only; returns a file id or a negative value with err set (a source
 * error as the source reported it, otherwise the library's message naming the file). */
hid_t mlps_hdf5_open_source(mlps_hdf5_source *context);

#endif
