package fedcmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// failureLabel names what went wrong with a server, for a report line: a
// missing repository or a refused token is not an unreachable server, and
// neither is one this side would not talk to (its certificate or host
// key, git's protocol policy), as the pending queue's reasons say.
func failureLabel(p *i18n.Printer, err error) string {
	switch gitexec.Classify(err) {
	case gitexec.KindNotFound:
		return p.Sprintf("NOT FOUND")
	case gitexec.KindAuth, gitexec.KindNoWrite:
		return p.Sprintf("REFUSED")
	case gitexec.KindTLS:
		return p.Sprintf("CERTIFICATE REFUSED")
	case gitexec.KindHostKey:
		return p.Sprintf("HOST KEY NOT TRUSTED")
	case gitexec.KindForbidden:
		return p.Sprintf("PROTOCOL NOT ALLOWED")
	}
	return p.Sprintf("UNREACHABLE")
}

// withoutName is err's text without a leading "<name>: ": a report line
// already starts with the name, and "down: FAILED: down: origin" says it
// twice.
func withoutName(p *i18n.Printer, name string, err error) string {
	text := p.Error(err)
	if rest, ok := strings.CutPrefix(text, name+": "); ok {
		return rest
	}
	return strings.TrimPrefix(text, name+"：") // as zh-Hans writes it
}

// writeColumns writes rows as aligned columns two spaces apart, as
// text/tabwriter does, but measuring a wide (CJK) character as the two
// columns a terminal gives it.
func writeColumns(w io.Writer, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			if i == len(row)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(pad(cell, widths[i]+2))
		}
		fmt.Fprintln(w, b.String())
	}
}

// countWord says "3 behind" or "2 updated" in p's language: a state of
// status or a result of sync, counted.
func countWord(p *i18n.Printer, n int, word string) string {
	switch word {
	case "behind":
		return p.Sprintf("%d behind", n)
	case "ahead":
		return p.Sprintf("%d ahead", n)
	case "diverged":
		return p.Sprintf("%d diverged", n)
	case "missing":
		return p.Sprintf("%d missing", n)
	case "extra":
		return p.Sprintf("%d extra", n)
	case "in-sync":
		return p.Sprintf("%d in-sync", n)
	case "in sync":
		return p.Sprintf("%d in sync", n)
	case "created":
		return p.Sprintf("%d created", n)
	case "updated":
		return p.Sprintf("%d updated", n)
	case "forced":
		return p.Sprintf("%d forced", n)
	case "deleted":
		return p.Sprintf("%d deleted", n)
	case "to create":
		return p.Sprintf("%d to create", n)
	case "to update":
		return p.Sprintf("%d to update", n)
	case "to force":
		return p.Sprintf("%d to force", n)
	case "to delete":
		return p.Sprintf("%d to delete", n)
	case "kept ahead":
		return p.Sprintf("%d kept ahead", n)
	case "kept diverged":
		return p.Sprintf("%d kept diverged", n)
	case "kept extra":
		return p.Sprintf("%d kept extra", n)
	case "failed":
		return p.Sprintf("%d failed", n)
	}
	return fmt.Sprintf("%d %s", n, word)
}
