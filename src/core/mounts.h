/* The mount table: which file system (device, type, options) holds a path. Benchmarks record
 * it for their data and checkpoint directories, and the page cache logic asks it whether a
 * directory is on tmpfs, where dropping cached pages would drop the data itself. */
#ifndef MLPS_CORE_MOUNTS_H
#define MLPS_CORE_MOUNTS_H

#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

/* One mounted file system; strings are malloc'd and octal escapes ("\040" for a space) are
 * already decoded. */
typedef struct mlps_mount {
    char *device;
    char *mount_point;
    char *fstype;
    char *options;
} mlps_mount;

void mlps_mount_clear(mlps_mount *mount);
void mlps_mounts_free(mlps_mount *mounts, size_t count);

/* /proc/mounts (fstab format: device mount_point fstype options dump pass). Lines with fewer
 * than four fields are skipped. */
int mlps_parse_mounts(const char *text, mlps_mount **mounts, size_t *count, mlps_error *err);
/* /proc/self/mountinfo; options joins the per-mount and the super block options. */
int mlps_parse_mountinfo(const char *text, mlps_mount **mounts, size_t *count,
                         mlps_error *err);
/* The calling process's table: /proc/self/mountinfo, else /proc/mounts. */
int mlps_read_mounts(mlps_mount **mounts, size_t *count, mlps_error *err);

/* Index of the mount whose mount point is the longest whole-component prefix of
 * resolved_path (an absolute path without symlinks); among equal mount points the later one
 * (mounted on top) wins. -1 when none matches. */
ssize_t mlps_mount_containing(const mlps_mount *mounts, size_t count, const char *resolved_path);

/* Resolves path (or, when it does not exist yet, its nearest existing ancestor) to an
 * absolute path without symlinks; out must hold PATH_MAX bytes. */
int mlps_resolve_existing_ancestor(const char *path, char *out, mlps_error *err);

/* The file system holding path, or the one that would hold it once created. Fill out is
 * owned by the caller (mlps_mount_clear). */
int mlps_sysinfo_filesystem_of(const char *path, mlps_mount *out, mlps_error *err);

#endif
