/* SPDX-License-Identifier: MIT */
/*
 * alloc.h - the allocators a benchmark compares, behind one interface.
 *
 * kprim's own (kmalloc, kvmalloc, vmalloc) and the peers: glibc malloc,
 * jemalloc, mimalloc and tcmalloc. Every one is called through the same
 * kind of function pointer, so the harness costs them all the same.
 */
#ifndef KPRIM_BENCH_PEERS_ALLOC_H
#define KPRIM_BENCH_PEERS_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

struct alloc_impl {
	const char *name;
	void *(*alloc)(size_t size);
	void (*free)(void *p);
	void *(*realloc)(void *p, size_t size);
	void *(*zalloc)(size_t size);	/* zeroed: kzalloc and kin, calloc */
	size_t max_size;	/* the largest size it serves (vmalloc: any; kmalloc: 4 MiB) */
};

/*
 * jemalloc uses initial-exec TLS, which dlopen() can only satisfy with
 * glibc's optional static TLS reserve, a tunable read at process start:
 * re-execute the program once with it set (GLIBC_TUNABLES), before anything
 * else runs. Returns only if that was done already or cannot be.
 */
void alloc_peers_reexec(char **argv);

/*
 * Every implementation this process can offer, in a fixed order: kprim's
 * first, then the peers that could be loaded. *missing gets a comma list
 * of the peers that could not. Returns how many.
 */
int alloc_impls(const struct alloc_impl **impls, const char **missing);

#endif /* KPRIM_BENCH_PEERS_ALLOC_H */
