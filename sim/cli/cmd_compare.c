/* Placeholder until this subcommand lands; says so and exits 2. */
#include "base/err.h"
#include "cli.h"

int cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    es_fatal(ES_EXIT_BADINPUT, "compare: not built yet");
}
