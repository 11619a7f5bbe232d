package ui

import (
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// cronList lists the crons with fire-now.
type cronList struct {
	crons   []Cron
	err     error
	loading bool
	sel     int
}

func (m *Model) openCrons() tea.Cmd {
	m.dialog = &cronList{loading: true}
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		cs, err := b.Crons(ctx)
		return cronsMsg{crons: cs, err: err}
	}
}

func (c *cronList) name() string { return "crons" }

func (c *cronList) help(k *KeyMap) []key.Binding {
	return []key.Binding{k.Dialog.Up, k.Dialog.Down, k.Dialog.Fire}
}

func (c *cronList) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case cronsMsg:
		c.crons, c.err, c.loading = msg.crons, msg.err, false
		c.sel = min(c.sel, max(0, len(c.crons)-1))
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.keys.Dialog.Close):
			m.dialog = nil
		case key.Matches(msg, m.keys.Dialog.Up):
			c.sel = max(0, c.sel-1)
		case key.Matches(msg, m.keys.Dialog.Down):
			c.sel = min(max(0, len(c.crons)-1), c.sel+1)
		case key.Matches(msg, m.keys.Dialog.Fire):
			if c.sel < len(c.crons) {
				id, b, ctx := c.crons[c.sel].ID, m.b, m.ctx
				return func() tea.Msg {
					run, err := b.FireCron(ctx, id)
					return cronFiredMsg{id: id, runID: run, err: err}
				}
			}
		}
	}
	return nil
}

func (c *cronList) view(m *Model, w, h int) string {
	st := m.st
	w = min(w, 100)
	lines := []string{st.Dialog.Title.Render("Crons") + st.Dialog.Hint.Render("  enter fire now · esc close")}
	switch {
	case c.loading:
		lines = append(lines, st.Dialog.Hint.Render("loading…"))
	case c.err != nil:
		lines = append(lines, st.Dialog.Error.Render(c.err.Error()))
	case len(c.crons) == 0:
		lines = append(lines, st.Dialog.Hint.Render("no crons (POST /runs/crons creates one)"))
	}
	for i, cr := range c.crons {
		next := "-"
		if cr.NextRun != nil {
			next = cr.NextRun.Sub(m.now()).Round(1e9).String()
		}
		state := "on "
		if !cr.Enabled {
			state = "off"
		}
		l := fmt.Sprintf("%-8s %s %-14s next %-8s %s", short(cr.ID), state, cr.Schedule, next, cr.Webhook)
		l = padRight(ansi.Truncate(oneLine(l), w, "…"), w)
		if i == c.sel {
			l = st.Dialog.Focus.Render(l)
		}
		lines = append(lines, l)
	}
	return wrapLines(padLines(lines, w), max(3, h-2))
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
