package ui

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/config"
)

type rowKind int

const (
	rowBool rowKind = iota
	rowTri          // unset / true / false
	rowText
	rowHeader
	rowPresent // webhooks.url object present or absent
)

// cfgRow is one editable line of the config editor.
type cfgRow struct {
	key  string // the langgraph.json key path; matches config.Error.Key
	kind rowKind
	hdr  int // header index for rowHeader
}

// configEditor edits the webhooks and http.disable_webhooks keys of a copy
// of the config in force. Every change is validated at once, so the
// platform's messages show next to the field, and the header templates
// are resolved by the backend (see headerCheck); a (re)apply goes through
// Backend.ApplyConfig, which has the last word.
type configEditor struct {
	kit     dialogKit
	f       *config.File
	sel     int
	editing bool
	in      lineInput
	err     *config.Error // validation: apply waits until it is fixed
	refused *config.Error // the backend's last refusal: shown, but a retry is allowed
	inputEr string        // the typed text could not be parsed
	adding  bool          // the field being edited is a header just added with n
	dupHdr  int           // index of a header whose name repeats an earlier one; -1 none
	check   headerCheck   // the header templates, as resolved by the backend
	busy    bool
	// base is the config in force as far as the editor knows (at open, or
	// as last applied); sent is what an apply in flight sends. Closing with
	// edits not in base asks first, so esc cannot lose them.
	base, sent *config.File
	confirm    bool       // "discard changes? y/n" is showing
	conflict   *conflict  // a refused save asks: reload, show the difference, or keep editing
	loosen     *loosening // a save of a looser policy asks: save anyway, or keep editing
}

// dirty reports edits that are not in force.
func (e *configEditor) dirty() bool {
	return e.base == nil || e.f.HTTP != e.base.HTTP || !reflect.DeepEqual(e.f.Webhooks, e.base.Webhooks)
}

// problem is what the editor shows as wrong: the validation error, else
// the backend's refusal of the header templates, else its refusal of the
// last apply.
func (e *configEditor) problem() *config.Error {
	if e.err != nil {
		return e.err
	}
	if ce := e.check.refusal(); ce != nil {
		return ce
	}
	return e.refused
}

// invalid is the problem that blocks apply: one a retry cannot fix.
func (e *configEditor) invalid() *config.Error {
	if e.err != nil {
		return e.err
	}
	return e.check.refusal()
}

// newConfigEditor edits a copy of rt's file (the config in force; the
// embedded default when none is known).
func newConfigEditor(kit dialogKit, rt *config.Runtime) *configEditor {
	f := config.Default()
	if rt != nil && rt.File != nil {
		f = rt.File.Clone()
	}
	e := &configEditor{kit: kit, f: f, base: f.Clone(), dupHdr: -1}
	e.check.seed(rt, f)
	e.validate()
	return e
}

func (e *configEditor) name() string { return "config" }

// help is what the status bar offers, most important first (it cuts the
// tail on a narrow terminal); the dialog itself lists every key. While it
// asks whether to discard, esc answers the question: it does not close.
func (e *configEditor) help() []key.Binding {
	k := e.kit.keys
	switch {
	case e.loosen != nil:
		return e.loosenHelp()
	case e.conflict != nil && e.conflict.diff != nil:
		return []key.Binding{k.Dialog.Up, k.Dialog.Down, k.Dialog.Close}
	case e.conflict != nil && e.conflict.parsed != nil:
		return []key.Binding{k.Dialog.Reload, k.Dialog.Diff, k.Dialog.Close}
	case e.conflict != nil:
		return []key.Binding{k.Dialog.Diff, k.Dialog.Close}
	case e.confirm:
		return []key.Binding{k.Dialog.Discard, k.Dialog.Keep}
	}
	return []key.Binding{k.Dialog.Save, k.Dialog.Apply, k.Dialog.Submit, k.Dialog.Close}
}

// keys is every key of the editor, for the hint lines inside the dialog.
func (e *configEditor) keys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Dialog.Submit, k.Dialog.Toggle, k.Dialog.Add, k.Dialog.Remove, k.Dialog.Apply, k.Dialog.Save, k.Dialog.Close}
}

func (e *configEditor) rows() []cfgRow {
	rs := []cfgRow{{key: "http.disable_webhooks", kind: rowBool}, {key: "webhooks.env_prefix", kind: rowText}}
	for i, h := range e.f.Webhooks.Headers {
		rs = append(rs, cfgRow{key: "webhooks.headers." + h.Name, kind: rowHeader, hdr: i})
	}
	rs = append(rs, cfgRow{key: "webhooks.allowed_fields", kind: rowText}, cfgRow{key: "webhooks.url", kind: rowPresent})
	if e.f.Webhooks.URL != nil {
		rs = append(rs,
			cfgRow{key: "webhooks.url.allowed_domains", kind: rowText},
			cfgRow{key: "webhooks.url.require_https", kind: rowTri},
			cfgRow{key: "webhooks.url.allowed_ports", kind: rowText},
			cfgRow{key: "webhooks.url.disable_loopback", kind: rowTri},
			cfgRow{key: "webhooks.url.disable_private_ips", kind: rowTri},
			cfgRow{key: "webhooks.url.max_url_length", kind: rowText})
	}
	return rs
}

// text is the editable text of a row.
func (e *configEditor) text(r cfgRow) string {
	w := &e.f.Webhooks
	switch r.key {
	case "webhooks.env_prefix":
		if w.EnvPrefix == nil {
			return ""
		}
		if *w.EnvPrefix == "" {
			return `""`
		}
		return *w.EnvPrefix
	case "webhooks.allowed_fields":
		return strings.Join(w.AllowedFields, ",")
	case "webhooks.url.allowed_domains":
		return strings.Join(w.URL.AllowedDomains, ",")
	case "webhooks.url.allowed_ports":
		return strings.Trim(strings.ReplaceAll(fmt.Sprint(w.URL.AllowedPorts), " ", ","), "[]")
	case "webhooks.url.max_url_length":
		if w.URL.MaxURLLength == nil {
			return ""
		}
		return strconv.Itoa(*w.URL.MaxURLLength)
	}
	if r.kind == rowHeader {
		h := w.Headers[r.hdr]
		return h.Name + ": " + h.Template
	}
	return ""
}

// setText parses typed text into the file.
func (e *configEditor) setText(r cfgRow, s string) error {
	s = strings.TrimSpace(s)
	w := &e.f.Webhooks
	list := func() []string {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	switch r.key {
	case "webhooks.env_prefix":
		switch s {
		case "":
			w.EnvPrefix = nil
		case `""`:
			w.EnvPrefix = new(string)
		default:
			w.EnvPrefix = &s
		}
	case "webhooks.allowed_fields":
		w.AllowedFields = list()
	case "webhooks.url.allowed_domains":
		w.URL.AllowedDomains = list()
	case "webhooks.url.allowed_ports":
		var ports []int
		for _, p := range list() {
			n, err := strconv.Atoi(p)
			if err != nil {
				return fmt.Errorf("port %q is not a number", p)
			}
			ports = append(ports, n)
		}
		w.URL.AllowedPorts = ports
	case "webhooks.url.max_url_length":
		if s == "" {
			w.URL.MaxURLLength = nil
			break
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("max_url_length %q is not a number", s)
		}
		w.URL.MaxURLLength = &n
	default:
		if r.kind != rowHeader {
			return nil
		}
		if s == "" {
			w.Headers = append(w.Headers[:r.hdr], w.Headers[r.hdr+1:]...)
			return nil
		}
		name, tmpl, ok := strings.Cut(s, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return errors.New(`write a header as "Name: value"`)
		}
		w.Headers[r.hdr] = config.Header{Name: strings.TrimSpace(name), Template: strings.TrimSpace(tmpl)}
	}
	return nil
}

// toggle flips a bool, cycles a tri-state (unset → true → false → unset) or
// adds/removes the webhooks.url object.
func (e *configEditor) toggle(r cfgRow) {
	w := &e.f.Webhooks
	tri := func(p **bool) {
		switch {
		case *p == nil:
			*p = ptrBool(true)
		case **p:
			*p = ptrBool(false)
		default:
			*p = nil
		}
	}
	switch r.key {
	case "http.disable_webhooks":
		e.f.HTTP.DisableWebhooks = !e.f.HTTP.DisableWebhooks
	case "webhooks.url":
		if w.URL == nil {
			w.URL = &config.URLOptions{}
		} else {
			w.URL = nil
		}
	case "webhooks.url.require_https":
		tri(&w.URL.RequireHTTPS)
	case "webhooks.url.disable_loopback":
		tri(&w.URL.DisableLoopback)
	case "webhooks.url.disable_private_ips":
		tri(&w.URL.DisablePrivateIPs)
	}
}

func ptrBool(b bool) *bool { return &b }

func (e *configEditor) apply(save bool) action {
	if pe := e.invalid(); pe != nil {
		return showStatus{"fix the config errors first: " + pe.Message, statusErr, defaultTTL}
	}
	f := e.f.Clone()
	if save {
		return e.askSave(f)
	}
	e.busy, e.sent = true, f.Clone() // ApplyConfig may change f (Save sets its path)
	return cmdAction{e.kit.cmds.applyConfig(f, false)}
}

// saved takes the outcome of an apply. A refusal (a secret not set yet, a
// file that cannot be written) may pass on a retry, so it does not block
// apply the way an invalid field does.
func (e *configEditor) saved(msg configSavedMsg) {
	e.busy, e.refused = false, nil
	if msg.err == nil && e.sent != nil {
		e.base = e.sent // in force now: closing loses nothing
	}
	e.sent = nil
	var ce *config.Error
	if errors.As(msg.err, &ce) {
		e.refused = ce
	} else if msg.err != nil {
		e.refused = &config.Error{Message: msg.err.Error()}
	}
	if msg.save {
		e.conflict = newConflict(msg.err, e.f.Path)
	}
}

func (e *configEditor) update(msg tea.Msg) action {
	before := headerKey(e.f)
	a := e.handle(msg)
	if headerKey(e.f) != before {
		a = withCmd(a, e.headersChanged())
	}
	return a
}

func (e *configEditor) handle(msg tea.Msg) action {
	switch msg := msg.(type) {
	case resolveDueMsg:
		return e.resolveDue(msg)
	case configResolvedMsg:
		e.resolved(msg)
	case configSavedMsg:
		e.saved(msg)
	case loosenedMsg:
		return e.loosened(msg)
	case configReloadedMsg:
		e.reloaded(msg)
	case tea.PasteMsg:
		if e.editing {
			e.in.paste(msg.Content)
		}
	case tea.KeyPressMsg:
		switch {
		case e.editing:
			e.editKey(msg)
		case e.loosen != nil:
			return e.loosenKey(msg)
		case e.conflict != nil:
			return e.conflictKey(msg)
		case e.confirm:
			return e.confirmKey(msg)
		default:
			return e.key(msg)
		}
	}
	return nil
}

// editKey handles a key while a field is being edited.
func (e *configEditor) editKey(msg tea.KeyPressMsg) {
	rows := e.rows()
	e.sel = min(e.sel, len(rows)-1)
	switch msg.String() {
	case "esc":
		if e.adding { // cancelling a new header drops it
			_ = e.setText(rows[e.sel], "")
			e.validate()
		}
		e.editing, e.inputEr, e.adding = false, "", false
	case "enter":
		if err := e.setText(rows[e.sel], e.in.value); err != nil {
			e.inputEr = err.Error()
			return
		}
		e.editing, e.inputEr, e.adding = false, "", false
		e.validate()
	default:
		e.in.edit(msg)
	}
}

// confirmKey answers "discard the changes not applied?".
func (e *configEditor) confirmKey(msg tea.KeyPressMsg) action {
	k := e.kit.keys
	switch {
	case key.Matches(msg, k.Dialog.Discard):
		return closeDialog{}
	case key.Matches(msg, k.Dialog.Keep), key.Matches(msg, k.Dialog.Close):
		e.confirm = false
	}
	return nil
}

// key handles a key on the list of fields.
func (e *configEditor) key(msg tea.KeyPressMsg) action {
	k := e.kit.keys
	rows := e.rows()
	e.sel = min(e.sel, len(rows)-1)
	r := rows[e.sel]
	switch {
	case key.Matches(msg, k.Dialog.Close):
		if e.dirty() {
			e.confirm = true
			return nil
		}
		return closeDialog{}
	case key.Matches(msg, k.Dialog.Up):
		e.sel = max(0, e.sel-1)
	case key.Matches(msg, k.Dialog.Down):
		e.sel = min(len(rows)-1, e.sel+1)
	case key.Matches(msg, k.Dialog.Toggle), key.Matches(msg, k.Dialog.Submit):
		if r.kind == rowText || r.kind == rowHeader {
			e.editing, e.in = true, lineInput{value: e.text(r)}
			return nil
		}
		e.toggle(r)
		e.validate()
	case key.Matches(msg, k.Dialog.Add):
		e.f.Webhooks.Headers = append(e.f.Webhooks.Headers, config.Header{Name: "X-Header", Template: ""})
		e.sel = 2 + len(e.f.Webhooks.Headers) - 1
		e.editing, e.in, e.adding = true, lineInput{value: "X-Header: "}, true
		e.validate()
	case key.Matches(msg, k.Dialog.Remove):
		if r.kind == rowHeader {
			_ = e.setText(r, "")
			e.validate()
		}
	case key.Matches(msg, k.Dialog.Apply):
		return e.apply(false)
	case key.Matches(msg, k.Dialog.Save):
		return e.apply(true)
	}
	return nil
}
