/* Operations shared by the POSIX-file backends, file:// (posix.c) and direct:// (direct.c): they
 * differ only in open flags, alignment and request checks, so both tables point here
 * (posix_common.c for files, posix_dir.c for directories). */
#ifndef MLPS_IO_POSIX_COMMON_H
#define MLPS_IO_POSIX_COMMON_H

#include "io/backend.h"

typedef struct mlps_posix_file {
    mlps_file base;
    int fd;
    char *location;           /* what fd is: for an atomic write, its temporary */
    char *published_location; /* an atomic write's name, where close renames location */
    bool remove_on_abort;     /* this open created or truncated the file */
    uint64_t dropped_below;   /* write-behind: bytes before this are on storage, out of the cache */
} mlps_posix_file;

int mlps_posix_file_fd(const mlps_file *file);

/* open(2) flags for MLPS_OPEN_* flags, without O_CREAT or O_TRUNC, plus extra. */
int mlps_posix_open_flags(int flags, int extra);
/* Creates location with O_EXCL (and its missing parents); fd or -errno (-EEXIST when it exists).
 * A file the kernel created but then refused (-EINVAL: O_DIRECT) is removed again. */
int mlps_posix_create_exclusive(const char *location, int oflags);

/* posix_atomic.c: an atomic write's temporary beside location. Sets *temporary (malloc'd);
 * returns fd or -errno. */
int mlps_posix_create_temporary(mlps_store *store, const char *location, int flags, int extra,
                                char **temporary);
/* Renames the closed, flushed temporary over its name and, when sync, flushes the directory
 * entry too. A temporary that cannot be renamed is removed. */
int mlps_posix_publish(mlps_posix_file *file, bool sync, mlps_error *err);
/* Removes a temporary (NULL is fine), warning when it cannot. */
void mlps_posix_discard_temporary(const char *temporary);

int mlps_posix_store_open(mlps_store *store, mlps_error *err);
/* Opens with the extra open(2) flags given (O_DIRECT); returns -errno with a message. */
int mlps_posix_file_open_with(mlps_store *store, const mlps_path *path, int flags, int extra,
                              mlps_file **out, mlps_error *err);
int mlps_posix_file_open(mlps_store *store, const mlps_path *path, int flags, mlps_file **out,
                         mlps_error *err);
int mlps_posix_file_close(mlps_file *file, mlps_error *err);
void mlps_posix_file_abort(mlps_file *file);
int mlps_posix_file_truncate(mlps_file *file, uint64_t size, mlps_error *err);
void mlps_posix_execute(mlps_io_req *req);
/* posix_writeback.c: mlps_file_write_behind and mlps_file_read_behind for file:// (direct://
 * has no page cache). */
void mlps_posix_file_write_behind(mlps_file *file, uint64_t offset, uint64_t len,
                                  uint64_t window);
void mlps_posix_file_read_behind(mlps_file *file, uint64_t offset, uint64_t len);
int mlps_posix_ioq_init(mlps_ioq *q, mlps_error *err);
/* mkdir -p; 0 or -errno. */
int mlps_posix_make_directories(const char *location);
int mlps_posix_stat(mlps_store *store, const mlps_path *path, mlps_stat *out, mlps_error *err);
int mlps_posix_list(mlps_store *store, const mlps_path *path, mlps_list_visitor visit, void *arg,
                    mlps_error *err);
int mlps_posix_remove(mlps_store *store, const mlps_path *path, mlps_error *err);
int mlps_posix_mkdirs(mlps_store *store, const mlps_path *path, mlps_error *err);

#endif
