//! pbx.zig: call flows in Zig, over the C bindings that `wit-bindgen c`
//! generates from wit/ and the C helpers of guest-sdk/c.
//!
//! Zig 0.17 has no @cImport, so the C functions are declared here by hand;
//! their C definitions are guest-sdk/c/pbx_flow.h and guest-sdk/zig/pbx_zig.c.
//! A flow exports `pbx_flow_describe` and `pbx_flow_handle_call` (see
//! scripts/zig/auto-attendant/auto_attendant.zig) and uses the wrappers
//! below, which take Zig slices and return Zig errors.

const std = @import("std");

// ---- C types mirrored by hand ------------------------------------------------

/// The contract's error variant (pbx_flow_types_error_t): a tag and, for
/// every variant but hangup, a message.
pub const Error = extern struct {
    tag: u8,
    ptr: ?[*]u8,
    len: usize,
};

/// Tags of `Error`.
pub const error_tag = struct {
    pub const hangup: u8 = 0;
    pub const unavailable: u8 = 6;
};

/// The `describe` result being built (opaque: only the C side touches it).
pub const Description = opaque {};

/// One parameter of a description (opaque).
pub const Param = opaque {};

/// Kinds of parameters (EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_*).
pub const ParamKind = enum(u8) {
    text = 0,
    integer = 1,
    boolean = 2,
    extension = 3,
    queue = 4,
    voicemail_box = 5,
    prompt = 6,
    schedule = 7,
    holiday_calendar = 8,
    flag = 9,
    destination = 10,
    text_list = 11,
};

/// A list of malloc'd C strings (pbx_strings_t).
pub const Strings = extern struct {
    items: ?[*][*:0]u8,
    len: usize,
};

/// Kinds of destinations (pbx_destination_kind_t).
pub const DestinationKind = enum(c_int) { extension, queue, voicemail, external, hangup };

/// A destination (pbx_destination_t).
pub const Destination = extern struct {
    kind: DestinationKind,
    value: [*:0]u8,
};

/// One menu key (pbx_key_entry_t).
pub const KeyEntry = extern struct {
    key: u32,
    destination: Destination,
};

/// A one-key menu (pbx_key_map_t).
pub const KeyMap = extern struct {
    items: ?[*]KeyEntry,
    len: usize,
};

/// Voicemail greetings (PBX_FLOW_CALL_VOICEMAIL_GREETING_*).
pub const Greeting = enum(u8) { unavailable = 0, busy = 1, none = 2 };

/// Dial outcome tags (PBX_FLOW_CALL_DIAL_OUTCOME_*).
pub const dial_outcome = struct {
    pub const answered: u8 = 0;
    pub const busy: u8 = 1;
};

/// Queue exit tags (PBX_FLOW_CALL_QUEUE_EXIT_*).
pub const queue_exit = struct {
    pub const answered: u8 = 0;
};

/// Closed reason tags (PBX_FLOW_SCHEDULE_CLOSED_REASON_*).
pub const closed_reason = struct {
    pub const outside_hours: i32 = 0;
    pub const holiday: i32 = 1;
    pub const closure: i32 = 2;
};

/// Log levels (PBX_FLOW_LOG_LEVEL_*).
pub const Level = enum(u8) { debug = 0, info = 1, warn = 2, err = 3 };

// ---- the C functions ---------------------------------------------------------

pub const c = struct {
    pub extern fn free(ptr: ?*anyopaque) void;
    pub extern fn pbx_config_text(name: [*:0]const u8) ?[*:0]u8;
    pub extern fn pbx_config_text_or_empty(name: [*:0]const u8) [*:0]u8;
    pub extern fn pbx_config_integer(name: [*:0]const u8, out: *i64) bool;
    pub extern fn pbx_config_list(name: [*:0]const u8) Strings;
    pub extern fn pbx_strings_free(list: *Strings) void;
    pub extern fn pbx_first_char(s: [*:0]const u8, out: *u32) bool;
    pub extern fn pbx_char_utf8(ch: u32, buf: *[5]u8) [*:0]u8;
    pub extern fn pbx_key_map(entries: *const Strings) KeyMap;
    pub extern fn pbx_key_map_find(map: *const KeyMap, key: u32) ?*const KeyEntry;
    pub extern fn pbx_key_map_free(map: *KeyMap) void;
    pub extern fn pbx_destination_format(d: *const Destination) [*:0]u8;
    pub extern fn pbx_log_fields(level: u8, name: [*:0]const u8, n: usize, keys: [*]const [*:0]const u8, values: [*]const [*:0]const u8) void;
    pub extern fn pbx_answer(err: *Error) bool;
    pub extern fn pbx_play_one(prompt: [*:0]const u8, err: *Error) bool;
    pub extern fn pbx_play_collect(prompt: [*:0]const u8, max_digits: u8, digits: *[*:0]u8, err: *Error) bool;
    pub extern fn pbx_voicemail(box: [*:0]const u8, greeting: u8, out: ?*anyopaque, err: *Error) bool;
    pub extern fn pbx_hangup(cause: u8, err: *Error) bool;
    pub extern fn pbx_set_field(name: [*:0]const u8, value: [*:0]const u8, err: *Error) bool;
    pub extern fn pbx_holiday_today(calendar: [*:0]const u8, name: *?[*:0]u8, err: *Error) bool;
    pub extern fn pbx_describe(d: *Description, name: [*:0]const u8, version: [*:0]const u8, summary: [*:0]const u8) void;
    pub extern fn pbx_describe_param(d: *Description, name: [*:0]const u8, kind: u8, label: [*:0]const u8) *Param;
    pub extern fn pbx_param_help(p: *Param, help: [*:0]const u8) void;
    pub extern fn pbx_param_optional(p: *Param) void;
    pub extern fn pbx_param_default_text(p: *Param, value: [*:0]const u8) void;
    pub extern fn pbx_param_default_integer(p: *Param, value: i64) void;
    pub extern fn pbx_param_default_list(p: *Param, items: [*]const [*:0]const u8, n: usize) void;
    pub extern fn pbxz_call_numbers(caller: *[*:0]u8, dialled: *[*:0]u8) void;
    pub extern fn pbxz_dial_extension(number: [*:0]const u8, ring_ms: u32, tag: *u8, text: *[*:0]u8, err: *Error) bool;
    pub extern fn pbxz_dial_external(number: [*:0]const u8, tag: *u8, err: *Error) bool;
    pub extern fn pbxz_enqueue(queue: [*:0]const u8, max_wait_ms: u32, tag: *u8, text: *[*:0]u8, err: *Error) bool;
    pub extern fn pbxz_schedule_status(name: [*:0]const u8, open: *bool, reason: *i32, text: *?[*:0]u8, err: *Error) bool;
};

// ---- Zig wrappers --------------------------------------------------------------

/// Every host failure is this one Zig error; the details are in the
/// `Error` the call filled, which `pbx_flow_handle_call` hands back.
pub const HostError = error{Host};

/// Turn a C helper's `false` into `HostError.Host`.
pub fn check(ok: bool) HostError!void {
    if (!ok) return HostError.Host;
}

/// Record event `name` with key/value `fields`. Never fails.
pub fn log(level: Level, name: [*:0]const u8, fields: []const [2][*:0]const u8) void {
    var keys: [16][*:0]const u8 = undefined;
    var values: [16][*:0]const u8 = undefined;
    const n = @min(fields.len, keys.len);
    for (fields[0..n], 0..) |f, i| {
        keys[i] = f[0];
        values[i] = f[1];
    }
    c.pbx_log_fields(@intFromEnum(level), name, n, &keys, &values);
}

/// An integer parameter, or `fallback` when it has none.
pub fn integerOr(name: [*:0]const u8, fallback: i64) i64 {
    var v: i64 = undefined;
    return if (c.pbx_config_integer(name, &v)) v else fallback;
}

/// `n` as decimal text in `buf`, NUL-terminated.
pub fn decimal(buf: []u8, n: i64) [*:0]const u8 {
    const text = std.mem.printSentinel(buf, "{d}", .{n}, 0) catch unreachable;
    return text.ptr;
}
