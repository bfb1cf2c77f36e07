package forge

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
)

// A forge that accepts the call and never answers is given up after the
// client's time limit, even when the caller's own HTTP client has none;
// the error says so and does not carry the token.
func TestHungForgeCallIsBounded(t *testing.T) {
	srv := gittest.HungServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := Client{HTTP: &http.Client{}, Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := c.CurrentUser(ctx, Gitea, srv.URL+"/api/v1", "tok-hung-secret")
	if err == nil {
		t.Fatal("a forge that never answered was taken as an answer")
	}
	if ctx.Err() != nil {
		t.Fatalf("the call was only ended by the test's own limit (%v): %v", time.Since(start), err)
	}
	if !strings.Contains(err.Error(), "Timeout exceeded") {
		t.Errorf("error does not say the forge did not answer in time: %v", err)
	}
	if strings.Contains(err.Error(), "tok-hung-secret") {
		t.Errorf("error carries the token: %v", err)
	}
}

// Without a limit of its own, a caller's client gets DefaultTimeout.
func TestClientAlwaysHasATimeLimit(t *testing.T) {
	for _, c := range []Client{{}, {HTTP: &http.Client{}}} {
		if got := c.timeout(); got != DefaultTimeout {
			t.Errorf("timeout() = %v, want %v", got, DefaultTimeout)
		}
	}
	if got := (Client{HTTP: &http.Client{Timeout: time.Second}}).timeout(); got != time.Second {
		t.Errorf("the caller's own limit was replaced: %v", got)
	}
}
