package pbxflow

import (
	"fmt"

	"wit_component/pbx_flow_log"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// Events for the call's trace: the decisions a flow takes and why. Fields
// are name/value pairs: Info("menu-choice", "key", "1", "destination", d);
// values are written with fmt's %v.

func emit(level pbx_flow_log.Level, name string, kv []any) {
	fields := make([]witTypes.Tuple2[string, string], 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		fields = append(fields, witTypes.Tuple2[string, string]{F0: fmt.Sprint(kv[i]), F1: fmt.Sprint(kv[i+1])})
	}
	pbx_flow_log.Event(level, name, fields)
}

// Debug records a debug event.
func Debug(name string, kv ...any) { emit(pbx_flow_log.Level_Debug, name, kv) }

// Info records an info event.
func Info(name string, kv ...any) { emit(pbx_flow_log.Level_Info, name, kv) }

// Warn records a warning event.
func Warn(name string, kv ...any) { emit(pbx_flow_log.Level_Warn, name, kv) }

// Error records an error event.
func Error(name string, kv ...any) { emit(pbx_flow_log.Level_Error, name, kv) }
