/*
 * primitives/arch/cpu.h - the few machine instructions contend needs:
 * a spin-wait hint, a cycle/tick counter and the cache-line size.
 *
 * This is the only header that looks at the target architecture; code
 * elsewhere includes it instead of testing __x86_64__ itself.
 */
#ifndef CONTEND_ARCH_CPU_H
#define CONTEND_ARCH_CPU_H

#include <stdint.h>

/*
 * Size the padding of per-task data by the destructive-interference size.
 * 128 rather than 64 on x86-64 because the adjacent-line prefetcher pulls
 * cache lines in pairs, so 64-byte padding still bounces.
 */
#if defined(__x86_64__) || defined(__aarch64__)
#define CPU_CACHELINE 128
#else
#define CPU_CACHELINE 64
#endif

#define CPU_ALIGNED __attribute__((aligned(CPU_CACHELINE)))

/* Tell the core we are spinning: saves power, yields to an SMT sibling. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * Read the raw tick counter without letting earlier instructions drift
 * past it: lfence orders rdtsc after prior loads on Intel and AMD (with
 * LFENCE made dispatch-serialising, as Linux does on AMD); isb does the
 * same for cntvct_el0.  Returns 0 where no counter is known (the caller
 * then uses clock_gettime).
 */
static inline uint64_t cpu_ticks(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;
	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
#else
	return 0;
#endif
}

/* Frequency of cpu_ticks() if the architecture states it, else 0. */
static inline uint64_t cpu_ticks_hz(void)
{
#if defined(__aarch64__)
	uint64_t f;
	__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
#else
	return 0;	/* x86-64: must be calibrated against CLOCK_MONOTONIC */
#endif
}

#endif
