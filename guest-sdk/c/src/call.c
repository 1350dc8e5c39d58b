/* The call's actions, with the same defaults as the Rust SDK so a flow
 * sends the host the same options in every language. */
#include <stdlib.h>

#include "pbx_flow.h"

/* Default ring time of a dial without one (Rust SDK: Call::dial). */
#define PBX_DEFAULT_RING_MS 30000u

bool pbx_answer(pbx_error_t *err) {
    return pbx_flow_call_answer(err);
}

bool pbx_play(const char *const *prompts, size_t n, pbx_error_t *err) {
    flow_string_t views[n > 0 ? n : 1];
    for (size_t i = 0; i < n; i++)
        views[i] = pbx_str(prompts[i]);
    flow_list_string_t list = {views, n};
    flow_option_char32_t key;
    return pbx_flow_call_play(&list, false, &key, err);
}

bool pbx_play_one(const char *prompt, pbx_error_t *err) {
    return pbx_play(&prompt, 1, err);
}

bool pbx_play_collect(const char *prompt, uint8_t max_digits, char **digits, pbx_error_t *err) {
    flow_string_t view = pbx_str(prompt);
    pbx_flow_call_collect_options_t options = {
        .max_digits = max_digits,
        .terminator = {.is_some = true, .val = '#'},
        .first_digit_timeout_ms = 5000,
        .inter_digit_timeout_ms = 3000,
        .prompt = {&view, 1},
    };
    pbx_flow_call_collected_t got;
    PBX_TRY(pbx_flow_call_collect(&options, &got, err));
    *digits = pbx_cstr(&got.digits);
    pbx_flow_call_collected_free(&got);
    return true;
}

/* Dial one target, simultaneous strategy, the caller's own caller id. */
static bool dial_one(uint8_t tag, const char *number, uint32_t ring_ms,
                     pbx_flow_call_dial_outcome_t *out, pbx_error_t *err) {
    pbx_flow_call_dial_target_t target = {.tag = tag};
    target.val.extension = pbx_str(number); /* same slot for both tags */
    pbx_flow_call_dial_options_t options = {
        .targets = {&target, 1},
        .strategy = PBX_FLOW_CALL_RING_STRATEGY_SIMULTANEOUS,
        .ring_timeout_ms = ring_ms,
        .caller_id = {.is_some = false},
    };
    return pbx_flow_call_dial(&options, out, err);
}

bool pbx_dial_extension(const char *number, uint32_t ring_ms,
                        pbx_flow_call_dial_outcome_t *out, pbx_error_t *err) {
    return dial_one(PBX_FLOW_CALL_DIAL_TARGET_EXTENSION, number, ring_ms, out, err);
}

bool pbx_dial_external(const char *number, pbx_flow_call_dial_outcome_t *out, pbx_error_t *err) {
    return dial_one(PBX_FLOW_CALL_DIAL_TARGET_EXTERNAL, number, PBX_DEFAULT_RING_MS, out, err);
}

bool pbx_enqueue(const char *queue, uint32_t max_wait_ms,
                 pbx_flow_call_queue_exit_t *out, pbx_error_t *err) {
    pbx_flow_call_enqueue_options_t options = {
        .queue = pbx_str(queue),
        .max_wait_ms = {.is_some = true, .val = max_wait_ms},
        .position_announce_interval_ms = {.is_some = false},
        .exit_keys = pbx_str(""),
        .priority = 0,
        .music_class = {.is_some = false},
    };
    return pbx_flow_call_enqueue(&options, out, err);
}

bool pbx_voicemail(const char *box, pbx_flow_call_voicemail_greeting_t greeting,
                   pbx_flow_call_voicemail_outcome_t *out, pbx_error_t *err) {
    flow_string_t b = pbx_str(box);
    pbx_flow_call_voicemail_outcome_t ignored;
    return pbx_flow_call_voicemail(&b, greeting, out != NULL ? out : &ignored, err);
}

bool pbx_hangup(pbx_flow_call_hangup_cause_t cause, pbx_error_t *err) {
    return pbx_flow_call_hangup(cause, err);
}

bool pbx_set_field(const char *name, const char *value, pbx_error_t *err) {
    flow_string_t n = pbx_str(name), v = pbx_str(value);
    return pbx_flow_call_set_record_field(&n, &v, err);
}
