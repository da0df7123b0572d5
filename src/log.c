/* log: logfmt to stderr, one write(2) per line so that threads do not interleave. */
#include "runbookd/log.h"
#include "runbookd/buf.h"
#include "runbookd/timeutil.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* The one piece of process-wide state: a logger configured once, read by every thread. */
static atomic_int log_level = RBD_LOG_INFO;
static atomic_bool log_pinned;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void rbd_log_set_level(enum rbd_log_level level)
{
	if (!atomic_load(&log_pinned))
		atomic_store(&log_level, (int)level);
}

void rbd_log_pin_level(enum rbd_log_level level)
{
	atomic_store(&log_level, (int)level);
	atomic_store(&log_pinned, true);
}

int rbd_log_level_parse(enum rbd_log_level *out, const char *name)
{
	for (size_t i = 0; name && i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum rbd_log_level)i;
			return 0;
		}
	}
	return -1;
}

static void put_value(struct rbd_buf *b, const char *v)
{
	int quote = (*v == '\0');

	for (const char *p = v; *p && !quote; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20)
			quote = 1;
	if (!quote) {
		rbd_buf_puts(b, v);
		return;
	}
	rbd_buf_putc(b, '"');
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			rbd_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rbd_buf_puts(b, "\\n");
		else if (c < 0x20)
			rbd_buf_printf(b, "\\x%02x", c);
		else
			rbd_buf_putc(b, (char)c);
	}
	rbd_buf_putc(b, '"');
}

void rbd_log(enum rbd_log_level level, const char *msg, ...)
{
	struct rbd_buf b = RBD_BUF_INIT(16384);
	char when[RBD_TIME_BUFSZ];
	va_list ap;
	const char *k;

	if ((int)level < atomic_load(&log_level))
		return;
	rbd_time_format_ms(when, rbd_now_ms());
	rbd_buf_printf(&b, "ts=%s level=%s msg=", when, level_names[level]);
	put_value(&b, msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		rbd_buf_printf(&b, " %s=", k);
		put_value(&b, v ? v : "");
	}
	va_end(ap);
	rbd_buf_putc(&b, '\n');
	if (write(STDERR_FILENO, rbd_buf_cstr(&b), b.len) < 0) {
		/* nowhere left to report it */
	}
	rbd_buf_free(&b);
}
