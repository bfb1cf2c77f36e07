package helper

import (
	"context"
	"errors"
	"io"

	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// fetch answers one fetch batch. (Being written.)
func (s *Session) fetch(ctx context.Context, f protocol.Fetch, w *protocol.Writer) error {
	return errors.New("fetch: not implemented yet")
}

// connect answers "connect" and "stateless-connect". done is true when the
// stream was handed over and the session is over. (Being written: for now
// every connect falls back to list, fetch and push.)
func (s *Session) connect(ctx context.Context, c protocol.Connect, r *protocol.Reader, w *protocol.Writer, raw io.Writer) (done bool, err error) {
	return false, w.ConnectFallback()
}
