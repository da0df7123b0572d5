/* libFuzzer target: templates (rbd_template_compile / rbd_template_render with every
 * escaping) and param checks. The first line is the template; the second, if any, is
 * the value of every label, annotation and param it may reference. */
#include "runbookd/labels.h"
#include "runbookd/regex.h"
#include "runbookd/template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *value = "v", *nl;
	struct rbd_labelset labels = { 0 };
	struct rbd_template *t = NULL;
	struct rbd_param_spec spec = { 0 };
	char *one_of[] = { "-rf", "app" };

	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl) {
		*nl++ = '\0';
		value = nl;
	}
	if (rbd_template_compile(&t, text) == 0) {
		static const enum rbd_tmpl_escape escs[] = { RBD_ESC_NONE, RBD_ESC_URL, RBD_ESC_JSON };

		for (size_t i = 0; i < rbd_template_nrefs(t); i++) {
			const char *name = NULL;

			rbd_template_ref(t, i, &name);
			if (name && *name)
				rbd_labels_set(&labels, name, value);
		}
		for (size_t e = 0; e < 3; e++) {
			struct rbd_template_data d = {
				.labels = &labels, .annotations = &labels, .params = &labels,
				.fingerprint = "0123456789abcdef", .status = "firing",
				.starts_at = "2026-11-25T07:55:47.033Z", .rule = "r", .incident_id = 7,
				.now = "2026-11-25T07:56:00.000Z",
			};
			char *out = NULL;

			if (rbd_template_render(&out, t, &d, escs[e], e == 2 ? 64 : 0) == 0)
				free(out);
		}
		rbd_template_free(t);
	}
	spec.one_of = one_of;
	spec.n_one_of = 2;
	(void)rbd_param_check(&spec, value);
	rbd_labels_clear(&labels);
	free(text);
	return 0;
}
