package sender

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// ReplayDiff is what a replay changed against the delivery it replays:
// both as text, and a unified diff between them. The dashboard and
// `hooklab replay --diff` show the same one.
type ReplayDiff struct {
	Original string `json:"original"` // DeliveryText of the original
	Replay   string `json:"replay"`   // DeliveryText of the replay
	// Unified is the diff from Original to Replay, with the headers
	// "--- original <id8>" and "+++ replay <id8>"; "" when identical.
	Unified string `json:"unified"`
}

// DiffReplay compares a replay with the delivery it replays.
func DiffReplay(orig, replay Delivery) ReplayDiff {
	r := ReplayDiff{Original: DeliveryText(orig), Replay: DeliveryText(replay)}
	r.Unified = udiff.Unified("original "+shortID(orig.ID), "replay "+shortID(replay.ID), r.Original, r.Replay)
	return r
}

// Text is the diff as printed: the unified diff, or a line saying the
// two are identical.
func (r ReplayDiff) Text() string {
	if r.Unified == "" {
		return "(request and response are identical)\n"
	}
	return r.Unified
}

// DeliveryText is the text a replay diff compares: the request line,
// headers (secrets masked, as stored) and pretty-printed body as last
// sent, then the outcome and the last attempt's response: status,
// headers, error and body.
func DeliveryText(d Delivery) string {
	var b strings.Builder
	headers, body, url := d.Headers, []byte(d.Body), d.URL
	var last *Attempt
	if n := len(d.AttemptLog); n > 0 {
		last = &d.AttemptLog[n-1]
		headers, body, url = last.RequestHeaders, last.RequestBody, last.URL
	}
	fmt.Fprintf(&b, "POST %s\n", url)
	for _, h := range headers {
		fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Value)
	}
	b.WriteString("\n" + prettyJSON(body) + "\n")
	fmt.Fprintf(&b, "\n=== response: %s", d.Outcome)
	if last == nil {
		b.WriteString("\n")
		return b.String()
	}
	if last.Status != 0 {
		fmt.Fprintf(&b, " %d", last.Status)
	}
	b.WriteString("\n")
	for _, h := range last.ResponseHeaders {
		fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Value)
	}
	if last.Error != "" {
		b.WriteString("error: " + last.Error + "\n")
	}
	b.WriteString("\n" + prettyJSON([]byte(last.ResponseBody)) + "\n")
	return b.String()
}

// prettyJSON indents raw when it is JSON, else returns it as it is.
func prettyJSON(raw []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, bytes.TrimSpace(raw), "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

// shortID is the first 8 characters of an id, as the dashboard shows it.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
