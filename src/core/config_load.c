/* Loading a workload file: walks the YAML maps, joining nested keys into dotted paths, and
 * hands every leaf to the checked store with the file and line it came from. A map is
 * followed only where the schema has a section (or a "prefix.*" entry); a SUBTREE key takes
 * whatever node it holds. */
#include "core/config_internal.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct load_walk {
    mlps_config *cfg;
    const char *path;
    mlps_error *err;
} load_walk;

static int load_mapping(const load_walk *walk, const char *prefix, struct fy_node *mapping);

static int load_exact(const load_walk *walk, const char *key, size_t index, struct fy_node *node,
                      const mlps_cfg_source *src)
{
    mlps_cfg_type type = walk->cfg->schema->keys[index].type;
    if (mlps_cfg_yaml_is_null(node))
        return 0;
    if (type == MLPS_CFG_SUBTREE)
        return mlps_cfg_store_tree(walk->cfg, key, index, mlps_cfg_yaml_to_json(node), src,
                                   walk->err);
    if (!fy_node_is_scalar(node))
        return mlps_cfg_fail_not_scalar(key, type, mlps_cfg_yaml_kind(node), src, walk->err);
    return mlps_cfg_store_text(walk->cfg, key, index, type, fy_node_get_scalar0(node), src,
                               walk->err);
}

static int load_wildcard(const load_walk *walk, const char *key, size_t index,
                         struct fy_node *node, const mlps_cfg_source *src)
{
    if (mlps_cfg_yaml_is_null(node))
        return 0;
    if (fy_node_is_mapping(node))
        return load_mapping(walk, key, node);
    if (!fy_node_is_scalar(node)) {
        char where[300];
        mlps_cfg_describe_source(src, where, sizeof where);
        return mlps_fail_usage(walk->err, -EINVAL, "config key '%s' must be a scalar, got %s (%s)",
                               key, mlps_cfg_yaml_kind(node), where);
    }
    const char *text = fy_node_get_scalar0(node);
    /* Quotes make a string of anything, as in YAML. */
    mlps_cfg_type type = fy_node_get_style(node) == FYNS_PLAIN ? mlps_cfg_infer_type(text)
                                                                : MLPS_CFG_STRING;
    return mlps_cfg_store_text(walk->cfg, key, index, type, text, src, walk->err);
}

static int load_value(const load_walk *walk, const char *key, struct fy_node *node,
                      const mlps_cfg_source *src)
{
    size_t index = 0;
    switch (mlps_cfg_classify(walk->cfg->schema, key, &index)) {
    case MLPS_CFG_KEY_EXACT:
        return load_exact(walk, key, index, node, src);
    case MLPS_CFG_KEY_WILDCARD:
        return load_wildcard(walk, key, index, node, src);
    case MLPS_CFG_KEY_SECTION:
        if (fy_node_is_mapping(node))
            return load_mapping(walk, key, node);
        if (mlps_cfg_yaml_is_null(node))
            return 0;
        return mlps_cfg_fail_section(walk->cfg, key,
                                     fy_node_is_scalar(node) ? fy_node_get_scalar0(node) : NULL,
                                     mlps_cfg_yaml_kind(node), src, walk->err);
    default:
        return mlps_cfg_fail_unknown_key(walk->cfg, key, src, walk->err);
    }
}

static int load_pair(const load_walk *walk, const char *prefix, struct fy_node_pair *pair)
{
    struct fy_node *key_node = fy_node_pair_key(pair);
    const char *name =
        key_node && fy_node_is_scalar(key_node) ? fy_node_get_scalar0(key_node) : NULL;
    if (!name)
        return mlps_fail_usage(walk->err, -EINVAL,
                               "config file '%s' has a key that is not a plain name under '%s'",
                               walk->path, prefix ? prefix : "the top level");
    char *key = NULL;
    if ((prefix ? asprintf(&key, "%s.%s", prefix, name) : asprintf(&key, "%s", name)) < 0)
        return mlps_fail(walk->err, -ENOMEM, "out of memory reading config file '%s'", walk->path);
    mlps_cfg_source src = {.file = walk->path, .line = mlps_cfg_yaml_line(key_node)};
    int rc = load_value(walk, key, fy_node_pair_value(pair), &src);
    free(key);
    return rc;
}

static int load_mapping(const load_walk *walk, const char *prefix, struct fy_node *mapping)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(mapping, &iter))) {
        int rc = load_pair(walk, prefix, pair);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int fail_to_parse(const char *path, int rc, const mlps_cfg_yaml_problem *problem,
                         mlps_error *err)
{
    if (rc == -ENOMEM)
        return mlps_fail(err, rc, "out of memory reading config file '%s'", path);
    if (problem->line > 0)
        return mlps_fail_usage(err, rc, "config file '%s' is not valid YAML: line %d column %d: %s",
                               path, problem->line, problem->column, problem->message);
    return mlps_fail_usage(err, rc, "config file '%s' is not valid YAML: %s", path,
                           problem->message);
}

static int load_stream(mlps_config *cfg, const char *path, FILE *fp, mlps_error *err)
{
    mlps_cfg_yaml yaml;
    mlps_cfg_yaml_problem problem;
    int rc = mlps_cfg_yaml_open(&yaml, fp, NULL, &problem);
    if (rc != 0)
        return fail_to_parse(path, rc, &problem, err);
    cfg->load_generation++;
    struct fy_node *root = mlps_cfg_yaml_root(&yaml);
    load_walk walk = {.cfg = cfg, .path = path, .err = err};
    if (fy_node_is_mapping(root))
        rc = load_mapping(&walk, NULL, root);
    else if (!mlps_cfg_yaml_is_null(root))
        rc = mlps_fail_usage(err, -EINVAL,
                             "config file '%s' must hold a mapping of keys at the top, got %s",
                             path, mlps_cfg_yaml_kind(root));
    mlps_cfg_yaml_close(&yaml);
    return rc;
}

int mlps_config_load_file(mlps_config *cfg, const char *path, mlps_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        int code = -errno;
        return mlps_fail_usage(err, code, "cannot read config file '%s': %s", path,
                               strerror(-code));
    }
    struct stat st;
    int rc;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode))
        rc = mlps_fail_usage(err, -EISDIR, "cannot read config file '%s': %s", path,
                             strerror(EISDIR));
    else
        rc = load_stream(cfg, path, fp, err);
    fclose(fp);
    return rc;
}

int mlps_config_load(const mlps_cfg_schema *schema, const char *path,
                     const char *const *overrides, size_t override_count, mlps_config **out,
                     mlps_error *err)
{
    *out = mlps_config_new(schema);
    if (!*out)
        return mlps_fail(err, -ENOMEM, "out of memory loading workload '%s'", path);
    int rc = mlps_config_load_file(*out, path, err);
    for (size_t i = 0; rc == 0 && i < override_count; i++)
        rc = mlps_config_apply_override(*out, overrides[i], err);
    if (rc) {
        mlps_config_free(*out);
        *out = NULL;
    }
    return rc;
}
