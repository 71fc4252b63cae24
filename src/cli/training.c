/* `mlps training`: the MLPerf Storage training data-loading benchmark's commands. */
#include "cli/cli.h"

extern const mlps_command mlps_training_datasize_command;
extern const mlps_command mlps_training_configview_command;
extern const mlps_command mlps_training_datagen_command;
extern const mlps_command mlps_training_run_command;

static const mlps_command *const training_commands[] = {
    &mlps_training_datasize_command,
    &mlps_training_datagen_command,
    &mlps_training_run_command,
    &mlps_training_configview_command,
    NULL,
};

const mlps_program mlps_program_training = {
    .name = "training",
    .summary = "training data loading (DLIO's unet3d, resnet50, cosmoflow, dlrm, flux, retinanet)",
    .commands = training_commands,
};
