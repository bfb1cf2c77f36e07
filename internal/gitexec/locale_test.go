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

// The header is git's own, for the cases of git's t5550 and the locale
// categories git reads.
func TestAcceptLanguage(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"LANGUAGE=ko_KR.UTF-8"}, "ko-KR, *;q=0.9"},
		{[]string{"LANGUAGE=ko_KR.EUC-KR:en_US.UTF-8"}, "ko-KR, en-US;q=0.9, *;q=0.8"},
		{[]string{"LANGUAGE=ko_KR.UTF-8:en_US.UTF-8:fr_CA:de.UTF-8@euro:sr@latin:ja:zh:th:pt_BR:es"},
			"ko-KR, en-US;q=0.99, fr-CA;q=0.98, de;q=0.97, sr;q=0.96, ja;q=0.95, zh;q=0.94, th;q=0.93, pt-BR;q=0.92, es;q=0.91, *;q=0.90"},
		{[]string{"LANGUAGE=", "LC_ALL=ko_KR.utf8"}, "ko-KR, *;q=0.9"},
		{[]string{"LANG=de_DE.UTF-8"}, "de-DE, *;q=0.9"},
		{[]string{"LANG=C"}, ""},
		{[]string{"LC_ALL=POSIX", "LANG=de_DE"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := acceptLanguage(tt.env); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.env, got, tt.want)
		}
	}
}
