package scripts

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/lockfile"
)

// releaseVersion is the version the tests release; nothing is published.
const releaseVersion = "0.99.0"

// release is one run of scripts/release and what the tests need of it.
type release struct {
	root, dist, commit string
	epoch              int64
	// engine runs containers; nil when this machine cannot (skip says why).
	engine *engine
	skip   string
}

// file is the path of an artefact in dist.
func (r *release) file(name string) string { return filepath.Join(r.dist, name) }

func (r *release) archive(goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return "git-remote-federate-" + releaseVersion + "-" + goos + "-" + goarch + ext
}

func (r *release) deb(goarch string) string {
	return "git-remote-federate_" + releaseVersion + "_" + goarch + ".deb"
}

func (r *release) rpm(goarch string) string {
	return "git-remote-federate-" + releaseVersion + "-1." + map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[goarch] + ".rpm"
}

var releaseTargets = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"}}

// runRelease runs scripts/release into out with env added; it must succeed.
func runRelease(t *testing.T, root, out string, env ...string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "release"), releaseVersion)
	cmd.Dir = root
	// A release is built from HEAD; uncommitted work (a developer running
	// the tests) is left out, which is what a release does anyway.
	cmd.Env = append(os.Environ(), append([]string{"FEDERATE_RELEASE_OUT=" + out, "FEDERATE_RELEASE_ALLOW_DIRTY=1"}, env...)...)
	start := time.Now()
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/release %s: %v\n%s", releaseVersion, err, output)
	}
	took := time.Since(start)
	t.Logf("scripts/release %s took %s", releaseVersion, took.Round(time.Second))
	return took
}

// TestRelease runs scripts/release once, then checks, installs and runs
// what it made: the archives (one unpacked and run where there is no Go),
// the .deb installed in a throwaway Debian root, the .rpm's paths, the
// SBOMs, checksums, formula and manifest, a second build compared byte for
// byte, and the container image run as the Kubernetes manifests run it.
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every release artefact: not in -short")
	}
	root, err := gittest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	r := &release{root: root, dist: filepath.Join(t.TempDir(), "dist")}
	holdEngineStore(t, engineStoreLock(), func(holder string) {
		t.Logf("waiting for the TestRelease of process %s, which uses the same image names", holder)
	})
	// Before isolate, which moves HOME: the Debian root is cached under
	// the real one.
	r.engine, r.skip = containerEngine(t, root)
	isolate(t)
	r.commit = strings.TrimSpace(gitIn(t, root, "rev-parse", "HEAD"))
	epoch, err := strconv.ParseInt(strings.TrimSpace(gitIn(t, root, "log", "-1", "--format=%ct", "HEAD")), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	r.epoch = epoch
	env := []string{"FEDERATE_RELEASE_IMAGE=0"}
	var previous string
	if r.engine != nil {
		env = []string{"FEDERATE_CONTAINER_ENGINE=" + strings.Join(r.engine.cmd, " "), "FEDERATE_BASE_IMAGE=" + r.engine.base}
		previous, _ = r.engine.output(t, "image", "inspect", "--format", "{{.Id}}", "git-federate:"+releaseVersion)
	}
	runRelease(t, root, r.dist, env...)
	if previous = strings.TrimSpace(previous); r.engine != nil && previous != "" {
		// The image of an earlier run, untagged now that this one has the
		// tags: removed, so that test runs do not pile up images.
		now, _ := r.engine.output(t, "image", "inspect", "--format", "{{.Id}}", "git-federate:"+releaseVersion)
		if strings.TrimSpace(now) != previous {
			r.engine.output(t, "rmi", previous)
		}
	}

	t.Run("Artefacts", r.testArtefacts)
	t.Run("Checksums", r.testChecksums)
	t.Run("SBOM", r.testSBOM)
	t.Run("HomebrewAndScoop", r.testManifests)
	t.Run("Reproducible", r.testReproducible)
	t.Run("ArchiveRunsWithoutGo", r.testArchiveWithoutGo)
	t.Run("RPMPaths", r.testRPM)
	t.Run("DebInstallsAndRuns", r.testDeb)
	t.Run("Image", r.testImage)
}

// holdEngineStore waits until no other TestRelease of this user runs, and
// keeps others waiting until t ends: every run builds, tags and removes
// the same image names (git-federate:VERSION, :latest, the base image) in
// the user's one container store, so two at once removed each other's
// images. The wait is bounded by the test's own deadline; waiting is
// called when it begins.
func holdEngineStore(t *testing.T, path string, waiting func(holder string)) {
	t.Helper()
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Minute))
		defer cancel()
	}
	lock, err := lockfile.Acquire(ctx, path, 24*time.Hour, waiting)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lock.Release)
}

// engineStoreLock is the lock file of holdEngineStore, one for each user
// as the container store is.
func engineStoreLock() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("git-federate-release-test-%d.lock", os.Getuid()))
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

// testArtefacts: exactly the files the README promises, and each archive
// holds the install.sh layout with fixed owners and times.
func (r *release) testArtefacts(t *testing.T) {
	want := []string{"SHA256SUMS", "git-remote-federate.json", "git-remote-federate.rb"}
	for _, tg := range releaseTargets {
		want = append(want, r.archive(tg[0], tg[1]), r.archive(tg[0], tg[1])+".cdx.json")
	}
	for _, a := range []string{"amd64", "arm64"} {
		want = append(want, r.deb(a), r.deb(a)+".cdx.json", r.rpm(a), r.rpm(a)+".cdx.json")
	}
	slices.Sort(want)
	entries, err := os.ReadDir(r.dist)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		if info, err := e.Info(); err == nil {
			t.Logf("%10d %s", info.Size(), e.Name())
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("dist holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, tg := range releaseTargets {
		name := r.archive(tg[0], tg[1])
		prefix := strings.TrimSuffix(strings.TrimSuffix(name, ".zip"), ".tar.gz") + "/"
		exe := ""
		if tg[0] == "windows" {
			exe = ".exe"
		}
		wantFiles := []string{"README.md", "share/bash-completion/completions/git-federate",
			"share/man/man1/git-federate.1", "share/man/man1/git-remote-federate.1", "share/zsh/site-functions/_git-federate"}
		for _, n := range installed {
			wantFiles = append(wantFiles, "bin/"+n+exe)
		}
		if _, err := os.Stat(filepath.Join(r.root, "LICENSE")); err == nil {
			wantFiles = append(wantFiles, "LICENSE")
		}
		slices.Sort(wantFiles)
		entries := r.listArchive(t, name)
		var files, names []string
		for _, e := range entries {
			names = append(names, e.name)
			if !strings.HasPrefix(e.name, prefix) {
				t.Errorf("%s: %s is not under %s", name, e.name, prefix)
			}
			if !e.dir {
				files = append(files, strings.TrimPrefix(e.name, prefix))
			}
			if e.mtime != r.epoch || e.uid != 0 || e.gid != 0 {
				t.Errorf("%s: %s has time %d owner %d:%d, want the commit's time %d and 0:0", name, e.name, e.mtime, e.uid, e.gid, r.epoch)
			}
			if wantExec := strings.Contains(e.name, "/bin/") || e.dir; (e.mode&0o111 != 0) != wantExec {
				t.Errorf("%s: %s has mode %o", name, e.name, e.mode)
			}
		}
		if !slices.IsSorted(names) {
			t.Errorf("%s: entries not in sorted order: %v", name, names)
		}
		slices.Sort(files)
		if !slices.Equal(files, wantFiles) {
			t.Errorf("%s holds %v, want %v", name, files, wantFiles)
		}
	}
}

type archiveEntry struct {
	name     string
	dir      bool
	mode     int64
	mtime    int64
	uid, gid int
}

func (r *release) listArchive(t *testing.T, name string) []archiveEntry {
	t.Helper()
	var out []archiveEntry
	if strings.HasSuffix(name, ".zip") {
		z, err := zip.OpenReader(r.file(name))
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		for _, f := range z.File {
			out = append(out, archiveEntry{name: f.Name, dir: f.Mode().IsDir(), mode: int64(f.Mode().Perm()), mtime: f.Modified.Unix()})
		}
		return out
	}
	f, err := os.Open(r.file(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Errorf("%s: gzip header carries a time %v or name %q", name, gz.ModTime, gz.Name)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, archiveEntry{name: h.Name, dir: h.Typeflag == tar.TypeDir, mode: h.Mode, mtime: h.ModTime.Unix(), uid: h.Uid, gid: h.Gid})
	}
}

// sums reads SHA256SUMS.
func (r *release) sums(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(r.file("SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		hash, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS: bad line %q", line)
		}
		out[name] = hash
	}
	return out
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// testChecksums: SHA256SUMS covers every other file, with the right sums.
func (r *release) testChecksums(t *testing.T) {
	sums := r.sums(t)
	entries, _ := os.ReadDir(r.dist)
	for _, e := range entries {
		if e.Name() == "SHA256SUMS" {
			continue
		}
		if got := sha256File(t, r.file(e.Name())); sums[e.Name()] != got {
			t.Errorf("SHA256SUMS says %s of %s, its sum is %s", sums[e.Name()], e.Name(), got)
		}
	}
	if len(sums) != len(entries)-1 {
		t.Errorf("SHA256SUMS has %d lines for %d files", len(sums), len(entries)-1)
	}
}

// testSBOM: each SBOM is CycloneDX for this version and lists the
// product's dependencies, and none of the release tools'.
func (r *release) testSBOM(t *testing.T) {
	matches, _ := filepath.Glob(r.file("*.cdx.json"))
	if len(matches) != 10 {
		t.Fatalf("%d SBOMs, want one per archive and package (10)", len(matches))
	}
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		var bom struct {
			BOMFormat string `json:"bomFormat"`
			Metadata  struct {
				Component struct{ Name, Version string }
			}
			Components []struct{ Name, Version string }
		}
		if err := json.Unmarshal(data, &bom); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if bom.BOMFormat != "CycloneDX" || bom.Metadata.Component.Version != "v"+releaseVersion ||
			!strings.HasSuffix(bom.Metadata.Component.Name, "git-remote-federate") {
			t.Errorf("%s: format %q, component %+v", filepath.Base(m), bom.BOMFormat, bom.Metadata.Component)
		}
		var names []string
		for _, c := range bom.Components {
			names = append(names, c.Name)
		}
		all := strings.Join(names, " ")
		if !strings.Contains(all, "golang.org/x/net") || strings.Contains(all, "nfpm") || strings.Contains(all, "cyclonedx") {
			t.Errorf("%s: components %s", filepath.Base(m), all)
		}
		// Built with urfave_cli_no_docs, as install.sh builds.
		if strings.Contains(all, "md2man") || strings.Contains(all, "blackfriday") {
			t.Errorf("%s: the programs link urfave/cli's document writers: %s", filepath.Base(m), all)
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		data, _ := os.ReadFile(filepath.Join(r.root, f))
		if bytes.Contains(data, []byte("goreleaser")) || bytes.Contains(bytes.ToLower(data), []byte("cyclonedx")) {
			t.Errorf("the release tools entered the product's %s; they belong in tools/go.mod", f)
		}
	}
}

// testManifests: the Homebrew formula and the Scoop manifest download the
// archives with the sums of SHA256SUMS.
func (r *release) testManifests(t *testing.T) {
	sums := r.sums(t)
	rb, err := os.ReadFile(r.file("git-remote-federate.rb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range releaseTargets[:4] {
		a := r.archive(tg[0], tg[1])
		if !bytes.Contains(rb, []byte("/"+a+"\"\n      sha256 \""+sums[a]+"\"")) {
			t.Errorf("the formula does not download %s with sha256 %s:\n%s", a, sums[a], rb)
		}
	}
	for _, want := range []string{`version "` + releaseVersion + `"`, `bin.install "bin/git-remote-federate", "bin/git-federate", "bin/git-credential-federate"`,
		`man1.install`, `bash_completion.install`, `zsh_completion.install`, `depends_on "git"`} {
		if !bytes.Contains(rb, []byte(want)) {
			t.Errorf("the formula lacks %s", want)
		}
	}
	data, err := os.ReadFile(r.file("git-remote-federate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var scoop struct {
		Version      string
		Bin          []string
		Architecture map[string]struct {
			URL, Hash  string
			ExtractDir string `json:"extract_dir"`
		}
	}
	if err := json.Unmarshal(data, &scoop); err != nil {
		t.Fatal(err)
	}
	for key, goarch := range map[string]string{"64bit": "amd64", "arm64": "arm64"} {
		a := r.archive("windows", goarch)
		got := scoop.Architecture[key]
		if !strings.HasSuffix(got.URL, "/"+a) || got.Hash != sums[a] || got.ExtractDir != strings.TrimSuffix(a, ".zip") {
			t.Errorf("scoop %s: %+v, want %s with %s", key, got, a, sums[a])
		}
	}
	if scoop.Version != releaseVersion || !slices.Contains(scoop.Bin, `bin\git-federate.exe`) || len(scoop.Bin) != 3 {
		t.Errorf("scoop manifest: version %q bin %v", scoop.Version, scoop.Bin)
	}
}

// testReproducible builds the release again, elsewhere, in another time
// zone and with another umask, and wants the same bytes of every file.
func (r *release) testReproducible(t *testing.T) {
	again := filepath.Join(t.TempDir(), "again")
	tmp := t.TempDir()
	runRelease(t, r.root, again, "FEDERATE_RELEASE_IMAGE=0", "TZ=Pacific/Chatham", "TMPDIR="+tmp, "LC_ALL=C")
	entries, err := os.ReadDir(r.dist)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for _, e := range entries {
		a, errA := os.ReadFile(r.file(e.Name()))
		b, errB := os.ReadFile(filepath.Join(again, e.Name()))
		if errA != nil || errB != nil {
			t.Errorf("%s: %v %v", e.Name(), errA, errB)
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds of the same commit", e.Name())
			continue
		}
		same++
	}
	t.Logf("%d of %d files identical in two builds", same, len(entries))
}

// testArchiveWithoutGo unpacks this machine's linux archive, puts its
// bin/ on a PATH where there is no Go, and runs the demo from it.
func (r *release) testArchiveWithoutGo(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("the linux archive runs on linux; this is %s", runtime.GOOS)
	}
	gittest.Isolate(t)
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-C", dir, "-xzf", r.file(r.archive("linux", runtime.GOARCH))).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	top := filepath.Join(dir, "git-remote-federate-"+releaseVersion+"-linux-"+runtime.GOARCH)
	t.Setenv("PATH", filepath.Join(top, "bin")+":/usr/bin:/bin")
	if p, err := exec.LookPath("go"); err == nil {
		t.Fatalf("Go is on the test's PATH (%s): the archive would not be shown to run without it", p)
	}
	out, err := exec.Command("git", "federate", "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "git-federate version "+releaseVersion+"\ncommit: "+r.commit+"\ngo: go1.") {
		t.Fatalf("git federate version: %v\n%s", err, out)
	}
	runDemo(t, exec.Command("git", "federate", "demo"))
	// man finds the archive's share/man next to its bin/ on PATH, as it
	// does for install.sh's prefix.
	t.Setenv("MANPATH", "")
	os.Unsetenv("MANPATH")
	t.Setenv("MANPAGER", "cat")
	if out, err := exec.Command("man", "git-federate").CombinedOutput(); err != nil || !strings.Contains(string(out), "git-federate - ") {
		t.Errorf("man git-federate from the archive: %v\n%s", err, out)
	}
	if out, err := exec.Command("git", "federate", "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "EXIT STATUS") {
		t.Errorf("git federate --help from the archive does not open the manual: %v\n%s", err, out)
	}
}

// runDemo runs a `git federate demo` command; it must tell the whole story.
func runDemo(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Done: one remote, three servers, all in step.") {
		t.Fatalf("git federate demo: %v\n%s", err, out)
	}
}

// packagePaths are where both packages put the program; zsh's directory
// differs between Debian and Fedora.
var packagePaths = []string{
	"/usr/bin/git-remote-federate", "/usr/bin/git-federate", "/usr/bin/git-credential-federate",
	"/usr/share/man/man1/git-federate.1.gz", "/usr/share/man/man1/git-remote-federate.1.gz",
	"/usr/share/bash-completion/completions/git-federate",
}

// testRPM reads the .rpm with rpm: its files, that it needs git and
// recommends git-lfs.
func (r *release) testRPM(t *testing.T) {
	if _, err := exec.LookPath("rpm"); err != nil {
		ensurePackages(t, "rpm")
		if _, err := exec.LookPath("rpm"); err != nil {
			t.Skipf("rpm is not installed and could not be (scripts/packages.sh rpm): %v", err)
		}
	}
	for _, goarch := range []string{"amd64", "arm64"} {
		pkg := r.file(r.rpm(goarch))
		files := rpmQuery(t, "-qlp", pkg)
		for _, p := range append(packagePaths, "/usr/share/zsh/site-functions/_git-federate") {
			if !slices.Contains(files, p) {
				t.Errorf("%s does not install %s; it has %v", r.rpm(goarch), p, files)
			}
		}
		if req := rpmQuery(t, "-qp", "--requires", pkg); !slices.Contains(req, "git >= 2.39") {
			t.Errorf("%s requires %v, want git >= 2.39", r.rpm(goarch), req)
		}
		if rec := rpmQuery(t, "-qp", "--recommends", pkg); !slices.Contains(rec, "git-lfs") {
			t.Errorf("%s recommends %v, want git-lfs", r.rpm(goarch), rec)
		}
		if v := rpmQuery(t, "-qp", "--queryformat", "%{VERSION} %{ARCH}", pkg); len(v) != 1 || !strings.HasPrefix(v[0], releaseVersion+" ") {
			t.Errorf("%s: version and arch %v", r.rpm(goarch), v)
		}
	}
}

func rpmQuery(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("rpm", args...).Output()
	if err != nil {
		t.Fatalf("rpm %v: %v", args, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// ensurePackages installs Debian packages the way scripts/test does.
func ensurePackages(t *testing.T, pkgs ...string) {
	t.Helper()
	root := os.Getenv("FEDERATE_TEST_ROOT")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(root, "scripts", "packages.sh"), pkgs...).CombinedOutput()
	t.Logf("scripts/packages.sh %s: %v\n%s", strings.Join(pkgs, " "), err, out)
}

// testDeb installs the .deb with dpkg -i in a throwaway Debian root (a
// container of the debootstrap root) and runs the demo and the manual there.
func (r *release) testDeb(t *testing.T) {
	deb := r.file(r.deb(runtime.GOARCH))
	out, err := exec.Command("dpkg-deb", "-f", deb, "Package", "Version", "Depends", "Recommends").CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb -f: %v\n%s", err, out)
	}
	for _, want := range []string{"Package: git-remote-federate", "Version: " + releaseVersion, "Depends: git (>= 1:2.39)\n", "Recommends: git-lfs"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the .deb's control lacks %q:\n%s", want, out)
		}
	}
	if r.engine == nil {
		t.Skip(r.skip)
	}
	script := `set -e
dpkg -i /dist/` + r.deb(runtime.GOARCH) + `
for f in ` + strings.Join(packagePaths, " ") + ` /usr/share/zsh/vendor-completions/_git-federate; do test -f "$f"; done
command -v go && exit 1
git federate version
git federate demo
MANPAGER=cat MANWIDTH=100 man git-federate | head -n 5
MANPAGER=cat git federate --help | grep -c 'EXIT STATUS'
`
	inside, err := r.engine.output(t, "run", "--rm", "--network", "none", "-v", r.dist+":/dist:ro",
		r.engine.base, "sh", "-c", script)
	t.Logf("in the Debian root:\n%s", inside)
	if err != nil {
		t.Fatalf("dpkg -i and run: %v", err)
	}
	for _, want := range []string{"Setting up git-remote-federate (" + releaseVersion + "-1)",
		"git-federate version " + releaseVersion, "Done: one remote, three servers, all in step.", "GIT-FEDERATE(1)"} {
		if !strings.Contains(inside, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestReleaseRefuses: a version that is not MAJOR.MINOR.PATCH, and a work
// tree with uncommitted changes (a release is built from HEAD, and they
// would silently be left out), stop the release before anything is built.
func TestReleaseRefuses(t *testing.T) {
	root, err := gittest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	gittest.Isolate(t)
	clone := filepath.Join(t.TempDir(), "clone")
	gittest.Git(t, "", "clone", "-q", "--shared", root, clone)
	if err := os.WriteFile(filepath.Join(clone, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ version, want string }{
		{"1.2", "VERSION must be MAJOR.MINOR.PATCH"},
		{"v1.2.0", "the work tree has uncommitted changes"},
	} {
		cmd := exec.Command(filepath.Join(clone, "scripts", "release"), c.version)
		cmd.Env = append(os.Environ(), "FEDERATE_RELEASE_OUT="+filepath.Join(t.TempDir(), "dist"))
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) || strings.Contains(string(out), "building") {
			t.Errorf("scripts/release %s: %v\n%s", c.version, err, out)
		}
	}
}

// TestReleaseWaitsForAnotherRelease: a TestRelease started while another
// holds the container store waits, and starts once that one has ended.
func TestReleaseWaitsForAnotherRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.lock")
	other, err := lockfile.Acquire(t.Context(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	held := true
	t.Run("second", func(t *testing.T) {
		holdEngineStore(t, path, func(string) {
			held = false
			other.Release() // the first run ends while the second waits
		})
		if held {
			t.Fatal("the second TestRelease did not wait for the first")
		}
		if _, err := lockfile.Acquire(t.Context(), path, 0, nil); !errors.Is(err, lockfile.ErrBusy) {
			t.Fatalf("a third run could take the store from the second: %v", err)
		}
	})
	third, err := lockfile.Acquire(t.Context(), path, 0, nil)
	if err != nil {
		t.Fatalf("the second TestRelease kept the store after it ended: %v", err)
	}
	third.Release()
}
