/* libFuzzer target: the Alertmanager webhook parser (rbd_payload_parse), with tight
 * limits so that the count and size checks are reached too. */
#include "runbookd/payload.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rbd_payload_limits tight = { 8, 8, 256, 8 };
	struct rbd_notification *n = NULL;

	if (rbd_payload_parse(&n, (const char *)data, size, NULL) == 0)
		rbd_notification_free(n);
	n = NULL;
	if (rbd_payload_parse(&n, (const char *)data, size, &tight) == 0)
		rbd_notification_free(n);
	return 0;
}
