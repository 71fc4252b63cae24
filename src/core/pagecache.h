/* Keeping the page cache out of measurements: reads must come from storage, not from pages
 * a previous phase (data generation, a checkpoint save) left in memory. The host-wide drop
 * needs privileges that containers and shared machines often withhold, so benchmarks fall
 * back to dropping each file's pages (or to O_DIRECT), and the residency check lets tests
 * and runs verify that a drop worked. */
#ifndef MLPS_CORE_PAGECACHE_H
#define MLPS_CORE_PAGECACHE_H

#include "core/error.h"

/* Writes back path's dirty pages (fdatasync) and asks the kernel to drop its cached pages
 * (posix_fadvise DONTNEED over the whole file). tmpfs keeps its pages: there they are the
 * data. */
int mlps_drop_file_cache(const char *path, mlps_error *err);

/* sync(), then "3" into /proc/sys/vm/drop_caches (page cache, dentries and inodes). When the
 * kernel refuses (EACCES, EPERM, EROFS: no privilege, read-only /proc/sys in a container)
 * the error says the host-wide drop was refused and that per-file drops are used instead. */
int mlps_drop_host_cache(mlps_error *err);

/* The fraction (0..1) of path's pages resident in the page cache, by mincore over a
 * read-only mapping; 0 for an empty file. */
int mlps_file_cached_fraction(const char *path, double *fraction, mlps_error *err);

#endif
