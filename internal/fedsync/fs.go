package fedsync

import "github.com/git-remote-federate/git-remote-federate/internal/lockfile"

// mkdirAll creates the cache root private to the user (0700): it holds
// locks and caches that other users must not plant files in.
func mkdirAll(dir string) error { return lockfile.MkdirPrivate(dir) }
