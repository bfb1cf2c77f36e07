package gitexec

import "testing"

// TestRefReportWords checks the one wording of a ref git did not update,
// which the reply to git and the mirror's queue both use: git's own word
// for a remote that did not report, whatever detail follows it.
func TestRefReportWords(t *testing.T) {
	for _, tt := range []struct {
		line, want string
	}{
		{"!\trefs/heads/x:refs/heads/x\t[rejected] (non-fast-forward)", "non-fast-forward"},
		{"!\trefs/heads/x:refs/heads/x\t[remote rejected] (pre-receive hook declined)", "pre-receive hook declined"},
		{"!\trefs/heads/x:refs/heads/x\t[remote failure] (remote failed to report status)", "expecting report"},
		{"!\trefs/heads/x:refs/heads/x\t[no match]", "no match"},
		{"!\trefs/heads/x:refs/heads/x\t[rejected]", "rejected"},
	} {
		reps := ParsePorcelain([]byte("To somewhere\n" + tt.line + "\nDone\n"))
		if len(reps) != 1 {
			t.Fatalf("%q parsed to %+v", tt.line, reps)
		}
		if got := reps[0].Words(); got != tt.want {
			t.Errorf("Words of %q = %q, want %q", tt.line, got, tt.want)
		}
	}
}
