package federation

import (
	"reflect"
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	known := []string{"myproj", "linkis", "status", "sync"}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"myproy", []string{"myproj"}},
		{"stauts", []string{"status"}},
		{"snyc", []string{"sync"}},
		{"gitea", nil},
		{"myproj", nil},
	} {
		if got := Suggest(tc.name, known); !reflect.DeepEqual(got, tc.want) && (len(got) != 0 || len(tc.want) != 0) {
			t.Errorf("Suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestUnknownNameMessage(t *testing.T) {
	c, err := Parse([]Entry{
		{Key: "federation.myproj.origin", Value: "https://example.com/a.git"},
		{Key: "federation.other.origin", Value: "https://example.com/b.git"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Lookup("myproy")
	if err == nil || !strings.Contains(err.Error(), `did you mean "myproj"?`) || strings.Contains(err.Error(), "git federate add") {
		t.Errorf("near miss: %v; want a did-you-mean and no invitation to add a duplicate", err)
	}
	_, err = c.Lookup("zzz")
	if err == nil || !strings.Contains(err.Error(), "(defined: myproj, other)") {
		t.Errorf("unknown name: %v; want the list of defined federations", err)
	}
}
