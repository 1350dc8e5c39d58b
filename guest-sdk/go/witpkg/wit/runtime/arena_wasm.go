//go:build wasm

package runtime

import "unsafe"

// adapterArena is the memory the WASI preview1 adapter keeps its state in.
// The adapter allocates that state on the first WASI call, which the Go
// runtime makes while it initialises (random seed, clock), before any Go
// export may run; so the build (scripts/go/adapter_realloc.py) adds a
// small `cabi_realloc_adapter` function to the module that bump-allocates
// from this array, found through the marker it starts with. Go never reads
// or writes it after that.
var adapterArena = [256 << 10]byte{
	'p', 'b', 'x', '-', 'a', 'd', 'a', 'p', 't', 'e', 'r', '-', 'a', 'r', 'e', 'n', 'a', '!',
}

// arenaAddress keeps adapterArena linked into the binary.
//
//go:noinline
func arenaAddress() unsafe.Pointer { return unsafe.Pointer(&adapterArena[0]) }
