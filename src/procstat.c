/*
 * procstat: process_* metrics from /proc/self. Never fails a scrape: what cannot be
 * read is left out. Reads only this process's own files.
 */
#include "runbookd/procstat.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Reads a small /proc file into buf (NUL-terminated); its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static int family(struct rbd_buf *out, const char *name, const char *type, const char *help,
		  double v)
{
	return rbd_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
			      name, v);
}

static long long boot_time_s(void)
{
	char buf[16384], *p;

	if (read_small("/proc/stat", buf, sizeof(buf)) < 0 || !(p = strstr(buf, "\nbtime ")))
		return -1;
	return strtoll(p + 7, NULL, 10);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the directory stream's own descriptor */
}

int rbd_procstat_render(struct rbd_buf *out)
{
	char stat[4096], *p;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	int rc = 0, fds;

	/* Fields after the command name, which is in parentheses and may hold spaces. */
	if (read_small("/proc/self/stat", stat, sizeof(stat)) > 0 && (p = strrchr(stat, ')')) &&
	    tick > 0) {
		unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
		long long rss = 0, btime = boot_time_s();

		/* state(3) ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24) */
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
			   "%*d %*d %*d %*d %llu %llu %lld", &utime, &stime, &start, &vsize, &rss) == 5) {
			rc = rc ? rc : family(out, "process_cpu_seconds_total", "counter",
					      "Total user and system CPU time spent in seconds.",
					      (double)(utime + stime) / (double)tick);
			rc = rc ? rc : family(out, "process_resident_memory_bytes", "gauge",
					      "Resident memory size in bytes.", (double)rss * (double)page);
			rc = rc ? rc : family(out, "process_virtual_memory_bytes", "gauge",
					      "Virtual memory size in bytes.", (double)vsize);
			if (btime > 0)
				rc = rc ? rc : family(out, "process_start_time_seconds", "gauge",
						      "Start time of the process since unix epoch in seconds.",
						      (double)btime + (double)start / (double)tick);
		}
	}
	fds = open_fds();
	if (fds >= 0)
		rc = rc ? rc : family(out, "process_open_fds", "gauge", "Number of open file descriptors.",
				      fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		rc = rc ? rc : family(out, "process_max_fds", "gauge",
				      "Maximum number of open file descriptors.", (double)rl.rlim_cur);
	return rc;
}
