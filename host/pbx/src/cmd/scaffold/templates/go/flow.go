// Package export_pbx_flow_handler is the @@name@@ call flow. The package
// name is the one the generated bindings call for the `handler` export.
//
// Answers, plays a greeting, then a two-key menu: 1 rings an extension (its
// voicemail when nobody answers or it is busy), 2 goes straight to its
// voicemail; no key or another key also ends in voicemail. Each decision is
// logged to the call's trace.
package export_pbx_flow_handler

import (
	"time"

	"wit_component/pbx_flow_call"
	"wit_component/pbx_flow_handler"
	"wit_component/pbx_flow_types"
	"wit_component/pbxflow"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

type flow struct{}

// Describe is the `describe` export.
func Describe() pbx_flow_handler.FlowDescription { return pbxflow.ExportDescribe(flow{}) }

// HandleCall is the `handle-call` export.
func HandleCall() witTypes.Result[witTypes.Unit, pbx_flow_types.Error] {
	return pbxflow.ExportHandleCall(flow{})
}

func (flow) Describe() *pbxflow.Description {
	return pbxflow.NewDescription("@@name@@", "0.1.0").
		Summary("Greets callers; key 1 rings an extension, key 2 leaves a message.").
		Param(pbxflow.ParamPrompt("greeting").Label("Greeting").DefaultText("welcome")).
		Param(pbxflow.ParamExtension("extension").Label("Extension").DefaultText("101")).
		Param(pbxflow.ParamInteger("ring-seconds").Label("Ring time").DefaultInteger(20))
}

func (flow) HandleCall(call pbxflow.Call) error {
	info := call.Info()
	pbxflow.Info("call", "caller", info.CallerNumber)
	if err := call.Answer(); err != nil {
		return err
	}
	if err := call.Play(text("greeting")).Run(); err != nil {
		return err
	}
	digits, err := call.Play("menu").Collect(1)
	if err != nil {
		return err
	}
	extension := text("extension")
	switch digits {
	case "1":
		pbxflow.Info("menu-choice", "key", "1")
		ring, ok := pbxflow.ConfigInteger("ring-seconds")
		if !ok {
			ring = 20
		}
		ring = max(5, min(ring, 120))
		outcome, err := call.Dial(pbx_flow_call.MakeDialTargetExtension(extension)).
			RingFor(time.Duration(ring) * time.Second).Run()
		if err != nil {
			return err
		}
		pbxflow.Info("dial-outcome", "outcome", pbxflow.DialOutcomeText(outcome))
		switch outcome.Tag() {
		case pbx_flow_call.DialOutcome_Answered:
			return nil
		case pbx_flow_call.DialOutcome_Busy:
			_, err = call.Voicemail(extension, pbxflow.GreetingBusy)
		default:
			_, err = call.Voicemail(extension, pbxflow.GreetingUnavailable)
		}
		if err != nil {
			return err
		}
	case "2":
		pbxflow.Info("menu-choice", "key", "2")
		if _, err := call.Voicemail(extension, pbxflow.GreetingUnavailable); err != nil {
			return err
		}
	default:
		pbxflow.Info("no-choice", "digits", digits)
		if _, err := call.Voicemail(extension, pbxflow.GreetingNone); err != nil {
			return err
		}
	}
	return call.Hangup(pbxflow.HangupNormal)
}

// text is a text parameter; the schema gives every one used here a default.
func text(name string) string {
	v, _ := pbxflow.ConfigText(name)
	return v
}
