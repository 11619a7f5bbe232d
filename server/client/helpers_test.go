package client

import (
	"io"
	"net"
	"sync"
	"testing"

	"hooklab/server/servertest"
)

// The shared helpers, under the names these tests use.
const (
	pollFor = servertest.PollFor
	secret  = servertest.Secret
)

type (
	lab      = servertest.Lab
	receiver = servertest.Receiver
)

var (
	startLab      = servertest.StartLab
	newReceiver   = servertest.NewReceiver
	postJSON      = servertest.PostJSON
	withoutSentAt = servertest.WithoutSentAt
	secretEnv     = servertest.SecretEnv
	noEnv         = servertest.NoEnv
	secretConfig  = servertest.SecretConfig
	runCurl       = servertest.RunCurl
)

// proxy forwards TCP to a target and can cut every connection, so tests
// can break the websocket feed the way a network would.
type proxy struct {
	Addr   string
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	target string
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{Addr: ln.Addr().String(), ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			to := p.target
			p.mu.Unlock()
			u, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

// switchTo sends new connections to target.
func (p *proxy) switchTo(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// cut closes every connection made so far.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
