/* The binary min-heap behind the synthetic users' schedule (see due_heap.h). */
#include "kvcache/due_heap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void mlps_kv_due_heap_init(mlps_kv_due_heap *h)
{
    memset(h, 0, sizeof *h);
}

void mlps_kv_due_heap_free(mlps_kv_due_heap *h)
{
    free(h->items);
    memset(h, 0, sizeof *h);
}

static bool earlier(const mlps_kv_due *a, const mlps_kv_due *b)
{
    return a->due_ns != b->due_ns ? a->due_ns < b->due_ns : a->order < b->order;
}

static void swap(mlps_kv_due *a, mlps_kv_due *b)
{
    mlps_kv_due t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(mlps_kv_due_heap *h, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&h->items[i], &h->items[parent]))
            return;
        swap(&h->items[i], &h->items[parent]);
        i = parent;
    }
}

static void sift_down(mlps_kv_due_heap *h, size_t i)
{
    for (;;) {
        size_t first = i, left = 2 * i + 1, right = left + 1;
        if (left < h->count && earlier(&h->items[left], &h->items[first]))
            first = left;
        if (right < h->count && earlier(&h->items[right], &h->items[first]))
            first = right;
        if (first == i)
            return;
        swap(&h->items[i], &h->items[first]);
        i = first;
    }
}

int mlps_kv_due_heap_push(mlps_kv_due_heap *h, uint64_t due_ns, int user)
{
    if (h->count == h->capacity) {
        size_t capacity = h->capacity ? 2 * h->capacity : 64;
        mlps_kv_due *items = realloc(h->items, capacity * sizeof *items);
        if (!items)
            return -ENOMEM;
        h->items = items;
        h->capacity = capacity;
    }
    h->items[h->count] = (mlps_kv_due){.due_ns = due_ns, .order = h->pushes++, .user = user};
    sift_up(h, h->count++);
    return 0;
}

bool mlps_kv_due_heap_pop(mlps_kv_due_heap *h, mlps_kv_due *out)
{
    if (h->count == 0)
        return false;
    *out = h->items[0];
    h->items[0] = h->items[--h->count];
    sift_down(h, 0);
    return true;
}
