package pbxflow

import (
	"fmt"
	"strings"

	"wit_component/pbx_flow_call"
)

// Outcomes as text for the trace, written the way the PBX's own traces
// write WIT values (DialOutcome::Busy, QueueExit::ExitKey('1')), so a flow's
// events read the same in every language.

func quote(s string, q rune) string {
	var b strings.Builder
	b.WriteRune(q)
	for _, c := range s {
		switch {
		case c == q || c == '\\':
			b.WriteRune('\\')
			b.WriteRune(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == 0:
			b.WriteString(`\0`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, c)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteRune(q)
	return b.String()
}

// DialTargetText is a dial-target as trace text: DialTarget::Extension("101").
func DialTargetText(t pbx_flow_call.DialTarget) string {
	if t.Tag() == pbx_flow_call.DialTarget_Extension {
		return "DialTarget::Extension(" + quote(t.Extension(), '"') + ")"
	}
	return "DialTarget::External(" + quote(t.External(), '"') + ")"
}

// AnsweredCallText is an answered-call record as trace text.
func AnsweredCallText(a pbx_flow_call.AnsweredCall) string {
	side := "Caller"
	if a.EndedBy == pbx_flow_call.HangupSide_Callee {
		side = "Callee"
	}
	return fmt.Sprintf("AnsweredCall { target: %s, talk-ms: %d, ended-by: HangupSide::%s }",
		DialTargetText(a.Target), a.TalkMs, side)
}

var dialOutcomeNames = []string{"Answered", "Busy", "NoAnswer", "Unavailable", "Rejected", "Failed"}

// DialOutcomeText is a dial-outcome as trace text: DialOutcome::Busy.
func DialOutcomeText(o pbx_flow_call.DialOutcome) string {
	name := "DialOutcome::" + dialOutcomeNames[o.Tag()]
	switch o.Tag() {
	case pbx_flow_call.DialOutcome_Answered:
		return name + "(" + AnsweredCallText(o.Answered()) + ")"
	case pbx_flow_call.DialOutcome_Failed:
		return name + "(" + quote(o.Failed(), '"') + ")"
	}
	return name
}

var queueExitNames = []string{"Answered", "Timeout", "ExitKey", "NoAgents", "Full", "Unavailable"}

// QueueExitText is a queue-exit as trace text: QueueExit::ExitKey('1').
func QueueExitText(e pbx_flow_call.QueueExit) string {
	name := "QueueExit::" + queueExitNames[e.Tag()]
	switch e.Tag() {
	case pbx_flow_call.QueueExit_Answered:
		return name + "(" + AnsweredCallText(e.Answered()) + ")"
	case pbx_flow_call.QueueExit_ExitKey:
		return name + "(" + quote(string(e.ExitKey()), '\'') + ")"
	}
	return name
}
