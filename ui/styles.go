package ui

import (
	"image/color"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
)

// outcome is how an event went; it picks the row colour and the badge.
type outcome uint8

const (
	outInfo outcome = iota
	outOK
	outWarn
	outErr
	outPending
)

// Styles holds every style the dashboard uses, built from a few semantic
// colour tokens so light and dark terminals both stay readable.
type Styles struct {
	isDark bool
	App    lipgloss.Style
	Header struct {
		Title, Label, Value, OK, Err, Warn, Spark lipgloss.Style
		Alert                                     lipgloss.Style // the transient-problem badge
	}
	Bar  lipgloss.Style // the filter/search line
	List struct {
		Row, Selected, Dim, Time lipgloss.Style
		Outcome                  map[outcome]lipgloss.Style
	}
	Badge  map[string]lipgloss.Style // by hub.Kind
	Detail struct {
		Title, Section, Key, Value, Dim, OK, Err, Warn lipgloss.Style
		JSONKey, JSONString, JSONNumber, JSONLiteral   lipgloss.Style
	}
	Status struct {
		Info, OK, Warn, Err, Key, Desc lipgloss.Style
	}
	// HelpOff dims keys the full help lists that do nothing right now.
	HelpOff lipgloss.Style
	Dialog  struct {
		Box, Title, Field, Focus, Error, Hint lipgloss.Style
	}
	Diff   struct{ Add, Del, Hunk lipgloss.Style }
	Border lipgloss.Style
	Focus  lipgloss.Style // marks the pane that has the keyboard
}

// newStyles builds the styles for a dark or light background.
func newStyles(isDark bool) *Styles {
	ld := lipgloss.LightDark(isDark)
	var (
		fg      = ld(lipgloss.Color("#1f2328"), lipgloss.Color("#e6edf3"))
		fgMuted = ld(lipgloss.Color("#59636e"), lipgloss.Color("#8b949e"))
		accent  = ld(lipgloss.Color("#6639ba"), lipgloss.Color("#d2a8ff"))
		ok      = ld(lipgloss.Color("#1a7f37"), lipgloss.Color("#3fb950"))
		warn    = ld(lipgloss.Color("#9a6700"), lipgloss.Color("#d29922"))
		bad     = ld(lipgloss.Color("#cf222e"), lipgloss.Color("#f85149"))
		info    = ld(lipgloss.Color("#0969da"), lipgloss.Color("#58a6ff"))
		selBg   = ld(lipgloss.Color("#ddf4ff"), lipgloss.Color("#1f3a5f"))
		border  = ld(lipgloss.Color("#d0d7de"), lipgloss.Color("#30363d"))
		badgeFg = ld(lipgloss.Color("#ffffff"), lipgloss.Color("#0d1117"))
	)
	s := &Styles{isDark: isDark}
	s.App = lipgloss.NewStyle().Foreground(fg)
	s.Header.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Header.Label = lipgloss.NewStyle().Foreground(fgMuted)
	s.Header.Value = lipgloss.NewStyle().Foreground(fg)
	s.Header.OK = lipgloss.NewStyle().Foreground(ok)
	s.Header.Err = lipgloss.NewStyle().Foreground(bad)
	s.Header.Warn = lipgloss.NewStyle().Foreground(warn)
	s.Header.Spark = lipgloss.NewStyle().Foreground(info)
	s.Header.Alert = lipgloss.NewStyle().Foreground(badgeFg).Background(bad).Bold(true)
	s.Bar = lipgloss.NewStyle().Foreground(fgMuted)

	s.List.Row = lipgloss.NewStyle().Foreground(fg)
	s.List.Selected = lipgloss.NewStyle().Background(selBg).Bold(true)
	s.List.Dim = lipgloss.NewStyle().Foreground(fgMuted)
	s.List.Time = lipgloss.NewStyle().Foreground(fgMuted)
	s.List.Outcome = map[outcome]lipgloss.Style{
		outInfo:    lipgloss.NewStyle().Foreground(fg),
		outOK:      lipgloss.NewStyle().Foreground(ok),
		outWarn:    lipgloss.NewStyle().Foreground(warn),
		outErr:     lipgloss.NewStyle().Foreground(bad),
		outPending: lipgloss.NewStyle().Foreground(info),
	}
	mk := func(bg color.Color) lipgloss.Style {
		return lipgloss.NewStyle().Foreground(badgeFg).Background(bg)
	}
	s.Badge = map[string]lipgloss.Style{
		"request":  mk(info),
		"decision": mk(accent),
		"attempt":  mk(warn),
		"delivery": mk(ok),
		"run":      mk(fgMuted),
		"config":   mk(accent),
		"sink":     mk(info),
		"cron":     mk(fgMuted),
		"notice":   mk(bad),
	}
	s.Detail.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Detail.Section = lipgloss.NewStyle().Bold(true).Foreground(info)
	s.Detail.Key = lipgloss.NewStyle().Foreground(fgMuted)
	s.Detail.Value = lipgloss.NewStyle().Foreground(fg)
	s.Detail.Dim = lipgloss.NewStyle().Foreground(fgMuted)
	s.Detail.OK = lipgloss.NewStyle().Foreground(ok)
	s.Detail.Err = lipgloss.NewStyle().Foreground(bad)
	s.Detail.Warn = lipgloss.NewStyle().Foreground(warn)
	s.Detail.JSONKey = lipgloss.NewStyle().Foreground(info)
	s.Detail.JSONString = lipgloss.NewStyle().Foreground(ok)
	s.Detail.JSONNumber = lipgloss.NewStyle().Foreground(warn)
	s.Detail.JSONLiteral = lipgloss.NewStyle().Foreground(accent)

	s.Status.Info = lipgloss.NewStyle().Foreground(fg)
	s.Status.OK = lipgloss.NewStyle().Foreground(ok)
	s.Status.Warn = lipgloss.NewStyle().Foreground(warn)
	s.Status.Err = lipgloss.NewStyle().Foreground(bad).Bold(true)
	s.Status.Key = lipgloss.NewStyle().Foreground(fg).Bold(true)
	s.Status.Desc = lipgloss.NewStyle().Foreground(fgMuted)
	s.HelpOff = lipgloss.NewStyle().Foreground(border) // dimmer than help's own descriptions

	s.Dialog.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(0, 1)
	s.Dialog.Title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.Dialog.Field = lipgloss.NewStyle().Foreground(fg)
	s.Dialog.Focus = lipgloss.NewStyle().Background(selBg).Bold(true)
	s.Dialog.Error = lipgloss.NewStyle().Foreground(bad)
	s.Dialog.Hint = lipgloss.NewStyle().Foreground(fgMuted)
	s.Diff.Add = lipgloss.NewStyle().Foreground(ok)
	s.Diff.Del = lipgloss.NewStyle().Foreground(bad)
	s.Diff.Hunk = lipgloss.NewStyle().Foreground(info)
	s.Border = lipgloss.NewStyle().Foreground(border)
	s.Focus = lipgloss.NewStyle().Foreground(accent).Bold(true)
	return s
}

// colorFGBG reads the COLORFGBG convention ("fg;bg" or "fg;default;bg",
// ANSI colour numbers, set by rxvt, Konsole, iTerm2 and others): a
// background of 0-6 or 8 is dark, 7 or 9-15 light. ok is false when v says
// nothing usable.
func colorFGBG(v string) (isDark, ok bool) {
	f := strings.Split(v, ";")
	n, err := strconv.Atoi(f[len(f)-1])
	if len(f) < 2 || err != nil || n < 0 || n > 15 {
		return false, false
	}
	return n <= 6 || n == 8, true
}
