//! The reference auto-attendant, in Zig.
//!
//! Greeting; when the office is closed (outside the schedule's hours, or a
//! holiday of the calendar) a closed message and the general voicemail box;
//! otherwise a one-key menu whose keys lead to extensions, queues or
//! voicemail boxes, with a repeat key and a bounded number of retries on
//! invalid or missing input. Every decision is logged to the call's trace.
//!
//! Same behaviour as scripts/rust/auto-attendant: same description, same
//! host calls in the same order, same trace events and record fields.

const std = @import("std");
const pbx = @import("pbx");
const c = pbx.c;
const check = pbx.check;

/// Hang-up cause "normal" (PBX_FLOW_CALL_HANGUP_CAUSE_NORMAL).
const normal: u8 = 0;

export fn pbx_flow_describe(d: *pbx.Description) void {
    c.pbx_describe(d, "auto-attendant", "1.0.0", "Greets callers, sends them to voicemail when the office is closed, and offers a one-key menu when it is open.");
    var p = c.pbx_describe_param(d, "schedule", @intFromEnum(pbx.ParamKind.schedule), "Office hours");
    c.pbx_param_default_text(p, "office");
    p = c.pbx_describe_param(d, "holidays", @intFromEnum(pbx.ParamKind.holiday_calendar), "Holiday calendar");
    c.pbx_param_help(p, "Closed all day on these holidays.");
    c.pbx_param_optional(p);
    p = c.pbx_describe_param(d, "greeting", @intFromEnum(pbx.ParamKind.prompt), "Greeting");
    c.pbx_param_default_text(p, "welcome");
    p = c.pbx_describe_param(d, "closed-prompt", @intFromEnum(pbx.ParamKind.prompt), "Closed message");
    c.pbx_param_default_text(p, "closed");
    p = c.pbx_describe_param(d, "menu-prompt", @intFromEnum(pbx.ParamKind.prompt), "Menu prompt");
    c.pbx_param_default_text(p, "menu");
    p = c.pbx_describe_param(d, "invalid-prompt", @intFromEnum(pbx.ParamKind.prompt), "Invalid choice prompt");
    c.pbx_param_default_text(p, "invalid");
    p = c.pbx_describe_param(d, "menu", @intFromEnum(pbx.ParamKind.text_list), "Menu keys");
    c.pbx_param_help(p, "One entry per key: 1=ext:101, 2=queue:sales, 9=vm:100.");
    const menu_default = [_][*:0]const u8{ "1=ext:101", "2=ext:102", "9=vm:100" };
    c.pbx_param_default_list(p, &menu_default, menu_default.len);
    p = c.pbx_describe_param(d, "repeat-key", @intFromEnum(pbx.ParamKind.text), "Repeat key");
    c.pbx_param_default_text(p, "*");
    p = c.pbx_describe_param(d, "voicemail-box", @intFromEnum(pbx.ParamKind.voicemail_box), "General voicemail");
    c.pbx_param_default_text(p, "100");
    p = c.pbx_describe_param(d, "retries", @intFromEnum(pbx.ParamKind.integer), "Attempts");
    c.pbx_param_default_integer(p, 3);
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
    pbx.log(.info, "call", &.{ .{ "caller", caller }, .{ "dialled", dialled } });
    c.free(caller);
    c.free(dialled);

    try check(c.pbx_answer(err));
    try playParam("greeting", err);

    var why_buf: [1024]u8 = undefined;
    if (try closedReason(&why_buf, err)) |why| {
        pbx.log(.info, "closed", &.{.{ "reason", why }});
        try check(c.pbx_set_field("outcome", "closed", err));
        try playParam("closed-prompt", err);
        try voicemailParam("voicemail-box", .none, err);
        return check(c.pbx_hangup(normal, err));
    }
    return menu(err);
}

/// Play the prompt named by text parameter `param`.
fn playParam(param: [*:0]const u8, err: *pbx.Error) pbx.HostError!void {
    const prompt = c.pbx_config_text_or_empty(param);
    defer c.free(prompt);
    try check(c.pbx_play_one(prompt, err));
}

/// Leave a message in the box named by text parameter `param`.
fn voicemailParam(param: [*:0]const u8, greeting: pbx.Greeting, err: *pbx.Error) pbx.HostError!void {
    const box = c.pbx_config_text_or_empty(param);
    defer c.free(box);
    try check(c.pbx_voicemail(box, @intFromEnum(greeting), null, err));
}

/// "prefix" ++ `text` into `buf`, NUL-terminated (cut to fit).
fn joined(buf: []u8, prefix: []const u8, text: [*:0]const u8) [*:0]const u8 {
    const s = std.mem.printSentinel(buf, "{s}{s}", .{ prefix, std.mem.span(text) }, 0) catch {
        buf[buf.len - 1] = 0;
        return @ptrCast(buf.ptr);
    };
    return s.ptr;
}

/// Why the office is closed right now (written into `buf`), or null when
/// it is open.
fn closedReason(buf: []u8, err: *pbx.Error) pbx.HostError!?[*:0]const u8 {
    if (c.pbx_config_text("holidays")) |calendar| {
        defer c.free(calendar);
        var holiday: ?[*:0]u8 = null;
        try check(c.pbx_holiday_today(calendar, &holiday, err));
        if (holiday) |name| {
            defer c.free(name);
            return joined(buf, "holiday: ", name);
        }
    }
    const schedule = c.pbx_config_text_or_empty("schedule");
    defer c.free(schedule);
    var open: bool = undefined;
    var reason: i32 = undefined;
    var text: ?[*:0]u8 = null;
    try check(c.pbxz_schedule_status(schedule, &open, &reason, &text, err));
    defer if (text) |t| c.free(t);
    if (open) return null;
    if (text) |t| {
        if (reason == pbx.closed_reason.holiday) return joined(buf, "holiday: ", t);
        if (reason == pbx.closed_reason.closure) return joined(buf, "closure: ", t);
    }
    return "outside hours";
}

/// The open-hours menu, with retries.
fn menu(err: *pbx.Error) pbx.HostError!void {
    var entries = c.pbx_config_list("menu");
    var keys = c.pbx_key_map(&entries);
    c.pbx_strings_free(&entries);
    defer c.pbx_key_map_free(&keys);
    const repeat_text = c.pbx_config_text_or_empty("repeat-key");
    var repeat: u32 = undefined;
    const has_repeat = c.pbx_first_char(repeat_text, &repeat);
    c.free(repeat_text);
    const attempts = std.math.clamp(pbx.integerOr("retries", 3), 1, 10);
    var failures: i64 = 0;
    var repeats: i64 = 0;
    var number: [24]u8 = undefined;
    var key_buf: [5]u8 = undefined;

    while (failures < attempts and repeats < 10) {
        const prompt = c.pbx_config_text_or_empty("menu-prompt");
        var digits: [*:0]u8 = undefined;
        const ok = c.pbx_play_collect(prompt, 1, &digits, err);
        c.free(prompt);
        try check(ok);
        var key: u32 = undefined;
        const pressed = c.pbx_first_char(digits, &key);
        c.free(digits);
        if (!pressed) {
            failures += 1;
            pbx.log(.info, "no-input", &.{.{ "attempt", pbx.decimal(&number, failures) }});
            continue;
        }
        if (has_repeat and key == repeat) {
            repeats += 1;
            pbx.log(.info, "repeat", &.{});
            continue;
        }
        const key_text = c.pbx_char_utf8(key, &key_buf);
        if (c.pbx_key_map_find(&keys, key)) |entry| {
            const destination = c.pbx_destination_format(&entry.destination);
            pbx.log(.info, "menu-choice", &.{ .{ "key", key_text }, .{ "destination", destination } });
            c.free(destination);
            try check(c.pbx_set_field("menu-choice", key_text, err));
            return route(&entry.destination, err);
        }
        failures += 1;
        pbx.log(.info, "invalid-choice", &.{ .{ "key", key_text }, .{ "attempt", pbx.decimal(&number, failures) } });
        try playParam("invalid-prompt", err);
    }
    pbx.log(.warn, "retries-exhausted", &.{});
    try check(c.pbx_set_field("outcome", "retries-exhausted", err));
    try voicemailParam("voicemail-box", .none, err);
    try check(c.pbx_hangup(normal, err));
}

/// Send the caller to the destination they chose.
fn route(d: *const pbx.Destination, err: *pbx.Error) pbx.HostError!void {
    switch (d.kind) {
        .extension => {
            const ring: u32 = @intCast(std.math.clamp(pbx.integerOr("ring-seconds", 20), 5, 120));
            var tag: u8 = undefined;
            var text: [*:0]u8 = undefined;
            try check(c.pbxz_dial_extension(d.value, ring * 1000, &tag, &text, err));
            pbx.log(.info, "dial-outcome", &.{ .{ "extension", d.value }, .{ "outcome", text } });
            c.free(text);
            if (tag == pbx.dial_outcome.answered) return;
            const greeting: pbx.Greeting = if (tag == pbx.dial_outcome.busy) .busy else .unavailable;
            try check(c.pbx_voicemail(d.value, @intFromEnum(greeting), null, err));
        },
        .voicemail => try check(c.pbx_voicemail(d.value, @intFromEnum(pbx.Greeting.unavailable), null, err)),
        .queue => {
            var tag: u8 = undefined;
            var text: [*:0]u8 = undefined;
            try check(c.pbxz_enqueue(d.value, 300000, &tag, &text, err));
            pbx.log(.info, "queue-exit", &.{ .{ "queue", d.value }, .{ "exit", text } });
            c.free(text);
            if (tag != pbx.queue_exit.answered) try voicemailParam("voicemail-box", .unavailable, err);
        },
        .external => {
            var tag: u8 = undefined;
            try check(c.pbxz_dial_external(d.value, &tag, err));
        },
        .hangup => {},
    }
    try check(c.pbx_hangup(normal, err));
}
