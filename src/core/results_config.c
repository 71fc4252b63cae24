/* The merged workload configuration of a run, as DLIO leaves it: <run_dir>/dlio_config/config.yaml. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/atomic_file.h"
#include "core/mkdirs.h"
#include "core/results.h"

int mlps_results_write_config(const char *run_dir, const mlps_config *config, mlps_error *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/dlio_config", run_dir);
    int rc = mlps_mkdirs(dir, 0755, err);
    if (rc)
        return rc;
    char *text = NULL;
    size_t size = 0;
    FILE *memory = open_memstream(&text, &size);
    if (!memory)
        return mlps_fail(err, -ENOMEM, "out of memory");
    rc = mlps_config_write_yaml(config, memory, true);
    fclose(memory);
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    if (rc)
        rc = mlps_fail(err, rc, "cannot render the configuration for %s", path);
    else
        rc = mlps_write_file_atomic(path, text, size, err);
    free(text);
    return rc;
}
