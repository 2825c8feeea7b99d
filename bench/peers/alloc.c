// SPDX-License-Identifier: MIT
/*
 * alloc.c - kprim's allocators and the peers, loaded side by side.
 *
 * Each peer keeps its own heap in this one process: its shared library is
 * dlopen()ed RTLD_LOCAL, so its malloc never interposes on the process's
 * (glibc's stays the process allocator), and is entered through the API it
 * exports under its own name: jemalloc's mallocx/dallocx/rallocx (zeroed:
 * MALLOCX_ZERO), mimalloc's mi_malloc/mi_free/mi_realloc/mi_zalloc,
 * tcmalloc's tc_malloc/tc_free/tc_realloc/tc_calloc (tcmalloc_minimal: no
 * profiler). glibc is plain malloc/free/realloc/calloc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kprim.h"
#include "peers/alloc.h"

static void *kp_kmalloc(size_t n) { return kmalloc(n, GFP_KERNEL); }
static void kp_kfree(void *p) { kfree(p); }
static void *kp_krealloc(void *p, size_t n) { return krealloc(p, n, GFP_KERNEL); }
static void *kp_kvmalloc(size_t n) { return kvmalloc(n, GFP_KERNEL); }
static void kp_kvfree(void *p) { kvfree(p); }
static void *kp_kvrealloc(void *p, size_t n) { return kvrealloc(p, n, GFP_KERNEL); }
static void *kp_vmalloc(size_t n) { return vmalloc(n); }
static void kp_vfree(void *p) { vfree(p); }
static void *kp_vrealloc(void *p, size_t n) { return vrealloc(p, n, GFP_KERNEL); }
static void *kp_kzalloc(size_t n) { return kzalloc(n, GFP_KERNEL); }
static void *kp_kvzalloc(size_t n) { return kvzalloc(n, GFP_KERNEL); }
static void *kp_vzalloc(size_t n) { return vzalloc(n); }

static void *glibc_malloc(size_t n) { return malloc(n); }
static void glibc_free(void *p) { free(p); }
static void *glibc_realloc(void *p, size_t n) { return realloc(p, n); }
static void *glibc_zalloc(size_t n) { return calloc(1, n); }

static void *(*je_mallocx)(size_t, int);
static void (*je_dallocx)(void *, int);
static void *(*je_rallocx)(void *, size_t, int);
static void *je_malloc(size_t n) { return je_mallocx(n, 0); }
static void je_free(void *p) { je_dallocx(p, 0); }
static void *je_realloc(void *p, size_t n) { return p ? je_rallocx(p, n, 0) : je_mallocx(n, 0); }
#define JE_MALLOCX_ZERO	0x40	/* jemalloc.h MALLOCX_ZERO */
static void *je_zalloc(size_t n) { return je_mallocx(n, JE_MALLOCX_ZERO); }

static void *(*mi_malloc)(size_t);
static void (*mi_free)(void *);
static void *(*mi_realloc)(void *, size_t);
static void *(*mi_zalloc)(size_t);
static void *mi_malloc_(size_t n) { return mi_malloc(n); }
static void mi_free_(void *p) { mi_free(p); }
static void *mi_realloc_(void *p, size_t n) { return mi_realloc(p, n); }
static void *mi_zalloc_(size_t n) { return mi_zalloc(n); }

static void *(*tc_malloc)(size_t);
static void (*tc_free)(void *);
static void *(*tc_realloc)(void *, size_t);
static void *(*tc_calloc)(size_t, size_t);
static void *tc_malloc_(size_t n) { return tc_malloc(n); }
static void tc_free_(void *p) { tc_free(p); }
static void *tc_realloc_(void *p, size_t n) { return tc_realloc(p, n); }
static void *tc_zalloc(size_t n) { return tc_calloc(1, n); }

#define SYM(handle, var, name) ((*(void **)&(var) = dlsym((handle), (name))) != NULL)

static struct alloc_impl impls[8];
static char missing_peers[128];
static int nr_impls;

static void add(const char *name, void *(*a)(size_t), void (*f)(void *),
		void *(*r)(void *, size_t), void *(*z)(size_t), size_t max)
{
	impls[nr_impls++] = (struct alloc_impl){ name, a, f, r, z, max };
}

static void note_missing(const char *name)
{
	size_t len = strlen(missing_peers);

	snprintf(missing_peers + len, sizeof(missing_peers) - len, "%s%s", len ? "," : "", name);
}

static void *load(const char *lib)
{
	return dlopen(lib, RTLD_NOW | RTLD_LOCAL);
}

void alloc_peers_reexec(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char tunables[512];

	if (getenv("KP_PEERS_REEXEC"))
		return;
	snprintf(tunables, sizeof(tunables), "%s%sglibc.rtld.optional_static_tls=65536",
		 old ? old : "", old ? ":" : "");
	setenv("GLIBC_TUNABLES", tunables, 1);
	setenv("KP_PEERS_REEXEC", "1", 1);
	execv("/proc/self/exe", argv);
}

int alloc_impls(const struct alloc_impl **out, const char **missing)
{
	void *h;

	if (!nr_impls) {
		add("kmalloc", kp_kmalloc, kp_kfree, kp_krealloc, kp_kzalloc, KMALLOC_MAX_SIZE);
		add("kvmalloc", kp_kvmalloc, kp_kvfree, kp_kvrealloc, kp_kvzalloc, (size_t)-1);
		add("vmalloc", kp_vmalloc, kp_vfree, kp_vrealloc, kp_vzalloc, (size_t)-1);
		add("glibc", glibc_malloc, glibc_free, glibc_realloc, glibc_zalloc, (size_t)-1);
		h = load("libjemalloc.so.2");
		if (h && SYM(h, je_mallocx, "mallocx") && SYM(h, je_dallocx, "dallocx") &&
		    SYM(h, je_rallocx, "rallocx"))
			add("jemalloc", je_malloc, je_free, je_realloc, je_zalloc, (size_t)-1);
		else
			note_missing("jemalloc");
		h = load("libmimalloc.so.2");
		if (h && SYM(h, mi_malloc, "mi_malloc") && SYM(h, mi_free, "mi_free") &&
		    SYM(h, mi_realloc, "mi_realloc") && SYM(h, mi_zalloc, "mi_zalloc"))
			add("mimalloc", mi_malloc_, mi_free_, mi_realloc_, mi_zalloc_, (size_t)-1);
		else
			note_missing("mimalloc");
		h = load("libtcmalloc_minimal.so.4");
		if (h && SYM(h, tc_malloc, "tc_malloc") && SYM(h, tc_free, "tc_free") &&
		    SYM(h, tc_realloc, "tc_realloc") && SYM(h, tc_calloc, "tc_calloc"))
			add("tcmalloc", tc_malloc_, tc_free_, tc_realloc_, tc_zalloc, (size_t)-1);
		else
			note_missing("tcmalloc");
	}
	*out = impls;
	*missing = missing_peers;
	return nr_impls;
}
