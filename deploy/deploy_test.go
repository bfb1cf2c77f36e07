// Package deploy holds the container image and the Kubernetes manifests;
// this test decodes every manifest strictly into the Kubernetes API types
// and checks that they are wired to what the program really reads.
package deploy

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/git-remote-federate/git-remote-federate/internal/fedcmd"
	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/gittest"
	"github.com/git-remote-federate/git-remote-federate/internal/shard"
	"github.com/git-remote-federate/git-remote-federate/keystore"
)

// manifests holds every object of deploy/kubernetes, decoded strictly.
type manifests struct {
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	services    map[string]*corev1.Service
	deployments map[string]*appsv1.Deployment
	cronJobs    map[string]*batchv1.CronJob
}

func load(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{map[string]*corev1.ConfigMap{}, map[string]*corev1.Secret{}, map[string]*corev1.Service{},
		map[string]*appsv1.Deployment{}, map[string]*batchv1.CronJob{}}
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			m.add(t, f, i, []byte(doc))
		}
	}
	return m
}

// add decodes one document by its kind; unknown fields are an error, so a
// misspelt or misplaced field cannot pass silently.
func (m *manifests) add(t *testing.T, file string, i int, doc []byte) {
	t.Helper()
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		t.Fatalf("%s #%d: %v", file, i, err)
	}
	strict := func(into any) {
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Fatalf("%s #%d (%s): %v", file, i, meta.Kind, err)
		}
	}
	switch meta.APIVersion + " " + meta.Kind {
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		strict(&o)
		m.configMaps[o.Name] = &o
	case "v1 Secret":
		var o corev1.Secret
		strict(&o)
		m.secrets[o.Name] = &o
	case "v1 Service":
		var o corev1.Service
		strict(&o)
		m.services[o.Name] = &o
	case "apps/v1 Deployment":
		var o appsv1.Deployment
		strict(&o)
		m.deployments[o.Name] = &o
	case "batch/v1 CronJob":
		var o batchv1.CronJob
		strict(&o)
		m.cronJobs[o.Name] = &o
	default:
		t.Fatalf("%s #%d: unexpected %s %s", file, i, meta.APIVersion, meta.Kind)
	}
}

// image is what the Dockerfile sets up for the program: its ENV settings,
// ENTRYPOINT and WORKDIR, and the repository there.
type image struct {
	env        map[string]string
	entrypoint string
	workdir    string
	// federations is the file the working directory's repository
	// includes: the federations, which only git-federate reads.
	federations string
	safe        map[string]bool // the system config's safe.directory
}

func dockerfile(t *testing.T) image {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	img := image{env: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "ENV":
			for _, kv := range fields[1:] {
				if k, v, ok := strings.Cut(kv, "="); ok {
					img.env[k] = v
				}
			}
		case "ENTRYPOINT":
			img.entrypoint = strings.Trim(strings.Join(fields[1:], " "), `[]" `)
		case "WORKDIR":
			img.workdir = fields[1]
		}
	}
	if m := regexp.MustCompile(`git --git-dir=(\S+) config include\.path (\S+)`).FindStringSubmatch(text); m != nil && m[1] == img.workdir {
		img.federations = m[2]
	}
	img.safe = map[string]bool{}
	for _, m := range regexp.MustCompile(`git config --system --add safe\.directory (\S+)`).FindAllStringSubmatch(text, -1) {
		img.safe[m[1]] = true
	}
	return img
}

func TestImage(t *testing.T) {
	img := dockerfile(t)
	if img.entrypoint != "git-federate" {
		t.Errorf("ENTRYPOINT is %q, want git-federate (the management command)", img.entrypoint)
	}
	if img.env["FEDERATE_KEYRING"] != "off" {
		t.Errorf("the image must turn the keyring off (FEDERATE_KEYRING=off): no Secret Service runs in a container")
	}
	if img.federations == "" {
		t.Errorf("the working directory (%s) must be a repository whose config includes the federations: git reads GIT_CONFIG_GLOBAL in every process a sync starts", img.workdir)
	}
	if !img.safe[img.workdir] {
		t.Errorf("the system config must name %s in safe.directory: git ignores the config of a repository another uid owns", img.workdir)
	}
	for _, name := range []string{"git-federate", "git-remote-federate", "git-credential-federate"} {
		if _, err := os.Stat(filepath.Join("..", "cmd", name)); err != nil {
			t.Errorf("the image copies %s, but cmd/%s does not exist", name, name)
		}
	}
}

// pods returns every pod template with where it comes from.
func (m *manifests) pods() map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for n, d := range m.deployments {
		out["Deployment/"+n] = d.Spec.Template
	}
	for n, c := range m.cronJobs {
		out["CronJob/"+n] = c.Spec.JobTemplate.Spec.Template
	}
	return out
}

// Every container runs a command and flags the CLI defines, reads its git
// config where the image says, and gets the tokens from a Secret that
// exists, named the way the program looks them up.
func TestPodsRunWhatTheProgramOffers(t *testing.T) {
	m := load(t)
	img := dockerfile(t)
	app := fedcmd.NewApp(fedcmd.IO{})
	if len(m.pods()) < 2 {
		t.Fatalf("want a sync CronJob and a serve Deployment, got %d pod templates", len(m.pods()))
	}
	for where, pod := range m.pods() {
		for _, c := range pod.Spec.Containers {
			cmd := app.Command(c.Args[0])
			if cmd == nil {
				t.Errorf("%s: `git federate %s` is not a command", where, c.Args[0])
				continue
			}
			for _, a := range c.Args[1:] {
				if name, ok := strings.CutPrefix(a, "--"); ok && !hasFlag(cmd.Flags, name) {
					t.Errorf("%s: `git federate %s` has no flag --%s", where, c.Args[0], name)
				}
			}
			if c.WorkingDir != "" && c.WorkingDir != img.workdir {
				t.Errorf("%s: runs in %s; the federations are read in the image's %s", where, c.WorkingDir, img.workdir)
			}
			checkMounts(t, where, pod.Spec, c, img, m)
			checkSecrets(t, where, c, m)
		}
	}
}

func hasFlag(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

func checkMounts(t *testing.T, where string, pod corev1.PodSpec, c corev1.Container, img image, m *manifests) {
	t.Helper()
	mounted := map[string]corev1.Volume{}
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == vm.Name {
				mounted[vm.MountPath] = v
			}
		}
	}
	for what, file := range map[string]string{"GIT_CONFIG_GLOBAL": img.env["GIT_CONFIG_GLOBAL"], "the federations repository's include": img.federations} {
		v, ok := mounted[filepath.Dir(file)]
		if !ok || v.ConfigMap == nil {
			t.Errorf("%s: no ConfigMap mounted at %s, where %s points", where, filepath.Dir(file), what)
		} else if cm := m.configMaps[v.ConfigMap.Name]; cm == nil || cm.Data[filepath.Base(file)] == "" {
			t.Errorf("%s: ConfigMap %s has no key %s (%s)", where, v.ConfigMap.Name, filepath.Base(file), what)
		}
	}
	if v, ok := mounted[img.env["XDG_DATA_HOME"]]; !ok || v.EmptyDir == nil {
		t.Errorf("%s: the sync cache (XDG_DATA_HOME=%s) is not a writable volume", where, img.env["XDG_DATA_HOME"])
	}
	if _, ok := mounted[img.env["HOME"]]; !ok {
		t.Errorf("%s: HOME (%s) is not writable under a read-only root filesystem", where, img.env["HOME"])
	}
}

func checkSecrets(t *testing.T, where string, c corev1.Container, m *manifests) {
	t.Helper()
	for _, from := range c.EnvFrom {
		if from.SecretRef == nil {
			continue
		}
		s := m.secrets[from.SecretRef.Name]
		if s == nil {
			t.Errorf("%s: Secret %s is not defined", where, from.SecretRef.Name)
			continue
		}
		for host := range configHosts(t, m) {
			if _, ok := s.StringData[keystore.EnvName(host)]; !ok {
				t.Errorf("%s: Secret %s has no %s for %s", where, s.Name, keystore.EnvName(host), host)
			}
		}
		if _, ok := s.StringData[fedcmd.SecretEnv]; !ok && c.Args[0] == "serve" {
			t.Errorf("%s: serve needs %s", where, fedcmd.SecretEnv)
		}
		return
	}
	t.Errorf("%s: no tokens from a Secret", where)
}

// configHosts loads the ConfigMap's git config with the program's own
// loader (so a misspelt key fails here), laid out as the image lays it
// out, and returns its http(s) hosts.
func configHosts(t *testing.T, m *manifests) map[string]bool {
	t.Helper()
	cm := m.configMaps["git-federate-config"]
	if cm == nil {
		t.Fatal("no ConfigMap git-federate-config")
	}
	cfg := loadAsTheImage(t, cm.Data["gitconfig"], cm.Data["federations"])
	hosts := map[string]bool{}
	add := func(raw string) {
		if u, err := url.Parse(raw); err == nil && strings.HasPrefix(u.Scheme, "http") {
			hosts[u.Host] = true
		}
	}
	for _, f := range cfg.Federations {
		add(f.Origin.Raw)
		for _, mi := range f.Mirrors {
			add(mi.Raw)
		}
	}
	for _, s := range cfg.Sets {
		add(s.Origin)
		for _, mi := range s.Mirrors {
			add(mi)
		}
	}
	if len(hosts) == 0 {
		t.Fatal("the ConfigMap names no http(s) host")
	}
	return hosts
}

// loadAsTheImage loads gitconfig as the global config and federations as
// the file the image's working repository includes, running git there as
// the image does, and checks that the federations are read from the
// repository alone, where the sync's child git processes do not look.
func loadAsTheImage(t *testing.T, gitconfig, federations string) *federation.Config {
	t.Helper()
	img := dockerfile(t)
	dir := t.TempDir()
	global, included := filepath.Join(dir, "gitconfig"), filepath.Join(dir, filepath.Base(img.federations))
	for file, text := range map[string]string{global: gitconfig, included: federations} {
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	repo := filepath.Join(dir, filepath.Base(img.workdir))
	gittest.Git(t, "", "init", "--quiet", "--bare", repo)
	gittest.Git(t, repo, "config", "include.path", included)
	ctx := context.Background()
	cfg, err := federation.Load(ctx, "", repo)
	if err != nil || len(cfg.Invalid) > 0 {
		t.Fatalf("the ConfigMap's git config does not load: %v %v", err, cfg.Invalid)
	}
	outside, err := federation.Load(ctx, "", dir)
	if err != nil || len(outside.Federations)+len(outside.Sets) > 0 {
		t.Errorf("gitconfig, which every git process reads, holds federations: %v %v", err, outside.Names())
	}
	return cfg
}

// serve listens on the port the container, the probes and the Service
// name; its metrics on a port of their own that the Prometheus
// annotations name and the Service does not expose.
func TestServeWiring(t *testing.T) {
	m := load(t)
	d := m.deployments["git-federate-serve"]
	if d == nil {
		t.Fatal("no Deployment git-federate-serve")
	}
	c := d.Spec.Template.Spec.Containers[0]
	listen := argAfter(c.Args, "--listen")
	_, port, _ := strings.Cut(listen, ":")
	metricsListen := argAfter(c.Args, "--metrics-listen")
	_, metricsPort, _ := strings.Cut(metricsListen, ":")
	if metricsPort == "" || metricsPort == port {
		t.Fatalf("serve must give its metrics a port of their own (--metrics-listen %q, --listen %q)", metricsListen, listen)
	}
	if len(c.Ports) != 2 || c.Ports[0].Name != "http" || itoa(c.Ports[0].ContainerPort) != port ||
		c.Ports[1].Name != "metrics" || itoa(c.Ports[1].ContainerPort) != metricsPort {
		t.Fatalf("container ports %+v do not match --listen %s and --metrics-listen %s", c.Ports, listen, metricsListen)
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe must GET /healthz on port http, got %+v", name, p)
		}
	}
	ann := d.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != metricsPort || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("Prometheus annotations %v do not point at :%s/metrics", ann, metricsPort)
	}
	svc := m.services["git-federate-serve"]
	if svc == nil || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Fatalf("Service must target port http, and only it (not the metrics): %+v", svc)
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("Service selects %s=%s, the pods have %q", k, v, d.Spec.Template.Labels[k])
		}
	}
}

// The sync CronJob runs an Indexed Job with one pod per shard.
func TestSyncShards(t *testing.T) {
	m := load(t)
	cj := m.cronJobs["git-federate-sync"]
	if cj == nil {
		t.Fatal("no CronJob git-federate-sync")
	}
	job := cj.Spec.JobTemplate.Spec
	if job.CompletionMode == nil || *job.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("the sync Job must be Indexed, so each pod gets JOB_COMPLETION_INDEX")
	}
	args := job.Template.Spec.Containers[0].Args
	if args[0] != "sync" || argAfter(args, "--all") == "" && !contains(args, "--all") {
		t.Fatalf("sync pods must run sync --all: %v", args)
	}
	for k := range int(*job.Completions) {
		s, err := shard.Parse(argAfter(args, "--shard"), func(string) string { return itoa(int32(k)) })
		if err != nil {
			t.Fatalf("pod %d: %v", k, err)
		}
		if s.K != k || s.N != int(*job.Completions) || job.Parallelism == nil || *job.Parallelism != *job.Completions {
			t.Errorf("pod %d takes shard %v; completions %d, parallelism %v", k, s, *job.Completions, job.Parallelism)
		}
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("a slow run must not overlap the next one: concurrencyPolicy %q", cj.Spec.ConcurrencyPolicy)
	}
}

func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func contains(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// Every pod runs the image scripts/release builds and tags: the name and
// tag in the manifests are the ones after its -t.
func TestPodsRunTheReleasedImage(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "scripts", "release"))
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]bool{}
	for _, m := range regexp.MustCompile(`-t "?([a-z0-9./-]+:[a-zA-Z0-9.$_{}-]+)"?`).FindAllStringSubmatch(string(script), -1) {
		tags[m[1]] = true
	}
	for where, pod := range load(t).pods() {
		for _, c := range pod.Spec.Containers {
			if !tags[c.Image] {
				t.Errorf("%s runs image %q; scripts/release tags %v", where, c.Image, tags)
			}
		}
	}
}
