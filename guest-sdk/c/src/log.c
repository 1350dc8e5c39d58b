/* Events for the call's trace: the decisions a flow takes and why. */
#include <stdarg.h>
#include <stdlib.h>

#include "pbx_flow.h"

void pbx_log_fields(pbx_flow_log_level_t level, const char *name, size_t n,
                    const char *const *keys, const char *const *values) {
    /* Borrowed views: log.event copies what it needs before returning. */
    flow_tuple2_string_string_t *pairs = n > 0 ? calloc(n, sizeof *pairs) : NULL;
    if (n > 0 && pairs == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        pairs[i].f0 = pbx_str(keys[i]);
        pairs[i].f1 = pbx_str(values[i]);
    }
    flow_list_tuple2_string_string_t fields = {pairs, n};
    flow_string_t event = pbx_str(name);
    pbx_flow_log_event(level, &event, &fields);
    free(pairs);
}

void pbx_log(pbx_flow_log_level_t level, const char *name, ...) {
    enum { MAX_FIELDS = 16 };
    const char *keys[MAX_FIELDS];
    const char *values[MAX_FIELDS];
    size_t n = 0;
    va_list ap;
    va_start(ap, name);
    const char *key;
    while (n < MAX_FIELDS && (key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        if (value == NULL)
            break;
        keys[n] = key;
        values[n] = value;
        n++;
    }
    va_end(ap);
    pbx_log_fields(level, name, n, keys, values);
}
