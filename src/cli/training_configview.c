/* `mlps training configview`: the workload configuration a run would use, with -p and
 * --data-dir applied, as YAML (every key, defaults included). */
#include "cli/training_common.h"

static int run_configview(const mlps_invocation *inv, mlps_error *err)
{
    mlps_workload workload;
    int rc = mlps_training_load_workload(&inv->args,
                                         mlps_args_string(&inv->args, "accelerator_type"),
                                         &workload, err);
    if (rc)
        return err->exit_status;
    printf("# mlps training configview -m %s -g %s\n", mlps_args_string(&inv->args, "model"),
           mlps_args_string(&inv->args, "accelerator_type"));
    rc = mlps_config_write_yaml(workload.config, stdout, true);
    mlps_workload_free(&workload);
    return rc ? mlps_fail(err, rc, "cannot write the configuration to stdout") : MLPS_EXIT_OK;
}

const mlps_command mlps_training_configview_command = {
    .name = "configview",
    .summary = "print the merged workload configuration",
    .description = "Prints the configuration of the workload for -m and -g with the -p overrides\n"
                   "and --data-dir applied: every key, defaults included, as YAML.",
    .tables = {&mlps_training_model_flag, &mlps_training_accelerator_flag,
               &mlps_training_data_dir_flag, &mlps_object_flags,
               &mlps_shared_flags, NULL},
    .run = run_configview,
};
