package client

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

func TestCurlCommandQuoting(t *testing.T) {
	d := sender.Delivery{
		ID: "d1", RunID: "r1", URL: "http://127.0.0.1:9/it's?a=1&b=2", Outcome: sender.OutcomeDelivered, Status: 200,
		Headers: []hub.HeaderKV{
			{Name: "Content-Type", Value: "application/json"},
			{Name: "X-Quote", Value: `it's "quoted" $HOME`},
			{Name: "X-Sig", Value: "abcd…"},
			{Name: "X-Odd", Value: "odd…"},
		},
		SecretHeaders: []string{"x-sig", "X-Odd"},
		Body:          json.RawMessage(`{"text":"it's $HOME and \"quotes\" and ` + "`backticks`" + `"}`),
	}
	out := CurlCommand(d, "127.0.0.1:2024", map[string]string{
		"x-sig": `pre"$${{ env.LG_WEBHOOK_SIG }}-${{env.LG_WEBHOOK_B}}`,
		"x-odd": "${{ env.NOT-A-SHELL-NAME }}",
	})
	for _, want := range []string{
		`curl -X POST 'http://127.0.0.1:9/it'\''s?a=1&b=2'`,
		`-H 'X-Quote: it'\''s "quoted" $HOME'`,
		`-H "X-Sig: pre\"\$${LG_WEBHOOK_SIG}-${LG_WEBHOOK_B}"`,
		`-H "X-Odd: $(printenv 'NOT-A-SHELL-NAME')"`, // no shell variable name: printenv reads it
		`--data-raw '{"text":"it'\''s $HOME and \"quotes\" and ` + "`backticks`" + `"}'`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("CurlCommand lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "…") {
		t.Errorf("a masked value was printed:\n%s", out)
	}
	// What the shell makes of it: print the arguments instead of sending.
	if _, err := exec.LookPath("bash"); err == nil {
		script := "curl() { printf '%s\\n' \"$@\"; }\n" + out
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "LG_WEBHOOK_SIG=S", "LG_WEBHOOK_B=B", "NOT-A-SHELL-NAME=O")
		args, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, script)
		}
		for _, want := range []string{"http://127.0.0.1:9/it's?a=1&b=2\n", `X-Quote: it's "quoted" $HOME` + "\n", `X-Sig: pre"$S-B` + "\n", "X-Odd: O\n", string(d.Body) + "\n"} {
			if !strings.Contains(string(args), want) {
				t.Errorf("the shell did not get %q from the command; it got:\n%s", want, args)
			}
		}
	}
}

func TestCurlCommandLargeBodyUsesHeredoc(t *testing.T) {
	big := `{"values":"` + strings.Repeat("x'EOF", maxDataRaw/4) + `"}`
	d := sender.Delivery{ID: "d", URL: "/hooklab/sink/big", Body: json.RawMessage(big),
		Headers: []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}}}
	out := CurlCommand(d, "127.0.0.1:7", nil)
	if !strings.Contains(out, "'http://127.0.0.1:7/hooklab/sink/big'") || strings.Contains(out, "--data-raw") {
		t.Fatalf("large body command starts:\n%s", out[:200])
	}
	if !strings.Contains(out, "--data-binary @- <<'EOF_0'\n"+big+"\nEOF_0\n") {
		t.Fatalf("large body is not in a here-document with a safe delimiter")
	}
	if _, err := exec.LookPath("bash"); err == nil {
		script := "curl() { cat; }\n" + out
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got, err := exec.CommandContext(ctx, "bash", "-c", script).Output()
		if err != nil || string(got) != big+"\n" {
			t.Fatalf("the here-document gave %d bytes, %v", len(got), err)
		}
	}
}
