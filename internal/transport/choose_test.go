package transport

import "testing"

// Each (server, options, listing, phase) reaches the server the way the
// helper's push reaches it: this process when it may and the push needs
// nothing only git's transport does, else git's http helper, else a
// child git.
func TestChoose(t *testing.T) {
	origin := Server{Origin: true, HTTP: true, Token: true}
	mirror := Server{HTTP: true, Token: true}
	bg := Server{HTTP: true, Token: true, Background: true}
	adv := Listing{ReportStatus: true, Atomic: true, PushOptions: true}
	with := func(s Server, f func(*Server)) Server { f(&s); return s }
	tests := []struct {
		name string
		srv  Server
		o    Options
		l    Listing
		at   Phase
		want Way
	}{
		{"origin listed by us", origin, Options{}, Listing{}, List, Direct},
		{"origin over ssh", with(origin, func(s *Server) { s.HTTP = false }), Options{}, Listing{}, List, Child},
		{"origin without token", with(origin, func(s *Server) { s.Token = false }), Options{}, Listing{}, List, Relay},
		{"origin's protocol forbidden", with(origin, func(s *Server) { s.Forbidden = true }), Options{}, Listing{}, List, Child},
		{"origin's protocol forbidden, URL names a user", with(origin, func(s *Server) { s.Forbidden, s.UserInURL = true, true }), Options{}, Listing{}, List, Child},
		{"origin names a user", with(origin, func(s *Server) { s.UserInURL = true }), Options{}, Listing{}, List, Relay},
		{"origin with http.proxy git's only", with(origin, func(s *Server) { s.Unhonoured = []string{"http.sslcert"} }), Options{}, Listing{}, List, Relay},
		{"origin token refused over plain http", with(origin, func(s *Server) { s.Unusable = "plain http" }), Options{}, Listing{}, List, Relay},
		{"origin listing failed", origin, Options{}, Listing{Failed: true}, List, Relay},
		{"origin listing redirected", origin, Options{}, Listing{Redirected: true}, List, Relay},
		{"origin listing stalled", origin, Options{}, Listing{Stalled: true}, List, Direct},
		{"origin pushed by us", origin, Options{}, adv, Push, Direct},
		{"origin dry run", origin, Options{DryRun: true}, adv, Push, Relay},
		{"origin signed", origin, Options{Signed: true}, adv, Push, Relay},
		{"origin force-if-includes", origin, Options{ForceIfIncludes: true}, adv, Push, Relay},
		{"origin lease without value", origin, Options{LeaseWithoutValue: true}, adv, Push, Relay},
		{"origin atomic announced", origin, Options{Atomic: true}, adv, Push, Direct},
		{"origin atomic not announced", origin, Options{Atomic: true}, Listing{ReportStatus: true}, Push, Relay},
		{"origin push options not announced", origin, Options{PushOptions: true}, Listing{ReportStatus: true}, Push, Relay},
		{"origin no report-status", origin, Options{}, Listing{}, Push, Relay},
		{"mirror listed by us", mirror, Options{}, Listing{}, List, Direct},
		{"mirror over ssh", with(mirror, func(s *Server) { s.HTTP = false }), Options{}, Listing{}, List, Child},
		{"mirror's protocol forbidden", with(mirror, func(s *Server) { s.Forbidden, s.Token = true, false }), Options{}, Listing{}, List, Child},
		{"mirror without token", with(mirror, func(s *Server) { s.Token = false }), Options{}, Listing{}, List, Relay},
		{"mirror redirected", mirror, Options{}, Listing{Redirected: true}, List, Relay},
		{"mirror listing failed: its reason", mirror, Options{}, Listing{Failed: true}, List, Direct},
		{"mirror pushed by us", mirror, Options{}, adv, Push, Direct},
		{"mirror signed: the origin's", mirror, Options{Signed: true, ForceIfIncludes: true, LeaseWithoutValue: true}, adv, Push, Direct},
		{"mirror dry run", mirror, Options{DryRun: true}, adv, Push, Child},
		{"mirror atomic not announced", mirror, Options{Atomic: true}, Listing{ReportStatus: true}, Push, Child},
		{"background mirror listed by us", bg, Options{}, Listing{}, List, Direct},
		{"background mirror without token", with(bg, func(s *Server) { s.Token = false }), Options{}, Listing{}, List, Child},
		{"background mirror with git's settings", with(bg, func(s *Server) { s.Unhonoured = []string{"config"} }), Options{}, Listing{}, List, Child},
		{"background mirror redirected", bg, Options{}, Listing{Redirected: true}, List, Child},
		{"background mirror pushed by us", bg, Options{}, adv, Push, Direct},
		{"background mirror push options not announced", bg, Options{PushOptions: true}, Listing{ReportStatus: true}, Push, Child},
	}
	for _, tt := range tests {
		got := Choose(tt.srv, tt.o, tt.l, tt.at)
		if got.Way != tt.want || got.Reason == "" {
			t.Errorf("%s: %v (%q), want %v", tt.name, got.Way, got.Reason, tt.want)
		}
	}
}
