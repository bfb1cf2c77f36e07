package gitexec

import "strings"

// ColorOn is what `git config --get-colorbool slot true` answers from
// entries (git config's keys, in git's order): whether git colours its
// output to a terminal whose TERM names one (set, and not "dumb"). The
// last value of slot ("color.remote") decides, else the last of
// color.ui, else git's default, auto. "never" and false are off;
// "always", "auto" and true are on (auto is on, on such a terminal).
// known is false for any other value, a number or one git cannot read:
// git is asked then, the one reader of its numbers.
func ColorOn(entries []ConfigEntry, slot string) (on, known bool) {
	keys := ColorKeys(slot)
	var last, ui *ConfigEntry
	for i := range entries {
		switch entries[i].Key {
		case keys[0]:
			last = &entries[i]
		case keys[1]:
			ui = &entries[i]
		}
	}
	if last == nil {
		last = ui
	}
	if last == nil || last.NoValue { // a key given alone is true: auto
		return true, true
	}
	switch strings.ToLower(last.Value) {
	case "always", "auto", "true", "yes", "on":
		return true, true
	case "never", "false", "no", "off", "":
		return false, true
	}
	return false, false
}

// ColorKeys are the keys ColorOn reads for slot: slot, then color.ui.
func ColorKeys(slot string) []string { return []string{slot, "color.ui"} }
