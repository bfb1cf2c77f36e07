package fedcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/fedsync"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/pending"
	"github.com/git-remote-federate/git-remote-federate/internal/shard"
)

// StatusOptions are the flags of `git federate status`.
type StatusOptions struct {
	IO       IO
	Names    []string // none: every federation
	JSON     bool
	ExitCode bool
	SyncEnv
}

// statusCommand is `git federate status`.
func statusCommand(stdio IO) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "compare every ref of origin and each mirror",
		ArgsUsage: "[name…]",
		Description: "For each covered ref (include/exclude): in-sync, behind (a fast-forward fixes\n" +
			"it), ahead (commits only on the mirror), diverged (both have their own commits),\n" +
			"missing (not on the mirror) or extra (not on origin). Uses the sync cache for\n" +
			"history, fetching into it only what it lacks. Pushes nothing.\n\n" +
			"Run in a repository, it also lists what pushes from it queued for each mirror\n" +
			"(updates a mirror did not take): since when, how many attempts, the last error.\n" +
			"The next push or `git federate sync` retries them.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print every ref of every mirror as JSON"},
			&cli.BoolFlag{Name: "exit-code", Usage: "exit 1 when anything is out of sync"},
		},
		Action: func(c *cli.Context) error {
			return runStatus(c.Context, StatusOptions{IO: stdio, Names: c.Args().Slice(),
				JSON: c.Bool("json"), ExitCode: c.Bool("exit-code")})
		},
	}
}

// runStatus is `git federate status`.
func runStatus(ctx context.Context, opts StatusOptions) error {
	if err := syncCheckNames("status", opts.Names); err != nil {
		return err
	}
	var err error
	if opts.SyncEnv, err = opts.SyncEnv.resolved(); err != nil {
		return err
	}
	repo := syncRepoLookup(ctx, opts.SyncEnv)
	defer repo.Wait()
	cfg, feds, warnings, err := syncFederations(ctx, opts.IO, opts.SyncEnv, opts.Names, len(opts.Names) == 0, shard.All)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		opts.IO.P.Fprintf(opts.IO.Err, "warning: %s\n", opts.IO.P.Error(w))
	}
	eng, err := syncEngine(ctx, opts.IO, opts.SyncEnv, cfg, fedsync.DefaultJobs, repo, nil)
	if err != nil {
		return err
	}
	defer eng.Close()
	results := eng.StatusAll(ctx, feds)
	queued := loadQueued(ctx, opts.IO, eng)
	if opts.JSON {
		if err := writeStatusJSON(opts.IO.Out, results, queued); err != nil {
			return err
		}
	} else {
		writeStatusText(opts.IO.P, opts.IO.Out, results, queued, cfg.Config)
	}
	if err := statusExit(results, warnings, opts.ExitCode); err != nil {
		return err
	}
	// An update queued for a mirror no federation has is no work left:
	// nothing will send it (the header above says how to drop it).
	if opts.ExitCode && slices.ContainsFunc(queued, func(e pending.Entry) bool {
		return !delivered(results, e) && len(cfg.WithMirror(e.Mirror)) > 0
	}) {
		return &ExitError{Code: ExitFailure, Err: errSilent}
	}
	return nil
}

// delivered reports whether status saw e's mirror already hold what e
// would set: another repository's push, or a sync run elsewhere, brought
// it. The entry stays until this repository's next push or sync, which
// drops it; until then it is no work left. A ref status does not list
// (outside include and exclude) is not known to be delivered.
func delivered(results []*fedsync.FederationResult, e pending.Entry) bool {
	for _, r := range results {
		for i := range r.Mirrors {
			m := &r.Mirrors[i]
			if m.URL != e.Mirror || m.Err() != nil {
				continue
			}
			for _, ref := range m.Refs {
				if ref.Ref == e.Ref {
					return e.OID != "" && ref.Mirror == e.OID
				}
			}
		}
	}
	return false
}

// loadQueued reads the pending queue of the repository status runs in
// (none outside a repository). A corrupt queue is reported on stderr; it
// has been moved aside and what could be read is shown.
func loadQueued(ctx context.Context, stdio IO, eng *fedsync.Engine) []pending.Entry {
	q := eng.RepoQueue(ctx)
	if q == nil {
		return nil
	}
	entries, err := q.Load()
	if err != nil {
		stdio.P.Fprintf(stdio.Err, "warning: %s\n", stdio.P.Error(err))
	}
	return entries
}

// statusReport is the --json document of status: the sync report plus
// the queued updates.
type statusReport struct {
	Federations []*fedsync.FederationResult `json:"federations"`
	Pending     []queuedJSON                `json:"pending"`
}

// queuedJSON is one queued update; OID is "" for a delete. Old is the
// mirror's value it goes from (pending.Entry.Old): "" for a ref the
// mirror did not have, null when not known (queued by an older version).
type queuedJSON struct {
	Mirror      string    `json:"mirror"`
	Ref         string    `json:"ref"`
	Old         *string   `json:"old"`
	OID         string    `json:"oid"`
	Force       bool      `json:"force"`
	Since       time.Time `json:"since"`
	AgeSeconds  int64     `json:"age_seconds"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error"`
	Federations []string  `json:"federations"`
	// Delivered: the mirror already holds OID (see delivered).
	Delivered bool `json:"delivered"`
}

func writeStatusJSON(w io.Writer, results []*fedsync.FederationResult, queued []pending.Entry) error {
	rep := statusReport{Federations: results, Pending: []queuedJSON{}}
	now := time.Now()
	for _, e := range queued {
		rep.Pending = append(rep.Pending, queuedJSON{Mirror: e.Mirror, Ref: e.Ref, Old: oldJSON(e.Old), OID: e.OID, Force: e.Force,
			Since: e.Since, AgeSeconds: int64(now.Sub(e.Since) / time.Second), Attempts: e.Attempts,
			LastError: e.Reason, Federations: federationsOf(results, e.Mirror), Delivered: delivered(results, e)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return i18n.Errorf("writing the report: %w", err)
	}
	return nil
}

// oldJSON is an entry's old value in the JSON report.
func oldJSON(old string) *string {
	switch old {
	case "":
		return nil
	case pending.Absent:
		old = ""
	}
	return &old
}

// federationsOf names the federations that list mirror.
func federationsOf(results []*fedsync.FederationResult, mirror string) []string {
	out := []string{}
	for _, r := range results {
		for i := range r.Mirrors {
			if r.Mirrors[i].URL == mirror {
				out = append(out, r.Name)
				break
			}
		}
	}
	return out
}

// statusExit: a federation that could not be read (unread: one whose
// config is wrong, or a set whose forge could not be listed) is a
// failure, 3 when others could be read, 1 when none; so is an
// unreachable mirror (3); otherwise --exit-code gives 1 when anything
// is out of sync. `sync --all` exits as it does.
func statusExit(results []*fedsync.FederationResult, unread []error, exitCode bool) error {
	var broken []string
	failedFeds, outOfSync := 0, false
	for _, r := range results {
		if r.Err() != nil {
			failedFeds++
			broken = append(broken, r.Name)
			continue
		}
		for i := range r.Mirrors {
			if r.Mirrors[i].Err() != nil {
				broken = append(broken, r.Name+" "+r.Mirrors[i].URL)
			}
		}
		outOfSync = outOfSync || r.OutOfSync()
	}
	switch {
	case failedFeds == len(results) && (failedFeds > 0 || len(unread) > 0):
		var err error
		if failedFeds > 0 {
			err = i18n.Errorf("status failed: %s", strings.Join(broken, ", "))
		}
		return &ExitError{Code: ExitFailure, Err: i18n.Join(err, i18n.Join(unread...))}
	case len(broken) > 0:
		return Partial(i18n.Join(i18n.Errorf("could not read: %s", strings.Join(broken, ", ")), i18n.Join(unread...)))
	case len(unread) > 0:
		return Partial(i18n.Join(unread...))
	case exitCode && outOfSync:
		return &ExitError{Code: ExitFailure, Err: errSilent}
	}
	return nil
}

// errSilent is an exit status without a message, like `git diff --exit-code`.
var errSilent = silentError{}

type silentError struct{}

func (silentError) Error() string { return "" }

func writeStatusText(p *i18n.Printer, w io.Writer, results []*fedsync.FederationResult, queued []pending.Entry, cfg *federation.Config) {
	shown := map[string]bool{}
	now := time.Now()
	for _, r := range results {
		if r.Err() != nil {
			p.Fprintf(w, "%s: FAILED: %s\n", r.Name, withoutName(p, r.Name, r.Err()))
			continue
		}
		p.Fprintf(w, "%s: origin %s\n", r.Name, r.Origin)
		for i := range r.Mirrors {
			writeMirrorStatus(p, w, &r.Mirrors[i])
			writeQueued(p, w, now, queued, r.Mirrors[i].URL, results)
			shown[r.Mirrors[i].URL] = true
		}
	}
	var others []string
	for _, e := range queued {
		if !shown[e.Mirror] {
			shown[e.Mirror] = true
			others = append(others, e.Mirror)
		}
	}
	for _, m := range others {
		if len(cfg.WithMirror(m)) == 0 {
			p.Fprintf(w, "queued for %s (no federation has this mirror any more: nothing will send these; `git federate remove --mirror %s` drops them):\n", m, m)
		} else {
			p.Fprintf(w, "queued for %s (not a mirror of the federations shown):\n", m)
		}
		writeQueued(p, w, now, queued, m, results)
	}
}

// writeQueued lists the updates queued for mirror: from what to what,
// since when, how many attempts, and the last error.
func writeQueued(p *i18n.Printer, w io.Writer, now time.Time, queued []pending.Entry, mirror string, results []*fedsync.FederationResult) {
	for _, e := range queued {
		if e.Mirror != mirror {
			continue
		}
		// 0: written ahead of a push that ended before the mirror answered.
		attempts := p.Sprintf("%d failed attempts", e.Attempts)
		line := p.Sprintf("    queued    %s %s -> %s, for %s, %s", e.Ref, oldWord(p, e.Old), newWord(p, e), age(now.Sub(e.Since)), attempts)
		if e.Reason != "" {
			line += p.Sprintf(": %s", pending.Say(p, e.Reason))
		}
		if delivered(results, e) {
			line += p.Sprintf("; the mirror has it now (dropped at the next push or sync in this repository)")
		}
		fmt.Fprintln(w, line)
	}
}

// oldWord is a queued entry's old value in the text report.
func oldWord(p *i18n.Printer, old string) string {
	switch old {
	case "": // queued by a version that did not keep it
		return p.Sprintf("(unknown)")
	case pending.Absent:
		return p.Sprintf("(new)")
	}
	return shortOID(old)
}

// newWord is the value a queued entry gives its ref, in the text report.
func newWord(p *i18n.Printer, e pending.Entry) string {
	if e.Delete() {
		return p.Sprintf("(delete)")
	}
	return shortOID(e.OID)
}

func shortOID(oid string) string {
	if len(oid) > 12 {
		return oid[:12]
	}
	return oid
}

// age is a duration as a person reads a backlog: "40s", "12m", "3h05m",
// "2d04h".
func age(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

func writeMirrorStatus(p *i18n.Printer, w io.Writer, m *fedsync.MirrorResult) {
	if m.Err() != nil {
		p.Fprintf(w, "  %s: %s: %s\n", m.URL, failureLabel(p, m.Err()), p.Error(m.Err()))
		return
	}
	counts := m.Summary()
	var parts []string
	for _, st := range []fedsync.State{fedsync.Behind, fedsync.Ahead, fedsync.Diverged,
		fedsync.Missing, fedsync.Extra, fedsync.InSync} {
		if n := counts[st]; n > 0 {
			parts = append(parts, countWord(p, n, string(st)))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, p.Sprintf("no covered refs"))
	}
	p.Fprintf(w, "  %s: %s\n", m.URL, strings.Join(parts, p.Sprintf(", ")))
	writeLFSStatus(p, w, m.LFSMissing)
	for _, r := range m.Refs {
		if r.State != fedsync.InSync {
			fmt.Fprintf(w, "    %s %s%s\n", pad(stateWord(p, r.State), 9), r.Ref, syncRefNote(p, r))
		}
	}
}

// writeLFSStatus says when a mirror lacks LFS objects of origin's refs.
func writeLFSStatus(p *i18n.Printer, w io.Writer, missing int) {
	switch {
	case missing < 0:
		p.Fprintf(w, "    lfs       could not ask the mirror which LFS objects it holds\n")
	case missing > 0:
		p.Fprintf(w, "    lfs       LFS objects missing on the mirror: %d\n", missing)
	}
}
