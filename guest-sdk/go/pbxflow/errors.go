package pbxflow

import (
	"fmt"

	"wit_component/pbx_flow_types"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// HostError is a failed host function: WIT is the contract's error variant.
type HostError struct {
	WIT pbx_flow_types.Error
}

var errorNames = []string{
	"hangup", "invalid-state", "not-found", "invalid-argument",
	"permission-denied", "limit-exceeded", "unavailable",
}

// Error names the case and, when there is one, the host's message.
func (e *HostError) Error() string {
	w := e.WIT
	switch w.Tag() {
	case pbx_flow_types.Error_Hangup:
		return "hangup"
	case pbx_flow_types.Error_InvalidState:
		return "invalid-state: " + w.InvalidState()
	case pbx_flow_types.Error_NotFound:
		return "not-found: " + w.NotFound()
	case pbx_flow_types.Error_InvalidArgument:
		return "invalid-argument: " + w.InvalidArgument()
	case pbx_flow_types.Error_PermissionDenied:
		return "permission-denied: " + w.PermissionDenied()
	case pbx_flow_types.Error_LimitExceeded:
		return "limit-exceeded: " + w.LimitExceeded()
	case pbx_flow_types.Error_Unavailable:
		return "unavailable: " + w.Unavailable()
	}
	return fmt.Sprintf("error %d", w.Tag())
}

// IsHangup says whether the caller hung up.
func (e *HostError) IsHangup() bool { return e.WIT.Tag() == pbx_flow_types.Error_Hangup }

// Unwrap turns a generated result into a Go value and error.
func Unwrap[T any](r witTypes.Result[T, pbx_flow_types.Error]) (T, error) {
	if r.IsErr() {
		var zero T
		return zero, &HostError{WIT: r.Err()}
	}
	return r.Ok(), nil
}

// unit drops the value of a result<_, error>.
func unit(r witTypes.Result[witTypes.Unit, pbx_flow_types.Error]) error {
	_, err := Unwrap(r)
	return err
}
