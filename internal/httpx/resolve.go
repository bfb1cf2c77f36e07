package httpx

import (
	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
)

func resolve(entries []gitexec.ConfigEntry, getenv func(string) string, rawURL string) Settings {
	return Settings{}
}
