// Package runtime is the memory support of the generated bindings: the
// allocator they lower arguments into, and the `cabi_realloc` export the
// host calls to hand strings and lists to the guest.
package runtime

import (
	"runtime"
	"unsafe"
)

// pending keeps the blocks the host allocated through cabi_realloc during
// the current import call alive until the bindings have lifted them (the
// lifted strings then point into them and keep them alive themselves).
var pending [][]uint64

// emptyBlock is where zero-size allocations point: non-nil and aligned.
var emptyBlock uint64

// block allocates size bytes aligned to 8 (every canonical ABI alignment
// is at most 8); size 0 gives a pointer to emptyBlock.
func block(size, align uintptr) ([]uint64, unsafe.Pointer) {
	if align > 8 {
		panic("canonical ABI alignment above 8")
	}
	if size == 0 {
		return nil, unsafe.Pointer(&emptyBlock)
	}
	buf := make([]uint64, (size+7)/8)
	return buf, unsafe.Pointer(&buf[0])
}

// Allocate returns size bytes aligned to align, pinned by pinner for as long
// as the bindings need them. Called before each import call: the values
// the host handed over during the previous one have been lifted by then.
func Allocate(pinner *runtime.Pinner, size uintptr, align uintptr) unsafe.Pointer {
	pending = nil
	buf, p := block(size, align)
	if buf != nil && pinner != nil {
		pinner.Pin(&buf[0])
	}
	return p
}
