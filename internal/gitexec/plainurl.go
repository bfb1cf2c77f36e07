package gitexec

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// plainPrefix starts the stand-in under which a child git is given a
// server's URL (see PlainURL). It names a transport no git has, so a
// stand-in that somehow escaped its rewrite fails on this machine
// instead of reaching any server.
const plainPrefix = "federate-plain::"

// PlainURL returns env and the argument that make a git child reach url
// itself, whatever url.<base>.insteadOf and pushInsteadOf rules the user
// has. A rule such as url."federate::https://github.com/".insteadOf
// https://github.com/ would otherwise send this program's own children
// back to this program, without end. git rewrites a URL once, by the
// longest matching prefix, and a rule cannot be deleted from the
// environment; so the child gets a stand-in that only one rule matches,
// whole, and that rule rewrites it to url.
func PlainURL(env []string, url string) ([]string, string) {
	alias := plainPrefix + url
	env = WithConfig(env, "url."+url+".insteadOf", alias)
	env = WithConfig(env, "url."+url+".pushInsteadOf", alias)
	return env, alias
}

// Plain is PlainURL for r's children: r with the rewrite in its
// environment, and the argument to give them for url.
// They also get url's credential slot (ForServer).
func (r Runner) Plain(url string) (Runner, string) {
	r = r.ForServer(url)
	r.Env, url = PlainURL(r.environ(), url)
	return r, url
}

// environ is r.Env, or this process's environment when it is nil.
func (r Runner) environ() []string {
	if r.Env == nil {
		return os.Environ()
	}
	return r.Env
}

// WithConfig returns a copy of env with one more GIT_CONFIG_COUNT entry,
// which git reads after every config file: key = value for a child only,
// nothing written anywhere.
func WithConfig(env []string, key, value string) []string {
	n := 0
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GIT_CONFIG_COUNT="); ok {
			n, _ = strconv.Atoi(v)
			continue
		}
		out = append(out, kv)
	}
	return append(out, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", n, key), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", n, value),
		fmt.Sprintf("GIT_CONFIG_COUNT=%d", n+1))
}
