package config

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultEnvPrefix is the env_prefix in force when webhooks.env_prefix is absent.
const DefaultEnvPrefix = "LG_WEBHOOK_"

// segment is a piece of a header template: literal text, or an env reference.
type segment struct {
	text string         // literal text when env is false, the variable name otherwise
	env  bool           // an env reference
	bad  *templateError // a reference that is not a valid ${{ env.NAME }}
}

// templateError is a template problem; msg is the platform's message.
type templateError struct{ msg, fix string }

// Error implements error.
func (e *templateError) Error() string { return e.msg }

// parseTemplate splits a header value into literal text and ${{ env.NAME }}
// references. Spaces inside the braces are optional. Text that only looks
// like the start of a template (no closing "}}") stays literal, as it does on
// the platform, whose pattern needs both ends. A malformed reference is kept
// as a segment carrying its error: the platform checks references one at a
// time, left to right, so the first problem in the value is the one named.
func parseTemplate(s string) []segment {
	var segs []segment
	for {
		start := strings.Index(s, "${{")
		if start < 0 {
			break
		}
		end := strings.Index(s[start+3:], "}}")
		if end < 0 {
			break
		}
		expr := strings.TrimSpace(s[start+3 : start+3+end])
		if start > 0 {
			segs = append(segs, segment{text: s[:start]})
		}
		s = s[start+3+end+2:]
		name, ok := strings.CutPrefix(expr, "env.")
		switch {
		case !ok:
			segs = append(segs, segment{env: true, bad: &templateError{"webhook headers: only env.VAR references are allowed",
				"write templates as ${{ env.NAME }}; nothing else can be referenced"}})
		case name == "" || strings.ContainsAny(name, ". \t\r\n"):
			segs = append(segs, segment{env: true, bad: &templateError{fmt.Sprintf("webhook headers: invalid env reference '%s'", expr),
				"use ${{ env.NAME }} with a non-empty variable name that has no dots or spaces"}})
		default:
			segs = append(segs, segment{text: name, env: true})
		}
	}
	if s != "" {
		segs = append(segs, segment{text: s})
	}
	return segs
}

// resolveTemplate fills in a header value. secret is true when it used any
// template, so the value came from the environment. References are checked
// in order and the first problem is returned.
func resolveTemplate(tmpl, prefix string, lookup func(string) (string, bool)) (value string, secret bool, err error) {
	var b strings.Builder
	for _, sg := range parseTemplate(tmpl) {
		if !sg.env {
			b.WriteString(sg.text)
			continue
		}
		if sg.bad != nil {
			return "", false, sg.bad
		}
		secret = true
		if prefix != "" && !strings.HasPrefix(sg.text, prefix) {
			return "", false, &templateError{
				fmt.Sprintf("webhook headers: environment variable name '%s' must start with the configured env_prefix '%s'", sg.text, prefix),
				fmt.Sprintf("rename the variable to start with %s, or change webhooks.env_prefix (\"\" turns the check off)", prefix)}
		}
		v, ok := lookup(sg.text)
		if !ok {
			return "", false, &templateError{
				fmt.Sprintf("webhook headers: missing required environment variable '%s'", sg.text),
				fmt.Sprintf("export %s before starting hooklab, or set it in langgraph.json's env (map or .env file)", sg.text)}
		}
		b.WriteString(v)
	}
	return b.String(), secret, nil
}

// Mask hides a secret: its first 4 characters, then "…". Values of 4
// characters or fewer show only "…", since their first 4 characters would be
// the whole secret.
func Mask(secret string) string {
	if utf8.RuneCountInString(secret) <= 4 {
		return "…"
	}
	return string([]rune(secret)[:4]) + "…"
}

// EnvPrefixInForce returns the env_prefix in force for w.
func (w Webhooks) EnvPrefixInForce() string {
	if w.EnvPrefix == nil {
		return DefaultEnvPrefix
	}
	return *w.EnvPrefix
}

// Resolve validates f and resolves its header templates. lookup
// is the process environment (os.LookupEnv); f.Env is overlaid under it, so
// a variable already set in the process wins. Every error is an *Error whose
// message is the platform's and whose Key is webhooks.headers.<Name>.
func Resolve(f *File, lookup func(string) (string, bool)) (*Runtime, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	env := EnvLookup(f, lookup)
	prefix := f.Webhooks.EnvPrefixInForce()
	rt := &Runtime{
		File:            f,
		Policy:          EffectivePolicy(f.Webhooks),
		DisableWebhooks: f.HTTP.DisableWebhooks,
	}
	if f.Embedded {
		rt.Policy = rt.Policy.relabel(SourceExplicit, SourceEmbedded)
	}
	for _, h := range f.Webhooks.Headers {
		v, secret, err := resolveTemplate(h.Template, prefix, env)
		if err != nil {
			te := err.(*templateError)
			return nil, &Error{File: fileLabel(f.Path), Key: "webhooks.headers." + h.Name, Message: te.msg, Fix: te.fix}
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			// Never echo the value: it came from the environment.
			return nil, &Error{File: fileLabel(f.Path), Key: "webhooks.headers." + h.Name,
				Message: "resolved header value contains a line break", Fix: "remove line breaks from the referenced environment variable"}
		}
		rh := ResolvedHeader{Name: h.Name, Value: v, Masked: v, Secret: secret}
		if secret {
			rh.Masked = Mask(v)
		}
		rt.Headers = append(rt.Headers, rh)
	}
	for _, name := range f.Webhooks.AllowedFields {
		if !slices.Contains(rt.AllowedFields, name) {
			rt.AllowedFields = append(rt.AllowedFields, name)
		}
	}
	return rt, nil
}

// CheckURL runs the URL policy in force on raw (see Policy.Check).
func (r *Runtime) CheckURL(ctx context.Context, raw string, res Resolver) Decision {
	return r.Policy.Check(ctx, raw, res)
}

// ResolvePolicy validates f and its header templates without reading the
// environment (every reference must be well formed and carry env_prefix,
// but need not be set) and returns the URL policy in force. It is what a
// URL check needs: `hooklab check-url` works without the header secrets.
func ResolvePolicy(f *File) (Policy, error) {
	if err := f.Validate(); err != nil {
		return Policy{}, err
	}
	set := func(string) (string, bool) { return "", true }
	prefix := f.Webhooks.EnvPrefixInForce()
	for _, h := range f.Webhooks.Headers {
		if _, _, err := resolveTemplate(h.Template, prefix, set); err != nil {
			te := err.(*templateError)
			return Policy{}, &Error{File: fileLabel(f.Path), Key: "webhooks.headers." + h.Name, Message: te.msg, Fix: te.fix}
		}
	}
	p := EffectivePolicy(f.Webhooks)
	if f.Embedded {
		p = p.relabel(SourceExplicit, SourceEmbedded)
	}
	return p, nil
}
