package helper

import (
	"context"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// retryBusy runs fn, and again while its server answers busy (503 "the
// repository is being read or written", 429), after the waits of the
// runner's BusyRetry: the one jittered, bounded policy sync uses
// (gitexec.Retry). Only steps before anything was sent are retried: a
// listing, the start of a fetch.
func (s *Session) retryBusy(ctx context.Context, fn func(context.Context) error) error {
	if len(s.Git.BusyRetry) == 0 {
		return fn(ctx)
	}
	return gitexec.Retry(ctx, s.Git.BusyRetry, fn)
}

// listForPushRetried is listForPush, retried while the server pushed to
// first is busy.
func (s *Session) listForPushRetried(ctx context.Context) (*serverRefs, error) {
	var l *serverRefs
	err := s.retryBusy(ctx, func(ctx context.Context) error {
		var err error
		l, err = s.listForPush(ctx)
		return err
	})
	return l, err
}

// startUploadPackRetried is startUploadPack, retried while srv is busy;
// when it still is, the error says so.
func (s *Session) startUploadPackRetried(ctx context.Context, srv federation.Endpoint, limit time.Duration) (*uploadPack, error) {
	var up *uploadPack
	err := s.retryBusy(ctx, func(ctx context.Context) error {
		var err error
		up, err = s.startUploadPack(ctx, srv, limit)
		return err
	})
	if err != nil && gitexec.IsBusy(err) {
		return nil, gitexec.Explain(err, srv.Raw)
	}
	return up, err
}

// busyDown is the one-line failure of a push whose first server stayed
// busy through every retry.
func (s *Session) busyDown(where i18n.Msg) error {
	return i18n.Errorf("%s is busy (the repository is being read or written); retried, try again later: nothing was pushed anywhere", where)
}
