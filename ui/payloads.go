package ui

import (
	"hooklab/config"
	"hooklab/server/hub"
)

// The feed summarises every event as it arrives, so it decodes every
// payload into the hub's own type, once. The bulky parts no row shows
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
