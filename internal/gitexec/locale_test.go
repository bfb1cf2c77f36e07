package gitexec

import (
	"context"
	"slices"
	"testing"
)

// A user speaking Chinese gets git's own messages in English from the
// children whose stderr is parsed; other categories stay theirs.
func TestChildrenSpeakEnglish(t *testing.T) {
	env := []string{"PATH=/bin", "LANGUAGE=zh_CN:en", "LC_ALL=zh_CN.UTF-8", "LC_MESSAGES=zh_CN.UTF-8"}
	got := Runner{Env: env}.Command(context.Background(), "version").Env
	for _, want := range []string{"PATH=/bin", "LANG=zh_CN.UTF-8", "LC_MESSAGES=C", "FEDERATE_LANGUAGE=zh-Hans"} {
		if !slices.Contains(got, want) {
			t.Errorf("child env %q lacks %s", got, want)
		}
	}
	for _, kv := range got {
		if kv == "LC_ALL=zh_CN.UTF-8" || kv == "LANGUAGE=zh_CN:en" || kv == "LC_MESSAGES=zh_CN.UTF-8" {
			t.Errorf("child env %q keeps %s", got, kv)
		}
	}
}
