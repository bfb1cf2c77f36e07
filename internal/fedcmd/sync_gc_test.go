package fedcmd

import (
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

// A sync collects its heap at three times what it holds live, daemon or
// not, and the user's GOGC stands; when the sync is done, GOGC is what
// it was.
func TestSyncRuntimeSettings(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	for _, tc := range []struct {
		what string
		gogc string
		want int
	}{
		{"a sync", "", 200},
		{"GOGC=50 set by the user", "50", 100},
	} {
		restore := batchRuntime(func(k string) string { return map[string]string{"GOGC": tc.gogc}[k] })
		if got := gcPercent(); got != tc.want {
			t.Errorf("%s: GC percent %d, want %d", tc.what, got, tc.want)
		}
		restore()
		if got := gcPercent(); got != 100 {
			t.Errorf("%s, done: GC percent %d, want 100 back", tc.what, got)
		}
	}
}

func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
