package cli

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/client"
	"hooklab/server/hub"
)

// tokenFlagUsage is the help of --token on the client commands.
const tokenFlagUsage = "the token of a hooklab listening beyond loopback (default $" + client.TokenEnv + ")"

// addTokenFlag gives a client command --token. The command reads the
// token as it reads $HOOKLAB_TOKEN, and the flag wins.
func addTokenFlag(cmd *cobra.Command, o *Options) {
	var token string
	cmd.Flags().StringVar(&token, "token", "", tokenFlagUsage)
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if token != "" {
			if err := checkToken(token); err != nil {
				return usagef("hooklab %s: --token: %v", c.Name(), err)
			}
			lookup := o.LookupEnv
			o.LookupEnv = func(k string) (string, bool) {
				if k == client.TokenEnv {
					return token, true
				}
				return lookup(k)
			}
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// checkToken refuses a token that cannot travel in a header.
func checkToken(t string) error {
	if t == "" {
		return fmt.Errorf("must not be empty")
	}
	for _, r := range t {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("use printable ASCII without spaces (got %q)", t)
		}
	}
	return nil
}

// checkAllowHost validates a --allow-host value: a host name, or
// .example.com for the name and its subdomains.
func checkAllowHost(name string) error {
	const fix = "give a host name such as hooklab.internal, or .example.com for a domain and its subdomains"
	n := strings.TrimSpace(name)
	switch {
	case n == "" || n == ".":
		return fmt.Errorf("--allow-host %q: empty; %s", name, fix)
	case strings.Contains(n, "://") || strings.ContainsAny(n, "/ \t*@"):
		return fmt.Errorf("--allow-host %q: not a host name; %s", name, fix)
	}
	if _, err := netip.ParseAddr(strings.Trim(n, "[]")); err == nil {
		return fmt.Errorf("--allow-host %q: IP addresses are always allowed; %s", name, fix)
	}
	if strings.Contains(n, ":") {
		return fmt.Errorf("--allow-host %q: give the name without a port; %s", name, fix)
	}
	return nil
}

// devToken checks --allow-host and returns the token `hooklab dev`
// requires: --token, else $HOOKLAB_TOKEN, else none (Open generates one
// when the address is beyond loopback).
func (f *devFlags) devToken(o *Options) (string, error) {
	for _, h := range f.allowHosts {
		if err := checkAllowHost(h); err != nil {
			return "", usagef("hooklab dev: %v", err)
		}
	}
	t := f.token
	if t == "" {
		t = client.EnvToken(o.LookupEnv)
	}
	if t == "" {
		return "", nil
	}
	if err := checkToken(t); err != nil {
		return "", usagef("hooklab dev: --token: %v", err)
	}
	return t, nil
}

// warnExposed tells the user that hooklab listens beyond loopback, and
// what its own API requires; addr is --addr as given, given the token
// from --token or the environment ("" when Open generated one). The
// dashboard and the feed get the warning as a notice, with the token
// masked.
func warnExposed(stderr io.Writer, app *server.App, addr, given string) {
	if !app.Exposed {
		return
	}
	where := listenLabel(addr, app.Addr)
	fmt.Fprintf(stderr, "hooklab: warning: listening on %s, beyond loopback: whoever can reach it can use the LangGraph API\n", where)
	if given == "" {
		fmt.Fprintf(stderr, "hooklab: hooklab's own API (/hooklab/) requires this token: %s\n"+
			"hooklab: (give it to hooklab attach, history and replay with --token or $%s)\n", app.Token, client.TokenEnv)
	} else {
		fmt.Fprintf(stderr, "hooklab: hooklab's own API (/hooklab/) requires the token given with --token or $%s\n", client.TokenEnv)
	}
	app.Store.Append(hub.KindNotice, hub.NoticeInfo{Level: "warn", Text: fmt.Sprintf(
		"listening on %s, beyond loopback: the LangGraph API is open to whoever can reach it; /hooklab/ requires the token %s",
		where, config.Mask(app.Token))})
}

// listenLabel names the address served as the user gave it, with the port
// chosen: 0.0.0.0:2024 reads as what was typed, not as [::]:2024.
func listenLabel(given, served string) string {
	host, _, err := net.SplitHostPort(given)
	_, port, err2 := net.SplitHostPort(served)
	if err != nil || err2 != nil {
		return served
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return net.JoinHostPort(host, port) + " (every interface)"
	}
	return net.JoinHostPort(host, port)
}
