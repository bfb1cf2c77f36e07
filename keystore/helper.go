package keystore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Usernames gives the username a forge expects with a token, for a key
// whose request named none.
type Usernames func(k Key) (string, error)

// DefaultUsername is the username used with a token when neither the
// request nor the store names one: GitHub and GitLab accept any.
const DefaultUsername = "x-access-token"

// Helper answers git's credential-helper requests (get, store, erase)
// from a Store. It is both `git credential-federate` and the callback
// child gits run.
type Helper struct {
	Store     Store
	Usernames Usernames // nil: DefaultUsername
}

// Serve handles one request: op is get, store or erase; in holds the
// key=value description git sends; the answer goes to out. Having no
// token is not an error: git then asks the next helper, or fails with its
// own "Authentication failed".
func (h Helper) Serve(ctx context.Context, op string, in io.Reader, out io.Writer) error {
	req, err := ReadRequest(in)
	if err != nil {
		return err
	}
	switch op {
	case "get":
		return h.get(ctx, req, out)
	case "store", "erase":
		return nil
	}
	return fmt.Errorf("keystore: unknown credential operation %q (want get, store or erase)", op)
}

func (h Helper) get(ctx context.Context, req Request, out io.Writer) error {
	k := req.Key()
	if (k.Protocol != "https" && k.Protocol != "http") || k.Host == "" {
		return nil
	}
	cred, err := h.Store.Get(ctx, k)
	if errors.Is(err, ErrNotFound) && !isBroken(err) {
		return nil
	}
	if err != nil {
		return err
	}
	user := k.Username
	if user == "" {
		user = cred.Username
	}
	if user == "" {
		if user, err = h.username(k); err != nil {
			return err
		}
	}
	return Request{"protocol": k.Protocol, "host": req["host"], "username": user, "password": cred.Token}.Write(out)
}

func (h Helper) username(k Key) (string, error) {
	if h.Usernames == nil {
		return DefaultUsername, nil
	}
	return h.Usernames(k)
}

// isBroken reports whether err, though it wraps ErrNotFound, also carries
// a store failure worth reporting.
func isBroken(err error) bool {
	var j interface{ Unwrap() []error }
	return errors.As(err, &j) && len(j.Unwrap()) > 1
}
