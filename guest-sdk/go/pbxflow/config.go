package pbxflow

import "wit_component/pbx_flow_config"

// The route's parameters, typed. A missing or mistyped parameter reads as
// not found (ok false, or an empty list); the PBX checks values against the
// schema when a route is saved.

// ConfigText is a text parameter.
func ConfigText(name string) (string, bool) {
	v := pbx_flow_config.Get(name)
	if !v.IsSome() || v.Some().Tag() != pbx_flow_config.Value_Text {
		return "", false
	}
	return v.Some().Text(), true
}

// ConfigInteger is an integer parameter.
func ConfigInteger(name string) (int64, bool) {
	v := pbx_flow_config.Get(name)
	if !v.IsSome() || v.Some().Tag() != pbx_flow_config.Value_Integer {
		return 0, false
	}
	return v.Some().Integer(), true
}

// ConfigBoolean is a boolean parameter.
func ConfigBoolean(name string) (bool, bool) {
	v := pbx_flow_config.Get(name)
	if !v.IsSome() || v.Some().Tag() != pbx_flow_config.Value_Boolean {
		return false, false
	}
	return v.Some().Boolean(), true
}

// ConfigList is a list parameter; empty when unset or not a list.
func ConfigList(name string) []string {
	v := pbx_flow_config.Get(name)
	if !v.IsSome() || v.Some().Tag() != pbx_flow_config.Value_TextList {
		return nil
	}
	return v.Some().TextList()
}
