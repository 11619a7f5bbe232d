package ui

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// logEvery is how often the open log view reads the upstream command's
// output again.
const logEvery = 500 * time.Millisecond

// pollLine matches a dev server's log line for one of the requests
// hooklab itself makes to watch runs end (GET /threads/T/runs/R, POST
// /threads/T/history) or the upstream stay up (GET /ok, GET /info). The
// JS dev server logs two lines per request ("<-- GET /path" and "-->
// GET /path 200 3ms"), so while runs are watched these drown the rest.
var pollLine = regexp.MustCompile(`\b(GET /threads/[^/\s?]+/runs/[^/\s?]+|POST /threads/[^/\s?]+/history|GET /ok|GET /info)(\s|\?|$)`)

// logView is the output of the upstream command hooklab started (its
// stdout and stderr, ANSI escapes removed), read again every logEvery
// while the view is open. Runs of hooklab's own polls fold into one line
// (p shows them); the view follows the newest line until scrolled up.
type logView struct {
	kit    dialogKit
	id     int // stops the read loops of views since closed
	lines  []string
	err    string
	read   bool // an answer came
	polls  bool // show hooklab's polls instead of folding them
	off    int  // first line shown, when not following
	follow bool
	h      int  // lines shown, as last drawn (for paging)
	child  bool // hooklab started the upstream: it has its output
}

func newLogView(kit dialogKit, id int, child bool) *logView {
	return &logView{kit: kit, id: id, follow: true, child: child}
}

func (v *logView) name() string { return "log" }

func (v *logView) help() []key.Binding {
	k := v.kit.keys
	return []key.Binding{k.Dialog.Up, k.Dialog.Down, k.Dialog.Polls, k.List.Bottom, k.Dialog.Close}
}

// start is the first read.
func (v *logView) start() tea.Cmd { return v.kit.cmds.upstreamLog() }

func (v *logView) update(msg tea.Msg) action {
	k := v.kit.keys
	switch msg := msg.(type) {
	case upstreamLogMsg:
		v.read = true
		if msg.err != nil {
			v.err = oneLine(msg.err.Error())
		} else {
			v.err, v.lines = "", msg.lines
		}
		id := v.id
		return cmdAction{tea.Tick(logEvery, func(time.Time) tea.Msg { return logTickMsg{id: id} })}
	case logTickMsg:
		if msg.id == v.id {
			return cmdAction{v.kit.cmds.upstreamLog()}
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Dialog.Close), key.Matches(msg, k.Global.Quit):
			return closeDialog{}
		case key.Matches(msg, k.Dialog.Polls):
			v.polls = !v.polls
		case key.Matches(msg, k.Dialog.Up):
			v.scroll(-1)
		case key.Matches(msg, k.Dialog.Down):
			v.scroll(1)
		case key.Matches(msg, k.List.PageUp):
			v.scroll(-max(1, v.h-1))
		case key.Matches(msg, k.List.PageDown):
			v.scroll(max(1, v.h-1))
		case key.Matches(msg, k.List.Top):
			v.follow, v.off = false, 0
		case key.Matches(msg, k.List.Bottom):
			v.follow = true
		}
	}
	return nil
}

// scroll moves the view by n lines; reaching the end follows again.
func (v *logView) scroll(n int) {
	total := len(v.shown())
	if v.follow {
		v.off = max(0, total-v.h)
	}
	v.off = max(0, v.off+n)
	v.follow = v.off >= total-v.h
}

// shown is the log as drawn: controls made visible, and each run of
// hooklab's polls folded into one line unless they are shown.
func (v *logView) shown() []string {
	out := make([]string, 0, len(v.lines))
	folded := 0
	flush := func() {
		if folded > 0 {
			out = append(out, fmt.Sprintf("\x00%d", folded)) // rendered by view
			folded = 0
		}
	}
	for _, l := range v.lines {
		l = oneLine(ansi.Strip(l))
		if !v.polls && pollLine.MatchString(l) {
			folded++
			continue
		}
		flush()
		out = append(out, l)
	}
	flush()
	return out
}

func (v *logView) view(w, h int) string {
	st := v.kit.st
	title := st.Dialog.Title.Render("Upstream log")
	what := "hooklab's polls folded (p shows them)"
	if v.polls {
		what = "every line (p folds hooklab's polls)"
	}
	lines := []string{title + st.Dialog.Hint.Render("  "+what)}
	body := v.shown()
	v.h = max(1, h-4)
	switch {
	case v.err != "":
		lines = append(lines, wrapStyled(st.Dialog.Error, "cannot read the upstream's output: "+v.err, w)...)
	case !v.read:
		lines = append(lines, st.Dialog.Hint.Render("reading…"))
	case len(body) == 0 && !v.child:
		lines = append(lines, wrapStyled(st.Dialog.Hint, "hooklab did not start the upstream (no command after --): its output is in the terminal that runs it", w)...)
	case len(body) == 0:
		lines = append(lines, st.Dialog.Hint.Render("the upstream command has written nothing yet"))
	}
	if v.follow {
		v.off = max(0, len(body)-v.h)
	}
	v.off = min(v.off, max(0, len(body)-v.h))
	for _, l := range body[v.off:min(len(body), v.off+v.h)] {
		if n, ok := strings.CutPrefix(l, "\x00"); ok {
			lines = append(lines, st.Dialog.Hint.Render(fmt.Sprintf("  ⋯ %s lines of hooklab's own polls", n)))
			continue
		}
		lines = append(lines, ansi.Truncate(l, w, "…"))
	}
	pos := "following"
	if !v.follow {
		pos = fmt.Sprintf("lines %d–%d of %d · G follows", v.off+1, min(len(body), v.off+v.h), len(body))
	}
	for len(lines) < h-3 {
		lines = append(lines, "")
	}
	lines = append(lines, st.Dialog.Hint.Render("j/k scroll · "+pos+" · esc close"))
	return wrapLines(padLines(lines, w), h-2)
}
