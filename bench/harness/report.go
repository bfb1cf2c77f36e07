package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// report collects results and prints them as one Markdown summary.
type report struct {
	rows    []string
	rssRows []string
	notes   []string
	over    int // targets missed
}

func (r *report) note(s string) {
	fmt.Println("   note:", s)
	r.notes = append(r.notes, s)
}

func (r *report) add(sc scenario, times []timing) {
	for _, q := range sc.Ratios {
		a, b := times[q.A], times[q.B]
		name := sc.Variants[q.A].Name + " vs " + sc.Variants[q.B].Name
		if a.Err != "" || b.Err != "" || a.Runs == 0 || b.Runs == 0 {
			r.rows = append(r.rows, fmt.Sprintf("| %s | %s | — | — | %s | not measured |", sc.Title, name, target(q)))
			continue
		}
		x := float64(a.Median) / float64(b.Median)
		diff := a.Median - b.Median
		verdict := "info"
		switch {
		case q.MaxDiff > 0 && diff <= q.MaxDiff, q.Target > 0 && x <= q.Target:
			verdict = "ok"
		case q.MaxDiff > 0 || q.Target > 0:
			verdict = "**over target**"
			r.over++
		}
		r.rows = append(r.rows, fmt.Sprintf("| %s | %s | %s / %s | %.2f× (%+.0f ms) | %s | %s |",
			sc.Title, name, round(a.Median), round(b.Median), x, float64(diff)/float64(time.Millisecond), target(q), verdict))
	}
	for i, t := range times {
		if t.Err != "" {
			r.notes = append(r.notes, fmt.Sprintf("%s: %s failed: %s", sc.Title, sc.Variants[i].Name, t.Err))
		}
	}
}

func target(q ratio) string {
	switch {
	case q.MaxDiff > 0:
		return fmt.Sprintf("≤ +%v", q.MaxDiff)
	case q.Target > 0:
		return fmt.Sprintf("≤ %.2f×", q.Target)
	}
	return "—"
}

// rssLimitKiB is docs/DESIGN.md's bound on the helper's memory.
const rssLimitKiB = 30 << 10

// rss records a peak: kib of the process itself, treeKiB of the largest
// process in its tree (0: not measured).
func (r *report) rss(size, what string, kib, treeKiB int, errText string) {
	if errText != "" {
		r.rssRows = append(r.rssRows, fmt.Sprintf("| %s | %s | — | — | failed: %s |", size, what, strings.ReplaceAll(errText, "|", "/")))
		return
	}
	tree := "—"
	if treeKiB > 0 {
		tree = fmt.Sprintf("%.1f MiB", float64(treeKiB)/1024)
	}
	verdict := "ok"
	if kib >= rssLimitKiB {
		verdict = "**over 30 MiB**"
		r.over++
	}
	if kib == 0 {
		verdict = "not recorded"
	}
	r.rssRows = append(r.rssRows, fmt.Sprintf("| %s | %s | %.1f MiB | %s | %s |", size, what, float64(kib)/1024, tree, verdict))
	fmt.Printf("   peak RSS %-28s %.1f MiB (largest process of its tree: %s)\n", what, float64(kib)/1024, tree)
}

// print writes the summary to w and to file.
func (r *report) print(w io.Writer, file string) error {
	var b strings.Builder
	b.WriteString("\n## Results (medians; ratio = federate / baseline)\n\n")
	b.WriteString("| scenario | comparison | medians | ratio | target | verdict |\n|---|---|---|---|---|---|\n")
	for _, row := range r.rows {
		b.WriteString(row + "\n")
	}
	if len(r.rssRows) > 0 {
		b.WriteString("\n## Peak resident memory\n\n| size | process | its own peak RSS | largest in its tree, git children included (/usr/bin/time) | verdict |\n|---|---|---|---|---|\n")
		for _, row := range r.rssRows {
			b.WriteString(row + "\n")
		}
	}
	if len(r.notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range r.notes {
			b.WriteString("- " + strings.ReplaceAll(n, "\n", " ") + "\n")
		}
	}
	fmt.Fprintf(&b, "\n%d target(s) missed.\n", r.over)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "(also written to %s)\n", file)
	return nil
}
