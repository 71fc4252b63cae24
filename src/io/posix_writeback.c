/* Write-behind and read-behind for buffered POSIX files (file://).
 *
 * Write-behind: a range just written is handed to the kernel's
 * writeback at once (sync_file_range WRITE), and the part of the file a window behind it is
 * waited for and dropped from the page cache (WAIT + POSIX_FADV_DONTNEED). The reference's
 * streaming writer intends the same with a DONTNEED after each write, which starts writeback but
 * cannot drop pages still being written; waiting a window behind bounds the cache for real.
 * Without it a buffered checkpoint first fills the page cache while the storage idles, then
 * waits for all of it at the fsync, and the host's memory copy is what gets measured. */
#include <fcntl.h>

#include "io/posix_common.h"

#define PAGE_BYTES 4096u

static uint64_t page_floor(uint64_t bytes) { return bytes / PAGE_BYTES * PAGE_BYTES; }

void mlps_posix_file_write_behind(mlps_file *base, uint64_t offset, uint64_t len, uint64_t window)
{
    mlps_posix_file *file = (mlps_posix_file *)base;
    /* Advisory all through: an error here comes back from the fsync that closes the file. */
    (void)sync_file_range(file->fd, (off_t)offset, (off_t)len, SYNC_FILE_RANGE_WRITE);
    uint64_t end = offset + len;
    if (end <= window)
        return;
    uint64_t below = page_floor(end - window);
    if (below <= file->dropped_below)
        return;
    off_t from = (off_t)file->dropped_below, count = (off_t)(below - file->dropped_below);
    (void)sync_file_range(file->fd, from, count,
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                              SYNC_FILE_RANGE_WAIT_AFTER);
    (void)posix_fadvise(file->fd, from, count, POSIX_FADV_DONTNEED);
    file->dropped_below = below;
}

/* Read-behind: the reference's reader advises DONTNEED after each piece it has read, likewise. */
void mlps_posix_file_read_behind(mlps_file *base, uint64_t offset, uint64_t len)
{
    mlps_posix_file *file = (mlps_posix_file *)base;
    (void)posix_fadvise(file->fd, (off_t)offset, (off_t)len, POSIX_FADV_DONTNEED);
}
