//! The @@name@@ call flow.
//!
//! Answers, plays a greeting, then a two-key menu: 1 rings an extension (its
//! voicemail when nobody answers or it is busy), 2 goes straight to its
//! voicemail; no key or another key also ends in voicemail. Each decision is
//! logged to the call's trace.

const std = @import("std");
const pbx = @import("pbx");
const c = pbx.c;
const check = pbx.check;

/// Hang-up cause "normal" (PBX_FLOW_CALL_HANGUP_CAUSE_NORMAL).
const normal: u8 = 0;

export fn pbx_flow_describe(d: *pbx.Description) void {
    c.pbx_describe(d, "@@name@@", "0.1.0", "Greets callers; key 1 rings an extension, key 2 leaves a message.");
    var p = c.pbx_describe_param(d, "greeting", @intFromEnum(pbx.ParamKind.prompt), "Greeting");
    c.pbx_param_default_text(p, "welcome");
    p = c.pbx_describe_param(d, "extension", @intFromEnum(pbx.ParamKind.extension), "Extension");
    c.pbx_param_default_text(p, "101");
    p = c.pbx_describe_param(d, "ring-seconds", @intFromEnum(pbx.ParamKind.integer), "Ring time");
    c.pbx_param_default_integer(p, 20);
}

export fn pbx_flow_handle_call(err: *pbx.Error) bool {
    handleCall(err) catch return false;
    return true;
}

fn handleCall(err: *pbx.Error) pbx.HostError!void {
    var caller: [*:0]u8 = undefined;
    var dialled: [*:0]u8 = undefined;
    c.pbxz_call_numbers(&caller, &dialled);
    pbx.log(.info, "call", &.{.{ "caller", caller }});
    c.free(caller);
    c.free(dialled);

    try check(c.pbx_answer(err));
    const greeting = c.pbx_config_text_or_empty("greeting");
    defer c.free(greeting);
    try check(c.pbx_play_one(greeting, err));

    var digits: [*:0]u8 = undefined;
    try check(c.pbx_play_collect("menu", 1, &digits, err));
    defer c.free(digits);
    const extension = c.pbx_config_text_or_empty("extension");
    defer c.free(extension);
    const key = std.mem.span(digits);

    if (std.mem.eql(u8, key, "1")) {
        pbx.log(.info, "menu-choice", &.{.{ "key", "1" }});
        const ring: u32 = @intCast(std.math.clamp(pbx.integerOr("ring-seconds", 20), 5, 120));
        var tag: u8 = undefined;
        var text: [*:0]u8 = undefined;
        try check(c.pbxz_dial_extension(extension, ring * 1000, &tag, &text, err));
        pbx.log(.info, "dial-outcome", &.{.{ "outcome", text }});
        c.free(text);
        if (tag == pbx.dial_outcome.answered) return;
        const vm: pbx.Greeting = if (tag == pbx.dial_outcome.busy) .busy else .unavailable;
        try check(c.pbx_voicemail(extension, @intFromEnum(vm), null, err));
    } else if (std.mem.eql(u8, key, "2")) {
        pbx.log(.info, "menu-choice", &.{.{ "key", "2" }});
        try check(c.pbx_voicemail(extension, @intFromEnum(pbx.Greeting.unavailable), null, err));
    } else {
        pbx.log(.info, "no-choice", &.{.{ "digits", digits }});
        try check(c.pbx_voicemail(extension, @intFromEnum(pbx.Greeting.none), null, err));
    }
    try check(c.pbx_hangup(normal, err));
}
