/* Synchronous whole-buffer reads and writes. They take the backend's direct path (execute)
 * rather than a queue, so any thread may call them on a shared file without owning a queue,
 * yet they pass the same checks (alignment for direct://) and keep file sizes the same way. */
#include <errno.h>

#include "io/backend.h"

static int transfer(mlps_file *file, int op, void *buf, size_t len, uint64_t offset,
                    mlps_error *err)
{
    mlps_io_req req = {.file = file, .op = op, .offset = offset, .buf = buf, .len = len};
    int rc = mlps_io_req_check(file->store, &req, err);
    if (rc < 0)
        return rc;
    file->store->backend->execute(&req);
    mlps_io_req_account(&req);
    if (req.result < 0)
        return mlps_io_req_fail(&req, err);
    if ((uint64_t)req.result < len)
        return mlps_fail(err, -ENODATA,
                         "%s %s at offset %llu: end of file after %lld of %zu bytes",
                         mlps_io_op_name(op), file->uri, (unsigned long long)offset,
                         (long long)req.result, len);
    return 0;
}

int mlps_file_pread_full(mlps_file *file, void *buf, size_t len, uint64_t offset, mlps_error *err)
{
    return transfer(file, MLPS_IO_READ, buf, len, offset, err);
}

int mlps_file_pwrite_full(mlps_file *file, const void *buf, size_t len, uint64_t offset,
                          mlps_error *err)
{
    /* execute() only reads from a write's buffer */
    return transfer(file, MLPS_IO_WRITE, (void *)buf, len, offset, err);
}
