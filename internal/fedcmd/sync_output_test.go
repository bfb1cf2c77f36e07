package fedcmd

import (
	"bufio"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A sync writing to a pipe (a CronJob's log) gets each federation's
// lines while the run still waits for the next one: federation demo's
// lines are read while demo1's origin is held, and only then is it let go.
func TestSyncReportReachesAPipeWhileTheRunWaits(t *testing.T) {
	fx := newSyncFixture(t, 1)
	fx.addFederations(t, 1)
	release := make(chan struct{})
	var once sync.Once
	let := func() { once.Do(func() { close(release) }) }
	t.Cleanup(let)
	fx.srv.AddFault(gittest.Fault{Prefix: "/f1-origin.git/info/refs", Hook: func(*http.Request) { <-release }})
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	seen := make(chan []string, 1)
	go func() {
		var lines []string
		s := bufio.NewScanner(pr)
		for s.Scan() {
			lines = append(lines, s.Text())
			if len(lines) == 2 { // demo's origin and its mirror
				seen <- append([]string(nil), lines...)
				let()
			}
		}
	}()
	done := make(chan runOut, 1)
	go func() {
		opts := SyncOptions{All: true, Jobs: 4, SyncEnv: fx.env,
			IO: IO{In: strings.NewReader(""), Out: pw, Err: new(strings.Builder)}}
		ctx := t.Context()
		done <- runOut{code: exitCodeOf(runSync(ctx, opts))}
		pw.Close()
	}()
	select {
	case lines := <-seen:
		if !strings.HasPrefix(lines[0], "demo: ") || !strings.Contains(lines[1], "in sync") {
			t.Errorf("first lines %q, want demo's", lines)
		}
	case r := <-done:
		t.Fatalf("sync ended (exit %d) with demo1's origin still held, and demo's lines not read", r.code)
	case <-time.After(time.Minute):
		let()
		t.Fatal("demo's lines were not written while the run waited for demo1")
	}
	if r := <-done; r.code != ExitOK {
		t.Errorf("sync: exit %d, want 0", r.code)
	}
}

// countWriter counts the writes made to it.
type countWriter struct {
	strings.Builder
	writes int
}

func (w *countWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Builder.Write(p)
}

// outputResult is a federation's result with one mirror.
func outputResult(name string) *fedsync.FederationResult {
	return &fedsync.FederationResult{Name: name, Origin: "https://example.com/" + name + ".git",
		Mirrors: []fedsync.MirrorResult{{URL: "https://mirror.example/" + name + ".git"}}}
}

// Lines for a terminal are written whenever the run waits; for a pipe
// or a file, in one write when the report ends before flushAfter, with
// the same text.
func TestSyncOutputWritesAPipeInFewWrites(t *testing.T) {
	results := func() []*fedsync.FederationResult {
		var rs []*fedsync.FederationResult
		for _, name := range []string{"a", "b", "c"} {
			rs = append(rs, outputResult(name))
		}
		return rs
	}
	var texts []string
	for _, tc := range []struct {
		name       string
		terminal   bool
		wantWrites int
	}{
		{"terminal", true, 3},
		{"pipe", false, 1},
	} {
		w := &countWriter{}
		o := newSyncOutput(nil, w, false)
		o.terminal, o.flushAfter = tc.terminal, time.Hour
		for _, r := range results() {
			o.add(r, false) // the run waits after each
		}
		if err := o.finish(); err != nil {
			t.Fatal(err)
		}
		if w.writes != tc.wantWrites {
			t.Errorf("%s: %d writes, want %d", tc.name, w.writes, tc.wantWrites)
		}
		texts = append(texts, w.String())
	}
	if texts[0] != texts[1] || !strings.Contains(texts[0], "c: https://example.com/c.git") {
		t.Errorf("the report differs between a terminal and a pipe:\n%s\n---\n%s", texts[0], texts[1])
	}
}

// signalWriter hands each write to wrote, when it has room.
type signalWriter struct{ wrote chan string }

func (w *signalWriter) Write(p []byte) (int, error) {
	select {
	case w.wrote <- string(p):
	default:
	}
	return len(p), nil
}

// A pipe gets a line flushAfter after it was written even while results
// keep coming, each add saying that the next is ready.
func TestSyncOutputFlushesAPipeWhileResultsKeepComing(t *testing.T) {
	w := &signalWriter{wrote: make(chan string, 1)}
	o := newSyncOutput(nil, w, false)
	o.flushAfter = time.Millisecond
	o.add(outputResult("a"), true)
	select {
	case got := <-w.wrote:
		if !strings.HasPrefix(got, "a: https://example.com/a.git") {
			t.Errorf("wrote %q, want a's lines", got)
		}
	case <-time.After(time.Minute):
		t.Fatal("a's lines were not written while more results were coming")
	}
	if err := o.finish(); err != nil {
		t.Fatal(err)
	}
}
