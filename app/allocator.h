#pragma once
// The process's memory allocator policy, decided once by main (not inside a
// library: it is process-wide).
//
// A forward pass of the network allocates and frees tensors of up to ~30 MB
// every frame. With glibc's defaults each block over 128 KB (the threshold
// rises dynamically only up to 32 MB, and not for every size) is mmap'd and
// unmapped, ~14 000 page faults a frame, and the heap top is trimmed back to
// the OS after every pass: 245-270 ms a frame against 170-183 ms with the
// settings below (NOTES.md). Keeping blocks up to 32 MB in the heap and never
// trimming it costs at most the forward pass's working set in resident memory.

namespace intershape::app {

// Sets glibc's mmap threshold to 32 MB and turns automatic heap trimming off
// (mallopt M_MMAP_THRESHOLD, M_TRIM_THRESHOLD). Call first thing in main. No-op
// on a C library other than glibc.
void configure_allocator();

// Hands memory the heap no longer uses back to the OS (malloc_trim): call once
// after a model load, whose transient buffers would otherwise stay resident
// (trimming is off). No-op outside glibc.
void release_free_memory();

}  // namespace intershape::app
