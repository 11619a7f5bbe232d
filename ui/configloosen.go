package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/config"
)

// A save writes langgraph.json, the file that gets deployed. Before a save
// that would let through what the file refuses (https no longer required,
// loopback or private addresses allowed, domains or ports added, …), the
// editor names each loosening and asks. The backend compares (it holds
// the file as it was loaded), so the question is asked from a command.

// loosening is a save waiting for the answer to "save a looser policy?".
type loosening struct {
	f  *config.File
	ls []config.Loosening
}

// askSave starts a save of f: first the backend says how it loosens the
// file's policy.
func (e *configEditor) askSave(f *config.File) action {
	if e.busy {
		return showStatus{"a save or an apply is in progress", statusWarn, defaultTTL}
	}
	e.busy = true
	return cmdAction{e.kit.cmds.loosenings(f)}
}

// loosened takes the backend's comparison: no loosening saves at once,
// some ask first.
func (e *configEditor) loosened(msg loosenedMsg) action {
	e.busy = false
	switch {
	case msg.err != nil:
		e.refused = &config.Error{Message: "not saved: could not compare with the file on disk: " + msg.err.Error()}
		return nil
	case len(msg.ls) == 0:
		return e.save(msg.f)
	}
	e.loosen = &loosening{f: msg.f, ls: msg.ls}
	return nil
}

// save applies f and writes it to its file.
func (e *configEditor) save(f *config.File) action {
	e.busy, e.sent = true, f.Clone() // ApplyConfig may change f (Save sets its path)
	return cmdAction{e.kit.cmds.applyConfig(f, true)}
}

// loosenKey answers "save a looser policy?": y saves, n or esc goes back
// to the edits, which are kept.
func (e *configEditor) loosenKey(msg tea.KeyPressMsg) action {
	k := e.kit.keys
	switch {
	case key.Matches(msg, k.Dialog.Confirm):
		f := e.loosen.f
		e.loosen = nil
		return e.save(f)
	case key.Matches(msg, k.Dialog.Keep), key.Matches(msg, k.Dialog.Close):
		e.loosen = nil
	}
	return nil
}

// loosenView is the question, in w cells: each loosening with its setting,
// the value under the file and the value saved.
func (e *configEditor) loosenView(w, h int) []string {
	st := e.kit.st
	lines := []string{st.Dialog.Title.Render("Save a looser policy?")}
	lines = append(lines, wrapStyled(st.Dialog.Hint, "langgraph.json is the file that gets deployed. Saving lets through what it refuses now:", w)...)
	for _, l := range e.loosen.ls {
		text := fmt.Sprintf("• %s: %s → %s: %s", l.Setting, valueString(l.From), valueString(l.To), l.Text)
		lines = append(lines, hang(st.Dialog.Error, oneLine(text), w)...)
	}
	keys := wrapStyled(st.Dialog.Hint, "y save anyway · n/esc keep editing (a applies live without saving)", w)
	if room := max(2, h) - len(keys); len(lines) > room {
		lines = append(lines[:room-1], st.Dialog.Hint.Render(fmt.Sprintf("… and %d more", len(lines)-room+1)))
	}
	return append(lines, keys...)
}

// reload asks the backend to read langgraph.json again and put it in
// force: the "reload" answer to a refused save.
func (e *configEditor) reload() action {
	e.busy = true
	return cmdAction{e.kit.cmds.reloadConfig()}
}

// reloaded takes the file in force after a reload: the edits are dropped
// for it. A reload that failed says why and keeps the question open.
func (e *configEditor) reloaded(msg configReloadedMsg) {
	e.busy = false
	if msg.err != nil {
		if e.conflict != nil {
			e.conflict.reloadErr = oneLine(msg.err.Error())
		}
		return
	}
	f := config.Default()
	if msg.rt != nil && msg.rt.File != nil {
		f = msg.rt.File.Clone()
	}
	e.f, e.base, e.conflict, e.sel, e.refused = f, f.Clone(), nil, 0, nil
	e.check.seed(msg.rt, f)
	e.validate()
}

// loosenHelp is what the status bar offers while the question is open.
func (e *configEditor) loosenHelp() []key.Binding {
	k := e.kit.keys
	return []key.Binding{k.Dialog.Confirm, k.Dialog.Keep}
}
