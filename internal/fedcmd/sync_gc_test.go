package fedcmd

import (
	"runtime/debug"
	"testing"
)

// A sync collects its heap at three times its live size, unless the
// user's GOGC says otherwise.
func TestSyncGCPercent(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	batchGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("GOGC unset: GC percent %d, want 200", got)
	}
	batchGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50 set by the user: GC percent changed to %d", got)
	}
}
