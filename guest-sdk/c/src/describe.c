/* What a flow says about itself: name, version, summary and parameters.
 * Everything is copied with malloc: the export's post-return frees it. */
#include <stdlib.h>
#include <string.h>

#include "pbx_flow.h"

void pbx_describe(pbx_description_t *d, const char *name, const char *version, const char *summary) {
    memset(d, 0, sizeof *d);
    flow_string_dup(&d->name, name);
    flow_string_dup(&d->version, version);
    flow_string_dup(&d->description, summary);
}

pbx_param_t *pbx_describe_param(pbx_description_t *d, const char *name,
                                exports_pbx_flow_handler_param_kind_t kind, const char *label) {
    size_t n = d->params.len + 1;
    d->params.ptr = realloc(d->params.ptr, n * sizeof(pbx_param_t));
    if (d->params.ptr == NULL)
        abort();
    pbx_param_t *p = &d->params.ptr[n - 1];
    memset(p, 0, sizeof *p);
    flow_string_dup(&p->name, name);
    flow_string_dup(&p->label, label != NULL ? label : name);
    flow_string_dup(&p->help, "");
    p->kind = kind;
    p->required = true;
    p->default_.is_some = false;
    d->params.len = n;
    return p;
}

void pbx_param_help(pbx_param_t *p, const char *help) {
    flow_string_free(&p->help);
    flow_string_dup(&p->help, help);
}

void pbx_param_optional(pbx_param_t *p) {
    p->required = false;
}

/* Replace the default; a parameter with a default is never required. */
static pbx_flow_config_value_t *set_default(pbx_param_t *p, uint8_t tag) {
    if (p->default_.is_some)
        pbx_flow_config_value_free(&p->default_.val);
    p->default_.is_some = true;
    p->default_.val.tag = tag;
    p->required = false;
    return &p->default_.val;
}

void pbx_param_default_text(pbx_param_t *p, const char *value) {
    flow_string_dup(&set_default(p, PBX_FLOW_CONFIG_VALUE_TEXT)->val.text, value);
}

void pbx_param_default_integer(pbx_param_t *p, int64_t value) {
    set_default(p, PBX_FLOW_CONFIG_VALUE_INTEGER)->val.integer = value;
}

void pbx_param_default_boolean(pbx_param_t *p, bool value) {
    set_default(p, PBX_FLOW_CONFIG_VALUE_BOOLEAN)->val.boolean = value;
}

void pbx_param_default_list(pbx_param_t *p, const char *const *items, size_t n) {
    flow_list_string_t *list = &set_default(p, PBX_FLOW_CONFIG_VALUE_TEXT_LIST)->val.text_list;
    list->ptr = n > 0 ? calloc(n, sizeof(flow_string_t)) : NULL;
    if (n > 0 && list->ptr == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        flow_string_dup(&list->ptr[i], items[i]);
    list->len = n;
}
