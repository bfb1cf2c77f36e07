package federation

import (
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// splitRemoteCases are URLs of every form git takes, and some it does
// not.
var splitRemoteCases = []string{
	"https://github.com/apache/linkis.git", "http://127.0.0.1:8080/r.git", "https://u@h:443/r?q=1#f",
	"git@github.com:o/r.git", "github.com:o/r.git", "u@h:2222:r.git", "h:/abs/r", "h:\\r", "a b:r",
	"ssh://git@h:2222/r.git", "git://h/r", "file:///srv/r.git", "/srv/r.git", "./a:b", "r.git",
	"https://[::1]:8080/r", "https://[::1/r", "http://h:port/r", "a:b://c", "://h/r", "1:2",
	"https://h/%zz", "user@:r", "a://h:10000000000000000000/r",
}

// TestSplitRemoteIsGoGit holds splitRemote to what go-git's
// transport.NewEndpoint, which it replaced, says of each case: the
// protocol, user, host, port and path git's transports are given.
func TestSplitRemoteIsGoGit(t *testing.T) {
	for _, raw := range splitRemoteCases {
		got, gotErr := splitRemote(raw)
		want, wantErr := transport.NewEndpoint(raw)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("%q: splitRemote err %v, go-git err %v", raw, gotErr, wantErr)
			continue
		}
		if gotErr != nil {
			continue
		}
		got.PortText = "" // go-git keeps no port text
		if w := (remote{Protocol: want.Protocol, User: want.User, Host: want.Host, Port: want.Port, Path: want.Path}); got != w {
			t.Errorf("%q: splitRemote %+v, go-git %+v", raw, got, w)
		}
	}
}
