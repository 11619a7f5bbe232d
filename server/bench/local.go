package bench

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// Local is an in-process hooklab wired the way `hooklab dev` wires it
// (embedded default config, file store with history on, hub, sender),
// serving on a loopback port. It is the default bench target and what the
// Go benchmarks load.
type Local struct {
	URL string // http://127.0.0.1:port

	dir     string // removed by Close when Local made it
	tempDir bool
	events  *hub.Hub
	st      *store.Store
	snd     *sender.Sender
	srv     *server.Server
	http    *http.Server
	cancel  context.CancelFunc
}

// StartLocal starts an in-process hooklab whose store lives in dir
// (dir/hooklab.db). With dir "", it makes a temporary directory and
// removes it on Close; with dir ":memory:", the store is in memory (to
// measure what the disk costs).
func StartLocal(dir string) (*Local, error) {
	l := &Local{dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "hooklab-bench-")
		if err != nil {
			return nil, err
		}
		l.dir, l.tempDir = d, true
	}
	if err := l.start(); err != nil {
		l.Close(context.Background())
		return nil, err
	}
	return l, nil
}

func (l *Local) start() error {
	// The bench measures the server, not a process environment: header
	// templates see no variables.
	noEnv := func(string) (string, bool) { return "", false }
	rt, err := config.Resolve(config.Default(), noEnv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	l.events = hub.New()
	path := filepath.Join(l.dir, "hooklab.db")
	if l.dir == ":memory:" {
		path = l.dir
	}
	l.st, err = store.Open(path, store.Options{Publish: l.events.Publish, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var srv *server.Server
	l.snd = sender.New(sender.Options{
		Recorder: l.st, Runtime: func() *config.Runtime { return srv.Runtime() },
		Version: "bench", Logger: logger,
	})
	srv, err = server.New(server.Options{
		Store: l.st, Hub: l.events, Sender: l.snd, Runtime: rt, LookupEnv: noEnv,
		Version: "bench", Addr: ln.Addr().String(), Logger: logger,
	})
	if err != nil {
		ln.Close()
		return err
	}
	l.srv = srv
	l.snd.SetLocal(srv.Handler())
	l.http = &http.Server{
		Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go l.http.Serve(ln)
	var ctx context.Context
	ctx, l.cancel = context.WithCancel(context.Background())
	if err := l.snd.Start(ctx); err != nil {
		return err
	}
	srv.Start()
	l.URL = "http://" + ln.Addr().String()
	return nil
}

// Store is the in-process hooklab's store (for its writer statistics).
func (l *Local) Store() *store.Store { return l.st }

// Close stops serving, lets runs and deliveries wind down until ctx ends,
// closes the store and removes a temporary directory.
func (l *Local) Close(ctx context.Context) error {
	var errs []error
	if l.http != nil {
		errs = append(errs, l.http.Shutdown(ctx))
	}
	if l.srv != nil {
		errs = append(errs, l.srv.Close(ctx))
	}
	if l.snd != nil {
		errs = append(errs, l.snd.Close(ctx))
	}
	if l.cancel != nil {
		l.cancel()
	}
	if l.st != nil {
		errs = append(errs, l.st.Close())
	}
	if l.events != nil {
		l.events.Close()
	}
	if l.tempDir {
		errs = append(errs, os.RemoveAll(l.dir))
	}
	return errors.Join(errs...)
}
