package gitexec

import (
	"reflect"
	"testing"
)

func TestParseConfigZ(t *testing.T) {
	out := "federation.a.origin\nhttps://e.com/a\x00federation.a.force\x00federation.a.mirror\nline1\nline2\x00"
	want := []ConfigEntry{
		{Key: "federation.a.origin", Value: "https://e.com/a"},
		{Key: "federation.a.force"},
		{Key: "federation.a.mirror", Value: "line1\nline2"},
	}
	if got := ParseConfigZ([]byte(out), false); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseConfigZ = %q", got)
	}
}

func TestParseConfigZWithScope(t *testing.T) {
	out := "global\x00federation.a.origin\nhttps://e.com/a\x00local\x00federation.a.force\x00local\x00federation.a.mirror\nm\nn\x00"
	want := []ConfigEntry{
		{Scope: "global", Key: "federation.a.origin", Value: "https://e.com/a"},
		{Scope: "local", Key: "federation.a.force"},
		{Scope: "local", Key: "federation.a.mirror", Value: "m\nn"},
	}
	if got := ParseConfigZ([]byte(out), true); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseConfigZ = %q", got)
	}
}
