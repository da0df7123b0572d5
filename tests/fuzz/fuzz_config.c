/* libFuzzer target: the config and rule loader (rbd_config_load, libyaml). The input
 * is runbookd.yaml, optionally followed by a line "---RULES---" and the rules file it
 * names as rules.yaml; both are written to a private temp directory. */
#include "runbookd/config.h"
#include "runbookd/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], cfg_path[128], rules_path[128];

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

static void cleanup(void)
{
	unlink(cfg_path);
	unlink(rules_path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n---RULES---\n";
	const uint8_t *rules = NULL;
	size_t cfg_len = size, rules_len = 0;
	struct rbd_config *cfg = NULL;
	struct rbd_diag diag = { 0 };

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/rbd-fuzz-config.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(cfg_path, sizeof(cfg_path), "%s/runbookd.yaml", dir);
		snprintf(rules_path, sizeof(rules_path), "%s/rules.yaml", dir);
		atexit(cleanup);
		rbd_log_set_level(RBD_LOG_ERROR);
		setenv("RBD_FUZZ_TOKEN", "fuzz-token-0123456789", 1);
	}
	for (size_t i = 0; i + sizeof(sep) - 1 <= size; i++)
		if (memcmp(data + i, sep, sizeof(sep) - 1) == 0) {
			cfg_len = i;
			rules = data + i + sizeof(sep) - 1;
			rules_len = size - cfg_len - (sizeof(sep) - 1);
			break;
		}
	put(cfg_path, data, cfg_len);
	put(rules_path, rules ? rules : (const uint8_t *)"", rules_len);
	if (rbd_config_load(&cfg, cfg_path, &diag) == 0)
		rbd_config_free(cfg);
	rbd_diag_clear(&diag);
	return 0;
}
