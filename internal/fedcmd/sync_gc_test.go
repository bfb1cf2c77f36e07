package fedcmd

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// A sync that is not a daemon starts with a heap goal of heapFloor, and
// a daemon collects at three times its live heap; the user's GOGC
// stands either way.
func TestSyncRuntimeSettings(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	batchRuntime(func(string) string { return "" }, true)
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("a daemon: GC percent %d, want 200", got)
	}
	batchRuntime(func(k string) string { return map[string]string{"GOGC": "50"}[k] }, false)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=50 set by the user: GC percent changed to %d", got)
	}
	g := newGCFloor(heapFloor)
	g.start()
	g.stop()
	if got := debug.SetGCPercent(100); got != 800 {
		t.Errorf("a one-shot sync before its first collection: GC percent %d, want 800 (a goal of 32 MiB)", got)
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
// test's to know).
func TestGCFloorFollowsTheLiveHeap(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	// 16 MiB live and a floor of 64: GOGC 300 after a collection, where
	// start sets 1600 (a goal of 64 MiB from Go's smallest).
	g := newGCFloor(64 << 20)
	g.live = func() uint64 { return 16 << 20 }
	g.start()
	defer g.stop()
	if got := gcPercent(); got != 1600 {
		t.Fatalf("before a collection: GOGC=%d, want 1600", got)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		runtime.GC()
		if got := gcPercent(); got != 1600 {
			if got != 300 {
				t.Errorf("after a collection with 16 MiB live: GOGC=%d, want 300", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("GOGC stayed 1600 after collections")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
