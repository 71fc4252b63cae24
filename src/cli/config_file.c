/* Applying an option-values YAML to parsed arguments; see config_file.h. */
#include "cli/config_file.h"

#include <errno.h>
#include <libfyaml.h>
#include <string.h>

#include "core/suggest.h"

#define MAX_OPTION_NAMES 256

typedef struct option_file {
    const mlps_arg_table *const *tables;
    const char *usage_name;
    const char *path;
    mlps_args *args;
} option_file;

static int unknown_option_key(const option_file *file, const char *key, mlps_error *err)
{
    const char *names[MAX_OPTION_NAMES];
    char dests[MAX_OPTION_NAMES][64];
    size_t count = 0;
    for (size_t t = 0; file->tables[t]; t++)
        for (size_t i = 0; i < file->tables[t]->count && count < MAX_OPTION_NAMES; i++) {
            names[count] = mlps_arg_dest(&file->tables[t]->args[i], dests[count], sizeof dests[count]);
            count++;
        }
    const char *nearest = mlps_nearest_name(key, names, count);
    return mlps_fail_usage(err, -EINVAL, "%s: %s: unknown option '%s'%s%s%s", file->usage_name,
                           file->path, key, nearest ? "; did you mean '" : "", nearest ? nearest : "",
                           nearest ? "'?" : "");
}

static const char *normalised_scalar(const mlps_arg *arg, const char *text)
{
    if (arg->kind != MLPS_ARG_FLAG)
        return text;
    if (!strcmp(text, "yes") || !strcmp(text, "Yes") || !strcmp(text, "on") || !strcmp(text, "TRUE"))
        return "true";
    if (!strcmp(text, "no") || !strcmp(text, "No") || !strcmp(text, "off") || !strcmp(text, "FALSE"))
        return "false";
    return text;
}

static int set_one(const option_file *file, const mlps_arg *arg, const char *dest, const char *text,
                   mlps_error *err)
{
    int rc = mlps_args_set_text(file->tables, file->usage_name, file->args, dest,
                                normalised_scalar(arg, text), err);
    if (rc)
        mlps_error_prefix(err, "%s: ", file->path);
    return rc;
}

/* A comma-separated string for a list option gives several values. */
static int set_list_string(const option_file *file, const mlps_arg *arg, const char *dest,
                           const char *text, mlps_error *err)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", text);
    char *saveptr = NULL;
    for (char *item = strtok_r(copy, ",", &saveptr); item; item = strtok_r(NULL, ",", &saveptr)) {
        int rc = set_one(file, arg, dest, item, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int set_from_mapping(const option_file *file, const mlps_arg *arg, const char *dest,
                            struct fy_node *mapping, mlps_error *err)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(mapping, &iter))) {
        const char *key = fy_node_get_scalar0(fy_node_pair_key(pair));
        const char *value = fy_node_get_scalar0(fy_node_pair_value(pair));
        if (!key || !value)
            return mlps_fail_usage(err, -EINVAL, "%s: %s: '%s' must map keys to plain values",
                                   file->usage_name, file->path, dest);
        char assignment[4096];
        snprintf(assignment, sizeof assignment, "%s=%s", key, value);
        int rc = set_one(file, arg, dest, assignment, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int set_from_node(const option_file *file, const mlps_arg *arg, const char *dest,
                         struct fy_node *node, mlps_error *err)
{
    if (fy_node_is_scalar(node)) {
        const char *text = fy_node_get_scalar0(node);
        if (arg->kind == MLPS_ARG_LIST)
            return set_list_string(file, arg, dest, text, err);
        return set_one(file, arg, dest, text, err);
    }
    if (arg->kind == MLPS_ARG_LIST && fy_node_is_sequence(node)) {
        void *iter = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(node, &iter))) {
            const char *text = fy_node_get_scalar0(item);
            if (!text)
                return mlps_fail_usage(err, -EINVAL, "%s: %s: items of '%s' must be plain values",
                                       file->usage_name, file->path, dest);
            int rc = set_one(file, arg, dest, text, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (arg->kind == MLPS_ARG_LIST && fy_node_is_mapping(node))
        return set_from_mapping(file, arg, dest, node, err);
    return mlps_fail_usage(err, -EINVAL, "%s: %s: '%s' must be a %s", file->usage_name, file->path,
                           dest, arg->kind == MLPS_ARG_LIST ? "list or a value" : "single value");
}

static const mlps_arg *find_option(const option_file *file, const char *key, char *dest_buf,
                                   size_t size)
{
    snprintf(dest_buf, size, "%s", key);
    for (char *c = dest_buf; *c; c++)
        if (*c == '-')
            *c = '_';
    return mlps_args_find_dest(file->tables, dest_buf);
}

static int apply_pairs(const option_file *file, struct fy_node *root, mlps_error *err)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(root, &iter))) {
        const char *key = fy_node_get_scalar0(fy_node_pair_key(pair));
        if (!key)
            return mlps_fail_usage(err, -EINVAL, "%s: %s: option names must be plain strings",
                                   file->usage_name, file->path);
        char dest[96];
        const mlps_arg *arg = find_option(file, key, dest, sizeof dest);
        if (!arg || !strcmp(dest, "config_file"))
            return unknown_option_key(file, key, err);
        if (mlps_args_given(file->args, dest))
            continue; /* the command line wins */
        int rc = set_from_node(file, arg, dest, fy_node_pair_value(pair), err);
        if (rc)
            return rc;
    }
    return 0;
}

static void discard_diagnostic(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

/* libfyaml prints parse errors on stderr by itself; this diagnostics object keeps them instead,
 * so that the first one becomes part of a one-line message. */
static struct fy_diag *collecting_diagnostics(void)
{
    struct fy_diag_cfg cfg;
    fy_diag_cfg_default(&cfg);
    cfg.fp = NULL;
    cfg.output_fn = discard_diagnostic;
    cfg.level = FYET_ERROR;
    struct fy_diag *diag = fy_diag_create(&cfg);
    if (diag)
        fy_diag_set_collect_errors(diag, true);
    return diag;
}

static int invalid_yaml(const char *usage_name, const char *path, struct fy_diag *diag,
                        mlps_error *err)
{
    void *iter = NULL;
    struct fy_diag_error *error;
    while (diag && (error = fy_diag_errors_iterate(diag, &iter)))
        if (error->type >= FYET_ERROR)
            return mlps_fail_usage(err, -EINVAL,
                                   "%s: --config-file %s: not valid YAML at line %d column %d: %s",
                                   usage_name, path, error->line, error->column, error->msg);
    return mlps_fail_usage(err, -EINVAL, "%s: --config-file %s: not valid YAML", usage_name, path);
}

int mlps_apply_config_file(const mlps_arg_table *const *tables, const char *usage_name,
                           const char *path, mlps_args *args, mlps_error *err)
{
    FILE *probe = fopen(path, "r");
    if (!probe)
        return mlps_fail_usage(err, -errno, "%s: --config-file %s: %s", usage_name, path,
                               strerror(errno));
    fclose(probe);
    struct fy_diag *diag = collecting_diagnostics();
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_document *doc = fy_document_build_from_file(&cfg, path);
    if (!doc) {
        int rc = invalid_yaml(usage_name, path, diag, err);
        if (diag)
            fy_diag_destroy(diag);
        return rc;
    }
    struct fy_node *root = fy_document_root(doc);
    int rc = 0;
    if (root && !fy_node_is_mapping(root))
        rc = mlps_fail_usage(err, -EINVAL,
                             "%s: --config-file %s: expected a mapping of option names to values",
                             usage_name, path);
    else if (root)
        rc = apply_pairs(&(option_file){tables, usage_name, path, args}, root, err);
    fy_document_destroy(doc);
    if (diag)
        fy_diag_destroy(diag);
    return rc;
}
