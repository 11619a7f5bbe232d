package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"hooklab/config"
)

// commands makes the Backend calls dialogs need as tea.Cmds: each captures
// its arguments, runs off the update loop and reports back with a message.
type commands struct {
	b   Backend
	ctx context.Context
}

// testURL asks the tester session for the explained decision on raw;
// seq drops stale answers.
func (c commands) testURL(t URLTester, seq int, raw string, offline bool) tea.Cmd {
	ctx := c.ctx
	return func() tea.Msg { return urlCheckedMsg{seq: seq, offline: offline, d: t.Test(ctx, raw, offline)} }
}

// loosenings asks how f's policy is looser than the file's, before a
// save.
func (c commands) loosenings(f *config.File) tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg {
		ls, err := b.Loosenings(ctx, f)
		return loosenedMsg{f: f, ls: ls, err: err}
	}
}

// reloadConfig reads langgraph.json again and puts it in force.
func (c commands) reloadConfig() tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg {
		rt, err := b.ReloadConfig(ctx)
		return configReloadedMsg{rt: rt, err: err}
	}
}

// upstreamLog reads the upstream command's output.
func (c commands) upstreamLog() tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg {
		lines, err := b.UpstreamLog(ctx)
		return upstreamLogMsg{lines: lines, err: err}
	}
}

// applyConfig applies f live, and saves it with save.
func (c commands) applyConfig(f *config.File, save bool) tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg { return configSavedMsg{save: save, err: b.ApplyConfig(ctx, f, save)} }
}

// crons lists the crons.
func (c commands) crons() tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg {
		cs, err := b.Crons(ctx)
		return cronsMsg{crons: cs, err: err}
	}
}

// fireCron starts a run of cron id now.
func (c commands) fireCron(id string) tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg {
		run, err := b.FireCron(ctx, id)
		return cronFiredMsg{id: id, runID: run, err: err}
	}
}

// deleteCron deletes cron id.
func (c commands) deleteCron(id string) tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg { return cronChangedMsg{id: id, action: "deleted", err: b.DeleteCron(ctx, id)} }
}

// setCronEnabled resumes (enabled) or pauses cron id.
func (c commands) setCronEnabled(id string, enabled bool) tea.Cmd {
	b, ctx := c.b, c.ctx
	action := "paused"
	if enabled {
		action = "resumed"
	}
	return func() tea.Msg { return cronChangedMsg{id: id, action: action, err: b.SetCronEnabled(ctx, id, enabled)} }
}
