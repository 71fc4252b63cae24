/* Argument tables and their parser. Each program's commands declare their flags as static tables
 * (long name, optional single-dash short name as in mlpstorage: -rd, -np, -cm ...), the parser turns
 * argv into a JSON object keyed by each flag's destination name (which also becomes the metadata's
 * "args"), and the same tables print --help. Errors name the flag and what would be valid. */
#ifndef MLPS_CLI_ARGS_H
#define MLPS_CLI_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"

typedef enum mlps_arg_kind {
    MLPS_ARG_FLAG,   /* no value; true when given */
    MLPS_ARG_STRING,
    MLPS_ARG_INT,    /* a JSON integer */
    MLPS_ARG_DOUBLE, /* a JSON real */
    MLPS_ARG_BYTES,  /* "1M", "2GiB" ... stored as a JSON integer of bytes */
    MLPS_ARG_LIST,   /* one or more values; repeating the flag appends: a JSON array of strings */
} mlps_arg_kind;

typedef struct mlps_arg {
    const char *name;       /* long name without dashes, "results-dir" */
    const char *short_name; /* single-dash alias without the dash, "rd"; NULL if none */
    mlps_arg_kind kind;
    const char *dest;          /* key in the parsed object; NULL: name with '-' turned into '_' */
    const char *default_value; /* as text; NULL: absent unless given */
    const char *const *choices; /* NULL-terminated list of valid values; NULL: any */
    bool required;
    const char *metavar;
    const char *help;
} mlps_arg;

typedef struct mlps_arg_table {
    const char *title; /* help section: "Options", "Shared options", "MPI options" */
    const mlps_arg *args;
    size_t count;
} mlps_arg_table;

#define MLPS_ARG_TABLE(title_text, array) \
    { .title = (title_text), .args = (array), .count = sizeof(array) / sizeof((array)[0]) }

/* A parsed command line: values keyed by destination, and which of them the user gave. */
typedef struct mlps_args {
    json_t *values;
    json_t *given; /* object: dest -> true for flags that were on the command line */
} mlps_args;

/* Parses argv[0..argc) (the arguments after "mlps <program> <command>") against the NULL-terminated
 * table list. `usage_name` ("mlps storage roundtrip") starts every error message. Defaults are filled,
 * required flags are not checked yet (see mlps_args_check_required, after a config file is applied).
 * Sets *wants_help when -h/--help is present. */
int mlps_args_parse(const mlps_arg_table *const *tables, const char *usage_name, int argc,
                    char **argv, mlps_args *out, bool *wants_help, mlps_error *err);
int mlps_args_check_required(const mlps_arg_table *const *tables, const char *usage_name,
                             const mlps_args *args, mlps_error *err);
/* Sets a flag from text as if typed (used for the --config-file YAML); same checks as the parser. */
int mlps_args_set_text(const mlps_arg_table *const *tables, const char *usage_name, mlps_args *args,
                       const char *dest, const char *text, mlps_error *err);
void mlps_args_free(mlps_args *args);

/* The flag whose destination is dest, or NULL. */
const mlps_arg *mlps_args_find_dest(const mlps_arg_table *const *tables, const char *dest);
/* Destination key of a flag. */
const char *mlps_arg_dest(const mlps_arg *arg, char *buf, size_t size);

const char *mlps_args_string(const mlps_args *args, const char *dest); /* NULL when absent */
long long mlps_args_int(const mlps_args *args, const char *dest);      /* 0 when absent */
double mlps_args_double(const mlps_args *args, const char *dest);
bool mlps_args_flag(const mlps_args *args, const char *dest);
json_t *mlps_args_list(const mlps_args *args, const char *dest); /* borrowed array or NULL */
bool mlps_args_given(const mlps_args *args, const char *dest);

/* Writes the option sections of --help. */
void mlps_args_print_help(const mlps_arg_table *const *tables, FILE *out);

#endif
