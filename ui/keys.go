package ui

import "charm.land/bubbles/v2/key"

// KeyMap holds every binding, grouped by where it applies. It is a field of
// Model (never a package variable); bindings are enabled and disabled as the
// focus changes so a key only acts, and the short help only offers it,
// where it works.
type KeyMap struct {
	Global struct {
		Help, Quit, Tab, Config, URLTest, Crons key.Binding
	}
	List struct {
		Up, Down, PageUp, PageDown, Top, Bottom, Open, Search, Filter, Outcome key.Binding
	}
	Detail struct {
		Replay, Edit, ReplayTo key.Binding
	}
	Dialog struct {
		Close, Submit, Up, Down, Toggle, Apply, Save, Add, Remove, Fire, Mode key.Binding
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

	k.List.Up = b([]string{"k", "up"}, "k/↑", "up")
	k.List.Down = b([]string{"j", "down"}, "j/↓", "down")
	k.List.PageUp = b([]string{"pgup", "ctrl+u"}, "pgup", "page up")
	k.List.PageDown = b([]string{"pgdown", "ctrl+d"}, "pgdn", "page down")
	k.List.Top = b([]string{"g", "home"}, "g", "top")
	k.List.Bottom = b([]string{"G", "end"}, "G", "bottom+follow")
	k.List.Open = b([]string{"enter"}, "enter", "detail")
	k.List.Search = b([]string{"/"}, "/", "search")
	k.List.Filter = b([]string{"f"}, "f", "filter kind")
	k.List.Outcome = b([]string{"F"}, "F", "filter outcome")

	k.Detail.Replay = b([]string{"r"}, "r", "replay")
	k.Detail.Edit = b([]string{"e"}, "e", "edit+replay")
	k.Detail.ReplayTo = b([]string{"t"}, "t", "replay to URL")

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
	return k
}

// ShortHelp implements help.KeyMap: the focused part's few keys plus ? and q.
func (m *Model) ShortHelp() []key.Binding {
	k := &m.keys
	switch {
	case m.dialog != nil:
		return append(m.dialog.help(k), k.Dialog.Close)
	case m.search.active:
		return []key.Binding{k.List.Open, k.Dialog.Close}
	case m.focus == focusDetail:
		return []key.Binding{k.List.Up, k.List.Down, k.Detail.Replay, k.Detail.Edit, k.Detail.ReplayTo, k.Global.Tab, k.Global.Help, k.Global.Quit}
	}
	return []key.Binding{k.List.Down, k.List.Open, k.List.Search, k.List.Filter, k.Detail.Replay, k.Global.Config, k.Global.Help, k.Global.Quit}
}

// FullHelp implements help.KeyMap: columns of actions, navigation, list,
// dialog and app keys. It is the reference card, so every key is listed
// even when it does nothing right now (no delivery selected means nothing to
// replay): those are shown dimmed instead of vanishing, as bubbles/help
// would drop a disabled binding. Actions come first so they survive a
// narrow terminal, where help cuts the last columns.
func (m *Model) FullHelp() [][]key.Binding {
	k := &m.keys
	groups := [][]key.Binding{
		{k.Detail.Replay, k.Detail.Edit, k.Detail.ReplayTo, k.Global.Config, k.Global.URLTest, k.Global.Crons},
		{k.List.Up, k.List.Down, k.List.PageUp, k.List.PageDown, k.List.Top, k.List.Bottom},
		{k.List.Open, k.Global.Tab, k.List.Search, k.List.Filter, k.List.Outcome},
		{k.Dialog.Apply, k.Dialog.Save, k.Dialog.Add, k.Dialog.Remove, k.Dialog.Mode, k.Dialog.Close},
		{k.Global.Help, k.Global.Quit},
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

// fullHelpHeight is how many rows the full help takes: its tallest column.
func (m *Model) fullHelpHeight() int {
	n := 0
	for _, g := range m.FullHelp() {
		n = max(n, len(g))
	}
	return n
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
	for _, b := range []*key.Binding{&k.List.Search, &k.List.Filter, &k.List.Outcome, &k.Global.Tab, &k.Global.Config, &k.Global.URLTest, &k.Global.Crons} {
		b.SetEnabled(!inDialog)
	}
}
