package gittest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// LFSObject is an object named in an LFS batch request or answer.
type LFSObject struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// LFS is a Git LFS server (batch API, basic transfer) for tests, to
// mount on any path ending in "/info/lfs" (a Fault's Handler, or its own
// httptest server). It keeps objects in memory and takes any upload
// whose body arrives whole without checking it, as a careless server
// would: what reaches it is what the client chose to send. Answer and
// Serve make it lie.
type LFS struct {
	// Answer, when set, rewrites the objects a batch answer names (with
	// an upload or download action each), given those asked.
	Answer func(operation string, asked []LFSObject) []LFSObject
	// Serve, when set, gives the bytes a download of oid returns
	// instead of those held.
	Serve func(oid string, held []byte) []byte
	// Storage, when set, is where the answers' actions send the
	// objects: the URL of another LFS's "…/info/lfs", a storage server
	// on another origin as forges use.
	Storage string

	mu      sync.Mutex
	objects map[string][]byte
	puts    []string // OIDs of uploads that arrived whole
}

// Put stores content as oid, as if uploaded earlier.
func (l *LFS) Put(oid string, content []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.objects == nil {
		l.objects = map[string][]byte{}
	}
	l.objects[oid] = append([]byte(nil), content...)
}

// Object is the content held as oid.
func (l *LFS) Object(oid string) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.objects[oid]
	return b, ok
}

// Uploads are the OIDs of the uploads that arrived whole, in order.
func (l *LFS) Uploads() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.puts...)
}

func (l *LFS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base, rest, ok := strings.Cut(r.URL.Path, "/info/lfs/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	prefix := "http://" + r.Host + base + "/info/lfs"
	if l.Storage != "" {
		prefix = l.Storage
	}
	switch oid, isObject := strings.CutPrefix(rest, "objects/"); {
	case rest == "objects/batch" && r.Method == http.MethodPost:
		l.batch(w, r, prefix)
	case isObject && r.Method == http.MethodPut:
		b, err := io.ReadAll(r.Body)
		if err != nil || int64(len(b)) != r.ContentLength {
			return // cut short: nothing stored
		}
		l.Put(oid, b)
		l.mu.Lock()
		l.puts = append(l.puts, oid)
		l.mu.Unlock()
	case isObject && r.Method == http.MethodGet:
		b, ok := l.Object(oid)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if l.Serve != nil {
			b = l.Serve(oid, b)
		}
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func (l *LFS) batch(w http.ResponseWriter, r *http.Request, prefix string) {
	var req struct {
		Operation string      `json:"operation"`
		Objects   []LFSObject `json:"objects"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	named := req.Objects
	if l.Answer != nil {
		named = l.Answer(req.Operation, req.Objects)
	}
	type action struct {
		Href string `json:"href"`
	}
	type result struct {
		LFSObject
		Actions map[string]action `json:"actions,omitempty"`
	}
	out := []result{}
	for _, o := range named {
		res := result{LFSObject: o}
		_, held := l.Object(o.OID)
		switch {
		case req.Operation == "upload" && !held:
			res.Actions = map[string]action{"upload": {Href: prefix + "/objects/" + o.OID}}
		case req.Operation == "download" && held:
			res.Actions = map[string]action{"download": {Href: prefix + "/objects/" + o.OID}}
		}
		out = append(out, res)
	}
	w.Header().Set("Content-Type", "application/vnd.git-lfs+json")
	json.NewEncoder(w).Encode(map[string]any{"transfer": "basic", "objects": out})
}
