package fedcmd

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// A sync that is not a daemon starts with a heap goal of heapFloor, a
// daemon collects at three times its live heap, and the user's GOGC
// stands; when the sync is done, GOGC is what it was.
func TestSyncRuntimeSettings(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	for _, tc := range []struct {
		what   string
		gogc   string
		daemon bool
		want   int
	}{
		{"a daemon", "", true, 200},
		{"GOGC=50 set by the user", "50", false, 100},
		{"a one-shot sync before its first collection (a goal of 32 MiB)", "", false, 800},
	} {
		runtime.GC() // no collection ends between the setting and the look at it
		restore := batchRuntime(func(k string) string { return map[string]string{"GOGC": tc.gogc}[k] }, tc.daemon)
		if got := gcPercent(); got != tc.want {
			t.Errorf("%s: GC percent %d, want %d", tc.what, got, tc.want)
		}
		restore()
		if got := gcPercent(); got != 100 {
			t.Errorf("%s, done: GC percent %d, want 100 back", tc.what, got)
		}
	}
}

// The goal is max(3×live, floor) for any live heap, Go's smallest goal
// (4 MiB×GOGC/100) included.
func TestGCFloorPercent(t *testing.T) {
	const mib = 1 << 20
	g := newGCFloor(32 * mib)
	for _, live := range []uint64{0, mib, 3 * mib, 4 * mib, 6 * mib, 10 * mib, 11 * mib, 40 * mib, 500 * mib} {
		pct := uint64(g.percent(live))
		goal := max(4*mib*pct/100, live*(100+pct)/100)
		want := max(3*live, 32*mib)
		if pct < 200 || goal < want*98/100 || goal > want*102/100 {
			t.Errorf("live %d MiB: GOGC=%d, a goal of %.1f MiB; want %.1f MiB", live/mib, pct, float64(goal)/mib, float64(want)/mib)
		}
	}
}

// After a collection, GOGC is set from what it found live (here said
// by the test: what else the test process holds live is not the
// test's to know), and after stop, by no collection.
func TestGCFloorFollowsTheLiveHeap(t *testing.T) {
	g := newGCFloor(64 << 20)
	g.live = func() uint64 { return 16 << 20 }
	runtime.GC() // no collection ends between start and the look at GOGC
	old := g.start()
	defer debug.SetGCPercent(old)
	// 16 MiB live and a floor of 64: GOGC 300 after a collection, where
	// start sets 1600 (a goal of 64 MiB from Go's smallest).
	if got := gcPercent(); got != 1600 {
		t.Fatalf("before a collection: GOGC=%d, want 1600", got)
	}
	waitForGOGC(t, 300)
	g.stop(100)
	runtime.GC()
	runtime.GC()
	if got := gcPercent(); got != 100 {
		t.Errorf("after stop and two collections: GOGC=%d, want 100 as stop set it", got)
	}
}

// waitForGOGC collects until GOGC is want, for a while.
func waitForGOGC(t *testing.T, want int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); gcPercent() != want; {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d after collections, want %d", gcPercent(), want)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
