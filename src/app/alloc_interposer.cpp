// SPDX-License-Identifier: BSD-3-Clause
// Counting malloc/free/new/delete: each call forwards to the real allocator (glibc, or
// AddressSanitizer's) and, on a data-path lcore, counts into that lcore's block. Costs one TLS
// load per call, and nothing at all where nothing allocates, which is the point.
#include <cstddef>
#include <cstdlib>
#include <new>

#include "ingestd/stats/alloc_tally.hpp"

// Where each call goes on. Under AddressSanitizer that is its allocator, which must
// see every block (heap checks, leak detection); its runtime exports its malloc & co.
// as __interceptor_*. Otherwise glibc's own entry points.
#if defined(__SANITIZE_ADDRESS__)
#define INGESTD_REAL(fn) __interceptor_##fn
#else
#define INGESTD_REAL(fn) __libc_##fn
#endif

extern "C" {
void* INGESTD_REAL(malloc)(size_t size);
void* INGESTD_REAL(calloc)(size_t n, size_t size);
void* INGESTD_REAL(realloc)(void* p, size_t size);
void* INGESTD_REAL(memalign)(size_t alignment, size_t size);
void INGESTD_REAL(free)(void* p);
}

namespace {

inline void CountAlloc(size_t bytes) noexcept {
  if (ingestd::stats::LcoreCounters* c = ingestd::stats::t_alloc_tally) [[unlikely]] {
    c->heap_allocs.Add(1);
    c->heap_bytes.Add(bytes);
  }
}

inline void CountFree(void* p) noexcept {
  if (p == nullptr) return;
  if (ingestd::stats::LcoreCounters* c = ingestd::stats::t_alloc_tally) [[unlikely]] c->heap_frees.Add(1);
}

void* NewOrThrow(size_t size) {
  void* p = malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* AlignedNewOrThrow(size_t size, std::align_val_t align) {
  void* p = aligned_alloc(static_cast<size_t>(align), (size + static_cast<size_t>(align) - 1) &
                                                          ~(static_cast<size_t>(align) - 1));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

extern "C" {

void* malloc(size_t size) {
  CountAlloc(size);
  return INGESTD_REAL(malloc)(size);
}

void* calloc(size_t n, size_t size) {
  CountAlloc(n * size);
  return INGESTD_REAL(calloc)(n, size);
}

void* realloc(void* p, size_t size) {
  CountAlloc(size);
  return INGESTD_REAL(realloc)(p, size);
}

void free(void* p) {
  CountFree(p);
  INGESTD_REAL(free)(p);
}

void* memalign(size_t alignment, size_t size) {
  CountAlloc(size);
  return INGESTD_REAL(memalign)(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  CountAlloc(size);
  return INGESTD_REAL(memalign)(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  CountAlloc(size);
  void* p = INGESTD_REAL(memalign)(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

}  // extern "C"

void* operator new(size_t size) { return NewOrThrow(size); }
void* operator new[](size_t size) { return NewOrThrow(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return malloc(size == 0 ? 1 : size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return malloc(size == 0 ? 1 : size); }
void* operator new(size_t size, std::align_val_t a) { return AlignedNewOrThrow(size, a); }
void* operator new[](size_t size, std::align_val_t a) { return AlignedNewOrThrow(size, a); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { free(p); }
