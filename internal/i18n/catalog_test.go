package i18n

import (
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "add the messages of the code missing from the zh-Hans catalog (untranslated) and drop the ones no code uses")

// use is one message of the code and where it is.
type use struct {
	id    string
	where string
}

// TestCatalogCoversCode checks that every message the code prints has a
// Simplified Chinese translation with the same placeholders, and that the
// catalogs hold no message the code no longer prints.
func TestCatalogCoversCode(t *testing.T) {
	uses := scanModule(t, filepath.Join("..", ".."))
	if len(uses) == 0 {
		t.Fatal("found no message in the code: the scan is broken")
	}
	files, err := ReadFiles(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{}
	for _, u := range uses {
		used[u.id] = u.where
	}
	if *update {
		writeZh(t, uses, files)
		return
	}
	for _, f := range files {
		have := map[string]bool{}
		for _, m := range f.Messages {
			have[m.ID] = true
			if _, ok := used[m.ID]; !ok {
				t.Errorf("%s: message %q is used nowhere in the code", f.Language, m.ID)
				continue
			}
			checkTexts(t, f.Language, m)
		}
		if f.Language != "zh-Hans" {
			continue
		}
		for _, u := range uses {
			if !have[u.id] {
				t.Errorf("%s: no zh-Hans translation of %q (run go test ./internal/i18n -run Catalog -update, then translate)", u.where, u.id)
				have[u.id] = true
			}
		}
	}
}

func checkTexts(t *testing.T, lang string, m Message) {
	t.Helper()
	texts, err := m.Texts()
	if err != nil {
		t.Errorf("%s: %v", lang, err)
		return
	}
	want := placeholders(m.ID)
	for _, text := range texts {
		if text == "" {
			t.Errorf("%s: %q is not translated", lang, m.ID)
			continue
		}
		if got := placeholders(text); got != want {
			t.Errorf("%s: placeholders of %q are %s, of its translation %q are %s", lang, m.ID, want, text, got)
		}
		// Commands in backquotes, and the flag value names urfave/cli
		// takes from them, are typed as they are in every language.
		if got, want := codeSpans(text), codeSpans(m.ID); got != want {
			t.Errorf("%s: %q has the code %s, its translation %q has %s", lang, m.ID, want, text, got)
		}
	}
}

var codeRE = regexp.MustCompile("`[^`]*`")

// codeSpans lists the backquoted spans of a text, sorted.
func codeSpans(text string) string {
	spans := codeRE.FindAllString(text, -1)
	sort.Strings(spans)
	return strings.Join(spans, " ")
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*(\d+|\*)?(\.(\d+|\*)?)?(\[\d+\])?([a-zA-Z%])`)

// placeholders describes the verbs of a format by argument: "1:s 2:d".
// A translation may reorder the arguments with %[n]s; it must use each
// one with the same verb.
func placeholders(format string) string {
	byArg := map[int]string{}
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(format, -1) {
		verb := m[6]
		if verb == "%" {
			continue
		}
		if verb == "w" {
			verb = "v"
		}
		idx := m[1]
		if idx == "" {
			idx = m[5]
		}
		if idx != "" {
			next, _ = strconv.Atoi(strings.Trim(idx, "[]"))
		}
		byArg[next] = verb
		next++
	}
	keys := make([]int, 0, len(byArg))
	for k := range byArg {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, strconv.Itoa(k)+":"+byArg[k])
	}
	return strings.Join(parts, " ")
}

func TestPlaceholders(t *testing.T) {
	for format, want := range map[string]string{
		"push to %s: %w":        "1:s 2:v",
		"%[2]s 推送到 %[1]s：%v":    "1:s 2:v",
		"%[2]s 推送到 %[1]s":       "1:s 2:s",
		"%d%% done, %-8s %.1fs": "1:d 2:s 3:f",
	} {
		if got := placeholders(format); got != want {
			t.Errorf("placeholders(%q) = %q, want %q", format, got, want)
		}
	}
}

// scanModule finds the messages of every non-test Go file under root:
// the literal formats of i18n.Errorf and i18n.M, and of the Sprintf and
// Fprintf methods of a printer (any such call whose receiver is not a
// package). A printer call with a format that is not a literal is an
// error: its message could not be translated.
func scanModule(t *testing.T, root string) []use {
	t.Helper()
	var uses []use
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if filepath.Base(filepath.Dir(path)) == "i18n" {
			return nil // the printer itself passes formats on
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		uses = append(uses, scanFile(t, fset, f)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uses
}

func scanFile(t *testing.T, fset *token.FileSet, f *ast.File) []use {
	imports := map[string]bool{}
	usesCLI := false
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		usesCLI = usesCLI || p == "github.com/urfave/cli/v2"
		name := filepath.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = true
	}
	var uses []use
	ast.Inspect(f, func(n ast.Node) bool {
		if kv, ok := n.(*ast.KeyValueExpr); ok && usesCLI {
			// The help texts of commands and flags, which the CLI
			// translates when it builds its help.
			if key, ok := kv.Key.(*ast.Ident); ok && (key.Name == "Usage" || key.Name == "Description") {
				if text, ok := literal(kv.Value); ok && text != "" && !strings.Contains(text, "%") {
					uses = append(uses, use{id: text, where: fset.Position(kv.Pos()).String()})
				}
			}
			return true
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if id, isIdent := call.Fun.(*ast.Ident); isIdent && id.Name == "UsageError" && f.Name.Name == "fedcmd" {
			// fedcmd's usage errors are translated when printed.
			sel, ok = &ast.SelectorExpr{X: ast.NewIdent("fedcmd"), Sel: id}, true
			imports["fedcmd"] = true
		}
		if !ok {
			return true
		}
		pkg, _ := sel.X.(*ast.Ident)
		isPkg := pkg != nil && imports[pkg.Name]
		arg := -1
		switch {
		case isPkg && pkg.Name == "i18n" && (sel.Sel.Name == "Errorf" || sel.Sel.Name == "M"),
			isPkg && pkg.Name == "fedcmd" && sel.Sel.Name == "UsageError":
			arg = 0
		case !isPkg && sel.Sel.Name == "Sprintf":
			arg = 0
		case !isPkg && sel.Sel.Name == "Fprintf":
			arg = 1
		}
		if arg < 0 || len(call.Args) <= arg {
			return true
		}
		where := fset.Position(call.Pos()).String()
		if id, isIdent := call.Args[arg].(*ast.Ident); isIdent && id.Name == "format" {
			return true // a wrapper passing its own caller's format on
		}
		id, ok := literal(call.Args[arg])
		if !ok {
			t.Errorf("%s: the format of a message must be a string literal, to be found in the catalog", where)
			return true
		}
		uses = append(uses, use{id: id, where: where})
		return true
	})
	return uses
}

// literal is the value of a string literal, or of a sum of them.
func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		x, okx := literal(e.X)
		y, oky := literal(e.Y)
		return x + y, okx && oky && e.Op == token.ADD
	case *ast.ParenExpr:
		return literal(e.X)
	}
	return "", false
}

// writeZh rewrites the zh-Hans catalog with the messages of the code in
// the order they appear, keeping the translations it has.
func writeZh(t *testing.T, uses []use, files []File) {
	old := map[string]json.RawMessage{}
	for _, f := range files {
		if f.Language == "zh-Hans" {
			for _, m := range f.Messages {
				old[m.ID] = m.Translation
			}
		}
	}
	out := File{Language: "zh-Hans"}
	seen := map[string]bool{}
	for _, u := range uses {
		if seen[u.id] {
			continue
		}
		seen[u.id] = true
		tr, ok := old[u.id]
		if !ok {
			tr = json.RawMessage(`""`)
		}
		out.Messages = append(out.Messages, Message{ID: u.id, Translation: tr})
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // translators read and write "<name>" as it is
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("locales", "zh-Hans", "messages.gotext.json"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
