// SPDX-License-Identifier: BSD-3-Clause
// Replaces every global operator new/delete of this executable: each call forwards to malloc/free
// and counts into the calling thread's slot (allocations, requested bytes, frees).
//
// ingestd's interposer counts at malloc level; here every allocation the baseline makes goes
// through operator new (std::vector, std::unique_ptr, std::string), so counting there is the
// same figure. TBB's own task memory comes from libtbbmalloc and is not counted.
#include <cstddef>
#include <cstdlib>
#include <new>

#include "tally.hpp"

namespace {

using ingestd::bench::owned::ThisThreadTally;

inline void CountAlloc(size_t bytes) noexcept {
  ingestd::bench::owned::ThreadTally& t = ThisThreadTally();
  t.heap_allocs.Add(1);
  t.heap_bytes.Add(bytes);
}

inline void Free(void* p) noexcept {
  if (p == nullptr) return;
  ThisThreadTally().heap_frees.Add(1);
  std::free(p);
}

void* Allocate(size_t size) noexcept {
  CountAlloc(size);
  return std::malloc(size == 0 ? 1 : size);
}

void* AllocateAligned(size_t size, std::align_val_t align) noexcept {
  CountAlloc(size);
  const auto a = static_cast<size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  return std::aligned_alloc(a, ((size == 0 ? 1 : size) + a - 1) & ~(a - 1));
}

void* OrThrow(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(size_t size) { return OrThrow(Allocate(size)); }
void* operator new[](size_t size) { return OrThrow(Allocate(size)); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new(size_t size, std::align_val_t a) { return OrThrow(AllocateAligned(size, a)); }
void* operator new[](size_t size, std::align_val_t a) { return OrThrow(AllocateAligned(size, a)); }
void* operator new(size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, a);
}
void* operator new[](size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(size, a);
}

void operator delete(void* p) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete(void* p, size_t) noexcept { Free(p); }
void operator delete[](void* p, size_t) noexcept { Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
