package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// lockFile is <store>.lock, held with an exclusive flock for the life of a
// writable Store. The kernel drops the lock when the process dies (even by
// kill -9), so a stale file never blocks a restart. Its content names the
// owner so a second hooklab can say who holds the store and reach it.
type lockFile struct {
	f    *os.File
	path string
}

// owner is the JSON content of a lock file.
type owner struct {
	PID  int    `json:"pid"`
	Addr string `json:"addr,omitempty"`
}

// acquireLock takes the lock of the store at dbPath, or says who holds it.
func acquireLock(dbPath string) (*lockFile, error) {
	path := dbPath + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		o, _ := readOwner(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another process"
			if o.PID != 0 {
				who = fmt.Sprintf("hooklab pid %d", o.PID)
			}
			if o.Addr != "" {
				who += " serving " + o.Addr
			}
			return nil, fmt.Errorf("%w: %s is held by %s; stop it, read it with `hooklab history`, or pass --store with another path",
				ErrLocked, dbPath, who)
		}
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	l := &lockFile{f: f, path: path}
	if err := l.write(owner{PID: os.Getpid()}); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

// write replaces the lock file's content with o.
func (l *lockFile) write(o owner) error {
	b, _ := json.Marshal(o)
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("store: lock %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("store: lock %s: %w", l.path, err)
	}
	return nil
}

// release empties the file (the owner is gone) and drops the lock. The
// file itself stays: removing it would race with a process about to lock it.
func (l *lockFile) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// readOwner parses the lock file's content; a zero owner when it has none.
func readOwner(f *os.File) (owner, error) {
	var o owner
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	if err != nil {
		return o, err
	}
	if len(b) == 0 {
		return o, nil
	}
	err = json.Unmarshal(b, &o)
	return o, err
}

// OwnerAddr returns the address of the running hooklab that owns the store at path, if any.
// It reports false when no live process holds the store's lock, even if a
// crashed one left its address behind.
func OwnerAddr(path string) (string, bool) {
	if path == "" || path == ":memory:" {
		return "", false
	}
	abs, err := pathOf(path)
	if err != nil {
		return "", false
	}
	f, err := os.Open(abs + ".lock")
	if err != nil {
		return "", false
	}
	defer f.Close()
	if !held(f) {
		return "", false // whatever the file says is stale
	}
	o, err := readOwner(f)
	if err != nil || o.Addr == "" {
		return "", false
	}
	return o.Addr, true
}

// held reports whether a live process holds the lock file f.
func held(f *os.File) bool {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return true
}

// lockHeld reports whether a live process holds the lock of the database
// at abs.
func lockHeld(abs string) bool {
	f, err := os.Open(abs + ".lock")
	if err != nil {
		return false
	}
	defer f.Close()
	return held(f)
}

// SetOwnerAddr records the address this process serves the store on.
// ServedAddr reports it back in this process, for any store.
func (s *Store) SetOwnerAddr(addr string) error {
	s.served.Store(&addr)
	if s.lock == nil {
		if s.memory {
			return nil
		}
		return ErrReadOnly
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrClosed
	}
	return s.lock.write(owner{PID: os.Getpid(), Addr: addr})
}

// ServedAddr is the address given to SetOwnerAddr: where the hooklab
// recording into this store serves its API (and so where a relative
// webhook URL it sent went); "" until it is set.
func (s *Store) ServedAddr() string {
	if p := s.served.Load(); p != nil {
		return *p
	}
	return ""
}
