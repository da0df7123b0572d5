/*
 * bench_openloop: an open-loop, fixed-rate HTTP load generator for POST /api/v1/alerts.
 * Request i is due at start + i / rate whatever happened to the ones before it, and
 * its latency is measured from that due time, not from when a connection was free to
 * send it: a stall of the server shows in the latency of every request due during it
 * (no coordinated omission, the flaw of closed-loop tools such as wrk). Each request
 * gets its own fingerprint (new episodes) unless "same" is given.
 *
 * usage: bench_openloop PORT RATE SECONDS CONNS TOKEN_FILE BODY_FILE [unique|same]
 *   BODY_FILE: an Alertmanager notification whose text "@FP@" (every occurrence) is
 *   replaced by a 16-hex-digit fingerprint per request.
 * Prints sent/answered/errors, the achieved rate, and min / p50 / p90 / p99 / p99.9 /
 * max latency from the due time (and, for comparison, from the actual send).
 * Must never: connect beyond 127.0.0.1, or run past SECONDS + 10 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define RESP_MAX  65536

struct conn {
	int fd;
	int busy;
	long req;               /* the request in flight */
	char *out;
	size_t out_len, out_off;
	char in[RESP_MAX];
	size_t in_len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(2);
	}
	b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	b[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return b;
}

static int connect_to(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* The request text for request i (caller frees). */
static char *build(const char *tmpl, const char *token, long i, int same, size_t *len)
{
	char fp[17], *body, *req;
	size_t tl = strlen(tmpl), bl = 0, cap = tl + 64 * 17;
	const char *p = tmpl, *q;

	snprintf(fp, sizeof(fp), "%016lx", same ? 1L : (long)(0x5ee0000000000000L | i));
	body = malloc(cap);
	while ((q = strstr(p, "@FP@")) != NULL && bl + (size_t)(q - p) + 16 < cap) {
		memcpy(body + bl, p, (size_t)(q - p));
		bl += (size_t)(q - p);
		memcpy(body + bl, fp, 16);
		bl += 16;
		p = q + 4;
	}
	memcpy(body + bl, p, strlen(p));
	bl += strlen(p);
	req = malloc(bl + 512);
	*len = (size_t)snprintf(req, 512, "POST /api/v1/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
				"Content-Length: %zu\r\n\r\n", token, bl);
	memcpy(req + *len, body, bl);
	*len += bl;
	free(body);
	return req;
}

/* 1 when c->in holds one whole response (then *status), 0 when not yet. */
static int response_done(struct conn *c, int *status)
{
	char *end, *cl;
	long n = 0;

	c->in[c->in_len < RESP_MAX ? c->in_len : RESP_MAX - 1] = 0;
	end = strstr(c->in, "\r\n\r\n");
	if (!end)
		return 0;
	cl = strcasestr(c->in, "\r\nContent-Length:");
	if (cl && cl < end)
		n = strtol(cl + 17, NULL, 10);
	if ((size_t)(end + 4 - c->in) + (size_t)n > c->in_len)
		return 0;
	*status = (int)strtol(c->in + 9, NULL, 10);
	return 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *v, long n)
{
	if (n == 0)
		return;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-22s min %.2f  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n", what,
	       v[0] * 1e3, v[n / 2] * 1e3, v[(n * 90) / 100] * 1e3, v[(n * 99) / 100] * 1e3,
	       v[(n * 999) / 1000] * 1e3, v[n - 1] * 1e3);
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	struct pollfd pf[MAX_CONNS];
	double rate, secs, start, *lat, *svc, *sent_at;
	long total, next = 0, done = 0, errors = 0, *queue, qh = 0, qt = 0;
	int port, nconns, same;
	char *tmpl, *token;
	size_t tl;

	if (argc < 7) {
		fprintf(stderr, "usage: bench_openloop PORT RATE SECONDS CONNS TOKEN_FILE BODY_FILE [unique|same]\n");
		return 2;
	}
	port = (int)strtol(argv[1], NULL, 10);
	rate = strtod(argv[2], NULL);
	secs = strtod(argv[3], NULL);
	nconns = (int)strtol(argv[4], NULL, 10);
	same = argc > 7 && strcmp(argv[7], "same") == 0;
	if (port <= 0 || port > 65535 || rate <= 0 || rate > 100000 || secs <= 0 || secs > 3600 ||
	    nconns < 1 || nconns > MAX_CONNS)
		return 2;
	token = slurp(argv[5], &tl);
	while (tl && (token[tl - 1] == '\n' || token[tl - 1] == '\r'))
		token[--tl] = 0;
	tmpl = slurp(argv[6], &tl);
	total = (long)(rate * secs);
	lat = calloc((size_t)total, sizeof(double));
	svc = calloc((size_t)total, sizeof(double));
	sent_at = calloc((size_t)total, sizeof(double));
	queue = calloc((size_t)total, sizeof(long));
	if (!lat || !svc || !sent_at || !queue)
		return 1;
	for (int i = 0; i < nconns; i++)
		conns[i].fd = connect_to(port);

	start = now_s();
	while (done < total) {
		double now = now_s(), wait_s;
		int timeout;

		if (now - start > secs + 10)
			break;
		/* every request now due joins the queue, whatever is in flight */
		while (next < total && start + (double)next / rate <= now)
			queue[qt++] = next++;
		for (int i = 0; i < nconns && qh < qt; i++) {
			struct conn *c = &conns[i];

			if (c->busy)
				continue;
			c->req = queue[qh++];
			c->out = build(tmpl, token, c->req, same, &c->out_len);
			c->out_off = 0;
			c->in_len = 0;
			c->busy = 1;
			sent_at[c->req] = now_s();
		}
		for (int i = 0; i < nconns; i++) {
			pf[i].fd = conns[i].fd;
			pf[i].events = conns[i].busy ? (conns[i].out_off < conns[i].out_len ? POLLOUT : POLLIN) : 0;
			pf[i].revents = 0;
		}
		wait_s = next < total ? start + (double)next / rate - now_s() : 0.05;
		timeout = wait_s <= 0 ? 0 : (int)(wait_s * 1000) + (wait_s * 1000 > (int)(wait_s * 1000));
		if (poll(pf, (nfds_t)nconns, timeout) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];
			int status = 0;
			ssize_t r;

			if (!pf[i].revents || !c->busy)
				continue;
			if (c->out_off < c->out_len) {
				r = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
				if (r > 0)
					c->out_off += (size_t)r;
				continue;
			}
			r = read(c->fd, c->in + c->in_len, RESP_MAX - 1 - c->in_len);
			if (r <= 0) {
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				fprintf(stderr, "connection closed by the server\n");
				return 1;
			}
			c->in_len += (size_t)r;
			if (!response_done(c, &status))
				continue;
			now = now_s();
			lat[done] = now - (start + (double)c->req / rate);
			svc[done] = now - sent_at[c->req];
			done++;
			errors += status != 200;
			free(c->out);
			c->out = NULL;
			c->busy = 0;
		}
	}
	printf("rate %.0f/s for %.0f s over %d connections (%s): sent %ld, answered %ld, "
	       "non-200 %ld, achieved %.0f/s\n", rate, secs, nconns, same ? "same" : "unique",
	       next, done, errors, (double)done / (now_s() - start));
	report("from due time:", lat, done);
	report("from send (closed):", svc, done);
	return done == total && errors == 0 ? 0 : 1;
}
