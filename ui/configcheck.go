package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"hooklab/config"
)

// resolveDebounce is how long the header templates must stay unchanged
// before the backend is asked to resolve them.
const resolveDebounce = 150 * time.Millisecond

// headerCheck is what the editor knows about its header templates. Most
// of their validation needs no environment and runs at once; filling the
// templates in needs the environment of the hooklab being watched (under
// attach, another process's), so that part is asked of
// Backend.ResolveConfig from a command, debounced, and the newest answer
// is kept.
type headerCheck struct {
	local    []string // per header: its preview or error when it needs no environment, "" when it does
	remote   bool     // some header uses a template: only the backend can resolve it
	ver      int      // bumped by each change to the headers or env_prefix
	answered int      // the ver of the newest answer taken
	err      *config.Error
	failed   string                   // the backend could not be asked (not a refusal)
	previews map[config.Header]string // answers per header, kept across edits
}

// pending reports whether the backend's answer for the current headers is
// still to come.
func (c *headerCheck) pending() bool { return c.remote && c.answered != c.ver }

// refusal is the backend's refusal of the current headers, if any.
func (c *headerCheck) refusal() *config.Error {
	if c.pending() {
		return nil
	}
	return c.err
}

// seed takes the config in force as the first answer: it was resolved
// where hooklab runs before it was put in force.
func (c *headerCheck) seed(rt *config.Runtime, f *config.File) {
	c.previews = make(map[config.Header]string)
	if rt == nil || rt.File == nil {
		return
	}
	for i, h := range f.Webhooks.Headers {
		if i < len(rt.Headers) && strings.EqualFold(rt.Headers[i].Name, h.Name) {
			c.previews[h] = "→ " + rt.Headers[i].Masked
		}
	}
}

// anyEnv stands in for an environment that has every variable: resolving
// with it finds every problem that does not depend on the environment (a
// bad template, a name outside env_prefix) and reads no secret.
func anyEnv(string) (string, bool) { return "x", true }

// headerOnly is f reduced to header h, so one header's problem does not
// hide another's preview.
func headerOnly(f *config.File, h config.Header) *config.File {
	one := f.Clone()
	one.Webhooks.Headers = []config.Header{h}
	one.Webhooks.AllowedFields = nil
	one.Webhooks.URL = nil
	return one
}

// asConfigError is err as a *config.Error (a bare message when it is
// not one).
func asConfigError(err error) *config.Error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce
	}
	return &config.Error{Message: err.Error()}
}

// validate checks what can be checked here, at once: what config.Validate
// checks, the header templates against an environment that has every
// variable, and one thing the server cannot see: headers are saved as a
// JSON object, so two names that differ only in case would silently
// collapse to the last one.
func (e *configEditor) validate() {
	e.err, e.refused, e.dupHdr = nil, nil, -1
	hs := e.f.Webhooks.Headers
	c := &e.check
	c.local, c.remote = make([]string, len(hs)), false
	for i, h := range hs {
		rt, err := config.Resolve(headerOnly(e.f, h), anyEnv)
		switch {
		case err != nil:
			c.local[i] = "✗ " + asConfigError(err).Message
		case len(rt.Headers) > 0 && rt.Headers[0].Secret:
			c.remote = true
		case len(rt.Headers) > 0:
			c.local[i] = "→ " + rt.Headers[0].Value // no template: nothing secret
		}
	}
	if i, j := dupHeader(hs); j >= 0 {
		e.dupHdr = j
		e.err = &config.Error{Key: "webhooks.headers." + hs[j].Name,
			Message: fmt.Sprintf("duplicate header %q: %q is already set (header names are case-insensitive)", hs[j].Name, hs[i].Name),
			Fix:     "rename it, or remove one of them with x"}
		return
	}
	if _, err := config.Resolve(e.f.Clone(), anyEnv); err != nil {
		e.err = asConfigError(err)
	}
}

// dupHeader finds the first header whose name (case-insensitively)
// repeats an earlier one: their indices, or -1, -1.
func dupHeader(hs []config.Header) (first, dup int) {
	for j := range hs {
		for i := range j {
			if strings.EqualFold(hs[i].Name, hs[j].Name) {
				return i, j
			}
		}
	}
	return -1, -1
}

// headerKey is what the header templates' resolution depends on.
func headerKey(f *config.File) string {
	return fmt.Sprintf("%q %q", f.Webhooks.EnvPrefixInForce(), f.Webhooks.Headers)
}

// headersChanged starts a new round of the backend check after an edit
// to the headers or env_prefix: after resolveDebounce, if nothing changed
// meanwhile, the backend is asked.
func (e *configEditor) headersChanged() tea.Cmd {
	c := &e.check
	c.ver++
	if !c.remote {
		c.answered, c.err, c.failed = c.ver, nil, ""
		return nil
	}
	ver := c.ver
	return tea.Tick(resolveDebounce, func(time.Time) tea.Msg { return resolveDueMsg{ver: ver} })
}

// resolveDue asks the backend, if the headers are still those of ver.
func (e *configEditor) resolveDue(msg resolveDueMsg) action {
	if msg.ver != e.check.ver {
		return nil
	}
	return cmdAction{e.kit.cmds.resolveConfig(msg.ver, e.f.Clone())}
}

// resolved takes the backend's answer. Previews are kept whatever their
// age: they are keyed by the header they describe.
func (e *configEditor) resolved(msg configResolvedMsg) {
	c := &e.check
	for h, p := range msg.previews {
		c.previews[h] = p
	}
	if msg.ver == c.ver {
		c.answered, c.err, c.failed = msg.ver, msg.err, msg.failed
	}
}

// preview shows a header's resolved value, masked, or why it cannot be
// resolved.
func (e *configEditor) preview(r cfgRow) string {
	c := &e.check
	if r.hdr < len(c.local) && c.local[r.hdr] != "" {
		return c.local[r.hdr]
	}
	if p, ok := c.previews[e.f.Webhooks.Headers[r.hdr]]; ok {
		return p
	}
	return "resolving…"
}

// resolveConfig asks the backend to resolve f's header templates where
// hooklab runs. A refusal names one key only, so each header is then
// asked about on its own (in this same command), so every header shows
// its own preview or error.
func (c commands) resolveConfig(ver int, f *config.File) tea.Cmd {
	b, ctx := c.b, c.ctx
	return func() tea.Msg {
		msg := configResolvedMsg{ver: ver, previews: make(map[config.Header]string)}
		hs := f.Webhooks.Headers
		rt, err := b.ResolveConfig(ctx, f)
		if err == nil {
			for i, h := range hs {
				if i < len(rt.Headers) {
					msg.previews[h] = "→ " + rt.Headers[i].Masked
				}
			}
			return msg
		}
		var ce *config.Error
		if !errors.As(err, &ce) {
			msg.failed = err.Error() // not a refusal: the backend could not be asked
			return msg
		}
		msg.err = ce
		for _, h := range hs {
			rt, err := b.ResolveConfig(ctx, headerOnly(f, h))
			switch {
			case err != nil:
				msg.previews[h] = "✗ " + asConfigError(err).Message
			case len(rt.Headers) > 0:
				msg.previews[h] = "→ " + rt.Headers[0].Masked
			}
		}
		return msg
	}
}
