package i18n

import (
	"errors"
	"io/fs"
	"testing"

	"golang.org/x/text/language"
)

func TestDetectAsGit(t *testing.T) {
	zh, en := SimplifiedChinese, language.English
	for _, c := range []struct {
		env  map[string]string
		want language.Tag
	}{
		{map[string]string{}, en},
		{map[string]string{"LANG": "zh_CN.UTF-8"}, zh},
		{map[string]string{"LANG": "zh_SG"}, zh},
		{map[string]string{"LANG": "zh_Hans.UTF-8"}, zh},
		{map[string]string{"LANG": "zh_TW.UTF-8"}, en},
		{map[string]string{"LANG": "de_DE.UTF-8"}, en},
		// LC_ALL, then LC_MESSAGES, then LANG: the first set one counts.
		{map[string]string{"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, en},
		{map[string]string{"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, en},
		{map[string]string{"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, zh},
		{map[string]string{"LC_ALL": "", "LANG": "zh_CN.UTF-8"}, zh},
		// LANGUAGE comes first, but not in the C locale.
		{map[string]string{"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, zh},
		{map[string]string{"LANGUAGE": "zh_CN", "LANG": "C.UTF-8"}, en},
		{map[string]string{"LANGUAGE": "zh_CN", "LC_ALL": "POSIX"}, en},
		{map[string]string{"LANGUAGE": "zh_CN"}, en},
		{map[string]string{"LANGUAGE": "fr:zh_CN", "LANG": "de_DE.UTF-8"}, zh},
		{map[string]string{"LANGUAGE": "en:zh_CN", "LANG": "zh_CN.UTF-8"}, en},
		{map[string]string{"LANGUAGE": "fr", "LANG": "zh_CN.UTF-8"}, zh},
		// A parent of this program passes its choice down.
		{map[string]string{LanguageEnv: "zh-Hans", "LC_MESSAGES": "C"}, zh},
		{map[string]string{LanguageEnv: "en", "LANG": "zh_CN.UTF-8"}, en},
	} {
		got := Detect(func(k string) string { return c.env[k] })
		if got != c.want {
			t.Errorf("Detect(%v) = %v, want %v", c.env, got, c.want)
		}
	}
}

func TestPrinterKeepsNumbersAndWraps(t *testing.T) {
	for _, p := range []*Printer{nil, New(language.English), New(SimplifiedChinese)} {
		if got := p.Sprintf("listening on 127.0.0.1:%d (%d bytes, %.1f s)", 3000, 12345, 1234.5); got != "listening on 127.0.0.1:3000 (12345 bytes, 1234.5 s)" {
			t.Errorf("%v: untranslated message came out as %q", p.Language(), got)
		}
	}
	base := errors.New("boom")
	err := Errorf("push to %s: %w", "gitee", base)
	if !errors.Is(err, base) || err.Error() != "push to gitee: boom" {
		t.Errorf("Errorf = %q, is base %v", err, errors.Is(err, base))
	}
}

func TestEmbeddedCatalogsLoad(t *testing.T) {
	files, err := ReadFiles(locales)
	if err != nil || len(files) < 2 {
		t.Fatalf("ReadFiles = %d files, %v", len(files), err)
	}
	if _, err := fs.Stat(locales, "locales/zh-Hans/messages.gotext.json"); err != nil {
		t.Fatal(err)
	}
	catalogs() // panics on a broken file
}

func TestEnglishPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 refs", 1: "1 ref", 2: "2 refs", 1000: "1000 refs"} {
		if got := New(language.English).Sprintf("%d refs", n); got != want {
			t.Errorf("%d: got %q, want %q", n, got, want)
		}
	}
}

func TestChineseTranslationReordersArguments(t *testing.T) {
	zh := New(SimplifiedChinese)
	if got, want := zh.Sprintf("Dropped %d update(s) queued for %s.\n", 12345, "https://gitee.com/a.git"), "已丢弃为 https://gitee.com/a.git 排队的 12345 个更新。\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	err := Errorf("listing %s: %w", "https://x/r.git", Errorf("no server could serve the fetch"))
	if got, want := zh.Error(err), "列出 https://x/r.git 的引用：没有服务器能完成此次获取"; got != want {
		t.Errorf("nested error: got %q, want %q", got, want)
	}
	if got, want := err.Error(), "listing https://x/r.git: no server could serve the fetch"; got != want {
		t.Errorf("English error: got %q, want %q", got, want)
	}
}
