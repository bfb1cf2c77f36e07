package gitexec

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// IsAncestor reports whether commit a is an ancestor of (or equal to) b
// (`git merge-base --is-ancestor`): its exit 1 is false; any other
// failure (an object this repository lacks, a git that did not run) is
// the error.
func (r Runner) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.Output(ctx, "merge-base", "--is-ancestor", a, b)
	var ge *Error
	if errors.As(err, &ge) && ge.ExitCode == 1 && ctx.Err() == nil {
		return false, nil
	}
	return err == nil, err
}

// Rewinds reports whether moving a ref from old to new is not a fast
// forward (new does not contain old). Unknown objects count as a rewind:
// forcing a mirror to what the primary took is the safe side.
func (r Runner) Rewinds(ctx context.Context, old, new string) bool {
	if old == "" || new == "" || old == new {
		return false
	}
	ok, err := r.IsAncestor(ctx, old, new)
	return err != nil || !ok
}

// ObjectNames resolves names (refs, "HEAD", object names) in the local
// repository with one `git cat-file --batch-check`. Names that do not
// resolve are missing from the result.
func (r Runner) ObjectNames(ctx context.Context, names []string) (map[string]string, error) {
	res := map[string]string{}
	if len(names) == 0 {
		return res, nil
	}
	var in bytes.Buffer
	for _, n := range names {
		in.WriteString(n + "\n")
	}
	out, err := r.OutputStdin(ctx, &in, "cat-file", "--batch-check=%(objectname)")
	if err != nil {
		return res, err
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		return res, nil
	}
	for i, l := range lines {
		if protocol.IsOID(l) {
			res[names[i]] = l
		}
	}
	return res, nil
}
