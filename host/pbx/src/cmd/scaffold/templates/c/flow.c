/*
 * The @@name@@ call flow.
 *
 * Answers, plays a greeting, then a two-key menu: 1 rings an extension (its
 * voicemail when nobody answers or it is busy), 2 goes straight to its
 * voicemail; no key or another key also ends in voicemail. Each decision is
 * logged to the call's trace.
 *
 * Every SDK call returns false on failure with `err` set; PBX_TRY returns
 * it to the PBX, which ends the flow (a hangup is a normal end).
 */
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

void pbx_flow_describe(pbx_description_t *d) {
    pbx_param_t *p;
    pbx_describe(d, "@@name@@", "0.1.0",
                 "Greets callers; key 1 rings an extension, key 2 leaves a message.");
    p = pbx_describe_param(d, "greeting", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_PROMPT, "Greeting");
    pbx_param_default_text(p, "welcome");
    p = pbx_describe_param(d, "extension", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_EXTENSION, "Extension");
    pbx_param_default_text(p, "101");
    p = pbx_describe_param(d, "ring-seconds", EXPORTS_PBX_FLOW_HANDLER_PARAM_KIND_INTEGER, "Ring time");
    pbx_param_default_integer(p, 20);
}

/* Ring `extension`; its voicemail when nobody answers. */
static bool ring(const char *extension, pbx_error_t *err) {
    int64_t seconds = 20;
    pbx_config_integer("ring-seconds", &seconds);
    seconds = seconds < 5 ? 5 : seconds > 120 ? 120 : seconds;
    pbx_flow_call_dial_outcome_t outcome;
    PBX_TRY(pbx_dial_extension(extension, (uint32_t)seconds * 1000, &outcome, err));
    char *text = pbx_dial_outcome_text(&outcome);
    pbx_log_info("dial-outcome", "outcome", text);
    free(text);
    uint8_t tag = outcome.tag;
    pbx_flow_call_dial_outcome_free(&outcome);
    if (tag == PBX_FLOW_CALL_DIAL_OUTCOME_ANSWERED)
        return true;
    PBX_TRY(pbx_voicemail(extension,
                          tag == PBX_FLOW_CALL_DIAL_OUTCOME_BUSY ? PBX_FLOW_CALL_VOICEMAIL_GREETING_BUSY
                                                                 : PBX_FLOW_CALL_VOICEMAIL_GREETING_UNAVAILABLE,
                          NULL, err));
    return pbx_hangup(PBX_FLOW_CALL_HANGUP_CAUSE_NORMAL, err);
}

/* What the caller chose in the menu. */
static bool choose(const char *digits, const char *extension, pbx_error_t *err) {
    if (strcmp(digits, "1") == 0) {
        pbx_log_info("menu-choice", "key", "1");
        return ring(extension, err);
    }
    if (strcmp(digits, "2") == 0) {
        pbx_log_info("menu-choice", "key", "2");
        PBX_TRY(pbx_voicemail(extension, PBX_FLOW_CALL_VOICEMAIL_GREETING_UNAVAILABLE, NULL, err));
    } else {
        pbx_log_info("no-choice", "digits", digits);
        PBX_TRY(pbx_voicemail(extension, PBX_FLOW_CALL_VOICEMAIL_GREETING_NONE, NULL, err));
    }
    return pbx_hangup(PBX_FLOW_CALL_HANGUP_CAUSE_NORMAL, err);
}

bool pbx_flow_handle_call(pbx_error_t *err) {
    pbx_flow_call_call_info_t info;
    pbx_flow_call_info(&info);
    char *caller = pbx_cstr(&info.caller_number);
    pbx_flow_call_call_info_free(&info);
    pbx_log_info("call", "caller", caller);
    free(caller);

    PBX_TRY(pbx_answer(err));
    char *greeting = pbx_config_text_or_empty("greeting");
    bool ok = pbx_play_one(greeting, err);
    free(greeting);
    PBX_TRY(ok);

    char *digits;
    PBX_TRY(pbx_play_collect("menu", 1, &digits, err));
    char *extension = pbx_config_text_or_empty("extension");
    ok = choose(digits, extension, err);
    free(digits);
    free(extension);
    return ok;
}
