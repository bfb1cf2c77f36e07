package gitexec

import (
	"io"
	"log/slog"
)

// TraceLogger is this program's debug log, which GIT_TRACE_FEDERATE asks
// for (any value but "", "0" and "false"): text lines on w (stderr) at
// debug level. Unasked, it drops everything. getenv nil means no
// environment. Nothing logged may hold a token.
func TraceLogger(w io.Writer, getenv func(string) string) *slog.Logger {
	v := ""
	if getenv != nil {
		v = getenv("GIT_TRACE_FEDERATE")
	}
	if v == "" || v == "0" || v == "false" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
