package child

import (
	"bytes"
	"strings"
	"testing"

	"github.com/git-remote-federate/git-remote-federate/internal/gitexec"
	"github.com/git-remote-federate/git-remote-federate/internal/transport"
	"github.com/git-remote-federate/git-remote-federate/internal/transport/transporttest"
)

// Every porcelain verdict maps to the reply git's transport-helper
// understands, so git prints its own report and hints.
func TestStatusOfPorcelain(t *testing.T) {
	tests := []struct {
		line string
		st   transport.Status
	}{
		{"*\trefs/heads/n:refs/heads/n\t[new branch]", transport.Status{OK: true}},
		{" \tabc:refs/heads/main\t1111111..2222222", transport.Status{OK: true}},
		{"+\tHEAD:refs/heads/main\t1111111...2222222 (forced update)", transport.Status{OK: true, Forced: true}},
		{"-\t:refs/heads/old\t[deleted]", transport.Status{OK: true}},
		{"=\trefs/heads/x:refs/heads/x\t[up to date]", transport.Status{UpToDate: true}},
		{"!\trefs/heads/main:refs/heads/main\t[rejected] (non-fast-forward)", transport.Status{Reason: transport.NonFastForward()}},
		{"!\trefs/heads/main:refs/heads/main\t[rejected] (fetch first)", transport.Status{Reason: transport.Said("fetch first")}},
		{"!\tv1:refs/tags/v1\t[rejected] (already exists)", transport.Status{Reason: transport.Said("already exists")}},
		{"!\tx:refs/heads/x\t[rejected] (stale info)", transport.Status{Reason: transport.Said("stale info")}},
		{"!\tx:refs/heads/x\t[remote rejected] (hook declined (policy))", transport.Status{Reason: transport.Said("hook declined (policy)")}},
		{"!\tx:refs/heads/x\t[remote failure] (remote failed to report status)", transport.Status{Reason: transport.Said("expecting report")}},
		{"!\tx:refs/heads/x\t[no match]", transport.Status{Reason: transport.Said("no match")}},
	}
	for _, tt := range tests {
		refs := gitexec.ParsePorcelain([]byte(tt.line))
		if len(refs) != 1 {
			t.Errorf("parse %q = %+v", tt.line, refs)
			continue
		}
		if st := StatusOf(refs[0]); st != tt.st {
			t.Errorf("status of %q = %+v, want %+v", tt.line, st, tt.st)
		}
	}
}

// git's "cas" options become leases on the refs they name; the zero
// object name means the ref must not exist yet.
func TestPrimaryPushLeases(t *testing.T) {
	oid := strings.Repeat("ab", 20)
	o := transport.PushOptions{Origin: true, Leases: transporttest.Leases(t, "refs/heads/main:"+oid, "refs/heads/new:"+strings.Repeat("0", 40))}
	p := OriginPush("u", []transport.Update{{Ref: "refs/heads/main", Src: "x", OID: oid, Force: true}, {Ref: "refs/heads/new", Src: "y"}, {Ref: "refs/heads/other", Src: "z"}}, o)
	args := strings.Join(p.Args(), " ")
	for _, want := range []string{"--force-with-lease=refs/heads/main:" + oid, "--force-with-lease=refs/heads/new: ", " " + oid + ":refs/heads/main"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if strings.Contains(args, "lease=refs/heads/other") {
		t.Errorf("args %q lease a ref git did not", args)
	}
}

func TestLineFilterDropsDuplicateErrorKeepsProgress(t *testing.T) {
	var out bytes.Buffer
	f := &LineFilter{W: &out, Drop: "error: failed to push some refs to "}
	for _, chunk := range []string{"Writing objects:  50% (1/2)\rWriting", " objects: 100% (2/2), done.\n",
		"error: failed to push some refs to 'http://x'\n", "fatal: unable to access 'http://x/': 503\n", "tail"} {
		f.Write([]byte(chunk))
	}
	f.Flush()
	want := "Writing objects:  50% (1/2)\rWriting objects: 100% (2/2), done.\nfatal: unable to access 'http://x/': 503\ntail"
	if out.String() != want {
		t.Errorf("filtered = %q, want %q", out.String(), want)
	}
}
