package gitexec

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestChildrenRedactTraces: a child gets GIT_TRACE_REDACT=1 even when the
// user's environment turned it off, so GIT_TRACE_CURL never prints the
// Authorization header of a token of ours; only a child for a server
// whose slot holds no token of ours keeps the user's choice, as plain git
// would show the user's own credentials.
func TestChildrenRedactTraces(t *testing.T) {
	tokenless, err := NewSlot("http://127.0.0.1:8080", "")
	if err != nil {
		t.Fatal(err)
	}
	defer tokenless.Close()
	withToken, err := NewSlot("http://127.0.0.1:8081", "")
	if err != nil {
		t.Fatal(err)
	}
	defer withToken.Close()
	if err := withToken.Put("x-access-token", "tok"); err != nil {
		t.Fatal(err)
	}
	slots := map[string]*Slot{"http://127.0.0.1:8080/r": tokenless, "http://127.0.0.1:8081/r": withToken}
	for _, tc := range []struct {
		name, url string
		env       []string
		want      string
	}{
		{"from the process", "", nil, "GIT_TRACE_REDACT=1"},
		{"given", "", []string{"GIT_TRACE_REDACT=0", "PATH=" + os.Getenv("PATH")}, "GIT_TRACE_REDACT=1"},
		{"a server with our token", "http://127.0.0.1:8081/r", []string{"GIT_TRACE_REDACT=0", "PATH=" + os.Getenv("PATH")}, "GIT_TRACE_REDACT=1"},
		{"a server without", "http://127.0.0.1:8080/r", []string{"GIT_TRACE_REDACT=0", "PATH=" + os.Getenv("PATH")}, "GIT_TRACE_REDACT=0"},
		{"a server without, redaction on", "http://127.0.0.1:8080/r", []string{"PATH=" + os.Getenv("PATH")}, "GIT_TRACE_REDACT=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env == nil {
				t.Setenv("GIT_TRACE_REDACT", "0")
			}
			r := Runner{Git: "env", Env: tc.env, Slots: func(url string) *Slot { return slots[url] }}
			if tc.url != "" {
				r = r.ForServer(tc.url)
			}
			out, err := r.Output(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(v, "GIT_TRACE_REDACT=") {
					got = append(got, v)
				}
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("child has %q, want %s", got, tc.want)
			}
		})
	}
}

// GIT_TRACE_REDACT is read as git's git_env_bool reads it.
func TestTracesShowCredentials(t *testing.T) {
	for v, want := range map[string]bool{"0": true, "false": true, "off": true, "": true, "1": false, "yes": false, "maybe": false} {
		if got := TracesShowCredentials([]string{"GIT_TRACE_REDACT=" + v}); got != want {
			t.Errorf("GIT_TRACE_REDACT=%q: shows credentials %v, want %v", v, got, want)
		}
	}
	if TracesShowCredentials(nil) {
		t.Error("unset: shows credentials")
	}
}

// Getenv reads a Runner's Env as its child does (the last of a name
// wins), nil as this process's environment, and says the two variables
// git reads differently set but empty in words of the same meaning.
func TestGetenvReadsAsAChildDoes(t *testing.T) {
	env := []string{"A=first", "A=last", "GIT_ALLOW_PROTOCOL=", "GIT_PROTOCOL_FROM_USER=", "EMPTY="}
	get := Getenv(env)
	for name, want := range map[string]string{
		"A": "last", "GIT_ALLOW_PROTOCOL": ":", "GIT_PROTOCOL_FROM_USER": "false", "EMPTY": "", "UNSET": "",
	} {
		if got := get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := Getenv([]string{"A=1"})("GIT_ALLOW_PROTOCOL"); got != "" {
		t.Errorf("an unset GIT_ALLOW_PROTOCOL = %q, want \"\"", got)
	}
	t.Setenv("GIT_ALLOW_PROTOCOL", "")
	if got := Getenv(nil)("GIT_ALLOW_PROTOCOL"); got != ":" {
		t.Errorf("this process's empty GIT_ALLOW_PROTOCOL = %q, want \":\"", got)
	}
}
