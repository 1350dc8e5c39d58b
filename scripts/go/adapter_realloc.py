#!/usr/bin/env python3
"""Add `cabi_realloc_adapter` to a Go wasip1 core module.

Usage: adapter_realloc.py IN.wasm OUT.wasm

The WASI preview1 adapter allocates its state on the first WASI call, and
the Go runtime makes one while it initialises, when no Go export (such as
`cabi_realloc`) may run yet. wit-component gives the adapter the module's
`cabi_realloc_adapter` export when there is one, so this adds that export: a
bump allocator over the Go array `adapterArena`
(guest-sdk/go/witpkg/wit/runtime/arena_wasm.go), found in the data section
through the marker it starts with. It traps when the arena is exhausted.
"""

import sys

MARKER = b"pbx-adapter-arena!"
ARENA_SIZE = 256 << 10  # the length of adapterArena
I32 = 0x7F


def leb_u(data, i):
    result = shift = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def enc_u(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def enc_s(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def sections(wasm):
    i = 8
    while i < len(wasm):
        sid = wasm[i]
        size, j = leb_u(wasm, i + 1)
        yield sid, wasm[j : j + size]
        i = j + size


def vec_items(body):
    """(count, bytes after the count)."""
    count, i = leb_u(body, 0)
    return count, body[i:]


def arena_address(data_section):
    count, rest = vec_items(data_section)
    i = 0
    for _ in range(count):
        flags, i = leb_u(rest, i)
        if flags != 0:
            raise SystemExit(f"adapter_realloc: data segment kind {flags} not supported")
        if rest[i] != 0x41:  # i32.const
            raise SystemExit("adapter_realloc: data segment offset is not i32.const")
        offset, i = leb_u_signed(rest, i + 1)
        if rest[i] != 0x0B:
            raise SystemExit("adapter_realloc: unexpected data offset expression")
        i += 1
        size, i = leb_u(rest, i)
        at = rest[i : i + size].find(MARKER)
        if at >= 0:
            return offset + at
        i += size
    raise SystemExit("adapter_realloc: the adapter arena marker is not in the data section "
                     "(is guest-sdk/go/witpkg linked in?)")


def leb_u_signed(data, i):
    result = shift = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, i


def count_imported_funcs(import_section):
    count, rest = vec_items(import_section)
    i = funcs = 0
    for _ in range(count):
        for _ in range(2):  # module, name
            n, i = leb_u(rest, i)
            i += n
        kind = rest[i]
        i += 1
        if kind == 0:  # func: type index
            _, i = leb_u(rest, i)
            funcs += 1
        elif kind == 1:  # table: reftype + limits
            i += 1
            flags, i = leb_u(rest, i)
            _, i = leb_u(rest, i)
            if flags & 1:
                _, i = leb_u(rest, i)
        elif kind == 2:  # memory: limits
            flags, i = leb_u(rest, i)
            _, i = leb_u(rest, i)
            if flags & 1:
                _, i = leb_u(rest, i)
        elif kind == 3:  # global: valtype + mut
            i += 2
        else:
            raise SystemExit(f"adapter_realloc: import kind {kind} not supported")
    return funcs


def append_vec(body, item):
    count, rest = vec_items(body)
    return enc_u(count + 1) + rest + item


def main(src, dst):
    wasm = open(src, "rb").read()
    secs = list(sections(wasm))
    by_id = {}
    for sid, body in secs:
        if sid != 0:
            by_id[sid] = body
    for name_id in (1, 2, 3, 6, 7, 10, 11):
        if name_id not in by_id:
            raise SystemExit(f"adapter_realloc: section {name_id} missing from {src}")
    if b"cabi_realloc_adapter" in by_id[7]:
        raise SystemExit(f"adapter_realloc: {src} already exports cabi_realloc_adapter")

    base = arena_address(by_id[11])
    base = (base + 7) & ~7
    end = base + ARENA_SIZE - 32

    # (i32 i32 i32 i32) -> i32
    functype = b"\x60\x04" + bytes([I32] * 4) + b"\x01" + bytes([I32])
    ntypes, types = vec_items(by_id[1])
    type_index = None
    i = 0
    for t in range(ntypes):
        start = i
        i += 1
        n, i = leb_u(types, i)
        i += n
        n, i = leb_u(types, i)
        i += n
        if types[start:i] == functype:
            type_index = t
            break
    new = dict(by_id)
    if type_index is None:
        type_index = ntypes
        new[1] = append_vec(by_id[1], functype)

    nfuncs, _ = vec_items(by_id[3])
    func_index = count_imported_funcs(by_id[2]) + nfuncs
    nglobals, _ = vec_items(by_id[6])
    new[3] = append_vec(by_id[3], enc_u(type_index))
    new[6] = append_vec(by_id[6], bytes([I32, 1, 0x41]) + enc_s(base) + b"\x0b")
    name = b"cabi_realloc_adapter"
    new[7] = append_vec(by_id[7], enc_u(len(name)) + name + b"\x00" + enc_u(func_index))

    g = enc_u(nglobals)
    code = (
        b"\x01\x01" + bytes([I32])            # one local: p
        # p = (bump + align - 1) & -align
        + b"\x23" + g + b"\x20\x02\x6a\x41\x01\x6b\x41\x00\x20\x02\x6b\x71\x21\x04"
        # trap on realloc of an old block or when the arena is exhausted
        + b"\x20\x00\x20\x04\x20\x03\x6a\x41" + enc_s(end) + b"\x4b\x72\x04\x40\x00\x0b"
        # bump = p + new_size; return p
        + b"\x20\x04\x20\x03\x6a\x24" + g + b"\x20\x04\x0b"
    )
    new[10] = append_vec(by_id[10], enc_u(len(code)) + code)

    out = bytearray(wasm[:8])
    for sid, body in secs:
        body = new.get(sid, body) if sid != 0 else body
        out += bytes([sid]) + enc_u(len(body)) + body
    open(dst, "wb").write(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
