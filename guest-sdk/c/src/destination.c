/* Destinations written as text, the way admins write them in parameters:
 * ext:101, queue:sales, vm:101, tel:+33123456789, hangup, or plain digits
 * for an extension; and one-key menus made of them ("1=ext:101"). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

/* A malloc'd copy of [start, end) without surrounding ASCII whitespace. */
static char *trimmed(const char *start, const char *end) {
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    return strndup(start, (size_t)(end - start));
}

static bool all_digits(const char *s) {
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

bool pbx_destination_parse(const char *text, pbx_destination_t *out) {
    static const struct {
        const char *prefix;
        pbx_destination_kind_t kind;
    } kinds[] = {
        {"ext", PBX_DESTINATION_EXTENSION},
        {"queue", PBX_DESTINATION_QUEUE},
        {"vm", PBX_DESTINATION_VOICEMAIL},
        {"tel", PBX_DESTINATION_EXTERNAL},
    };
    char *s = trimmed(text, text + strlen(text));
    if (strcmp(s, "hangup") == 0) {
        out->kind = PBX_DESTINATION_HANGUP;
        out->value = s;
        s[0] = '\0';
        return true;
    }
    if (all_digits(s)) {
        out->kind = PBX_DESTINATION_EXTENSION;
        out->value = s;
        return true;
    }
    char *colon = strchr(s, ':');
    if (colon != NULL && colon[1] != '\0') {
        *colon = '\0';
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            if (strcmp(s, kinds[i].prefix) == 0) {
                out->kind = kinds[i].kind;
                out->value = strdup(colon + 1);
                free(s);
                return true;
            }
        }
    }
    free(s);
    return false;
}

char *pbx_destination_format(const pbx_destination_t *d) {
    static const char *const prefixes[] = {"ext:", "queue:", "vm:", "tel:"};
    if (d->kind == PBX_DESTINATION_HANGUP)
        return strdup("hangup");
    const char *prefix = prefixes[d->kind];
    size_t n = strlen(prefix) + strlen(d->value) + 1;
    char *out = malloc(n);
    if (out == NULL)
        abort();
    strcpy(out, prefix);
    strcat(out, d->value);
    return out;
}

pbx_key_map_t pbx_key_map(const pbx_strings_t *entries) {
    pbx_key_map_t map = {NULL, 0};
    if (entries->len == 0)
        return map;
    map.items = calloc(entries->len, sizeof(pbx_key_entry_t));
    if (map.items == NULL)
        abort();
    for (size_t i = 0; i < entries->len; i++) {
        const char *e = entries->items[i];
        const char *eq = strchr(e, '=');
        if (eq == NULL)
            continue;
        char *key_text = trimmed(e, eq);
        uint32_t key;
        char buf[5];
        /* A key is exactly one character: its UTF-8 form is the whole text. */
        bool one_char = pbx_first_char(key_text, &key) &&
                        strcmp(pbx_char_utf8(key, buf), key_text) == 0;
        free(key_text);
        pbx_destination_t d;
        if (!one_char || !pbx_destination_parse(eq + 1, &d))
            continue;
        map.items[map.len].key = key;
        map.items[map.len].destination = d;
        map.len++;
    }
    return map;
}

const pbx_key_entry_t *pbx_key_map_find(const pbx_key_map_t *map, uint32_t key) {
    for (size_t i = 0; i < map->len; i++)
        if (map->items[i].key == key)
            return &map->items[i];
    return NULL;
}

void pbx_key_map_free(pbx_key_map_t *map) {
    for (size_t i = 0; i < map->len; i++)
        free(map->items[i].destination.value);
    free(map->items);
    map->items = NULL;
    map->len = 0;
}
