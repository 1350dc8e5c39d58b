package pbxflow

import (
	"errors"

	"wit_component/pbx_flow_handler"
	"wit_component/pbx_flow_types"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// Flow is a call flow.
type Flow interface {
	// Describe says what the flow is and which parameters it takes.
	Describe() *Description
	// HandleCall handles one call; return host errors as they come.
	HandleCall(call Call) error
}

// ExportDescribe is the body of the generated `describe` export:
//
//	func Describe() pbx_flow_handler.FlowDescription { return pbxflow.ExportDescribe(myFlow{}) }
func ExportDescribe(f Flow) pbx_flow_handler.FlowDescription { return f.Describe().WIT() }

// ExportHandleCall is the body of the generated `handle-call` export. A
// *HostError goes back to the host as it is; any other error becomes
// `unavailable` with its message (the tenant's fallback applies).
func ExportHandleCall(f Flow) witTypes.Result[witTypes.Unit, pbx_flow_types.Error] {
	err := f.HandleCall(Call{})
	if err == nil {
		return witTypes.Ok[witTypes.Unit, pbx_flow_types.Error](witTypes.Unit{})
	}
	var host *HostError
	if errors.As(err, &host) {
		return witTypes.Err[witTypes.Unit](host.WIT)
	}
	return witTypes.Err[witTypes.Unit](pbx_flow_types.MakeErrorUnavailable(err.Error()))
}
