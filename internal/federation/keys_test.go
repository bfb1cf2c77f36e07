package federation

import (
	"strings"
	"testing"
	"time"
)

// A federation with no options set behaves as the key table's defaults say.
func TestDefaultOptionsFollowTheKeyTable(t *testing.T) {
	o := DefaultOptions()
	if !o.PushOrigin || o.RequireMirrors || o.FetchFrom != FetchFromOrigin || !o.Failover ||
		o.SyncOnFetch || o.Frequency != time.Hour || o.Force || o.Prune || o.CreateMissing ||
		o.MirrorPush != MirrorPushWait || o.Timeout != DefaultTimeout || o.Include != nil || o.Exclude != nil {
		t.Errorf("DefaultOptions() = %+v", o)
	}
}

// Every section lists its keys once, each documented and validated, and
// a key is found whatever its case (git compares keys without case).
func TestKeyTable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		id := k.Section + "." + strings.ToLower(k.Name)
		if seen[id] {
			t.Errorf("%s listed twice", id)
		}
		seen[id] = true
		if k.Doc == "" || k.Check == nil {
			t.Errorf("%s has no doc or no validator", id)
		}
	}
	for _, id := range []string{"federation.mirrorpush", "federationset.mirrorpush", "federation.fetchfrom",
		"federationset.createmissing", "federate.forge", "federate.api"} {
		if !seen[id] {
			t.Errorf("%s is missing from the key table", id)
		}
	}
	if k, ok := LookupKey(SectionFederation, "SYNCONFETCH"); !ok || k.Name != "syncOnFetch" || k.Multi {
		t.Errorf("LookupKey(syncOnFetch) = %+v, %v", k, ok)
	}
	if k, ok := LookupKey(SectionSet, "include"); !ok || !k.Multi || k.Check("refs/heads/*") != nil || k.Check("app-*") != nil {
		t.Errorf("a set's include takes repository-name wildcards: %+v, %v", k, ok)
	}
	if k, _ := LookupKey(SectionFederation, "include"); k.Check("heads/*") == nil {
		t.Error("a federation's include took a glob outside refs/, which matches nothing")
	}
}

// Loading validates every key the table describes, and names the key as
// the table spells it.
func TestParseValidatesThroughTheKeyTable(t *testing.T) {
	cases := []struct{ key, value, want string }{
		{"federation.a.mirrorpush", "later", "federation.a.mirrorPush"},
		{"federation.a.include", "heads/*", "federation.a.include"},
		{"federate.https://git.example.com.forge", "bitbucket", "federate.https://git.example.com.forge"},
		{"federationset.s.prune", "maybe", "federationset.s.prune"},
	}
	for _, c := range cases {
		_, err := Parse(entries(
			"federation.a.origin", "https://example.com/a.git",
			"federationset.s.origin", "https://example.com/owner",
			c.key, c.value,
		))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: Parse error = %v, want one naming %s", c.key, c.value, err, c.want)
		}
	}
	cfg, err := Parse(entries("federate.https://git.example.com.forge", "Gitea"))
	if err != nil || cfg.ForgeOf("https", "git.example.com") != "gitea" {
		t.Errorf("forge Gitea: %v, %q", err, cfg.ForgeOf("https", "git.example.com"))
	}
}
