package i18n

import (
	"errors"
	"regexp"
	"testing"

	"golang.org/x/text/language"
)

// The English printer formats a message without an English text of its
// own with fmt: for every message of the catalogs, with arguments of
// the kinds its verbs take, that is what the catalog's printer makes.
func TestEnglishWithoutCatalogIsTheCatalogsText(t *testing.T) {
	files, err := ReadFiles(locales)
	if err != nil {
		t.Fatal(err)
	}
	p := New(language.English)
	verb := regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?([a-zA-Z%])`)
	checked := 0
	for _, f := range files {
		for _, m := range f.Messages {
			if englishTexts()[m.ID] {
				continue
			}
			var args []any
			for _, v := range verb.FindAllStringSubmatch(m.ID, -1) {
				switch v[1] {
				case "%":
				case "d", "x", "X", "o", "c":
					args = append(args, 3000+len(args))
				case "f", "g", "e":
					args = append(args, 1.5)
				case "v":
					args = append(args, errors.New("an error"))
				case "t":
					args = append(args, true)
				default:
					args = append(args, "a \"text\"")
				}
			}
			if got, want := p.Sprintf(m.ID, args...), p.mp().Sprintf(m.ID, plain(args)...); got != want {
				t.Errorf("%q: fmt gives %q, the catalog's printer %q", m.ID, got, want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d messages checked", checked)
	}
}

// A message the English catalog words itself keeps its plural forms.
func TestEnglishPluralsStillComeFromTheCatalog(t *testing.T) {
	p := New(language.English)
	if got := p.Sprintf("%d refs", 1); got != "1 ref" {
		t.Errorf(`Sprintf("%%d refs", 1) = %q, want "1 ref"`, got)
	}
	if got := p.Sprintf("%d refs", 3000); got != "3000 refs" {
		t.Errorf(`Sprintf("%%d refs", 3000) = %q, want "3000 refs"`, got)
	}
}
