package sender

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

var (
	errTooManyRedirects = fmt.Errorf("stopped after %d redirects (a redirect loop?)", maxRedirects)
	errRedirectRefused  = errors.New("redirect refused by the URL policy")
)

// errText turns a transport error into the text an attempt records: what
// went wrong in words a person reading the dashboard understands, with the
// limit that was hit, not Go's wrapped "Post \"url\": read tcp ...".
//
// Every error that reaches here is retried (timeouts, network and TLS
// errors alike): the platform's HTTP client raises TLS failures as
// connection errors, and it retries every connection error.
func (s *Sender) errText(actx context.Context, err error) string {
	var (
		op  *net.OpError
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
	)
	switch {
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("timeout after %s (whole request)", s.o.Timeout)
	case errors.As(err, &op) && op.Op == "dial" && op.Timeout():
		return fmt.Sprintf("connect timeout after %s", s.o.ConnectTimeout)
	case strings.Contains(err.Error(), "TLS handshake timeout"):
		// net/http's own error type for this is unexported.
		return fmt.Sprintf("TLS: handshake timeout after %s", s.o.ConnectTimeout)
	case strings.Contains(err.Error(), "server response headers exceeded"):
		return fmt.Sprintf("response headers larger than %d MiB (stopped reading them)", maxResponseHeader>>20)
	case errors.As(err, &cve):
		return "TLS: " + cve.Err.Error()
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http's wording of a tls.RecordHeaderError that looks like HTTP.
		return "TLS: first record does not look like a TLS handshake (the receiver answered plain HTTP to an https URL)"
	case errors.As(err, &rhe):
		return "TLS: " + rhe.Msg + " (is the receiver speaking TLS on this port?)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return "connection closed by the receiver while the request was being sent (broken pipe)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the receiver before a complete response"
	}
	msg := unwrapURLError(err).Error()
	var tlsAlert tls.AlertError
	if errors.As(err, &tlsAlert) || strings.HasPrefix(msg, "tls: ") || strings.HasPrefix(msg, "remote error: tls: ") {
		return "TLS: " + strings.TrimPrefix(msg, "tls: ")
	}
	return msg
}

// unwrapURLError drops the "Post \"url\": " prefix: the URL is recorded already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
