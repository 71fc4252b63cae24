/* mlps entry point: hands argv to the command-line layer and exits with its status. */
#include "cli/cli.h"

int main(int argc, char **argv) { return mlps_cli_main(argc, argv); }
