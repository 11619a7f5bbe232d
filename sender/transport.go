package sender

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// blockedError is the address check refusing the address actually dialled.
type blockedError struct{ reason string }

func (e *blockedError) Error() string {
	return "Webhook host blocked: " + e.reason + " (checked at dial)"
}

var errNoLocal = errors.New("relative webhook URL but no local handler is set")

// newTransport builds the one shared transport: keep-alives on (load tests
// hit one receiver hard), no proxy from the environment (a proxy would dial
// instead of us and defeat the address check), and a dialer whose Control
// hook runs the policy's address check on every address it connects to.
func (s *Sender) newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           s.dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   s.o.ConnectTimeout,
		ExpectContinueTimeout: time.Second,
		// Go's default allows 10 MiB of response headers, all held in
		// memory; a receiver has no business sending more than 1 MiB.
		MaxResponseHeaderBytes: maxResponseHeader,
	}
}

func (s *Sender) dialer() *net.Dialer {
	return &net.Dialer{Timeout: s.o.ConnectTimeout, KeepAlive: 30 * time.Second, Control: s.control}
}

// control runs just before connect(2), on the resolved address, so a name
// that resolved to an allowed address at check time but to a blocked one
// now (DNS rebinding) is still refused.
func (s *Sender) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("unexpected dial address %q", address)
	}
	if reason, blocked := s.runtime().Policy.BlockedAddr(ap.Addr().Unmap()); blocked {
		return &blockedError{reason: reason}
	}
	return nil
}

// dial resolves through Options.Resolver when one is set (tests, or a
// custom DNS), then dials the addresses in turn; otherwise net.Dialer does
// both. Either way control sees every address.
func (s *Sender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := s.dialer()
	if s.o.Resolver == nil {
		return d.DialContext(ctx, network, addr)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return d.DialContext(ctx, network, addr)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("invalid port %q", portStr)
	}
	ips, err := s.o.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("Failed to resolve webhook host: %w", err)}
	}
	if len(ips) == 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("Failed to resolve webhook host")}
	}
	var first error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, netip.AddrPortFrom(ip.Unmap(), uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		var b *blockedError
		if errors.As(err, &b) || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, first
}

// router sends requests for the in-process pseudo host to the local
// handler and everything else through the shared transport.
type router struct{ s *Sender }

// RoundTrip implements http.RoundTripper.
func (r *router) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != localURLHost {
		return r.s.transport.RoundTrip(req)
	}
	h := r.s.localHandler()
	if h == nil {
		return nil, errNoLocal
	}
	return serveLocal(h, req)
}

// serveLocal runs req through h on its own goroutine and captures the
// answer like an httptest recorder would. The attempt's deadline applies:
// if ctx ends first the attempt times out (the handler is expected to
// notice its request context) rather than holding the worker.
func serveLocal(h http.Handler, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	sreq := req.Clone(ctx)
	sreq.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	sreq.RequestURI = req.URL.RequestURI()
	sreq.Host = localURLHost
	sreq.RemoteAddr = "127.0.0.1:0"
	sreq.Proto, sreq.ProtoMajor, sreq.ProtoMinor = "HTTP/1.1", 1, 1
	if req.Body == nil {
		sreq.Body = http.NoBody
	}
	rec := &recorder{header: make(http.Header), trace: httptrace.ContextClientTrace(ctx)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				rec.panicked = fmt.Sprint(p)
			}
		}()
		h.ServeHTTP(rec, sreq)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if rec.panicked != "" {
		return nil, fmt.Errorf("local handler panicked: %s", rec.panicked)
	}
	rec.WriteHeader(http.StatusOK) // no-op when the handler wrote a status
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", rec.code, http.StatusText(rec.code)),
		StatusCode:    rec.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.sent,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is a minimal http.ResponseWriter that keeps the status, the
// headers as of WriteHeader and the first maxCapture+1 bytes of the body.
type recorder struct {
	header   http.Header
	sent     http.Header
	code     int
	body     bytes.Buffer
	trace    *httptrace.ClientTrace
	panicked string
}

// Header implements http.ResponseWriter.
func (r *recorder) Header() http.Header { return r.header }

// WriteHeader implements http.ResponseWriter.
func (r *recorder) WriteHeader(code int) {
	if r.code != 0 {
		return
	}
	r.code = code
	r.sent = r.header.Clone()
	if r.trace != nil && r.trace.GotFirstResponseByte != nil {
		r.trace.GotFirstResponseByte()
	}
}

// Write implements http.ResponseWriter.
func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if room := maxCapture + 1 - r.body.Len(); room > 0 {
		r.body.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Flush implements http.Flusher; everything is buffered anyway.
func (r *recorder) Flush() { r.WriteHeader(http.StatusOK) }

// tracer splits an attempt's time with httptrace. Hooks can fire from
// several goroutines (happy eyeballs), hence the mutex.
type tracer struct {
	mu        sync.Mutex
	start     time.Time
	dialStart time.Time
	tlsStart  time.Time
	dial, tls time.Duration
	firstByte time.Duration
}

func newTracer() *tracer { return &tracer{start: time.Now()} }

func (t *tracer) attach(ctx context.Context) context.Context {
	markDial := func() {
		t.mu.Lock()
		if t.dialStart.IsZero() {
			t.dialStart = time.Now()
		}
		t.mu.Unlock()
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart:     func(httptrace.DNSStartInfo) { markDial() },
		ConnectStart: func(string, string) { markDial() },
		ConnectDone: func(string, string, error) {
			t.mu.Lock()
			if !t.dialStart.IsZero() {
				t.dial += time.Since(t.dialStart)
				t.dialStart = time.Time{}
			}
			t.mu.Unlock()
		},
		TLSHandshakeStart: func() {
			t.mu.Lock()
			t.tlsStart = time.Now()
			t.mu.Unlock()
		},
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			t.mu.Lock()
			if !t.tlsStart.IsZero() {
				t.tls += time.Since(t.tlsStart)
				t.tlsStart = time.Time{}
			}
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			t.mu.Lock()
			t.firstByte = time.Since(t.start) // the last hop's, after redirects
			t.mu.Unlock()
		},
	})
}

func (t *tracer) timing() Timing {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Timing{
		DialMS:      ms(t.dial),
		TLSMS:       ms(t.tls),
		FirstByteMS: ms(t.firstByte),
		TotalMS:     ms(time.Since(t.start)),
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
