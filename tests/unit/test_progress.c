/* Tests of the progress line's text: percentage, amounts, rate and ETA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/clock.h"
#include "core/progress.h"

static void bytes_line_shows_fraction_rate_and_eta(void **state)
{
    (void)state;
    mlps_progress p;
    mlps_progress_start(&p, "write", MLPS_PROGRESS_BYTES, NULL, 4ull << 30, false, 0);
    mlps_progress_add(&p, 1ull << 30);
    char line[256];
    /* One GiB done after 2 s: 512 MiB/s, three GiB left: 6 s. */
    mlps_progress_format(&p, p.start_ns + 2 * MLPS_NS_PER_SEC, line, sizeof line);
    assert_string_equal(line, "write:  25.0% 1.00 GiB/4.00 GiB, 512.00 MiB/s, elapsed 0:02, ETA 0:06");
}

static void items_line_without_total_has_no_eta(void **state)
{
    (void)state;
    mlps_progress p;
    mlps_progress_start(&p, "datagen", MLPS_PROGRESS_ITEMS, "files", 0, false, 0);
    mlps_progress_add(&p, 30);
    char line[256];
    mlps_progress_format(&p, p.start_ns + 10 * MLPS_NS_PER_SEC, line, sizeof line);
    assert_string_equal(line, "datagen: 30 files, 3.0 files/s, elapsed 0:10");
}

static void finished_line_has_zero_eta(void **state)
{
    (void)state;
    mlps_progress p;
    mlps_progress_start(&p, "read", MLPS_PROGRESS_ITEMS, "steps", 10, false, 0);
    mlps_progress_add(&p, 10);
    char line[256];
    mlps_progress_format(&p, p.start_ns + MLPS_NS_PER_SEC, line, sizeof line);
    assert_string_equal(line, "read: 100.0% 10/10 steps, 10.0 steps/s, elapsed 0:01, ETA 0:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bytes_line_shows_fraction_rate_and_eta),
        cmocka_unit_test(items_line_without_total_has_no_eta),
        cmocka_unit_test(finished_line_has_zero_eta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
