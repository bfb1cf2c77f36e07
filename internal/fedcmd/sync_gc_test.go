package fedcmd

import (
	"runtime/debug"
	"testing"
)

// A sync collects its heap at three times its live size, unless the
// user's GOGC says otherwise.
func TestSyncRuntimeSettings(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	batchRuntime(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("GOGC unset: GC percent %d, want 200", got)
	}
	batchRuntime(func(k string) string { return map[string]string{"GOGC": "50"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50 set by the user: GC percent changed to %d", got)
	}
}
