package forge

// The forges this program knows by name: the values of a
// [federate "<url>"] forge setting. Gitblit and plain git servers have no
// API this package speaks.
const (
	GitHub  = "github"
	GitLab  = "gitlab"
	Gitee   = "gitee"
	Gitea   = "gitea"
	Gitblit = "gitblit"
	Plain   = "plain"
)

// Names lists every forge name, in the order help text shows them.
func Names() []string { return []string{GitHub, GitLab, Gitee, Gitea, Gitblit, Plain} }
