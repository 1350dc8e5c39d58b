/* The export glue: the handler interface of the contract, forwarded to the
 * two functions a flow defines (pbx_flow_describe, pbx_flow_handle_call). */
#include "pbx_flow.h"

void exports_pbx_flow_handler_describe(exports_pbx_flow_handler_flow_description_t *ret) {
    pbx_flow_describe(ret);
}

bool exports_pbx_flow_handler_handle_call(exports_pbx_flow_handler_error_t *err) {
    return pbx_flow_handle_call(err);
}
