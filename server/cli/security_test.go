package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/hub"
	"hooklab/server/servertest"
	"hooklab/server/store"
)

const labToken = "cli-t0ken-42"

// tokenLab is a hooklab that requires labToken, with one delivery.
func tokenLab(t *testing.T) (*servertest.Lab, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	l := servertest.StartLabWith(t, path, config.Default(), noEnv, func(c *server.Config) { c.Token = labToken })
	rc := newReceiver(t, 200)
	l.Delivered(t, l.Run(t, rc.URL+"/hook"))
	return l, path
}

func envWith(k, v string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if name == k {
			return v, true
		}
		return "", false
	}
}

// TestHistoryAndReplayWithToken: history and replay go through the
// hooklab that owns the store, with the token from --token or the env.
func TestHistoryAndReplayWithToken(t *testing.T) {
	l, path := tokenLab(t)
	code, out, errOut := history(t, noEnv, "--store", path, "--json")
	if code != 1 || !strings.Contains(errOut, "HOOKLAB_TOKEN") {
		t.Errorf("history without the token: exit %d, %q %q; want 1 naming HOOKLAB_TOKEN", code, out, errOut)
	}
	for name, c := range map[string]struct {
		env  func(string) (string, bool)
		args []string
	}{
		"flag":          {noEnv, []string{"--token", labToken}},
		"env":           {envWith("HOOKLAB_TOKEN", labToken), nil},
		"flag over env": {envWith("HOOKLAB_TOKEN", "wrong"), []string{"--token", labToken}},
	} {
		code, out, errOut := history(t, c.env, append([]string{"--store", path, "--json"}, c.args...)...)
		if code != 0 || !strings.Contains(out, `"outcome": "delivered"`) {
			t.Errorf("history with the token (%s): exit %d %q %q", name, code, out, errOut)
		}
	}
	ds, err := l.St.Deliveries(context.Background(), store.DeliveryQuery{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v %v", ds, err)
	}
	rc := newReceiver(t, 200)
	if code, out, errOut := replay(t, noEnv, ds[0].ID, "--to", rc.URL, "--store", path, "--token", labToken); code != 0 {
		t.Fatalf("replay with --token: exit %d %q %q", code, out, errOut)
	}
	rc.Wait(t, 1)
	if code, _, errOut := replay(t, noEnv, ds[0].ID, "--store", path, "--token", "has space"); code != 2 || !strings.Contains(errOut, "--token") {
		t.Errorf("replay --token 'has space': exit %d %q, want 2", code, errOut)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAttachWithToken: attach follows the feed of a hooklab that requires
// a token when given it, and says what is missing when not.
func TestAttachWithToken(t *testing.T) {
	l, _ := tokenLab(t)
	feed := "ws://" + l.Addr + "/hooklab/events"
	code, _, errOut := run(t, noEnv, nil, "attach", "--headless", feed)
	if code != 1 || !strings.Contains(errOut, "token") {
		t.Errorf("attach without the token: exit %d %q; want 1 naming the token", code, errOut)
	}
	for name, c := range map[string]struct {
		env  func(string) (string, bool)
		args []string
	}{
		"flag": {noEnv, []string{"--token", labToken}},
		"env":  {envWith("HOOKLAB_TOKEN", labToken), nil},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- Run(ctx, append([]string{"attach", "--headless", feed}, c.args...), Options{Version: "t", LookupEnv: c.env, Stdout: &out, Stderr: &errb})
		}()
		// Attach has connected once the feed carries an event published now.
		deadline := time.Now().Add(pollFor)
		for !strings.Contains(out.String(), "attach-probe") && time.Now().Before(deadline) {
			l.St.Append(hub.KindNotice, hub.NoticeInfo{Level: "info", Text: "attach-probe"})
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if code := <-done; code != 0 || !strings.Contains(out.String(), "attach-probe") {
			t.Errorf("attach with the token (%s): exit %d, stdout %q, stderr %q", name, code, out.String(), errb.String())
		}
	}
}

func TestDevRefusesBadSecurityFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  func(string) (string, bool)
		want string
	}{
		{[]string{"--allow-host", "http://box.lan"}, noEnv, "not a host name"},
		{[]string{"--allow-host", "box.lan:2024"}, noEnv, "without a port"},
		{[]string{"--allow-host", ""}, noEnv, "empty"},
		{[]string{"--allow-host", "*"}, noEnv, "not a host name"},
		{[]string{"--allow-host", "10.0.0.1"}, noEnv, "always allowed"},
		{[]string{"--token", "two words"}, noEnv, "printable ASCII"},
		{nil, envWith("HOOKLAB_TOKEN", "tab\there"), "printable ASCII"},
	} {
		args := append([]string{"dev", "--headless", "--store", ":memory:", "--addr", "127.0.0.1:0"}, c.args...)
		code, _, errOut := run(t, c.env, nil, args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("hooklab %v: exit %d %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestWarnExposed: beyond loopback, the warning names the address, prints
// a generated token (never a given one), and the feed gets it masked.
func TestWarnExposed(t *testing.T) {
	l := startLab(t, filepath.Join(t.TempDir(), "h.db"), config.Default(), noEnv)
	var errb bytes.Buffer
	warnExposed(&errb, l.App, l.Addr, "")
	if errb.Len() != 0 {
		t.Errorf("a loopback hooklab warned: %q", errb.String())
	}
	l.App.Exposed, l.App.Token = true, "generated-token-0123456789"
	warnExposed(&errb, l.App, l.Addr, "")
	if s := errb.String(); !strings.Contains(s, "beyond loopback") || !strings.Contains(s, l.Addr) || !strings.Contains(s, l.App.Token) {
		t.Errorf("warning %q: want the address and the generated token", s)
	}
	errb.Reset()
	warnExposed(&errb, l.App, l.Addr, l.App.Token)
	if s := errb.String(); !strings.Contains(s, "beyond loopback") || strings.Contains(s, l.App.Token) {
		t.Errorf("warning with a given token %q: want no token printed", s)
	}
	l.St.Flush(context.Background())
	evs, err := l.St.Events(context.Background(), store.Query{Kinds: []string{string(hub.KindNotice)}})
	if err != nil {
		t.Fatal(err)
	}
	var notices string
	for _, e := range evs {
		notices += string(e.Payload)
	}
	if !strings.Contains(notices, "beyond loopback") || strings.Contains(notices, l.App.Token) {
		t.Errorf("notices %s: want the warning with the token masked", notices)
	}
	for given, want := range map[string]string{"0.0.0.0:0": "0.0.0.0:4000 (every interface)", ":0": ":4000 (every interface)",
		"[::]:0": "[::]:4000 (every interface)", "192.0.2.1:4000": "192.0.2.1:4000", "nonsense": "[::]:4000"} {
		if got := listenLabel(given, "[::]:4000"); got != want {
			t.Errorf("listenLabel(%q) = %q, want %q", given, got, want)
		}
	}
}

// TestBadGraphConfigExits2: a LANGGRAPH_CONFIG that does not read stops
// the start with exit 2, naming the variable, the problem and where it
// came from; in front of an upstream it is not read.
func TestBadGraphConfigExits2(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "langgraph.json")
	os.WriteFile(cfg, []byte(`{"graphs": {"agent": "x"}, "env": {"LANGGRAPH_CONFIG": "{\"agent\": {\"context\": 3}}"}}`), 0o600)
	for _, c := range []struct {
		env  func(string) (string, bool)
		want []string
	}{
		{envWith("LANGGRAPH_CONFIG", "{bad"), []string{"LANGGRAPH_CONFIG: is not JSON", "from the environment"}},
		{envWith("LANGGRAPH_CONFIG", "[1]"), []string{"must be an object, got an array", "from the environment"}},
		{noEnv, []string{`the context of graph "agent" must be an object, got a number`, "from env in " + cfg}},
	} {
		code, _, errOut := run(t, c.env, nil, "dev", "--headless", "--store", ":memory:", "--addr", "127.0.0.1:0", "--config", cfg)
		for _, w := range c.want {
			if code != 2 || !strings.Contains(errOut, w) {
				t.Errorf("exit %d %q; want 2 and %q", code, errOut, w)
			}
		}
	}
}
