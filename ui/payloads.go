package ui

import (
	"hooklab/config"
	"hooklab/server/hub"
)

// The feed summarises every event as it arrives. In process the hub hands
// over each payload as its publisher made it (hub.Event.Value), and most
// of the dashboard's cost per event was decoding it, so that value is
// used as it is; over the network it is decoded, once, into the hub's own
// type. The bulky parts no row shows
// (bodies, header lists, a decision's checks) are skipped by their JSON
// keys: decoding them cost more than the rest of the dashboard together.
// The fields a row uses still come from the hub's types, so a field
// renamed there is renamed here (or stops compiling); a key renamed there
// is merely decoded again. The detail decodes whole payloads when it
// shows one.

// skipJSON takes any JSON value and keeps none of it.
type skipJSON struct{}

// UnmarshalJSON implements json.Unmarshaler.
func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

// requestHead is a hub.RequestInfo without its body.
type requestHead struct {
	hub.RequestInfo
	Body skipJSON `json:"body"`
}

// decisionHead is a hub.DecisionInfo without the decision's checks.
type decisionHead struct {
	hub.DecisionInfo
	Decision decisionCore `json:"decision"`
}

type decisionCore struct {
	config.Decision
	Checks skipJSON `json:"checks"`
}

// attemptHead is a hub.AttemptInfo without its headers and bodies.
type attemptHead struct {
	hub.AttemptInfo
	RequestHeaders  skipJSON `json:"request_headers"`
	RequestBody     skipJSON `json:"request_body"`
	ResponseHeaders skipJSON `json:"response_headers"`
	ResponseBody    skipJSON `json:"response_body"`
}

// sinkHead is a hub.SinkInfo without its headers and body.
type sinkHead struct {
	hub.SinkInfo
	Headers skipJSON `json:"headers"`
	Body    skipJSON `json:"body"`
}

// typed sets *v to e's payload as its publisher gave it, when it is a T
// (or a *T); false when the event came through JSON or holds another
// type, and must be decoded.
func typed[T any](e hub.Event, v *T) bool {
	switch p := e.Value.(type) {
	case T:
		*v = p
		return true
	case *T:
		if p != nil {
			*v = *p
			return true
		}
	}
	return false
}
