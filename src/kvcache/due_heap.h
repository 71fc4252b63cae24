/* A min-heap of (due time, user) pairs: the synthetic source's replacement for the reference's
 * one sleeping thread per user. The earliest due user is popped, issues its request and is
 * pushed back at its next due time. Ties go to the pair pushed first, so the order is a pure
 * function of the pushes and runs reproduce. */
#ifndef MLPS_KVCACHE_DUE_HEAP_H
#define MLPS_KVCACHE_DUE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mlps_kv_due {
    uint64_t due_ns;
    uint64_t order; /* push sequence number: breaks ties */
    int user;
} mlps_kv_due;

typedef struct mlps_kv_due_heap {
    mlps_kv_due *items;
    size_t count, capacity;
    uint64_t pushes;
} mlps_kv_due_heap;

void mlps_kv_due_heap_init(mlps_kv_due_heap *h);
void mlps_kv_due_heap_free(mlps_kv_due_heap *h);
/* Returns 0 or -ENOMEM. */
int mlps_kv_due_heap_push(mlps_kv_due_heap *h, uint64_t due_ns, int user);
/* False when empty. */
bool mlps_kv_due_heap_pop(mlps_kv_due_heap *h, mlps_kv_due *out);

#endif
