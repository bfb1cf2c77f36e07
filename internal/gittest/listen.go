package gittest

import "regexp"

// listenLine is a line of `git federate serve`'s log that says where a
// listener is: "msg=listening addr=127.0.0.1:PORT", or with a message in
// quotes ("metrics listening").
var listenLine = regexp.MustCompile(`msg="?([a-z ]+)"? addr=(127\.0\.0\.1:[0-9]+)`)

// ListenAddrs gives the addresses `git federate serve` logged in log, by
// message ("listening", "metrics listening"). A serve started on port 0
// says there which port it got: tests start it so, since a port chosen
// ahead can be taken before serve binds it.
func ListenAddrs(log string) map[string]string {
	addrs := map[string]string{}
	for _, m := range listenLine.FindAllStringSubmatch(log, -1) {
		addrs[m[1]] = m[2]
	}
	return addrs
}
