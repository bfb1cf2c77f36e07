package gitexec

import (
	"fmt"
	"strings"
)

// acceptLanguage is the Accept-Language header git sends for the locale
// of env (http.c's get_preferred_languages and write_accept_language in
// git 2.39): LANGUAGE's list, else the messages locale unless it is C or
// POSIX, each tag up to its codeset or modifier with "_" as "-", then
// "*", with falling q-values. "" when no language is preferred. Children
// speak English (EnglishMessages), so git would send none: the server
// is told the user's language through http.extraHeader instead.
func acceptLanguage(env []string) string {
	s, _ := lookup(env, "LANGUAGE")
	if s == "" {
		for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			if v, _ := lookup(env, k); v != "" {
				s = v
				break
			}
		}
		if s == "C" || s == "POSIX" || strings.HasPrefix(s, "C.") {
			s = ""
		}
	}
	var tags []string
	for _, part := range strings.Split(s, ":") {
		end := strings.IndexFunc(part, func(r rune) bool {
			return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		})
		if end >= 0 {
			part = part[:end]
		}
		if part != "" && len(tags) < 998 {
			tags = append(tags, strings.ReplaceAll(part, "_", "-"))
		}
	}
	if len(tags) == 0 {
		return ""
	}
	tags = append(tags, "*")
	maxQ, places := 1, 0
	for ; maxQ < len(tags) && places <= 3; places, maxQ = places+1, maxQ*10 {
	}
	var b strings.Builder
	for i, t := range tags {
		if i > 0 {
			b.WriteString(", ")
		}
		n := b.Len()
		b.WriteString(t)
		if i > 0 {
			fmt.Fprintf(&b, ";q=0.%0*d", places, maxQ-i)
		}
		if b.Len() > 4000-len("Accept-Language: ") {
			s := b.String()[:n]
			b.Reset()
			b.WriteString(strings.TrimSuffix(s, ", "))
			break
		}
	}
	return b.String()
}
