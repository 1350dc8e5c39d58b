package pbxflow

import (
	"time"

	"wit_component/pbx_flow_call"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// Re-exported WIT enums and variants the call functions take.
const (
	HangupNormal      = pbx_flow_call.HangupCause_Normal
	HangupBusy        = pbx_flow_call.HangupCause_Busy
	HangupRejected    = pbx_flow_call.HangupCause_Rejected
	HangupUnavailable = pbx_flow_call.HangupCause_Unavailable
	HangupNotFound    = pbx_flow_call.HangupCause_NotFound
	HangupCongestion  = pbx_flow_call.HangupCause_Congestion

	GreetingUnavailable = pbx_flow_call.VoicemailGreeting_Unavailable
	GreetingBusy        = pbx_flow_call.VoicemailGreeting_Busy
	GreetingNone        = pbx_flow_call.VoicemailGreeting_None
)

func ms(d time.Duration) uint32 {
	m := d.Milliseconds()
	if m < 0 {
		return 0
	}
	if m > 0xffffffff {
		return 0xffffffff
	}
	return uint32(m)
}

// Call is the call being handled: there is one per flow instance.
type Call struct{}

// Info is what the host knows about the call. Never fails.
func (Call) Info() pbx_flow_call.CallInfo { return pbx_flow_call.Info() }

// State is the call's current state.
func (Call) State() pbx_flow_call.CallState { return pbx_flow_call.State() }

// Answer answers the call (no-op when answered).
func (Call) Answer() error { return unit(pbx_flow_call.Answer()) }

// PreAnswer opens early media without answering.
func (Call) PreAnswer() error { return unit(pbx_flow_call.PreAnswer()) }

// Play prepares prompts; finish with Run, Interruptible or Collect.
func (Call) Play(prompts ...string) Play { return Play{prompts: prompts} }

// Dial prepares ringing an extension or external number for 30 s.
func (Call) Dial(target pbx_flow_call.DialTarget) *Dial {
	return &Dial{options: pbx_flow_call.DialOptions{
		Targets:       []pbx_flow_call.DialTarget{target},
		Strategy:      pbx_flow_call.RingStrategy_Simultaneous,
		RingTimeoutMs: 30000,
		CallerId:      witTypes.None[pbx_flow_call.CallerId](),
	}}
}

// Enqueue prepares waiting in a queue with the queue's defaults.
func (Call) Enqueue(queue string) *Enqueue {
	return &Enqueue{options: pbx_flow_call.EnqueueOptions{
		Queue:                      queue,
		MaxWaitMs:                  witTypes.None[uint32](),
		PositionAnnounceIntervalMs: witTypes.None[uint32](),
		MusicClass:                 witTypes.None[string](),
	}}
}

// Voicemail lets the caller leave a message in box.
func (Call) Voicemail(box string, greeting pbx_flow_call.VoicemailGreeting) (pbx_flow_call.VoicemailOutcome, error) {
	return Unwrap(pbx_flow_call.Voicemail(box, greeting))
}

// Transfer hands the call over; the flow no longer controls it afterwards.
func (Call) Transfer(target pbx_flow_call.TransferTarget) error {
	return unit(pbx_flow_call.Transfer(target))
}

// Hangup ends the call.
func (Call) Hangup(cause pbx_flow_call.HangupCause) error {
	return unit(pbx_flow_call.Hangup(cause))
}

// SetField sets a field on the call's record.
func (Call) SetField(name, value string) error {
	return unit(pbx_flow_call.SetRecordField(name, value))
}

// Pause waits in silence; the key pressed, if any.
func (Call) Pause(d time.Duration) (witTypes.Option[rune], error) {
	return Unwrap(pbx_flow_call.Pause(ms(d)))
}

// Play is prompts waiting to be played.
type Play struct{ prompts []string }

// Run plays them all; key presses are discarded.
func (p Play) Run() error {
	_, err := Unwrap(pbx_flow_call.Play(p.prompts, false))
	return err
}

// Interruptible plays them; a key press stops playback and is returned.
func (p Play) Interruptible() (witTypes.Option[rune], error) {
	return Unwrap(pbx_flow_call.Play(p.prompts, true))
}

// Collect plays them with barge-in, then collects up to maxDigits keys
// ('#' ends, 5 s for the first, 3 s between); the digits.
func (p Play) Collect(maxDigits uint8) (string, error) {
	c, err := Unwrap(pbx_flow_call.Collect(pbx_flow_call.CollectOptions{
		MaxDigits:           maxDigits,
		Terminator:          witTypes.Some('#'),
		FirstDigitTimeoutMs: 5000,
		InterDigitTimeoutMs: 3000,
		Prompt:              p.prompts,
	}))
	return c.Digits, err
}

// Dial is dial options; Run dials.
type Dial struct{ options pbx_flow_call.DialOptions }

// RingFor sets the ring time.
func (d *Dial) RingFor(t time.Duration) *Dial { d.options.RingTimeoutMs = ms(t); return d }

// Sequential rings the targets one after the other.
func (d *Dial) Sequential() *Dial {
	d.options.Strategy = pbx_flow_call.RingStrategy_Sequential
	return d
}

// Or rings this target too.
func (d *Dial) Or(target pbx_flow_call.DialTarget) *Dial {
	d.options.Targets = append(d.options.Targets, target)
	return d
}

// Run dials.
func (d *Dial) Run() (pbx_flow_call.DialOutcome, error) {
	return Unwrap(pbx_flow_call.Dial(d.options))
}

// Enqueue is queue options; Run waits in the queue.
type Enqueue struct{ options pbx_flow_call.EnqueueOptions }

// MaxWait leaves the queue after this long.
func (e *Enqueue) MaxWait(t time.Duration) *Enqueue {
	e.options.MaxWaitMs = witTypes.Some(ms(t))
	return e
}

// ExitKeys lets the caller leave with these keys.
func (e *Enqueue) ExitKeys(keys string) *Enqueue { e.options.ExitKeys = keys; return e }

// Priority sets the priority, higher first.
func (e *Enqueue) Priority(p uint8) *Enqueue { e.options.Priority = p; return e }

// Run waits in the queue.
func (e *Enqueue) Run() (pbx_flow_call.QueueExit, error) {
	return Unwrap(pbx_flow_call.Enqueue(e.options))
}
