package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Forge names which kind of server sent a webhook.
type Forge string

// The senders this receiver understands.
const (
	GitHub Forge = "github"
	Gitea  Forge = "gitea"
	GitLab Forge = "gitlab"
	Gitee  Forge = "gitee"
)

// ErrUnknownSender is returned for a request that carries no forge's event header.
var ErrUnknownSender = errors.New("not a GitHub, Gitea, GitLab or Gitee webhook (no event header)")

// ErrUnauthorized is wrapped by every signature or token failure.
var ErrUnauthorized = errors.New("webhook not authenticated")

// GiteeMaxSkew is how far a Gitee signature timestamp may be from now,
// as Gitee documents ("no more than one hour").
const GiteeMaxSkew = time.Hour

// event is what the headers of a request say.
type event struct {
	Forge Forge
	Name  string // the event header's value, e.g. "push" or "Push Hook"
}

// detect reads the forge and event name from the headers. Gitea also sends
// GitHub's and Gogs' headers, so it is recognised first.
func detect(h http.Header) (event, error) {
	for _, c := range []struct {
		forge  Forge
		header string
	}{
		{Gitea, "X-Gitea-Event"},
		{Gitee, "X-Gitee-Event"},
		{Gitee, "X-Git-Oschina-Event"}, // Gitee's older name
		{GitLab, "X-Gitlab-Event"},
		{GitHub, "X-GitHub-Event"},
	} {
		if v := h.Get(c.header); v != "" {
			return event{Forge: c.forge, Name: v}, nil
		}
	}
	return event{}, ErrUnknownSender
}

// isPing reports whether the event only checks that the receiver answers.
func (e event) isPing() bool {
	return strings.EqualFold(e.Name, "ping")
}

// changesRefs reports whether the event means refs moved on the sender,
// which is what a sync acts on.
func (e event) changesRefs() bool {
	switch strings.ToLower(e.Name) {
	case "push", "create", "delete", // GitHub, Gitea
		"push hook", "tag push hook", // GitLab, Gitee
		"push_hooks", "tag_push_hooks": // older Gitee
		return true
	}
	return false
}

// verifier checks that a request comes from a forge that knows the secret.
type verifier struct {
	secret []byte
	now    func() time.Time
}

// verify checks the request's signature or token for its forge, with
// constant-time comparisons. Errors wrap ErrUnauthorized and never carry
// the secret or what the request sent.
func (v verifier) verify(ev event, h http.Header, body []byte) error {
	switch ev.Forge {
	case GitHub:
		return v.hexHMAC(strings.TrimPrefix(h.Get("X-Hub-Signature-256"), "sha256="), body, "X-Hub-Signature-256")
	case Gitea:
		sig := h.Get("X-Gitea-Signature")
		if sig == "" { // Gitea sends GitHub's header too; either will do
			sig = strings.TrimPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
		}
		// Gitea signs the JSON it sends, which a form carries in its
		// "payload" field (GitHub signs the form itself).
		return v.hexHMAC(sig, formPayload(h.Get("Content-Type"), body), "X-Gitea-Signature")
	case GitLab:
		return v.token(h.Get("X-Gitlab-Token"), "X-Gitlab-Token")
	case Gitee:
		return v.gitee(h.Get("X-Gitee-Token"), h.Get("X-Gitee-Timestamp"))
	}
	return ErrUnknownSender
}

// precheck refuses, from the headers alone, a request that cannot pass
// verify: its forge's signature header is missing or malformed, or (for
// forges whose token does not cover the body) the token is wrong. It runs
// before the body is read.
func (v verifier) precheck(ev event, h http.Header) error {
	switch ev.Forge {
	case GitHub:
		return hexHeader(strings.TrimPrefix(h.Get("X-Hub-Signature-256"), "sha256="), "X-Hub-Signature-256")
	case Gitea:
		sig := h.Get("X-Gitea-Signature")
		if sig == "" {
			sig = strings.TrimPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
		}
		return hexHeader(sig, "X-Gitea-Signature")
	}
	return v.verify(ev, h, nil) // GitLab and Gitee: the body plays no part
}

// hexHeader checks that an HMAC-SHA256 signature header is present and
// has the form of one.
func hexHeader(sig, header string) error {
	if sig == "" {
		return missing(header)
	}
	if b, err := hex.DecodeString(sig); err != nil || len(b) != sha256.Size {
		return bad(header)
	}
	return nil
}

// deliveryID is the unique ID GitHub and Gitea give each delivery, or "".
func deliveryID(h http.Header) string {
	for _, k := range []string{"X-GitHub-Delivery", "X-Gitea-Delivery"} {
		if v := h.Get(k); v != "" && len(v) <= 100 {
			return k + ":" + v
		}
	}
	return ""
}

func (v verifier) hexHMAC(sig string, body []byte, header string) error {
	if sig == "" {
		return missing(header)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return bad(header)
	}
	mac := hmac.New(sha256.New, v.secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return bad(header)
	}
	return nil
}

func (v verifier) token(tok, header string) error {
	if tok == "" {
		return missing(header)
	}
	if subtle.ConstantTimeCompare([]byte(tok), v.secret) != 1 {
		return bad(header)
	}
	return nil
}

// gitee accepts both of Gitee's modes: the password mode sends the secret
// itself in X-Gitee-Token; the signature mode sends
// base64(HMAC-SHA256(secret, timestamp + "\n" + secret)) with the
// millisecond timestamp in X-Gitee-Timestamp. The signature does not
// cover the body, so the timestamp window is what limits replays.
func (v verifier) gitee(tok, ts string) error {
	if tok == "" {
		return missing("X-Gitee-Token")
	}
	if ts == "" {
		return v.token(tok, "X-Gitee-Token")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return bad("X-Gitee-Timestamp")
	}
	if d := v.now().Sub(time.UnixMilli(ms)); d > GiteeMaxSkew || d < -GiteeMaxSkew {
		return bad("X-Gitee-Timestamp (too old or in the future)")
	}
	// Gitee's documentation URL-encodes the signature; the header may
	// arrive either way.
	if u, err := url.PathUnescape(tok); err == nil { // not QueryUnescape: base64 has "+"
		tok = u
	}
	got, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		// Password mode with a timestamp header present.
		return v.token(tok, "X-Gitee-Token")
	}
	if !hmac.Equal(got, GiteeSign(v.secret, ts)) {
		if subtle.ConstantTimeCompare([]byte(tok), v.secret) == 1 {
			return nil
		}
		return bad("X-Gitee-Token")
	}
	return nil
}

// GiteeSign is Gitee's signature of timestamp (milliseconds, as sent in
// X-Gitee-Timestamp) before base64 encoding.
func GiteeSign(secret []byte, timestamp string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp + "\n" + string(secret)))
	return mac.Sum(nil)
}

func missing(header string) error {
	return &authError{"missing " + header}
}

func bad(header string) error {
	return &authError{"bad " + header}
}

// authError says which header failed, never its value.
type authError struct{ what string }

func (e *authError) Error() string { return ErrUnauthorized.Error() + ": " + e.what }
func (e *authError) Unwrap() error { return ErrUnauthorized }
