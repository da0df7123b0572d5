/* err: thread-local error messages and the code -> name/status tables. */
#include "runbookd/err.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char err_msg[512];

int rbd_err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *rbd_err_msg(void)
{
	return err_msg;
}

void rbd_err_clear(void)
{
	err_msg[0] = '\0';
}

static const struct {
	int code;
	const char *name;
	int status;
} err_table[] = {
	{ RBD_OK,         "ok",             200 },
	{ RBD_EINVAL,     "invalid_input",  400 },
	{ RBD_ETOOBIG,    "too_large",      413 },
	{ RBD_ENOTFOUND,  "not_found",      404 },
	{ RBD_ECONFLICT,  "conflict",       409 },
	{ RBD_EUNAVAIL,   "unavailable",    503 },
	{ RBD_ENOMEM,     "out_of_memory",  503 },
	{ RBD_EIO,        "internal",       500 },
	{ RBD_EREFUSED,   "refused",        400 },
	{ RBD_ETIMEOUT,   "timeout",        504 },
	{ RBD_EAUTH,      "unauthorized",   401 },
	{ RBD_EFORBIDDEN, "forbidden",      403 },
};

const char *rbd_err_code_name(int code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return err_table[i].name;
	return "internal";
}

int rbd_err_http_status(int code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return err_table[i].status;
	return 500;
}
