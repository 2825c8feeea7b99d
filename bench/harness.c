// SPDX-License-Identifier: MIT
/*
 * harness.c - flags, binding, context and the ping-pong probe.
 *
 * The probe exists because on shared virtual machines the host moves vCPUs
 * around: a cache-line round trip between two vCPUs was seen anywhere from
 * 70 to 470 ns, which changes contended results several-fold. Measuring it
 * before and after a suite says whether a run is comparable to another.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_info.h"
#include "core/config.h"
#include "harness.h"

struct kp_bench_env kp_bench;

static const char *placement_spec = "compact";
static const char *mem_spec = "local";
static const char *topology_xml;
static const char *probe_out;
static bool binding_effective;
static atomic_int bind_failures;

static void usage(const char *prog)
{
	printf("usage: %s [--kp_* flags] [--benchmark_* flags]\n\n"
	       "kprim flags (also from the environment variable in brackets):\n"
	       "  --kp_placement=SPEC   compact, scatter, or cpus:LIST (cpus:0,2-3) [KP_PLACEMENT]\n"
	       "  --kp_mem=POLICY       local, remote or interleave (from thread 0's node) [KP_MEM]\n"
	       "  --kp_threads=N|LIST   contended benchmarks run 1, 2, 4 .. N threads (default: all\n"
	       "                        PUs), or the counts of LIST (1,2,3,6,12); then 2 and 4 times\n"
	       "                        the largest (oversubscribed) [KP_THREADS]\n"
	       "  --kp_topology_xml=F   write the hwloc topology to F\n"
	       "  --kp_probe_out=F      write the before/after ping-pong probe to F as JSON\n"
	       "  --kp_help             this help; --help shows Google Benchmark's flags\n",
	       prog);
}

static __attribute__((format(printf, 2, 3), noreturn))
void die(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* N, or a list of counts (kept in kp_bench.counts); returns the largest. */
static int parse_threads(const char *prog, const char *what, const char *s)
{
	const char *p = s;
	int largest = 0;

	kp_bench.nr_counts = 0;
	do {
		char *end;
		long n = strtol(p, &end, 10);

		if (end == p || (*end && *end != ',') || n < 1 || n > KP_TOPO_MAX_THREADS ||
		    n <= largest)
			die(prog, "%s wants an integer in 1..%d or a rising list of them (1,2,4), "
			    "got '%s'", what, KP_TOPO_MAX_THREADS, s);
		kp_bench.counts[kp_bench.nr_counts++] = largest = (int)n;
		p = *end ? end + 1 : end;
	} while (*p);
	if (!strchr(s, ','))
		kp_bench.nr_counts = 0;		/* N: 1, 2, 4 .. N */
	return largest;
}

/* Take --kp_* flags out of argv; everything else is left for the shim. */
static void parse_kp_flags(int *argc, char **argv, int *threads)
{
	const char *env;
	int out = 1;

	if ((env = getenv("KP_PLACEMENT")) && *env)
		placement_spec = env;
	if ((env = getenv("KP_MEM")) && *env)
		mem_spec = env;
	if ((env = getenv("KP_THREADS")) && *env)
		*threads = parse_threads(argv[0], "KP_THREADS", env);

	for (int i = 1; i < *argc; i++) {
		char *a = argv[i];

		if (strncmp(a, "--kp_", 5)) {
			argv[out++] = a;
			continue;
		}
		if (!strncmp(a, "--kp_placement=", 15))
			placement_spec = a + 15;
		else if (!strncmp(a, "--kp_mem=", 9))
			mem_spec = a + 9;
		else if (!strncmp(a, "--kp_threads=", 13))
			*threads = parse_threads(argv[0], "--kp_threads", a + 13);
		else if (!strncmp(a, "--kp_topology_xml=", 18))
			topology_xml = a + 18;
		else if (!strncmp(a, "--kp_probe_out=", 15))
			probe_out = a + 15;
		else if (!strcmp(a, "--kp_help")) {
			usage(argv[0]);
			exit(0);
		} else
			die(argv[0], "unknown flag '%s' (try --kp_help)", a);
	}
	argv[out] = NULL;
	*argc = out;
}

static void bind_hook(int thread_index, int threads)
{
	(void)threads;
	if (binding_effective && kp_bind_thread(&kp_bench.topo, &kp_bench.placement,
						thread_index % kp_bench.max_threads) < 0)
		atomic_fetch_add(&bind_failures, 1);
}

/* ---- the ping-pong probe ------------------------------------------------ */

struct pingpong {
	_Alignas(128) atomic_uint turn;
	int rounds;
	int pu;		/* the responder's PU index in the placement */
};

static void *pong(void *arg)
{
	struct pingpong *pp = arg;

	if (binding_effective)
		kp_bind_thread(&kp_bench.topo, &kp_bench.placement, pp->pu);
	for (unsigned int i = 0; i < (unsigned int)pp->rounds; i++) {
		while (atomic_load_explicit(&pp->turn, memory_order_acquire) != 2 * i + 1)
			;
		atomic_store_explicit(&pp->turn, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median round-trip time in ns between thread 0's PU and thread j's PU. */
static double probe_pair(int j)
{
	double trials[5];

	for (int t = 0; t < 5; t++) {
		struct pingpong pp = { .rounds = 2000, .pu = j };
		pthread_t tid;
		double start;

		atomic_init(&pp.turn, 0);
		if (pthread_create(&tid, NULL, pong, &pp))
			return -1;
		start = now_ns();
		for (unsigned int i = 0; i < (unsigned int)pp.rounds; i++) {
			atomic_store_explicit(&pp.turn, 2 * i + 1, memory_order_release);
			while (atomic_load_explicit(&pp.turn, memory_order_acquire) != 2 * i + 2)
				;
		}
		trials[t] = (now_ns() - start) / pp.rounds;
		pthread_join(tid, NULL);
	}
	qsort(trials, 5, sizeof(trials[0]), cmp_double);
	return trials[2];
}

/* "0-1:136.2 0-2:140.1" over the distinct PUs in use; "" if only one. */
static void probe(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (binding_effective)
		kp_bind_thread(&kp_bench.topo, &kp_bench.placement, 0);
	for (int j = 1; j < kp_bench.max_threads && used < len; j++) {
		bool seen = kp_bench.placement.pu[j] == kp_bench.placement.pu[0];

		for (int k = 1; k < j && !seen; k++)
			seen = kp_bench.placement.pu[k] == kp_bench.placement.pu[j];
		if (seen)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%d-%d:%.1f", used ? " " : "",
					 kp_bench.placement.pu[0], kp_bench.placement.pu[j],
					 probe_pair(j));
	}
}

static int write_probe(const char *path, const char *before, const char *after)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "{\"unit\": \"ns per round trip\", \"before\": \"%s\", \"after\": \"%s\"}\n",
		before, after);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

/* ---- shared memory and contended registration ---------------------------- */

void *kp_bench_alloc_shared(size_t len)
{
	bool bound;

	return kp_mem_alloc(&kp_bench.topo, len, kp_bench.mem, kp_bench.placement.node[0],
			    &bound);
}

void kp_bench_free_shared(void *p, size_t len)
{
	kp_mem_free(&kp_bench.topo, p, len);
}

kpb_bench *kp_bench_contended(kpb_bench *b)
{
	int n;

	if (kp_bench.nr_counts) {
		for (int i = 0; i < kp_bench.nr_counts; i++)
			kpb_threads(b, kp_bench.counts[i]);
		return kpb_use_real_time(b);
	}
	for (n = 1; n < kp_bench.max_threads; n *= 2)
		kpb_threads(b, n);
	return kpb_use_real_time(kpb_threads(b, kp_bench.max_threads));
}

kpb_bench *kp_bench_oversubscribed(kpb_bench *b)
{
	for (int times = 2; times <= 4; times *= 2)
		if (times * kp_bench.max_threads <= KP_TOPO_MAX_THREADS)
			kpb_threads(b, times * kp_bench.max_threads);
	return kpb_use_real_time(b);
}

/* ---- main ----------------------------------------------------------------- */

static void add_context(void)
{
	char buf[4096];
	int nodes[KP_TOPO_MAX_THREADS], n;
	size_t used = 0;
	bool bound = false;
	void *p;

	kpb_add_context("kp_placement", placement_spec);
	kp_placement_cpus(&kp_bench.placement, buf, sizeof(buf));
	kpb_add_context("kp_cpus", buf);
	snprintf(buf, sizeof(buf), "%d", kp_bench.max_threads);
	kpb_add_context("kp_max_threads", buf);
	kpb_add_context("kp_mem", mem_spec);
	n = kp_mem_nodes(&kp_bench.topo, kp_bench.mem, kp_bench.placement.node[0], nodes,
			 KP_TOPO_MAX_THREADS);
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%d", i ? "," : "",
					 nodes[i]);
	kpb_add_context("kp_mem_nodes", buf);
	p = kp_mem_alloc(&kp_bench.topo, 4096, kp_bench.mem, kp_bench.placement.node[0], &bound);
	kp_mem_free(&kp_bench.topo, p, 4096);
	kpb_add_context("kp_mem_bound", bound ? "yes" : "no");
	kp_topo_summary(&kp_bench.topo, buf, sizeof(buf));
	kpb_add_context("kp_topology", buf);
	kpb_add_context("kp_binding", binding_effective ? "yes" :
			"no (hwloc cannot bind threads on this topology)");
	kpb_add_context("kp_variant", KP_BUILD_VARIANT);
	kpb_add_context("kp_config", KP_CONFIG);
	kpb_add_context("kp_compiler", KP_BUILD_CC " " __VERSION__);
	kpb_add_context("kp_cflags", KP_BUILD_CFLAGS);
}

int kp_bench_main(int argc, char **argv, void (*register_suite)(void))
{
	char before[4096], after[4096], err[256];
	int threads = 0;
	int rc;

	parse_kp_flags(&argc, argv, &threads);
	if (!kpb_initialize(&argc, argv))
		return 2;
	if ((rc = kp_topo_open(&kp_bench.topo, NULL))) {
		fprintf(stderr, "%s: cannot load the topology: %s\n", argv[0], strerror(-rc));
		return 1;
	}
	kp_bench.max_threads = threads ? threads : kp_bench.topo.npus;
	if (kp_bench.max_threads > KP_TOPO_MAX_THREADS)
		kp_bench.max_threads = KP_TOPO_MAX_THREADS;
	if (kp_placement_build(&kp_bench.topo, placement_spec, kp_bench.max_threads,
			       &kp_bench.placement, err, sizeof(err)))
		die(argv[0], "--kp_placement: %s", err);
	if (kp_mem_policy_parse(mem_spec, &kp_bench.mem))
		die(argv[0], "--kp_mem: unknown policy '%s' (local, remote or interleave)",
		    mem_spec);
	if (topology_xml && (rc = kp_topo_export_xml(&kp_bench.topo, topology_xml))) {
		fprintf(stderr, "%s: cannot write %s: %s\n", argv[0], topology_xml, strerror(-rc));
		return 1;
	}
	binding_effective = kp_bench.topo.can_bind_threads;
	kpb_set_thread_hook(bind_hook);

	probe(before, sizeof(before));
	add_context();
	kpb_add_context("kp_pingpong_before_ns", before);
	register_suite();
	kpb_run();
	probe(after, sizeof(after));
	fprintf(stderr, "kp: ping-pong ns per round trip: before [%s] after [%s]\n", before, after);
	if (probe_out && (rc = write_probe(probe_out, before, after))) {
		fprintf(stderr, "%s: cannot write %s: %s\n", argv[0], probe_out, strerror(-rc));
		return 1;
	}
	kpb_shutdown();
	kp_topo_close(&kp_bench.topo);
	if (atomic_load(&bind_failures)) {
		fprintf(stderr, "%s: %d thread binds failed\n", argv[0], atomic_load(&bind_failures));
		return 1;
	}
	return 0;
}
