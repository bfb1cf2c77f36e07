package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"
)

// The catalogs are in the file format of gotext: one
// locales/<language>/messages.gotext.json per language, each message an
// id (the English format), and a translation that is either a string or,
// for a message whose wording depends on a number, a plural select.
//
//go:embed locales/*/messages.gotext.json
var locales embed.FS

// File is one language's catalog file.
type File struct {
	Language string    `json:"language"`
	Messages []Message `json:"messages"`
}

// Message is one entry of a catalog file.
type Message struct {
	ID          string          `json:"id"`
	Translation json.RawMessage `json:"translation"`
}

// Select is a translation that depends on a number: Arg is the
// argument's position (1-based) and Cases maps a plural form ("one",
// "other", "=0") to the text.
type Select struct {
	Feature string          `json:"feature"`
	Arg     int             `json:"arg"`
	Cases   map[string]Case `json:"cases"`
}

// Case is one text of a Select.
type Case struct {
	Msg string `json:"msg"`
}

// catalogs builds the catalog once per process from the embedded files;
// it never changes after, so every printer can share it.
var catalogs = sync.OnceValue(func() catalog.Catalog {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	files, err := ReadFiles(locales)
	if err != nil {
		panic(err) // the embedded files are checked by this package's tests
	}
	for _, f := range files {
		if err := f.addTo(b); err != nil {
			panic(err)
		}
	}
	return b
})

// englishTexts are the messages the English catalog words itself (plural
// forms); every other message's English text is its format.
// Only the English file is read: the others are many times its size,
// and reading them was a tenth of a command's start.
var englishTexts = sync.OnceValue(func() map[string]bool {
	f, err := readFile(locales, "locales/"+language.English.String()+"/messages.gotext.json")
	if err != nil {
		panic(err) // the embedded files are checked by this package's tests
	}
	ids := map[string]bool{}
	for _, m := range f.Messages {
		ids[m.ID] = true
	}
	return ids
})

// ReadFiles reads every locales/*/messages.gotext.json of fsys.
func ReadFiles(fsys fs.FS) ([]File, error) {
	names, err := fs.Glob(fsys, "locales/*/messages.gotext.json")
	if err != nil {
		return nil, err
	}
	var files []File
	for _, name := range names {
		f, err := readFile(fsys, name)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// readFile reads the catalog file name of fsys, locales/<language>/….
func readFile(fsys fs.FS, name string) (File, error) {
	var f File
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("%s: %w", name, err)
	}
	if f.Language != path.Base(path.Dir(name)) {
		return f, fmt.Errorf("%s: language %q is not its directory's", name, f.Language)
	}
	return f, nil
}

// Texts are the translations of m: one string, or each case of a select.
func (m Message) Texts() ([]string, error) {
	text, sel, err := m.decode()
	if err != nil || sel == nil {
		return []string{text}, err
	}
	var out []string
	for _, c := range sel.Cases {
		out = append(out, c.Msg)
	}
	return out, nil
}

func (m Message) decode() (string, *Select, error) {
	var text string
	if err := json.Unmarshal(m.Translation, &text); err == nil {
		return text, nil, nil
	}
	var wrap struct {
		Select *Select `json:"select"`
	}
	if err := json.Unmarshal(m.Translation, &wrap); err != nil || wrap.Select == nil ||
		wrap.Select.Feature != "plural" || wrap.Select.Arg < 1 {
		return "", nil, fmt.Errorf("message %q: translation is neither a string nor a plural select", m.ID)
	}
	return "", wrap.Select, nil
}

// forms are the cases of s in the order Selectf must try them: the
// first that matches wins, so exact numbers come first and "other" last.
func (s *Select) forms() []string {
	rank := func(form string) int {
		if strings.HasPrefix(form, "=") {
			return -1
		}
		for i, f := range []string{"zero", "one", "two", "few", "many", "other"} {
			if f == form {
				return i
			}
		}
		return 99
	}
	forms := make([]string, 0, len(s.Cases))
	for form := range s.Cases {
		forms = append(forms, form)
	}
	sort.Slice(forms, func(i, j int) bool {
		ri, rj := rank(forms[i]), rank(forms[j])
		return ri < rj || ri == rj && forms[i] < forms[j]
	})
	return forms
}

func (f File) addTo(b *catalog.Builder) error {
	tag := language.Make(f.Language)
	for _, m := range f.Messages {
		text, sel, err := m.decode()
		if err != nil {
			return err
		}
		// Errorf's %w is printed as %v: the wrapping is done by then.
		id := strings.ReplaceAll(m.ID, "%w", "%v")
		if sel == nil {
			if text == "" {
				continue
			}
			err = b.SetString(tag, id, strings.ReplaceAll(text, "%w", "%v"))
		} else {
			var cases []any
			for _, form := range sel.forms() {
				cases = append(cases, form, strings.ReplaceAll(sel.Cases[form].Msg, "%w", "%v"))
			}
			err = b.Set(tag, id, plural.Selectf(sel.Arg, "", cases...))
		}
		if err != nil {
			return fmt.Errorf("%s %q: %w", f.Language, m.ID, err)
		}
	}
	return nil
}
