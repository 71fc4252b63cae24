/* Storage layer interface. Every benchmark reads and writes through these calls and never knows
 * which backend runs: a URI picks one from the registry (registry.c), and the caller holds only
 * opaque handles.
 *
 *   file:///abs/path     buffered POSIX I/O
 *   direct:///abs/path   O_DIRECT: buffer address, offset and length must be multiples of
 *                        mlps_store_alignment(); misaligned requests are rejected before submission
 *   null://              moves no bytes (measures mlps's own ceiling)
 *   s3://bucket/prefix   objects in an S3-compatible store (s3.c; endpoints, region and
 *                        credentials from AWS_* and S3_* variables or a .env file, see
 *                        s3_config.c): writes must go front to back, and an
 *                        object opens for reading or for writing, not both
 *   /abs/path or rel/path  a bare path means file:// (a relative one is taken from the working dir)
 *
 * I/O is asynchronous: a per-thread queue (mlps_ioq) of a fixed depth takes requests and hands
 * them back when complete, each stamped with monotonic submit and completion times so every
 * operation can land in a latency histogram. file:// and direct:// run on io_uring, falling back
 * (with one warning per store) to a synchronous pread/pwrite engine when the kernel refuses
 * io_uring. mlps_file_pread_full/pwrite_full are synchronous conveniences over the same backends.
 *
 * Transfers: the queue completes a request only when all len bytes moved, an error occurred, or a
 * read reached end of file; partial transfers are resubmitted internally. So `result` is len,
 * -errno, or (reads only) the short count up to end of file.
 *
 * Writes: the portable contract (what object stores will support) is sequential, non-overlapping
 * writes in increasing offset order per file, made durable by mlps_file_close. The file backends
 * accept any offsets.
 *
 * Writing a file whose size is not a multiple of the alignment through direct://: write the last
 * block padded up to the alignment (pool buffers are whole blocks, see bufpool.h), then call
 * mlps_file_truncate(file, true_size) before mlps_file_close.
 *
 * Atomic publication (MLPS_OPEN_ATOMIC): a file written this way appears under its name only
 * once complete, so a crash or a failure never leaves a file there that looks finished. The file
 * backends write to a hidden temporary in the same directory, ".<name>.mlps-partial.<pid>.<n>",
 * which mlps_file_close renames over the name after the fsync (then fsyncs the directory) and
 * mlps_file_abort, or a failed close, removes. Listings skip such leftovers with
 * mlps_store_is_partial_name and mlps_store_remove_partials clears them before a resumed run.
 * Object stores need no temporary: a multipart upload becomes visible only when completed, so
 * they will publish atomically whatever the flag. null:// accepts the flag and has nothing to do.
 *
 * Thread safety: a store may be shared by threads for open/stat/list/remove/mkdirs; a file may be
 * used by several queues at once, and closed or aborted on any thread once no request is in
 * flight on it (closer.h closes finished files in the background); a queue belongs to one
 * thread. */
#ifndef MLPS_IO_STORE_H
#define MLPS_IO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct mlps_store mlps_store; /* a backend bound to a root URI */
typedef struct mlps_file mlps_file;   /* an open file or object */
typedef struct mlps_ioq mlps_ioq;     /* a per-thread submission/completion queue */

/* The size of something whose size is not known (null:// before anything was written). */
#define MLPS_SIZE_UNKNOWN UINT64_MAX

enum mlps_open_flags {
    MLPS_OPEN_READ = 1,
    MLPS_OPEN_WRITE = 2,
    MLPS_OPEN_CREATE = 4,   /* creates missing parent directories too, as object stores would */
    MLPS_OPEN_TRUNCATE = 8,
    /* Access-pattern hints (at most one): file:// tunes read-ahead with them, others ignore them. */
    MLPS_OPEN_SEQUENTIAL = 16,
    MLPS_OPEN_RANDOM = 32,
    /* Publish on close, never partly: needs WRITE and CREATE; the file always starts empty. */
    MLPS_OPEN_ATOMIC = 64,
};

enum mlps_io_op {
    MLPS_IO_READ = 1,
    MLPS_IO_WRITE = 2,
};

typedef enum mlps_io_engine {
    MLPS_ENGINE_AUTO = 0, /* io_uring where the backend has it, else the synchronous engine */
    MLPS_ENGINE_URING,    /* io_uring or fail */
    MLPS_ENGINE_SYNC,     /* pread/pwrite executed at submission */
} mlps_io_engine;

typedef struct mlps_store_options {
    bool skip_fsync;           /* mlps_file_close does not fsync written files */
    mlps_io_engine engine;     /* file:// and direct:// only */
    uint64_t null_object_size; /* null://: the size every path reports; 0 = take it from the first
                                  file written and closed, unknown until then */
    /* s3:// only: the workload's storage.storage_options, each taking precedence over its
     * variable (NULL or 0: from the environment or .env) */
    const char *s3_endpoint_url;  /* endpoint_url: one URI or a comma list */
    const char *s3_region;        /* region */
    int s3_force_path_style;      /* s3_force_path_style: 1 path, -1 virtual host, 0 unset */
    unsigned s3_max_attempts;     /* s3_max_attempts, 1..100 */
    unsigned s3_max_concurrency;  /* s3_max_concurrency: requests in flight per store */
    unsigned s3_parts_in_flight;  /* s3_parts_in_flight: part uploads per object written */
    /* The process's rank, which picks its endpoint among several (rank mod n); without it the
     * s3:// store takes the rank from the MPI launcher's variables. */
    bool has_rank;
    uint32_t rank;
    /* How many processes the run has (0: unknown; the s3:// store then asks the MPI launcher's
     * variables); the default number of part uploads in flight per object shrinks with it. */
    uint32_t ranks;
} mlps_store_options;

typedef struct mlps_io_req {
    mlps_file *file;
    int op; /* enum mlps_io_op */
    uint64_t offset;
    void *buf;
    size_t len;
    int64_t result;       /* set on completion: bytes transferred or -errno */
    uint64_t submit_ns;   /* monotonic, set by mlps_ioq_submit */
    uint64_t complete_ns; /* monotonic, set when the completion is observed */
    void *user;           /* the caller's tag, untouched */
} mlps_io_req;

typedef struct mlps_stat {
    uint64_t size; /* MLPS_SIZE_UNKNOWN when the backend cannot tell */
    bool is_dir;
} mlps_stat;

typedef struct mlps_entry {
    const char *name; /* one path component, relative to the listed directory */
    uint64_t size;    /* 0 for directories */
    bool is_dir;
} mlps_entry;

/* Returns 0 to go on; any other value stops the listing and becomes mlps_store_list's result. */
typedef int (*mlps_list_visitor)(const mlps_entry *entry, void *arg);

/* --- stores --- */

/* opts may be NULL for defaults. The root need not exist yet (writers create it). */
int mlps_store_open(const char *uri, const mlps_store_options *opts, mlps_store **out,
                    mlps_error *err);
void mlps_store_close(mlps_store *store);
const char *mlps_store_scheme(const mlps_store *store);
/* The canonical URI of the root, e.g. "file:///data/mlps". */
const char *mlps_store_uri(const mlps_store *store);
/* 1, or for direct:// the O_DIRECT alignment of the root (statx STATX_DIOALIGN when the root is an
 * existing file or device, else 4096). */
size_t mlps_store_alignment(const mlps_store *store);

/* Paths below are relative to the store's root ("" names the root itself, so a store may be
 * opened on a single file). */
int mlps_store_stat(mlps_store *store, const char *path, mlps_stat *out, mlps_error *err);
/* Lists the entries directly inside directory `path`, not recursively (an object store lists a
 * prefix with a '/' delimiter the same way), in no particular order. Visiting a listing never
 * allocates in proportion to its length. */
int mlps_store_list(mlps_store *store, const char *path, mlps_list_visitor visit, void *arg,
                    mlps_error *err);
/* Removes a file or an empty directory. */
int mlps_store_remove(mlps_store *store, const char *path, mlps_error *err);
/* Removes count files (not directories) and adds to *removed (may be NULL) how many went. A
 * missing file is not an error and does not count, except on an object store, whose delete of
 * a key that does not exist succeeds like any other (S3 cannot tell them apart), so it counts.
 * s3:// removes up to 1000 keys per DeleteObjects request; other backends remove one at a time.
 * The first failure stops the call and names the path: the files before it (and on s3://
 * the rest of its batch) may be gone. */
int mlps_store_remove_many(mlps_store *store, const char *const *paths, size_t count,
                           uint64_t *removed, mlps_error *err);
/* How many paths mlps_store_remove_many hands a backend at once: S3's limit for one
 * DeleteObjects request, so callers that gather removals gather this many. */
#define MLPS_STORE_REMOVE_BATCH 1000u
/* Creates a directory and its missing parents; an existing directory is fine. */
int mlps_store_mkdirs(mlps_store *store, const char *path, mlps_error *err);

/* Whether name (a listing entry, or the last component of a path) is the temporary of an atomic
 * write, finished or abandoned: listings of datasets must skip it. */
bool mlps_store_is_partial_name(const char *name);
/* Removes the temporaries of atomic writes directly inside directory `path` (not recursively)
 * and adds their number to *removed (may be NULL). Only for directories nobody is writing into
 * at the time: a temporary being written looks the same as an abandoned one. A missing directory
 * holds none. */
int mlps_store_remove_partials(mlps_store *store, const char *path, uint64_t *removed,
                               mlps_error *err);

/* --- files --- */

int mlps_file_open(mlps_store *store, const char *path, int flags, mlps_file **out,
                   mlps_error *err);
/* Opens for reading (flags with MLPS_OPEN_READ, without WRITE) a file whose size the caller
 * already knows, from a listing, a stat or its plan, so a backend that would have to ask for it
 * does not: on s3:// the first ranged GET is then the only request (no HEAD). The size is
 * taken as mlps_file_size's; if the object is in fact shorter, reads past its end come back
 * short as at any end of file, so a caller that relies on the size checks its reads. Backends
 * that learn the size for free (file://, direct://, null://) ignore it. */
int mlps_file_open_sized(mlps_store *store, const char *path, int flags, uint64_t size,
                         mlps_file **out, mlps_error *err);
/* Finishes and frees the file. Written files are made durable (fsync, unless skip_fsync) and an
 * atomic one is published under its name. No request may still be in flight on it. */
int mlps_file_close(mlps_file *file, mlps_error *err);
/* Discards a partial write and frees the file: no fsync, and a file this open created or
 * truncated is removed (an atomic write's temporary; the name keeps what it held). */
void mlps_file_abort(mlps_file *file);
/* The size at open, grown by completed writes and set by mlps_file_truncate. */
uint64_t mlps_file_size(const mlps_file *file);
const char *mlps_file_uri(const mlps_file *file);
int mlps_file_truncate(mlps_file *file, uint64_t size, mlps_error *err);
/* Write-behind, for a file written front to back through a page cache (file://): call it after
 * each completed write of [offset, offset + len). That range starts going to storage at once
 * rather than at the fsync, and whatever lies more than `window` bytes before the range's end
 * is waited for and dropped from the cache, so a file of any size holds about `window` bytes of
 * page cache while it is written and the storage is busy from the first write on. Best effort:
 * a failed writeback is the fsync's to report. Stores without a page cache ignore it. */
void mlps_file_write_behind(mlps_file *file, uint64_t offset, uint64_t len, uint64_t window);
/* Read-behind: after a read of [offset, offset + len) that will not be needed again, drops those
 * pages from the page cache (file://), so a file read once leaves nothing cached behind it and
 * the next reads reuse the same memory. Best effort; stores without a page cache ignore it. */
void mlps_file_read_behind(mlps_file *file, uint64_t offset, uint64_t len);

/* --- asynchronous I/O --- */

int mlps_ioq_create(mlps_store *store, unsigned depth, mlps_ioq **out, mlps_error *err);
/* Waits for requests still in flight, then frees the queue. */
void mlps_ioq_destroy(mlps_ioq *q);
/* Submits n requests (n <= depth - inflight) on files of the queue's store. All are checked first;
 * if any is invalid, none is submitted. The requests belong to the queue until reaped. */
int mlps_ioq_submit(mlps_ioq *q, mlps_io_req *const *reqs, unsigned n, mlps_error *err);
/* Collects up to max completed requests into done, waiting until at least min_wait (capped at the
 * number in flight) are available. Returns the count, or a negative code if the queue failed.
 * A request's own failure is in its result, see mlps_io_req_fail. */
int mlps_ioq_reap(mlps_ioq *q, mlps_io_req **done, unsigned max, unsigned min_wait,
                  mlps_error *err);
/* Submitted and not yet reaped. */
unsigned mlps_ioq_inflight(const mlps_ioq *q);
unsigned mlps_ioq_depth(const mlps_ioq *q);
/* "io_uring", "sync" or, for s3://, "s3-multi". */
const char *mlps_ioq_engine(const mlps_ioq *q);

/* Records a completed request's failure as "read file:///d/x at offset 4096: Input/output error"
 * and returns its result. */
int mlps_io_req_fail(const mlps_io_req *req, mlps_error *err);
const char *mlps_io_op_name(int op);

/* --- synchronous helpers --- */

/* Reads exactly len bytes; reaching end of file first is an error (-ENODATA). */
int mlps_file_pread_full(mlps_file *file, void *buf, size_t len, uint64_t offset, mlps_error *err);
int mlps_file_pwrite_full(mlps_file *file, const void *buf, size_t len, uint64_t offset,
                          mlps_error *err);

#endif
