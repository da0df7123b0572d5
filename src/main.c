/* runbookd: the command line. All work is in the runbookd_core library. */
#include "runbookd/cli.h"

int main(int argc, char **argv)
{
	return rbd_cli_main(argc, argv);
}
