package pbxflow

import (
	"errors"
	"testing"

	"wit_component/pbx_flow_call"
)

func TestDestinationsParseAndPrintBack(t *testing.T) {
	for text, kind := range map[string]DestinationKind{
		"ext:101": DestExtension, "queue:sales": DestQueue, "vm:100": DestVoicemail, "tel:+33123456789": DestExternal,
	} {
		d, err := ParseDestination("  " + text + " ")
		if err != nil || d.Kind != kind || d.String() != text {
			t.Errorf("%q: got %+v, %v", text, d, err)
		}
	}
	if d, err := ParseDestination("204"); err != nil || d != (Destination{DestExtension, "204"}) {
		t.Errorf("bare number: got %+v, %v", d, err)
	}
	if d, _ := ParseDestination("hangup"); d.String() != "hangup" {
		t.Errorf("hangup: got %q", d.String())
	}
}

func TestBadDestinationsAreRefusedWithAHint(t *testing.T) {
	for _, bad := range []string{"", "ext:", "fax:12", "sales", "١٢"} {
		_, err := ParseDestination(bad)
		var de *DestinationError
		if !errors.As(err, &de) {
			t.Errorf("%q: want a DestinationError, got %v", bad, err)
		}
	}
}

func TestKeyMapKeepsValidEntriesInOrder(t *testing.T) {
	keys := KeyMap([]string{"1=ext:101", " 2 = queue:sales ", "12=ext:1", "x", "3=fax:1", "9=vm:100"})
	var got []string
	for _, k := range keys {
		got = append(got, string(k.Key)+"="+k.Destination.String())
	}
	want := []string{"1=ext:101", "2=queue:sales", "9=vm:100"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %s, want %s", i, got[i], want[i])
		}
	}
}

func TestOutcomesReadLikeTheHostTrace(t *testing.T) {
	answered := pbx_flow_call.MakeDialOutcomeAnswered(pbx_flow_call.AnsweredCall{
		Target: pbx_flow_call.MakeDialTargetExtension("101"), TalkMs: 30000, EndedBy: pbx_flow_call.HangupSide_Callee,
	})
	for got, want := range map[string]string{
		DialOutcomeText(answered):                                          `DialOutcome::Answered(AnsweredCall { target: DialTarget::Extension("101"), talk-ms: 30000, ended-by: HangupSide::Callee })`,
		DialOutcomeText(pbx_flow_call.MakeDialOutcomeNoAnswer()):           `DialOutcome::NoAnswer`,
		DialOutcomeText(pbx_flow_call.MakeDialOutcomeFailed(`no "route"`)): `DialOutcome::Failed("no \"route\"")`,
		QueueExitText(pbx_flow_call.MakeQueueExitExitKey('1')):             `QueueExit::ExitKey('1')`,
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
