/* libFuzzer target: RFC 3339 timestamps (rbd_time_parse) and durations
 * (rbd_duration_parse), with their formatters on what parses. */
#include "runbookd/timeutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[RBD_TIME_BUFSZ], dur[64];
	int64_t ns = 0, ms = 0;
	bool zero = false;

	memcpy(s, data, size);
	s[size] = '\0';
	if (rbd_time_parse(&ns, &zero, s) == 0 && !zero)
		rbd_time_format_ms(buf, ns / 1000000);
	if (rbd_duration_parse(&ms, s) == 0)
		rbd_duration_format(dur, sizeof(dur), ms);
	free(s);
	return 0;
}
