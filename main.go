// Command hooklab serves the LangGraph run API locally, sends webhooks
// exactly as LangGraph Platform does, and shows every request, URL-policy
// decision and delivery in a terminal dashboard.
//
// main is the process around the CLI (server/cli): the signals, the
// environment, the exit code, and the dashboard, which is where the
// in-process hooklab and the remote client meet the ui package.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"syscall"

	tea "charm.land/bubbletea/v2"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/cli"
	"hooklab/server/client"
	"hooklab/server/crons"
	"hooklab/ui"
)

const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := profile(os.Getenv("HOOKLAB_CPUPROFILE"))
	code := cli.Run(ctx, os.Args[1:], cli.Options{
		Version: version, LookupEnv: os.LookupEnv, Stdout: os.Stdout, Stderr: os.Stderr, Dashboard: dashboard,
	})
	stop()
	stopProfile()
	os.Exit(code)
}

// profile writes a CPU profile of the whole process to path until the
// function it returns is called ("" profiles nothing): how the cost of the
// dashboard under load is measured (see BENCHMARKS.md).
func profile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hooklab: HOOKLAB_CPUPROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// dashboard runs the terminal dashboard on t until the user quits.
func dashboard(ctx context.Context, t cli.Target) error {
	var m *ui.Model
	if t.App != nil {
		b := &local{Server: t.App.Server, info: ui.Info{Addr: t.App.Addr, ConfigPath: t.ConfigPath,
			StorePath: t.StorePath, Version: version, Embedded: t.Embedded}}
		m = ui.New(b, ui.WithEditor(t.Editor), ui.WithLogger(t.Logger))
	} else {
		m = ui.New(remote{t.Client})
	}
	_, err := tea.NewProgram(m, tea.WithContext(ctx)).Run()
	if errors.Is(err, tea.ErrProgramKilled) {
		return nil
	}
	return err
}

// local is the dashboard's backend in process: the server's own methods,
// with the dashboard's view of the instance and its crons.
type local struct {
	*server.Server
	info ui.Info
}

// Info implements ui.Backend.
func (b *local) Info() ui.Info {
	i := b.info
	if f := b.Runtime().File; f != nil {
		i.ConfigPath, i.Embedded = f.Path, f.Embedded
	}
	if u := b.Upstream(); u != nil {
		st := u.Status()
		i.Upstream = &st
	}
	return i
}

// NewURLTester implements ui.Backend.
func (b *local) NewURLTester() ui.URLTester { return b.Server.NewURLTester() }

// UpstreamLog implements ui.Backend.
func (b *local) UpstreamLog(ctx context.Context) ([]string, error) {
	l, err := b.Server.UpstreamLog(ctx)
	return l.Lines, err
}

// Config implements ui.Backend.
func (b *local) Config() *config.Runtime { return b.Runtime() }

// Crons implements ui.Backend.
func (b *local) Crons(context.Context) ([]ui.Cron, error) { return cronRows(b.Server.Crons()), nil }

// remote is the dashboard's backend over the network (hooklab attach).
type remote struct{ *client.Client }

// Info implements ui.Backend.
func (b remote) Info() ui.Info {
	i := b.Client.Info()
	return ui.Info{Addr: i.Addr, ConfigPath: i.ConfigPath, StorePath: i.StorePath, Version: i.Version, Embedded: i.Embedded,
		Remote: true, Upstream: i.Upstream}
}

// NewURLTester implements ui.Backend.
func (b remote) NewURLTester() ui.URLTester { return b.Client.NewURLTester() }

// Crons implements ui.Backend.
func (b remote) Crons(ctx context.Context) ([]ui.Cron, error) {
	cs, err := b.Client.Crons(ctx)
	return cronRows(cs), err
}

// cronRows is the dashboard's cron list, sorted by id.
func cronRows(cs []crons.Cron) []ui.Cron {
	out := make([]ui.Cron, 0, len(cs))
	for _, c := range cs {
		row := ui.Cron{ID: c.CronID, AssistantID: c.AssistantID, Schedule: c.Schedule, Enabled: c.Enabled}
		if c.ThreadID != nil {
			row.ThreadID = *c.ThreadID
		}
		if wh, ok := c.Payload["webhook"].(string); ok {
			row.Webhook = wh
		}
		if c.NextRunDate != nil {
			row.NextRun = &c.NextRunDate.Time
		}
		if c.EndTime != nil {
			row.EndTime = &c.EndTime.Time
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

var (
	_ ui.Backend = (*local)(nil)
	_ ui.Backend = remote{}
)
