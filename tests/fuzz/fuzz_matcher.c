/* libFuzzer target: Alertmanager matchers (rbd_matcher_parse) and matching. The first
 * line is the matcher; the rest are NAME=VALUE labels it is matched against. */
#include "runbookd/labels.h"
#include "runbookd/matcher.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *nl, *line, *save = NULL;
	struct rbd_labelset ls = { 0 };
	struct rbd_matcher *m = NULL;

	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl)
		*nl++ = '\0';
	if (rbd_matcher_parse(&m, text) == 0) {
		for (line = nl ? strtok_r(nl, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			char *eq = strchr(line, '=');

			if (!eq || eq == line)
				continue;
			*eq = '\0';
			rbd_labels_set(&ls, line, eq + 1);
		}
		(void)rbd_matcher_matches(m, &ls);
		rbd_matcher_free(m);
	}
	rbd_labels_clear(&ls);
	free(text);
	return 0;
}
