/* The buffer pool: one aligned allocation cut into equal buffers, and a stack of free ones
 * guarded by a mutex, with a condition variable for callers that wait. */
#include "io/bufpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/log.h"

#define DEFAULT_BUFFER_ALIGNMENT 4096

struct mlps_bufpool {
    char *memory;
    size_t buffer_size; /* requested */
    size_t stride;      /* rounded up to the alignment */
    size_t alignment;
    unsigned count;
    void **free_stack;
    bool *in_use; /* per buffer, to catch a double put */
    unsigned free_count;
    pthread_mutex_t lock;
    pthread_cond_t returned;
};

static bool is_power_of_two(size_t n) { return n && (n & (n - 1)) == 0; }

static void free_pool(mlps_bufpool *pool)
{
    free(pool->memory);
    free(pool->free_stack);
    free(pool->in_use);
    free(pool);
}

int mlps_bufpool_create(size_t buffer_size, unsigned count, size_t alignment, mlps_bufpool **out,
                        mlps_error *err)
{
    *out = NULL;
    if (alignment <= 1)
        alignment = DEFAULT_BUFFER_ALIGNMENT; /* page-aligned suits buffered I/O as well */
    if (!is_power_of_two(alignment))
        return mlps_fail_usage(err, -EINVAL, "buffer pool: alignment %zu must be a power of two",
                               alignment);
    if (alignment < sizeof(void *))
        alignment = sizeof(void *); /* posix_memalign's minimum */
    if (buffer_size == 0 || count == 0)
        return mlps_fail_usage(err, -EINVAL,
                               "buffer pool: buffer size (%zu) and count (%u) must be positive",
                               buffer_size, count);
    mlps_bufpool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return mlps_fail(err, -ENOMEM, "buffer pool: out of memory");
    pool->buffer_size = buffer_size;
    pool->alignment = alignment;
    pool->stride = (buffer_size + alignment - 1) / alignment * alignment;
    pool->count = count;
    void *memory = NULL;
    if (pool->stride > SIZE_MAX / count ||
        posix_memalign(&memory, alignment, pool->stride * count) != 0 ||
        !(pool->free_stack = calloc(count, sizeof *pool->free_stack)) ||
        !(pool->in_use = calloc(count, sizeof *pool->in_use))) {
        pool->memory = memory;
        free_pool(pool);
        return mlps_fail(err, -ENOMEM, "buffer pool: cannot allocate %u buffers of %zu bytes",
                         count, buffer_size);
    }
    pool->memory = memory;
    for (unsigned i = 0; i < count; i++)
        pool->free_stack[i] = pool->memory + (size_t)(count - 1 - i) * pool->stride;
    pool->free_count = count;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->returned, NULL);
    *out = pool;
    return 0;
}

void mlps_bufpool_destroy(mlps_bufpool *pool)
{
    if (!pool)
        return;
    if (pool->free_count != pool->count)
        mlps_warn("buffer pool destroyed with %u of %u buffers still in use",
                  pool->count - pool->free_count, pool->count);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->returned);
    free_pool(pool);
}

/* The index of buf in the pool, or count when buf is not one of its buffers. */
static unsigned index_of(const mlps_bufpool *pool, const void *buf)
{
    const char *p = buf;
    if (p < pool->memory || p >= pool->memory + pool->stride * pool->count ||
        (size_t)(p - pool->memory) % pool->stride != 0)
        return pool->count;
    return (unsigned)((size_t)(p - pool->memory) / pool->stride);
}

/* Takes the top of the free stack; the lock is held. */
static void *pop_free(mlps_bufpool *pool)
{
    void *buf = pool->free_stack[--pool->free_count];
    pool->in_use[index_of(pool, buf)] = true;
    return buf;
}

void *mlps_bufpool_get(mlps_bufpool *pool)
{
    pthread_mutex_lock(&pool->lock);
    while (pool->free_count == 0)
        pthread_cond_wait(&pool->returned, &pool->lock);
    void *buf = pop_free(pool);
    pthread_mutex_unlock(&pool->lock);
    return buf;
}

void *mlps_bufpool_try_get(mlps_bufpool *pool)
{
    pthread_mutex_lock(&pool->lock);
    void *buf = pool->free_count ? pop_free(pool) : NULL;
    pthread_mutex_unlock(&pool->lock);
    return buf;
}

void mlps_bufpool_put(mlps_bufpool *pool, void *buf)
{
    pthread_mutex_lock(&pool->lock);
    unsigned index = index_of(pool, buf);
    if (index == pool->count || !pool->in_use[index]) {
        pthread_mutex_unlock(&pool->lock);
        mlps_error_log("buffer pool: %p is not a buffer of this pool in use; aborting", buf);
        abort();
    }
    pool->in_use[index] = false;
    pool->free_stack[pool->free_count++] = buf;
    pthread_cond_signal(&pool->returned);
    pthread_mutex_unlock(&pool->lock);
}

size_t mlps_bufpool_buffer_size(const mlps_bufpool *pool) { return pool->buffer_size; }
size_t mlps_bufpool_alignment(const mlps_bufpool *pool) { return pool->alignment; }
unsigned mlps_bufpool_count(const mlps_bufpool *pool) { return pool->count; }

unsigned mlps_bufpool_available(mlps_bufpool *pool)
{
    pthread_mutex_lock(&pool->lock);
    unsigned available = pool->free_count;
    pthread_mutex_unlock(&pool->lock);
    return available;
}

uint64_t mlps_bufpool_total_bytes(const mlps_bufpool *pool)
{
    return (uint64_t)pool->stride * pool->count;
}
