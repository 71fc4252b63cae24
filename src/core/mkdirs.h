/* Creating directory trees (mkdir -p) with errors that say which component failed and why,
 * and undoing what a failed multi-step creation made, so an aborted run leaves no empty
 * results directories behind. */
#ifndef MLPS_CORE_MKDIRS_H
#define MLPS_CORE_MKDIRS_H

#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

/* Creates path and any missing parents. Existing directories are fine; an existing
 * non-directory is ENOTDIR. On failure the directories this call created are removed again
 * and the message names the component that could not be made, e.g.
 * "cannot create directory /r/a/b: /r/a exists and is not a directory (ENOTDIR)". */
int mlps_mkdirs(const char *path, mode_t mode, mlps_error *err);

/* As mlps_mkdirs, and on success stores in first_created the shallowest directory this call
 * created ("" when all existed), so a later failure can be undone with
 * mlps_remove_created_dirs. */
int mlps_mkdirs_tracked(const char *path, mode_t mode, char *first_created, size_t size,
                        mlps_error *err);

/* Removes path and its ancestors up to and including first_created, stopping at the first
 * that is not empty. Does nothing when first_created is "" or not an ancestor of path. */
void mlps_remove_created_dirs(const char *path, const char *first_created);

#endif
