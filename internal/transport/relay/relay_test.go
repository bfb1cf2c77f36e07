package relay

import (
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/transporttest"
	"github.com/git-remote-federate/git-remote-federate/protocol"
)

// The primary's relay gets every push option git set; the mirrors get
// what makes them follow the primary, never its leases or signature.
func TestRelayPushOptions(t *testing.T) {
	o := transport.PushOptions{DryRun: true, Atomic: true, PushOptions: []string{"ci.skip"}, Origin: true,
		Leases: transporttest.Leases(t, "refs/heads/main:"+strings.Repeat("a", 40)), ForceIfIncludes: true, Signed: "if-asked"}
	names := func(opts []protocol.ClientOption) string {
		var out []string
		for _, o := range opts {
			out = append(out, o.Name+"="+o.Value)
		}
		return strings.Join(out, " ")
	}
	mirror := o
	mirror.Origin = false
	want := "dry-run=true atomic=true push-option=ci.skip cas=refs/heads/main:" + strings.Repeat("a", 40) +
		" force-if-includes=true pushcert=if-asked"
	if got := names(Options(o)); got != want {
		t.Errorf("primary options %q, want %q", got, want)
	}
	if got, want := names(Options(mirror)), "dry-run=true atomic=true push-option=ci.skip"; got != want {
		t.Errorf("mirror options %q, want %q", got, want)
	}
	if got := names(Options(transport.PushOptions{Origin: true})); got != "" {
		t.Errorf("options when git set none: %q", got)
	}
}

// git's http helper already speaks the helper protocol: its statuses pass
// through, "ok <ref> up to date" stays up to date, and a server's
// multi-line reason is kept to one line.
func TestRelayStatus(t *testing.T) {
	tests := []struct {
		in   protocol.PushStatus
		want transport.Status
	}{
		{protocol.PushStatus{Ref: "r", OK: true}, transport.Status{OK: true}},
		{protocol.PushStatus{Ref: "r", OK: true, Msg: "up to date"}, transport.Status{UpToDate: true}},
		{protocol.PushStatus{Ref: "r", OK: true, Msg: "forced update"}, transport.Status{OK: true, Forced: true}},
		{protocol.PushStatus{Ref: "r", Msg: "non-fast forward"}, transport.Status{Reason: transport.NonFastForward()}},
		{protocol.PushStatus{Ref: "r", Msg: "hook declined\nsecond line"}, transport.Status{Reason: transport.Said("hook declined")}},
		{protocol.PushStatus{Ref: "r"}, transport.Status{Reason: transport.Said("rejected")}},
	}
	for _, tt := range tests {
		if got := relayStatus(tt.in); got != tt.want {
			t.Errorf("relayStatus(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
