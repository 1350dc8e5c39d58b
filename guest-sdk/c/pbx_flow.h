/*
 * pbx_flow.h: a thin layer over the C bindings that `wit-bindgen c` generates
 * from wit/ (flow.h), for call flows written in C (and C++ and Zig, which
 * link the same code).
 *
 * What it adds to the raw bindings:
 *   - NUL-terminated `char *` in and out instead of `flow_string_t`;
 *   - typed config getters with the schema's defaults already applied by
 *     the host (`pbx_config_text`, `pbx_config_integer`, `pbx_config_list`);
 *   - destinations written as text ("ext:101", "queue:sales", "vm:100",
 *     "tel:+33...", "hangup") and one-key menu maps ("1=ext:101");
 *   - one-line trace events (`pbx_log_info("menu-choice", "key", "1", NULL)`);
 *   - the call actions with the same defaults as the Rust SDK (collect: `#`
 *     ends input, 5 s first digit, 3 s between digits; dial: simultaneous);
 *   - a builder for `describe`;
 *   - the export glue: a flow defines `pbx_flow_describe` and
 *     `pbx_flow_handle_call`, nothing else.
 *
 * Conventions. Every fallible function returns `true` on success and, on
 * failure, `false` with `*err` filled (the contract's error variant; pass it
 * back from `pbx_flow_handle_call`). `PBX_TRY(expr)` returns `false` from the
 * calling function when `expr` fails, like `?` in Rust. Strings returned as
 * `char *` are malloc'd and owned by the caller (`free`); a flow instance
 * handles one call and is then dropped, so a flow may also leave them.
 */
#ifndef PBX_FLOW_H
#define PBX_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

/** The contract's error variant (hangup, not-found, ...). */
typedef pbx_flow_types_error_t pbx_error_t;

/** Return `false` from the enclosing function when `expr` is false. */
#define PBX_TRY(expr)    \
    do {                 \
        if (!(expr))     \
            return false; \
    } while (0)

/** Fill `*err` with `tag` (PBX_FLOW_TYPES_ERROR_*) and a copy of `message`. */
void pbx_error_set(pbx_error_t *err, uint8_t tag, const char *message);

/* ---- text -------------------------------------------------------------- */

/** A borrowed view of `s` for the raw bindings (no copy). */
flow_string_t pbx_str(const char *s);

/** A malloc'd NUL-terminated copy of `s`. */
char *pbx_cstr(const flow_string_t *s);

/** A list of malloc'd strings. */
typedef struct pbx_strings {
    char **items;
    size_t len;
} pbx_strings_t;

/** Free every item and the list itself; leaves `list` empty. */
void pbx_strings_free(pbx_strings_t *list);

/**
 * The first character of `s` (UTF-8 decoded) in `*out`; false when `s` is
 * empty or not valid UTF-8.
 */
bool pbx_first_char(const char *s, uint32_t *out);

/** `ch` encoded as UTF-8 into `buf` (at least 5 bytes), NUL-terminated. */
char *pbx_char_utf8(uint32_t ch, char buf[5]);

/* ---- config: the route's parameters ------------------------------------ */

/** A text-valued parameter (text, prompt, schedule, ...); NULL if absent. */
char *pbx_config_text(const char *name);

/** Like `pbx_config_text`, but "" instead of NULL. */
char *pbx_config_text_or_empty(const char *name);

/** An integer parameter in `*out`; false if absent or not an integer. */
bool pbx_config_integer(const char *name, int64_t *out);

/** A text-list parameter; empty if absent or not a list. */
pbx_strings_t pbx_config_list(const char *name);

/* ---- destinations ------------------------------------------------------ */

/** What kind of place a destination is. */
typedef enum pbx_destination_kind {
    PBX_DESTINATION_EXTENSION, /**< "ext:101" or plain digits "101" */
    PBX_DESTINATION_QUEUE,     /**< "queue:sales" */
    PBX_DESTINATION_VOICEMAIL, /**< "vm:100" */
    PBX_DESTINATION_EXTERNAL,  /**< "tel:+33123456789" */
    PBX_DESTINATION_HANGUP,    /**< "hangup" */
} pbx_destination_kind_t;

/** Where a call can be sent. `value` is malloc'd ("" for hangup). */
typedef struct pbx_destination {
    pbx_destination_kind_t kind;
    char *value;
} pbx_destination_t;

/**
 * Parse `text` (surrounding whitespace ignored). False when it is none of
 * ext:NUMBER, queue:NAME, vm:BOX, tel:NUMBER, hangup or plain digits.
 */
bool pbx_destination_parse(const char *text, pbx_destination_t *out);

/** The destination written back as text ("ext:101"); malloc'd. */
char *pbx_destination_format(const pbx_destination_t *d);

/** One key of a menu and where it leads. */
typedef struct pbx_key_entry {
    uint32_t key;
    pbx_destination_t destination;
} pbx_key_entry_t;

/** A one-key menu, in the order the entries were written. */
typedef struct pbx_key_map {
    pbx_key_entry_t *items;
    size_t len;
} pbx_key_map_t;

/**
 * Parse entries such as "1=ext:101", "9 = vm:100" into a key map, skipping
 * unreadable entries (a key must be exactly one character).
 */
pbx_key_map_t pbx_key_map(const pbx_strings_t *entries);

/** The entry for `key`, or NULL. */
const pbx_key_entry_t *pbx_key_map_find(const pbx_key_map_t *map, uint32_t key);

/** Free a key map's entries. */
void pbx_key_map_free(pbx_key_map_t *map);

/* ---- log: events in the call's trace ----------------------------------- */

/**
 * Record event `name` with `n` key/value pairs (`keys[i]` = `values[i]`).
 * Never fails.
 */
void pbx_log_fields(pbx_flow_log_level_t level, const char *name, size_t n,
                    const char *const *keys, const char *const *values);

/** Record event `name` with key, value, key, value, ... then NULL. */
void pbx_log(pbx_flow_log_level_t level, const char *name, ...);

#define pbx_log_debug(name, ...) pbx_log(PBX_FLOW_LOG_LEVEL_DEBUG, name, ##__VA_ARGS__, (const char *)0)
#define pbx_log_info(name, ...) pbx_log(PBX_FLOW_LOG_LEVEL_INFO, name, ##__VA_ARGS__, (const char *)0)
#define pbx_log_warn(name, ...) pbx_log(PBX_FLOW_LOG_LEVEL_WARN, name, ##__VA_ARGS__, (const char *)0)
#define pbx_log_error(name, ...) pbx_log(PBX_FLOW_LOG_LEVEL_ERROR, name, ##__VA_ARGS__, (const char *)0)

/* ---- call control ------------------------------------------------------ */

/** Answer the call (SIP 200 OK). */
bool pbx_answer(pbx_error_t *err);

/** Play `n` prompts to the end; key presses are discarded. */
bool pbx_play(const char *const *prompts, size_t n, pbx_error_t *err);

/** Play one prompt to the end. */
bool pbx_play_one(const char *prompt, pbx_error_t *err);

/**
 * Play `prompt` as a menu, interruptible, then collect up to `max_digits`
 * digits (`#` ends input, 5 s for the first digit, 3 s between digits).
 * `*digits` (malloc'd) is empty on timeout.
 */
bool pbx_play_collect(const char *prompt, uint8_t max_digits, char **digits, pbx_error_t *err);

/**
 * Ring extension `number` for `ring_ms` and, if answered, stay bridged.
 * Free `*out` with pbx_flow_call_dial_outcome_free.
 */
bool pbx_dial_extension(const char *number, uint32_t ring_ms,
                        pbx_flow_call_dial_outcome_t *out, pbx_error_t *err);

/** Ring external `number` with the default ring time (30 s). */
bool pbx_dial_external(const char *number, pbx_flow_call_dial_outcome_t *out, pbx_error_t *err);

/**
 * Wait in `queue` at most `max_wait_ms`. Free `*out` with
 * pbx_flow_call_queue_exit_free.
 */
bool pbx_enqueue(const char *queue, uint32_t max_wait_ms,
                 pbx_flow_call_queue_exit_t *out, pbx_error_t *err);

/** Let the caller leave a message in `box`; `out` may be NULL. */
bool pbx_voicemail(const char *box, pbx_flow_call_voicemail_greeting_t greeting,
                   pbx_flow_call_voicemail_outcome_t *out, pbx_error_t *err);

/** End the call. */
bool pbx_hangup(pbx_flow_call_hangup_cause_t cause, pbx_error_t *err);

/** Set a field on the call record (e.g. "menu-choice"). */
bool pbx_set_field(const char *name, const char *value, pbx_error_t *err);

/* ---- tenant data ------------------------------------------------------- */

/**
 * Whether today is a holiday in `calendar`: `*name` is the holiday's name
 * (malloc'd), or NULL when it is not one.
 */
bool pbx_holiday_today(const char *calendar, char **name, pbx_error_t *err);

/**
 * The schedule's state now. Free `*out` with
 * pbx_flow_schedule_schedule_status_free.
 */
bool pbx_schedule_status(const char *name, pbx_flow_schedule_schedule_status_t *out, pbx_error_t *err);

/* ---- outcomes as text -------------------------------------------------- */

/**
 * The outcome written the way the Rust SDK's `{:?}` writes it, e.g.
 * "DialOutcome::Busy", so traces read the same in every language. malloc'd.
 */
char *pbx_dial_outcome_text(const pbx_flow_call_dial_outcome_t *outcome);

/** Same for a queue exit, e.g. "QueueExit::Unavailable". malloc'd. */
char *pbx_queue_exit_text(const pbx_flow_call_queue_exit_t *exit);

/* ---- describe ---------------------------------------------------------- */

/** What `describe` returns. */
typedef exports_pbx_flow_handler_flow_description_t pbx_description_t;

/** One parameter of the description. */
typedef exports_pbx_flow_handler_param_spec_t pbx_param_t;

/** Start a description: name, semver version and one paragraph for admins. */
void pbx_describe(pbx_description_t *d, const char *name, const char *version, const char *summary);

/**
 * Add a parameter (required, no default, label = name until set). Returns
 * it for the setters below; valid until the next pbx_describe_param.
 */
pbx_param_t *pbx_describe_param(pbx_description_t *d, const char *name,
                                exports_pbx_flow_handler_param_kind_t kind, const char *label);

/** Help text for the portal's form. */
void pbx_param_help(pbx_param_t *p, const char *help);

/** Not required. */
void pbx_param_optional(pbx_param_t *p);

/** A text default (makes the parameter optional). */
void pbx_param_default_text(pbx_param_t *p, const char *value);

/** An integer default (makes the parameter optional). */
void pbx_param_default_integer(pbx_param_t *p, int64_t value);

/** A boolean default (makes the parameter optional). */
void pbx_param_default_boolean(pbx_param_t *p, bool value);

/** A text-list default of `n` items (makes the parameter optional). */
void pbx_param_default_list(pbx_param_t *p, const char *const *items, size_t n);

/* ---- what a flow defines ----------------------------------------------- */

/** Describe the flow: fill `d` with pbx_describe and pbx_describe_param. */
void pbx_flow_describe(pbx_description_t *d);

/**
 * Handle the call. Return true when done, or false with `*err` filled;
 * `hangup` errors count as a normal end.
 */
bool pbx_flow_handle_call(pbx_error_t *err);

#ifdef __cplusplus
}
#endif

#endif
