/*
 * pbx_zig.c: the few C functions that Zig flows need on top of guest-sdk/c.
 *
 * Zig 0.17 has no @cImport, so a Zig flow declares the C functions it calls
 * by hand (guest-sdk/zig/pbx.zig). The generated types with unions inside
 * (dial outcomes, queue exits, schedule statuses) are awkward to mirror by
 * hand; these functions flatten them to a tag and a text, so pbx.zig only
 * mirrors plain structs.
 */
#include <stdlib.h>

#include "pbx_flow.h"

/* The caller's number and the dialled number, malloc'd. */
void pbxz_call_numbers(char **caller, char **dialled) {
    pbx_flow_call_call_info_t info;
    pbx_flow_call_info(&info);
    *caller = pbx_cstr(&info.caller_number);
    *dialled = pbx_cstr(&info.dialled_number);
    pbx_flow_call_call_info_free(&info);
}

/* Dial an extension: the outcome's tag (PBX_FLOW_CALL_DIAL_OUTCOME_*) and
 * its text as the Rust SDK writes it (malloc'd). */
bool pbxz_dial_extension(const char *number, uint32_t ring_ms, uint8_t *tag, char **text, pbx_error_t *err) {
    pbx_flow_call_dial_outcome_t outcome;
    PBX_TRY(pbx_dial_extension(number, ring_ms, &outcome, err));
    *tag = outcome.tag;
    *text = pbx_dial_outcome_text(&outcome);
    pbx_flow_call_dial_outcome_free(&outcome);
    return true;
}

/* Dial an external number with the default ring time; the outcome's tag. */
bool pbxz_dial_external(const char *number, uint8_t *tag, pbx_error_t *err) {
    pbx_flow_call_dial_outcome_t outcome;
    PBX_TRY(pbx_dial_external(number, &outcome, err));
    *tag = outcome.tag;
    pbx_flow_call_dial_outcome_free(&outcome);
    return true;
}

/* Wait in a queue: the exit's tag (PBX_FLOW_CALL_QUEUE_EXIT_*) and its text
 * (malloc'd). */
bool pbxz_enqueue(const char *queue, uint32_t max_wait_ms, uint8_t *tag, char **text, pbx_error_t *err) {
    pbx_flow_call_queue_exit_t exit;
    PBX_TRY(pbx_enqueue(queue, max_wait_ms, &exit, err));
    *tag = exit.tag;
    *text = pbx_queue_exit_text(&exit);
    pbx_flow_call_queue_exit_free(&exit);
    return true;
}

/* A schedule's state now: `*open`, and when closed the reason's tag
 * (PBX_FLOW_SCHEDULE_CLOSED_REASON_*, or -1 when the host gave none) and
 * its text (holiday name or closure message, malloc'd; NULL otherwise). */
bool pbxz_schedule_status(const char *name, bool *open, int32_t *reason, char **text, pbx_error_t *err) {
    pbx_flow_schedule_schedule_status_t status;
    PBX_TRY(pbx_schedule_status(name, &status, err));
    *open = status.open;
    *reason = status.reason.is_some ? status.reason.val.tag : -1;
    *text = NULL;
    if (status.reason.is_some && status.reason.val.tag != PBX_FLOW_SCHEDULE_CLOSED_REASON_OUTSIDE_HOURS)
        *text = pbx_cstr(&status.reason.val.val.holiday); /* same slot for closure */
    pbx_flow_schedule_schedule_status_free(&status);
    return true;
}
