// Command floor is the request floor of `git federate sync --all`: a
// minimal Go program that makes the same GET info/refs requests as a
// sync, with the same concurrency and kept-alive connections, and does
// nothing else (no configuration, no parsing, no report). A sync is a
// process, and so is the floor it is measured against: both pay a
// process start and a cold runtime, which on a small machine running
// the servers too is part of what a run costs.
//
//	floor -urls FILE -jobs N -host-jobs M [-spin D]
//
// FILE holds one URL per line; the token is FLOOR_TOKEN, sent with
// Basic authentication as the sync sends it. It exits 1 when a request
// fails or is not answered 200.
//
// -spin keeps the CPU busy for D before each request: a client with work
// of its own on every listing, against which a sync's wall time and CPU
// read as so many microseconds a request (docs/benchmarks.md).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	urls := flag.String("urls", "", "file of URLs, one per line")
	jobs := flag.Int("jobs", 8, "requests in flight")
	hostJobs := flag.Int("host-jobs", 8, "requests in flight to one host")
	spin := flag.Duration("spin", 0, "CPU kept busy before each request")
	flag.Parse()
	list, err := readLines(*urls)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(2)
	}
	if failed := run(list, *jobs, *hostJobs, *spin, os.Getenv("FLOOR_TOKEN")); failed > 0 {
		fmt.Fprintf(os.Stderr, "floor: %d of %d requests failed\n", failed, len(list))
		os.Exit(1)
	}
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if s.Text() != "" {
			out = append(out, s.Text())
		}
	}
	return out, s.Err()
}

// run makes the requests, jobs at a time and hostJobs per host, each
// after spin of busy CPU, and returns how many failed.
func run(list []string, jobs, hostJobs int, spin time.Duration, token string) int64 {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = hostJobs
	client := &http.Client{Transport: t}
	hosts := map[string]chan struct{}{}
	for _, u := range list {
		if p, err := url.Parse(u); err == nil && hosts[p.Host] == nil {
			hosts[p.Host] = make(chan struct{}, hostJobs)
		}
	}
	work := make(chan string)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				if !get(client, hosts, u, spin, token) {
					failed.Add(1)
				}
			}
		}()
	}
	for _, u := range list {
		work <- u
	}
	close(work)
	wg.Wait()
	return failed.Load()
}

func get(client *http.Client, hosts map[string]chan struct{}, u string, spin time.Duration, token string) bool {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	slots := hosts[req.URL.Host]
	slots <- struct{}{}
	defer func() { <-slots }()
	req.SetBasicAuth("x-access-token", token)
	// Inside the host's slot, as a sync reads each answer while the
	// listing still counts against its host.
	for start := time.Now(); time.Since(start) < spin; {
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
