// Command genrepo writes a deterministic git repository for benchmarks:
// many commits over a few thousand files of mixed sizes, several branches,
// lightweight and annotated tags, repacked with bitmaps as forges serve
// them. The same flags always give the same object names.
//
//	go run ./bench/genrepo -out /tmp/small.git -commits 3500
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"time"
)

// spec is what to generate.
type spec struct {
	Commits  int // on main; branches add about 10% more
	Dirs     int
	PerDir   int
	Branches int
	TagEvery int
	Seed     uint64
}

func main() {
	var s spec
	out := flag.String("out", "", "bare repository to create (must not exist)")
	flag.IntVar(&s.Commits, "commits", 3500, "commits on main")
	flag.IntVar(&s.Dirs, "dirs", 50, "directories")
	flag.IntVar(&s.PerDir, "files", 60, "files per directory")
	flag.IntVar(&s.Branches, "branches", 6, "branches besides main")
	flag.IntVar(&s.TagEvery, "tag-every", 100, "a tag every N commits on main")
	flag.Uint64Var(&s.Seed, "seed", 1, "random seed")
	flag.Parse()
	if *out == "" || s.Commits < 1 || s.Dirs < 1 || s.PerDir < 1 || s.TagEvery < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := generate(ctx, *out, s); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
}

func generate(ctx context.Context, out string, s spec) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists", out)
	}
	if err := git(ctx, "", nil, "init", "-q", "--bare", "-b", "main", out); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		err := stream(w, s)
		if err == nil {
			err = w.Flush()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	if err := git(ctx, out, pr, "fast-import", "--quiet", "--done"); err != nil {
		pr.CloseWithError(err)
		<-done
		return err
	}
	if err := <-done; err != nil {
		return err
	}
	// As forges serve them: one pack with a bitmap, packed refs.
	for _, args := range [][]string{
		{"repack", "-adb", "-q", "--window=50"},
		{"pack-refs", "--all"},
		{"update-server-info"},
	} {
		if err := git(ctx, out, nil, args...); err != nil {
			return err
		}
	}
	return nil
}

func git(ctx context.Context, dir string, stdin io.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git %s: %w", args[0], err)
	}
	return nil
}

// gen holds the state of the fast-import stream.
type gen struct {
	w     *bufio.Writer
	rng   *rand.Rand
	s     spec
	files []string
	cur   map[string][]byte // each file's content at the tip being written
	mark  int
	when  int64
}

// stream writes the whole history as a git fast-import stream.
func stream(w *bufio.Writer, s spec) error {
	g := &gen{w: w, rng: rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15)), s: s, when: 1_600_000_000,
		cur: map[string][]byte{}}
	for d := 0; d < s.Dirs; d++ {
		for f := 0; f < s.PerDir; f++ {
			g.files = append(g.files, fmt.Sprintf("src/pkg%02d/file%03d.%s", d, f, ext(f)))
		}
	}
	// The first commit adds every file.
	first := g.commit("refs/heads/main", 0, g.files, "initial import")
	mainMarks := []int{first}
	for i := 1; i < s.Commits; i++ {
		mainMarks = append(mainMarks, g.commit("refs/heads/main", mainMarks[len(mainMarks)-1], g.pick(1+g.rng.IntN(4)), fmt.Sprintf("change %d", i)))
		if i%s.TagEvery == 0 {
			g.tag(i, mainMarks[i])
		}
	}
	// Branches fork from points along main and carry their own commits.
	for b := 0; b < s.Branches; b++ {
		ref := fmt.Sprintf("refs/heads/topic-%d", b)
		parent := mainMarks[(b+1)*len(mainMarks)/(s.Branches+1)]
		for i := 0; i < max(1, s.Commits/10/max(1, s.Branches)); i++ {
			parent = g.commit(ref, parent, g.pick(1+g.rng.IntN(3)), fmt.Sprintf("topic %d change %d", b, i))
		}
	}
	fmt.Fprintln(g.w, "done")
	return nil
}

func ext(i int) string {
	return [...]string{"go", "c", "md", "txt", "json", "bin"}[i%6]
}

func (g *gen) pick(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = g.files[g.rng.IntN(len(g.files))]
	}
	return out
}

// commit writes a commit on ref with parent (a mark, 0 for none) that
// replaces the content of files, and returns its mark.
func (g *gen) commit(ref string, parent int, files []string, msg string) int {
	g.mark++
	m := g.mark
	g.when += 60 + int64(g.rng.IntN(3600))
	fmt.Fprintf(g.w, "commit %s\nmark :%d\n", ref, m)
	fmt.Fprintf(g.w, "author Bench Author <author@example.com> %d +0000\n", g.when)
	fmt.Fprintf(g.w, "committer Bench Committer <committer@example.com> %d +0000\n", g.when)
	fmt.Fprintf(g.w, "data %d\n%s\n", len(msg), msg)
	if parent != 0 {
		fmt.Fprintf(g.w, "from :%d\n", parent)
	}
	for _, f := range files {
		body := g.edit(f)
		fmt.Fprintf(g.w, "M 100644 inline %s\ndata %d\n", f, len(body))
		g.w.Write(body)
		g.w.WriteByte('\n')
	}
	return m
}

// tag writes a lightweight tag, and every other time an annotated one.
func (g *gen) tag(i, mark int) {
	name := fmt.Sprintf("v%d.%d", i/1000, i%1000)
	if (i/g.s.TagEvery)%2 == 0 {
		fmt.Fprintf(g.w, "reset refs/tags/%s\nfrom :%d\n\n", name, mark)
		return
	}
	msg := "release " + name
	fmt.Fprintf(g.w, "tag %s\nfrom :%d\ntagger Bench Tagger <tagger@example.com> %d +0000\ndata %d\n%s\n",
		name, mark, g.when, len(msg), msg)
}

var words = strings.Fields(`the of federation mirror origin push fetch sync token keyring remote
helper protocol object pack commit tree blob ref branch tag server client error retry timeout
config option value buffer stream reader writer context cancel deadline`)

// edit returns the next content of name: new content the first time, then
// a few lines (or bytes) changed, as real edits are, so packs delta well.
// Branches share the map with main, which is fine: any content is.
func (g *gen) edit(name string) []byte {
	old, ok := g.cur[name]
	if !ok {
		b := g.content(name)
		g.cur[name] = b
		return b
	}
	b := append([]byte(nil), old...)
	if strings.HasSuffix(name, ".bin") {
		for i := 0; i < 16; i++ {
			b[g.rng.IntN(len(b))] = byte(g.rng.Uint32())
		}
	} else {
		at := g.rng.IntN(len(b))
		cut := min(len(b), at+g.rng.IntN(200))
		b = append(b[:at:at], append(g.lines(40+g.rng.IntN(300)), old[cut:]...)...)
	}
	g.cur[name] = b
	return b
}

// lines is about size bytes of text lines.
func (g *gen) lines(size int) []byte {
	b := make([]byte, 0, size+64)
	for len(b) < size {
		n := 4 + g.rng.IntN(10)
		for j := 0; j < n; j++ {
			if j > 0 {
				b = append(b, ' ')
			}
			b = append(b, words[g.rng.IntN(len(words))]...)
		}
		b = append(b, '\n')
	}
	return b
}

// content is a file body: mostly small text, some medium, a few large
// (about 1 in 30 up to 96 KiB), with ".bin" files incompressible.
func (g *gen) content(name string) []byte {
	size := 200 + g.rng.IntN(3800)
	switch r := g.rng.IntN(30); {
	case r == 0:
		size = 32<<10 + g.rng.IntN(64<<10)
	case r < 4:
		size = 8<<10 + g.rng.IntN(16<<10)
	}
	b := make([]byte, 0, size+64)
	if strings.HasSuffix(name, ".bin") {
		for len(b) < size {
			b = append(b, byte(g.rng.Uint32()))
		}
		return b
	}
	return append(b, g.lines(size)...)
}
