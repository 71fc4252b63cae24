/* file://: buffered POSIX files through the page cache. Everything is shared with direct://
 * (posix_common.c); this table is what makes it the buffered one. */
#include "io/posix_common.h"

const mlps_backend mlps_backend_file = {
    .scheme = "file",
    .needs_absolute_path = true,
    .store_open = mlps_posix_store_open,
    .file_open = mlps_posix_file_open,
    .file_close = mlps_posix_file_close,
    .file_abort = mlps_posix_file_abort,
    .file_truncate = mlps_posix_file_truncate,
    .file_write_behind = mlps_posix_file_write_behind,
    .file_read_behind = mlps_posix_file_read_behind,
    .execute = mlps_posix_execute,
    .ioq_init = mlps_posix_ioq_init,
    .stat = mlps_posix_stat,
    .list = mlps_posix_list,
    .remove = mlps_posix_remove,
    .mkdirs = mlps_posix_mkdirs,
};
