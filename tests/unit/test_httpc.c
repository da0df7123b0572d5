/*
 * test_httpc: the outgoing HTTP client against a local python echo server
 * (tests/scripts/http-echo.py) and a real Alertmanager started with
 * tests/scripts/alertmanager-start.sh. Both are started lazily, with fork+execve,
 * and killed and reaped at exit (atexit), also when checks fail. A missing
 * prometheus-alertmanager fails the Alertmanager cases: it is a declared dependency.
 */
#include "harness.h"

#include "runbookd/amclient.h"
#include "runbookd/err.h"
#include "runbookd/httpc.h"
#include "runbookd/labels.h"

#include <cJSON.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pid_t echo_pid = -1;
static int echo_port_num;
static pid_t am_pid = -1;
static int am_port_num;
static char am_dir[64];
static const char am_token[] = "am-webhook-token-1234";
static bool started_any;

static int64_t now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *tests_dir(void)
{
	const char *d = getenv("RBD_TESTS");

	return d && *d ? d : "tests";
}

/* Absolute path of prog found in PATH (static buffer), or NULL. */
static const char *find_in_path(const char *prog)
{
	static char path[4096];
	const char *p = getenv("PATH");

	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 0 && (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)n, p, prog) <
				     sizeof(path) &&
		    access(path, X_OK) == 0)
			return path;
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* Waits for pid up to ms, then SIGKILLs and reaps it. */
static void reap(pid_t pid, long ms)
{
	int64_t deadline = now_mono_ms() + ms;
	int st;

	while (now_mono_ms() < deadline) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void cleanup_children(void)
{
	int st;
	int64_t deadline;

	if (am_pid > 0) {
		kill(am_pid, SIGTERM);
		reap(am_pid, 5000);
		am_pid = -1;
	}
	if (echo_pid > 0) {
		kill(echo_pid, SIGTERM);
		reap(echo_pid, 3000);
		echo_pid = -1;
	}
	/* We are a subreaper: the start script's watchdog lands here; it exits within
	 * a second of Alertmanager's death. */
	deadline = now_mono_ms() + 3000;
	while (now_mono_ms() < deadline) {
		pid_t r = waitpid(-1, &st, WNOHANG);

		if (r < 0 && errno == ECHILD)
			break;
		if (r == 0)
			sleep_ms(50);
	}
	if (am_dir[0])
		nftw(am_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	rbd_httpc_global_cleanup();
}

static void start_once(void)
{
	if (started_any)
		return;
	started_any = true;
	/* Alertmanager is a grandchild (started by a script that exits): become its
	 * reaper so that it can be waited for. */
	prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
	rbd_httpc_global_init();
	atexit(cleanup_children);
}

/* Starts tests/scripts/http-echo.py (once) and returns its port, 0 on failure. */
static int echo_port(void)
{
	char script[4096], line[32];
	const char *python;
	int fds[2];
	size_t got = 0;
	int64_t deadline;

	if (echo_pid > 0)
		return echo_port_num;
	start_once();
	python = find_in_path("python3");
	if (!python) {
		fprintf(stderr, "  python3 not found\n");
		return 0;
	}
	snprintf(script, sizeof(script), "%s/scripts/http-echo.py", tests_dir());
	if (pipe2(fds, O_CLOEXEC) != 0)
		return 0;
	echo_pid = fork();
	if (echo_pid == 0) {
		char *argv[] = { (char *)"python3", script, NULL };

		dup2(fds[1], 1);
		execve(python, argv, environ);
		_exit(127);
	}
	close(fds[1]);
	if (echo_pid < 0) {
		close(fds[0]);
		return 0;
	}
	deadline = now_mono_ms() + 10000;
	while (got < sizeof(line) - 1 && now_mono_ms() < deadline) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		r = read(fds[0], line + got, 1);
		if (r <= 0)
			break;
		if (line[got] == '\n')
			break;
		got++;
	}
	close(fds[0]);
	line[got] = '\0';
	echo_port_num = (int)strtol(line, NULL, 10);
	if (echo_port_num <= 0)
		fprintf(stderr, "  http-echo.py did not print its port\n");
	return echo_port_num;
}

static char *echo_url(const char *path)
{
	char *u = malloc(256);

	snprintf(u, 256, "http://127.0.0.1:%d%s", echo_port(), path);
	return u;
}

/* TCP connections the echo server accepted so far, this query included; -1 on error. */
static long echo_connections(void)
{
	struct rbd_http_request req = { .method = "GET", .timeout_ms = 5000 };
	struct rbd_http_response res;
	char *url = echo_url("/count");
	cJSON *doc = NULL;
	long n = -1;

	req.url = url;
	if (rbd_httpc_do(&res, &req) == 0 && res.status == 200) {
		doc = cJSON_Parse(res.body);
		if (cJSON_IsNumber(cJSON_GetObjectItem(doc, "connections")))
			n = (long)cJSON_GetObjectItem(doc, "connections")->valuedouble;
	}
	cJSON_Delete(doc);
	rbd_http_response_clear(&res);
	free(url);
	return n;
}

/* Starts Alertmanager (once) with its webhook pointed at the echo server's /hook,
 * bearer token from a file; returns "http://127.0.0.1:PORT" (static) or NULL. */
static const char *am_url(void)
{
	static char url[64];
	char script[4096], hook[128], tokfile[128], path[128], watch[64];
	const char *bash;
	char *data;
	FILE *f;
	pid_t pid;
	int st;

	if (am_pid > 0)
		return url;
	if (!echo_port())
		return NULL;
	if (!find_in_path("prometheus-alertmanager") && !find_in_path("alertmanager")) {
		fprintf(stderr, "  prometheus-alertmanager is not installed (scripts/install-deps.sh)\n");
		return NULL;
	}
	bash = find_in_path("bash");
	if (!bash)
		return NULL;
	snprintf(am_dir, sizeof(am_dir), "/tmp/rbd-test-httpc-XXXXXX");
	if (!mkdtemp(am_dir)) {
		am_dir[0] = '\0';
		return NULL;
	}
	snprintf(tokfile, sizeof(tokfile), "%s/token", am_dir);
	f = fopen(tokfile, "w");
	if (!f)
		return NULL;
	fputs(am_token, f);
	fclose(f);
	snprintf(hook, sizeof(hook), "http://127.0.0.1:%d/hook/am", echo_port());
	snprintf(script, sizeof(script), "%s/scripts/alertmanager-start.sh", tests_dir());
	snprintf(watch, sizeof(watch), "AM_WATCH_PID=%ld", (long)getpid());
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)"bash", script, am_dir, hook, tokfile, NULL };
		int devnull = open("/dev/null", O_WRONLY);

		putenv(watch);
		dup2(devnull, 1);
		execve(bash, argv, environ);
		_exit(127);
	}
	if (pid < 0)
		return NULL;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "  alertmanager-start.sh failed\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/pid", am_dir);
	data = rbd_test_slurp(path, NULL);
	am_pid = data ? (pid_t)strtol(data, NULL, 10) : -1;
	free(data);
	snprintf(path, sizeof(path), "%s/port", am_dir);
	data = rbd_test_slurp(path, NULL);
	am_port_num = data ? (int)strtol(data, NULL, 10) : 0;
	free(data);
	if (am_pid <= 0 || am_port_num <= 0)
		return NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", am_port_num);
	return url;
}

/* A port on 127.0.0.1 that nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, port = 0;

	start_once();
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* rbd_httpc_do on the echo server; returns the parsed /echo answer or NULL. */
static cJSON *echo_call(const char *method, const char *body, const char *ctype,
			const char *bearer, long *status)
{
	struct rbd_http_request req = { 0 };
	struct rbd_http_response res;
	char *url = echo_url("/echo?x=1");
	cJSON *doc = NULL;
	int rc;

	req.method = method;
	req.url = url;
	req.body = body;
	req.content_type = ctype;
	req.bearer = bearer;
	req.timeout_ms = 5000;
	req.response_cap = 4 * 1024 * 1024;
	rc = rbd_httpc_do(&res, &req);
	*status = res.status;
	if (rc == 0 && res.body && strlen(res.body) == res.body_len && !res.truncated)
		doc = cJSON_Parse(res.body);
	else
		fprintf(stderr, "  %s /echo: rc %d %s\n", method ? method : "(null)", rc, rbd_err_msg());
	rbd_http_response_clear(&res);
	free(url);
	return doc;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_httpc__get_round_trip(void)
{
	long status = 0;
	cJSON *doc;

	REQUIRE(echo_port() > 0);
	doc = echo_call("GET", NULL, NULL, NULL, &status);
	REQUIRE(doc);
	CHECK_INT(status, 200);
	CHECK_STR(jstr(doc, "method"), "GET");
	CHECK_STR(jstr(doc, "path"), "/echo?x=1");
	CHECK_STR(jstr(doc, "body"), "");
	CHECK_STR(jstr(doc, "user_agent"), "runbookd/" RBD_VERSION);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(doc, "authorization")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(doc, "content_type")));
	cJSON_Delete(doc);

	/* method NULL: GET without a body */
	doc = echo_call(NULL, NULL, NULL, NULL, &status);
	REQUIRE(doc);
	CHECK_STR(jstr(doc, "method"), "GET");
	cJSON_Delete(doc);
}

static void test_httpc__post_body_type_and_bearer(void)
{
	long status = 0;
	cJSON *doc, *headers;

	REQUIRE(echo_port() > 0);
	doc = echo_call("POST", "{\"enabled\": false}", NULL, "tok-abc.123", &status);
	REQUIRE(doc);
	CHECK_INT(status, 200);
	CHECK_STR(jstr(doc, "method"), "POST");
	CHECK_STR(jstr(doc, "body"), "{\"enabled\": false}");
	CHECK_STR(jstr(doc, "content_type"), "application/json");
	CHECK_STR(jstr(doc, "authorization"), "Bearer tok-abc.123");
	headers = cJSON_GetObjectItem(doc, "headers");
	CHECK_STR(jstr(headers, "content-length"), "18");
	CHECK(jstr(headers, "expect") == NULL);
	cJSON_Delete(doc);

	/* Past curl's 100-continue threshold (1 MiB in 7.88): still one plain exchange. */
	{
		char *big = malloc(1200001);

		memset(big, 'b', 1200000);
		big[1200000] = '\0';
		doc = echo_call("POST", big, "text/plain", NULL, &status);
		REQUIRE(doc);
		CHECK_INT(strlen(jstr(doc, "body") ? jstr(doc, "body") : ""), 1200000);
		CHECK_STR(jstr(doc, "content_type"), "text/plain");
		CHECK(jstr(cJSON_GetObjectItem(doc, "headers"), "expect") == NULL);
		cJSON_Delete(doc);
		free(big);
	}
}

static void test_httpc__other_methods(void)
{
	static const struct {
		const char *method, *body, *ctype, *want_body, *want_ctype;
	} cases[] = {
		{ "PUT",    "a=1", "application/x-www-form-urlencoded", "a=1",
		  "application/x-www-form-urlencoded" },
		{ "PATCH",  "{}",  NULL, "{}", "application/json" },
		{ "DELETE", NULL,  NULL, "",   NULL },
		{ "PUT",    NULL,  NULL, "",   NULL },
		{ NULL,     "x",   NULL, "x",  "application/json" }, /* body, no method: POST */
	};

	REQUIRE(echo_port() > 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long status = 0;
		cJSON *doc = echo_call(cases[i].method, cases[i].body, cases[i].ctype, NULL, &status);

		REQUIRE(doc);
		CHECK_INT(status, 200);
		CHECK_STR(jstr(doc, "method"), cases[i].method ? cases[i].method : "POST");
		CHECK_STR(jstr(doc, "body"), cases[i].want_body);
		if (cases[i].want_ctype)
			CHECK_STR(jstr(doc, "content_type"), cases[i].want_ctype);
		else
			CHECK(jstr(doc, "content_type") == NULL);
		cJSON_Delete(doc);
	}
}

static void test_httpc__status_passed_through(void)
{
	static const long codes[] = { 204, 404, 500, 503 };

	REQUIRE(echo_port() > 0);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct rbd_http_request req = { .method = "GET", .timeout_ms = 5000 };
		struct rbd_http_response res;
		char path[32];
		char *url;

		snprintf(path, sizeof(path), "/status/%ld", codes[i]);
		url = echo_url(path);
		req.url = url;
		CHECK_INT(rbd_httpc_do(&res, &req), 0);
		CHECK_INT(res.status, codes[i]);
		CHECK(res.body != NULL);
		if (codes[i] != 204)
			CHECK(res.body && strstr(res.body, path + 8));
		rbd_http_response_clear(&res);
		free(url);
	}
}

static void test_httpc__redirect_not_followed(void)
{
	struct rbd_http_request req = { .method = "GET", .timeout_ms = 5000 };
	struct rbd_http_response res;
	char *url;
	long before, after;

	REQUIRE(echo_port() > 0);
	url = echo_url("/redirect");
	req.url = url;
	before = echo_connections();
	CHECK_INT(rbd_httpc_do(&res, &req), 0);
	after = echo_connections();
	CHECK_INT(res.status, 302);
	CHECK_STR(res.body, "moved");
	/* the redirect and the second count: no request to /echo */
	CHECK_INT(after - before, 2);
	rbd_http_response_clear(&res);
	free(url);
}

static void test_httpc__timeout(void)
{
	struct rbd_http_request req = { .method = "GET", .timeout_ms = 500 };
	struct rbd_http_response res;
	char *url;
	int64_t t0, took;

	REQUIRE(echo_port() > 0);
	url = echo_url("/slow?s=3");
	req.url = url;
	t0 = now_mono_ms();
	CHECK_INT(rbd_httpc_do(&res, &req), RBD_ETIMEOUT);
	took = now_mono_ms() - t0;
	CHECK(took >= 450);
	CHECK(took < 1500);
	CHECK(res.duration_ms >= 450 && res.duration_ms < 1500);
	CHECK_INT(res.status, 0);
	CHECK(res.body == NULL);
	CHECK(strstr(rbd_err_msg(), "GET http://127.0.0.1:") != NULL);
	CHECK(strstr(rbd_err_msg(), "slow") == NULL);
	fprintf(stderr, "  timeout after %lld ms: %s\n", (long long)took, rbd_err_msg());
	rbd_http_response_clear(&res);
	free(url);
}

static void test_httpc__response_cap(void)
{
	struct rbd_http_request req = { .method = "GET", .timeout_ms = 5000 };
	struct rbd_http_response res;
	char *url;

	REQUIRE(echo_port() > 0);
	url = echo_url("/big");
	req.url = url;

	req.response_cap = 1000;
	CHECK_INT(rbd_httpc_do(&res, &req), 0);
	CHECK_INT(res.status, 200);
	CHECK(res.truncated);
	CHECK_INT(res.body_len, 1000);
	CHECK_INT(res.body ? strlen(res.body) : 0, 1000);
	rbd_http_response_clear(&res);

	req.response_cap = 0; /* the default, 64 KiB */
	CHECK_INT(rbd_httpc_do(&res, &req), 0);
	CHECK(res.truncated);
	CHECK_INT(res.body_len, 65536);
	rbd_http_response_clear(&res);

	req.response_cap = 2 * 1024 * 1024;
	CHECK_INT(rbd_httpc_do(&res, &req), 0);
	CHECK(!res.truncated);
	CHECK_INT(res.body_len, 1024 * 1024);
	CHECK(res.body && res.body[0] == 'x' && res.body[1024 * 1024 - 1] == 'x');
	rbd_http_response_clear(&res);

	req.response_cap = 1024 * 1024; /* exactly the size: nothing dropped */
	CHECK_INT(rbd_httpc_do(&res, &req), 0);
	CHECK(!res.truncated);
	CHECK_INT(res.body_len, 1024 * 1024);
	rbd_http_response_clear(&res);
	free(url);
}

static void test_httpc__connection_refused(void)
{
	struct rbd_http_request req = { .method = "POST", .timeout_ms = 3000 };
	struct rbd_http_response res;
	char url[128];
	int port = closed_port();

	REQUIRE(port > 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook?token=canary-query", port);
	req.url = url;
	req.body = "{\"secret\": \"canary-body\"}";
	req.bearer = "canary-bearer";
	CHECK_INT(rbd_httpc_do(&res, &req), RBD_EUNAVAIL);
	CHECK_INT(res.status, 0);
	CHECK(res.body == NULL);
	CHECK(strstr(rbd_err_msg(), "127.0.0.1") != NULL);
	CHECK(strstr(rbd_err_msg(), "canary") == NULL);
	rbd_http_response_clear(&res);

	/* a server that does not speak HTTP is unavailable, not our invalid input */
	if (echo_port() > 0) {
		char *g = echo_url("/garbage");

		req.url = g;
		CHECK_INT(rbd_httpc_do(&res, &req), RBD_EUNAVAIL);
		CHECK(strstr(rbd_err_msg(), "canary") == NULL);
		rbd_http_response_clear(&res);
		free(g);
	}

	/* an unresolvable name is unavailable too */
	req.url = "http://rbd-test.invalid/";
	CHECK_INT(rbd_httpc_do(&res, &req), RBD_EUNAVAIL);
	CHECK(strstr(rbd_err_msg(), "canary") == NULL);
	rbd_http_response_clear(&res);
}

static void test_httpc__refused_urls_request_nothing(void)
{
	char bad[16][160];
	size_t n = 0;
	int port;
	long before, after;

	REQUIRE((port = echo_port()) > 0);
	snprintf(bad[n++], sizeof(bad[0]), "file:///etc/passwd");
	snprintf(bad[n++], sizeof(bad[0]), "ftp://127.0.0.1:%d/echo", port);
	snprintf(bad[n++], sizeof(bad[0]), "gopher://127.0.0.1:%d/_GET%%20/echo", port);
	snprintf(bad[n++], sizeof(bad[0]), "dict://127.0.0.1:%d/x", port);
	snprintf(bad[n++], sizeof(bad[0]), "telnet://127.0.0.1:%d/", port);
	snprintf(bad[n++], sizeof(bad[0]), "127.0.0.1:%d/echo", port);
	snprintf(bad[n++], sizeof(bad[0]), "//127.0.0.1:%d/echo", port);
	snprintf(bad[n++], sizeof(bad[0]), "http:/127.0.0.1:%d/echo", port);
	snprintf(bad[n++], sizeof(bad[0]), "http:///127.0.0.1:%d/echo", port);
	snprintf(bad[n++], sizeof(bad[0]), "http://user:pw@127.0.0.1:%d/echo", port);
	snprintf(bad[n++], sizeof(bad[0]), "http://127.0.0.1:%d/echo x", port);
	snprintf(bad[n++], sizeof(bad[0]), "http://127.0.0.1:0/echo");
	snprintf(bad[n++], sizeof(bad[0]), "%s", "");

	before = echo_connections();
	REQUIRE(before > 0);
	for (size_t i = 0; i < n; i++) {
		struct rbd_http_request req = { .method = "GET", .url = bad[i], .timeout_ms = 2000 };
		struct rbd_http_response res;
		int rc = rbd_httpc_do(&res, &req);

		if (rc != RBD_EINVAL)
			fprintf(stderr, "  URL \"%s\": rc %d (%s)\n", bad[i], rc, rbd_err_msg());
		CHECK_INT(rc, RBD_EINVAL);
		CHECK_INT(res.status, 0);
		CHECK(res.body == NULL);
		rbd_http_response_clear(&res);
	}
	{
		struct rbd_http_request req = { .url = NULL, .timeout_ms = 2000 };
		struct rbd_http_response res;

		CHECK_INT(rbd_httpc_do(&res, &req), RBD_EINVAL);
	}
	after = echo_connections();
	CHECK_INT(after - before, 1); /* only the second count */
}

static void test_httpc__bad_method_and_header_values(void)
{
	static const struct {
		const char *method, *ctype, *bearer, *body;
	} cases[] = {
		{ "TRACE",  NULL,                      NULL,                   NULL },
		{ "get",    NULL,                      NULL,                   NULL },
		{ "POST",   "text/plain\r\nX-Evil: 1", NULL,                   "x" },
		{ "POST",   "",                        NULL,                   "x" },
		{ "GET",    NULL,                      "canary\r\nX-Evil: 1",  NULL },
		{ "GET",    NULL,                      "canary\nX-Evil: 1",    NULL },
		{ "GET",    NULL,                      "",                     NULL },
	};
	long before, after;
	char *url;

	REQUIRE(echo_port() > 0);
	url = echo_url("/echo");
	before = echo_connections();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rbd_http_request req = { .method = cases[i].method, .url = url,
						.content_type = cases[i].ctype,
						.bearer = cases[i].bearer, .body = cases[i].body,
						.timeout_ms = 2000 };
		struct rbd_http_response res;

		CHECK_INT(rbd_httpc_do(&res, &req), RBD_EINVAL);
		CHECK(strstr(rbd_err_msg(), "canary") == NULL);
		CHECK(strstr(rbd_err_msg(), "Evil") == NULL);
		rbd_http_response_clear(&res);
	}
	after = echo_connections();
	CHECK_INT(after - before, 1);
	free(url);
}

struct thread_arg {
	int id;
	int ok;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 10; i++) {
		struct rbd_http_request req = { .method = "POST", .timeout_ms = 5000 };
		struct rbd_http_response res;
		char body[64], want[80];
		char *url = echo_url("/echo");

		snprintf(body, sizeof(body), "thread-%d-req-%d", a->id, i);
		snprintf(want, sizeof(want), "\"body\": \"%s\"", body);
		req.url = url;
		req.body = body;
		if (rbd_httpc_do(&res, &req) == 0 && res.status == 200 && strstr(res.body, want))
			a->ok++;
		rbd_http_response_clear(&res);
		free(url);
	}
	return NULL;
}

static void test_httpc__concurrent_calls(void)
{
	pthread_t th[8];
	struct thread_arg args[8];

	REQUIRE(echo_port() > 0);
	for (int i = 0; i < 8; i++) {
		args[i].id = i;
		args[i].ok = 0;
		REQUIRE(pthread_create(&th[i], NULL, thread_main, &args[i]) == 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(args[i].ok, 10);
	}
}

static void test_httpc__proxy_environment_ignored(void)
{
	static const char *const vars[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
					    "HTTPS_PROXY", "ALL_PROXY", "all_proxy" };
	struct rbd_http_request req = { .method = "GET", .timeout_ms = 3000 };
	struct rbd_http_response res;
	char proxy[64];
	long before, after;
	int rc;

	REQUIRE(echo_port() > 0);
	/* The echo server as the proxy: a proxied request would reach it (404 for an
	 * absolute-form path) instead of failing to resolve the .invalid host. */
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", echo_port());
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		setenv(vars[i], proxy, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	before = echo_connections();
	req.url = "http://rbd-proxy-test.invalid/echo";
	rc = rbd_httpc_do(&res, &req);
	after = echo_connections();
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	CHECK_INT(rc, RBD_EUNAVAIL);
	CHECK_INT(res.status, 0);
	CHECK_INT(after - before, 1);
	rbd_http_response_clear(&res);
}

static void test_httpc__url_base(void)
{
	static const struct {
		const char *url, *want; /* want NULL: RBD_EINVAL */
	} cases[] = {
		{ "http://127.0.0.1:8080/admin/flags/order-writes?x=1#f", "http://127.0.0.1:8080" },
		/* no port: made explicit, so both spellings pin to the same base */
		{ "http://Example.COM/x",       "http://example.com:80" },
		{ "http://example.com:80/",     "http://example.com:80" },
		{ "https://h",                  "https://h:443" },
		{ "HTTPS://H:8443/a/b",         "https://h:8443" },
		{ "http://[::1]:9093/api",      "http://[::1]:9093" },
		{ "http://h:/",                 "http://h:80" },
		{ "http://u:p@h/",              NULL },
		{ "http://u@h/",                NULL },
		{ "http://@h/",                 NULL },
		{ "http://h\\@evil/",           NULL },
		{ "file:///etc/passwd",         NULL },
		{ "ftp://h/",                   NULL },
		{ "gopher://h/",                NULL },
		{ "h:80/x",                     NULL },
		{ "//h/x",                      NULL },
		{ "http:/h/x",                  NULL },
		{ "http:///x",                  NULL },
		{ "http://",                    NULL },
		{ "http://:80/",                NULL },
		{ "http://h:0/",                NULL },
		{ "http://h:99999/",            NULL },
		{ "http://h x/",                NULL },
		{ "http://[fe80::1%25eth0]/",   NULL },
		{ " http://h/",                 NULL },
		{ "",                           NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = (char *)"unset";
		int rc = rbd_httpc_url_base(&out, cases[i].url);

		if (cases[i].want) {
			CHECK_INT(rc, 0);
			CHECK_STR(out, cases[i].want);
		} else {
			if (rc != RBD_EINVAL)
				fprintf(stderr, "  \"%s\" was accepted as %s\n", cases[i].url,
					out ? out : "(null)");
			CHECK_INT(rc, RBD_EINVAL);
			CHECK(out == NULL);
			CHECK(rbd_err_msg()[0] != '\0');
		}
		free(rc == 0 ? out : NULL);
	}
	{
		char *out = (char *)"unset";

		CHECK_INT(rbd_httpc_url_base(&out, NULL), RBD_EINVAL);
		CHECK(out == NULL);
	}
}

/* The recorded /hook requests of the echo server, parsed; NULL on error. */
static cJSON *echo_hooks(void)
{
	struct rbd_http_request req = { .method = "GET", .timeout_ms = 5000 };
	struct rbd_http_response res;
	char *url = echo_url("/hooks");
	cJSON *doc = NULL;

	req.url = url;
	req.response_cap = 16 * 1024 * 1024;
	if (rbd_httpc_do(&res, &req) == 0 && res.status == 200)
		doc = cJSON_Parse(res.body);
	rbd_http_response_clear(&res);
	free(url);
	return doc;
}

/* The last recorded hook whose path starts with prefix (borrowed from hooks). */
static const cJSON *find_hook(const cJSON *hooks, const char *prefix)
{
	const cJSON *h, *found = NULL;

	cJSON_ArrayForEach(h, hooks) {
		const char *p = jstr(h, "path");

		if (p && strncmp(p, prefix, strlen(prefix)) == 0)
			found = h;
	}
	return found;
}

static bool is_rfc3339_ms(const char *s)
{
	/* 2026-11-25T07:55:47.033Z */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

/* Against the echo server: the request shape and the URL join, offline. */
static void test_httpc__am_requests_shape(void)
{
	struct rbd_labelset ls = { 0 };
	char base[128];
	char *id = (char *)"unset", **fps = (char **)"unset";
	size_t n = 99;
	cJSON *hooks, *body;
	const cJSON *h, *m;

	REQUIRE(echo_port() > 0);
	REQUIRE(rbd_labels_set(&ls, "service", "orders") == 0);
	REQUIRE(rbd_labels_set(&ls, "alertname", "HighLatencyP99") == 0);

	/* prefix with a trailing slash, a query and a fragment to drop */
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/hookpfx/am/?q=1#frag", echo_port());
	CHECK_INT(rbd_am_silence_create(&id, base, &ls, 3600000, "alice", "latency runbook 2.2",
					5000), RBD_EUNAVAIL); /* echo answers {}: no silenceID */
	CHECK(id == NULL);
	/* without a trailing slash */
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/hookpfx2", echo_port());
	CHECK_INT(rbd_am_alert_fingerprints(&fps, &n, base, 5000), RBD_EUNAVAIL); /* {} */
	CHECK(fps == NULL);
	CHECK_INT(n, 0);

	hooks = echo_hooks();
	REQUIRE(hooks);
	h = find_hook(hooks, "/hookpfx/");
	CHECK(h != NULL);
	CHECK_STR(jstr(h, "path"), "/hookpfx/am/api/v2/silences");
	CHECK_STR(jstr(h, "method"), "POST");
	CHECK_STR(jstr(cJSON_GetObjectItem(h, "headers"), "content-type"), "application/json");
	body = cJSON_Parse(jstr(h, "body"));
	CHECK(body != NULL);
	m = cJSON_GetObjectItem(body, "matchers");
	CHECK_INT(cJSON_GetArraySize(m), 2);
	for (int i = 0; i < cJSON_GetArraySize(m); i++) {
		const cJSON *e = cJSON_GetArrayItem(m, i);

		CHECK_STR(jstr(e, "name"), i == 0 ? "alertname" : "service");
		CHECK_STR(jstr(e, "value"), i == 0 ? "HighLatencyP99" : "orders");
		CHECK(cJSON_IsFalse(cJSON_GetObjectItem(e, "isRegex")));
		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(e, "isEqual")));
	}
	CHECK(is_rfc3339_ms(jstr(body, "startsAt")));
	CHECK(is_rfc3339_ms(jstr(body, "endsAt")));
	CHECK_STR(jstr(body, "createdBy"), "alice");
	CHECK_STR(jstr(body, "comment"), "latency runbook 2.2");
	cJSON_Delete(body);

	h = find_hook(hooks, "/hookpfx2/");
	CHECK(h != NULL);
	CHECK_STR(jstr(h, "path"),
		  "/hookpfx2/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true");
	CHECK_STR(jstr(h, "method"), "GET");
	cJSON_Delete(hooks);
	rbd_labels_clear(&ls);
}

static void test_httpc__am_argument_errors(void)
{
	struct rbd_labelset ls = { 0 }, empty = { 0 }, blank = { 0 };
	char *id = NULL, **fps = NULL;
	size_t n = 0;
	char url[64];

	REQUIRE(rbd_labels_set(&ls, "alertname", "X") == 0);
	REQUIRE(rbd_labels_set(&blank, "alertname", "") == 0);
	CHECK_INT(rbd_am_silence_create(&id, "http://127.0.0.1:1", &empty, 1000, NULL, NULL, 1000),
		  RBD_EINVAL);
	CHECK_INT(rbd_am_silence_create(&id, "http://127.0.0.1:1", &blank, 1000, NULL, NULL, 1000),
		  RBD_EINVAL);
	CHECK_INT(rbd_am_silence_create(&id, "http://127.0.0.1:1", &ls, 0, NULL, NULL, 1000),
		  RBD_EINVAL);
	CHECK_INT(rbd_am_silence_create(&id, "http://127.0.0.1:1", &ls, -5, NULL, NULL, 1000),
		  RBD_EINVAL);
	CHECK_INT(rbd_am_silence_create(&id, "http://127.0.0.1:1", &ls, INT64_MAX, NULL, NULL, 1000),
		  RBD_EINVAL);
	CHECK_INT(rbd_am_silence_create(&id, "file:///tmp/x", &ls, 1000, NULL, NULL, 1000),
		  RBD_EINVAL);
	CHECK_INT(rbd_am_alert_fingerprints(&fps, &n, "ftp://127.0.0.1/", 1000), RBD_EINVAL);
	CHECK(id == NULL && fps == NULL && n == 0);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", closed_port());
	CHECK_INT(rbd_am_silence_create(&id, url, &ls, 1000, NULL, NULL, 2000), RBD_EUNAVAIL);
	CHECK_INT(rbd_am_alert_fingerprints(&fps, &n, url, 2000), RBD_EUNAVAIL);

	/* Alertmanager's status codes: 4xx is our fault, 5xx its own */
	if (echo_port() > 0) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/nothing-here", echo_port());
		CHECK_INT(rbd_am_silence_create(&id, url, &ls, 1000, NULL, NULL, 2000), RBD_EINVAL);
		CHECK(strstr(rbd_err_msg(), "404") != NULL);
	}
	rbd_labels_clear(&ls);
	rbd_labels_clear(&blank);
}

/* Alertmanager's alert fingerprint: FNV-1a 64 over sorted name, 0xff, value, 0xff. */
static void am_fingerprint(char out[17], const struct rbd_labelset *ls)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < ls->n; i++) {
		const char *parts[2] = { ls->kv[i].key, ls->kv[i].value };

		for (int k = 0; k < 2; k++) {
			for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
				h ^= *p;
				h *= 1099511628211ULL;
			}
			h ^= 0xff;
			h *= 1099511628211ULL;
		}
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* POST /api/v2/alerts with one alert that started a minute ago; resolved: it ended
 * a second ago. */
static int am_post_alert(const char *base, const struct rbd_labelset *ls, int ends_resolved)
{
	struct rbd_http_request req = { .method = "POST", .timeout_ms = 5000 };
	struct rbd_http_response res;
	cJSON *arr = cJSON_CreateArray(), *a = cJSON_CreateObject(), *labels = cJSON_CreateObject();
	char url[128], ts[32];
	time_t start = time(NULL) - 60, end = time(NULL) - 1;
	struct tm tm;
	char *body;
	int rc;

	for (size_t i = 0; i < ls->n; i++)
		cJSON_AddStringToObject(labels, ls->kv[i].key, ls->kv[i].value);
	cJSON_AddItemToObject(a, "labels", labels);
	cJSON_AddItemToObject(cJSON_AddObjectToObject(a, "annotations"), "summary",
			      cJSON_CreateString("from test_httpc"));
	gmtime_r(&start, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(a, "startsAt", ts);
	if (ends_resolved) {
		gmtime_r(&end, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cJSON_AddStringToObject(a, "endsAt", ts);
	}
	cJSON_AddItemToArray(arr, a);
	body = cJSON_PrintUnformatted(arr);
	snprintf(url, sizeof(url), "%s/api/v2/alerts", base);
	req.url = url;
	req.body = body;
	rc = rbd_httpc_do(&res, &req);
	if (rc == 0 && res.status != 200) {
		fprintf(stderr, "  POST /api/v2/alerts: %ld %s\n", res.status, res.body);
		rc = -1;
	}
	rbd_http_response_clear(&res);
	cJSON_free(body);
	cJSON_Delete(arr);
	return rc;
}

static void test_httpc__am_silence_created(void)
{
	struct rbd_http_request req = { .method = "GET", .timeout_ms = 5000 };
	struct rbd_http_response res;
	struct rbd_labelset ls = { 0 };
	const char *base = am_url();
	char base_slash[80], url[256];
	char *id = NULL;
	cJSON *doc = NULL;
	const cJSON *m;
	int64_t t_start, t_end;

	REQUIRE(base);
	REQUIRE(rbd_labels_set(&ls, "alertname", "RbdHttpcSilence") == 0);
	REQUIRE(rbd_labels_set(&ls, "service", "orders") == 0);
	snprintf(base_slash, sizeof(base_slash), "%s/", base);
	CHECK_INT(rbd_am_silence_create(&id, base_slash, &ls, 3600000, "runbookd-test",
					"rule latency-stop-loadtest", 5000), 0);
	REQUIRE(id && *id);

	snprintf(url, sizeof(url), "%s/api/v2/silence/%s", base, id);
	req.url = url;
	CHECK_INT(rbd_httpc_do(&res, &req), 0);
	CHECK_INT(res.status, 200);
	doc = cJSON_Parse(res.body);
	REQUIRE(doc);
	CHECK_STR(jstr(doc, "id"), id);
	CHECK_STR(jstr(cJSON_GetObjectItem(doc, "status"), "state"), "active");
	CHECK_STR(jstr(doc, "createdBy"), "runbookd-test");
	CHECK_STR(jstr(doc, "comment"), "rule latency-stop-loadtest");
	m = cJSON_GetObjectItem(doc, "matchers");
	CHECK_INT(cJSON_GetArraySize(m), 2);
	for (int i = 0; i < cJSON_GetArraySize(m); i++) {
		const cJSON *e = cJSON_GetArrayItem(m, i);
		const char *name = jstr(e, "name");

		CHECK_STR(jstr(e, "value"), rbd_labels_get(&ls, name ? name : ""));
		CHECK(cJSON_IsFalse(cJSON_GetObjectItem(e, "isRegex")));
		CHECK(cJSON_IsTrue(cJSON_GetObjectItem(e, "isEqual")));
	}
	/* Alertmanager answers with its own RFC 3339 rendering; check the span roughly */
	{
		struct tm a = { 0 }, b = { 0 };
		const char *s = jstr(doc, "startsAt"), *e = jstr(doc, "endsAt");

		REQUIRE(s && e);
		CHECK(strptime(s, "%Y-%m-%dT%H:%M:%S", &a) != NULL);
		CHECK(strptime(e, "%Y-%m-%dT%H:%M:%S", &b) != NULL);
		t_start = (int64_t)timegm(&a);
		t_end = (int64_t)timegm(&b);
		CHECK(t_end - t_start >= 3599 && t_end - t_start <= 3601);
		CHECK(t_start - (int64_t)time(NULL) <= 2 && (int64_t)time(NULL) - t_start <= 10);
	}
	cJSON_Delete(doc);
	rbd_http_response_clear(&res);

	/* and it is listed by GET /api/v2/silences */
	snprintf(url, sizeof(url), "%s/api/v2/silences", base);
	req.response_cap = 4 * 1024 * 1024;
	CHECK_INT(rbd_httpc_do(&res, &req), 0);
	CHECK_INT(res.status, 200);
	CHECK(res.body && strstr(res.body, id) != NULL);
	rbd_http_response_clear(&res);
	free(id);
	rbd_labels_clear(&ls);
}

static bool contains(char **fps, size_t n, const char *fp)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fps[i], fp) == 0)
			return true;
	return false;
}

static void test_httpc__am_fingerprints_listed(void)
{
	struct rbd_labelset plain = { 0 }, silenced = { 0 };
	const char *base = am_url();
	char fp_plain[17], fp_silenced[17];
	char *id = NULL, **fps = NULL;
	size_t n = 0;

	REQUIRE(base);
	REQUIRE(rbd_labels_set(&plain, "alertname", "RbdHttpcFingerprint") == 0);
	REQUIRE(rbd_labels_set(&plain, "service", "payments") == 0);
	REQUIRE(rbd_labels_set(&plain, "severity", "warning") == 0);
	REQUIRE(rbd_labels_set(&silenced, "alertname", "RbdHttpcSilenced") == 0);
	REQUIRE(rbd_labels_set(&silenced, "service", "orders") == 0);
	am_fingerprint(fp_plain, &plain);
	am_fingerprint(fp_silenced, &silenced);

	CHECK_INT(rbd_am_silence_create(&id, base, &silenced, 600000, NULL, NULL, 5000), 0);
	CHECK_INT(am_post_alert(base, &plain, 0), 0);
	CHECK_INT(am_post_alert(base, &silenced, 0), 0);

	CHECK_INT(rbd_am_alert_fingerprints(&fps, &n, base, 5000), 0);
	CHECK(n >= 2);
	if (!contains(fps, n, fp_plain) || !contains(fps, n, fp_silenced)) {
		fprintf(stderr, "  expected %s and %s among:", fp_plain, fp_silenced);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", fps[i]);
		fprintf(stderr, "\n");
	}
	CHECK(contains(fps, n, fp_plain));
	CHECK(contains(fps, n, fp_silenced));
	for (size_t i = 0; i < n; i++)
		CHECK_INT(strlen(fps[i]), 16);
	rbd_am_fingerprints_free(fps, n);
	fps = NULL;

	/* once the silence has been applied, the alert is still listed */
	sleep_ms(300);
	CHECK_INT(rbd_am_alert_fingerprints(&fps, &n, base, 5000), 0);
	CHECK(contains(fps, n, fp_silenced));
	rbd_am_fingerprints_free(fps, n);
	free(id);
	rbd_labels_clear(&plain);
	rbd_labels_clear(&silenced);
}

/* The config alertmanager-start.sh writes: webhook with bearer, group_by, send_resolved. */
static void test_httpc__am_start_script_webhook(void)
{
	struct rbd_labelset ls = { 0 };
	const char *base = am_url();
	char bearer[64];
	bool firing = false, resolved = false;
	int64_t deadline;

	REQUIRE(base);
	REQUIRE(rbd_labels_set(&ls, "alertname", "RbdHttpcWebhook") == 0);
	REQUIRE(rbd_labels_set(&ls, "service", "kafka") == 0);
	REQUIRE(rbd_labels_set(&ls, "instance", "k1") == 0);
	snprintf(bearer, sizeof(bearer), "Bearer %s", am_token);
	CHECK_INT(am_post_alert(base, &ls, 0), 0);

	deadline = now_mono_ms() + 12000;
	while (now_mono_ms() < deadline && !(firing && resolved)) {
		cJSON *hooks = echo_hooks();
		const cJSON *h;

		cJSON_ArrayForEach(h, hooks) {
			cJSON *body;
			const cJSON *gl;
			const char *status;

			if (strcmp(jstr(h, "path") ? jstr(h, "path") : "", "/hook/am") != 0)
				continue;
			body = cJSON_Parse(jstr(h, "body"));
			gl = cJSON_GetObjectItem(body, "groupLabels");
			if (strcmp(jstr(gl, "alertname") ? jstr(gl, "alertname") : "",
				   "RbdHttpcWebhook") != 0) {
				cJSON_Delete(body);
				continue;
			}
			CHECK_STR(jstr(cJSON_GetObjectItem(h, "headers"), "authorization"), bearer);
			CHECK_STR(jstr(body, "version"), "4");
			CHECK_STR(jstr(gl, "service"), "kafka");
			CHECK(jstr(gl, "instance") == NULL); /* not grouped by instance */
			status = jstr(body, "status");
			if (status && strcmp(status, "firing") == 0 && !firing) {
				firing = true;
				/* now resolve it: send_resolved must deliver that too */
				CHECK_INT(am_post_alert(base, &ls, 1), 0);
			} else if (status && strcmp(status, "resolved") == 0) {
				resolved = true;
			}
			cJSON_Delete(body);
		}
		cJSON_Delete(hooks);
		if (!(firing && resolved))
			sleep_ms(200);
	}
	CHECK(firing);
	CHECK(resolved);
	rbd_labels_clear(&ls);
}

static const struct rbd_test_case cases[] = {
	RBD_TEST(test_httpc__get_round_trip),
	RBD_TEST(test_httpc__post_body_type_and_bearer),
	RBD_TEST(test_httpc__other_methods),
	RBD_TEST(test_httpc__status_passed_through),
	RBD_TEST(test_httpc__redirect_not_followed),
	RBD_TEST(test_httpc__timeout),
	RBD_TEST(test_httpc__response_cap),
	RBD_TEST(test_httpc__connection_refused),
	RBD_TEST(test_httpc__refused_urls_request_nothing),
	RBD_TEST(test_httpc__bad_method_and_header_values),
	RBD_TEST(test_httpc__concurrent_calls),
	RBD_TEST(test_httpc__proxy_environment_ignored),
	RBD_TEST(test_httpc__url_base),
	RBD_TEST(test_httpc__am_requests_shape),
	RBD_TEST(test_httpc__am_argument_errors),
	RBD_TEST(test_httpc__am_silence_created),
	RBD_TEST(test_httpc__am_fingerprints_listed),
	RBD_TEST(test_httpc__am_start_script_webhook),
};

RBD_TEST_MAIN(cases)
