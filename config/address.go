package config

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// classify names the special range ip (already unmapped, zone-less) is in,
// and whether disable_private_ips (rather than disable_loopback) governs it.
// It uses no tables so the sender's dial hook pays nothing for it.
func classify(ip netip.Addr) (reason string, private bool) {
	switch {
	case ip.IsLoopback():
		return "loopback address", false
	case ip.IsPrivate() && ip.Is4():
		return "private address", true
	case ip.IsPrivate():
		return "unique-local address", true
	case ip.IsLinkLocalUnicast():
		return "link-local address", true
	case ip.Is4() && ip.As4()[0] == 100 && ip.As4()[1]&0xc0 == 64:
		return "CGNAT address", true
	}
	return "", false
}

// isMetadata reports the cloud metadata addresses (AWS, GCP, Azure use
// 169.254.169.254; AWS IPv6 uses fd00:ec2::254).
func isMetadata(ip netip.Addr) bool {
	return ip == netip.AddrFrom4([4]byte{169, 254, 169, 254}) ||
		ip == netip.AddrFrom16([16]byte{0xfd, 0x00, 0x0e, 0xc2, 14: 0x02, 15: 0x54})
}

// BlockedAddr reports whether the address check refuses ip, and why, e.g.
// "loopback address 127.0.0.1". IPv4-mapped IPv6 addresses are judged as the
// IPv4 address they carry. Cloud metadata addresses are always refused. With
// disable_loopback the unspecified addresses (0.0.0.0, ::) are refused too:
// dialling them reaches the local host. The sender calls this from its
// net.Dialer Control hook on the address actually dialled.
func (p Policy) BlockedAddr(ip netip.Addr) (reason string, blocked bool) {
	if !ip.IsValid() {
		return "invalid address", true
	}
	orig := ip // reasons show the address as given, e.g. ::ffff:127.0.0.1
	ip = ip.WithZone("").Unmap()
	if v4, ok := embeddedIPv4(ip); ok {
		// NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d) addresses
		// reach the IPv4 address they carry: judge that one.
		if why, blocked := p.BlockedAddr(v4); blocked {
			why, _, _ = strings.Cut(why, " "+v4.String())
			return why + " " + orig.String(), true
		}
	}
	if isMetadata(ip) {
		return "cloud metadata address " + orig.String(), true
	}
	if p.DisableLoopback.Value && ip.IsUnspecified() {
		return "unspecified address " + orig.String(), true
	}
	if why, private := classify(ip); why != "" {
		if private && p.DisablePrivateIPs.Value || !private && p.DisableLoopback.Value {
			return why + " " + orig.String(), true
		}
	}
	return "", false
}

// embeddedIPv4 is the IPv4 address inside a NAT64 well-known-prefix or
// IPv4-compatible IPv6 address (:: and ::1 excluded: they are their own).
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	nat64 := [12]byte{0x00, 0x64, 0xff, 0x9b}
	compat := [12]byte{}
	if [12]byte(b[:12]) != nat64 && ([12]byte(b[:12]) != compat || b[12] == 0 && b[13] == 0 && b[14] == 0) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(b[12:])), true
}

// checkHost runs the address rule on a normalized host name. detail lists
// the addresses judged; reason is "" with ok false when the name does not
// resolve.
func (p Policy) checkHost(ctx context.Context, host string, r Resolver) (detail, reason, hint string, ok bool) {
	if p.DisableLoopback.Value && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		// RFC 6761: localhost names are loopback whatever DNS says.
		return "host " + host, "loopback host " + host, p.addrHint("loopback address"), false
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
		detail = "IP literal " + ip.String()
	} else if ip, ok := inetAton(host); ok {
		addrs = []netip.Addr{ip}
		detail = "IP literal " + ip.String() + " (written " + host + ")"
	} else {
		if r == nil {
			r = net.DefaultResolver
		}
		res, err := r.LookupNetIP(ctx, "ip", host)
		if err != nil || len(res) == 0 {
			return "host " + host, "", "check the host name, DNS and network; the name must resolve when the run is created", false
		}
		addrs = res
		parts := make([]string, len(res))
		for i, a := range res {
			parts[i] = a.String()
		}
		detail = "resolved to " + strings.Join(parts, ", ")
	}
	for _, a := range addrs {
		if why, bad := p.BlockedAddr(a); bad {
			return detail, why, p.addrHint(why), false
		}
	}
	return detail, "", "", true
}

// addrHint says which setting allows an address, if any does.
func (p Policy) addrHint(reason string) string {
	switch {
	case strings.HasPrefix(reason, "cloud metadata"):
		return "cloud metadata addresses are always blocked"
	case strings.HasPrefix(reason, "loopback"), strings.HasPrefix(reason, "unspecified"):
		return loopbackHint(p.DisableLoopback.Source)
	default:
		return "set webhooks.url.disable_private_ips to false in langgraph.json"
	}
}

// inetAton parses the legacy IPv4 spellings that getaddrinfo (and so the
// platform) accepts and Go's resolver does not: one to four dot-separated
// parts, each decimal, octal (leading 0) or hex (0x), the last filling the
// remaining bytes: "127.1", "0x7f.0.0.1", "2852039166". Without it the
// address check would call http://2852039166/ unresolvable instead of
// naming it the metadata address it is.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v [4]uint64
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		n, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		v[i] = n
	}
	last := len(parts) - 1
	var out uint64
	for i := range last {
		if v[i] > 0xff {
			return netip.Addr{}, false
		}
		out |= v[i] << (24 - 8*i)
	}
	if v[last] >= 1<<(32-8*last) {
		return netip.Addr{}, false
	}
	out |= v[last]
	return netip.AddrFrom4([4]byte{byte(out >> 24), byte(out >> 16), byte(out >> 8), byte(out)}), true
}
