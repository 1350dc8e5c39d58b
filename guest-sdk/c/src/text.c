/* Strings between C and the component model, errors, and UTF-8 chars. */
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

flow_string_t pbx_str(const char *s) {
    flow_string_t out;
    flow_string_set(&out, s);
    return out;
}

char *pbx_cstr(const flow_string_t *s) {
    char *out = malloc(s->len + 1);
    if (out == NULL)
        abort();
    memcpy(out, s->ptr, s->len);
    out[s->len] = '\0';
    return out;
}

void pbx_strings_free(pbx_strings_t *list) {
    for (size_t i = 0; i < list->len; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->len = 0;
}

void pbx_error_set(pbx_error_t *err, uint8_t tag, const char *message) {
    err->tag = tag;
    /* Every variant but hangup carries a string in the same union slot;
     * the export's post-return frees it, hence a copy. */
    if (tag != PBX_FLOW_TYPES_ERROR_HANGUP)
        flow_string_dup(&err->val.invalid_state, message);
}

bool pbx_first_char(const char *s, uint32_t *out) {
    const unsigned char *p = (const unsigned char *)s;
    if (p[0] == 0)
        return false;
    if (p[0] < 0x80) {
        *out = p[0];
        return true;
    }
    /* Multi-byte sequences: the lead byte says how many continuation
     * bytes (10xxxxxx) follow. */
    int extra;
    uint32_t ch;
    if ((p[0] & 0xE0) == 0xC0) {
        extra = 1;
        ch = p[0] & 0x1F;
    } else if ((p[0] & 0xF0) == 0xE0) {
        extra = 2;
        ch = p[0] & 0x0F;
    } else if ((p[0] & 0xF8) == 0xF0) {
        extra = 3;
        ch = p[0] & 0x07;
    } else {
        return false;
    }
    for (int i = 1; i <= extra; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return false;
        ch = (ch << 6) | (p[i] & 0x3F);
    }
    *out = ch;
    return true;
}

char *pbx_char_utf8(uint32_t ch, char buf[5]) {
    unsigned char *b = (unsigned char *)buf;
    if (ch < 0x80) {
        b[0] = (unsigned char)ch;
        b[1] = 0;
    } else if (ch < 0x800) {
        b[0] = 0xC0 | (ch >> 6);
        b[1] = 0x80 | (ch & 0x3F);
        b[2] = 0;
    } else if (ch < 0x10000) {
        b[0] = 0xE0 | (ch >> 12);
        b[1] = 0x80 | ((ch >> 6) & 0x3F);
        b[2] = 0x80 | (ch & 0x3F);
        b[3] = 0;
    } else {
        b[0] = 0xF0 | (ch >> 18);
        b[1] = 0x80 | ((ch >> 12) & 0x3F);
        b[2] = 0x80 | ((ch >> 6) & 0x3F);
        b[3] = 0x80 | (ch & 0x3F);
        b[4] = 0;
    }
    return buf;
}
