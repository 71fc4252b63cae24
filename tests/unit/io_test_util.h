/* Shared helpers for the storage-layer tests: a private scratch directory on the real disk
 * under $MLPS_TEST_TMP, a deterministic byte pattern addressed by file offset (so any range can
 * be checked on its own), and a probe for whether a directory accepts O_DIRECT. */
#ifndef MLPS_TESTS_IO_TEST_UTIL_H
#define MLPS_TESTS_IO_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "io/store.h"

#define IO_TEST_TMPFS_MAGIC 0x01021994

static inline bool io_test_is_tmpfs(const char *path)
{
    struct statfs st;
    return statfs(path, &st) == 0 && (unsigned long)st.f_type == IO_TEST_TMPFS_MAGIC;
}

/* Creates <MLPS_TEST_TMP>/<name>-<pid> and writes its absolute path to out. */
static inline void io_test_make_dir(const char *name, char *out, size_t size)
{
    const char *base = getenv("MLPS_TEST_TMP");
    char cwd[1024];
    if (!base || !base[0])
        base = getcwd(cwd, sizeof cwd) ? cwd : ".";
    mkdir(base, 0755);
    if (io_test_is_tmpfs(base))
        fprintf(stderr, "note: %s is tmpfs; storage tests want the real disk\n", base);
    int written = snprintf(out, size, "%s/%s-%ld", base, name, (long)getpid());
    if (written < 0 || (size_t)written >= size) {
        fprintf(stderr, "test directory path too long under %s\n", base);
        abort();
    }
    mkdir(out, 0755);
}

static inline int io_test_remove_entry(const char *path, const struct stat *st, int type,
                                       struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

static inline void io_test_remove_tree(const char *path)
{
    nftw(path, io_test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* splitmix64: one well-mixed 64-bit word per index. */
static inline uint64_t io_test_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The byte a file written with seed holds at absolute position pos. */
static inline uint8_t io_test_byte(uint64_t seed, uint64_t pos)
{
    return (uint8_t)(io_test_mix(seed ^ (pos / 8)) >> (8 * (pos % 8)));
}

static inline void io_test_fill(void *buf, size_t len, uint64_t offset, uint64_t seed)
{
    uint8_t *bytes = buf;
    for (size_t i = 0; i < len; i++)
        bytes[i] = io_test_byte(seed, offset + i);
}

/* The first position where buf differs from the pattern, or len when it matches. */
static inline size_t io_test_mismatch(const void *buf, size_t len, uint64_t offset, uint64_t seed)
{
    const uint8_t *bytes = buf;
    for (size_t i = 0; i < len; i++)
        if (bytes[i] != io_test_byte(seed, offset + i))
            return i;
    return len;
}

/* Whether files in dir can be opened with O_DIRECT. */
static inline bool io_test_dir_takes_o_direct(const char *dir)
{
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/.o_direct_probe", dir);
    int fd = open(probe, O_CREAT | O_WRONLY | O_DIRECT, 0644);
    if (fd >= 0)
        close(fd);
    unlink(probe);
    return fd >= 0;
}

static inline void *io_test_aligned_alloc(size_t alignment, size_t size)
{
    void *p = NULL;
    return posix_memalign(&p, alignment, size) == 0 ? p : NULL;
}

/* The fixture of tests on one file:// store over a fresh scratch directory (io_test_make_dir):
 * cmocka setup and teardown call these with the directory's name. */
typedef struct io_test_store {
    char dir[1024];
    char uri[1200];
    mlps_store *store;
} io_test_store;

static inline int io_test_store_setup(void **state, const char *name)
{
    io_test_store *t = calloc(1, sizeof *t);
    *state = t;
    if (!t)
        return -1;
    io_test_make_dir(name, t->dir, sizeof t->dir);
    snprintf(t->uri, sizeof t->uri, "file://%s", t->dir);
    mlps_error err = {0};
    return mlps_store_open(t->uri, NULL, &t->store, &err) == 0 ? 0 : -1;
}

static inline int io_test_store_teardown(void **state)
{
    io_test_store *t = *state;
    if (t) {
        mlps_store_close(t->store);
        io_test_remove_tree(t->dir);
        free(t);
    }
    return 0;
}

#endif
