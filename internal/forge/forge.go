// Package forge talks to the web APIs of git forges, only as far as this
// program needs: checking that a token works by asking who it belongs to.
package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrUnauthorized means the forge refused the token (401).
var ErrUnauthorized = errors.New("token refused by the forge")

// ErrUnsupported means the forge has no API this package knows.
var ErrUnsupported = errors.New("no API known for this forge")

// StatusError is an API answer other than 200.
type StatusError struct {
	Status int
	API    string // the API base, never a URL with a token
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered HTTP %d", e.API, e.Status)
}

// Is makes a 401 match ErrUnauthorized.
func (e *StatusError) Is(target error) bool {
	return target == ErrUnauthorized && e.Status == http.StatusUnauthorized
}

// Known reports whether forge has an API Verify can use.
func Known(forge string) bool {
	switch forge {
	case "github", "gitlab", "gitee", "gitea":
		return true
	}
	return false
}

// APIBase is the API root of forge for hostURL ("https://host[:port]"):
// override when set (from [federate "<url>"] api), else the forge's
// usual place.
func APIBase(forge, hostURL, override string) (string, error) {
	if override != "" {
		return strings.TrimSuffix(override, "/"), nil
	}
	switch forge {
	case "github":
		if strings.EqualFold(hostURL, "https://github.com") {
			return "https://api.github.com", nil
		}
		return hostURL + "/api/v3", nil // GitHub Enterprise Server
	case "gitlab":
		return hostURL + "/api/v4", nil
	case "gitee":
		return "https://gitee.com/api/v5", nil
	case "gitea":
		return hostURL + "/api/v1", nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnsupported, forge)
}

// Client calls a forge API.
type Client struct {
	// HTTP is the client; nil means one with a 30 s timeout.
	HTTP *http.Client
}

// User is who a token belongs to.
type User struct {
	Login string
}

// CurrentUser asks forge's API at base who token belongs to: GET
// <base>/user. The token goes in a header (Gitee: the access_token
// query parameter it documents); no error text ever holds it.
func (c Client) CurrentUser(ctx context.Context, forge, base, token string) (User, error) {
	if !Known(forge) {
		return User{}, fmt.Errorf("%w: %q", ErrUnsupported, forge)
	}
	u, err := url.Parse(base + "/user")
	if err != nil {
		return User{}, fmt.Errorf("bad API URL %q: %w", base, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return User{}, err
	}
	switch forge {
	case "gitlab":
		req.Header.Set("PRIVATE-TOKEN", token)
	case "gitee":
		q := url.Values{"access_token": {token}}
		req.URL.RawQuery = q.Encode()
	default:
		req.Header.Set("Authorization", "token "+token)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// *url.Error quotes the request URL, which for Gitee holds the token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return User{}, fmt.Errorf("GET %s/user: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return User{}, &StatusError{Status: resp.StatusCode, API: base}
	}
	var body struct {
		Login    string `json:"login"`
		Username string `json:"username"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return User{}, fmt.Errorf("GET %s/user: bad JSON: %w", base, err)
	}
	if body.Login == "" {
		body.Login = body.Username
	}
	return User{Login: body.Login}, nil
}
