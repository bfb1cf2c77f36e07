package fedcmd

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// A sync collects its heap at three times its live size and runs Go
// code on one thread, unless the user's GOGC or GOMAXPROCS says
// otherwise.
func TestSyncRuntimeSettings(t *testing.T) {
	oldGC, oldProcs := debug.SetGCPercent(100), runtime.GOMAXPROCS(2)
	defer func() { debug.SetGCPercent(oldGC); runtime.GOMAXPROCS(oldProcs) }()
	batchRuntime(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("GOGC unset: GC percent %d, want 200", got)
	}
	if got := runtime.GOMAXPROCS(2); got != 1 {
		t.Errorf("GOMAXPROCS unset: %d threads, want 1", got)
	}
	batchRuntime(func(k string) string { return map[string]string{"GOGC": "50", "GOMAXPROCS": "2"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50 set by the user: GC percent changed to %d", got)
	}
	if got := runtime.GOMAXPROCS(2); got != 2 {
		t.Errorf("GOMAXPROCS=2 set by the user: changed to %d", got)
	}
}
