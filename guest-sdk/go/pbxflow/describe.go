package pbxflow

import (
	"wit_component/pbx_flow_config"
	"wit_component/pbx_flow_handler"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
)

// Description builds what a flow says about itself.
type Description struct {
	inner pbx_flow_handler.FlowDescription
}

// NewDescription starts a description with the flow's name and version.
func NewDescription(name, version string) *Description {
	return &Description{inner: pbx_flow_handler.FlowDescription{Name: name, Version: version}}
}

// Summary sets the paragraph for admins.
func (d *Description) Summary(text string) *Description {
	d.inner.Description = text
	return d
}

// Param adds a parameter, in order.
func (d *Description) Param(p *Param) *Description {
	d.inner.Params = append(d.inner.Params, p.spec)
	return d
}

// WIT is the generated record.
func (d *Description) WIT() pbx_flow_handler.FlowDescription { return d.inner }

// Param builds one parameter: required and labelled by its name until told
// otherwise.
type Param struct {
	spec pbx_flow_handler.ParamSpec
}

// NewParam is a parameter of the given kind (pbx_flow_handler.ParamKind_*);
// the Param* functions below are shorter.
func NewParam(name string, kind pbx_flow_handler.ParamKind) *Param {
	return &Param{spec: pbx_flow_handler.ParamSpec{
		Name: name, Label: name, Kind: kind, Required: true,
		Default: witTypes.None[pbx_flow_config.Value](),
	}}
}

// ParamText is a free-text parameter.
func ParamText(name string) *Param { return NewParam(name, pbx_flow_handler.ParamKind_Text) }

// ParamInteger is a whole-number parameter.
func ParamInteger(name string) *Param { return NewParam(name, pbx_flow_handler.ParamKind_Integer) }

// ParamBoolean is an on/off parameter.
func ParamBoolean(name string) *Param { return NewParam(name, pbx_flow_handler.ParamKind_Boolean) }

// ParamExtension is an extension number.
func ParamExtension(name string) *Param {
	return NewParam(name, pbx_flow_handler.ParamKind_Extension)
}

// ParamQueue is a queue name.
func ParamQueue(name string) *Param { return NewParam(name, pbx_flow_handler.ParamKind_Queue) }

// ParamVoicemailBox is a voicemail box.
func ParamVoicemailBox(name string) *Param {
	return NewParam(name, pbx_flow_handler.ParamKind_VoicemailBox)
}

// ParamPrompt is a prompt name.
func ParamPrompt(name string) *Param { return NewParam(name, pbx_flow_handler.ParamKind_Prompt) }

// ParamSchedule is an office-hours schedule name.
func ParamSchedule(name string) *Param {
	return NewParam(name, pbx_flow_handler.ParamKind_Schedule)
}

// ParamHolidayCalendar is a holiday calendar name.
func ParamHolidayCalendar(name string) *Param {
	return NewParam(name, pbx_flow_handler.ParamKind_HolidayCalendar)
}

// ParamFlag is an incident flag name.
func ParamFlag(name string) *Param { return NewParam(name, pbx_flow_handler.ParamKind_Flag) }

// ParamDestination is a destination (ext:100, queue:sales, ...).
func ParamDestination(name string) *Param {
	return NewParam(name, pbx_flow_handler.ParamKind_Destination)
}

// ParamTextList is a list of texts.
func ParamTextList(name string) *Param {
	return NewParam(name, pbx_flow_handler.ParamKind_TextList)
}

// Label sets the short label for forms.
func (p *Param) Label(label string) *Param { p.spec.Label = label; return p }

// Help sets the help text for forms.
func (p *Param) Help(text string) *Param { p.spec.Help = text; return p }

// Optional says a route need not set it.
func (p *Param) Optional() *Param { p.spec.Required = false; return p }

func (p *Param) withDefault(v pbx_flow_config.Value) *Param {
	p.spec.Default = witTypes.Some(v)
	p.spec.Required = false
	return p
}

// DefaultText sets a default text (and makes the parameter optional).
func (p *Param) DefaultText(v string) *Param {
	return p.withDefault(pbx_flow_config.MakeValueText(v))
}

// DefaultInteger sets a default integer (and makes the parameter optional).
func (p *Param) DefaultInteger(v int64) *Param {
	return p.withDefault(pbx_flow_config.MakeValueInteger(v))
}

// DefaultBoolean sets a default boolean (and makes the parameter optional).
func (p *Param) DefaultBoolean(v bool) *Param {
	return p.withDefault(pbx_flow_config.MakeValueBoolean(v))
}

// DefaultList sets a default list (and makes the parameter optional).
func (p *Param) DefaultList(v ...string) *Param {
	return p.withDefault(pbx_flow_config.MakeValueTextList(v))
}
