package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hooklab/config"
	"hooklab/sender"
)

// sameBody fails unless got is want with another webhook_sent_at.
func sameBody(t *testing.T, want, got []byte) {
	t.Helper()
	if !reflect.DeepEqual(withoutSentAt(t, want), withoutSentAt(t, got)) {
		t.Fatalf("replayed body differs from the original:\n%s\n%s", want, got)
	}
}

func TestReplayCommandOwnerThenDirect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	cfgPath, f := secretConfig(t)
	l := startLab(t, path, f, secretEnv)
	if err := l.St.SetOwnerAddr(l.Addr); err != nil {
		t.Fatal(err)
	}
	orig, target, gone := newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 404)
	d := l.Delivered(t, l.Run(t, orig.URL+"/orig"))
	first := orig.Wait(t, 1)[0]
	if first.Header.Get("Authorization") != "Bearer "+secret {
		t.Fatalf("original Authorization = %q", first.Header.Get("Authorization"))
	}

	// Through the owner, ID first.
	code, out, errs := replay(t, noEnv, d.ID, "--to", target.URL+"/a", "--store", path)
	if code != 0 || !strings.HasPrefix(out, "delivered  status=200  attempts=1  url="+target.URL+"/a  id=") || !strings.Contains(out, "replay_of="+d.ID) {
		t.Fatalf("replay via owner: exit %d: %s%s", code, out, errs)
	}
	if !l.Served("/hooklab/deliveries/" + d.ID + "/replay") {
		t.Fatal("replay did not go through the hooklab that owns the store")
	}
	got := target.Wait(t, 1)[0]
	sameBody(t, first.Body, got.Body)
	if got.Header.Get("Authorization") != "Bearer "+secret || got.Path != "/a" {
		t.Fatalf("replay via owner: %s %v", got.Path, got.Header)
	}

	// Flags first, then the ID; a header, JSON output.
	code, out, errs = replay(t, noEnv, "--store", path, "--json", "--header", "X-Extra: 1", "--to", target.URL+"/b", d.ID)
	var nd sender.Delivery
	if code != 0 || json.Unmarshal([]byte(out), &nd) != nil || nd.ReplayOf != d.ID || nd.Outcome != sender.OutcomeDelivered {
		t.Fatalf("replay --json: exit %d: %s%s", code, out, errs)
	}
	if got := target.Wait(t, 2)[1]; got.Header.Get("X-Extra") != "1" {
		t.Fatalf("--header not sent: %v", got.Header)
	}
	for _, h := range nd.Headers {
		if strings.Contains(h.Value, secret) {
			t.Fatalf("a replayed delivery shows the secret: %v", nd.Headers)
		}
	}

	// An edited body, mixed order.
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(bodyFile, []byte(`{"edited": true, "html": "<b>&</b>"}`), 0o600)
	if code, out, errs := replay(t, noEnv, "--body", bodyFile, d.ID, "--to", target.URL+"/c", "--store", path); code != 0 {
		t.Fatalf("replay --body: exit %d: %s%s", code, out, errs)
	}
	if got := target.Wait(t, 3)[2]; string(got.Body) != `{"edited":true,"html":"<b>&</b>"}` {
		t.Fatalf("--body through the owner sent %s (HTML must not be escaped on the way)", got.Body)
	}

	// The owner is gone: replay directly, re-resolving the secret from the
	// environment through --config.
	l.Close()
	code, out, errs = replay(t, secretEnv, d.ID, "--to", target.URL+"/d", "--store", path, "--config", cfgPath)
	if code != 0 || !strings.HasPrefix(out, "delivered") {
		t.Fatalf("direct replay: exit %d: %s%s", code, out, errs)
	}
	got = target.Wait(t, 4)[3]
	sameBody(t, first.Body, got.Body)
	if got.Header.Get("Authorization") != "Bearer "+secret || got.Header.Get("User-Agent") != first.Header.Get("User-Agent") {
		t.Fatalf("direct replay headers: %v", got.Header)
	}
	// It was recorded: history lists it, newest first, with replay_of.
	rows := historyJSON(t, "--store", path, "--limit", "1")
	if len(rows) != 1 || rows[0]["replay_of"] != d.ID || rows[0]["url"] != target.URL+"/d" {
		t.Fatalf("history after a direct replay: %v", rows)
	}

	// Relative URLs reach hooklab's own handler (the sink) in-process.
	if code, out, errs := replay(t, secretEnv, d.ID, "--to", "/hooklab/sink/replayed", "--store", path, "--config", cfgPath); code != 0 || !strings.Contains(out, "url=/hooklab/sink/replayed") {
		t.Fatalf("direct replay to the sink: exit %d: %s%s", code, out, errs)
	}
	// A refusing receiver: printed, exit 1.
	if code, out, _ := replay(t, secretEnv, d.ID, "--to", gone.URL, "--store", path, "--config", cfgPath); code != 1 || !strings.HasPrefix(out, "failed  status=404") {
		t.Fatalf("replay to a 404: exit %d: %s", code, out)
	}
	// Without the template the secret cannot be re-resolved: an error, not a masked send.
	if code, out, errs := replay(t, noEnv, d.ID, "--to", target.URL, "--store", path, "--config", filepath.Join(t.TempDir(), "none.json")); code != 2 || out != "" || errs == "" {
		t.Fatalf("replay with a missing config: exit %d: %s%s", code, out, errs)
	}
	if code, _, errs := replay(t, noEnv, d.ID, "--to", target.URL, "--store", path); code != 1 || !strings.Contains(errs, "Authorization") {
		t.Fatalf("replay without the header template: exit %d: %s", code, errs)
	}
	if n := len(target.Wait(t, 4)); n != 4 {
		t.Fatalf("target got %d requests, want 4", n)
	}
}

func TestReplayCommandErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	l := startLab(t, path, config.Default(), noEnv)
	rcv := newReceiver(t, 200)
	d := l.Delivered(t, l.Run(t, rcv.URL))
	l.Close()
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{not json`), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--store", path}, 2, "which delivery"},
		{[]string{d.ID, "other", "--store", path}, 2, "unexpected argument"},
		{[]string{d.ID, "--header", "nocolon", "--store", path}, 2, "NAME:VALUE"},
		{[]string{d.ID, "--body", bad, "--store", path}, 2, "not valid JSON"},
		{[]string{d.ID, "--nope"}, 2, "flag provided but not defined"},
		{[]string{"no-such-id", "--store", path}, 1, "no delivery"},
		{[]string{d.ID, "--store", filepath.Join(t.TempDir(), "none.db")}, 1, "does not exist"},
	} {
		code, _, errs := replay(t, noEnv, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.err) {
			t.Errorf("replay %v: exit %d (want %d): %s", tc.args, code, tc.code, errs)
		}
	}
}

func TestCurlNeverPrintsTheSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	cfgPath, f := secretConfig(t)
	l := startLab(t, path, f, secretEnv)
	if err := l.St.SetOwnerAddr(l.Addr); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, 200)
	d := l.Delivered(t, l.Run(t, rcv.URL+"/hook?q=1"))
	sink := l.Delivered(t, l.Run(t, "/hooklab/sink/curl"))

	code, out, errs := history(t, secretEnv, "--store", path, "--curl", d.ID, "--config", cfgPath)
	if code != 0 || strings.Contains(out+errs, secret) {
		t.Fatalf("--curl with the template: exit %d, or the secret leaked:\n%s%s", code, out, errs)
	}
	for _, want := range []string{"curl -X POST '" + rcv.URL + "/hook?q=1'", `-H "Authorization: Bearer ${LG_WEBHOOK_TOKEN}"`, "-H 'Content-Type: application/json'", "--data-raw '{"} {
		if !strings.Contains(out, want) {
			t.Errorf("--curl output lacks %q:\n%s", want, out)
		}
	}
	runCurl(t, out, secret, rcv, 2, d.Body)

	// Without --config: the delivery kept its template, and a masked
	// value is never printed.
	code, out, errs = history(t, secretEnv, "--store", path, "--curl", d.ID)
	if code != 0 || strings.Contains(out+errs, secret) || strings.Contains(out, config.Mask("Bearer "+secret)) || !strings.Contains(out, `-H "Authorization: Bearer ${LG_WEBHOOK_TOKEN}"`) {
		t.Fatalf("--curl without --config: exit %d:\n%s%s", code, out, errs)
	}

	// A relative URL is sent to the owner's address.
	if code, out, _ := history(t, noEnv, "--store", path, "--curl", sink.ID, "--config", cfgPath); code != 0 || !strings.Contains(out, "'http://"+l.Addr+"/hooklab/sink/curl'") {
		t.Fatalf("--curl of a relative URL: exit %d:\n%s", code, out)
	}
	// The owner is gone: the delivery kept the address it went to.
	l.Close()
	if code, out, _ := history(t, noEnv, "--store", path, "--curl", sink.ID); code != 0 || !strings.Contains(out, "'http://"+l.Addr+"/hooklab/sink/curl'") {
		t.Fatalf("--curl of a relative URL without an owner: exit %d:\n%s", code, out)
	}
}
