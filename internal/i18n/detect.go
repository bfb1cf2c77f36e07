// Package i18n speaks to people in their language, chosen the way git
// chooses its own: English by default, Simplified Chinese when the locale
// asks for it. Only text a person reads goes through it; machine-readable
// output (JSON, porcelain lines, the remote-helper protocol, metrics, log
// keys) never does.
package i18n

import (
	"strings"

	"golang.org/x/text/language"
)

// SimplifiedChinese is the one translation there is.
var SimplifiedChinese = language.Make("zh-Hans")

// LanguageEnv passes the language this program chose down to its own
// copies run under git children ("zh-Hans" or "en"): those children keep
// git's messages in English so that they can be read (LC_MESSAGES=C), but
// the helper under a `git push` of the demo, or `git federate status` run
// by it, still speak the user's language.
const LanguageEnv = "FEDERATE_LANGUAGE"

// Detect picks the language of messages from the environment as git does.
// git sets its message locale from LC_ALL, else LC_MESSAGES, else LANG
// (the first that is set and not empty), and gettext then prefers the
// colon-separated list in LANGUAGE, except when that locale is C or
// POSIX: there LANGUAGE is ignored and git speaks English. The first
// entry of the list we have a translation for wins; an entry of English
// (or C) stops the search, as gettext does with a language it finds.
func Detect(getenv func(string) string) language.Tag {
	if tag, ok := match(getenv(LanguageEnv)); ok {
		return tag
	}
	locale := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			locale = v
			break
		}
	}
	if isC(locale) {
		return language.English
	}
	if list := getenv("LANGUAGE"); list != "" {
		for _, l := range strings.Split(list, ":") {
			if tag, ok := match(l); ok {
				return tag
			}
		}
	}
	if tag, ok := match(locale); ok {
		return tag
	}
	return language.English
}

// isC reports whether locale is the C locale, in which no program
// translates its messages.
func isC(locale string) bool {
	name, _, _ := strings.Cut(locale, ".")
	return locale == "" || name == "C" || name == "POSIX"
}

// match maps one locale or language name ("zh_CN.UTF-8", "zh_Hans",
// "en_US") to a language we speak; ok is false for a language we do not
// know, so that the caller moves on to the next choice.
func match(locale string) (tag language.Tag, ok bool) {
	name, _, _ := strings.Cut(locale, ".")
	name, _, _ = strings.Cut(name, "@")
	lang, region, _ := strings.Cut(strings.ReplaceAll(name, "-", "_"), "_")
	switch strings.ToLower(lang) {
	case "zh":
		switch strings.ToLower(region) {
		case "cn", "sg", "hans":
			return SimplifiedChinese, true
		}
	case "en", "c":
		return language.English, true
	}
	return language.English, false
}
