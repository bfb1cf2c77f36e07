package gitexec

import (
	"strconv"
	"strings"
	"time"
)

// sshLimitsEnv passes the servers' own limits to the ssh callback: one
// line per server, "host\tpath\tlimit\tkey".
const sshLimitsEnv = "FEDERATE_SSH_LIMITS"

// ServerLimit is one server's own stall limit, in place of the one
// WithStallLimit set for every server.
type ServerLimit struct {
	// URL is the server's URL as configured (what children are given).
	URL string
	// SSH is true for a server reached over ssh; Host ("host" or
	// "host:port", as git names it to ssh) and Path then identify it.
	SSH        bool
	Host, Path string
	Limit      time.Duration
	Key        string // the config key of Limit, for the message
}

// WithServerLimits returns r (already given WithStallLimit) whose
// children apply each server's own limit to it. Over http(s) it becomes
// git's per-URL low-speed setting (http.<url>.lowSpeedTime), with the
// common limit moved from the environment, where it would override any
// per-URL value, to the same config; over ssh the callback picks the
// server's limit by host and path.
func (r Runner) WithServerLimits(limits []ServerLimit) Runner {
	if len(limits) == 0 {
		return r
	}
	env := append([]string(nil), r.Env...)
	var cfg [][2]string
	var ssh []string
	for _, l := range limits {
		secs := max(1, int((l.Limit+time.Second-1)/time.Second)) // whole seconds, as curl counts
		if l.SSH {
			d := time.Duration(secs) * time.Second
			ssh = append(ssh, strings.Join([]string{l.Host, trimPath(l.Path), d.String(), l.Key}, "\t"))
			continue
		}
		cfg = append(cfg, [2]string{"http." + l.URL + ".lowSpeedTime", strconv.Itoa(secs)})
	}
	if t, ok := lookup(env, "GIT_HTTP_LOW_SPEED_TIME"); ok && len(cfg) > 0 {
		lim, _ := lookup(env, "GIT_HTTP_LOW_SPEED_LIMIT")
		env = unsetEnv(unsetEnv(env, "GIT_HTTP_LOW_SPEED_TIME"), "GIT_HTTP_LOW_SPEED_LIMIT")
		cfg = append([][2]string{{"http.lowSpeedLimit", lim}, {"http.lowSpeedTime", t}}, cfg...)
	}
	if len(cfg) > 0 {
		env = withConfig(env, cfg)
	}
	if len(ssh) > 0 {
		env = setEnv(env, sshLimitsEnv, strings.Join(ssh, "\n"))
	}
	r.Env = env
	return r
}

// serverLimit is the limit and key of the server the ssh callback was
// asked to reach (args as git gives them to ssh), when it has its own.
func serverLimit(getenv func(string) string, args []string) (time.Duration, string, bool) {
	table := getenv(sshLimitsEnv)
	if table == "" || len(args) < 2 {
		return 0, "", false
	}
	host, path := sshHost(args), trimPath(remotePath(args[len(args)-1]))
	for _, line := range strings.Split(table, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 || f[0] != host || f[1] != path {
			continue
		}
		d, err := time.ParseDuration(f[2])
		if err != nil {
			return 0, "", false
		}
		return d, f[3], true
	}
	return 0, "", false
}

// remotePath is the repository path in the command git asks ssh to run
// ("git-upload-pack '/srv/app.git'"), unquoted as the remote shell would.
func remotePath(cmd string) string {
	_, q, ok := strings.Cut(cmd, " ")
	if !ok {
		return ""
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'':
			in = !in
		case c == '\\' && !in && i+1 < len(q):
			i++
			b.WriteByte(q[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func trimPath(p string) string {
	return strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/")
}
