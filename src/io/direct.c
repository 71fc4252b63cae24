/* direct://: POSIX files opened with O_DIRECT, bypassing the page cache. It shares everything
 * with file:// except three things: the open flag, the alignment every request must respect
 * (checked here before submission, so the kernel's bare EINVAL never reaches a user), and a clear
 * refusal when the filesystem does not do O_DIRECT. No silent fallback: the caller decides. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "io/posix_common.h"

#define DEFAULT_DIRECT_ALIGNMENT 4096

/* statx reports O_DIRECT alignment for regular files and block devices, not directories. */
static size_t alignment_of(const char *location)
{
    struct statx sx;
    if (statx(AT_FDCWD, location, 0, STATX_DIOALIGN, &sx) < 0 || !(sx.stx_mask & STATX_DIOALIGN) ||
        sx.stx_dio_offset_align == 0)
        return DEFAULT_DIRECT_ALIGNMENT;
    size_t memory = sx.stx_dio_mem_align, offset = sx.stx_dio_offset_align;
    return memory > offset ? memory : offset;
}

static int direct_store_open(mlps_store *store, mlps_error *err)
{
    (void)err;
    store->alignment = alignment_of(store->root);
    return 0;
}

typedef struct fs_name {
    unsigned long magic;
    const char *name;
} fs_name;

static const fs_name known_filesystems[] = {
    {0x01021994, "tmpfs"},    {0x858458f6, "ramfs"},   {0x9fa0, "proc"},
    {0x62656572, "sysfs"},    {0xef53, "ext2/3/4"},    {0x58465342, "xfs"},
    {0x9123683e, "btrfs"},    {0x6969, "nfs"},         {0x794c7630, "overlayfs"},
    {0x65735546, "fuse"},     {0x2fc12fc1, "zfs"},     {0xff534d42, "cifs"},
    {0xfe534d42, "smb2"},     {0x00c36400, "ceph"},    {0x0bd00bd0, "lustre"},
    {0x47504653, "gpfs"},     {0x01021997, "9p"},      {0x73717368, "squashfs"},
    {0xf2f52010, "f2fs"},     {0x4d44, "vfat"},        {0x63677270, "cgroup2"},
};

/* The filesystem holding location (or its parent, when location does not exist). */
static void filesystem_name(const char *location, char *out, size_t size)
{
    struct statfs st;
    int rc = statfs(location, &st);
    if (rc < 0) {
        char *parent = strdup(location);
        char *slash = parent ? strrchr(parent, '/') : NULL;
        if (slash)
            *(slash == parent ? slash + 1 : slash) = '\0';
        rc = parent ? statfs(parent, &st) : -1;
        free(parent);
    }
    if (rc < 0) {
        snprintf(out, size, "unknown");
        return;
    }
    for (size_t i = 0; i < sizeof known_filesystems / sizeof known_filesystems[0]; i++)
        if ((unsigned long)st.f_type == known_filesystems[i].magic) {
            snprintf(out, size, "%s", known_filesystems[i].name);
            return;
        }
    snprintf(out, size, "type 0x%lx", (unsigned long)st.f_type);
}

static int direct_file_open(mlps_store *store, const mlps_path *path, int flags, mlps_file **out,
                            mlps_error *err)
{
    int rc = mlps_posix_file_open_with(store, path, flags, O_DIRECT, out, err);
    if (rc != -EINVAL)
        return rc;
    char fs[64];
    filesystem_name(path->location, fs, sizeof fs);
    return mlps_fail(err, rc,
                     "%s: the filesystem (%s) does not support O_DIRECT; use file:// instead",
                     path->uri, fs);
}

static int misaligned(const mlps_io_req *req, const char *what, unsigned long long value,
                      bool hex, mlps_error *err)
{
    char shown[32];
    snprintf(shown, sizeof shown, hex ? "0x%llx" : "%llu", value);
    return mlps_fail(err, -EINVAL,
                     "%s %s at offset %llu: %s %s is not a multiple of the O_DIRECT alignment %zu "
                     "(buffer address, offset and length must all be)",
                     mlps_io_op_name(req->op), req->file->uri, (unsigned long long)req->offset,
                     what, shown, req->file->store->alignment);
}

static int direct_check_request(const mlps_io_req *req, mlps_error *err)
{
    size_t alignment = req->file->store->alignment;
    if ((uintptr_t)req->buf % alignment)
        return misaligned(req, "buffer address", (uintptr_t)req->buf, true, err);
    if (req->offset % alignment)
        return misaligned(req, "offset", req->offset, false, err);
    if (req->len % alignment)
        return misaligned(req, "length", req->len, false, err);
    return 0;
}

const mlps_backend mlps_backend_direct = {
    .scheme = "direct",
    .needs_absolute_path = true,
    .store_open = direct_store_open,
    .file_open = direct_file_open,
    .file_close = mlps_posix_file_close,
    .file_abort = mlps_posix_file_abort,
    .file_truncate = mlps_posix_file_truncate,
    .check_request = direct_check_request,
    .execute = mlps_posix_execute,
    .ioq_init = mlps_posix_ioq_init,
    .stat = mlps_posix_stat,
    .list = mlps_posix_list,
    .remove = mlps_posix_remove,
    .mkdirs = mlps_posix_mkdirs,
};
