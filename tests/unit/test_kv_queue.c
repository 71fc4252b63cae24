/* Tests for the KV-cache run's request queue: higher QoS priority first, enqueue order within a
 * priority, growth past the first allocation, timeouts, and closing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "kvcache/run_internal.h"

static void push(mlps_kv_queue *q, uint64_t id, int priority)
{
    mlps_kv_request r = {.id = id, .priority = priority};
    assert_int_equal(mlps_kv_queue_push(q, &r), 0);
}

static void priority_first_then_arrival_order(void **state)
{
    (void)state;
    mlps_kv_queue q;
    mlps_kv_queue_init(&q);
    push(&q, 1, 1);
    push(&q, 2, 3);
    push(&q, 3, 2);
    push(&q, 4, 3);
    push(&q, 5, 1);
    const uint64_t expected[] = {2, 4, 3, 1, 5};
    for (int i = 0; i < 5; i++) {
        mlps_kv_request r;
        assert_true(mlps_kv_queue_pop(&q, &r, 1000000));
        assert_int_equal(r.id, expected[i]);
    }
    mlps_kv_queue_destroy(&q);
}

static void many_requests_keep_the_order(void **state)
{
    (void)state;
    mlps_kv_queue q;
    mlps_kv_queue_init(&q);
    for (uint64_t i = 0; i < 3000; i++)
        push(&q, i, (int)(i % 3) + 1);
    assert_int_equal(mlps_kv_queue_length(&q), 3000);
    int last_priority = 4;
    uint64_t last_id = 0;
    for (int i = 0; i < 3000; i++) {
        mlps_kv_request r;
        assert_true(mlps_kv_queue_pop(&q, &r, 1000000));
        if (r.priority == last_priority)
            assert_true(r.id > last_id);
        else
            assert_true(r.priority < last_priority);
        last_priority = r.priority;
        last_id = r.id;
    }
    mlps_kv_queue_destroy(&q);
}

static void empty_queue_times_out_and_closed_queue_gives_nothing(void **state)
{
    (void)state;
    mlps_kv_queue q;
    mlps_kv_queue_init(&q);
    mlps_kv_request r;
    assert_false(mlps_kv_queue_pop(&q, &r, 1000000));
    push(&q, 7, 1);
    mlps_kv_queue_close(&q);
    assert_false(mlps_kv_queue_pop(&q, &r, 1000000));
    mlps_kv_queue_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(priority_first_then_arrival_order),
        cmocka_unit_test(many_requests_keep_the_order),
        cmocka_unit_test(empty_queue_times_out_and_closed_queue_gives_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
