package pbxflow

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Destinations written as text, the way admins write them in parameters and
// incident flags: ext:101, queue:sales, vm:101, tel:+33123456789, hangup
// (a bare number is an extension).

// DestinationKind is what a Destination leads to.
type DestinationKind int

// The kinds of destination.
const (
	DestExtension DestinationKind = iota
	DestQueue
	DestVoicemail
	DestExternal
	DestHangup
)

var destPrefixes = map[string]DestinationKind{
	"ext": DestExtension, "queue": DestQueue, "vm": DestVoicemail, "tel": DestExternal,
}

// Destination is where a call can go; Target is the number, queue or box
// (empty for DestHangup).
type Destination struct {
	Kind   DestinationKind
	Target string
}

// DestinationError is text that is not a destination.
type DestinationError struct{ Text string }

func (e *DestinationError) Error() string {
	return fmt.Sprintf("`%s` is not a destination: use ext:NUMBER, queue:NAME, vm:BOX, tel:NUMBER or hangup", e.Text)
}

// ParseDestination parses ext:101 and friends.
func ParseDestination(text string) (Destination, error) {
	s := strings.TrimSpace(text)
	if s == "hangup" {
		return Destination{Kind: DestHangup}, nil
	}
	if s != "" && strings.Trim(s, "0123456789") == "" {
		return Destination{Kind: DestExtension, Target: s}, nil
	}
	prefix, rest, ok := strings.Cut(s, ":")
	kind, known := destPrefixes[prefix]
	if !ok || rest == "" || !known {
		return Destination{}, &DestinationError{Text: s}
	}
	return Destination{Kind: kind, Target: rest}, nil
}

// String is the text form, ext:101.
func (d Destination) String() string {
	switch d.Kind {
	case DestExtension:
		return "ext:" + d.Target
	case DestQueue:
		return "queue:" + d.Target
	case DestVoicemail:
		return "vm:" + d.Target
	case DestExternal:
		return "tel:" + d.Target
	}
	return "hangup"
}

// MenuKey is one entry of a key map.
type MenuKey struct {
	Key         rune
	Destination Destination
}

// KeyMap parses menu entries "1=ext:101" in order, skipping entries whose
// key is not exactly one character or whose destination does not parse.
func KeyMap(entries []string) []MenuKey {
	var out []MenuKey
	for _, e := range entries {
		k, d, ok := strings.Cut(e, "=")
		k = strings.TrimSpace(k)
		if !ok || utf8.RuneCountInString(k) != 1 {
			continue
		}
		dest, err := ParseDestination(d)
		if err != nil {
			continue
		}
		r, _ := utf8.DecodeRuneInString(k)
		out = append(out, MenuKey{Key: r, Destination: dest})
	}
	return out
}
