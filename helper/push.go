package helper

import (
	"context"
	"errors"

	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// push answers one push batch. (Being written.)
func (s *Session) push(ctx context.Context, p protocol.Push, w *protocol.Writer) error {
	return errors.New("push: not implemented yet")
}
