/* The tenant's data a flow reads: schedules and holiday calendars. */
#include "pbx_flow.h"

bool pbx_holiday_today(const char *calendar, char **name, pbx_error_t *err) {
    flow_string_t c = pbx_str(calendar);
    pbx_flow_holidays_option_holiday_t today;
    PBX_TRY(pbx_flow_holidays_today(&c, &today, err));
    *name = today.is_some ? pbx_cstr(&today.val.name) : NULL;
    pbx_flow_holidays_option_holiday_free(&today);
    return true;
}

bool pbx_schedule_status(const char *name, pbx_flow_schedule_schedule_status_t *out, pbx_error_t *err) {
    flow_string_t n = pbx_str(name);
    return pbx_flow_schedule_status(&n, out, err);
}
