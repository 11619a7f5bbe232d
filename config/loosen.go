package config

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Loosening is one way a new webhooks config lets through what the file
// refused. A dashboard asks for confirmation, naming each, before it
// saves one: the file is what gets deployed.
type Loosening struct {
	Setting string `json:"setting"` // the key, e.g. webhooks.url.require_https
	From    any    `json:"from"`    // the value in force under the file
	To      any    `json:"to"`      // the value in force under the new config
	Text    string `json:"text"`    // what it lets through, in a phrase
}

// Loosenings names every way the policy of next is looser than that of
// base, comparing the values in force (defaults included, so removing
// webhooks.url can loosen too): https no longer required, loopback or
// private addresses allowed, domains or ports added (or the list removed),
// max_url_length raised, the env_prefix check widened or turned off, and
// payload fields added to allowed_fields (or the list removed). The order
// is fixed: url settings first, in the order of the checks.
func Loosenings(base, next Webhooks) []Loosening {
	a, b := EffectivePolicy(base), EffectivePolicy(next)
	var out []Loosening
	add := func(setting string, from, to any, format string, args ...any) {
		out = append(out, Loosening{Setting: setting, From: from, To: to, Text: fmt.Sprintf(format, args...)})
	}
	const u = "webhooks.url."
	if b.MaxURLLength.Value > a.MaxURLLength.Value {
		add(u+"max_url_length", a.MaxURLLength.Value, b.MaxURLLength.Value,
			"URLs up to %d characters are allowed (was %d)", b.MaxURLLength.Value, a.MaxURLLength.Value)
	}
	if a.DisableLoopback.Value && !b.DisableLoopback.Value {
		add(u+"disable_loopback", true, false, "loopback targets are allowed (relative URLs, localhost, 127.0.0.0/8, ::1)")
	}
	if a.RequireHTTPS.Value && !b.RequireHTTPS.Value {
		add(u+"require_https", true, false, "plain http:// URLs are allowed")
	}
	if l, ok := loosenList(u+"allowed_ports", a.AllowedPorts.Value, b.AllowedPorts.Value, "port"); ok {
		out = append(out, l)
	}
	if l, ok := loosenList(u+"allowed_domains", a.AllowedDomains.Value, b.AllowedDomains.Value, "domain"); ok {
		out = append(out, l)
	}
	if a.DisablePrivateIPs.Value && !b.DisablePrivateIPs.Value {
		add(u+"disable_private_ips", true, false, "private, link-local, CGNAT and unique-local addresses are allowed")
	}
	pa, pb := base.EnvPrefixInForce(), next.EnvPrefixInForce()
	switch {
	case pa != "" && pb == "":
		add("webhooks.env_prefix", pa, pb, "header templates may read any environment variable (the prefix check is off)")
	case pa != "" && !strings.HasPrefix(pb, pa):
		add("webhooks.env_prefix", pa, pb, "header templates may read variables starting with %s (was %s)", pb, pa)
	}
	if l, ok := loosenList("webhooks.allowed_fields", base.AllowedFields, next.AllowedFields, "payload field"); ok {
		out = append(out, l)
	}
	return out
}

// loosenList compares two allow-lists where empty means "no limit": the
// limit removed, or entries added, is a loosening.
func loosenList[T comparable](setting string, from, to []T, noun string) (Loosening, bool) {
	if len(from) == 0 {
		return Loosening{}, false // no limit before: nothing can be looser
	}
	l := Loosening{Setting: setting, From: slices.Clone(from), To: slices.Clone(to)}
	if len(to) == 0 {
		l.Text = fmt.Sprintf("every %s is allowed (the %s list was removed)", noun, noun)
		return l, true
	}
	var added []string
	for _, v := range to {
		if !slices.Contains(from, v) {
			added = append(added, fmt.Sprint(v))
		}
	}
	if len(added) == 0 {
		return Loosening{}, false
	}
	plural := ""
	if len(added) > 1 {
		plural = "s"
	}
	l.Text = fmt.Sprintf("%s%s added: %s", noun, plural, strings.Join(added, ", "))
	return l, true
}

// Loosenings names every way f's webhooks config is looser than the one
// in the file f was loaded from (or last saved as): what a save would
// loosen in the file that gets deployed. Without such a file (the
// embedded default, a file not yet written) the base is no webhooks key
// at all, that is the platform's defaults.
func (f *File) Loosenings() []Loosening {
	var base Webhooks
	if f.disk != nil {
		base = fileWebhooks(f.disk)
	}
	return Loosenings(base, f.Webhooks)
}

// fileWebhooks reads the webhooks key of langgraph.json text; a file that
// does not parse counts as having none.
func fileWebhooks(data []byte) Webhooks {
	doc, ok := decodeObject(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if !ok {
		return Webhooks{}
	}
	var f File
	if (parser{}).webhooks(&f, doc) != nil {
		return Webhooks{}
	}
	return f.Webhooks
}
