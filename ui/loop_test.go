package ui

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// loopGuard is the test backend with a tripwire: every method that may
// block records whether it was called while the model was handling a
// message or drawing a frame (onLoop), where it would freeze the screen.
type loopGuard struct {
	*testBackend
	onLoop atomic.Bool
	mu     sync.Mutex
	inLoop []string // blocking calls made on the loop
	called []string // blocking calls made anywhere
}

func (g *loopGuard) note(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.called = append(g.called, name)
	if g.onLoop.Load() {
		g.inLoop = append(g.inLoop, name)
	}
}

func (g *loopGuard) Subscribe(ctx context.Context) *hub.Subscription {
	g.note("Subscribe")
	return g.testBackend.Subscribe(ctx)
}

func (g *loopGuard) History(ctx context.Context, q store.Query) ([]hub.Event, error) {
	g.note("History")
	return g.testBackend.History(ctx, q)
}

func (g *loopGuard) Delivery(ctx context.Context, id string) (sender.Delivery, error) {
	g.note("Delivery")
	return g.testBackend.Delivery(ctx, id)
}

func (g *loopGuard) Replay(ctx context.Context, r sender.Replay) (sender.Delivery, error) {
	g.note("Replay")
	return g.testBackend.Replay(ctx, r)
}

func (g *loopGuard) NewURLTester() URLTester {
	return guardedTester{g, g.testBackend.NewURLTester()}
}

type guardedTester struct {
	g *loopGuard
	t URLTester
}

func (t guardedTester) Test(ctx context.Context, raw string, offline bool) config.Decision {
	t.g.note("TestURL")
	return t.t.Test(ctx, raw, offline)
}

func (g *loopGuard) Loosenings(ctx context.Context, f *config.File) ([]config.Loosening, error) {
	g.note("Loosenings")
	return g.testBackend.Loosenings(ctx, f)
}

func (g *loopGuard) ReloadConfig(ctx context.Context) (*config.Runtime, error) {
	g.note("ReloadConfig")
	return g.testBackend.ReloadConfig(ctx)
}

func (g *loopGuard) UpstreamLog(ctx context.Context) ([]string, error) {
	g.note("UpstreamLog")
	return g.testBackend.UpstreamLog(ctx)
}

func (g *loopGuard) ResolveConfig(ctx context.Context, f *config.File) (*config.Runtime, error) {
	g.note("ResolveConfig")
	return g.testBackend.ResolveConfig(ctx, f)
}

func (g *loopGuard) ApplyConfig(ctx context.Context, f *config.File, save bool) error {
	g.note("ApplyConfig")
	return g.testBackend.ApplyConfig(ctx, f, save)
}

func (g *loopGuard) Crons(ctx context.Context) ([]Cron, error) {
	g.note("Crons")
	return g.testBackend.Crons(ctx)
}

func (g *loopGuard) FireCron(ctx context.Context, id string) (string, error) {
	g.note("FireCron")
	return g.testBackend.FireCron(ctx, id)
}
func (g *loopGuard) DeleteCron(ctx context.Context, id string) error {
	g.note("DeleteCron")
	return g.testBackend.DeleteCron(ctx, id)
}
func (g *loopGuard) SetCronEnabled(ctx context.Context, id string, enabled bool) error {
	g.note("SetCronEnabled")
	return g.testBackend.SetCronEnabled(ctx, id, enabled)
}

// TestNoBlockingCallOnTheLoop drives every part of the dashboard that
// talks to the backend (start-up, the detail, the config editor with a
// templated header, the URL tester, the crons, replays) and checks that
// each blocking Backend method ran only inside a command, never while the
// model handled a message or drew a frame.
func TestNoBlockingCallOnTheLoop(t *testing.T) {
	t.Setenv("LG_WEBHOOK_TOKEN", "tok-123456")
	g := &loopGuard{testBackend: newTestBackend(t)}
	g.crons = []Cron{{ID: "cron-0001", Schedule: "* * * * *", Enabled: true}}
	up := upstreamUp()
	g.upstream, g.upLog = &up, logLines()
	srv, _ := receiver(t, 200)
	id := sendRun(t, g.testBackend, srv.URL+"/hook")
	waitDelivered(t, g.testBackend, id)
	m := New(g, WithNow(fixedClock))
	var pending []tea.Cmd
	step := func(msg tea.Msg) {
		g.onLoop.Store(true)
		var cmd tea.Cmd
		if msg == nil {
			cmd = m.Init()
		} else {
			_, cmd = m.Update(msg)
		}
		_ = m.View()
		g.onLoop.Store(false)
		pending = append(pending, cmd)
	}
	drain := func() {
		for range 10 {
			cmds := pending
			pending = nil
			for _, c := range cmds {
				for _, msg := range runCmdFor(c, 300*time.Millisecond) {
					step(msg)
				}
			}
			if len(pending) == 0 {
				return
			}
		}
	}
	keys := func(ks ...tea.Msg) {
		for _, k := range ks {
			step(k)
			drain()
		}
	}
	step(nil)
	step(tea.WindowSizeMsg{Width: 120, Height: 40})
	drain()
	keys(press("G"), press("k"), press("enter"), press("tab"), press("k"), press("k"), press("k"))
	keys(press("c"), press("n"), keyOf("ctrl+u"))
	keys(typeText("Authorization: Bearer ${{ env.LG_WEBHOOK_TOKEN }}")...)
	keys(press("enter"), press("w"), press("n"), press("a"), press("esc"))
	keys(press("L"), press("p"), press("esc"))
	keys(append(append([]tea.Msg{press("u")}, typeText("http://127.0.0.1:9/x")...), press("esc"))...)
	keys(press("o"), press("enter"), press("space"), press("x"), press("y"), press("esc"))
	keys(press("/"))
	keys(typeText(id[:8])...)
	keys(press("enter"), press("r"), press("esc"), press("t"), press("enter"), press("esc"))

	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.inLoop) > 0 {
		t.Fatalf("blocking Backend calls on the update loop: %v", g.inLoop)
	}
	for _, want := range []string{"Subscribe", "History", "Delivery", "Replay", "TestURL", "ResolveConfig", "ApplyConfig", "Loosenings", "UpstreamLog", "Crons", "FireCron", "SetCronEnabled", "DeleteCron"} {
		if !slices.Contains(g.called, want) {
			t.Errorf("%s was never called: the drive does not cover it", want)
		}
	}
}
