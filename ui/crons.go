package ui

import (
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// cronList lists the crons: fire one now, pause or resume it, or delete
// it (after a y/n).
type cronList struct {
	kit      dialogKit
	crons    []Cron
	err      error
	loading  bool
	sel      int
	deleting string // the cron a "delete? y/n" is about
}

func newCronList(kit dialogKit) *cronList { return &cronList{kit: kit, loading: true} }

func (c *cronList) name() string { return "crons" }

func (c *cronList) help() []key.Binding {
	k := c.kit.keys
	if c.deleting != "" {
		return []key.Binding{k.Dialog.Discard, k.Dialog.Keep}
	}
	return []key.Binding{k.Dialog.Fire, k.Dialog.Pause, k.Dialog.Delete, k.Dialog.Up, k.Dialog.Down, k.Dialog.Close}
}

func (c *cronList) update(msg tea.Msg) action {
	k := c.kit.keys
	switch msg := msg.(type) {
	case cronsMsg:
		c.crons, c.err, c.loading = msg.crons, msg.err, false
		c.sel = min(c.sel, max(0, len(c.crons)-1))
	case cronChangedMsg:
		return cmdAction{c.kit.cmds.crons()} // show the list as it is now
	case tea.KeyPressMsg:
		if c.deleting != "" {
			id := c.deleting
			c.deleting = ""
			if key.Matches(msg, k.Dialog.Discard) {
				return cmdAction{c.kit.cmds.deleteCron(id)}
			}
			return nil // n, esc or anything else keeps it
		}
		switch {
		case key.Matches(msg, k.Dialog.Close):
			return closeDialog{}
		case key.Matches(msg, k.Dialog.Up):
			c.sel = max(0, c.sel-1)
		case key.Matches(msg, k.Dialog.Down):
			c.sel = min(max(0, len(c.crons)-1), c.sel+1)
		case c.sel >= len(c.crons):
		case key.Matches(msg, k.Dialog.Fire):
			return cmdAction{c.kit.cmds.fireCron(c.crons[c.sel].ID)}
		case key.Matches(msg, k.Dialog.Pause):
			// Shown at once, so a second press undoes the first even before
			// the list is read back; a refusal is corrected by that read.
			cr := &c.crons[c.sel]
			cr.Enabled = !cr.Enabled
			return cmdAction{c.kit.cmds.setCronEnabled(cr.ID, cr.Enabled)}
		case key.Matches(msg, k.Dialog.Delete):
			c.deleting = c.crons[c.sel].ID
		}
	}
	return nil
}

func (c *cronList) view(w, h int) string {
	st := c.kit.st
	w = min(w, 100)
	lines := []string{st.Dialog.Title.Render("Crons") + st.Dialog.Hint.Render("  enter fire now · space pause/resume · x delete · esc close")}
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
			next = cr.NextRun.Sub(c.kit.now()).Round(1e9).String()
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
	if c.deleting != "" {
		lines = append(lines, "", st.Dialog.Error.Render("Delete cron "+short(c.deleting)+"? y delete · n/esc keep it"))
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
