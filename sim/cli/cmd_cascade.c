/* Placeholder until this subcommand lands; says so and exits 2. */
#include "base/err.h"
#include "cli.h"

int cmd_cascade(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    es_fatal(ES_EXIT_BADINPUT, "cascade: not built yet");
}
