package gittest

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// GitStarts reads a GIT_TRACE2_EVENT file: the arguments (after the
// program) of every git process that started, in order. A file that
// does not exist is no process at all.
func GitStarts(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var starts [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev struct {
			Event string   `json:"event"`
			Argv  []string `json:"argv"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event != "start" || len(ev.Argv) == 0 {
			continue
		}
		starts = append(starts, ev.Argv[1:])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return starts
}

// Subcommand is the git subcommand of args as GitStarts gives them
// ("config" of "--no-pager config -z …"), "?" when there is none.
func Subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return "?"
}
