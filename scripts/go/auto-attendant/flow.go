// Package export_pbx_flow_handler is the reference auto-attendant, in Go.
// The package name is the one the generated bindings call for the
// `handler` export.
//
// Greeting; when the office is closed (outside the schedule's hours, or a
// holiday of the calendar) a closed message and the general voicemail box;
// otherwise a one-key menu whose keys lead to extensions, queues or
// voicemail boxes, with a repeat key and a bounded number of retries on
// invalid or missing input. Every decision is logged to the call's trace.
// Same behaviour, host calls and trace events as the Rust reference
// (scripts/rust/auto-attendant).
package export_pbx_flow_handler

import (
	"strconv"
	"time"
	"unicode/utf8"

	"wit_component/pbx_flow_call"
	"wit_component/pbx_flow_handler"
	"wit_component/pbx_flow_holidays"
	"wit_component/pbx_flow_schedule"
	"wit_component/pbx_flow_types"
	"wit_component/pbxflow"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

type autoAttendant struct{}

// Describe is the `describe` export.
func Describe() pbx_flow_handler.FlowDescription { return pbxflow.ExportDescribe(autoAttendant{}) }

// HandleCall is the `handle-call` export.
func HandleCall() witTypes.Result[witTypes.Unit, pbx_flow_types.Error] {
	return pbxflow.ExportHandleCall(autoAttendant{})
}

func (autoAttendant) Describe() *pbxflow.Description {
	return pbxflow.NewDescription("auto-attendant", "1.0.0").
		Summary("Greets callers, sends them to voicemail when the office is closed, and offers a one-key menu when it is open.").
		Param(pbxflow.ParamSchedule("schedule").Label("Office hours").DefaultText("office")).
		Param(pbxflow.ParamHolidayCalendar("holidays").
			Label("Holiday calendar").
			Help("Closed all day on these holidays.").
			Optional()).
		Param(pbxflow.ParamPrompt("greeting").Label("Greeting").DefaultText("welcome")).
		Param(pbxflow.ParamPrompt("closed-prompt").Label("Closed message").DefaultText("closed")).
		Param(pbxflow.ParamPrompt("menu-prompt").Label("Menu prompt").DefaultText("menu")).
		Param(pbxflow.ParamPrompt("invalid-prompt").Label("Invalid choice prompt").DefaultText("invalid")).
		Param(pbxflow.ParamTextList("menu").
			Label("Menu keys").
			Help("One entry per key: 1=ext:101, 2=queue:sales, 9=vm:100.").
			DefaultList("1=ext:101", "2=ext:102", "9=vm:100")).
		Param(pbxflow.ParamText("repeat-key").Label("Repeat key").DefaultText("*")).
		Param(pbxflow.ParamVoicemailBox("voicemail-box").Label("General voicemail").DefaultText("100")).
		Param(pbxflow.ParamInteger("retries").Label("Attempts").DefaultInteger(3)).
		Param(pbxflow.ParamInteger("ring-seconds").Label("Ring time").DefaultInteger(20))
}

func (autoAttendant) HandleCall(call pbxflow.Call) error {
	info := call.Info()
	pbxflow.Info("call", "caller", info.CallerNumber, "dialled", info.DialledNumber)
	if err := call.Answer(); err != nil {
		return err
	}
	if err := call.Play(text("greeting")).Run(); err != nil {
		return err
	}

	why, closed, err := closedReason()
	if err != nil {
		return err
	}
	if closed {
		pbxflow.Info("closed", "reason", why)
		if err := call.SetField("outcome", "closed"); err != nil {
			return err
		}
		if err := call.Play(text("closed-prompt")).Run(); err != nil {
			return err
		}
		if _, err := call.Voicemail(text("voicemail-box"), pbxflow.GreetingNone); err != nil {
			return err
		}
		return call.Hangup(pbxflow.HangupNormal)
	}
	return menu(call)
}

// closedReason says why the office is closed right now (closed false when open).
func closedReason() (string, bool, error) {
	if calendar, ok := pbxflow.ConfigText("holidays"); ok {
		h, err := pbxflow.Unwrap(pbx_flow_holidays.Today(calendar))
		if err != nil {
			return "", false, err
		}
		if h.IsSome() {
			return "holiday: " + h.Some().Name, true, nil
		}
	}
	status, err := pbxflow.Unwrap(pbx_flow_schedule.Status(text("schedule")))
	if err != nil {
		return "", false, err
	}
	if status.Open {
		return "", false, nil
	}
	if status.Reason.IsSome() {
		switch r := status.Reason.Some(); r.Tag() {
		case pbx_flow_schedule.ClosedReason_Holiday:
			return "holiday: " + r.Holiday(), true, nil
		case pbx_flow_schedule.ClosedReason_Closure:
			return "closure: " + r.Closure(), true, nil
		}
	}
	return "outside hours", true, nil
}

// menu is the open-hours menu, with retries.
func menu(call pbxflow.Call) error {
	keys := pbxflow.KeyMap(pbxflow.ConfigList("menu"))
	repeat := rune(-1) // no repeat key: matches no key
	if r := text("repeat-key"); r != "" {
		repeat, _ = utf8.DecodeRuneInString(r)
	}
	attempts := clamp("retries", 3, 1, 10)
	failures, repeats := int64(0), 0
	for failures < attempts && repeats < 10 {
		digits, err := call.Play(text("menu-prompt")).Collect(1)
		if err != nil {
			return err
		}
		if digits == "" {
			failures++
			pbxflow.Info("no-input", "attempt", strconv.FormatInt(failures, 10))
			continue
		}
		key, _ := utf8.DecodeRuneInString(digits)
		if key == repeat {
			repeats++
			pbxflow.Info("repeat")
			continue
		}
		found := false
		var destination pbxflow.Destination
		for _, k := range keys {
			if k.Key == key {
				found, destination = true, k.Destination
				break
			}
		}
		if found {
			pbxflow.Info("menu-choice", "key", string(key), "destination", destination.String())
			if err := call.SetField("menu-choice", string(key)); err != nil {
				return err
			}
			return route(call, destination)
		}
		failures++
		pbxflow.Info("invalid-choice", "key", string(key), "attempt", strconv.FormatInt(failures, 10))
		if err := call.Play(text("invalid-prompt")).Run(); err != nil {
			return err
		}
	}
	pbxflow.Warn("retries-exhausted")
	if err := call.SetField("outcome", "retries-exhausted"); err != nil {
		return err
	}
	if _, err := call.Voicemail(text("voicemail-box"), pbxflow.GreetingNone); err != nil {
		return err
	}
	return call.Hangup(pbxflow.HangupNormal)
}

// route sends the caller to the destination they chose.
func route(call pbxflow.Call, d pbxflow.Destination) error {
	switch d.Kind {
	case pbxflow.DestExtension:
		ring := time.Duration(clamp("ring-seconds", 20, 5, 120)) * time.Second
		outcome, err := call.Dial(pbx_flow_call.MakeDialTargetExtension(d.Target)).RingFor(ring).Run()
		if err != nil {
			return err
		}
		pbxflow.Info("dial-outcome", "extension", d.Target, "outcome", pbxflow.DialOutcomeText(outcome))
		switch outcome.Tag() {
		case pbx_flow_call.DialOutcome_Answered:
			return nil
		case pbx_flow_call.DialOutcome_Busy:
			_, err = call.Voicemail(d.Target, pbxflow.GreetingBusy)
		default:
			_, err = call.Voicemail(d.Target, pbxflow.GreetingUnavailable)
		}
		if err != nil {
			return err
		}
	case pbxflow.DestVoicemail:
		if _, err := call.Voicemail(d.Target, pbxflow.GreetingUnavailable); err != nil {
			return err
		}
	case pbxflow.DestQueue:
		exit, err := call.Enqueue(d.Target).MaxWait(300 * time.Second).Run()
		if err != nil {
			return err
		}
		pbxflow.Info("queue-exit", "queue", d.Target, "exit", pbxflow.QueueExitText(exit))
		if exit.Tag() != pbx_flow_call.QueueExit_Answered {
			if _, err := call.Voicemail(text("voicemail-box"), pbxflow.GreetingUnavailable); err != nil {
				return err
			}
		}
	case pbxflow.DestExternal:
		if _, err := call.Dial(pbx_flow_call.MakeDialTargetExternal(d.Target)).Run(); err != nil {
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

// clamp is an integer parameter with its default, kept within [low, high].
func clamp(name string, fallback, low, high int64) int64 {
	v, ok := pbxflow.ConfigInteger(name)
	if !ok {
		v = fallback
	}
	return max(low, min(v, high))
}
