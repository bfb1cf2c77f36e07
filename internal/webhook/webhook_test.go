package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
)

const testSecret = "s3cret-for-tests"

// testConfig has two federations; linkis has its origin on GitHub and
// mirrors on Gitee and a GitLab; tools lives on a Gitea.
func testConfig(t testing.TB) *federation.Config {
	t.Helper()
	cfg, err := federation.Parse([]federation.Entry{
		{Key: "federation.linkis.origin", Value: "https://github.com/apache/linkis.git"},
		{Key: "federation.linkis.mirror", Value: "https://gitee.com/WeBankFinTech/linkis"},
		{Key: "federation.linkis.mirror", Value: "ssh://git@gitlab.example.com/mirrors/linkis.git"},
		{Key: "federation.tools.origin", Value: "http://gitea.example.com:3000/team/tools"},
		{Key: "federation.tools.mirror", Value: "https://github.com/team/tools.git"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// recorder is a Syncer that reports each call on a channel and returns
// at once.
type recorder struct{ calls chan string }

func newRecorder() *recorder { return &recorder{calls: make(chan string, 100)} }

func (r *recorder) Sync(_ context.Context, name string) error { r.calls <- name; return nil }

// next waits (bounded) for the next sync.
func (r *recorder) next(t *testing.T) string {
	t.Helper()
	select {
	case n := <-r.calls:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no sync was started")
		return ""
	}
}

func newServer(t *testing.T, s Syncer, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{
		Secret:      []byte(testSecret),
		Federations: func(context.Context) (*federation.Config, error) { return testConfig(t), nil },
		Syncer:      s,
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

func do(srv *Server, method, path string, h http.Header, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	return rec
}

// doMetrics sends a request to the metrics listener's handler.
func doMetrics(srv *Server, method string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(method, "/metrics", nil))
	return rec
}

func hexMAC(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

const githubPush = `{"ref":"refs/heads/main","repository":{"full_name":"apache/linkis",
 "html_url":"https://github.com/apache/linkis","clone_url":"https://github.com/apache/linkis.git",
 "ssh_url":"git@github.com:apache/linkis.git","url":"https://github.com/apache/linkis"}}`

const gitlabPush = `{"object_kind":"push","project":{"web_url":"https://gitlab.example.com/mirrors/linkis",
 "git_ssh_url":"git@gitlab.example.com:mirrors/linkis.git","git_http_url":"https://gitlab.example.com/mirrors/linkis.git"},
 "repository":{"url":"git@gitlab.example.com:mirrors/linkis.git"}}`

const giteePush = `{"hook_name":"push_hooks","repository":{"clone_url":"https://gitee.com/WeBankFinTech/linkis.git",
 "html_url":"https://gitee.com/WeBankFinTech/linkis","ssh_url":"git@gitee.com:WeBankFinTech/linkis.git"}}`

const giteaPush = `{"ref":"refs/heads/main","repository":{"clone_url":"http://gitea.example.com:3000/team/tools.git",
 "html_url":"http://gitea.example.com:3000/team/tools","ssh_url":"git@gitea.example.com:team/tools.git"}}`

func TestSignatures(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	old := strconv.FormatInt(now.Add(-2*time.Hour).UnixMilli(), 10)
	giteeSig := base64.StdEncoding.EncodeToString(GiteeSign([]byte(testSecret), ms))
	giteeOld := base64.StdEncoding.EncodeToString(GiteeSign([]byte(testSecret), old))
	wrongSig := base64.StdEncoding.EncodeToString(GiteeSign([]byte("wrong"), ms))
	tests := []struct {
		name string
		h    http.Header
		body string
		code int
		want string // in the answer
	}{
		{"github good", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hexMAC(testSecret, githubPush)), githubPush, 202, "federation linkis: sync started"},
		{"github bad", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hexMAC("wrong", githubPush)), githubPush, 401, "bad X-Hub-Signature-256"},
		{"github not hex", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256=zz"), githubPush, 401, "bad X-Hub-Signature-256"},
		{"github body changed", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hexMAC(testSecret, githubPush)), githubPush + " ", 401, "bad X-Hub-Signature-256"},
		{"github missing", headers("X-GitHub-Event", "push"), githubPush, 401, "missing X-Hub-Signature-256"},
		{"github ping", headers("X-GitHub-Event", "ping", "X-Hub-Signature-256", "sha256="+hexMAC(testSecret, `{"zen":"x"}`)), `{"zen":"x"}`, 200, "pong"},
		{"github unsigned ping", headers("X-GitHub-Event", "ping"), `{"zen":"x"}`, 401, "missing"},
		{"gitea good", headers("X-Gitea-Event", "push", "X-Gitea-Signature", hexMAC(testSecret, giteaPush)), giteaPush, 202, "federation tools: sync started"},
		{"gitea bad", headers("X-Gitea-Event", "push", "X-Gitea-Signature", hexMAC("wrong", giteaPush)), giteaPush, 401, "bad X-Gitea-Signature"},
		{"gitea missing", headers("X-Gitea-Event", "push"), giteaPush, 401, "missing X-Gitea-Signature"},
		// A Gitea hook of content type "form" signs the JSON it carries in "payload".
		{"gitea form good", headers("X-Gitea-Event", "push", "X-Gitea-Signature", hexMAC(testSecret, giteaPush), "Content-Type", "application/x-www-form-urlencoded"),
			"payload=" + url.QueryEscape(giteaPush), 202, "federation tools: sync started"},
		{"gitea form bad", headers("X-Gitea-Event", "push", "X-Gitea-Signature", hexMAC("wrong", giteaPush), "Content-Type", "application/x-www-form-urlencoded"),
			"payload=" + url.QueryEscape(giteaPush), 401, "bad X-Gitea-Signature"},
		{"gitea form signed body", headers("X-Gitea-Event", "push", "X-Gitea-Signature", hexMAC(testSecret, "payload="+url.QueryEscape(giteaPush)), "Content-Type", "application/x-www-form-urlencoded"),
			"payload=" + url.QueryEscape(giteaPush), 401, "bad X-Gitea-Signature"},
		{"gitlab good", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret), gitlabPush, 202, "federation linkis: sync started"},
		{"gitlab bad", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "wrong"), gitlabPush, 401, "bad X-Gitlab-Token"},
		{"gitlab missing", headers("X-Gitlab-Event", "Push Hook"), gitlabPush, 401, "missing X-Gitlab-Token"},
		{"gitee password good", headers("X-Gitee-Event", "Push Hook", "X-Gitee-Token", testSecret), giteePush, 202, "federation linkis: sync started"},
		{"gitee password bad", headers("X-Gitee-Event", "Push Hook", "X-Gitee-Token", "wrong"), giteePush, 401, "bad X-Gitee-Token"},
		{"gitee signature good", headers("X-Gitee-Event", "Push Hook", "X-Gitee-Token", giteeSig, "X-Gitee-Timestamp", ms), giteePush, 202, "federation linkis: sync started"},
		{"gitee signature url-encoded", headers("X-Gitee-Event", "Push Hook", "X-Gitee-Token", url.QueryEscape(giteeSig), "X-Gitee-Timestamp", ms), giteePush, 202, "sync started"},
		{"gitee signature bad", headers("X-Gitee-Event", "Push Hook", "X-Gitee-Token", wrongSig, "X-Gitee-Timestamp", ms), giteePush, 401, "bad X-Gitee-Token"},
		{"gitee signature old", headers("X-Gitee-Event", "Push Hook", "X-Gitee-Token", giteeOld, "X-Gitee-Timestamp", old), giteePush, 401, "bad X-Gitee-Timestamp"},
		{"gitee missing", headers("X-Gitee-Event", "Push Hook"), giteePush, 401, "missing X-Gitee-Token"},
		{"no forge headers", headers("X-Hub-Signature-256", "sha256="+hexMAC(testSecret, githubPush)), githubPush, 400, "no event header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			srv := newServer(t, rec, func(c *Config) { c.Now = func() time.Time { return now } })
			resp := do(srv, "POST", "/webhook", tt.h, tt.body)
			if resp.Code != tt.code || !strings.Contains(resp.Body.String(), tt.want) {
				t.Fatalf("got %d %q, want %d containing %q", resp.Code, resp.Body.String(), tt.code, tt.want)
			}
			if strings.Contains(resp.Body.String(), testSecret) {
				t.Fatalf("answer contains the secret: %q", resp.Body.String())
			}
			if tt.code == 202 {
				rec.next(t)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	push := func(fields string) string { return `{"repository":{` + fields + `}}` }
	tests := []struct {
		name, body, want string
	}{
		{"origin clone_url", push(`"clone_url":"https://github.com/apache/linkis.git"`), "linkis"},
		{"origin without .git", push(`"html_url":"https://github.com/apache/linkis"`), "linkis"},
		{"origin host case", push(`"clone_url":"https://GitHub.COM/apache/linkis.git"`), "linkis"},
		{"origin owner case", push(`"clone_url":"https://github.com/Apache/Linkis.git"`), "linkis"},
		{"origin scp ssh_url", push(`"ssh_url":"git@github.com:apache/linkis.git"`), ""},
		{"mirror without .git in config, with in event", push(`"clone_url":"https://gitee.com/WeBankFinTech/linkis.git"`), "linkis"},
		{"mirror over ssh", push(`"ssh_url":"git@gitlab.example.com:mirrors/linkis.git"`), "linkis"},
		{"origin with port", push(`"clone_url":"http://gitea.example.com:3000/team/tools.git"`), "tools"},
		{"origin over https instead of http", push(`"clone_url":"https://gitea.example.com:3000/team/tools.git"`), "tools"},
		{"wrong port", push(`"clone_url":"http://gitea.example.com:3001/team/tools.git"`), ""},
		{"mirror of tools", push(`"clone_url":"https://github.com/team/tools"`), "tools"},
		{"gitlab project", `{"project":{"git_ssh_url":"git@gitlab.example.com:mirrors/linkis.git"}}`, "linkis"},
		{"https event, ssh config", `{"project":{"git_http_url":"https://gitlab.example.com/mirrors/linkis.git"}}`, ""},
		{"unknown", push(`"clone_url":"https://github.com/someone/else.git"`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			srv := newServer(t, rec, nil)
			resp := do(srv, "POST", "/webhook", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hexMAC(testSecret, tt.body)), tt.body)
			if tt.want == "" {
				if resp.Code != 202 || !strings.HasPrefix(resp.Body.String(), "no federation for ") {
					t.Fatalf("got %d %q, want 202 no federation", resp.Code, resp.Body.String())
				}
				return
			}
			if resp.Code != 202 || !strings.Contains(resp.Body.String(), "sync started") {
				t.Fatalf("got %d %q", resp.Code, resp.Body.String())
			}
			if got := rec.next(t); got != tt.want {
				t.Fatalf("synced %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSeveralFederationsMatch(t *testing.T) {
	rec := newRecorder()
	cfg, _ := federation.Parse([]federation.Entry{
		{Key: "federation.a.origin", Value: "https://example.com/x.git"},
		{Key: "federation.b.origin", Value: "https://example.com/y.git"},
		{Key: "federation.b.mirror", Value: "https://example.com/x"},
	})
	srv := newServer(t, rec, func(c *Config) {
		c.Federations = func(context.Context) (*federation.Config, error) { return cfg, nil }
	})
	body := `{"repository":{"clone_url":"https://example.com/x.git"}}`
	resp := do(srv, "POST", "/webhook", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret), body)
	if resp.Code != 202 || resp.Body.String() != "federation a: sync started\nfederation b: sync started\n" {
		t.Fatalf("got %d %q", resp.Code, resp.Body.String())
	}
	got := map[string]bool{rec.next(t): true, rec.next(t): true}
	if !got["a"] || !got["b"] {
		t.Fatalf("synced %v, want a and b", got)
	}
}

func TestRequestErrors(t *testing.T) {
	gl := func() http.Header { return headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret) }
	tests := []struct {
		name, method, path string
		h                  http.Header
		body               string
		code               int
		want               string
	}{
		{"GET webhook", "GET", "/webhook", gl(), "", 405, "only POST"},
		{"too large", "POST", "/webhook", gl(), `{"x":"` + strings.Repeat("a", DefaultMaxBody) + `"}`, 413, "body larger than 1048576 bytes"},
		{"not JSON", "POST", "/webhook", gl(), `{"repository":`, 400, "payload is not valid JSON"},
		{"no repository", "POST", "/webhook", gl(), `{"ref":"refs/heads/main"}`, 400, "payload names no repository URL"},
		// A line break in a URL would forge a line of the reply ("no
		// federation for …") and of the log: no URL holds one.
		{"control character in URL", "POST", "/webhook", gl(), `{"repository":{"url":"https://x/a\r\nfederation linkis: sync started"}}`, 400, "payload names no repository URL"},
		{"other event", "POST", "/webhook", headers("X-Gitlab-Event", "Issue Hook", "X-Gitlab-Token", testSecret), `{}`, 200, `event "Issue Hook" ignored`},
		{"healthz", "GET", "/healthz", nil, "", 200, "ok"},
		{"POST healthz", "POST", "/healthz", nil, "", 405, "only GET"},
		{"metrics on the webhook port", "GET", "/metrics", nil, "", 404, "not found"},
		{"unknown path", "GET", "/nothing", nil, "", 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, newRecorder(), nil)
			resp := do(srv, tt.method, tt.path, tt.h, tt.body)
			if resp.Code != tt.code || !strings.Contains(resp.Body.String(), tt.want) {
				t.Fatalf("got %d %q, want %d containing %q", resp.Code, resp.Body.String(), tt.code, tt.want)
			}
		})
	}
	if resp := doMetrics(newServer(t, newRecorder(), nil), "POST"); resp.Code != 405 || !strings.Contains(resp.Body.String(), "only GET") {
		t.Errorf("POST /metrics on the metrics listener: %d %q, want 405", resp.Code, resp.Body.String())
	}
}

func TestFormEncodedGitHubPayload(t *testing.T) {
	rec := newRecorder()
	srv := newServer(t, rec, nil)
	body := url.Values{"payload": {githubPush}}.Encode()
	h := headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256="+hexMAC(testSecret, body), "Content-Type", "application/x-www-form-urlencoded")
	if resp := do(srv, "POST", "/webhook", h, body); resp.Code != 202 {
		t.Fatalf("got %d %q", resp.Code, resp.Body.String())
	}
	if got := rec.next(t); got != "linkis" {
		t.Fatalf("synced %q", got)
	}
}

func TestNoSecretRefused(t *testing.T) {
	_, err := New(Config{Federations: func(context.Context) (*federation.Config, error) { return nil, nil }, Syncer: newRecorder()})
	if err != ErrNoSecret {
		t.Fatalf("New without secret: %v, want ErrNoSecret", err)
	}
}

func TestInsecureAcceptsUnsigned(t *testing.T) {
	rec := newRecorder()
	srv := newServer(t, rec, func(c *Config) { c.Secret, c.Insecure = nil, true })
	if resp := do(srv, "POST", "/webhook", headers("X-GitHub-Event", "push"), githubPush); resp.Code != 202 {
		t.Fatalf("got %d %q", resp.Code, resp.Body.String())
	}
	rec.next(t)
}

func TestConfigUnreadable(t *testing.T) {
	srv := newServer(t, newRecorder(), func(c *Config) {
		c.Federations = func(context.Context) (*federation.Config, error) {
			return nil, &federation.ConfigError{Stderr: "fatal: bad config line 3 in file /secret/path"}
		}
	})
	resp := do(srv, "POST", "/webhook", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret), gitlabPush)
	if resp.Code != 500 || strings.Contains(resp.Body.String(), "/secret/path") {
		t.Fatalf("got %d %q: want 500 without config details", resp.Code, resp.Body.String())
	}
}

func TestLogNeverHasSecret(t *testing.T) {
	var logs bytes.Buffer
	rec := newRecorder()
	srv := newServer(t, rec, func(c *Config) { c.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	do(srv, "POST", "/webhook", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret), gitlabPush)
	do(srv, "POST", "/webhook", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret+"x"), gitlabPush)
	do(srv, "POST", "/webhook", headers("X-Gitee-Event", "Push Hook", "X-Gitee-Token", testSecret), giteePush)
	rec.next(t)
	rec.next(t)
	srv.Shutdown(context.Background())
	if strings.Contains(logs.String(), testSecret) {
		t.Fatalf("log contains the secret:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "bad X-Gitlab-Token") {
		t.Fatalf("log does not say why a request was refused:\n%s", logs.String())
	}
}

// curl -d labels a JSON body as a form; it is still read as JSON.
func TestMislabelledJSONBody(t *testing.T) {
	rec := newRecorder()
	srv := newServer(t, rec, nil)
	h := headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret, "Content-Type", "application/x-www-form-urlencoded")
	if resp := do(srv, "POST", "/webhook", h, gitlabPush); resp.Code != 202 {
		t.Fatalf("got %d %q", resp.Code, resp.Body.String())
	}
	if got := rec.next(t); got != "linkis" {
		t.Fatalf("synced %q", got)
	}
}

// A push to a repository that only a federationset covers syncs that
// member, named "<set>/<repo>", whether it came from the origin owner or
// a mirror owner; the set's wildcards decide, and no forge API is asked.
func TestSetMembersMatch(t *testing.T) {
	cfg, err := federation.Parse([]federation.Entry{
		{Key: "federationset.apache.origin", Value: "https://github.com/apache"},
		{Key: "federationset.apache.mirror", Value: "https://gitee.com/apache-mirror"},
		{Key: "federationset.apache.include", Value: "linkis*"},
		{Key: "federation.apache/linkis-web.origin", Value: "https://github.com/apache/linkis-web.git"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ url, want string }{
		{"https://github.com/apache/linkis.git", "apache/linkis"},
		{"https://gitee.com/apache-mirror/linkis", "apache/linkis"},
		{"https://github.com/apache/kafka.git", ""},                       // not selected by include
		{"https://github.com/other/linkis.git", ""},                       // another owner
		{"https://github.com/apache/linkis-web.git", "apache/linkis-web"}, // the explicit federation, once
	}
	for _, tt := range tests {
		got := strings.Join(Match(cfg, []string{tt.url}), ",")
		if got != tt.want {
			t.Errorf("Match(%s) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

// A push for a repository no federation has is logged with its URL (the
// operator's only clue which hook is pointed at the wrong receiver),
// without the password the URL may name.
func TestLogNamesTheURLWithNoFederation(t *testing.T) {
	var logs bytes.Buffer
	srv := newServer(t, newRecorder(), func(c *Config) { c.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	body := `{"object_kind":"push","project":{"git_http_url":"https://bob:hunter2@gitlab.example.com/mirrors/unknown-repo.git"}}`
	resp := do(srv, "POST", "/webhook", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", testSecret), body)
	if resp.Code != http.StatusAccepted || !strings.Contains(resp.Body.String(), "no federation") {
		t.Fatalf("got %d %q", resp.Code, resp.Body.String())
	}
	out := logs.String()
	if !strings.Contains(out, "result=no_federation") || !strings.Contains(out, "url=https://") || !strings.Contains(out, "unknown-repo") ||
		strings.Contains(out, "hunter2") {
		t.Errorf("log:\n%s", out)
	}
}
