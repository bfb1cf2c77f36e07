package helper

import (
	"os"
	"os/exec"
	"path/filepath"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
)

// SyncLogName is the log of background syncs (syncOnFetch), under
// $GIT_DIR/federate.
const SyncLogName = "sync.log"

// afterFetch starts `git federate sync <name>` in the background once a
// fetch from the origin succeeded and the federation asks for it
// (syncOnFetch): the mirrors catch up with what was just fetched, and git
// does not wait for them. Once per session. First it points git-lfs at
// srv, the server that served the refs.
func (s *Session) afterFetch(srv federation.Endpoint) {
	s.pointLFS(srv, "lfsurl")
	if !s.Fed.SyncOnFetch || s.Fed.Name == "" || s.syncStarted || !srv.SameRepo(s.Fed.Origin) || s.GitDir == "" {
		return
	}
	s.syncStarted = true
	log, err := s.startSync()
	if err != nil {
		s.P.Fprintf(s.Stderr, "warning: federate: syncOnFetch: %v\n", err)
		return
	}
	if s.opts.Verbosity > 0 {
		s.P.Fprintf(s.Stderr, "federate: bringing the mirrors of %s up to date in the background (log: %s)\n", s.Fed.Name, log)
	}
}

// startSync runs git-federate detached from git's session, in $GIT_DIR
// so the repository's pending queue is settled too, with its output
// appended to the log. It returns the log's path.
func (s *Session) startSync() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	bin, err := gitexec.Sibling(exe, "git-federate")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(s.GitDir, "federate")
	if err := lockfile.MkdirPrivate(dir); err != nil {
		return "", err
	}
	logPath := filepath.Join(dir, SyncLogName)
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	defer log.Close()
	cmd := exec.Command(bin, "sync", "--", s.Fed.Name)
	cmd.Dir = s.GitDir
	cmd.Env = gitexec.WithoutRepoEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = log, log
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	return logPath, cmd.Process.Release()
}
