package lfs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/git-remote-federate/git-remote-federate/internal/i18n"
)

// Opener reads one object's content, as the store or server has it:
// Upload checks it against the object's OID and size (Verified).
type Opener func(ctx context.Context, o Object) (io.ReadCloser, error)

// Source prepares to read the objects in need and returns how to open
// each.
type Source func(ctx context.Context, need []Object) (Opener, error)

// Store is the object store of a local repository, where git-lfs keeps
// what it cleaned or downloaded: <git dir>/lfs/objects/ab/cd/abcd....
func Store(gitDir string) Source {
	root := filepath.Join(gitDir, "lfs", "objects")
	return func(context.Context, []Object) (Opener, error) {
		return func(_ context.Context, o Object) (io.ReadCloser, error) {
			if !validOID(o.OID) {
				return nil, i18n.Errorf("invalid LFS object name %q", printable(o.OID))
			}
			f, err := os.Open(filepath.Join(root, o.OID[:2], o.OID[2:4], o.OID))
			if err != nil {
				return nil, i18n.Errorf("LFS object %s is not in this repository: %w", o.OID, err)
			}
			return f, nil
		}, nil
	}
}

// Download is c as a source: one batch asks where each object is.
func (c *Client) Download(ctx context.Context, need []Object) (Opener, error) {
	res, err := c.Batch(ctx, "download", need)
	if err != nil {
		return nil, err
	}
	actions := map[string]Action{}
	for _, r := range res {
		if a, ok := r.Actions["download"]; ok && r.Error == nil {
			actions[r.OID] = a
		}
	}
	return func(ctx context.Context, o Object) (io.ReadCloser, error) {
		a, ok := actions[o.OID]
		if !ok {
			return nil, i18n.Errorf("LFS object %s is not on %s", o.OID, c.Endpoint)
		}
		resp, err := c.transfer(ctx, http.MethodGet, a, nil, 0)
		if err != nil {
			return nil, err
		}
		return resp.Body, nil
	}, nil
}

// Missing asks the server which of objs it lacks.
func (c *Client) Missing(ctx context.Context, objs []Object) ([]Object, error) {
	res, err := c.needed(ctx, objs)
	if err != nil {
		return nil, err
	}
	out := make([]Object, len(res))
	for i, r := range res {
		out[i] = r.Object
	}
	return out, nil
}

// needed is the upload answers that ask for an upload.
func (c *Client) needed(ctx context.Context, objs []Object) ([]Result, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	res, err := c.Batch(ctx, "upload", objs)
	if err != nil {
		return nil, err
	}
	asked := make(map[string]int64, len(objs))
	for _, o := range objs {
		asked[o.OID] = o.Size
	}
	var out []Result
	sent := map[string]bool{}
	for _, r := range res {
		// Only what was asked, at its size: a server that names another
		// object would get it, read from the local store or from origin
		// with origin's token. r.OID is server text until it is found
		// among the objects asked for (valid hex, then).
		size, ok := asked[r.OID]
		if !ok {
			return nil, i18n.Errorf("LFS batch at %s: the answer names an object that was not asked for: %w", c.Endpoint, ErrAnswer)
		}
		if r.Error != nil {
			return nil, i18n.Errorf("LFS object %s at %s: %d %s", r.OID, c.Endpoint, r.Error.Code, printable(r.Error.Message))
		}
		if _, ok := r.Actions["upload"]; !ok {
			continue
		}
		if r.Size != size {
			return nil, i18n.Errorf("LFS batch at %s: the answer asks for object %s with %d bytes, not the %d it has: %w", c.Endpoint, r.OID, r.Size, size, ErrAnswer)
		}
		if !sent[r.OID] { // named twice: sent once
			sent[r.OID] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// Concurrency is how many objects go to one server at once, as
// git-lfs's own default (lfs.concurrenttransfers): a transfer's cost is
// mostly round trips, and one at a time leaves the link idle.
const Concurrency = 8

// Upload makes the server hold objs: it uploads, from src, only those
// the server says it lacks, and verifies each when the server asks. It
// returns how many it uploaded.
func (c *Client) Upload(ctx context.Context, objs []Object, src Source) (int, error) {
	need, err := c.needed(ctx, objs)
	if err != nil || len(need) == 0 {
		return 0, err
	}
	wanted := make([]Object, len(need))
	for i, r := range need {
		wanted[i] = r.Object
	}
	open, err := src(ctx, wanted)
	if err != nil {
		return 0, err
	}
	var mu sync.Mutex
	var errs []error
	n := 0
	var g errgroup.Group
	g.SetLimit(Concurrency)
	for _, r := range need {
		g.Go(func() error {
			err := c.uploadOne(ctx, r, open)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				n++
			}
			return nil // one object's failure does not stop the others
		})
	}
	g.Wait()
	return n, i18n.Join(errs...)
}

func (c *Client) uploadOne(ctx context.Context, r Result, open Opener) error {
	rc, err := open(ctx, r.Object)
	if err != nil {
		return err
	}
	defer rc.Close()
	check := checking(r.Object, rc)
	var body io.Reader = check
	if r.Size == 0 {
		// A request body of length 0 would go chunked: check the empty
		// content first, then send none.
		if _, err := io.Copy(io.Discard, body); err != nil {
			return i18n.Errorf("uploading LFS object %s: %w", r.OID, err)
		}
		body = http.NoBody
	}
	resp, err := c.transfer(ctx, http.MethodPut, r.Actions["upload"], body, r.Size)
	if cause := check.cause(); err != nil && cause != nil {
		err = cause
	}
	if err != nil {
		return i18n.Errorf("uploading LFS object %s: %w", r.OID, err)
	}
	resp.Body.Close()
	v, ok := r.Actions["verify"]
	if !ok {
		return nil
	}
	return c.verify(ctx, v, r.Object)
}

func (c *Client) verify(ctx context.Context, a Action, o Object) error {
	if a.Header == nil {
		a.Header = map[string]string{}
	}
	a.Header["Content-Type"] = mediaType
	a.Header["Accept"] = mediaType
	body := fmt.Sprintf(`{"oid":%q,"size":%d}`, o.OID, o.Size)
	resp, err := c.transfer(ctx, http.MethodPost, a, strings.NewReader(body), int64(len(body)))
	if err != nil {
		return i18n.Errorf("verifying LFS object %s: %w", o.OID, err)
	}
	resp.Body.Close()
	return nil
}

// Fallback reads each object from first, or from second when first
// cannot open it (second is asked only then, once). The opener is safe
// for concurrent use.
func Fallback(first, second Source) Source {
	return func(ctx context.Context, need []Object) (Opener, error) {
		open1, err := first(ctx, need)
		if err != nil {
			return second(ctx, need)
		}
		prepare := sync.OnceValues(func() (Opener, error) { return second(ctx, need) })
		return func(ctx context.Context, o Object) (io.ReadCloser, error) {
			r, err1 := open1(ctx, o)
			if err1 == nil {
				return r, nil
			}
			open2, err := prepare()
			if err != nil {
				return nil, i18n.Join(err1, err)
			}
			return open2(ctx, o)
		}, nil
	}
}
