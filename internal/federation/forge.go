package federation

import "github.com/git-remote-federate/git-remote-federate/internal/forge"

var knownHosts = map[string]string{
	"github.com": forge.GitHub,
	"gitlab.com": forge.GitLab,
	"gitee.com":  forge.Gitee,
}

// ForgeOf names the forge serving host ("host[:port]"): from a
// [federate "<url>"] forge setting, else from the well-known hosts, else
// plain.
func (c *Config) ForgeOf(protocol, host string) string {
	if c != nil {
		if h := c.HostFor(Endpoint{Protocol: protocol, Host: host, Path: "/"}); h.Forge != "" {
			return h.Forge
		}
	}
	if f, ok := knownHosts[host]; ok {
		return f
	}
	return forge.Plain
}
