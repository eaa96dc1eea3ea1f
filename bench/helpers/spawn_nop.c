/*
 * bench/helpers/spawn_nop.c - the program spawn.posix_spawn starts: as
 * small as a process can be (built -static, so no dynamic loader runs),
 * so that what is timed is the kernel's and libc's work of starting and
 * ending a process, not the program's.
 *
 * No argument: exit 0 at once.  `hold`: say "up" with one byte on
 * standard output, then stay alive until standard input reaches end of
 * file (the benchmark closes it to let every held process go).
 */
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char c;

	if (argc > 1 && strcmp(argv[1], "hold") == 0) {
		if (write(1, "u", 1) != 1)
			return 1;
		while (read(0, &c, 1) > 0)
			;
	}
	return 0;
}
