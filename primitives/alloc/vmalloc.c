// SPDX-License-Identifier: MIT
/*
 * vmalloc.c - vmalloc areas and the kvmalloc family (mm/vmalloc.c,
 * mm/util.c).
 *
 * An area is a range of the page allocator's arena (kp_range_alloc(), of
 * the power-of-two pages that hold it and its guard) of which only the
 * pages asked for are mapped: the guard page after them, and the rest of
 * the range, stay PROT_NONE. Its record (struct vm_struct) lives apart, and every page of
 * the area, the guard included, points to it in the page map, which is
 * what is_vmalloc_addr() and vfree() look up. The bytes count against the
 * memory limit like any pages. A freed node-less area is kept mapped for
 * a while (kp_range_keep()), and a vmalloc of the same pages takes it
 * back: a buffer freed and made again costs no mmap(), no munmap() and no
 * page faults, as the kernel's vmalloc reuses its freed pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc/vmalloc.h"
#include "alloc/slub.h"
#include "core/report.h"

struct vm_struct {
	void *addr;
	size_t size;		/* mapped bytes, without the guard page */
	size_t requested;	/* what the caller asked for */
	unsigned int order;	/* of the arena range it takes */
	void *caller;
	int node;
};

static __cold void vmalloc_warn(unsigned long size, gfp_t gfp, const char *why)
{
	if (!(gfp & __GFP_NOWARN))
		fprintf(stderr, "vmalloc error: size %lu, %s, mode:%#x\n", size, why, gfp);
}

static void *__vmalloc_node(unsigned long size, gfp_t gfp, int node, void *caller)
{
	size_t len = (size + PAGE_SIZE - 1) & PAGE_MASK;
	unsigned int order = 0;
	struct vm_struct *vm;
	char *p = NULL;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (!size || size > VMALLOC_MAX_SIZE) {
		kp_alloc_fail_note(KP_FAIL_TOO_LARGE);
		vmalloc_warn(size, gfp, size ? "exceeds the largest area" : "zero size");
		return NULL;
	}
	if (node != NUMA_NO_NODE && (node < 0 || node >= kp_nr_nodes())) {
		kp_alloc_fail_note(KP_FAIL_NODE);
		vmalloc_warn(size, gfp, "no such node");
		return NULL;
	}
	if (kp_should_failslab(size, gfp)) {
		vmalloc_warn(size, gfp, "fault injected");
		return NULL;
	}
	if (kp_pages_charge(len, gfp)) {
		vmalloc_warn(size, gfp, "over the memory limit");
		return NULL;
	}
	while ((PAGE_SIZE << order) < len + PAGE_SIZE)
		order++;
	vm = kp_meta_alloc();
	if (!vm)
		goto fail;
	if (node == NUMA_NO_NODE && (p = kp_range_take_kept(order, len))) {
		/* A kept area reads as a fresh one would: zero where asked, and past size. */
		if (gfp & __GFP_ZERO)
			kp_zero_range(p, len);
		else
			memset(p + size, 0, len - size);
	} else if ((p = kp_range_alloc(order)) &&
		   (mmap(p, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED ||
		    (node != NUMA_NO_NODE && kp_mbind(p, len, node, gfp & __GFP_THISNODE) &&
		     (gfp & __GFP_THISNODE)))) {
		kp_range_free(p, order);
		goto fail;
	}
	if (!p)
		goto fail;
	if (kp_page_map_set(p, len + PAGE_SIZE,
			    &(struct kp_page){ .type = KP_PAGE_VMALLOC, .owner = vm })) {
		kp_range_free(p, order);
		goto fail;
	}
	vm->addr = p;
	vm->size = len;
	vm->requested = size;
	vm->order = order;
	vm->caller = caller;
	vm->node = node;
	return p;	/* fresh memory is zero; a kept area past size, or all with __GFP_ZERO */
fail:
	if (vm)
		kp_meta_free(vm);
	kp_pages_uncharge(len);
	kp_alloc_fail_note(KP_FAIL_NOMEM);
	vmalloc_warn(size, gfp, "out of memory");
	return NULL;
}

void *vmalloc(unsigned long size)
{
	return __vmalloc_node(size, GFP_KERNEL, NUMA_NO_NODE, KP_CALLER);
}

void *vzalloc(unsigned long size)
{
	return __vmalloc_node(size, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE, KP_CALLER);
}

void *vmalloc_node(unsigned long size, int node)
{
	return __vmalloc_node(size, GFP_KERNEL, node, KP_CALLER);
}

void *__vmalloc(unsigned long size, gfp_t gfp)
{
	return __vmalloc_node(size, gfp, NUMA_NO_NODE, KP_CALLER);
}

static struct vm_struct *find_vm_area(const void *addr)
{
	struct kp_page *pg = kp_page_lookup(addr);
	struct vm_struct *vm = pg && pg->type == KP_PAGE_VMALLOC ? pg->owner : NULL;

	return vm && vm->addr == addr ? vm : NULL;
}

bool is_vmalloc_addr(const void *addr)
{
	struct kp_page *pg = kp_page_lookup(addr);

	return pg && pg->type == KP_PAGE_VMALLOC;
}

size_t vmalloc_size(const void *addr)
{
	struct vm_struct *vm = find_vm_area(addr);

	return vm ? vm->requested : 0;
}

static void __vfree(const void *addr, void *caller)
{
	struct vm_struct *vm;
	struct kp_page *head;

	if (!addr)
		return;
	vm = find_vm_area(addr);
	if (!vm) {
		head = kp_page_lookup(addr);
		kp_report(head && head->type == KP_PAGE_FREE ? KP_REPORT_DOUBLE_FREE
							     : KP_REPORT_INVALID_FREE,
			  caller, "Trying to vfree() %s vm area (%p)",
			  head && head->type == KP_PAGE_FREE ? "an already freed" : "nonexistent",
			  addr);
		return;
	}
	kp_page_map_set(vm->addr, vm->size + PAGE_SIZE, &(struct kp_page){ .type = KP_PAGE_NONE });
	/* KP_PAGE_FREE until the range is reused; a node-less area is kept mapped */
	if (vm->node == NUMA_NO_NODE)
		kp_range_keep(vm->addr, vm->order, vm->size);
	else
		kp_range_free(vm->addr, vm->order);
	kp_pages_uncharge(vm->size);
	kp_meta_free(vm);
}

void vfree(const void *addr)
{
	__vfree(addr, KP_CALLER);
}

/*
 * Give a bigger area just made the contents of vm: a big node-less one
 * moves its pages over (whole pages: what lies past the size asked for is
 * zeroed first, as the new area reads zero there), others are copied.
 */
static void vmalloc_move(void *to, const struct vm_struct *vm)
{
	if (vm->size >= PAGES_MOVE_BYTES && vm->node == NUMA_NO_NODE) {
		memset((char *)vm->addr + vm->requested, 0, vm->size - vm->requested);
		if (kp_pages_move(to, vm->addr, vm->size))
			return;
	}
	memcpy(to, vm->addr, vm->requested);
}

void *vrealloc(const void *p, size_t size, gfp_t gfp)
{
	struct vm_struct *vm = NULL;
	void *n;

	if (!size) {
		__vfree(p, KP_CALLER);
		return NULL;
	}
	if (p) {
		vm = find_vm_area(p);
		if (!vm) {
			kp_report(KP_REPORT_INVALID_FREE, KP_CALLER,
				  "Trying to vrealloc() nonexistent vm area (%p)", p);
			return NULL;
		}
		if (size <= vm->size) {
			/* Shrinking zeroes what is let go, so a later growth reads zeroes. */
			if (size < vm->requested)
				kp_zero_range((char *)p + size, vm->requested - size);
			vm->requested = size;
			return (void *)p;
		}
	}
	n = __vmalloc_node(size, gfp, NUMA_NO_NODE, KP_CALLER);
	if (!n)
		return NULL;
	if (vm) {
		vmalloc_move(n, vm);
		__vfree(p, KP_CALLER);
	}
	return n;
}

/* ---- kvmalloc ------------------------------------------------------------------- */

/* mm/util.c kmalloc_gfp_adjust(): the flags of kvmalloc's kmalloc try. */
static gfp_t kmalloc_gfp_adjust(gfp_t flags, size_t size)
{
	if (size > PAGE_SIZE) {
		flags |= __GFP_NOWARN;
		if (!(flags & __GFP_RETRY_MAYFAIL))
			flags |= __GFP_NORETRY;
		flags &= ~__GFP_NOFAIL;
	}
	return flags;
}

void *kvmalloc_node(size_t size, gfp_t flags, int node)
{
	void *ret = kmalloc_node(size, kmalloc_gfp_adjust(flags, size), node);

	if (ret || size <= PAGE_SIZE)
		return ret;
	if (!gfpflags_allow_blocking(flags))
		return NULL;
	if (unlikely(size > INT_MAX)) {
		if (!(flags & __GFP_NOWARN))
			fprintf(stderr, "WARNING: kvmalloc_node: size %zu > INT_MAX refused\n", size);
		kp_alloc_fail_note(KP_FAIL_TOO_LARGE);
		return NULL;
	}
	return __vmalloc_node(size, flags, node, KP_CALLER);
}

void kvfree(const void *addr)
{
	if (is_vmalloc_addr(addr))
		__vfree(addr, KP_CALLER);
	else
		kfree(addr);
}

/* mm/slub.c kvrealloc() (6.12): never migrates from vmalloc back to kmalloc. */
void *kvrealloc(const void *p, size_t size, gfp_t flags)
{
	void *n;

	if (is_vmalloc_addr(p))
		return vrealloc(p, size, flags);
	n = krealloc(p, size, kmalloc_gfp_adjust(flags, size));
	if (!n) {
		n = kvmalloc(size, flags);
		if (!n)
			return NULL;
		if (p) {
			memcpy(n, p, ksize(p));
			kfree(p);
		}
	}
	return n;
}
