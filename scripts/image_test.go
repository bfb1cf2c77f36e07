package scripts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/fedcmd"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/shard"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// engine runs podman as TESTING.md says works on these machines: rootful,
// with runc, and with lowered limits on each container.
type engine struct {
	cmd  []string // podman [--runtime runc]
	base string   // the local stand-in for debian:bookworm-slim
}

var limits = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}

// output runs one podman command; run and create get the limits.
func (e *engine) output(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if args[0] == "run" || args[0] == "create" {
		args = append(append([]string{args[0]}, limits...), args[1:]...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, e.cmd[0], append(e.cmd[1:], args...)...).CombinedOutput()
	if err != nil {
		err = fmt.Errorf("podman %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), err
}

func (e *engine) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.output(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// containerEngine gets podman, runc and debootstrap (installing them as
// scripts/test does), the cached Debian root imported as the base image,
// and checks that a container runs. When something is missing it returns
// nil and the reason, for the tests that need containers to skip with.
func containerEngine(t *testing.T, root string) (*engine, string) {
	t.Helper()
	var missing []string
	for _, p := range []string{"podman", "runc", "debootstrap"} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		ensurePackages(t, missing...)
	}
	if _, err := exec.LookPath("podman"); err != nil {
		return nil, "podman is not installed and could not be (scripts/packages.sh podman runc): " + err.Error()
	}
	e := &engine{cmd: []string{"podman"}}
	if _, err := exec.LookPath("runc"); err == nil {
		e.cmd = append(e.cmd, "--runtime", "runc")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", filepath.Join(root, "scripts", "debian-base.sh")).CombinedOutput()
	if err != nil {
		return nil, fmt.Sprintf("no Debian root for the base image (scripts/debian-base.sh): %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	_, tarball, _ := strings.Cut(lines[len(lines)-1], ": ")
	tarball = strings.TrimSuffix(tarball, " (cached)")
	e.base = "localhost/git-federate-test-base:" + strings.TrimSuffix(filepath.Base(tarball), ".tar")
	if _, err := e.output(t, "image", "exists", e.base); err != nil {
		if _, err := e.output(t, "import", "-q", tarball, e.base); err != nil {
			return nil, "cannot import the Debian root as an image: " + err.Error()
		}
	}
	if _, err := e.output(t, "run", "--rm", "--network", "none", e.base, "true"); err != nil {
		return nil, "this machine cannot run containers: " + err.Error()
	}
	return e, ""
}

// imageName is the image every container of deploy/kubernetes runs; the
// release must have built it.
func imageName(t *testing.T, root string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "deploy", "kubernetes", "*.yaml"))
	names := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?m)^\s*image:\s*(\S+)\s*$`).FindAllStringSubmatch(string(data), -1) {
			names[m[1]] = true
		}
	}
	if len(names) != 1 {
		t.Fatalf("the manifests name images %v, want one", names)
	}
	for n := range names {
		return n
	}
	return ""
}

// testImage runs the image the release built as the Kubernetes manifests
// run it (uid 10001, read-only root file system, writable cache and home,
// config mounted read-only, tokens from a secret as environment
// variables): version; sync --all in two shards against git servers on
// the host; serve answering /healthz and a signed webhook.
func (r *release) testImage(t *testing.T) {
	if r.engine == nil {
		t.Skip(r.skip)
	}
	e := r.engine
	image := imageName(t, r.root)
	for _, tag := range []string{image, "git-federate:" + releaseVersion} {
		if _, err := e.output(t, "image", "exists", tag); err != nil {
			t.Fatalf("scripts/release did not build %s, the image the manifests run", tag)
		}
	}
	versioned := "git-federate:" + releaseVersion
	out := e.must(t, "run", "--rm", versioned, "version")
	if !strings.Contains(out, "git-federate version "+releaseVersion+"\ncommit: "+r.commit+"\n") {
		t.Errorf("git federate version in the image:\n%s", out)
	}

	gittest.Isolate(t)
	const originToken, mirrorToken, webhookSecret = "origin-token-5e1f0a", "mirror-token-9c2d4b", "webhook-secret-77ab"
	origin := gittest.NewServer(t, gittest.Auth{Token: originToken})
	mirror := gittest.NewServer(t, gittest.Auth{Token: mirrorToken})
	work := gittest.NewWorkRepo(t)
	names := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	var config strings.Builder
	for _, n := range names {
		seed := origin.InitBare(t, n+".git")
		mirror.InitBare(t, n+".git")
		gittest.Git(t, work, "push", "-q", origin.Path(n+".git"), "main")
		fmt.Fprintf(&config, "[federation %q]\n\torigin = %s\n\tmirror = %s\n", n, seed, mirror.RepoURL(n+".git"))
	}
	// As deploy/kubernetes/config.yaml lays them out: the federations in
	// the file the image's working repository includes, git's own
	// settings in gitconfig (GIT_CONFIG_GLOBAL).
	cfgDir := t.TempDir()
	for file, text := range map[string]string{"federations": config.String(), "gitconfig": "[fetch]\n\tprune = false\n"} {
		if err := os.WriteFile(filepath.Join(cfgDir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(cfgDir, 0o755)
	secrets := r.secrets(t, map[string]string{
		keystore.EnvName(strings.TrimPrefix(origin.URL, "http://")): originToken,
		keystore.EnvName(strings.TrimPrefix(mirror.URL, "http://")): mirrorToken,
		fedcmd.SecretEnv: webhookSecret,
	})
	// As deploy/kubernetes runs it: empty volumes for the cache and HOME
	// (emptyDirs there; anonymous volumes here, writable by the image's
	// user as fsGroup makes them, which podman's tmpfs mounts are not),
	// the ConfigMap read-only, nothing else writable, not even /tmp.
	asInKubernetes := append([]string{"--network", "host", "--read-only", "--read-only-tmpfs=false",
		"-v", "/var/cache/git-federate", "-v", "/home/federate",
		"-v", cfgDir + ":/etc/git-federate:ro"}, secrets...)
	// The tokens reach the program as environment variables, as envFrom
	// gives them; but podman before 5.3 shows the values of env secrets
	// in `podman inspect` (containers/podman#23788), so they come as
	// files and a shell exports them before running the entrypoint.
	command := func(args ...string) []string {
		return append([]string{"--entrypoint", "/bin/sh", versioned, "-c",
			`for f in "$HOME"/.secrets/*; do export "${f##*/}=$(cat "$f")"; done; exec git-federate "$@"`, "git-federate"}, args...)
	}

	// Shard 0 then shard 1: each federation is synced by exactly one.
	want := headOf(t, work)
	requestsBefore := map[string]int{}
	for k := range 2 {
		part := fmt.Sprintf("%d/2", k)
		s, err := shard.Parse(part, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		mine := shard.Filter(s, names, func(n string) string { return n })
		if len(mine) == 0 || len(mine) == len(names) {
			t.Fatalf("shard %s takes %v of %v: pick names that split", part, mine, names)
		}
		name := fmt.Sprintf("fedtest-sync-%d-%d", k, os.Getpid())
		e.must(t, append(append([]string{"create", "--name", name}, asInKubernetes...), command("sync", "--all", "--shard", part, "--jobs", "4")...)...)
		t.Cleanup(func() { e.output(t, "rm", "-f", "-v", name) })
		if _, err := e.output(t, "start", "-a", name); err != nil {
			logs, _ := e.output(t, "logs", name)
			t.Fatalf("%v\n%s", err, logs)
		}
		t.Logf("sync --all --shard %s in a container: %v", part, mine)
		r.checkNoSecret(t, []string{originToken, mirrorToken, webhookSecret}, "inspect", name)
		r.checkInspect(t, name)
		for _, n := range names {
			got := gittest.RefOf(t, mirror.Path(n+".git"), "refs/heads/main")
			count := requestsTo(mirror, n)
			switch {
			case slices.Contains(mine, n):
				if got != want {
					t.Errorf("shard %s did not sync %s: mirror main %q, origin %q", part, n, got, want)
				}
			case k == 0 && got != "":
				t.Errorf("shard 0/2 synced %s, which is shard 1's", n)
			case k == 1 && count != requestsBefore[n]:
				t.Errorf("shard 1/2 reached the mirror of %s, which shard 0 synced", n)
			}
			requestsBefore[n] = count
		}
	}
	r.checkNoSecret(t, []string{originToken, mirrorToken, webhookSecret}, "history", "--no-trunc", versioned)
	r.checkNoSecret(t, []string{originToken, mirrorToken, webhookSecret}, "image", "inspect", versioned)

	// serve: /healthz, then a signed push event syncs the federation.
	// Port 0, read back from the log: a port chosen here could be taken
	// before serve binds it.
	name := fmt.Sprintf("fedtest-serve-%d", os.Getpid())
	e.must(t, append(append([]string{"run", "-d", "--name", name}, asInKubernetes...), command("serve", "--listen", "127.0.0.1:0", "--jobs", "2")...)...)
	t.Cleanup(func() {
		out, _ := e.output(t, "logs", name)
		t.Logf("serve's log:\n%s", out)
		e.output(t, "rm", "-f", "-v", "-t", "5", name)
	})
	var base string
	gittest.WaitFor(t, "serve's listening address in its log", func() bool {
		out, _ := e.output(t, "logs", name)
		addr := gittest.ListenAddrs(out)["listening"]
		base = "http://" + addr
		return addr != ""
	})
	gittest.WaitFor(t, "serve answering /healthz", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	gittest.Commit(t, work, "new.txt", "new\n", "a change for the webhook")
	gittest.Git(t, work, "push", "-q", origin.Path("charlie.git"), "main")
	want = headOf(t, work)
	body := fmt.Sprintf(`{"ref":"refs/heads/main","repository":{"clone_url":%q}}`, origin.RepoURL("charlie.git"))
	req, _ := http.NewRequest("POST", base+"/webhook", strings.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write([]byte(body))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("signed webhook: %s", resp.Status)
	}
	gittest.WaitFor(t, "the webhook's sync of charlie", func() bool {
		return gittest.RefOf(t, mirror.Path("charlie.git"), "refs/heads/main") == want
	})
	r.checkNoSecret(t, []string{originToken, mirrorToken, webhookSecret}, "inspect", name)
}

func headOf(t *testing.T, work string) string {
	t.Helper()
	return strings.TrimSpace(gittest.Git(t, work, "rev-parse", "HEAD"))
}

// requestsTo counts the requests the server had for repository n.
func requestsTo(s *gittest.Server, n string) int {
	count := 0
	for _, req := range s.Requests() {
		if strings.HasPrefix(req.Path, "/"+n+".git/") {
			count++
		}
	}
	return count
}

// secrets stores each value as a podman secret and returns the flags that
// give it to a container as the file $HOME/.secrets/NAME, readable by the
// image's user only: the value is in no argument, and not in `podman inspect`.
func (r *release) secrets(t *testing.T, env map[string]string) []string {
	t.Helper()
	var flags []string
	for k, v := range env {
		name := fmt.Sprintf("fedtest-%d-%s", os.Getpid(), strings.ToLower(k))
		cmd := exec.Command(r.engine.cmd[0], append(r.engine.cmd[1:], "secret", "create", name, "-")...)
		cmd.Stdin = strings.NewReader(v)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("podman secret create: %v\n%s", err, out)
		}
		t.Cleanup(func() { r.engine.output(t, "secret", "rm", name) })
		flags = append(flags, "--secret", name+",type=mount,uid=10001,mode=0400,target=/home/federate/.secrets/"+k)
	}
	return flags
}

// checkNoSecret fails when podman's answer to args shows a token.
func (r *release) checkNoSecret(t *testing.T, secrets []string, args ...string) {
	t.Helper()
	out := r.engine.must(t, args...)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("podman %s shows a secret", strings.Join(args, " "))
		}
	}
}

// checkInspect: the container ran as the manifests' user, on a read-only
// root file system.
func (r *release) checkInspect(t *testing.T, name string) {
	t.Helper()
	var got []struct {
		Config     struct{ User string }
		HostConfig struct{ ReadonlyRootfs bool }
		State      struct{ ExitCode int }
	}
	if err := json.Unmarshal([]byte(r.engine.must(t, "inspect", name)), &got); err != nil || len(got) != 1 {
		t.Fatalf("podman inspect %s: %v", name, err)
	}
	if got[0].Config.User != "10001" || !got[0].HostConfig.ReadonlyRootfs || got[0].State.ExitCode != 0 {
		t.Errorf("%s ran as %q, read-only %v, exit %d; want 10001, true, 0", name, got[0].Config.User, got[0].HostConfig.ReadonlyRootfs, got[0].State.ExitCode)
	}
}
