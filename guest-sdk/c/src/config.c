/* The route's parameters, typed. A missing or mistyped parameter reads as
 * absent; the PBX checks values against the schema when a route is saved. */
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

/* One config.get; false when the parameter has no value. */
static bool get(const char *name, pbx_flow_config_value_t *value) {
    flow_string_t n = pbx_str(name);
    return pbx_flow_config_get(&n, value);
}

char *pbx_config_text(const char *name) {
    pbx_flow_config_value_t v;
    if (!get(name, &v))
        return NULL;
    char *out = NULL;
    if (v.tag == PBX_FLOW_CONFIG_VALUE_TEXT)
        out = pbx_cstr(&v.val.text);
    pbx_flow_config_value_free(&v);
    return out;
}

char *pbx_config_text_or_empty(const char *name) {
    char *out = pbx_config_text(name);
    return out != NULL ? out : strdup("");
}

bool pbx_config_integer(const char *name, int64_t *out) {
    pbx_flow_config_value_t v;
    if (!get(name, &v))
        return false;
    bool ok = v.tag == PBX_FLOW_CONFIG_VALUE_INTEGER;
    if (ok)
        *out = v.val.integer;
    pbx_flow_config_value_free(&v);
    return ok;
}

pbx_strings_t pbx_config_list(const char *name) {
    pbx_strings_t out = {NULL, 0};
    pbx_flow_config_value_t v;
    if (!get(name, &v))
        return out;
    if (v.tag == PBX_FLOW_CONFIG_VALUE_TEXT_LIST && v.val.text_list.len > 0) {
        out.items = calloc(v.val.text_list.len, sizeof(char *));
        if (out.items == NULL)
            abort();
        for (size_t i = 0; i < v.val.text_list.len; i++)
            out.items[i] = pbx_cstr(&v.val.text_list.ptr[i]);
        out.len = v.val.text_list.len;
    }
    pbx_flow_config_value_free(&v);
    return out;
}
