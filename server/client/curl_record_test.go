package client

import (
	"encoding/json"
	"strings"
	"testing"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
)

// TestCurlCommandUsesWhatTheDeliveryKept: the templates and the origin
// kept with a delivery win over what the caller has at hand; what was
// not kept is never printed masked.
func TestCurlCommandUsesWhatTheDeliveryKept(t *testing.T) {
	d := sender.Delivery{
		ID: "d1", RunID: "r1", URL: "/hooklab/sink/x?a=1", Outcome: sender.OutcomeDelivered,
		Headers: []hub.HeaderKV{
			{Name: "Authorization", Value: "Bear…"},
			{Name: "X-Api-Key", Value: "k3y…"},
		},
		SecretHeaders:   []string{"Authorization", "X-Api-Key"},
		HeaderTemplates: []config.Header{{Name: "Authorization", Template: "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"}},
		Origin:          "http://0.0.0.0:7777",
		Body:            json.RawMessage(`{}`),
	}
	out := CurlCommand(d, "127.0.0.1:2024", map[string]string{"authorization": "Other ${{ env.LG_WEBHOOK_OTHER }}"})
	for _, want := range []string{
		"curl -X POST 'http://127.0.0.1:7777/hooklab/sink/x?a=1'",
		`-H "Authorization: Bearer ${LG_WEBHOOK_TOKEN}"`,
		`-H "X-Api-Key: ${HOOKLAB_HEADER_X_API_KEY}"`,
		"# X-Api-Key: its template was not kept with this delivery; set HOOKLAB_HEADER_X_API_KEY",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "…") || strings.Contains(out, "LG_WEBHOOK_OTHER") {
		t.Errorf("printed a masked value, or the caller's template over the kept one:\n%s", out)
	}

	// A delivery that kept no address: the caller's, said so.
	d.Origin = ""
	out = CurlCommand(d, "127.0.0.1:9999", nil)
	if !strings.Contains(out, "'http://127.0.0.1:9999/hooklab/sink/x?a=1'") || !strings.Contains(out, "# relative URL: the hooklab that sent it kept no address") {
		t.Fatalf("without an origin:\n%s", out)
	}
	for origin, want := range map[string]string{"http://[::]:1/": "http://[::1]:1", "http://127.0.0.1:5": "http://127.0.0.1:5", "http://localhost:6": "http://localhost:6"} {
		if got := originBase(origin); got != want {
			t.Errorf("originBase(%q) = %q, want %q", origin, got, want)
		}
	}
}
