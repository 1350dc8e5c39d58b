/*
 * The reference auto-attendant, in C.
 *
 * Greeting; when the office is closed (outside the schedule's hours, or a
 * holiday of the calendar) a closed message and the general voicemail box;
 * otherwise a one-key menu whose keys lead to extensions, queues or
 * voicemail boxes, with a repeat key and a bounded number of retries on
 * invalid or missing input. Every decision is logged to the call's trace.
 *
 * Same behaviour as scripts/rust/auto-attendant: same description, same
 * host calls in the same order, same trace events and record fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

/* ---- describe ---------------------------------------------------------- */

void pbx_flow_describe(pbx_description_t *d) {
    pbx_param_t *p;
    pbx_describe(d, "auto-attendant", "1.0.0",
                 "Greets callers, sends them to voicemail when the office is closed, "
                 "and offers a one-key menu when it is open.");
    p = pbx_describe_param(d, "schedule", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_SCHEDULE, "Office hours");
    pbx_param_default_text(p, "office");
    p = pbx_describe_param(d, "holidays", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_HOLIDAY_CALENDAR, "Holiday calendar");
    pbx_param_help(p, "Closed all day on these holidays.");
    pbx_param_optional(p);
    p = pbx_describe_param(d, "greeting", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_PROMPT, "Greeting");
    pbx_param_default_text(p, "welcome");
    p = pbx_describe_param(d, "closed-prompt", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_PROMPT, "Closed message");
    pbx_param_default_text(p, "closed");
    p = pbx_describe_param(d, "menu-prompt", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_PROMPT, "Menu prompt");
    pbx_param_default_text(p, "menu");
    p = pbx_describe_param(d, "invalid-prompt", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_PROMPT, "Invalid choice prompt");
    pbx_param_default_text(p, "invalid");
    p = pbx_describe_param(d, "menu", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_TEXT_LIST, "Menu keys");
    pbx_param_help(p, "One entry per key: 1=ext:101, 2=queue:sales, 9=vm:100.");
    static const char *const menu[] = {"1=ext:101", "2=ext:102", "9=vm:100"};
    pbx_param_default_list(p, menu, 3);
    p = pbx_describe_param(d, "repeat-key", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_TEXT, "Repeat key");
    pbx_param_default_text(p, "*");
    p = pbx_describe_param(d, "voicemail-box", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_VOICEMAIL_BOX, "General voicemail");
    pbx_param_default_text(p, "100");
    p = pbx_describe_param(d, "retries", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_INTEGER, "Attempts");
    pbx_param_default_integer(p, 3);
    p = pbx_describe_param(d, "ring-seconds", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_INTEGER, "Ring time");
    pbx_param_default_integer(p, 20);
}

/* ---- helpers ----------------------------------------------------------- */

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* An integer parameter, or `fallback` when it has none. */
static int64_t integer_or(const char *name, int64_t fallback) {
    int64_t v;
    return pbx_config_integer(name, &v) ? v : fallback;
}

/* Play the prompt named by text parameter `param`. */
static bool play_param(const char *param, pbx_error_t *err) {
    char *prompt = pbx_config_text_or_empty(param);
    bool ok = pbx_play_one(prompt, err);
    free(prompt);
    return ok;
}

/* Leave a message in the box named by text parameter `param`. */
static bool voicemail_param(const char *param, pbx_flow_call_voicemail_greeting_t greeting,
                            pbx_error_t *err) {
    char *box = pbx_config_text_or_empty(param);
    bool ok = pbx_voicemail(box, greeting, NULL, err);
    free(box);
    return ok;
}

/* ---- closed or open ---------------------------------------------------- */

/* Why the office is closed right now in `*why` (malloc'd), or NULL when it
 * is open. */
static bool closed_reason(char **why, pbx_error_t *err) {
    *why = NULL;
    char *calendar = pbx_config_text("holidays");
    if (calendar != NULL) {
        char *holiday;
        bool ok = pbx_holiday_today(calendar, &holiday, err);
        free(calendar);
        PBX_TRY(ok);
        if (holiday != NULL) {
            *why = malloc(strlen(holiday) + sizeof "holiday: ");
            sprintf(*why, "holiday: %s", holiday);
            free(holiday);
            return true;
        }
    }
    char *schedule = pbx_config_text_or_empty("schedule");
    pbx_flow_schedule_schedule_status_t status;
    bool ok = pbx_schedule_status(schedule, &status, err);
    free(schedule);
    PBX_TRY(ok);
    if (!status.open) {
        const pbx_flow_schedule_closed_reason_t *r = status.reason.is_some ? &status.reason.val : NULL;
        if (r != NULL && r->tag == PBX_FLOW_SCHEDULE_CLOSED_REASON_HOLIDAY) {
            char *name = pbx_cstr(&r->val.holiday);
            *why = malloc(strlen(name) + sizeof "holiday: ");
            sprintf(*why, "holiday: %s", name);
            free(name);
        } else if (r != NULL && r->tag == PBX_FLOW_SCHEDULE_CLOSED_REASON_CLOSURE) {
            char *msg = pbx_cstr(&r->val.closure);
            *why = malloc(strlen(msg) + sizeof "closure: ");
            sprintf(*why, "closure: %s", msg);
            free(msg);
        } else {
            *why = strdup("outside hours");
        }
    }
    pbx_flow_schedule_schedule_status_free(&status);
    return true;
}

/* ---- routing ----------------------------------------------------------- */

/* Send the caller to the destination they chose. */
static bool route(const pbx_destination_t *d, pbx_error_t *err) {
    switch (d->kind) {
    case PBX_DESTINATION_EXTENSION: {
        uint32_t ring_ms = (uint32_t)clamp(integer_or("ring-seconds", 20), 5, 120) * 1000;
        pbx_flow_call_dial_outcome_t outcome;
        PBX_TRY(pbx_dial_extension(d->value, ring_ms, &outcome, err));
        char *text = pbx_dial_outcome_text(&outcome);
        pbx_log_info("dial-outcome", "extension", d->value, "outcome", text);
        free(text);
        uint8_t tag = outcome.tag;
        pbx_flow_call_dial_outcome_free(&outcome);
        if (tag == PBX_FLOW_CALL_DIAL_OUTCOME_ANSWERED)
            return true;
        PBX_TRY(pbx_voicemail(d->value,
                              tag == PBX_FLOW_CALL_DIAL_OUTCOME_BUSY
                                  ? PBX_FLOW_CALL_VOICEMAIL_GREETING_BUSY
                                  : PBX_FLOW_CALL_VOICEMAIL_GREETING_UNAVAILABLE,
                              NULL, err));
        break;
    }
    case PBX_DESTINATION_VOICEMAIL:
        PBX_TRY(pbx_voicemail(d->value, PBX_FLOW_CALL_VOICEMAIL_GREETING_UNAVAILABLE, NULL, err));
        break;
    case PBX_DESTINATION_QUEUE: {
        pbx_flow_call_queue_exit_t exit;
        PBX_TRY(pbx_enqueue(d->value, 300000, &exit, err));
        char *text = pbx_queue_exit_text(&exit);
        pbx_log_info("queue-exit", "queue", d->value, "exit", text);
        free(text);
        uint8_t tag = exit.tag;
        pbx_flow_call_queue_exit_free(&exit);
        if (tag != PBX_FLOW_CALL_QUEUE_EXIT_ANSWERED)
            PBX_TRY(voicemail_param("voicemail-box", PBX_FLOW_CALL_VOICEMAIL_GREETING_UNAVAILABLE, err));
        break;
    }
    case PBX_DESTINATION_EXTERNAL: {
        pbx_flow_call_dial_outcome_t outcome;
        PBX_TRY(pbx_dial_external(d->value, &outcome, err));
        pbx_flow_call_dial_outcome_free(&outcome);
        break;
    }
    case PBX_DESTINATION_HANGUP:
        break;
    }
    return pbx_hangup(PBX_FLOW_CALL_HANGUP_CAUSE_NORMAL, err);
}

/* ---- the menu ---------------------------------------------------------- */

/* What one menu attempt decided. */
typedef enum { TURN_AGAIN, TURN_ROUTED, TURN_FAILED } turn_t;

/* The open-hours menu, with retries. */
static bool menu(pbx_error_t *err) {
    pbx_strings_t entries = pbx_config_list("menu");
    pbx_key_map_t keys = pbx_key_map(&entries);
    pbx_strings_free(&entries);
    char *repeat_text = pbx_config_text_or_empty("repeat-key");
    uint32_t repeat;
    bool has_repeat = pbx_first_char(repeat_text, &repeat);
    free(repeat_text);
    int64_t attempts = clamp(integer_or("retries", 3), 1, 10);
    int64_t failures = 0, repeats = 0;
    turn_t turn = TURN_AGAIN;

    while (turn == TURN_AGAIN && failures < attempts && repeats < 10) {
        char *prompt = pbx_config_text_or_empty("menu-prompt");
        char *digits;
        bool ok = pbx_play_collect(prompt, 1, &digits, err);
        free(prompt);
        if (!ok) {
            turn = TURN_FAILED;
            break;
        }
        uint32_t key;
        bool pressed = pbx_first_char(digits, &key);
        free(digits);
        char number[24], keybuf[5];
        if (!pressed) {
            failures++;
            snprintf(number, sizeof number, "%lld", (long long)failures);
            pbx_log_info("no-input", "attempt", number);
            continue;
        }
        if (has_repeat && key == repeat) {
            repeats++;
            pbx_log_info("repeat");
            continue;
        }
        pbx_char_utf8(key, keybuf);
        const pbx_key_entry_t *entry = pbx_key_map_find(&keys, key);
        if (entry != NULL) {
            char *destination = pbx_destination_format(&entry->destination);
            pbx_log_info("menu-choice", "key", keybuf, "destination", destination);
            free(destination);
            turn = pbx_set_field("menu-choice", keybuf, err) && route(&entry->destination, err)
                       ? TURN_ROUTED
                       : TURN_FAILED;
            break;
        }
        failures++;
        snprintf(number, sizeof number, "%lld", (long long)failures);
        pbx_log_info("invalid-choice", "key", keybuf, "attempt", number);
        if (!play_param("invalid-prompt", err))
            turn = TURN_FAILED;
    }
    pbx_key_map_free(&keys);
    if (turn == TURN_ROUTED)
        return true;
    if (turn == TURN_FAILED)
        return false;

    pbx_log_warn("retries-exhausted");
    PBX_TRY(pbx_set_field("outcome", "retries-exhausted", err));
    PBX_TRY(voicemail_param("voicemail-box", PBX_FLOW_CALL_VOICEMAIL_GREETING_NONE, err));
    return pbx_hangup(PBX_FLOW_CALL_HANGUP_CAUSE_NORMAL, err);
}

/* ---- the call ---------------------------------------------------------- */

bool pbx_flow_handle_call(pbx_error_t *err) {
    pbx_flow_call_call_info_t info;
    pbx_flow_call_info(&info);
    char *caller = pbx_cstr(&info.caller_number);
    char *dialled = pbx_cstr(&info.dialled_number);
    pbx_flow_call_call_info_free(&info);
    pbx_log_info("call", "caller", caller, "dialled", dialled);
    free(caller);
    free(dialled);

    PBX_TRY(pbx_answer(err));
    PBX_TRY(play_param("greeting", err));

    char *why;
    PBX_TRY(closed_reason(&why, err));
    if (why != NULL) {
        pbx_log_info("closed", "reason", why);
        free(why);
        PBX_TRY(pbx_set_field("outcome", "closed", err));
        PBX_TRY(play_param("closed-prompt", err));
        PBX_TRY(voicemail_param("voicemail-box", PBX_FLOW_CALL_VOICEMAIL_GREETING_NONE, err));
        return pbx_hangup(PBX_FLOW_CALL_HANGUP_CAUSE_NORMAL, err);
    }
    return menu(err);
}
