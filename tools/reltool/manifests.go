package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"
)

// Names shared by the archives, the formula and the manifest.
const (
	project     = "git-remote-federate"
	homepage    = "https://github.com/git-remote-federate/git-remote-federate"
	description = "One git remote for an origin and its mirrors: clone from the nearest, push to all"
)

var binaries = []string{"git-remote-federate", "git-federate", "git-credential-federate"}

// release is what the formula and the manifest are written from.
type release struct {
	Version, URL, License string
	Sums                  map[string]string // file name → SHA-256
}

// parseSums reads `sha256sum` output: "HASH  NAME" (or "HASH *NAME").
func parseSums(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		hash, name, ok := strings.Cut(line, " ")
		if ok {
			out[strings.TrimLeft(name, " *")] = hash
		}
	}
	return out
}

// Archive is the base name (no extension) of the archive for os/arch.
func (r release) Archive(goos, goarch string) string {
	return fmt.Sprintf("%s-%s-%s-%s", project, r.Version, goos, goarch)
}

// asset is one archive the formula or manifest downloads.
type asset struct{ Dir, URL, SHA256 string }

func (r release) asset(goos, goarch, ext string) (asset, error) {
	dir := r.Archive(goos, goarch)
	sum, ok := r.Sums[dir+ext]
	if !ok {
		return asset{}, fmt.Errorf("SHA256SUMS has no %s%s", dir, ext)
	}
	return asset{Dir: dir, URL: r.URL + "/" + dir + ext, SHA256: sum}, nil
}

var formula = template.Must(template.New("formula").Parse(`# Homebrew formula for git-remote-federate {{.Version}}, written by scripts/release
# from the archives' checksums. Install with: brew install ./git-remote-federate.rb
class GitRemoteFederate < Formula
  desc "{{.Desc}}"
  homepage "{{.Homepage}}"
  version "{{.Version}}"
{{- if .License}}
  license "{{.License}}"
{{- end}}

  depends_on "git"
  depends_on "git-lfs" => :recommended

  on_macos do
    on_arm do
      url "{{.DarwinArm.URL}}"
      sha256 "{{.DarwinArm.SHA256}}"
    end
    on_intel do
      url "{{.DarwinAmd.URL}}"
      sha256 "{{.DarwinAmd.SHA256}}"
    end
  end

  on_linux do
    on_arm do
      url "{{.LinuxArm.URL}}"
      sha256 "{{.LinuxArm.SHA256}}"
    end
    on_intel do
      url "{{.LinuxAmd.URL}}"
      sha256 "{{.LinuxAmd.SHA256}}"
    end
  end

  def install
    bin.install "bin/git-remote-federate", "bin/git-federate", "bin/git-credential-federate"
    man1.install Dir["share/man/man1/*.1"]
    bash_completion.install "share/bash-completion/completions/git-federate"
    zsh_completion.install "share/zsh/site-functions/_git-federate"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/git-federate version")
  end
end
`))

// homebrew writes the formula: darwin and linux archives on both CPUs.
func (r release) homebrew(w io.Writer) error {
	data := map[string]any{"Version": r.Version, "Desc": description, "Homepage": homepage, "License": spdx(r.License)}
	for key, t := range map[string][2]string{
		"DarwinArm": {"darwin", "arm64"}, "DarwinAmd": {"darwin", "amd64"},
		"LinuxArm": {"linux", "arm64"}, "LinuxAmd": {"linux", "amd64"},
	} {
		a, err := r.asset(t[0], t[1], ".tar.gz")
		if err != nil {
			return err
		}
		data[key] = a
	}
	return formula.Execute(w, data)
}

// scoop writes the Scoop manifest (JSON) of the windows zips.
func (r release) scoop(w io.Writer) error {
	type arch struct {
		URL        string `json:"url"`
		Hash       string `json:"hash"`
		ExtractDir string `json:"extract_dir"`
	}
	archs := map[string]arch{}
	for key, goarch := range map[string]string{"64bit": "amd64", "arm64": "arm64"} {
		a, err := r.asset("windows", goarch, ".zip")
		if err != nil {
			return err
		}
		archs[key] = arch{URL: a.URL, Hash: a.SHA256, ExtractDir: a.Dir}
	}
	var bins []string
	for _, b := range binaries {
		bins = append(bins, `bin\`+b+".exe")
	}
	m := struct {
		Version      string          `json:"version"`
		Description  string          `json:"description"`
		Homepage     string          `json:"homepage"`
		License      string          `json:"license,omitempty"`
		Depends      string          `json:"depends"`
		Suggest      map[string]any  `json:"suggest"`
		Architecture map[string]arch `json:"architecture"`
		Bin          []string        `json:"bin"`
	}{r.Version, description, homepage, spdx(r.License), "git", map[string]any{"git-lfs": "git-lfs"}, archs, bins}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(m)
}

// spdx leaves out a licence that is not known, rather than claim one.
func spdx(id string) string {
	if id == "NOASSERTION" {
		return ""
	}
	return id
}
