package fedsync

import (
	"context"
	"errors"
	"testing"
)

// A listing takes a free slot at once, waits for a taken one to be
// given back, and gives up waiting when the run ends.
func TestTakeASlot(t *testing.T) {
	slots := make(chan struct{}, 1)
	if err := take(context.Background(), slots); err != nil || len(slots) != 1 {
		t.Fatalf("a free slot: %v, %d taken", err, len(slots))
	}
	ended, end := context.WithCancel(context.Background())
	end()
	if err := take(ended, slots); !errors.Is(err, context.Canceled) || len(slots) != 1 {
		t.Fatalf("no slot, the run ended: %v, %d taken", err, len(slots))
	}
	taken := make(chan error)
	go func() { taken <- take(context.Background(), slots) }()
	<-slots // the other listing is done with it
	if err := <-taken; err != nil || len(slots) != 1 {
		t.Fatalf("a slot given back: %v, %d taken", err, len(slots))
	}
}
