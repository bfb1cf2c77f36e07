package gitexec

import (
	"context"
	"errors"
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
