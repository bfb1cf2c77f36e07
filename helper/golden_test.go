package helper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// transcriptsFile holds the remote-helper conversations the tests play,
// as a txtar archive: one file per conversation.
var transcriptsFile = filepath.Join("..", "testdata", "transcripts.txtar")

// exchange is one step of a transcript: a command and its exact answer,
// or a named check of the test.
type exchange struct {
	send, want string
	check      string
}

// transcript reads conversation name from transcriptsFile, with {ref}
// replaced by oids[ref].
func transcript(t *testing.T, name string, oids map[string]string) []exchange {
	t.Helper()
	b, err := os.ReadFile(transcriptsFile)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := txtarFile(string(b), name)
	if !ok {
		t.Fatalf("%s has no conversation %q", transcriptsFile, name)
	}
	var pairs []string
	for ref, oid := range oids {
		pairs = append(pairs, "{"+ref+"}", oid)
	}
	body = strings.NewReplacer(pairs...).Replace(body)
	return parseExchanges(t, body)
}

// txtarFile returns the file called name from a txtar archive: the lines
// after "-- name --" up to the next such marker.
func txtarFile(archive, name string) (string, bool) {
	var out []string
	in, found := false, false
	for _, line := range strings.SplitAfter(archive, "\n") {
		trimmed := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) >= 6 {
			if found {
				break
			}
			in = strings.TrimSpace(trimmed[3:len(trimmed)-3]) == name
			found = in
			continue
		}
		if in {
			out = append(out, line)
		}
	}
	return strings.Join(out, ""), found
}

func parseExchanges(t *testing.T, body string) []exchange {
	t.Helper()
	var steps []exchange
	var cur *exchange
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		kind, text := line, ""
		if k, rest, ok := strings.Cut(line, " "); ok {
			kind, text = k, rest
		}
		switch kind {
		case "", "#":
		case ">":
			if cur == nil || cur.want != "" || cur.check != "" {
				steps = append(steps, exchange{})
				cur = &steps[len(steps)-1]
			}
			cur.send += text + "\n"
		case "<":
			if cur == nil || cur.check != "" {
				t.Fatalf("transcript: answer %q before any command", line)
			}
			cur.want += text + "\n"
		case "!":
			steps = append(steps, exchange{check: text})
			cur = &steps[len(steps)-1]
		default:
			t.Fatalf("transcript: line %q starts with none of > < ! #", line)
		}
	}
	return steps
}

// play runs the steps on c: each command must get exactly its answer,
// and each named check runs when reached. Every check must be reached,
// so a transcript cannot silently skip what the test verifies.
func (c *conversation) play(steps []exchange, checks map[string]func()) {
	c.t.Helper()
	ran := map[string]bool{}
	for _, s := range steps {
		if s.check == "" {
			c.step(s.send, s.want)
			continue
		}
		f, ok := checks[s.check]
		if !ok {
			c.t.Fatalf("transcript names check %q, which the test lacks", s.check)
		}
		f()
		ran[s.check] = true
	}
	for name := range checks {
		if !ran[name] {
			c.t.Errorf("check %q never ran: the transcript does not name it", name)
		}
	}
}
