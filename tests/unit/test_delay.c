/* Tests of emulated times: reading DLIO's number-or-mapping forms, the errors for bad ones, and
 * the draws of every distribution (exact for constants, never negative, sample moments close to
 * the distribution's for a fixed seed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "training/delay.h"

#define DRAWS 200000

/* Parses YAML-like JSON text as the config hands it over. */
static int parse_text(const char *json_text, bool has_stdev, double stdev, mlps_delay *out,
                      mlps_error *err)
{
    json_t *value = json_text ? json_loads(json_text, JSON_DECODE_ANY, NULL) : NULL;
    if (json_text)
        assert_non_null(value);
    int rc = mlps_delay_parse(value, "train.computation_time", has_stdev, stdev,
                              "train.computation_time_stdev", out, err);
    json_decref(value);
    return rc;
}

static mlps_delay parse_ok(const char *json_text)
{
    mlps_delay delay;
    mlps_error err = {0};
    assert_int_equal(parse_text(json_text, false, 0.0, &delay, &err), 0);
    return delay;
}

static void expect_error(const char *json_text, const char *fragment)
{
    mlps_delay delay = {.kind = MLPS_DELAY_CONSTANT, .mean = 7.0};
    mlps_error err = {0};
    assert_int_equal(parse_text(json_text, false, 0.0, &delay, &err), -EINVAL);
    assert_int_equal(err.exit_status, MLPS_EXIT_USAGE);
    if (!strstr(err.message, fragment))
        fail_msg("message '%s' lacks '%s'", err.message, fragment);
    assert_true(strstr(err.message, "train.computation_time") != NULL);
    assert_int_equal(delay.kind, MLPS_DELAY_CONSTANT); /* untouched on error */
    assert_true(delay.mean == 7.0);
}

typedef struct moments {
    double mean, variance, min;
} moments;

static moments sample(const mlps_delay *delay, uint64_t seed)
{
    mlps_rng rng;
    mlps_rng_seed(&rng, seed);
    double sum = 0.0, squares = 0.0, min = INFINITY;
    for (int i = 0; i < DRAWS; i++) {
        double x = mlps_delay_draw(delay, &rng);
        sum += x;
        squares += x * x;
        min = x < min ? x : min;
    }
    double mean = sum / DRAWS;
    return (moments){mean, squares / DRAWS - mean * mean, min};
}

/* ---- parsing ---- */

static void test_number_is_constant(void **state)
{
    (void)state;
    mlps_delay delay = parse_ok("0.323");
    assert_int_equal(delay.kind, MLPS_DELAY_CONSTANT);
    assert_true(delay.mean == 0.323);
    delay = parse_ok("2");
    assert_int_equal(delay.kind, MLPS_DELAY_CONSTANT);
    assert_true(delay.mean == 2.0);
}

static void test_unset_is_none(void **state)
{
    (void)state;
    assert_int_equal(parse_ok(NULL).kind, MLPS_DELAY_NONE);
    assert_int_equal(parse_ok("null").kind, MLPS_DELAY_NONE);
    assert_int_equal(parse_ok("{}").kind, MLPS_DELAY_NONE);
    mlps_rng rng;
    mlps_rng_seed(&rng, 1);
    mlps_delay none = parse_ok(NULL);
    assert_true(mlps_delay_draw(&none, &rng) == 0.0);
}

static void test_sibling_stdev_makes_normal(void **state)
{
    (void)state;
    mlps_delay delay;
    mlps_error err = {0};
    assert_int_equal(parse_text("0.5", true, 0.1, &delay, &err), 0);
    assert_int_equal(delay.kind, MLPS_DELAY_NORMAL);
    assert_true(delay.mean == 0.5 && delay.stdev == 0.1);
    /* A zero spread stays a constant: no randomness is consumed. */
    assert_int_equal(parse_text("0.5", true, 0.0, &delay, &err), 0);
    assert_int_equal(delay.kind, MLPS_DELAY_CONSTANT);
    /* The sibling replaces the mapping's stdev, as DLIO merges it. */
    assert_int_equal(parse_text("{\"mean\": 1, \"stdev\": 0.5}", true, 0.2, &delay, &err), 0);
    assert_true(delay.stdev == 0.2);
    assert_int_equal(parse_text("0.5", true, -0.1, &delay, &err), -EINVAL);
    assert_non_null(strstr(err.message, "train.computation_time_stdev"));
}

static void test_mapping_forms(void **state)
{
    (void)state;
    mlps_delay d = parse_ok("{\"mean\": 0.3}");
    assert_int_equal(d.kind, MLPS_DELAY_CONSTANT);
    d = parse_ok("{\"mean\": 0.3, \"stdev\": 0.05}");
    assert_int_equal(d.kind, MLPS_DELAY_NORMAL);
    assert_true(d.mean == 0.3 && d.stdev == 0.05);
    d = parse_ok("{\"type\": \"normal\", \"mean\": 1, \"stdev\": 2}");
    assert_int_equal(d.kind, MLPS_DELAY_NORMAL);
    d = parse_ok("{\"type\": \"uniform\", \"min\": 1, \"max\": 3}");
    assert_int_equal(d.kind, MLPS_DELAY_UNIFORM);
    assert_true(d.min == 1.0 && d.max == 3.0);
    d = parse_ok("{\"type\": \"gamma\", \"shape\": 2, \"scale\": 0.5}");
    assert_int_equal(d.kind, MLPS_DELAY_GAMMA);
    assert_true(d.shape == 2.0 && d.scale == 0.5);
    d = parse_ok("{\"type\": \"exponential\", \"scale\": 0.2}");
    assert_int_equal(d.kind, MLPS_DELAY_EXPONENTIAL);
    d = parse_ok("{\"type\": \"poisson\", \"lam\": 3}");
    assert_int_equal(d.kind, MLPS_DELAY_POISSON);
    assert_true(d.lam == 3.0);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("-0.5", "must not be negative");
    expect_error("\"fast\"", "must be a number of seconds or a mapping");
    expect_error("[1, 2]", "must be a number of seconds or a mapping");
    expect_error("{\"mean\": 1, \"sigma\": 2}", "has no field 'sigma'");
    expect_error("{\"mean\": \"1\"}", "'train.computation_time.mean' must be a number");
    expect_error("{\"mean\": -1}", "'train.computation_time.mean' must not be negative");
    expect_error("{\"stdev\": 1}", "needs 'mean'");
    expect_error("{\"type\": \"weibull\", \"shape\": 1}", "must be one of normal, uniform");
    expect_error("{\"type\": 3}", "must be one of normal");
    expect_error("{\"type\": \"normal\", \"mean\": 1}", "of type normal needs 'stdev'");
    expect_error("{\"type\": \"uniform\", \"min\": 1}", "of type uniform needs 'max'");
    expect_error("{\"type\": \"uniform\", \"min\": 3, \"max\": 1}", "min <= max");
    expect_error("{\"type\": \"gamma\", \"scale\": 1}", "of type gamma needs 'shape'");
    expect_error("{\"type\": \"gamma\", \"shape\": 0, \"scale\": 1}", "greater than 0");
    expect_error("{\"type\": \"exponential\"}", "needs 'scale'");
    expect_error("{\"type\": \"poisson\", \"scale\": 1}", "needs 'lam'");
}

/* ---- drawing ---- */

static void test_constant_draws_exactly_the_mean(void **state)
{
    (void)state;
    mlps_delay delay;
    mlps_error err = {0};
    assert_int_equal(parse_text("0.323", true, 0.0, &delay, &err), 0);
    mlps_rng rng;
    mlps_rng_seed(&rng, 42);
    for (int i = 0; i < 1000; i++)
        assert_true(mlps_delay_draw(&delay, &rng) == 0.323);
}

static void test_normal_is_folded_and_never_negative(void **state)
{
    (void)state;
    /* Half of N(0.01, 1) lies below zero; the draw folds it: E|X| = 0.7980 here. */
    mlps_delay delay = parse_ok("{\"mean\": 0.01, \"stdev\": 1}");
    moments m = sample(&delay, 7);
    assert_true(m.min >= 0.0);
    assert_true(fabs(m.mean - 0.7980) < 0.01);
    /* Far from zero the fold changes nothing: mean and spread are the configured ones. */
    delay = parse_ok("{\"mean\": 0.323, \"stdev\": 0.01}");
    m = sample(&delay, 8);
    assert_true(fabs(m.mean - 0.323) < 0.001);
    assert_true(fabs(sqrt(m.variance) - 0.01) < 0.0005);
}

static void test_uniform_moments(void **state)
{
    (void)state;
    mlps_delay delay = parse_ok("{\"type\": \"uniform\", \"min\": 1, \"max\": 3}");
    moments m = sample(&delay, 9);
    assert_true(m.min >= 1.0);
    assert_true(fabs(m.mean - 2.0) < 0.01);
    assert_true(fabs(m.variance - 4.0 / 12.0) < 0.01);
}

static void test_gamma_moments(void **state)
{
    (void)state;
    /* mean shape*scale, variance shape*scale^2 */
    mlps_delay delay = parse_ok("{\"type\": \"gamma\", \"shape\": 2, \"scale\": 0.5}");
    moments m = sample(&delay, 10);
    assert_true(m.min >= 0.0);
    assert_true(fabs(m.mean - 1.0) < 0.01);
    assert_true(fabs(m.variance - 0.5) < 0.02);
    /* shape below 1 takes the boosted path */
    delay = parse_ok("{\"type\": \"gamma\", \"shape\": 0.5, \"scale\": 0.5}");
    m = sample(&delay, 11);
    assert_true(m.min >= 0.0);
    assert_true(fabs(m.mean - 0.25) < 0.005);
    assert_true(fabs(m.variance - 0.125) < 0.01);
}

static void test_exponential_moments(void **state)
{
    (void)state;
    mlps_delay delay = parse_ok("{\"type\": \"exponential\", \"scale\": 0.2}");
    moments m = sample(&delay, 12);
    assert_true(m.min >= 0.0);
    assert_true(fabs(m.mean - 0.2) < 0.003);
    assert_true(fabs(m.variance - 0.04) < 0.002);
}

static void test_poisson_moments(void **state)
{
    (void)state;
    mlps_rng rng;
    mlps_rng_seed(&rng, 13);
    mlps_delay small = parse_ok("{\"type\": \"poisson\", \"lam\": 3}");
    for (int i = 0; i < 1000; i++) {
        double x = mlps_delay_draw(&small, &rng);
        assert_true(x >= 0.0 && x == floor(x));
    }
    moments m = sample(&small, 14);
    assert_true(fabs(m.mean - 3.0) < 0.03);
    assert_true(fabs(m.variance - 3.0) < 0.1);
    /* large means take the transformed-rejection path */
    mlps_delay large = parse_ok("{\"type\": \"poisson\", \"lam\": 50}");
    m = sample(&large, 15);
    assert_true(fabs(m.mean - 50.0) < 0.1);
    assert_true(fabs(m.variance - 50.0) < 1.5);
}

static void test_draws_repeat_for_a_seed(void **state)
{
    (void)state;
    mlps_delay delay = parse_ok("{\"type\": \"gamma\", \"shape\": 3, \"scale\": 0.1}");
    mlps_rng a, b;
    mlps_rng_seed(&a, 123);
    mlps_rng_seed(&b, 123);
    for (int i = 0; i < 100; i++)
        assert_true(mlps_delay_draw(&delay, &a) == mlps_delay_draw(&delay, &b));
}

static void test_expected_values(void **state)
{
    (void)state;
    assert_true(mlps_delay_expected(&(mlps_delay){.kind = MLPS_DELAY_NONE}) == 0.0);
    mlps_delay d = parse_ok("0.323");
    assert_true(mlps_delay_expected(&d) == 0.323);
    d = parse_ok("{\"type\": \"uniform\", \"min\": 1, \"max\": 3}");
    assert_true(mlps_delay_expected(&d) == 2.0);
    d = parse_ok("{\"type\": \"gamma\", \"shape\": 2, \"scale\": 0.5}");
    assert_true(mlps_delay_expected(&d) == 1.0);
    d = parse_ok("{\"type\": \"exponential\", \"scale\": 0.2}");
    assert_true(mlps_delay_expected(&d) == 0.2);
    d = parse_ok("{\"type\": \"poisson\", \"lam\": 4}");
    assert_true(mlps_delay_expected(&d) == 4.0);
}

static void test_describe_and_json(void **state)
{
    (void)state;
    char text[128];
    mlps_delay d = parse_ok("0.323");
    mlps_delay_describe(&d, text, sizeof text);
    assert_string_equal(text, "0.323 s");
    d = parse_ok("{\"mean\": 0.3, \"stdev\": 0.05}");
    mlps_delay_describe(&d, text, sizeof text);
    assert_string_equal(text, "normal(mean 0.3 s, stdev 0.05 s)");
    d = parse_ok("{\"type\": \"gamma\", \"shape\": 2, \"scale\": 0.5}");
    mlps_delay_describe(&d, text, sizeof text);
    assert_string_equal(text, "gamma(shape 2, scale 0.5 s)");

    json_t *json = mlps_delay_to_json(&d);
    char *dumped = json_dumps(json, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(dumped, "{\"scale\":0.5,\"shape\":2.0,\"type\":\"gamma\"}");
    free(dumped);
    json_decref(json);
    d = parse_ok("0.323");
    json = mlps_delay_to_json(&d);
    assert_int_equal(json_object_size(json), 1);
    assert_true(json_real_value(json_object_get(json, "mean")) == 0.323);
    json_decref(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_is_constant),
        cmocka_unit_test(test_unset_is_none),
        cmocka_unit_test(test_sibling_stdev_makes_normal),
        cmocka_unit_test(test_mapping_forms),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_constant_draws_exactly_the_mean),
        cmocka_unit_test(test_normal_is_folded_and_never_negative),
        cmocka_unit_test(test_uniform_moments),
        cmocka_unit_test(test_gamma_moments),
        cmocka_unit_test(test_exponential_moments),
        cmocka_unit_test(test_poisson_moments),
        cmocka_unit_test(test_draws_repeat_for_a_seed),
        cmocka_unit_test(test_expected_values),
        cmocka_unit_test(test_describe_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
