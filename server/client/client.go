// Package client talks to a running hooklab over its /hooklab/ API and
// websocket feed: the CLI's history and replay, and the dashboard of
// `hooklab attach`.
package client

import (
	"context"
	"io"
)

// STUB until the client lands.

// HistoryCommand is `hooklab history`.
func HistoryCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int { return 2 }

// ReplayCommand is `hooklab replay`.
func ReplayCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int { return 2 }

// Client is a connection to a running hooklab.
type Client struct{}

// New returns a client for the hooklab at target (ws:// feed URL or http:// base).
func New(target string) (*Client, error) { return &Client{}, nil }

// Ping checks that the hooklab answers.
func (c *Client) Ping(ctx context.Context) error { return nil }

// Err is the error that ended the feed, if any.
func (c *Client) Err() error { return nil }
