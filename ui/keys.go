package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

// KeyMap holds every binding, grouped by where it applies. It is a field of
// Model (never a package variable); bindings are enabled and disabled as the
// focus changes so a key only acts, and the short help only offers it,
// where it works.
type KeyMap struct {
	Global struct {
		Help, Quit, Tab, Config, URLTest, Crons, Log key.Binding
	}
	List struct {
		Up, Down, PageUp, PageDown, Top, Bottom, Open, Search, Filter, Outcome, View key.Binding
	}
	Detail struct {
		Replay, Edit, ReplayTo, Diff, End, Back key.Binding
	}
	Dialog struct {
		Close, Submit, Up, Down, Toggle, Apply, Save, Add, Remove, Fire, Mode key.Binding
		Discard, Keep                                                         key.Binding // the answers to "discard changes?"
		Pause, Delete                                                         key.Binding // the cron list's
		Reload, Diff                                                          key.Binding // the answers to a refused save
		Confirm                                                               key.Binding // save a looser policy anyway
		Offline                                                               key.Binding // the URL tester's toggle
		Polls                                                                 key.Binding // the upstream log's fold
	}
}

func defaultKeyMap() KeyMap {
	var k KeyMap
	b := func(keys []string, h, d string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(h, d))
	}
	k.Global.Help = b([]string{"?"}, "?", "help")
	k.Global.Quit = b([]string{"q", "ctrl+c"}, "q", "quit")
	k.Global.Tab = b([]string{"tab"}, "tab", "focus")
	k.Global.Config = b([]string{"c"}, "c", "config")
	k.Global.URLTest = b([]string{"u"}, "u", "url tester")
	k.Global.Crons = b([]string{"o"}, "o", "crons")
	k.Global.Log = b([]string{"L"}, "L", "upstream log")

	k.List.Up = b([]string{"k", "up"}, "k/↑", "up")
	k.List.Down = b([]string{"j", "down"}, "j/↓", "down")
	k.List.PageUp = b([]string{"pgup", "ctrl+u"}, "pgup", "page up")
	k.List.PageDown = b([]string{"pgdown", "ctrl+d"}, "pgdn", "page down")
	k.List.Top = b([]string{"g", "home"}, "g", "top")
	k.List.Bottom = b([]string{"G", "end"}, "G", "newest+follow")
	k.List.Open = b([]string{"enter"}, "enter", "detail")
	k.List.Search = b([]string{"/"}, "/", "search")
	k.List.Filter = b([]string{"f"}, "f", "filter kind")
	k.List.Outcome = b([]string{"F"}, "F", "filter outcome")
	k.List.View = b([]string{"v"}, "v", "raw events")

	k.Detail.Replay = b([]string{"r"}, "r", "replay")
	k.Detail.Edit = b([]string{"e"}, "e", "edit+replay")
	k.Detail.ReplayTo = b([]string{"t"}, "t", "replay to URL")
	k.Detail.Diff = b([]string{"d"}, "d", "replay diff")
	k.Detail.End = b([]string{"end"}, "end", "bottom")
	k.Detail.Back = b([]string{"esc"}, "esc", "back to list")

	k.Dialog.Close = b([]string{"esc"}, "esc", "close")
	k.Dialog.Submit = b([]string{"enter"}, "enter", "edit/ok")
	k.Dialog.Up = b([]string{"up", "k"}, "↑/k", "up")
	k.Dialog.Down = b([]string{"down", "j"}, "↓/j", "down")
	k.Dialog.Toggle = b([]string{"space"}, "space", "toggle")
	k.Dialog.Apply = b([]string{"a"}, "a", "apply live")
	k.Dialog.Save = b([]string{"w"}, "w", "apply+save")
	k.Dialog.Add = b([]string{"n"}, "n", "new header")
	k.Dialog.Remove = b([]string{"x"}, "x", "remove")
	k.Dialog.Fire = b([]string{"enter", "f"}, "enter", "fire now")
	k.Dialog.Mode = b([]string{"s"}, "s", "split/unified")
	k.Dialog.Discard = b([]string{"y"}, "y", "discard changes")
	k.Dialog.Keep = b([]string{"n"}, "n/esc", "keep editing")
	k.Dialog.Pause = b([]string{"space", "p"}, "space", "pause/resume")
	k.Dialog.Reload = b([]string{"r"}, "r", "reload from disk")
	k.Dialog.Diff = b([]string{"d"}, "d", "show difference")
	k.Dialog.Delete = b([]string{"x", "delete"}, "x", "delete")
	k.Dialog.Confirm = b([]string{"y"}, "y", "save anyway")
	k.Dialog.Offline = b([]string{"ctrl+o"}, "ctrl+o", "offline on/off")
	k.Dialog.Polls = b([]string{"p"}, "p", "fold/show polls")
	return k
}

// ShortHelp implements help.KeyMap: the focused part's few keys plus ? and
// q (the status bar keeps ? help in view however narrow it is).
func (m *Model) ShortHelp() []key.Binding {
	k := &m.keys
	switch {
	case m.dialog != nil:
		return m.dialog.help()
	case m.search.active:
		return []key.Binding{k.List.Open, k.Dialog.Close}
	case m.focus == focusDetail:
		return []key.Binding{k.List.Up, k.List.Down, k.Detail.Replay, k.Detail.Edit, k.Detail.ReplayTo, k.Detail.Diff, k.Detail.Back, k.Global.Help, k.Global.Quit}
	}
	return []key.Binding{k.List.Down, k.List.Open, k.List.Search, k.List.View, k.Detail.Replay, k.Detail.Diff, k.Global.Config, k.Global.Help, k.Global.Quit}
}

// FullHelp implements help.KeyMap: the keys that work where the keyboard
// is (the list, or the detail), in columns of actions, navigation, list
// and app keys, and the legend of the header's count badges. Dialog keys
// are not here: each dialog lists its own. A key that applies here but
// does nothing right now (no delivery selected means nothing to replay)
// is shown dimmed instead of vanishing, as bubbles/help would drop a
// disabled binding. Columns that do not fit the width wrap onto more rows
// (see helpPages) rather than being cut.
func (m *Model) FullHelp() [][]key.Binding {
	k := &m.keys
	// Not a key: the legend of the header counts, in the card where it is looked for.
	legend := key.NewBinding(key.WithKeys("✓"), key.WithHelp("✓ ✗ ⊘", "delivered/failed/refused"))
	actions := []key.Binding{k.Detail.Replay, k.Detail.Edit, k.Detail.ReplayTo, k.Detail.Diff}
	app := []key.Binding{k.Global.Config, k.Global.URLTest, k.Global.Crons}
	if m.info.Upstream != nil { // only hooklab in front of an upstream has its log
		app = append(app, k.Global.Log)
	}
	app = append(app, k.Global.Help, k.Global.Quit, legend)
	var groups [][]key.Binding
	if m.focus == focusDetail {
		groups = [][]key.Binding{actions,
			{k.List.Up, k.List.Down, k.List.PageUp, k.List.PageDown, k.List.Top, k.Detail.End},
			{k.Global.Tab, k.Detail.Back, k.List.Bottom, k.List.View}, app}
	} else {
		groups = [][]key.Binding{actions,
			{k.List.Up, k.List.Down, k.List.PageUp, k.List.PageDown, k.List.Top, k.List.Bottom},
			{k.List.Open, k.Global.Tab, k.List.Search, k.List.Filter, k.List.Outcome, k.List.View}, app}
	}
	for _, g := range groups {
		for i, b := range g {
			if !b.Enabled() {
				h := b.Help()
				g[i] = key.NewBinding(key.WithKeys(b.Keys()...),
					key.WithHelp(m.st.HelpOff.Render(h.Key), m.st.HelpOff.Render(h.Desc)))
			}
		}
	}
	return groups
}

// helpPage is one screenful of the full help: rows of columns, each column
// an index into FullHelp().
type helpPage [][]int

// helpPages lays the full help out for a w-wide area at most h lines
// tall. bubbles/help puts every column on one row and cuts the ones past
// the width, which hid the dialog and app keys at 80 columns; here columns
// that do not fit start a new row (a blank line between rows), and rows
// that do not fit start a new page, which ? turns to. Widths are those of
// the key and description texts, so this is computed from the keymap,
// never from rendered output.
func (m *Model) helpPages(w, h int) []helpPage {
	groups := m.FullHelp()
	sepW := ansi.StringWidth(m.help.FullSeparator)
	var rows [][]int
	var cur []int
	curW := 0
	for i, g := range groups {
		gw := helpColumnWidth(g)
		if len(cur) > 0 && curW+sepW+gw > w {
			rows, cur, curW = append(rows, cur), nil, 0
		}
		if len(cur) > 0 {
			curW += sepW
		}
		cur, curW = append(cur, i), curW+gw
	}
	if len(cur) > 0 {
		rows = append(rows, cur)
	}
	var pages []helpPage
	var pg helpPage
	for _, r := range rows {
		if len(pg) > 0 && pg.height(groups)+1+helpRowHeight(groups, r) > h {
			pages, pg = append(pages, pg), nil
		}
		pg = append(pg, r)
	}
	if len(pg) > 0 {
		pages = append(pages, pg)
	}
	return pages
}

// height is how many lines the page takes.
func (p helpPage) height(groups [][]key.Binding) int {
	n := max(0, len(p)-1) // blank lines between rows
	for _, r := range p {
		n += helpRowHeight(groups, r)
	}
	return n
}

func helpRowHeight(groups [][]key.Binding, row []int) int {
	n := 0
	for _, i := range row {
		n = max(n, len(groups[i]))
	}
	return n
}

// helpColumnWidth is the width bubbles/help gives a column: the widest
// key, a space, the widest description.
func helpColumnWidth(g []key.Binding) int {
	kw, dw := 0, 0
	for _, b := range g {
		kw = max(kw, ansi.StringWidth(b.Help().Key))
		dw = max(dw, ansi.StringWidth(b.Help().Desc))
	}
	return kw + 1 + dw
}

// fullHelpView renders the current page of the full help.
func (m *Model) fullHelpView() string {
	if len(m.helpLay) == 0 {
		return ""
	}
	groups := m.FullHelp()
	page := m.helpLay[min(m.helpPage, len(m.helpLay)-1)]
	rows := make([]string, len(page))
	for i, r := range page {
		cols := make([][]key.Binding, len(r))
		for j, g := range r {
			cols[j] = groups[g]
		}
		rows[i] = m.help.FullHelpView(cols)
	}
	return strings.Join(rows, "\n\n")
}

// setFocusKeys switches bindings on and off so a key only acts (and only
// shows in help) where it means something.
func (m *Model) setFocusKeys() {
	k := &m.keys
	inDialog := m.dialog != nil
	canReplay := !inDialog && m.selectedDelivery() != ""
	for _, b := range []*key.Binding{&k.Detail.Replay, &k.Detail.Edit, &k.Detail.ReplayTo} {
		b.SetEnabled(canReplay)
	}
	_, isReplay := m.selectedReplay()
	k.Detail.Diff.SetEnabled(!inDialog && isReplay)
	for _, b := range []*key.Binding{&k.List.Search, &k.List.Filter, &k.List.Outcome, &k.List.View, &k.Global.Tab, &k.Global.Config, &k.Global.URLTest, &k.Global.Crons} {
		b.SetEnabled(!inDialog)
	}
	k.Global.Log.SetEnabled(!inDialog && m.info.Upstream != nil)
	view := "raw events"
	if m.raw {
		view = "runs"
	}
	k.List.View.SetHelp("v", view)
}
