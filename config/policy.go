package config

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The platform's max_url_length defaults, without and with a webhooks.url object.
const (
	defaultMaxURLLengthAbsent  = 4096
	defaultMaxURLLengthPresent = 2048
)

// EffectivePolicy computes the URL policy in force for w, with the source of
// every value. It is a pure function of w. Domain entries are trimmed and
// lowercased here, as the platform does when it loads them.
func EffectivePolicy(w Webhooks) Policy {
	u := w.URL
	if u == nil {
		return Policy{
			MaxURLLength:      Setting[int]{defaultMaxURLLengthAbsent, SourceDefaultAbsent},
			DisableLoopback:   Setting[bool]{true, SourceDefaultAbsent},
			RequireHTTPS:      Setting[bool]{false, SourceDefaultAbsent},
			AllowedPorts:      Setting[[]int]{[]int{}, SourceDefaultAbsent},
			AllowedDomains:    Setting[[]string]{[]string{}, SourceDefaultAbsent},
			DisablePrivateIPs: Setting[bool]{false, SourceDefaultAbsent},
		}
	}
	p := Policy{
		MaxURLLength:      Setting[int]{defaultMaxURLLengthPresent, SourceDefaultPresent},
		DisableLoopback:   Setting[bool]{false, SourceDefaultPresent},
		RequireHTTPS:      Setting[bool]{true, SourceDefaultPresent},
		AllowedPorts:      Setting[[]int]{[]int{}, SourceDefaultPresent},
		AllowedDomains:    Setting[[]string]{[]string{}, SourceDefaultPresent},
		DisablePrivateIPs: Setting[bool]{false, SourceDefaultPresent},
	}
	if u.MaxURLLength != nil {
		p.MaxURLLength = Setting[int]{*u.MaxURLLength, SourceExplicit}
	}
	if u.DisableLoopback != nil {
		p.DisableLoopback = Setting[bool]{*u.DisableLoopback, SourceExplicit}
	}
	if u.RequireHTTPS != nil {
		p.RequireHTTPS = Setting[bool]{*u.RequireHTTPS, SourceExplicit}
	}
	if u.AllowedPorts != nil {
		p.AllowedPorts = Setting[[]int]{slices.Clone(u.AllowedPorts), SourceExplicit}
	}
	if u.AllowedDomains != nil {
		ds := make([]string, 0, len(u.AllowedDomains))
		for _, d := range u.AllowedDomains {
			ds = append(ds, strings.ToLower(strings.TrimSpace(d)))
		}
		p.AllowedDomains = Setting[[]string]{ds, SourceExplicit}
	}
	if u.DisablePrivateIPs != nil {
		p.DisablePrivateIPs = Setting[bool]{*u.DisablePrivateIPs, SourceExplicit}
	}
	return p
}

// decider accumulates the checks of one decision. With all set it keeps
// going after the first failure (Explain): later checks go to Rest and
// every failure to Failed.
type decider struct {
	d      Decision
	all    bool
	failed bool
}

// record puts c where it belongs: Checks up to the first failure, Rest after.
func (x *decider) record(c Check) {
	if x.failed {
		x.d.Rest = append(x.d.Rest, c)
		return
	}
	x.d.Checks = append(x.d.Checks, c)
}

// pass records a passed check.
func (x *decider) pass(rule string, value any, source, detail string) {
	x.record(Check{Rule: rule, Passed: true, Value: value, Source: source, Detail: detail})
}

// fail records a failing check and reports whether the decision ends
// here: always for Check (the first failure wins), never for Explain. The
// first failure is the decision's Rule, Message and Hint.
func (x *decider) fail(rule string, value any, source, detail, msg, hint string) (stop bool) {
	x.record(Check{Rule: rule, Passed: false, Value: value, Source: source, Detail: detail})
	if !x.failed {
		x.d.Allowed, x.d.Rule, x.d.Message, x.d.Hint = false, rule, msg, hint
	}
	if x.all {
		x.d.Failed = append(x.d.Failed, newFailure(rule, value, source, detail, msg, hint, !x.failed))
	}
	x.failed = true
	return !x.all
}

// Check runs the URL policy on raw, in order (see the package doc), stopping at the
// first failure. Every check that ran is recorded with the value in force
// and its source. Each setting is shown by exactly one check: loopback shows
// disable_loopback (for absolute URLs it is enforced by the address check),
// address shows disable_private_ips, hostname has no setting (SourceAlways).
// r resolves host names; nil means net.DefaultResolver.
//
// Beyond the platform: a URL that does not parse, or whose scheme is not
// http or https, fails the https rule ("Invalid webhook URL: ...", "Webhook
// URL scheme must be http or https"), and an out-of-range port fails the port
// rule ("Invalid webhook port '<p>'"), since neither could be delivered.
func (p Policy) Check(ctx context.Context, raw string, r Resolver) Decision {
	return p.decide(ctx, raw, CheckOptions{Resolver: r}, false)
}

// Explain is Check for a person asking why: the decision is the same
// (Allowed, Rule, Message, Hint and Checks are exactly Check's), and the
// checks the platform skips after its first failure run anyway, so Failed
// lists every check that fails (the platform's first, marked Reported)
// and Rest the checks after the first failure. With o.Offline host names
// are not resolved and AddressNotRun says the address check did not run.
// Only a URL that cannot be read further (relative, no host, not parsable)
// ends early.
func (p Policy) Explain(ctx context.Context, raw string, o CheckOptions) Decision {
	return p.decide(ctx, raw, o, true)
}

// decide is Check (all false) and Explain (all true).
func (p Policy) decide(ctx context.Context, raw string, o CheckOptions, all bool) Decision {
	x := &decider{d: Decision{URL: raw, Allowed: true, Checks: make([]Check, 0, 7)}, all: all}

	n := utf8.RuneCountInString(raw) // Python's len() counts characters
	limit := p.MaxURLLength
	if limit.Value > 0 && n > limit.Value {
		if x.fail(RuleLength, limit.Value, limit.Source, fmt.Sprintf("%d characters", n), "Webhook URL too long",
			fmt.Sprintf("shorten the URL or raise webhooks.url.max_url_length (now %d)", limit.Value)) {
			return x.d
		}
	} else {
		x.pass(RuleLength, limit.Value, limit.Source, fmt.Sprintf("%d characters", n))
	}

	lb := p.DisableLoopback
	if strings.HasPrefix(raw, "/") {
		// A relative URL is dispatched in-process: no later check applies.
		if lb.Value {
			x.fail(RuleLoopback, lb.Value, lb.Source, "relative URL", "Loopback webhooks are disabled", loopbackHint(lb.Source))
			return x.d
		}
		x.pass(RuleLoopback, lb.Value, lb.Source, "relative URL: dispatched in-process")
		x.d.Relative = x.d.Allowed // as Check, which stops at an earlier failure
		return x.d
	}
	x.pass(RuleLoopback, lb.Value, lb.Source, "absolute URL: loopback hosts are checked by the address rule")

	hs := p.RequireHTTPS
	scheme := leadingScheme(raw)
	httpsFailed := hs.Value && scheme != "https"
	if httpsFailed && x.fail(RuleHTTPS, hs.Value, hs.Source, "scheme "+strconv.Quote(scheme), "Webhook must use https", httpsHint(hs.Source)) {
		return x.d
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Go's parser refuses what the platform's urlparse lets through to
		// later checks (and what could not be sent anyway): the port is read
		// from the text, and the URL fails where it is at fault, port or
		// hostname, in the order of the checks.
		if !httpsFailed {
			x.pass(RuleHTTPS, hs.Value, hs.Source, "scheme "+scheme)
		}
		ps, _ := badPort(err)
		if ps == "" {
			ps = rawPort(raw)
		}
		if p.checkPort(x, scheme, ps) {
			return x.d
		}
		x.fail(RuleHostname, "", SourceAlways, "", "Invalid webhook URL: "+urlErr(err),
			"write an absolute http:// or https:// URL, or a path starting with /")
		return x.d
	}
	switch {
	case httpsFailed:
	case u.Scheme != "http" && u.Scheme != "https" && u.Host != "":
		// A URL without a host (mailto:, "example.com/hook") fails the
		// hostname check below, as on the platform.
		if x.fail(RuleHTTPS, hs.Value, hs.Source, "scheme "+strconv.Quote(u.Scheme), "Webhook URL scheme must be http or https",
			"write an absolute http:// or https:// URL, or a path starting with /") {
			return x.d
		}
	default:
		x.pass(RuleHTTPS, hs.Value, hs.Source, "scheme "+u.Scheme)
	}
	if p.checkPort(x, u.Scheme, u.Port()) {
		return x.d
	}

	host := normHost(u.Hostname())
	if host == "" {
		x.fail(RuleHostname, u.Hostname(), SourceAlways, "", fmt.Sprintf("Invalid webhook hostname '%s'", u.Hostname()),
			"give the URL a host name, e.g. https://hooks.example.com/path")
		return x.d
	}
	x.pass(RuleHostname, host, SourceAlways, "")

	doms := p.AllowedDomains
	if len(doms.Value) > 0 && !domainAllowed(host, doms.Value) {
		if x.fail(RuleDomain, doms.Value, doms.Source, "host "+host, "Webhook domain not allowed",
			fmt.Sprintf("add %q (or a *.parent wildcard) to webhooks.url.allowed_domains", host)) {
			return x.d
		}
	} else {
		x.pass(RuleDomain, doms.Value, doms.Source, "host "+host)
	}

	if o.Offline && p.needsLookup(host) {
		pv := p.DisablePrivateIPs
		x.record(Check{Rule: RuleAddress, Passed: true, Value: pv.Value, Source: pv.Source,
			Detail: "not run: offline, " + host + " was not resolved"})
		x.d.AddressNotRun = true
		return x.d
	}
	addrs, reason, hint, ok := p.checkHost(ctx, host, o.Resolver)
	pv := p.addressSetting(reason)
	if !ok {
		msg := "Webhook host blocked: " + reason
		if reason == "" {
			msg = "Failed to resolve webhook host"
		}
		x.fail(RuleAddress, pv.Value, pv.Source, addrs, msg, hint)
		return x.d
	}
	x.pass(RuleAddress, pv.Value, pv.Source, addrs)
	return x.d
}

// checkPort runs the port rule on the port text of a URL ("" for the
// scheme's default) and reports whether the decision ends here.
func (p Policy) checkPort(x *decider, scheme, ps string) (stop bool) {
	ports := p.AllowedPorts
	port := 80
	if scheme == "https" {
		port = 443
	}
	if ps != "" {
		v, err := strconv.ParseUint(ps, 10, 16) // digits only: no sign
		if err != nil || v == 0 {
			return x.fail(RulePort, ports.Value, ports.Source, "port "+ps, fmt.Sprintf("Invalid webhook port '%s'", ps),
				"use a port between 1 and 65535")
		}
		port = int(v)
	}
	if len(ports.Value) > 0 && !slices.Contains(ports.Value, port) {
		return x.fail(RulePort, ports.Value, ports.Source, fmt.Sprintf("port %d", port), fmt.Sprintf("Webhook port %d not allowed", port),
			fmt.Sprintf("use one of the ports in webhooks.url.allowed_ports, or add %d to it", port))
	}
	x.pass(RulePort, ports.Value, ports.Source, fmt.Sprintf("port %d", port))
	return false
}

// rawPort reads the port text of a URL Go could not parse, as urlparse
// would: after the last colon of the authority, past any [IPv6] literal.
func rawPort(raw string) string {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		_, rest, _ = strings.Cut(rest, "]") // no "]": no port to read
	}
	_, ps, _ := strings.Cut(rest, ":")
	return ps
}

// relabel renames one source: values the embedded default sets are not the
// user's explicit choice, and the decision should not say they are.
func (p Policy) relabel(from, to string) Policy {
	for _, src := range []*string{&p.MaxURLLength.Source, &p.DisableLoopback.Source, &p.RequireHTTPS.Source,
		&p.AllowedPorts.Source, &p.AllowedDomains.Source, &p.DisablePrivateIPs.Source} {
		if *src == from {
			*src = to
		}
	}
	return p
}

// addressSetting is the setting a refusal of the address check comes from,
// so the decision shows the value that said no: disable_loopback for
// loopback hosts, nothing for metadata addresses (always blocked), and
// disable_private_ips otherwise.
func (p Policy) addressSetting(reason string) Setting[bool] {
	switch p.addressSettingName(reason) {
	case "disable_loopback":
		return p.DisableLoopback
	case "":
		return Setting[bool]{Value: true, Source: SourceAlways}
	}
	return p.DisablePrivateIPs
}

// addressSettingName names the setting of addressSetting ("" for the
// metadata addresses, which no setting allows).
func (Policy) addressSettingName(reason string) string {
	switch {
	case strings.HasPrefix(reason, "loopback"), strings.HasPrefix(reason, "unspecified"):
		return "disable_loopback"
	case strings.HasPrefix(reason, "cloud metadata"):
		return ""
	}
	return "disable_private_ips"
}

// normHost lowercases a host and drops one trailing dot, so "API.Example.COM."
// is the same host as "api.example.com" for every later rule.
func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// domainAllowed matches host against normalized allowed_domains entries:
// "*.example.com" matches any depth of subdomain but not example.com itself.
func domainAllowed(host string, domains []string) bool {
	for _, d := range domains {
		d = strings.TrimSuffix(d, ".")
		if rest, ok := strings.CutPrefix(d, "*."); ok {
			// Entries are validated at load, but a Policy built by hand must
			// not turn "*." into "match everything".
			if rest != "" && strings.HasSuffix(host, "."+rest) {
				return true
			}
			continue
		}
		if host == d {
			return true
		}
	}
	return false
}

// leadingScheme is raw's scheme, lowercased, as Python's urlparse reads it
// (RFC 3986 letters before the first colon), or "" when there is none. The
// https check reads it before parsing, so a URL Go cannot parse still fails
// that check first when it is not https.
func leadingScheme(raw string) string {
	i := strings.IndexByte(raw, ':')
	if i <= 0 {
		return ""
	}
	for j, c := range raw[:i] {
		letter := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !letter && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return ""
		}
	}
	return strings.ToLower(raw[:i])
}

// badPort reports the port text when err is url.Parse refusing a port.
func badPort(err error) (string, bool) {
	msg := urlErr(err)
	q, ok := strings.CutPrefix(msg, "invalid port ")
	if !ok {
		return "", false
	}
	q, _, _ = strings.Cut(q, " after host")
	if uq, err := strconv.Unquote(q); err == nil {
		q = uq
	}
	return strings.TrimPrefix(q, ":"), true
}

// urlErr shortens a *url.Error to its reason, which is what a user needs.
func urlErr(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// loopbackHint explains how to allow loopback, naming the default in force.
func loopbackHint(source string) string {
	if source == SourceDefaultAbsent {
		return `set webhooks.url.disable_loopback to false in langgraph.json (without a webhooks.url object the platform blocks loopback)`
	}
	return "set webhooks.url.disable_loopback to false in langgraph.json"
}

// httpsHint explains how to allow plain http, naming the default in force.
func httpsHint(source string) string {
	if source == SourceDefaultPresent {
		return "use an https:// URL, or set webhooks.url.require_https to false (it defaults to true once webhooks.url is present)"
	}
	return "use an https:// URL, or set webhooks.url.require_https to false"
}
