package forge

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
	"github.com/git-remote-federate/git-remote-federate/internal/redact"
)

// HookTarget is where a webhook lives: a repository (Owner and Name), or
// an organisation or GitLab group (Owner alone).
type HookTarget struct{ Owner, Name string }

// Org reports whether t is an organisation or group.
func (t HookTarget) Org() bool { return t.Name == "" }

func (t HookTarget) String() string {
	if t.Org() {
		return t.Owner
	}
	return t.Owner + "/" + t.Name
}

// OrgHooks reports whether forge has organisation (group) webhooks this
// package can create: GitHub and Gitea organisations, GitLab groups.
func OrgHooks(forge string) bool { return forge == GitHub || forge == Gitea || forge == GitLab }

// Hook is one push webhook on a forge. It never holds the secret.
type Hook struct {
	ID     int64    `json:"id"`
	URL    string   `json:"url"`
	Active bool     `json:"active"`
	Events []string `json:"events,omitempty"`
	// LastStatus is the forge's word on the latest delivery where the
	// hook itself carries one (GitHub last_response, Gitee result), or "".
	LastStatus string `json:"last_status,omitempty"`
}

// Delivery is one past delivery of a hook, as GitHub keeps them.
type Delivery struct {
	When       time.Time `json:"delivered_at"`
	Event      string    `json:"event"`
	StatusCode int       `json:"status_code"`
	Status     string    `json:"status"`
}

// OK reports whether the receiver answered 2xx.
func (d Delivery) OK() bool { return d.StatusCode/100 == 2 }

// apiHook decodes a hook from any of the four forges.
type apiHook struct {
	ID     int64          `json:"id"`
	URL    string         `json:"url"` // GitLab, Gitee
	Active *bool          `json:"active"`
	Events []string       `json:"events"`
	Config map[string]any `json:"config"` // GitHub, Gitea: config.url
	Push   *bool          `json:"push_events"`
	Last   *struct {
		Code    *int   `json:"code"`
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"last_response"` // GitHub
	Result     string `json:"result"`      // Gitee
	ResultCode *int   `json:"result_code"` // Gitee
}

func (a apiHook) hook() Hook {
	h := Hook{ID: a.ID, URL: a.URL, Active: true, Events: a.Events}
	if u, ok := a.Config["url"].(string); ok && u != "" {
		h.URL = u
	}
	if a.Active != nil {
		h.Active = *a.Active
	}
	if a.Push != nil && *a.Push && len(h.Events) == 0 {
		h.Events = []string{"push"}
	}
	switch {
	case a.Last != nil && a.Last.Code != nil:
		h.LastStatus = fmt.Sprintf("HTTP %d %s", *a.Last.Code, oneLine(a.Last.Message))
	case a.Last != nil && a.Last.Status != "":
		h.LastStatus = oneLine(a.Last.Status)
	case a.ResultCode != nil:
		h.LastStatus = fmt.Sprintf("HTTP %d %s", *a.ResultCode, oneLine(a.Result))
	}
	h.LastStatus = strings.TrimSpace(h.LastStatus)
	// Server text: no terminal control reaches a terminal. The URL is
	// only stripped, not masked: it is what our own hook is matched by.
	h.URL = strings.NewReplacer("\n", "", "\t", "").Replace(redact.Strip(h.URL))
	return h
}

// oneLine keeps server text to one short line, cleaned the one way
// server text is (escape sequences and controls dropped whole,
// credential-shaped values masked): it is shown to a person.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(redact.New().Clean(s)), " ")
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.ToValidUTF8(s, "")
}

// hooksPath is the collection of t's hooks on forge.
func hooksPath(forge string, t HookTarget) (string, error) {
	if err := checkOwner(t.Owner); err != nil {
		return "", err
	}
	if !t.Org() {
		if err := CheckName(t.Name); err != nil {
			return "", err
		}
	}
	switch {
	case forge == GitLab && t.Org():
		return "/groups/" + url.PathEscape(t.Owner) + "/hooks", nil
	case forge == GitLab:
		return "/projects/" + url.PathEscape(t.Owner+"/"+t.Name) + "/hooks", nil
	case t.Org() && !OrgHooks(forge):
		return "", i18n.Errorf("%w: %s has no organisation webhooks", ErrUnsupported, forge)
	case t.Org():
		return "/orgs/" + url.PathEscape(t.Owner) + "/hooks", nil
	}
	return "/repos/" + url.PathEscape(t.Owner) + "/" + url.PathEscape(t.Name) + "/hooks", nil
}

// hookBody is the JSON that creates or updates a push hook to target
// signed with secret, in forge's shape.
func hookBody(forge, target, secret string) map[string]any {
	switch forge {
	case GitLab:
		return map[string]any{"url": target, "token": secret, "push_events": true, "tag_push_events": true,
			"enable_ssl_verification": true}
	case Gitee:
		return map[string]any{"url": target, "password": secret, "push_events": true, "tag_push_events": true}
	case Gitea:
		return map[string]any{"type": "gitea", "active": true, "events": []string{"push"},
			"config": map[string]string{"url": target, "content_type": "json", "secret": secret}}
	}
	return map[string]any{"name": "web", "active": true, "events": []string{"push"},
		"config": map[string]string{"url": target, "content_type": "json", "secret": secret, "insecure_ssl": "0"}}
}

// ListHooks lists the webhooks of t.
func (c Client) ListHooks(ctx context.Context, forge, base, token string, t HookTarget) ([]Hook, error) {
	if !Known(forge) {
		return nil, i18n.Errorf("%w: %q", ErrUnsupported, forge)
	}
	p, err := hooksPath(forge, t)
	if err != nil {
		return nil, err
	}
	q := url.Values{"per_page": {"100"}}
	var items []apiHook
	if _, err := c.call(ctx, request{forge: forge, base: base, method: http.MethodGet, path: p, query: q, token: token}, &items); err != nil {
		return nil, i18n.Errorf("listing the webhooks of %s: %w", t, err)
	}
	out := make([]Hook, 0, len(items))
	for _, it := range items {
		out = append(out, it.hook())
	}
	return out, nil
}

// SaveHook makes t have one push webhook to target with secret: it
// updates the hook whose URL is target, else creates one. created tells
// which. The forge never gives a secret back, so an existing hook is
// always updated (a changed secret then takes effect).
func (c Client) SaveHook(ctx context.Context, forge, base, token string, t HookTarget, target, secret string) (h Hook, created bool, err error) {
	hooks, err := c.ListHooks(ctx, forge, base, token, t)
	if err != nil {
		return Hook{}, false, err
	}
	p, _ := hooksPath(forge, t)
	r := request{forge: forge, base: base, method: http.MethodPost, path: p, body: hookBody(forge, target, secret), token: token}
	for _, old := range hooks {
		if old.URL == target {
			r.path = p + "/" + strconv.FormatInt(old.ID, 10)
			r.method = http.MethodPatch
			if forge == GitLab {
				r.method = http.MethodPut
			}
			break
		}
	}
	var a apiHook
	if _, err := c.call(ctx, r, &a); err != nil {
		return Hook{}, false, i18n.Errorf("saving the webhook of %s: %w", t, err)
	}
	return a.hook(), r.method == http.MethodPost, nil
}

// DeleteHook deletes hook id of t.
func (c Client) DeleteHook(ctx context.Context, forge, base, token string, t HookTarget, id int64) error {
	p, err := hooksPath(forge, t)
	if err != nil {
		return err
	}
	r := request{forge: forge, base: base, method: http.MethodDelete, path: p + "/" + strconv.FormatInt(id, 10), token: token}
	if _, err := c.call(ctx, r, nil); err != nil {
		return i18n.Errorf("deleting webhook %d of %s: %w", id, t, err)
	}
	return nil
}

// Deliveries lists the latest deliveries of hook id, newest first, where
// the forge keeps them through its API (GitHub); else ErrUnsupported.
func (c Client) Deliveries(ctx context.Context, forge, base, token string, t HookTarget, id int64) ([]Delivery, error) {
	if forge != GitHub {
		return nil, i18n.Errorf("%w: %s keeps no delivery history in its API", ErrUnsupported, forge)
	}
	p, err := hooksPath(forge, t)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	r := request{forge: forge, base: base, method: http.MethodGet, path: p + "/" + strconv.FormatInt(id, 10) + "/deliveries",
		query: url.Values{"per_page": {"5"}}, token: token}
	if _, err := c.call(ctx, r, &out); err != nil {
		return nil, i18n.Errorf("deliveries of webhook %d of %s: %w", id, t, err)
	}
	for i := range out {
		out[i].Status = oneLine(out[i].Status)
		out[i].Event = oneLine(out[i].Event)
	}
	return out, nil
}
