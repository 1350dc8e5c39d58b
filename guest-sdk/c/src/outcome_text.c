/* Outcomes written as the Rust SDK's `{:?}` writes them, so the trace of a
 * flow reads the same whichever language it is written in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

/* A growable malloc'd string. */
typedef struct text {
    char *buf;
    size_t len, cap;
} text_t;

static void put(text_t *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->buf = realloc(t->buf, t->cap);
        if (t->buf == NULL)
            abort();
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void puts_(text_t *t, const char *s) {
    put(t, s, strlen(s));
}

static void putf(text_t *t, const char *fmt, ...) {
    char buf[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    puts_(t, buf);
}

/* One character escaped the way Rust's Debug escapes it inside `quote`. */
static void put_escaped(text_t *t, uint32_t ch, char quote) {
    char buf[5];
    switch (ch) {
    case '\n': puts_(t, "\\n"); return;
    case '\r': puts_(t, "\\r"); return;
    case '\t': puts_(t, "\\t"); return;
    case '\\': puts_(t, "\\\\"); return;
    case '\0': puts_(t, "\\0"); return;
    default: break;
    }
    if (ch == (uint32_t)quote) {
        put(t, "\\", 1);
        put(t, &quote, 1);
    } else if (ch < 0x20 || ch == 0x7F) {
        putf(t, "\\u{%x}", (unsigned)ch);
    } else {
        puts_(t, pbx_char_utf8(ch, buf));
    }
}

/* A string in double quotes, Debug-escaped. */
static void put_string(text_t *t, const flow_string_t *s) {
    put(t, "\"", 1);
    size_t i = 0;
    while (i < s->len) {
        unsigned char c = s->ptr[i];
        if (c < 0x80) {
            put_escaped(t, c, '"');
            i++;
        } else {
            /* Pass non-ASCII UTF-8 through untouched, as Debug does for
             * printable characters. */
            size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
            if (i + n > s->len)
                n = s->len - i;
            put(t, (const char *)s->ptr + i, n);
            i += n;
        }
    }
    put(t, "\"", 1);
}

static void put_answered(text_t *t, const pbx_flow_call_answered_call_t *a) {
    puts_(t, "AnsweredCall { target: DialTarget::");
    if (a->target.tag == PBX_FLOW_CALL_DIAL_TARGET_EXTENSION) {
        puts_(t, "Extension(");
        put_string(t, &a->target.val.extension);
    } else {
        puts_(t, "External(");
        put_string(t, &a->target.val.external);
    }
    putf(t, "), talk-ms: %u, ended-by: HangupSide::%s }", (unsigned)a->talk_ms,
         a->ended_by == PBX_FLOW_CALL_HANGUP_SIDE_CALLER ? "Caller" : "Callee");
}

char *pbx_dial_outcome_text(const pbx_flow_call_dial_outcome_t *o) {
    text_t t = {NULL, 0, 0};
    puts_(&t, "DialOutcome::");
    switch (o->tag) {
    case PBX_FLOW_CALL_DIAL_OUTCOME_ANSWERED:
        puts_(&t, "Answered(");
        put_answered(&t, &o->val.answered);
        puts_(&t, ")");
        break;
    case PBX_FLOW_CALL_DIAL_OUTCOME_BUSY: puts_(&t, "Busy"); break;
    case PBX_FLOW_CALL_DIAL_OUTCOME_NO_ANSWER: puts_(&t, "NoAnswer"); break;
    case PBX_FLOW_CALL_DIAL_OUTCOME_UNAVAILABLE: puts_(&t, "Unavailable"); break;
    case PBX_FLOW_CALL_DIAL_OUTCOME_REJECTED: puts_(&t, "Rejected"); break;
    default:
        puts_(&t, "Failed(");
        put_string(&t, &o->val.failed);
        puts_(&t, ")");
        break;
    }
    return t.buf;
}

char *pbx_queue_exit_text(const pbx_flow_call_queue_exit_t *e) {
    text_t t = {NULL, 0, 0};
    puts_(&t, "QueueExit::");
    switch (e->tag) {
    case PBX_FLOW_CALL_QUEUE_EXIT_ANSWERED:
        puts_(&t, "Answered(");
        put_answered(&t, &e->val.answered);
        puts_(&t, ")");
        break;
    case PBX_FLOW_CALL_QUEUE_EXIT_TIMEOUT: puts_(&t, "Timeout"); break;
    case PBX_FLOW_CALL_QUEUE_EXIT_EXIT_KEY:
        puts_(&t, "ExitKey('");
        put_escaped(&t, e->val.exit_key, '\'');
        puts_(&t, "')");
        break;
    case PBX_FLOW_CALL_QUEUE_EXIT_NO_AGENTS: puts_(&t, "NoAgents"); break;
    case PBX_FLOW_CALL_QUEUE_EXIT_FULL: puts_(&t, "Full"); break;
    default: puts_(&t, "Unavailable"); break;
    }
    return t.buf;
}
