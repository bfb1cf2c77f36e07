package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// scenario is a set of commands doing the same work, compared in one run.
type scenario struct {
	Title   string
	Prepare string // shell, run before every run of every variant
	// Verify is shell that fails unless a variant did the work (run after
	// its unmeasured first run): exit status 0 alone proves little while
	// parts are still stubs.
	Verify   string
	Variants []variant
	Ratios   []ratio
}

// variant is one way of doing the scenario's work, as a shell command.
type variant struct {
	Name string
	Cmd  string
	// Verify, when set, replaces the scenario's Verify for this variant.
	Verify string
}

// ratio compares variant A with variant B: A/B against Target when set,
// and A-B against MaxDiff when set.
type ratio struct {
	A, B    int
	Target  float64
	MaxDiff time.Duration
}

// timing is what was measured of one variant.
type timing struct {
	Median, Min, Max time.Duration
	Runs             int
	Err              string
}

// checkTimeout bounds one run of one command.
const checkTimeout = 30 * time.Minute

// measure runs sc and adds it to the report. Each variant first runs once
// unmeasured (a warm-up that also checks that it works); failing variants
// are reported and left out.
func (b *bench) measure(ctx context.Context, sc scenario) {
	fmt.Printf("-- %s\n", sc.Title)
	times := make([]timing, len(sc.Variants))
	var ok []int
	for i, v := range sc.Variants {
		err := b.once(ctx, sc.Prepare, v.Cmd)
		verify := sc.Verify
		if v.Verify != "" {
			verify = v.Verify
		}
		if err == nil && verify != "" {
			if verr := b.sh(ctx, verify); verr != nil {
				err = errors.New("exited 0, but the check of its result failed: it did not do the work")
			}
		}
		if err != nil {
			times[i].Err = err.Error()
			fmt.Printf("   %-45s FAILED: %s\n", v.Name, times[i].Err)
			continue
		}
		ok = append(ok, i)
	}
	if len(ok) > 0 {
		if b.cfg.Hyperfine != "" {
			b.hyperfine(ctx, sc, ok, times)
		} else {
			b.loop(ctx, sc, ok, times)
		}
	}
	b.report.add(sc, times)
}

// once runs prepare and cmd, and returns an error with stderr's tail.
func (b *bench) once(ctx context.Context, prepare, cmd string) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	script := cmd
	if prepare != "" {
		script = "{ " + prepare + "; } >/dev/null 2>&1 || exit 99; " + cmd
	}
	c := exec.CommandContext(ctx, "sh", "-c", script)
	c.Env = b.env
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("timed out after %v", checkTimeout)
		}
		return fmt.Errorf("%v: %s", err, tail(stderr.String(), 3))
	}
	return nil
}

// loop times the variants itself, interleaved run by run so that drift on
// a shared machine hits every variant alike; it keeps the median.
func (b *bench) loop(ctx context.Context, sc scenario, ok []int, times []timing) {
	samples := make([][]time.Duration, len(sc.Variants))
	for run := 0; run < b.cfg.Runs; run++ {
		for _, i := range ok {
			if times[i].Err != "" || ctx.Err() != nil {
				continue
			}
			if sc.Prepare != "" {
				if err := b.sh(ctx, sc.Prepare); err != nil {
					times[i].Err = "prepare: " + err.Error()
					continue
				}
			}
			start := time.Now()
			err := b.once(ctx, "", sc.Variants[i].Cmd)
			d := time.Since(start)
			if err != nil {
				times[i].Err = err.Error()
				continue
			}
			samples[i] = append(samples[i], d)
		}
	}
	for _, i := range ok {
		if s := samples[i]; times[i].Err == "" && len(s) > 0 {
			slices.Sort(s)
			times[i] = timing{Median: s[len(s)/2], Min: s[0], Max: s[len(s)-1], Runs: len(s)}
			if len(s)%2 == 0 {
				times[i].Median = (s[len(s)/2-1] + s[len(s)/2]) / 2
			}
			fmt.Printf("   %-45s median %8s  (min %s, max %s, %d runs)\n", sc.Variants[i].Name, round(times[i].Median), round(times[i].Min), round(times[i].Max), len(s))
		}
	}
}

// hyperfine times the variants with hyperfine and reads its JSON export.
func (b *bench) hyperfine(ctx context.Context, sc scenario, ok []int, times []timing) {
	out := filepath.Join(b.runDir, "hyperfine.json")
	args := []string{"--runs", fmt.Sprint(b.cfg.Runs), "--style", "basic", "--export-json", out}
	if sc.Prepare != "" {
		args = append(args, "--prepare", sc.Prepare)
	}
	for _, i := range ok {
		args = append(args, "--command-name", sc.Variants[i].Name, sc.Variants[i].Cmd)
	}
	cmd := exec.CommandContext(ctx, b.cfg.Hyperfine, args...)
	cmd.Env = b.env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Printf("   hyperfine failed (%v); timing the runs here instead\n", err)
		b.loop(ctx, sc, ok, times)
		return
	}
	var res struct {
		Results []struct {
			Command string    `json:"command"`
			Median  float64   `json:"median"`
			Min     float64   `json:"min"`
			Max     float64   `json:"max"`
			Times   []float64 `json:"times"`
		} `json:"results"`
	}
	data, err := os.ReadFile(out)
	if err == nil {
		err = json.Unmarshal(data, &res)
	}
	if err != nil || len(res.Results) != len(ok) {
		fmt.Printf("   cannot read hyperfine's results (%v); timing the runs here instead\n", err)
		b.loop(ctx, sc, ok, times)
		return
	}
	for k, i := range ok {
		r := res.Results[k]
		times[i] = timing{Median: secs(r.Median), Min: secs(r.Min), Max: secs(r.Max), Runs: len(r.Times)}
	}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func round(d time.Duration) time.Duration {
	if d > 10*time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
