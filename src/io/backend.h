/* Inside the storage layer: the operations table every backend fills (one file per backend,
 * registered in registry.c), the engine table behind a queue, and the handle layouts the generic
 * layer (store.c, ioq.c, file_io.c) shares with them. Not for use outside src/io/. */
#ifndef MLPS_IO_BACKEND_H
#define MLPS_IO_BACKEND_H

#include <stdatomic.h>

#include "io/store.h"

/* One name inside a store, resolved for the backend (location) and for messages (uri). */
typedef struct mlps_path {
    char *location; /* e.g. "/data/mlps/a/b" */
    char *uri;      /* e.g. "file:///data/mlps/a/b" */
} mlps_path;

typedef struct mlps_backend {
    const char *scheme;
    bool needs_absolute_path; /* its URIs must be scheme:///abs/path */

    int (*store_open)(mlps_store *store, mlps_error *err);
    void (*store_close)(mlps_store *store);

    /* Allocates the backend's file struct (mlps_file first) and fills base with
     * mlps_file_init_base; the generic layer frees it after file_close or file_abort. */
    int (*file_open)(mlps_store *store, const mlps_path *path, int flags, mlps_file **out,
                     mlps_error *err);
    /* Optional: opens for reading with the size given rather than asked for; without it,
     * mlps_file_open_sized calls file_open. */
    int (*file_open_sized)(mlps_store *store, const mlps_path *path, int flags, uint64_t size,
                           mlps_file **out, mlps_error *err);
    int (*file_close)(mlps_file *file, mlps_error *err);
    void (*file_abort)(mlps_file *file);
    int (*file_truncate)(mlps_file *file, uint64_t size, mlps_error *err);
    /* Optional (stores with a page cache): mlps_file_write_behind. */
    void (*file_write_behind)(mlps_file *file, uint64_t offset, uint64_t len, uint64_t window);
    /* Optional (stores with a page cache): mlps_file_read_behind. */
    void (*file_read_behind)(mlps_file *file, uint64_t offset, uint64_t len);

    /* Optional: copies into out the backend's own message for the first request on the file
     * that failed (naming the object and the cause, e.g. S3's error code or a TLS refusal) and
     * returns true; false when it has none. mlps_io_req_fail reports it instead of strerror. */
    bool (*file_failure)(mlps_file *file, char *out, size_t size);
    /* Optional backend-specific request checks, run before anything is submitted. */
    int (*check_request)(const mlps_io_req *req, mlps_error *err);
    /* Performs one request synchronously to the end (full, error or end of file) and sets
     * req->result. The synchronous engine and helpers run on it. */
    void (*execute)(mlps_io_req *req);
    /* Chooses and initialises the queue's engine. */
    int (*ioq_init)(mlps_ioq *q, mlps_error *err);

    int (*stat)(mlps_store *store, const mlps_path *path, mlps_stat *out, mlps_error *err);
    int (*list)(mlps_store *store, const mlps_path *path, mlps_list_visitor visit, void *arg,
                mlps_error *err);
    int (*remove)(mlps_store *store, const mlps_path *path, mlps_error *err);
    /* Optional: removes count (at most MLPS_STORE_REMOVE_BATCH) files at once, as
     * mlps_store_remove_many; without it the generic layer calls remove for each. */
    int (*remove_many)(mlps_store *store, const mlps_path *paths, size_t count,
                       uint64_t *removed, mlps_error *err);
    int (*mkdirs)(mlps_store *store, const mlps_path *path, mlps_error *err);
} mlps_backend;

/* How a queue moves requests. Engines stamp complete_ns and fill result; the generic layer does
 * validation, submit_ns, the in-flight count and file sizes. */
typedef struct mlps_engine {
    const char *name;
    int (*submit)(mlps_ioq *q, mlps_io_req *const *reqs, unsigned n, mlps_error *err);
    int (*reap)(mlps_ioq *q, mlps_io_req **done, unsigned max, unsigned min_wait,
                mlps_error *err);
    void (*destroy)(mlps_ioq *q);
} mlps_engine;

struct mlps_store {
    const mlps_backend *backend;
    char *uri;  /* canonical root URI */
    char *root; /* the backend's location of the root */
    size_t alignment;
    mlps_store_options options;
    atomic_bool warned_engine_fallback;
    _Atomic uint64_t partial_sequence; /* numbers the temporaries of atomic writes */
    void *impl; /* the backend's own state */
};

struct mlps_file {
    mlps_store *store;
    int flags;
    char *uri;
    _Atomic uint64_t size;
};

struct mlps_ioq {
    mlps_store *store;
    unsigned depth;
    unsigned inflight;
    const mlps_engine *engine;
    void *engine_state;
};

/* registry.c */
const mlps_backend *mlps_backend_find(const char *scheme, size_t scheme_len);
/* "file://, direct://, null://" */
void mlps_backend_list_schemes(char *out, size_t size);

/* uri.c: splits a URI (or bare path) into its backend and root location. */
int mlps_uri_parse(const char *uri, const mlps_backend **backend, char **root, char **canonical,
                   mlps_error *err);
int mlps_path_resolve(const mlps_store *store, const char *relative, mlps_path *out,
                      mlps_error *err);
void mlps_path_free(mlps_path *path);

/* store.c */
int mlps_file_init_base(mlps_file *file, mlps_store *store, int flags, const mlps_path *path,
                        uint64_t size, mlps_error *err);
/* Frees a file's base and the backend struct around it (a backend whose open fails late). */
void mlps_file_free(mlps_file *file);

/* partial.c: the name of an atomic write's temporary, in the same directory as location
 * (".<name>.mlps-partial.<pid>.<sequence>", the name cut short to fit NAME_MAX). Returns a
 * malloc'd string or NULL when out of memory. */
char *mlps_partial_location(const char *location, long pid, uint64_t sequence);

/* ioq.c: what the queue and the synchronous helpers share. */
int mlps_io_req_check(const mlps_store *store, mlps_io_req *req, mlps_error *err);
void mlps_io_req_account(mlps_io_req *req);

/* Engines (uring.c, sync_engine.c). */
int mlps_uring_engine_init(mlps_ioq *q, mlps_error *err);
int mlps_sync_engine_init(mlps_ioq *q, mlps_error *err);

/* The largest transfer handed to the kernel at once; the kernel caps one call near 2 GiB and the
 * rest is resubmitted as a partial transfer. */
#define MLPS_IO_MAX_CHUNK (1u << 30)

/* io_uring rings hold at most 32768 entries; deeper queues gain nothing for storage. */
#define MLPS_IOQ_MAX_DEPTH 4096u

#endif
