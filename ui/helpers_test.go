package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"hooklab/sender"
	"hooklab/server/store"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC    // goldens render clock times in the local zone
	os.Unsetenv("COLORFGBG") // the theme before the background reply: same on every terminal
	os.Exit(m.Run())
}

var (
	darkBG  = tea.BackgroundColorMsg{Color: color.RGBA{0x0d, 0x11, 0x17, 0xff}}
	lightBG = tea.BackgroundColorMsg{Color: color.RGBA{0xff, 0xff, 0xff, 0xff}}
)

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}, {60, 15}}

// screen builds a dashboard over the real test backend, sized and themed,
// with the fixture events delivered the way the subscription would, and
// switched to the raw event view (one row per event), then presses keys.
func screen(t *testing.T, w, h int, dark bool, keys ...tea.Msg) *Model {
	t.Helper()
	return runScreen(t, w, h, dark, append([]tea.Msg{press("v")}, keys...)...)
}

// runScreen is screen in the run list, the view the dashboard opens in.
func runScreen(t *testing.T, w, h int, dark bool, keys ...tea.Msg) *Model {
	t.Helper()
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	if dark {
		m.Update(darkBG)
	} else {
		m.Update(lightBG)
	}
	m.Update(eventsMsg{events: fixtureEvents()})
	for _, k := range keys {
		m.Update(k)
	}
	return m
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// key builds a key press by its help name.
func keyOf(s string) tea.KeyPressMsg {
	switch s {
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c", "ctrl+u", "ctrl+d":
		return tea.KeyPressMsg{Code: rune(s[5]), Mod: tea.ModCtrl}
	}
	return press(s)
}

func typeText(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

// checkInvariants: every line fits the width and the frame is exactly h lines.
func checkInvariants(t *testing.T, content string, w, h int) {
	t.Helper()
	lines := strings.Split(content, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, max %d: %q", i, n, w, ansi.Strip(l))
		}
	}
}

// foreignControl returns the first control sequence in s that is not one of
// our SGR styles (or "" when there is none): a raw escape, tab, carriage
// return or other C0/C1 control reaching the terminal garbles the frame
// without any width count noticing.
func foreignControl(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0x1b:
			if n := sgrLen(s[i:]); n > 0 {
				i += n - 1
				continue
			}
			return s[i:min(len(s), i+8)]
		case c < 0x20 && c != '\n', c == 0x7f:
			return s[i:min(len(s), i+8)]
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f:
			return s[i : i+2]
		}
	}
	return ""
}

// checkFrame asserts the invariants on the model's current frame: exactly
// h lines, none wider than w, and nothing but our styles as controls.
func checkFrame(t *testing.T, m *Model, label string) string {
	t.Helper()
	c := m.View().Content
	if m.w == 0 {
		return c
	}
	checkInvariants(t, c, m.w, m.h)
	if f := foreignControl(c); f != "" {
		t.Errorf("%s: foreign control %q reaches the terminal", label, f)
	}
	return c
}

// runCmd runs a command and its batch children, skipping ones that block
// (the subscription wait) or tick.
func runCmd(cmd tea.Cmd) []tea.Msg { return runCmdFor(cmd, 200*time.Millisecond) }

// runCmdFor is runCmd waiting up to wait for each command: one that takes
// longer (a tick, a subscription wait) is skipped.
func runCmdFor(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			// The children run side by side, so the ones skipped (ticks,
			// the subscription wait) cost one wait between them.
			res := make([][]tea.Msg, len(b))
			var wg sync.WaitGroup
			for i, c := range b {
				wg.Go(func() { res[i] = runCmdFor(c, wait) })
			}
			wg.Wait()
			var out []tea.Msg
			for _, r := range res {
				out = append(out, r...)
			}
			return out
		}
		return []tea.Msg{msg}
	case <-time.After(wait):
		return nil
	}
}

// runAll runs a command and its batch children, waiting for slow ones
// (a real replay) up to 5 s. Only for models without a subscription, whose
// commands all return.
func runAll(t *testing.T, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	return runCmdFor(cmd, 5*time.Second)
}

// settle runs cmd, feeds its messages back into m, and does the same with
// the commands those return, until none is left: what the program loop
// would do, for a model without a subscription. A command that takes
// longer than 500 ms (a status timeout, a retry tick) is skipped.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	for range 20 {
		msgs := runCmdFor(cmd, 500*time.Millisecond)
		if len(msgs) == 0 {
			return
		}
		var next []tea.Cmd
		for _, msg := range msgs {
			_, c := m.Update(msg)
			next = append(next, c)
		}
		cmd = tea.Batch(next...)
	}
	t.Fatal("commands still coming after 20 rounds")
}

// catchUp gives the model every stored event it has not seen, as the
// subscription would, once the store has published them.
func catchUp(t *testing.T, m *Model, b *testBackend) {
	t.Helper()
	if err := b.st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := b.st.Events(context.Background(), store.Query{Since: m.LastSeq()})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) > 0 {
		m.Update(eventsMsg{events: evs})
	}
}

func startTUI(t *testing.T, b *testBackend, opts ...Option) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, New(b, opts...), teatest.WithInitialTermSize(100, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(func() { _ = tm.Quit() })
	return tm
}

func waitScreen(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range want {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func finalModel(t *testing.T, tm *teatest.TestModel) *Model {
	t.Helper()
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
}

// receiver is a real webhook receiver on loopback that counts requests.
func receiver(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"got":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func sendRun(t *testing.T, b *testBackend, url string) string {
	t.Helper()
	return sendRunAs(t, b, "run-flow", url)
}

// sendRunAs sends run runID's webhook to url through the real sender and
// returns the delivery id.
func sendRunAs(t *testing.T, b *testBackend, runID, url string) string {
	t.Helper()
	now := time.Now()
	id, err := b.snd.Send(context.Background(), sender.Job{URL: url, Run: sender.RunResult{RunID: runID, ThreadID: "t-flow",
		AssistantID: "agent", Status: "success", CreatedAt: now, UpdatedAt: now, StartedAt: now, EndedAt: now}})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return id
}

func waitDelivered(t *testing.T, b *testBackend, id string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if d, err := b.st.Delivery(context.Background(), id); err == nil && d.Outcome != sender.OutcomePending {
			return
		}
	}
	t.Fatalf("delivery %s never finished", id)
}

func storeDelivery(id, body string) sender.Delivery {
	return sender.Delivery{ID: id, URL: "http://127.0.0.1:9/hook", Outcome: sender.OutcomeDelivered, Body: json.RawMessage(body)}
}
