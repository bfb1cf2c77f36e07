package httpx

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/git-remote-federate/git-remote-federate/internal/hostname"
)

// jar is git's (curl's) cookie handling: cookies read from
// http.cookieFile (Netscape format), those the servers set added, and
// all written back by SaveCookies when http.saveCookies says so.
type jar struct {
	file     string
	mu       sync.Mutex
	list     []cookie
	received []cookie // set by servers since the file was read
}

type cookie struct {
	domain     string // canonical, without a leading "."
	subdomains bool
	path       string
	secure     bool
	expires    int64 // unix seconds; 0 for a session cookie
	name       string
	value      string
}

// loadJar reads file; no file configured means no jar. A missing file is
// an empty jar, as curl takes it.
func loadJar(file string) (*jar, error) {
	if file == "" {
		return nil, nil
	}
	list, err := readCookies(file)
	if err != nil {
		return nil, err
	}
	return &jar{file: file, list: list}, nil
}

// readCookies reads a Netscape cookie file; a missing one is empty.
func readCookies(file string) ([]cookie, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var list []cookie
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(sc.Text(), "#HttpOnly_")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 7 {
			continue
		}
		exp, _ := strconv.ParseInt(fs[4], 10, 64)
		domain, err := hostname.Canonical(strings.TrimPrefix(fs[0], "."))
		if err != nil {
			continue
		}
		list = append(list, cookie{domain: domain, subdomains: fs[1] == "TRUE", path: fs[2],
			secure: fs[3] == "TRUE", expires: exp, name: fs[5], value: fs[6]})
	}
	return list, sc.Err()
}

// SetCookies implements http.CookieJar.
func (j *jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	host, err := hostname.Canonical(u.Hostname())
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, hc := range cookies {
		c := cookie{domain: host, path: hc.Path, secure: hc.Secure, name: hc.Name, value: hc.Value}
		if d, err := hostname.Canonical(strings.TrimPrefix(hc.Domain, ".")); hc.Domain != "" && err == nil {
			if d != host && !strings.HasSuffix(host, "."+d) {
				continue // a cookie for another site
			}
			c.domain, c.subdomains = d, true
		}
		if c.path == "" || !strings.HasPrefix(c.path, "/") {
			c.path = "/"
		}
		switch {
		case hc.MaxAge > 0:
			c.expires = time.Now().Add(time.Duration(hc.MaxAge) * time.Second).Unix()
		case hc.MaxAge < 0:
			c.expires = 1 // deleted
		case !hc.Expires.IsZero():
			c.expires = hc.Expires.Unix()
		}
		j.list = setCookie(j.list, c)
		j.received = append(j.received, c)
	}
}

// setCookie is list with c in place of the cookie of the same domain,
// path and name; an expired c only removes it.
func setCookie(list []cookie, c cookie) []cookie {
	list = slicesDeleteSame(list, c)
	if c.expires == 0 || c.expires > time.Now().Unix() {
		list = append(list, c)
	}
	return list
}

func slicesDeleteSame(list []cookie, c cookie) []cookie {
	out := list[:0]
	for _, o := range list {
		if o.domain != c.domain || o.path != c.path || o.name != c.name {
			out = append(out, o)
		}
	}
	return out
}

// Cookies implements http.CookieJar.
func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	host, err := hostname.Canonical(u.Hostname())
	if err != nil {
		return nil
	}
	now := time.Now().Unix()
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.list {
		domainOK := host == c.domain || (c.subdomains && strings.HasSuffix(host, "."+c.domain))
		path := u.Path
		if path == "" {
			path = "/"
		}
		pathOK := path == c.path || strings.HasPrefix(path, strings.TrimSuffix(c.path, "/")+"/")
		if domainOK && pathOK && (!c.secure || u.Scheme == "https") && (c.expires == 0 || c.expires > now) {
			out = append(out, &http.Cookie{Name: c.name, Value: c.value})
		}
	}
	return out
}

// saveCookies merges the cookies this client received into the file as
// it is now (other clients of the same command write it too), and
// writes it whole (write and rename).
func (c *Client) saveCookies() error {
	if c.jar == nil || !c.cfg.Settings.SaveCookies {
		return nil
	}
	j := c.jar
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.received) == 0 {
		return nil
	}
	list, err := readCookies(j.file)
	if err != nil {
		return err
	}
	for _, ck := range j.received {
		list = setCookie(list, ck)
	}
	var b strings.Builder
	b.WriteString("# Netscape HTTP Cookie File\n")
	for _, ck := range list {
		domain := ck.domain
		if ck.subdomains {
			domain = "." + domain
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", domain, upper(ck.subdomains), ck.path, upper(ck.secure), ck.expires, ck.name, ck.value)
	}
	tmp, err := os.CreateTemp(filepath.Dir(j.file), ".cookies-*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(b.String())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), j.file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func upper(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}
