package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/quanteval/quanteval/redact"
)

const waitUsage = `usage: quanteval wait URL... [--timeout D] [--interval D]

Waits until a GET of every URL answers 200 (a server's health path, e.g.
http://HOST:8000/health), polling each every --interval, and fails (exit 1) when
--timeout passes first. The Jobs of 'matrix --emit kubernetes' run it as an init
container, so that an eval starts only once its servers are ready, whatever order
the manifests were applied in.

flags:
`

func cmdWait(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("wait", waitUsage, stderr)
	timeout := fs.Duration("timeout", time.Hour, "give up after `D`")
	interval := fs.Duration("interval", 5*time.Second, "poll every `D`")
	urls, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usagef("wait: %w", err)
	}
	if len(urls) == 0 {
		fs.Usage()
		return usagef("wait: no URL")
	}
	if *timeout <= 0 || *interval <= 0 {
		return usagef("wait: --timeout and --interval must be more than 0")
	}
	for _, u := range urls {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return usagef("wait: %q: want http://HOST:PORT/PATH", redact.URL(u))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	for _, u := range urls {
		if err := waitFor(ctx, u, *interval); err != nil {
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("wait: %s not ready after %s: %w", redact.URL(u), *timeout, err)
			}
			return fmt.Errorf("wait: %s: %w", redact.URL(u), err)
		}
		if _, err := fmt.Fprintf(stdout, "ready: %s\n", redact.URL(u)); err != nil {
			return err
		}
	}
	return nil
}

// waitFor polls u until it answers 200 or ctx ends; the error is ctx's, with the
// last poll's failure.
func waitFor(ctx context.Context, u string, interval time.Duration) error {
	client := &http.Client{Timeout: min(interval, 10*time.Second) + time.Second}
	last := errors.New("not polled")
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("status %s", resp.Status)
		} else if ctx.Err() == nil {
			last = err // not the deadline's cut, which says nothing of the server
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), redact.Error(last, nil))
		case <-time.After(interval):
		}
	}
}
