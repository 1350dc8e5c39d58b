//go:build wasm

package runtime

import "unsafe"

// cabiRealloc is the allocator the host calls to hand strings and lists
// to the guest; the blocks stay in pending until the bindings lift them.
//
//go:wasmexport cabi_realloc
func cabiRealloc(old unsafe.Pointer, oldSize, align, newSize uint32) unsafe.Pointer {
	if align == 0 { // never valid in the canonical ABI; keeps the arena linked
		return arenaAddress()
	}
	buf, p := block(uintptr(newSize), uintptr(align))
	if buf == nil {
		return p
	}
	if old != nil && oldSize > 0 {
		copy(unsafe.Slice((*byte)(p), newSize), unsafe.Slice((*byte)(old), min(oldSize, newSize)))
	}
	pending = append(pending, buf)
	return p
}
