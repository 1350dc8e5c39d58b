/*
 * Unit tests of the C helpers that do not talk to the host: destinations,
 * key maps, UTF-8 characters and outcome texts. Built natively (the host's
 * cc) by scripts/c/test-sdk.sh; prints "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

/* The two string functions of the generated flow.c that the tested files
 * call. flow.c itself is not linked: it imports the host's functions, which
 * do not exist in a native program. */
void flow_string_set(flow_string_t *ret, const char *s) {
    ret->ptr = (uint8_t *)s;
    ret->len = strlen(s);
}

void flow_string_dup(flow_string_t *ret, const char *s) {
    ret->len = strlen(s);
    ret->ptr = (uint8_t *)strdup(s);
}

static int passed, failed;

#define CHECK(cond)                                                    \
    do {                                                               \
        if (cond) {                                                    \
            passed++;                                                  \
        } else {                                                       \
            failed++;                                                  \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                              \
    } while (0)

/* `got` equals `want`; frees `got`. */
static void check_text(char *got, const char *want, int line) {
    if (got != NULL && strcmp(got, want) == 0) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "%s:%d: got [%s], want [%s]\n", __FILE__, line, got ? got : "(null)", want);
    }
    free(got);
}
#define CHECK_TEXT(got, want) check_text((got), (want), __LINE__)

static void destinations(void) {
    static const struct {
        const char *text;
        pbx_destination_kind_t kind;
        const char *value;
        const char *formatted;
    } good[] = {
        {"ext:101", PBX_DESTINATION_EXTENSION, "101", "ext:101"},
        {" 102 ", PBX_DESTINATION_EXTENSION, "102", "ext:102"},
        {"queue:sales", PBX_DESTINATION_QUEUE, "sales", "queue:sales"},
        {"vm:100", PBX_DESTINATION_VOICEMAIL, "100", "vm:100"},
        {"tel:+33123456789", PBX_DESTINATION_EXTERNAL, "+33123456789", "tel:+33123456789"},
        {"hangup", PBX_DESTINATION_HANGUP, "", "hangup"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        pbx_destination_t d;
        CHECK(pbx_destination_parse(good[i].text, &d));
        CHECK(d.kind == good[i].kind);
        CHECK(strcmp(d.value, good[i].value) == 0);
        CHECK_TEXT(pbx_destination_format(&d), good[i].formatted);
        free(d.value);
    }
    static const char *const bad[] = {"fax:1", "ext:", "", "   ", "queue", "10a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pbx_destination_t d;
        CHECK(!pbx_destination_parse(bad[i], &d));
    }
}

static void key_maps(void) {
    static const char *const texts[] = {"1=ext:101", "x", "9 = vm:100", "12=ext:1", "\xc3\xa9=queue:q", "3=fax:1"};
    /* Owned as pbx_config_list returns it: a malloc'd array of malloc'd strings. */
    pbx_strings_t entries = {calloc(6, sizeof(char *)), 6};
    for (size_t i = 0; i < 6; i++)
        entries.items[i] = strdup(texts[i]);
    pbx_key_map_t map = pbx_key_map(&entries);
    CHECK(map.len == 3);
    CHECK(map.items[0].key == '1' && map.items[0].destination.kind == PBX_DESTINATION_EXTENSION);
    CHECK(map.items[1].key == '9' && strcmp(map.items[1].destination.value, "100") == 0);
    CHECK(map.items[2].key == 0xE9 && map.items[2].destination.kind == PBX_DESTINATION_QUEUE);
    CHECK(pbx_key_map_find(&map, '9') == &map.items[1]);
    CHECK(pbx_key_map_find(&map, '2') == NULL);
    pbx_key_map_free(&map);
    CHECK(map.len == 0);
    pbx_strings_free(&entries);
}

static void chars(void) {
    uint32_t ch;
    char buf[5];
    CHECK(!pbx_first_char("", &ch));
    CHECK(pbx_first_char("*#", &ch) && ch == '*');
    CHECK(pbx_first_char("\xe2\x82\xac!", &ch) && ch == 0x20AC);
    CHECK(strcmp(pbx_char_utf8(0x20AC, buf), "\xe2\x82\xac") == 0);
    CHECK(pbx_first_char("\xf0\x9f\x93\x9e", &ch) && ch == 0x1F4DE);
    CHECK(strcmp(pbx_char_utf8(0x1F4DE, buf), "\xf0\x9f\x93\x9e") == 0);
    CHECK(!pbx_first_char("\xe2\x28", &ch));
}

static void outcome_texts(void) {
    pbx_flow_call_dial_outcome_t o = {.tag = PBX_FLOW_CALL_DIAL_OUTCOME_BUSY};
    CHECK_TEXT(pbx_dial_outcome_text(&o), "DialOutcome::Busy");
    o.tag = PBX_FLOW_CALL_DIAL_OUTCOME_NO_ANSWER;
    CHECK_TEXT(pbx_dial_outcome_text(&o), "DialOutcome::NoAnswer");
    o.tag = PBX_FLOW_CALL_DIAL_OUTCOME_ANSWERED;
    o.val.answered.target.tag = PBX_FLOW_CALL_DIAL_TARGET_EXTENSION;
    o.val.answered.target.val.extension = pbx_str("101");
    o.val.answered.talk_ms = 60000;
    o.val.answered.ended_by = PBX_FLOW_CALL_HANGUP_SIDE_CALLEE;
    CHECK_TEXT(pbx_dial_outcome_text(&o),
               "DialOutcome::Answered(AnsweredCall { target: DialTarget::Extension(\"101\"), "
               "talk-ms: 60000, ended-by: HangupSide::Callee })");
    o.tag = PBX_FLOW_CALL_DIAL_OUTCOME_FAILED;
    o.val.failed = pbx_str("no \"route\"\n");
    CHECK_TEXT(pbx_dial_outcome_text(&o), "DialOutcome::Failed(\"no \\\"route\\\"\\n\")");

    pbx_flow_call_queue_exit_t e = {.tag = PBX_FLOW_CALL_QUEUE_EXIT_UNAVAILABLE};
    CHECK_TEXT(pbx_queue_exit_text(&e), "QueueExit::Unavailable");
    e.tag = PBX_FLOW_CALL_QUEUE_EXIT_EXIT_KEY;
    e.val.exit_key = '1';
    CHECK_TEXT(pbx_queue_exit_text(&e), "QueueExit::ExitKey('1')");
    e.val.exit_key = '\'';
    CHECK_TEXT(pbx_queue_exit_text(&e), "QueueExit::ExitKey('\\'')");
}

int main(void) {
    destinations();
    key_maps();
    chars();
    outcome_texts();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
