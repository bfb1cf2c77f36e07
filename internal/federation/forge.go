package federation

// Forges this project knows how to talk to.
const (
	ForgeGitHub  = "github"
	ForgeGitLab  = "gitlab"
	ForgeGitee   = "gitee"
	ForgeGitea   = "gitea"
	ForgeGitblit = "gitblit"
	ForgePlain   = "plain"
)

var knownHosts = map[string]string{
	"github.com": ForgeGitHub,
	"gitlab.com": ForgeGitLab,
	"gitee.com":  ForgeGitee,
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
	return ForgePlain
}
