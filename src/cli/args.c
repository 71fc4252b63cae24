/* The argument parser and help printer; see args.h. */
#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/suggest.h"
#include "core/units.h"

#define MAX_FLAGS 256

const char *mlps_arg_dest(const mlps_arg *arg, char *buf, size_t size)
{
    if (arg->dest)
        return arg->dest;
    snprintf(buf, size, "%s", arg->name);
    for (char *c = buf; *c; c++)
        if (*c == '-')
            *c = '_';
    return buf;
}

/* Finds the flag spelled `token` ("--results-dir" or "-rd"), ignoring any "=value". */
static const mlps_arg *find_flag(const mlps_arg_table *const *tables, const char *token,
                                 size_t name_len)
{
    bool is_long = token[0] == '-' && token[1] == '-';
    const char *name = token + (is_long ? 2 : 1);
    size_t len = name_len - (is_long ? 2 : 1);
    for (size_t t = 0; tables[t]; t++) {
        for (size_t i = 0; i < tables[t]->count; i++) {
            const mlps_arg *arg = &tables[t]->args[i];
            const char *candidate = is_long ? arg->name : arg->short_name;
            if (candidate && strlen(candidate) == len && strncmp(candidate, name, len) == 0)
                return arg;
        }
    }
    return NULL;
}

static size_t flag_name_length(const char *token)
{
    const char *eq = strchr(token, '=');
    return eq ? (size_t)(eq - token) : strlen(token);
}

static bool is_known_flag(const mlps_arg_table *const *tables, const char *token)
{
    if (strcmp(token, "-h") == 0 || strcmp(token, "--help") == 0)
        return true;
    return token[0] == '-' && find_flag(tables, token, flag_name_length(token)) != NULL;
}

static bool looks_like_number(const char *token)
{
    char *end;
    strtod(token, &end);
    return end != token && *end == '\0';
}

/* A token that can be a list item: not option-like, unless it has a space (a quoted group such as
 * --mpi-params "--mca btl tcp,self") or is a negative number. */
static bool is_list_item(const char *token)
{
    return token[0] != '-' || strchr(token, ' ') || looks_like_number(token);
}

static int unknown_flag_error(const mlps_arg_table *const *tables, const char *usage_name,
                              const char *token, mlps_error *err)
{
    const char *names[MAX_FLAGS];
    char spelled[MAX_FLAGS][64];
    size_t count = 0;
    for (size_t t = 0; tables[t]; t++)
        for (size_t i = 0; i < tables[t]->count && count < MAX_FLAGS; i++) {
            snprintf(spelled[count], sizeof spelled[count], "--%s", tables[t]->args[i].name);
            names[count] = spelled[count];
            count++;
        }
    char word[128];
    snprintf(word, sizeof word, "%.*s", (int)flag_name_length(token), token);
    char long_form[130];
    snprintf(long_form, sizeof long_form, "-%s", word); /* "-resuls-dir" typed with one dash */
    const char *nearest = mlps_nearest_name(word, names, count);
    if (!nearest && word[1] != '-')
        nearest = mlps_nearest_name(long_form, names, count);
    if (nearest)
        return mlps_fail_usage(err, -EINVAL, "%s: unknown option '%s'; did you mean '%s'? (see --help)",
                               usage_name, word, nearest);
    return mlps_fail_usage(err, -EINVAL, "%s: unknown option '%s' (see --help)", usage_name, word);
}

static void describe_flag(const mlps_arg *arg, char *out, size_t size)
{
    if (arg->short_name)
        snprintf(out, size, "--%s/-%s", arg->name, arg->short_name);
    else
        snprintf(out, size, "--%s", arg->name);
}

static int check_choice(const mlps_arg *arg, const char *usage_name, const char *text,
                        mlps_error *err)
{
    if (!arg->choices)
        return 0;
    size_t count = 0;
    for (; arg->choices[count]; count++)
        if (strcmp(arg->choices[count], text) == 0)
            return 0;
    char valid[512] = "";
    for (size_t i = 0; i < count; i++) {
        strncat(valid, i ? ", " : "", sizeof valid - strlen(valid) - 1);
        strncat(valid, arg->choices[i], sizeof valid - strlen(valid) - 1);
    }
    char flag[96];
    describe_flag(arg, flag, sizeof flag);
    const char *nearest = mlps_nearest_name(text, arg->choices, count);
    return mlps_fail_usage(err, -EINVAL, "%s: %s: invalid choice '%s'%s%s%s (valid: %s)", usage_name,
                           flag, text, nearest ? "; did you mean '" : "", nearest ? nearest : "",
                           nearest ? "'?" : "", valid);
}

/* Converts text to the flag's JSON type, after checking choices. */
static int typed_value(const mlps_arg *arg, const char *usage_name, const char *text,
                       json_t **out, mlps_error *err)
{
    char flag[96];
    describe_flag(arg, flag, sizeof flag);
    int rc = check_choice(arg, usage_name, text, err);
    if (rc)
        return rc;
    char *end;
    errno = 0;
    switch (arg->kind) {
    case MLPS_ARG_INT: {
        long long value = strtoll(text, &end, 10);
        if (*text == '\0' || *end != '\0' || errno == ERANGE)
            return mlps_fail_usage(err, -EINVAL, "%s: %s: '%s' is not an integer", usage_name, flag,
                                   text);
        *out = json_integer(value);
        return 0;
    }
    case MLPS_ARG_DOUBLE: {
        double value = strtod(text, &end);
        if (*text == '\0' || *end != '\0' || errno == ERANGE)
            return mlps_fail_usage(err, -EINVAL, "%s: %s: '%s' is not a number", usage_name, flag,
                                   text);
        *out = json_real(value);
        return 0;
    }
    case MLPS_ARG_BYTES: {
        uint64_t bytes;
        char what[160];
        snprintf(what, sizeof what, "%s: %s", usage_name, flag);
        rc = mlps_parse_bytes(text, what, &bytes, err);
        if (rc)
            return rc;
        *out = json_integer((json_int_t)bytes);
        return 0;
    }
    case MLPS_ARG_FLAG:
        if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 || strcmp(text, "1") == 0) {
            *out = json_true();
            return 0;
        }
        if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 || strcmp(text, "0") == 0) {
            *out = json_false();
            return 0;
        }
        return mlps_fail_usage(err, -EINVAL, "%s: %s: '%s' is not true or false", usage_name, flag,
                               text);
    case MLPS_ARG_STRING:
    case MLPS_ARG_LIST:
        break;
    }
    *out = json_string(text);
    return 0;
}

static int store_value(const mlps_arg *arg, const char *usage_name, mlps_args *args,
                       const char *text, mlps_error *err)
{
    char buf[96];
    const char *dest = mlps_arg_dest(arg, buf, sizeof buf);
    json_t *value = NULL;
    int rc = typed_value(arg, usage_name, text, &value, err);
    if (rc)
        return rc;
    if (arg->kind == MLPS_ARG_LIST) {
        json_t *list = json_object_get(args->values, dest);
        /* A default list is replaced, not extended, by the first value the user gives. */
        if (!list || !json_is_array(list) || !json_is_true(json_object_get(args->given, dest))) {
            list = json_array();
            json_object_set_new(args->values, dest, list);
        }
        json_array_append_new(list, value);
    } else {
        json_object_set_new(args->values, dest, value);
    }
    json_object_set_new(args->given, dest, json_true());
    return 0;
}

static void fill_defaults(const mlps_arg_table *const *tables, mlps_args *args)
{
    for (size_t t = 0; tables[t]; t++)
        for (size_t i = 0; i < tables[t]->count; i++) {
            const mlps_arg *arg = &tables[t]->args[i];
            char buf[96];
            const char *dest = mlps_arg_dest(arg, buf, sizeof buf);
            json_t *value = NULL;
            if (arg->kind == MLPS_ARG_FLAG) {
                value = json_boolean(arg->default_value && strcmp(arg->default_value, "true") == 0);
            } else if (arg->default_value && arg->kind == MLPS_ARG_LIST) {
                value = json_array();
                json_array_append_new(value, json_string(arg->default_value));
            } else if (arg->default_value) {
                if (typed_value(arg, "", arg->default_value, &value, NULL) != 0)
                    value = json_string(arg->default_value);
            }
            if (value)
                json_object_set_new(args->values, dest, value);
        }
}

/* Parses one option token (and the values it takes) at argv[*index]. */
static int parse_option(const mlps_arg_table *const *tables, const char *usage_name, int argc,
                        char **argv, int *index, mlps_args *out, mlps_error *err)
{
    const char *token = argv[*index];
    size_t name_len = flag_name_length(token);
    const mlps_arg *arg = find_flag(tables, token, name_len);
    if (!arg)
        return unknown_flag_error(tables, usage_name, token, err);
    const char *inline_value = token[name_len] == '=' ? token + name_len + 1 : NULL;
    char flag[96];
    describe_flag(arg, flag, sizeof flag);

    if (arg->kind == MLPS_ARG_FLAG) {
        if (inline_value)
            return store_value(arg, usage_name, out, inline_value, err);
        json_object_set_new(out->values, mlps_arg_dest(arg, flag, sizeof flag), json_true());
        json_object_set_new(out->given, mlps_arg_dest(arg, flag, sizeof flag), json_true());
        return 0;
    }
    if (inline_value)
        return store_value(arg, usage_name, out, inline_value, err);
    if (arg->kind == MLPS_ARG_LIST) {
        int taken = 0;
        while (*index + 1 < argc && is_list_item(argv[*index + 1])) {
            int rc = store_value(arg, usage_name, out, argv[++*index], err);
            if (rc)
                return rc;
            taken++;
        }
        if (taken == 0)
            return mlps_fail_usage(err, -EINVAL, "%s: %s expects one or more values%s%s", usage_name,
                                   flag, arg->metavar ? " " : "", arg->metavar ? arg->metavar : "");
        return 0;
    }
    if (*index + 1 >= argc || is_known_flag(tables, argv[*index + 1]))
        return mlps_fail_usage(err, -EINVAL, "%s: %s expects a value%s%s", usage_name, flag,
                               arg->metavar ? " " : "", arg->metavar ? arg->metavar : "");
    return store_value(arg, usage_name, out, argv[++*index], err);
}

int mlps_args_parse(const mlps_arg_table *const *tables, const char *usage_name, int argc,
                    char **argv, mlps_args *out, bool *wants_help, mlps_error *err)
{
    out->values = json_object();
    out->given = json_object();
    *wants_help = false;
    fill_defaults(tables, out);
    for (int i = 0; i < argc; i++) {
        const char *token = argv[i];
        if (strcmp(token, "-h") == 0 || strcmp(token, "--help") == 0) {
            *wants_help = true;
            continue;
        }
        if (token[0] != '-' || token[1] == '\0' || looks_like_number(token))
            return mlps_fail_usage(err, -EINVAL, "%s: unexpected argument '%s' (see --help)",
                                   usage_name, token);
        int rc = parse_option(tables, usage_name, argc, argv, &i, out, err);
        if (rc)
            return rc;
    }
    return 0;
}

int mlps_args_check_required(const mlps_arg_table *const *tables, const char *usage_name,
                             const mlps_args *args, mlps_error *err)
{
    for (size_t t = 0; tables[t]; t++)
        for (size_t i = 0; i < tables[t]->count; i++) {
            const mlps_arg *arg = &tables[t]->args[i];
            char buf[96];
            if (arg->required && !json_object_get(args->values, mlps_arg_dest(arg, buf, sizeof buf))) {
                char flag[96];
                describe_flag(arg, flag, sizeof flag);
                return mlps_fail_usage(err, -EINVAL, "%s: the option %s is required (see --help)",
                                       usage_name, flag);
            }
        }
    return 0;
}

const mlps_arg *mlps_args_find_dest(const mlps_arg_table *const *tables, const char *dest)
{
    for (size_t t = 0; tables[t]; t++)
        for (size_t i = 0; i < tables[t]->count; i++) {
            char buf[96];
            if (strcmp(mlps_arg_dest(&tables[t]->args[i], buf, sizeof buf), dest) == 0)
                return &tables[t]->args[i];
        }
    return NULL;
}

int mlps_args_set_text(const mlps_arg_table *const *tables, const char *usage_name, mlps_args *args,
                       const char *dest, const char *text, mlps_error *err)
{
    const mlps_arg *arg = mlps_args_find_dest(tables, dest);
    if (!arg)
        return mlps_fail_usage(err, -EINVAL, "%s: no option has the name '%s'", usage_name, dest);
    return store_value(arg, usage_name, args, text, err);
}

void mlps_args_free(mlps_args *args)
{
    json_decref(args->values);
    json_decref(args->given);
    args->values = args->given = NULL;
}

const char *mlps_args_string(const mlps_args *args, const char *dest)
{
    return json_string_value(json_object_get(args->values, dest));
}

long long mlps_args_int(const mlps_args *args, const char *dest)
{
    return (long long)json_integer_value(json_object_get(args->values, dest));
}

double mlps_args_double(const mlps_args *args, const char *dest)
{
    return json_number_value(json_object_get(args->values, dest));
}

bool mlps_args_flag(const mlps_args *args, const char *dest)
{
    return json_is_true(json_object_get(args->values, dest));
}

json_t *mlps_args_list(const mlps_args *args, const char *dest)
{
    json_t *list = json_object_get(args->values, dest);
    return json_is_array(list) ? list : NULL;
}

bool mlps_args_given(const mlps_args *args, const char *dest)
{
    return json_is_true(json_object_get(args->given, dest));
}

static void print_one(const mlps_arg *arg, FILE *out)
{
    char spelled[128];
    int n = 0;
    if (arg->short_name)
        n = snprintf(spelled, sizeof spelled, "-%s, --%s", arg->short_name, arg->name);
    else
        n = snprintf(spelled, sizeof spelled, "--%s", arg->name);
    if (arg->kind != MLPS_ARG_FLAG && n > 0 && (size_t)n < sizeof spelled)
        snprintf(spelled + n, sizeof spelled - (size_t)n, " %s%s", arg->metavar ? arg->metavar : "VALUE",
                 arg->kind == MLPS_ARG_LIST ? " ..." : "");
    fprintf(out, "  %-32s %s", spelled, arg->help ? arg->help : "");
    if (arg->choices) {
        fputs(" {", out);
        for (size_t i = 0; arg->choices[i]; i++)
            fprintf(out, "%s%s", i ? "," : "", arg->choices[i]);
        fputc('}', out);
    }
    if (arg->required)
        fputs(" (required)", out);
    else if (arg->default_value && arg->kind != MLPS_ARG_FLAG)
        fprintf(out, " (default: %s)", arg->default_value);
    fputc('\n', out);
}

void mlps_args_print_help(const mlps_arg_table *const *tables, FILE *out)
{
    for (size_t t = 0; tables[t]; t++) {
        fprintf(out, "\n%s:\n", tables[t]->title);
        for (size_t i = 0; i < tables[t]->count; i++)
            print_one(&tables[t]->args[i], out);
    }
}
