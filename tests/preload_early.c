// SPDX-License-Identifier: MIT
/*
 * preload_early.c - a library whose constructor allocates: under
 * LD_PRELOAD=libkprim-malloc.so it runs before kprim's own constructors
 * (a program's libraries are initialized before a preloaded one), so
 * kprim must make itself on first use. tests/preload.sh links it into
 * preload_malloc.
 */
#include <stdlib.h>
#include <string.h>

void *early_pointer(void);

static char *early;

__attribute__((constructor)) static void allocate_early(void)
{
	early = malloc(6);
	if (early)
		memcpy(early, "early", 6);
}

void *early_pointer(void)
{
	return early;
}
