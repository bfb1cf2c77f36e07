package forge

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// hookStore is a fake forge's hook collection: POST adds, PATCH or PUT
// replaces, GET lists, each answered with render, shaped like the forge.
func hookStore(f *fake, path, update string, render func(id int, body map[string]any) map[string]any) *[]map[string]any {
	var hooks []map[string]any
	f.on("GET", path, func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(hooks) })
	f.on("POST", path, func(w http.ResponseWriter, r *http.Request) {
		body := f.requests()[len(f.requests())-1].Body
		h := render(len(hooks)+1, body)
		hooks = append(hooks, h)
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(h)
	})
	f.on(update, path+"/1", func(w http.ResponseWriter, r *http.Request) {
		hooks[0] = render(1, f.requests()[len(f.requests())-1].Body)
		json.NewEncoder(w).Encode(hooks[0])
	})
	return &hooks
}

func TestSaveHookGitHubCreatesThenUpdates(t *testing.T) {
	f := newFake(t)
	// GitHub: "Create a repository webhook" answers the hook with config
	// (secret masked) and last_response.
	hookStore(f, "/repos/octo/hello/hooks", "PATCH", func(id int, b map[string]any) map[string]any {
		cfg := b["config"].(map[string]any)
		return map[string]any{"type": "Repository", "id": id, "name": "web", "active": true, "events": b["events"],
			"config":        map[string]any{"content_type": cfg["content_type"], "insecure_ssl": "0", "url": cfg["url"], "secret": "********"},
			"last_response": map[string]any{"code": nil, "status": "unused", "message": nil}}
	})
	ctx := context.Background()
	target := HookTarget{"octo", "hello"}
	h, created, err := Client{}.SaveHook(ctx, GitHub, f.URL, "tok", target, "https://hooks.example.com/webhook", "s3")
	if err != nil || !created || h.ID != 1 || h.URL != "https://hooks.example.com/webhook" || h.LastStatus != "unused" {
		t.Fatalf("create: %+v %v %v", h, created, err)
	}
	post := f.requests()[1]
	cfg := post.Body["config"].(map[string]any)
	if cfg["secret"] != "s3" || cfg["content_type"] != "json" || post.Body["events"].([]any)[0] != "push" {
		t.Fatalf("create body %v", post.Body)
	}
	h, created, err = Client{}.SaveHook(ctx, GitHub, f.URL, "tok", target, "https://hooks.example.com/webhook", "s4")
	if err != nil || created || h.ID != 1 {
		t.Fatalf("second save must update hook 1: %+v %v %v", h, created, err)
	}
	hooks, err := Client{}.ListHooks(ctx, GitHub, f.URL, "tok", target)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("after two saves: %+v %v", hooks, err)
	}
}

func TestSaveHookGitLabAndGiteeShapes(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	// GitLab: "Add a webhook to a project": url, token, push_events.
	hookStore(f, "/api/v4/projects/grp%2Fsub%2Fproj/hooks", "PUT", func(id int, b map[string]any) map[string]any {
		return map[string]any{"id": id, "url": b["url"], "project_id": 3, "push_events": b["push_events"],
			"enable_ssl_verification": true, "created_at": "2012-10-12T17:04:47Z"}
	})
	h, created, err := Client{}.SaveHook(ctx, GitLab, f.URL+"/api/v4", "tok", HookTarget{"grp/sub", "proj"}, "https://h.example/webhook", "s")
	if err != nil || !created || h.URL != "https://h.example/webhook" || strings.Join(h.Events, ",") != "push" {
		t.Fatalf("gitlab: %+v %v", h, err)
	}
	if b := f.requests()[1].Body; b["token"] != "s" || b["push_events"] != true {
		t.Fatalf("gitlab body %v", b)
	}
	if _, created, err := (Client{}).SaveHook(ctx, GitLab, f.URL+"/api/v4", "tok", HookTarget{"grp/sub", "proj"}, "https://h.example/webhook", "s"); err != nil || created {
		t.Fatalf("gitlab update: %v %v", created, err)
	}

	g := newFake(t)
	// Gitee: "创建一个仓库WebHook": url, password, push_events; it answers
	// the password back, which must not reach a Hook.
	hookStore(g, "/repos/o/r/hooks", "PATCH", func(id int, b map[string]any) map[string]any {
		return map[string]any{"id": id, "url": b["url"], "created_at": "2024-01-01T00:00:00+08:00", "password": b["password"],
			"project_id": 7, "result": "ok", "result_code": 200, "push_events": true, "tag_push_events": true}
	})
	h, _, err = Client{}.SaveHook(ctx, Gitee, g.URL, "tok", HookTarget{"o", "r"}, "https://h.example/webhook", "pw-secret")
	if err != nil || h.LastStatus != "HTTP 200 ok" {
		t.Fatalf("gitee: %+v %v", h, err)
	}
	if b := g.requests()[1].Body; b["password"] != "pw-secret" {
		t.Fatalf("gitee body %v", b)
	}
	if out, _ := json.Marshal(h); strings.Contains(string(out), "pw-secret") {
		t.Fatalf("the secret reached a Hook: %s", out)
	}
	if _, _, err := (Client{}).SaveHook(ctx, Gitee, g.URL, "tok", HookTarget{Owner: "o"}, "u", "s"); err == nil {
		t.Fatal("Gitee has no organisation hooks, yet one was made")
	}
}

func TestDeliveriesGitHub(t *testing.T) {
	f := newFake(t)
	// GitHub: "List deliveries for a repository webhook".
	f.json("GET", "/orgs/octo/hooks/12/deliveries", 200, []map[string]any{
		{"id": 12345678, "guid": "0b989ba4-242f-11e5-81e1-c7b6966d2516", "delivered_at": "2019-06-03T00:57:16Z",
			"redelivery": false, "duration": 0.27, "status": "OK", "status_code": 200, "event": "push", "action": nil},
		{"id": 123456789, "guid": "0b989ba4-242f-11e5-81e1-c7b6966d2516", "delivered_at": "2019-06-04T00:57:16Z",
			"redelivery": true, "duration": 0.28, "status": "Invalid HTTP Response: 502", "status_code": 502, "event": "push"},
	})
	ds, err := Client{}.Deliveries(context.Background(), GitHub, f.URL, "t", HookTarget{Owner: "octo"}, 12)
	if err != nil || len(ds) != 2 || !ds[0].OK() || ds[1].OK() || ds[1].Status != "Invalid HTTP Response: 502" {
		t.Fatalf("%+v %v", ds, err)
	}
	if _, err := (Client{}).Deliveries(context.Background(), Gitea, f.URL, "t", HookTarget{Owner: "octo"}, 12); err == nil {
		t.Fatal("Gitea has no delivery API, yet deliveries came back")
	}
}
