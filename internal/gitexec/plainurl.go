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
	return withConfig(env, [][2]string{{key, value}})
}

// WithRepositoryConfig returns a copy of env in which a git child reads
// entries as if they were its repository's own config: after the system
// and global files, and before the GIT_CONFIG_COUNT entries env already
// has, which are the command's and override a repository's. A child
// that works in another repository (a sync's cache) so reaches servers
// as git in the repository the entries were read from would. A key with
// no value is given as "true", which is what git reads it as.
func WithRepositoryConfig(env []string, entries []ConfigEntry) []string {
	if len(entries) == 0 {
		return env
	}
	rest, given := configList(env)
	list := make([][2]string, 0, len(entries)+len(given))
	for _, e := range entries {
		v := e.Value
		if e.NoValue {
			v = "true"
		}
		list = append(list, [2]string{e.Key, v})
	}
	return putConfigList(rest, append(list, given...))
}

// withConfig returns a copy of env with entries added to the end of its
// GIT_CONFIG_COUNT list.
func withConfig(env []string, entries [][2]string) []string {
	rest, given := configList(env)
	return putConfigList(rest, append(given, entries...))
}

// configList splits env into the GIT_CONFIG_COUNT list it gives git, in
// order, and a copy of the other variables. A count that env's variables
// cannot hold (git refuses it) is cut to what they can.
func configList(env []string) (rest []string, list [][2]string) {
	n := 0
	if v, ok := lookup(env, "GIT_CONFIG_COUNT"); ok {
		n, _ = strconv.Atoi(v)
		n = min(max(n, 0), len(env))
	}
	list = make([][2]string, n)
	rest = make([]string, 0, len(env)+4)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if i, ok := configIndex(k, "GIT_CONFIG_KEY_"); ok {
			if i < n {
				list[i][0] = v
			}
			continue
		}
		if i, ok := configIndex(k, "GIT_CONFIG_VALUE_"); ok {
			if i < n {
				list[i][1] = v
			}
			continue
		}
		if k != "GIT_CONFIG_COUNT" {
			rest = append(rest, kv)
		}
	}
	return rest, list
}

// configIndex is i of a variable named prefix+i.
func configIndex(name, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(digits)
	return i, err == nil && i >= 0
}

// putConfigList is env with list as its GIT_CONFIG_COUNT list.
func putConfigList(env []string, list [][2]string) []string {
	for i, e := range list {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, e[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, e[1]))
	}
	return append(env, fmt.Sprintf("GIT_CONFIG_COUNT=%d", len(list)))
}
