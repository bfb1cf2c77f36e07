package i18n

import (
	"errors"
	"io/fs"
	"testing"
)

// Join keeps errors.Join's text and unwrapping, and says each error in
// the printer's language.
func TestJoin(t *testing.T) {
	if Join(nil, nil) != nil {
		t.Fatal("Join of nothing is not nil")
	}
	a := Errorf("%q is not a boolean", "maybe")
	err := Join(a, fs.ErrNotExist)
	if err.Error() != "\"maybe\" is not a boolean\nfile does not exist" || !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, a) {
		t.Fatalf("Join: %q", err)
	}
	if got := New(SimplifiedChinese).Error(Errorf("bad: %w", err)); got != "bad: \"maybe\" 不是布尔值\nfile does not exist" {
		t.Errorf("zh-Hans: %q", got)
	}
}
