//go:build linux

package gitexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runSlotHelper runs the slot's credential helper for op with req on
// stdin, as git runs a "!" helper, and returns its answer and what the
// program it falls back to (a script recording its arguments and
// input) received.
func runSlotHelper(t *testing.T, s *Slot, op, req string) (answer, fellBack string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "callback")
	exe := filepath.Join(t.TempDir(), "it's the callback")
	script := "#!/bin/sh\n{ echo \"args: $*\"; cat; } > '" + log + "'\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s.exe = exe
	extra, env := s.attach(nil, os.Environ())
	params, _ := lookup(env, "GIT_CONFIG_PARAMETERS")
	_, helper, _ := strings.Cut(params, "credential.helper=!")
	helper = strings.ReplaceAll(strings.TrimSuffix(helper, "'"), `'\''`, "'")
	cmd := exec.Command("sh", "-c", helper+" "+op)
	cmd.ExtraFiles, cmd.Env = extra, env
	cmd.Stdin = strings.NewReader(req)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	b, _ := os.ReadFile(log)
	return string(out), string(b)
}

func TestSlotHelper(t *testing.T) {
	s, err := NewSlot("http://127.0.0.1:8080", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const req = "protocol=http\nhost=127.0.0.1:8080\n"

	if got, back := runSlotHelper(t, s, "get", req); got != "" || back != "args: "+CallbackArg+" get\n"+req {
		t.Errorf("empty slot: answered %q, callback got %q; want the callback to get the request", got, back)
	}
	if err := s.Put("alice", "pa ss'$word"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // every reader starts at the beginning
		if got, back := runSlotHelper(t, s, "get", req); got != "username=alice\npassword=pa ss'$word\n" || back != "" {
			t.Errorf("get %d: answered %q, callback got %q; want the slot's credential and no callback", i, got, back)
		}
	}
	if got, back := runSlotHelper(t, s, "store", req+"username=alice\npassword=pa ss'$word\n"); got != "" || back != "" {
		t.Errorf("store of the slot's credential: answered %q, callback got %q; want nothing", got, back)
	}
	for name, r := range map[string]string{
		"another host":     "protocol=http\nhost=127.0.0.1:8081\n",
		"another scheme":   "protocol=https\nhost=127.0.0.1:8080\n",
		"another username": req + "username=bob\n",
	} {
		if got, back := runSlotHelper(t, s, "get", r); got != "" || !strings.Contains(back, r) {
			t.Errorf("%s: answered %q, callback got %q; want the callback to answer", name, got, back)
		}
	}
	typed := req + "username=alice\npassword=typed\n"
	if _, back := runSlotHelper(t, s, "store", typed); back != "args: "+CallbackArg+" store\n"+typed {
		t.Errorf("store of another password: callback got %q, want it to decide", back)
	}
	if _, back := runSlotHelper(t, s, "erase", req+"username=alice\npassword=pa ss'$word\n"); !strings.HasPrefix(back, "args: "+CallbackArg+" erase\n") {
		t.Errorf("erase: callback got %q, want it to decide", back)
	}
}

// TestChildSlotRememberAndForget is the callback's side: what it puts
// in the slot is what the next child reads, and a refused password is
// forgotten.
func TestChildSlotRememberAndForget(t *testing.T) {
	s, err := NewSlot("https://example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &ChildSlot{URL: s.URL, file: s.file}
	if err := c.Put("alice", "typed"); err != nil {
		t.Fatal(err)
	}
	const req = "protocol=https\nhost=example.com\n"
	if got, _ := runSlotHelper(t, s, "get", req); got != "username=alice\npassword=typed\n" {
		t.Errorf("after Put: answered %q", got)
	}
	if err := c.Forget("other"); err != nil {
		t.Fatal(err)
	}
	if got, _ := runSlotHelper(t, s, "get", req); got == "" {
		t.Error("Forget of another password emptied the slot")
	}
	if err := c.Forget("typed"); err != nil {
		t.Fatal(err)
	}
	if got, back := runSlotHelper(t, s, "get", req); got != "" || back == "" {
		t.Errorf("after Forget: answered %q, callback got %q; want the callback", got, back)
	}
}
