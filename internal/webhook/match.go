package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path"
	"sort"
	"strings"
	"unicode"

	"github.com/git-remote-federate/git-remote-federate/internal/federation"
	"github.com/git-remote-federate/git-remote-federate/internal/fedset"
)

// repoFields are the repository URL fields of a push payload: GitHub and
// Gitea put clone_url, html_url and ssh_url under "repository"; GitLab
// puts git_http_url and git_ssh_url under "project" (and "repository");
// Gitee sends all of them.
type repoFields struct {
	CloneURL   string `json:"clone_url"`
	HTMLURL    string `json:"html_url"`
	SSHURL     string `json:"ssh_url"`
	GitHTTPURL string `json:"git_http_url"`
	GitSSHURL  string `json:"git_ssh_url"`
	HTTPURL    string `json:"http_url"`
	WebURL     string `json:"web_url"`
	URL        string `json:"url"`
}

type payload struct {
	Repository *repoFields `json:"repository"`
	Project    *repoFields `json:"project"`
}

// ErrNoRepository is returned for a payload that names no repository URL.
var ErrNoRepository = errors.New("payload names no repository URL")

// repoURLs parses the body (JSON, or GitHub's form encoding with a
// "payload" field) and returns every repository URL it names, without
// duplicates. A value holding a control character is no URL (net/url
// and git refuse them); it is dropped, so it never reaches a reply or
// a log line.
// formPayload is the JSON of a webhook sent as a form: GitHub's and
// Gitea's form encoding puts it in a "payload" field. Anything else (a
// client that merely mislabels a JSON body, curl -d) is body itself.
func formPayload(contentType string, body []byte) []byte {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" {
		if form, err := url.ParseQuery(string(body)); err == nil && form.Has("payload") {
			return []byte(form.Get("payload"))
		}
	}
	return body
}

func repoURLs(contentType string, body []byte) ([]string, error) {
	body = formPayload(contentType, body)
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON: %w", err)
	}
	seen := map[string]bool{}
	var urls []string
	for _, r := range []*repoFields{p.Repository, p.Project} {
		if r == nil {
			continue
		}
		for _, u := range []string{r.CloneURL, r.HTMLURL, r.SSHURL, r.GitHTTPURL, r.GitSSHURL, r.HTTPURL, r.WebURL, r.URL} {
			if u != "" && !seen[u] && !strings.ContainsFunc(u, unicode.IsControl) {
				seen[u] = true
				urls = append(urls, u)
			}
		}
	}
	if len(urls) == 0 {
		return nil, ErrNoRepository
	}
	return urls, nil
}

// Match returns the names, sorted, of every federation whose origin or
// one of whose mirrors is one of urls. URLs that cannot be parsed are
// skipped: a payload's web URL need not be a git URL.
func Match(cfg *federation.Config, urls []string) []string {
	var eps []federation.Endpoint
	for _, u := range urls {
		if ep, err := federation.ParseEndpoint(u); err == nil && ep.Protocol != "file" {
			eps = append(eps, ep)
		}
	}
	var names []string
	for name, f := range cfg.Federations {
		if f == nil {
			continue
		}
		if matchesAny(f, eps) {
			names = append(names, name)
		}
	}
	names = append(names, matchSetMembers(cfg, eps)...)
	sort.Strings(names)
	return names
}

// matchSetMembers names the federationset members ("<set>/<repo>") that
// an event's repository is the origin or a mirror of. No forge API is
// asked: the member's URLs follow from the set's owners and the
// repository's name, and the set's wildcards decide whether it is one.
func matchSetMembers(cfg *federation.Config, eps []federation.Endpoint) []string {
	var names []string
	seen := map[string]bool{}
	for _, set := range cfg.Sets {
		for _, ep := range eps {
			repo := strings.TrimSuffix(path.Base(ep.Path), ".git")
			if repo == "" || repo == "/" || repo == "." || !fedset.Selects(set, repo) {
				continue
			}
			m, err := fedset.Member(set, repo)
			if err != nil || seen[m.Name] || cfg.Federations[m.Name] != nil {
				continue
			}
			if matchesAny(m, eps) {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	return names
}

func matchesAny(f *federation.Federation, eps []federation.Endpoint) bool {
	for _, ep := range eps {
		if sameRepo(f.Origin, ep) {
			return true
		}
		for _, m := range f.Mirrors {
			if sameRepo(m, ep) {
				return true
			}
		}
	}
	return false
}

// sameRepo is federation.Endpoint.SameRepo, made lenient where forges
// are: http and https name the same repository when host and path agree
// (a forge behind a proxy reports the scheme it sees), and owner and
// repository names are compared without case, as GitHub, GitLab, Gitea
// and Gitee do. The worst a false match costs is one needless sync.
func sameRepo(a, b federation.Endpoint) bool {
	if a.Protocol == "" || b.Protocol == "" {
		return false
	}
	if a.SameRepo(b) {
		return true
	}
	if a.HTTP() && b.HTTP() || a.Protocol == b.Protocol {
		return a.Host == b.Host && strings.EqualFold(repoPath(a), repoPath(b))
	}
	return false
}

func repoPath(e federation.Endpoint) string {
	return strings.TrimSuffix(strings.TrimSuffix(e.Path, "/"), ".git")
}
