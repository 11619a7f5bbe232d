package cli

import (
	"bytes"
	"context"
	"testing"
	"time"

	"hooklab/server/servertest"
)

// The shared helpers, under the names these tests use.
const (
	pollFor = servertest.PollFor
	secret  = servertest.Secret
)

var (
	startLab      = servertest.StartLab
	newReceiver   = servertest.NewReceiver
	withoutSentAt = servertest.WithoutSentAt
	secretEnv     = servertest.SecretEnv
	noEnv         = servertest.NoEnv
	secretConfig  = servertest.SecretConfig
	runCurl       = servertest.RunCurl
)

// run runs hooklab with args, the environment getenv and the resolver
// res (nil: the system's), bounded in time, and returns its exit code and
// output.
func run(t testing.TB, getenv func(string) (string, bool), res interface{}, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	o := Options{Version: "0.1.0", LookupEnv: getenv, Stdout: &out, Stderr: &errb}
	if r, ok := res.(fakeResolver); ok {
		o.Resolver = r
	}
	code := Run(ctx, args, o)
	return code, out.String(), errb.String()
}

// history runs `hooklab history` and returns its exit code and output.
func history(t *testing.T, getenv func(string) (string, bool), args ...string) (int, string, string) {
	t.Helper()
	return run(t, getenv, nil, append([]string{"history"}, args...)...)
}

// replay runs `hooklab replay` and returns its exit code and output.
func replay(t *testing.T, getenv func(string) (string, bool), args ...string) (int, string, string) {
	t.Helper()
	return run(t, getenv, nil, append([]string{"replay"}, args...)...)
}
